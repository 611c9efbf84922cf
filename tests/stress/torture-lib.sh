# What the torture scripts share (sourced; needs $larder and $torture set, and
# $torture_work_prefix naming the scratch folder): a scratch folder and the replicas started in
# it, both removed on exit; `failed`, set by `run` when a torture run finds a violation.
work=$(mktemp -d "/tmp/${torture_work_prefix}.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  # Replicas a scenario started again (start_victim) are known by their pid files only.
  for file in "$work"/*.pid; do
    if [[ -f "$file" ]]; then kill -9 "$(cat "$file")" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
failed=0

run() {  # label: then the torture arguments
  local label=$1
  shift
  echo "== $label"
  if ! "$torture" "$@"; then failed=1; fi
}

# start_three_replicas URL BACKEND: sets `addresses` ("a,b,c") and `replica_pids`.
start_three_replicas() {
  local pid address
  addresses=""
  replica_pids=()
  for i in 1 2 3; do
    read -r pid address < <(start_replica "$1" "$work/$2-$i.log")
    pids+=("$pid")
    replica_pids+=("$pid")
    addresses="${addresses:+$addresses,}$address"
  done
}

# start_victim URL NAME: starts a replica on a fixed address that a scenario kills with kill -9
# and starts again: $work/NAME.restart starts it (again) at that address and returns once it
# serves; $work/NAME.pid holds its process id. Sets `victim_address`.
start_victim() {
  local url=$1 name=$2
  victim_address="127.0.0.1:$("$build/tests/larder_free_port")"
  cat >"$work/$name.restart" <<RESTART
#!/usr/bin/env bash
set -u
old=\$(cat "$work/$name.pid" 2>/dev/null || true)
# The killed process must be gone (reaped or a zombie) before its address is taken again.
while [[ -n "\$old" && "\$(ps -o stat= -p "\$old" 2>/dev/null)" =~ ^[^Z] ]]; do sleep 0.01; done
served=\$(grep -c "schema version" "$work/$name.log" 2>/dev/null || true)
"$larder" serve --addr=$victim_address --http-addr= --drain-seconds=0 --db="$url" \\
  >>"$work/$name.log" 2>&1 </dev/null &
echo \$! >"$work/$name.pid"
for _ in \$(seq 1 400); do
  [[ \$(grep -c "schema version" "$work/$name.log") -gt \${served:-0} ]] && exit 0
  kill -0 \$! 2>/dev/null || break
  sleep 0.02
done
echo "replica $name failed to start" >&2
exit 1
RESTART
  chmod +x "$work/$name.restart"
  "$work/$name.restart"
}

# start_replica URL LOG -> prints "PID ADDRESS" once the replica serves.
start_replica() {
  # gRPC only (replicas on one host would share the default HTTP port), no drain window.
  "$larder" serve --addr=127.0.0.1:0 --http-addr= --drain-seconds=0 --db="$1" >"$2" 2>&1 &
  local pid=$!
  for _ in $(seq 1 400); do
    if grep -q "schema version" "$2"; then
      # The address from the "serving ... on" line (the log's configuration line names --addr).
      echo "$pid $(grep -o 'serving [^ ]* on 127.0.0.1:[0-9]*' "$2" | grep -o '127.0.0.1:[0-9]*')"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "replica failed to start:" >&2
  cat "$2" >&2
  return 1
}

# A fresh database on the server behind an admin URL; prints its URL.
fresh_database() {
  local admin=$1 name="larder_torture_$RANDOM$RANDOM"
  case "$admin" in
    postgresql://*)
      psql -q "$admin" -c "CREATE DATABASE $name" >/dev/null
      echo "${admin%/*}/$name" ;;
    mysql://*)
      local rest creds hostport
      rest=${admin#mysql://}
      creds=${rest%%@*}
      hostport=${rest#*@}
      hostport=${hostport%%/*}
      mariadb --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u "${creds%%:*}" \
        -p"${creds#*:}" -e "CREATE DATABASE $name"
      echo "mysql://$creds@$hostport/$name" ;;
  esac
}
