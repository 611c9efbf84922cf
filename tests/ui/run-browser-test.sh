#!/usr/bin/env bash
# Runs the real-browser test of the web UI (tests/e2e/http_browser_test.cc) when it can run:
# the UI built (ui/build.sh: ui/dist and ui/node_modules with playwright-core), node and
# Debian's chromium installed. Otherwise exits 77, which CTest reports as skipped.
# (tests/run-all.sh installs chromium and builds the UI, so there it always runs.)
# Usage: run-browser-test.sh <http_browser_test binary> <source dir> [Catch2 test spec, e.g. [mysql]]
set -euo pipefail
test_binary=$1
source_dir=$2
shift 2
missing=()
[[ -f "$source_dir/ui/dist/index.html" ]] || missing+=("ui/dist (run ui/build.sh)")
[[ -d "$source_dir/ui/node_modules/playwright-core" ]] || missing+=("ui/node_modules (run ui/build.sh)")
command -v node >/dev/null || missing+=("node")
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || missing+=("chromium")
if ((${#missing[@]} > 0)); then
  echo "SKIPPED: the browser test needs ${missing[*]}"
  exit 77
fi
exec "$test_binary" "$@"
