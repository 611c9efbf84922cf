#!/usr/bin/env bash
# Configures (once) and builds Larder into build/ with Ninja and ccache. Warnings are errors
# (LARDER_WERROR=ON; CI builds with this script); LARDER_WERROR=OFF in the environment turns
# that off.
# Usage: deploy/build.sh [extra cmake -D options]
# LARDER_BUILD_TARGETS (space-separated) builds only those targets, e.g. "larder larder-probe"
# for the container image; default: everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="${LARDER_BUILD_DIR:-$root/build}"
build_type="${LARDER_BUILD_TYPE:-Release}"
werror="${LARDER_WERROR:-ON}"
# Configure a new build directory, and an existing one whose warning setting differs.
if [[ ! -f "$build_dir/build.ninja" ]] ||
  ! grep -qx "LARDER_WERROR:BOOL=$werror" "$build_dir/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DLARDER_WERROR="$werror" "$@" >/dev/null
fi
targets=()
for t in ${LARDER_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "${LARDER_JOBS:-2}" "${targets[@]}"
