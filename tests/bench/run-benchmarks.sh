#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: larder-bench's scenario table and its scaling run on SQLite, and
# on PostgreSQL and MariaDB when LARDER_TEST_POSTGRES_URL / LARDER_TEST_MYSQL_URL name admin URLs
# of throwaway servers (tests/run-all.sh with LARDER_KEEP_DATABASES=1 starts such servers and
# prints them). Every run gets fresh databases, dropped afterwards.
#
# Usage: tests/bench/run-benchmarks.sh [extra larder-bench flags]
# Environment: LARDER_BUILD_DIR (default ./build), BENCH_SECONDS (per cell, default 2),
#              BENCH_MAX_OBJECTS (scaling, default 100000), BENCH_BACKENDS (default
#              "sqlite postgres mysql"), BENCH_SCALING (1: also run --scaling; default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir="${LARDER_BUILD_DIR:-$root/build}"
bench="$build_dir/tests/larder-bench"
larder="$build_dir/server/larder"
seconds="${BENCH_SECONDS:-2}"
max_objects="${BENCH_MAX_OBJECTS:-100000}"
backends="${BENCH_BACKENDS:-sqlite postgres mysql}"
scaling="${BENCH_SCALING:-1}"
[[ -x "$bench" && -x "$larder" ]] || { echo "build larder and larder-bench first" >&2; exit 2; }

work=$(mktemp -d /tmp/larder-bench.XXXXXX)
created_pg=() created_my=()
cleanup() {
  set +e
  for db in "${created_pg[@]}"; do psql -q "$LARDER_TEST_POSTGRES_URL" -c "DROP DATABASE $db" >/dev/null 2>&1; done
  for db in "${created_my[@]}"; do mysql_admin -e "DROP DATABASE $db" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# mysql://user:pass@host:port/db -> the parts, for the mariadb client.
mysql_admin() {
  [[ "$LARDER_TEST_MYSQL_URL" =~ ^(mysql|mariadb)://([^:@]+)(:([^@]*))?@([^:/]+):([0-9]+)/ ]] || return 1
  mariadb --no-defaults -h "${BASH_REMATCH[5]}" -P "${BASH_REMATCH[6]}" -u "${BASH_REMATCH[2]}" \
    "-p${BASH_REMATCH[4]}" "$@"
}

# Sets `url` to a fresh database of `backend` named `name`, or to "" if there is none.
fresh_db() {
  local backend=$1 name=$2
  url=""
  case "$backend" in
    sqlite) url="sqlite:///$work/$name.db" ;;
    postgres)
      [[ -n "${LARDER_TEST_POSTGRES_URL:-}" ]] || return 0
      psql -q "$LARDER_TEST_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null || return 0
      created_pg+=("$name")
      url="${LARDER_TEST_POSTGRES_URL%/*}/$name" ;;
    mysql)
      [[ -n "${LARDER_TEST_MYSQL_URL:-}" ]] || return 0
      mysql_admin -e "CREATE DATABASE $name" >/dev/null || return 0
      created_my+=("$name")
      url="${LARDER_TEST_MYSQL_URL%/*}/$name" ;;
  esac
}

echo "larder-bench on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)),"\
     "larder at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
stamp=$(date +%s)
rc=0
for backend in $backends; do
  fresh_db "$backend" "larder_bench_$stamp"
  if [[ -z "$url" ]]; then
    echo "== $backend: no database (set LARDER_TEST_${backend^^}_URL); skipped"
    continue
  fi
  # Concurrent creations of feature views in one project deadlock on PostgreSQL (each costs the
  # 1 s deadlock_timeout; see docs/benchmarks.md), so PostgreSQL is seeded one view at a time.
  seed=()
  if [[ "$backend" == postgres ]]; then seed=(--seed-in-flight=1); fi
  echo "== $backend: scenarios"
  "$bench" --spawn --larder="$larder" --db="$url" --seconds="$seconds" "${seed[@]}" "$@" || rc=1
  if [[ "$scaling" == 1 ]]; then
    fresh_db "$backend" "larder_scale_$stamp"
    echo "== $backend: scaling"
    "$bench" --scaling --spawn --larder="$larder" --db="$url" --seconds="$seconds" \
      --max-objects="$max_objects" "${seed[@]}" "$@" || rc=1
  fi
done
exit $rc
