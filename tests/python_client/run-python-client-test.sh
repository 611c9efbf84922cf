#!/usr/bin/env bash
# Runs a test of the Python client package (client/python) against the real larder binary.
# Usage: run-python-client-test.sh SCRIPT ARGS...
# It runs the package the build generated (LARDER_PYTHON_PACKAGE, set by CTest: the
# larder_python_client target); without one, the stubs are generated from proto/ into a
# temporary copy of the package (the source tree stays clean). Without Debian's python3-grpcio / python3-protobuf, or without protoc and
# grpc_python_plugin (or grpcio-tools), it prints "SKIPPED: ..." (CTest counts it as skipped).
# LARDER_PYTHON picks another interpreter (default /usr/bin/python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${LARDER_PYTHON:-/usr/bin/python3}  # Debian's interpreter, where python3-grpcio lives
[[ -x "$python" ]] || python=python3
if ! "$python" -c 'import grpc, google.protobuf' 2>/dev/null; then
  echo "SKIPPED: $python cannot import grpc and google.protobuf (apt-get install python3-grpcio python3-protobuf)"
  exit 0
fi
if ! { command -v protoc && command -v grpc_python_plugin; } >/dev/null 2>&1 &&
   ! "$python" -c 'import grpc_tools' 2>/dev/null; then
  echo "SKIPPED: no protoc + grpc_python_plugin (protobuf-compiler, protobuf-compiler-grpc) or grpcio-tools"
  exit 0
fi
# The package the build made (client/python/CMakeLists.txt; CTest names it), else a copy with
# stubs generated here.
package=${LARDER_PYTHON_PACKAGE:-}
if [[ -z "$package" || ! -f "$package/larder.stamp" ]]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/larder-pyclient.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  package="$tmp/pkg"
  mkdir "$package"
  cp -r "$root/client/python/src/larder" "$package/larder"
  rm -rf "$package/larder/protos"
  "$python" "$root/client/python/gen_protos.py" --proto-root "$root/proto" --out "$package"
fi
status=0
LARDER_REPO_ROOT="$root" PYTHONPATH="$package${PYTHONPATH:+:$PYTHONPATH}" \
  "$python" "$@" || status=$?
exit "$status"
