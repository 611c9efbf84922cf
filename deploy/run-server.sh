#!/usr/bin/env bash
# Installs what is missing, builds, and runs `larder serve` on the embedded SQLite default
# (larder.db in the directory it is run from, port 6570). Extra arguments go to larder, e.g.
# --addr=127.0.0.1:7000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh"
exec "${LARDER_BUILD_DIR:-$root/build}/server/larder" serve "$@"
