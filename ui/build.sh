#!/usr/bin/env bash
# Builds the Feast web UI that larder serves at / into ui/dist (needs Node 20 and npm; the C++
# build does not need this). Then: larder --ui-dir=ui/dist, or cmake --install copies it to
# share/larder/ui, larder's default.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
