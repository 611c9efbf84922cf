#!/usr/bin/env bash
# Runs the larder.v1 batch and change-feed torture scenarios against real replicas: on
# PostgreSQL and MariaDB, 3 Larder replicas over one database (conflicting batches, a reader
# during 50-object batches, then watchers on the 3 replicas while one replica is killed with
# kill -9 and the database is restarted); on SQLite, one replica (no watcher chaos).
# Needs LARDER_TEST_{POSTGRES,MYSQL}_{URL,RESTART} (tests/run-all.sh exports them); the restart
# commands are run, so point them at database servers nobody else is using.
# Usage: tests/stress/run-batch-torture.sh [--full]     (short by default: the CI version)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="${LARDER_BUILD_DIR:-$root/build}"
larder="$build/server/larder"
torture="$build/tests/larder-torture"
if [[ "${1:-}" == "--full" ]]; then
  writers=16 calls=100 watch_calls=200 chaos_after_ms=1500
else
  writers=4 calls=5 watch_calls=15 chaos_after_ms=200
fi
torture_work_prefix=larder-batch-torture
# The scratch folder, cleanup, run, start_replica, start_three_replicas, fresh_database.
. "$root/tests/stress/torture-lib.sh"

replicated() {  # backend admin_url restart_command
  local backend=$1 admin=$2 restart=$3 url addresses
  local -a replica_pids
  url=$(fresh_database "$admin")
  start_three_replicas "$url" "$backend"
  run "$backend, 3 replicas, batches" --addresses="$addresses" --db="$url" --backend="$backend" \
    --writers="$writers" --calls="$calls" --scenarios=conflicting_batches,reader_during_batches
  # The watchers resume on the surviving replicas; the restart lands while they follow.
  run "$backend, 3 replicas, watchers, kill -9 of one replica and a database restart" \
    --addresses="$addresses" --db="$url" --backend="$backend" --writers="$writers" \
    --calls="$watch_calls" --scenarios=watchers_across_replicas \
    --chaos-command="kill -9 ${replica_pids[2]}; sleep 0.2; $restart" \
    --chaos-after-ms="$chaos_after_ms"
  if [[ "$(ps -o stat= -p "${replica_pids[2]}" 2>/dev/null)" =~ ^[^Z] ]]; then
    echo "the kill -9 did not happen"
    failed=1
  fi
}

replicated postgres "$LARDER_TEST_POSTGRES_URL" "$LARDER_TEST_POSTGRES_RESTART"
replicated mysql "$LARDER_TEST_MYSQL_URL" "$LARDER_TEST_MYSQL_RESTART"

sqlite_url="sqlite:///$work/registry.db"
read -r pid address < <(start_replica "$sqlite_url" "$work/sqlite.log")
pids+=("$pid")
run "sqlite, 1 replica, batches and watchers" --addresses="$address" --db="$sqlite_url" \
  --backend=sqlite --writers="$writers" --calls="$calls" \
  --scenarios=conflicting_batches,reader_during_batches,watchers_across_replicas

if [[ $failed -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $failed
