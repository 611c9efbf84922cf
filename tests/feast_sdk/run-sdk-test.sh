#!/usr/bin/env bash
# Runs a test script that drives the real Feast SDK v0.66.0 against Larder.
# Usage: run-sdk-test.sh SCRIPT ARGS...
# The SDK comes from LARDER_FEAST_SDK_DIR, else ../shared/feast-sdk beside the checkout (this
# workplace), else whatever `python3` imports (`pip install feast==0.66.0`). Without any, the
# script prints "SKIPPED: ..." (CTest counts the test as skipped).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sdk_dir="${LARDER_FEAST_SDK_DIR:-$root/../shared/feast-sdk}"
python=python3
if [[ -f "$sdk_dir/env.sh" ]]; then
  # shellcheck disable=SC1091
  . "$sdk_dir/env.sh"
  python=/usr/bin/python3  # the SDK folder is arranged for Debian's interpreter
fi
exec "$python" -P "$@"
