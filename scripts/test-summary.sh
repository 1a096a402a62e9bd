#!/usr/bin/env bash
# Adds up the CTest results of the given build directories (their ctest.log, or for the Python
# binding's directory its pytest.log) and prints one
# closing line, "N passed, N failed", for the whole `make test` run. Exits non-zero if any test
# failed or if no test ran at all (a suite that runs nothing proves nothing).
set -euo pipefail
passed=0 failed=0
for dir in "$@"; do
  if [ -f "$dir/pytest.log" ] && [ ! -f "$dir/ctest.log" ]; then
    # pytest's closing line, e.g. "==== 40 passed, 1 skipped in 90.1s ====" (or "2 failed, ...").
    line=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$dir/pytest.log" | tail -n 1 || true)
    if [ -z "$line" ]; then
      echo "test-summary: no pytest result in $dir/pytest.log" >&2
      exit 1
    fi
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    f=$(( $(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '[0-9]+' | paste -sd+ - || echo 0) + 0 ))
    echo "test-summary: $dir: $p of $((p + f)) passed (pytest)"
    passed=$((passed + p))
    failed=$((failed + f))
    continue
  fi
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$dir/ctest.log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    echo "test-summary: no CTest result in $dir/ctest.log" >&2
    exit 1
  fi
  f=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  echo "test-summary: $dir: $((t - f)) of $t passed"
  passed=$((passed + t - f))
  failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
