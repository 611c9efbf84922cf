#!/usr/bin/env bash
# Installs what is missing, builds the server and the web UI, starts throwaway PostgreSQL and
# MariaDB servers on free local ports, runs every test through CTest, stops what it started, and exits with CTest's result.
# Usage: tests/run-all.sh [extra ctest arguments]
# Without ctest arguments it then fuzzes every libFuzzer target briefly (4 s each, about 30 s in
# all; docs/fuzzing.md): always with LARDER_TEST_FUZZ=1 (which installs clang first and builds
# build-fuzz/, several minutes the first time), and by default when clang is installed and
# build-fuzz/ was already built (then the pass costs only the 30 s). LARDER_TEST_FUZZ=0 skips it.
# The container image test (label `image`) runs only with LARDER_TEST_IMAGE=1 (docs/operations.md).
# LARDER_TEST_SANITIZE=1 then also builds build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs the unit and e2e tests in it against the same databases (docs/testing.md): a second
# full build, too slow for every run on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="${LARDER_BUILD_DIR:-$root/build}"

deps=(--with-test-databases --with-ui)
if [[ "${LARDER_TEST_FUZZ:-}" == 1 ]]; then deps+=(--with-fuzzing); fi
if [[ "${LARDER_TEST_IMAGE:-}" == 1 ]]; then deps+=(--with-image-tools); fi
"$root/deploy/install-deps.sh" "${deps[@]}"
# The real Feast SDK, where this workplace provides it (its Debian python3 packages); the tests
# that use it skip themselves without it.
sdk_dir="${LARDER_FEAST_SDK_DIR:-$root/../shared/feast-sdk}"
if [[ -x "$sdk_dir/install-deps.sh" ]]; then
  "$sdk_dir/install-deps.sh" >/dev/null
fi
"$root/deploy/build.sh"
# The web UI (npm ci from ui/package-lock.json, then the bundle in ui/dist), so the browser test
# (label browser) runs instead of skipping.
"$root/ui/build.sh"

