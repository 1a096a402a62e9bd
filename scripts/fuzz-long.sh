#!/usr/bin/env bash
# Sustained fuzzing (issue 19): builds the libFuzzer targets as scripts/fuzz.sh does (clang,
# ASan+UBSan, build-fuzz/) and runs every target, one after the other, for SECONDS each (default
# 600: ten minutes; make test's fuzz step runs them 15 s each instead). Each run starts from the
# seed corpus tests/fuzz/corpus/<target>/ plus what earlier runs kept in
# build-fuzz/fuzz-corpus/<target>/, and writes a crash, leak or timeout input to
# build-fuzz/fuzz-artifacts/<target>/. At the end it prints one line per target: executions,
# corpus size, result; it exits 1 if any target failed.
#
# Usage: scripts/fuzz-long.sh [--seconds N] [--update-corpus] [TARGET...]
#   --seconds N       seconds per target (also CENSUS_FUZZ_LONG_SECONDS)
#   --update-corpus   afterwards, merge into tests/fuzz/corpus/<target>/ the inputs that add
#                     coverage (libFuzzer -merge=1), to be reviewed and committed
#   TARGET...         only these (names without fuzz_, e.g. url spool); default: all
# A crash found: reproduce it with build-fuzz/tests/fuzz_<target> <artifact>, fix the code, then
# copy the artifact to tests/fuzz/corpus/<target>/repro-<what-it-broke> so that every later run
# (and make test's) replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${CENSUS_FUZZ_LONG_SECONDS:-600}"
update=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --update-corpus) update=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "fuzz-long.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*|0) echo "fuzz-long.sh: --seconds wants a positive number of seconds, not '$seconds'" >&2; exit 2 ;;
esac
if ! command -v clang >/dev/null; then
  echo "fuzz-long.sh: clang is required (apt-get install clang)" >&2
  exit 1
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCENSUS_SANITIZE=address \
  -DCENSUS_BUILD_FUZZ=ON -DCENSUS_BUILD_BENCH=OFF -DCENSUS_BUILD_EXAMPLES=OFF > /dev/null
all=$(cd build-fuzz && ctest -N -L fuzz | sed -n 's/^ *Test *#[0-9]*: fuzz_\(.*\)$/\1/p')
targets=()
if [ ${#only[@]} -eq 0 ]; then
  read -r -a targets <<< "$(echo $all)"
else
  for t in "${only[@]}"; do
    if ! grep -qx "$t" <<< "$all"; then
      echo "fuzz-long.sh: no fuzz target '$t'; the targets are: $(echo $all)" >&2
      exit 2
    fi
    targets+=("$t")
  done
fi
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
summary=()
failed=0
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/$t"
  kept="build-fuzz/fuzz-corpus/$t"
  artifacts="build-fuzz/fuzz-artifacts/$t"
  log="build-fuzz/fuzz-long-$t.log"
  mkdir -p "$kept" "$artifacts" "$seeds"
  echo "fuzz-long.sh: fuzz_$t for $seconds s (log: $log)"
  result=ok
  if ! "build-fuzz/tests/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$kept" "$seeds" > "$log" 2>&1; then
    result="FAILED: $(ls -t "$artifacts" | head -1 | sed "s|^|$artifacts/|") (see $log)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$update" = 1 ] && [ "$result" = ok ]; then
    "build-fuzz/tests/fuzz_$t" -merge=1 -max_len=16384 "$seeds" "$kept" >> "$log" 2>&1
  fi
  summary+=("$(printf '%-18s %6s s %12s executions %6s inputs kept  %s' "fuzz_$t" "$seconds" \
    "${runs:-?}" "$(ls "$kept" | wc -l)" "$result")")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
