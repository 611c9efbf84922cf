#!/usr/bin/env bash
# Installs what Larder needs on Debian 12, starting from a bare (debootstrap minbase) root.
# Usage: deploy/install-deps.sh [--with-test-databases] [--with-fuzzing] [--with-image-tools]
#                               [--with-ui]
#   --with-test-databases  PostgreSQL and MariaDB servers for the storage and e2e tests, and
#                          python3-yaml for the deploy/ manifest test, openssl for the TLS tests
#   --with-fuzzing         clang and libFuzzer for the fuzz targets and the sanitizer build
#                          (docs/fuzzing.md)
#   --with-image-tools     buildah, podman and debootstrap for the container image test
#   --with-ui              Node.js and npm to build the web UI (ui/build.sh), Debian's chromium
#                          (and a font) for its real-browser test (tests/ui/run-browser-test.sh)
# Idempotent: when every package is already installed it returns without touching apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev libssl-dev libsqlite3-dev libpqxx-dev libmysqlcppconn-dev catch2
  # larderctl: subcommands and YAML input.
  libcli11-dev libyaml-cpp-dev
  # The HTTP front end: Feast REST API and web UI (server/http/).
  libcpp-httplib-dev nlohmann-json3-dev
  # The Python client package (client/python; its stubs come from protoc and
  # protobuf-compiler-grpc's grpc_python_plugin above) and its tests, which pip-install it into a
  # virtualenv offline (--no-build-isolation: python3-setuptools and python3-wheel, pip's own
  # dependencies, are the whole build backend). python3-grpc-tools is not needed (and Debian 12's
  # 1.14 is far older than its python3-grpcio 1.51).
  python3 python3-grpcio python3-protobuf python3-venv python3-pip python3-setuptools python3-wheel
)
for option in "$@"; do
  case "$option" in
    --with-test-databases)
      # The tests start throwaway PostgreSQL and MariaDB servers of their own.
      # openssl: the TLS tests make their CAs and certificates with its command line.
      packages+=(postgresql mariadb-server mariadb-client procps python3-yaml openssl) ;;
    --with-fuzzing)
      # clang 14 with libFuzzer and the sanitizer runtimes (libclang_rt.fuzzer-x86_64.a).
      packages+=(clang libclang-rt-dev llvm) ;;
    --with-image-tools)
      packages+=(buildah podman debootstrap) ;;
    --with-ui)
      packages+=(nodejs chromium fonts-dejavu-core)
      # Debian's npm is a package of its own; NodeSource's nodejs (Node 20) bundles npm and
      # conflicts with it, so ask for it only when there is no npm yet.
      if ! command -v npm >/dev/null; then packages+=(npm); fi ;;
    *)
      echo "install-deps: unknown option $option" >&2
      exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
as_root=()
if [[ $(id -u) -ne 0 ]]; then as_root=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
# Keep the packaged database servers from starting system-wide instances: the tests run their own.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${as_root[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${as_root[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