work=$(mktemp -d /tmp/larder-dbs.XXXXXX)
chmod 755 "$work"
cleanup() {
  set +e
  if [[ -n "${pg_bin:-}" && -d "$work/pg" ]]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1
  fi
  if [[ -n "${maria_sock:-}" ]]; then
    mariadb-admin --no-defaults --socket="$maria_sock" -uroot shutdown >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$build_dir/tests/larder_free_port"; }

as_postgres=(runuser -u postgres --)
if [[ $(id -u) -ne 0 ]]; then as_postgres=(); fi

# --- PostgreSQL (refuses to run as root, so everything it touches belongs to postgres)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_port=$(free_port)
mkdir -p "$work/pg"
chown postgres:postgres "$work/pg" 2>/dev/null || true
# UTF-8 whatever the machine's locale: without one, initdb picks SQL_ASCII, where VARCHAR(255)
# counts bytes and a 255-character name of multi-byte characters no longer fits.
"${as_postgres[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync \
  -E UTF8 --locale=C >/dev/null
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-c port=$pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/pg -c max_connections=300" \
  start >/dev/null

# --- MariaDB
maria_port=$(free_port)
maria_sock="$work/maria/mysqld.sock"
mkdir -p "$work/maria"
chown mysql:mysql "$work/maria" 2>/dev/null || true
mariadb-install-db --no-defaults --user=mysql --datadir="$work/maria/data" \
  --auth-root-authentication-method=normal >/dev/null 2>&1
# Start and restart scripts, so the torture test can restart the server mid-storm.
cat > "$work/maria/start.sh" <<START
#!/usr/bin/env bash
setsid mariadbd --no-defaults --user=mysql --datadir="$work/maria/data" --port="$maria_port" \\
  --bind-address=127.0.0.1 --socket="$maria_sock" --pid-file="$work/maria/pid" \\
  --log-error="$work/maria/err" --skip-name-resolve --character-set-server=utf8mb4 \\
  --max-connections=500 </dev/null >/dev/null 2>&1 &
for _ in \$(seq 1 200); do
  mariadb-admin --no-defaults --socket="$maria_sock" -uroot ping >/dev/null 2>&1 && exit 0
  sleep 0.05
done
exit 1
START
cat > "$work/maria/restart.sh" <<RESTART
#!/usr/bin/env bash
mariadb-admin --no-defaults --socket="$maria_sock" -uroot shutdown >/dev/null 2>&1
for _ in \$(seq 1 200); do [[ -e "$work/maria/pid" ]] || break; sleep 0.05; done
exec "$work/maria/start.sh"
RESTART
chmod +x "$work/maria/start.sh" "$work/maria/restart.sh"
"$work/maria/start.sh"
mariadb --no-defaults --socket="$maria_sock" -uroot -e "
  CREATE USER 'larder'@'%' IDENTIFIED BY 'larder';
  GRANT ALL PRIVILEGES ON *.* TO 'larder'@'%' WITH GRANT OPTION;
  CREATE DATABASE larder;"

export LARDER_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
export LARDER_TEST_MYSQL_URL="mysql://larder:larder@127.0.0.1:$maria_port/larder"
export LARDER_TEST_POSTGRES_RESTART="${as_postgres[*]} $pg_bin/pg_ctl -D $work/pg/data -l $work/pg/log -m fast -w restart"
export LARDER_TEST_MYSQL_RESTART="$work/maria/restart.sh"
# Backend suites fail instead of skipping when a database is missing.
export LARDER_TEST_REQUIRE_ALL_BACKENDS=1

if [[ "${LARDER_KEEP_DATABASES:-}" == 1 ]]; then
  # Development aid: leave the servers running and print how to reach them.
  trap - EXIT
  echo "export LARDER_TEST_POSTGRES_URL=$LARDER_TEST_POSTGRES_URL LARDER_TEST_MYSQL_URL=$LARDER_TEST_MYSQL_URL LARDER_TEST_REQUIRE_ALL_BACKENDS=1 LARDER_TEST_POSTGRES_RESTART='$LARDER_TEST_POSTGRES_RESTART' LARDER_TEST_MYSQL_RESTART='$LARDER_TEST_MYSQL_RESTART'"
  exit 0
fi

cd "$build_dir"
status=0
ctest --output-on-failure -j2 "$@" || status=$?

# The unit and e2e tests again, every binary built with ASan and UBSan (the e2e tests spawn the
# sanitized larder, so a report on the server side fails the test that caused it).
if (($# == 0)) && [[ "${LARDER_TEST_SANITIZE:-}" == 1 ]]; then
  asan_dir="${LARDER_ASAN_BUILD_DIR:-$root/build-asan}"
  echo "run-all: the unit and e2e tests under ASan + UBSan in $asan_dir"
  LARDER_BUILD_DIR="$asan_dir" LARDER_BUILD_TYPE=RelWithDebInfo \
    LARDER_BUILD_TARGETS="larder larderctl larder_free_port registry_test e2e_test http_e2e_test larderctl_test" \
    "$root/deploy/build.sh" -DLARDER_SANITIZE=ON || status=1
  (cd "$asan_dir" && ctest --output-on-failure -j2 -L 'unit|e2e' \
    -E '^(python_client|feast_sdk|deploy_files)') || status=1
fi

# A short fuzzing pass over every parser on a request path (4 s a target, from the seeds).
have_libfuzzer() {
  command -v clang++ >/dev/null &&
    compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null
}
fuzz_build_dir="${LARDER_FUZZ_BUILD_DIR:-$root/build-fuzz}"
if (($# == 0)) && have_libfuzzer && { [[ "${LARDER_TEST_FUZZ:-}" == 1 ]] ||
  [[ "${LARDER_TEST_FUZZ:-}" != 0 && -f "$fuzz_build_dir/build.ninja" ]]; }; then
  echo "run-all: fuzzing each target for ${LARDER_FUZZ_SECONDS:-4} s (LARDER_TEST_FUZZ=0 skips)"
  "$root/tests/fuzz/run-fuzzers.sh" --seconds "${LARDER_FUZZ_SECONDS:-4}" || status=1
fi
exit "$status"
