#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in build-fuzz/) and fuzzes each for a while,
# starting from its checked-in seeds (tests/fuzz/corpus/<target>/). New inputs go to a scratch
# corpus, not to the checked-in one; a crash leaves its input in the artifacts directory and
# fails the run. Prints each target's executions, coverage (edges) and corpus size.
#
# Usage: tests/fuzz/run-fuzzers.sh [--seconds N] [--no-build] [--keep DIR] [TARGET...]
#   --seconds N   fuzzing time per target (default 60)
#   --no-build    use what build-fuzz/ holds
#   --keep DIR    keep corpora and artifacts under DIR (default: a temporary directory)
# LARDER_FUZZ_BUILD_DIR overrides build-fuzz/. CPU-heavy: runs under nice -n 19, and builds
# under the shared build lock when /tmp/larder-build.lock exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir="${LARDER_FUZZ_BUILD_DIR:-$root/build-fuzz}"
all_targets=(bearer_fuzzer static_tokens_fuzzer database_url_fuzzer feast_error_fuzzer jwks_fuzzer
  jwt_fuzzer service_fuzzer)
seconds=60
build=1
keep=""
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep="$2"; shift 2 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

if ((build)); then
  if [[ ! -f "$build_dir/build.ninja" ]]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DLARDER_FUZZ=ON -DLARDER_WERROR=OFF >/dev/null
  fi
  lock=()
  [[ -e /tmp/larder-build.lock ]] && lock=(flock /tmp/larder-build.lock)
  "${lock[@]}" nice -n 19 cmake --build "$build_dir" -j "${LARDER_JOBS:-2}" \
    $(printf -- '--target %s ' "${targets[@]}")
fi

work="${keep:-$(mktemp -d /tmp/larder-fuzz.XXXXXX)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
failed=0
printf '%-22s %12s %8s %8s %s\n' target executions edges corpus result
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  log="$work/$target.log"
  result=ok
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: the default 2 GB, explicit.
  if ! nice -n 19 "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1; then
    result="FAILED (see $log, input in $artifacts)"
    failed=1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
  printf '%-22s %12s %8s %8s %s\n' "$target" "${executions:-?}" "${edges:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$result"
  if [[ $result != ok ]]; then
    grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -n 5 >&2 || true
    [[ -n "$keep" ]] || cp -r "$artifacts" "/tmp/larder-fuzz-artifacts-$target" 2>/dev/null || true
  fi
done
exit "$failed"
