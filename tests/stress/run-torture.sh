#!/usr/bin/env bash
# Runs larder-torture against real replicas: 3 Larder processes over one PostgreSQL, 3 over one
# MariaDB (plus a kill -9 of a replica and a database restart mid-storm on each), 1 process on
# SQLite with writers in 3 client processes, a staged `feast apply` whose replica is killed at
# every step on each backend, and the file-registry baseline.
# Needs the variables tests/run-all.sh exports (LARDER_TEST_{POSTGRES,MYSQL}_{URL,RESTART}).
# Usage: tests/stress/run-torture.sh [--full]     (short by default: the CI version)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="${LARDER_BUILD_DIR:-$root/build}"
larder="$build/server/larder"
torture="$build/tests/larder-torture"
# The Larder-coordinated materialization worker the coordinated_workers scenario runs 16 of.
worker="$build/client/larder-example-coordinated-worker"
if [[ "${1:-}" == "--full" ]]; then
  writers=32 calls=200 apply_writers=16 chaos_calls=200 chaos_after_ms=1000 staged_rounds=40
else
  # Storms under chaos run long enough that the kill or restart lands in the middle.
  writers=8 calls=20 apply_writers=8 chaos_calls=80 chaos_after_ms=150
  # Each round of the staged-apply scenario restarts a replica: one round per kill point.
  staged_rounds=4
fi
torture_work_prefix=larder-torture
# The scratch folder, cleanup, run, start_replica, start_three_replicas, fresh_database.
. "$root/tests/stress/torture-lib.sh"

replicated() {  # backend admin_url restart_command
  local backend=$1 admin=$2 restart=$3 url addresses
  local -a replica_pids
  url=$(fresh_database "$admin")
  start_three_replicas "$url" "$backend"
  run "$backend, 3 replicas" --addresses="$addresses" --db="$url" --backend="$backend" \
    --writers="$writers" --calls="$calls" --worker-binary="$worker"
  run "$backend, 3 replicas, 16 overlapping apply runs" --addresses="$addresses" --db="$url" \
    --backend="$backend" --writers="$apply_writers" --calls="$calls" \
    --scenarios=overlapping_apply_runs
  run "$backend, 3 replicas, kill -9 of one replica mid-storm" --addresses="$addresses" \
    --db="$url" --backend="$backend" --writers="$writers" --calls="$chaos_calls" \
    --scenarios=materialize_one_view \
    --chaos-command="kill -9 ${replica_pids[2]}" --chaos-after-ms="$chaos_after_ms"
  # A killed orphan may linger as a zombie until reaped; only a running process counts.
  if [[ "$(ps -o stat= -p "${replica_pids[2]}" 2>/dev/null)" =~ ^[^Z] ]]; then
    echo "the kill -9 did not happen"
    failed=1
  fi
  run "$backend, 2 surviving replicas, database restart mid-storm" \
    --addresses="${addresses%,*}" --db="$url" --backend="$backend" --writers="$writers" \
    --calls="$chaos_calls" --scenarios=materialize_one_view,overlapping_apply_runs \
    --chaos-command="$restart" --chaos-after-ms="$chaos_after_ms"
  staged "$url" "$backend" "${addresses%,*}"
}

# staged URL BACKEND [OTHER_ADDRESSES]: `feast apply` staged on a replica of its own that is
# killed with kill -9 at every step of the apply and started again; bystanders write through
# the other replicas.
staged() {
  start_victim "$1" "$2-victim"
  run "$2, staged feast apply, kill -9 of its replica at every step" \
    --addresses="$victim_address${3:+,$3}" --db="$1" --backend="$2" --writers=2 \
    --calls="$staged_rounds" --scenarios=staged_apply_kill \
    --victim-pid-file="$work/$2-victim.pid" --victim-restart-command="$work/$2-victim.restart"
}

replicated postgres "$LARDER_TEST_POSTGRES_URL" "$LARDER_TEST_POSTGRES_RESTART"
replicated mysql "$LARDER_TEST_MYSQL_URL" "$LARDER_TEST_MYSQL_RESTART"

# SQLite: one server process, writers in three client processes at once.
sqlite_url="sqlite:///$work/registry.db"
read -r pid address < <(start_replica "$sqlite_url" "$work/sqlite.log")
pids+=("$pid")
echo "== sqlite, 1 replica, 3 client processes"
client_pids=()
for i in 1 2 3; do
  "$torture" --addresses="$address" --db="$sqlite_url" --backend=sqlite \
    --writers="$writers" --calls="$calls" >"$work/sqlite-client-$i.out" 2>&1 &
  client_pids+=($!)
done
for i in 0 1 2; do
  if ! wait "${client_pids[$i]}"; then failed=1; fi
  cat "$work/sqlite-client-$((i + 1)).out"
done

# Its own database: the kills would otherwise hit the clients above.
staged "sqlite:///$work/staged.db" sqlite

run "Feast file registry baseline (losses expected)" --baseline-file="$work/registry.pb" \
  --writers="$writers" --calls="$calls"

# larder.v1 batches and the change feed, on replicas of their own (the short version is its own
# CTest, torture_batches_short).
if [[ "${1:-}" == "--full" ]]; then
  if ! "$root/tests/stress/run-batch-torture.sh" --full; then failed=1; fi
fi

if [[ $failed -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $failed
