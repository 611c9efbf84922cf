#!/usr/bin/env bash
# Configures (once) and builds Larder into build/ with Ninja and ccache.
# Usage: deploy/build.sh [extra cmake -D options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="${LARDER_BUILD_DIR:-$root/build}"
build_type="${LARDER_BUILD_TYPE:-Release}"
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >/dev/null
fi
cmake --build "$build_dir" -j "${LARDER_JOBS:-2}"
