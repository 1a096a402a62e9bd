#!/usr/bin/env bash
# exit_test.sh - "nothing lost at exit": runs exit_child in one MODE and proves, with jq as an
# independent JSON decoder, that its stdout-exporter output accounts for every value recorded.
#
# Usage: exit_test.sh EXIT_CHILD MODE
#        (MODE: return, exit, return_live_threads, sigterm, sigint, fork)
#
# exit_child (see exit_child.c) exports on an hour's interval, so whatever reaches the output got
# there through the flush at the end. The checks, per output file:
#   - at least one line, the file ends with a newline, and every line is a JSON object;
#   - for each of the views exit/count (COUNT) and exit/sum (SUM): at least one line, every line
#     has tags {"mode": MODE} and no overflow, counts never decrease from one export to the next
#     (export is cumulative), and the last line, which holds the total, has count K and, for the
#     SUM view, sum K(K+1)/2;
#   - exactly K spans "exit/item", one per value (their value attributes are distinct and sum to
#     K(K+1)/2), all held in the span queue until the final flush;
#   - the exit status: 0, or death by the signal in the sigterm and sigint modes (shell status
#     143 and 130).
# In the fork mode the parent records P values before forking and the child K; each output must
# hold exactly its own process's data (no double export), and the child's collection window must
# start after the parent's (view start times reset at fork).
set -euo pipefail
shopt -s inherit_errexit

readonly K=10000
readonly P=3000

child=${1:?usage: exit_test.sh EXIT_CHILD MODE}
mode=${2:?usage: exit_test.sh EXIT_CHILD MODE}
command -v jq >/dev/null || { echo "exit_test: jq is required (Debian package jq)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/census-exit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Prints a failure with the evidence (the outputs, shortened) and exits 1.
fail() {
  echo "exit_test[$mode]: FAIL: $*" >&2
  for f in "$work"/*; do
    [ -f "$f" ] || continue
    echo "--- $(basename "$f") ($(wc -l <"$f") lines), first and last 5 lines:" >&2
    head -n 5 "$f" >&2
    echo "..." >&2
    tail -n 5 "$f" >&2
  done
  exit 1
}

# check_view FILE VIEW AGGREGATION COUNT [SUM]: the per-view checks described at the top.
check_view() {
  local file=$1 view=$2 aggregation=$3 count=$4 sum=${5:-}
  local summary
  summary=$(jq -s -r --arg view "$view" --arg mode "$mode" '
      [.[] | select(.view == $view)] as $rows
      | if ($rows | length) == 0 then "missing"
        else [($rows | length),
              ($rows | all(.tags == {"mode": $mode} and .overflow == false
                           and .aggregation == ($rows[0].aggregation))),
              ([$rows[].count] == ([$rows[].count] | sort)),
              ($rows | last | .aggregation), ($rows | last | .count),
              ($rows | last | .sum // "none")]
             | map(tostring) | join(" ")
        end' "$file") || fail "jq could not read $file"
  [ "$summary" != missing ] || fail "no line for view $view in $(basename "$file")"
  local lines tags_ok monotonic got_aggregation got_count got_sum
  read -r lines tags_ok monotonic got_aggregation got_count got_sum <<<"$summary"
  [ "$tags_ok" = true ] || fail "$view: a line has tags other than {\"mode\":\"$mode\"}, overflow, or a changed aggregation"
  [ "$monotonic" = true ] || fail "$view: the count decreased between exports"
  [ "$got_aggregation" = "$aggregation" ] || fail "$view: aggregation $got_aggregation, expected $aggregation"
  [ "$got_count" = "$count" ] || fail "$view: final count $got_count, expected $count ($lines line(s))"
  if [ -n "$sum" ]; then
    [ "$got_sum" = "$sum" ] || fail "$view: final sum $got_sum, expected $sum"
  fi
}

# check_spans FILE COUNT SUM: exactly COUNT "exit/item" spans, with distinct values summing to SUM
# (each value's span exported once, none lost, none from the other process).
check_spans() {
  local file=$1 count=$2 sum=$3 summary
  summary=$(jq -s -r '[.[] | select(.span == "exit/item") | .attributes.value]
      | "\(length) \(unique | length) \(add // 0)"' "$file") || fail "jq could not read $file"
  local spans distinct got_sum
  read -r spans distinct got_sum <<<"$summary"
  [ "$spans" = "$count" ] && [ "$distinct" = "$count" ] && [ "$got_sum" = "$sum" ] ||
    fail "$(basename "$file"): $spans exit/item spans ($distinct distinct values, sum $got_sum), expected $count (sum $sum)"
}

# check_output FILE COUNT SUM: the whole-file checks, then both views and the spans.
check_output() {
  local file=$1 count=$2 sum=$3
  [ -s "$file" ] || fail "$(basename "$file") is empty: nothing was exported"
  [ -z "$(tail -c 1 "$file")" ] || fail "$(basename "$file") does not end with a newline"
  jq -R -s -e 'split("\n")[:-1] | length > 0 and all(.[]; fromjson | type == "object")' \
    "$file" >/dev/null || fail "$(basename "$file"): a line is not a JSON object"
  check_view "$file" exit/count count "$count"
  check_view "$file" exit/sum sum "$count" "$sum"
  check_spans "$file" "$count" "$sum"
}

# The start_time_unix_nano of the last exit/count line, as written. Taken from the text because
# jq 1.6 holds numbers as doubles and would print a 19-digit nanosecond time in exponent form.
last_start_ns() {
  grep '"view":"exit/count"' "$1" | tail -n 1 | sed -E 's/.*"start_time_unix_nano":([0-9]+).*/\1/'
}

sum_to() { echo $(($1 * ($1 + 1) / 2)); }

out=$work/out.jsonl
err=$work/stderr.txt
case $mode in
return | exit | return_live_threads)
  status=0
  timeout 30 "$child" "$mode" "$K" >"$out" 2>"$err" || status=$?
  [ "$status" -eq 0 ] || fail "exit status $status, expected 0; stderr: $(cat "$err")"
  check_output "$out" "$K" "$(sum_to $K)"
  ;;
sigterm | sigint)
  signal=${mode#sig}
  signal=${signal^^}
  expected_status=$((128 + $(kill -l "$signal")))
  "$child" "$mode" "$K" >"$out" 2>"$err" &
  pid=$!
  for _ in $(seq 200); do
    grep -q '^ready$' "$err" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q '^ready$' "$err" || { kill -KILL "$pid" 2>/dev/null || true; fail "child never said ready; stderr: $(cat "$err")"; }
  kill -s "$signal" "$pid"
  # Give the flush up to 15 s (census bounds it at 5 s by default), then give up.
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    fail "child still alive 15 s after SIG$signal"
  fi
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq "$expected_status" ] ||
    fail "exit status $status, expected $expected_status (death by SIG$signal); stderr: $(cat "$err")"
  check_output "$out" "$K" "$(sum_to $K)"
  ;;
fork)
  child_out=$work/child.jsonl
  status=0
  timeout 30 "$child" fork "$K" "$P" "$child_out" >"$out" 2>"$err" || status=$?
  [ "$status" -eq 0 ] || fail "exit status $status, expected 0; stderr: $(cat "$err")"
  check_output "$out" "$P" "$(sum_to $P)"
  check_output "$child_out" "$K" "$(sum_to $K)"
  parent_start=$(last_start_ns "$out")
  child_start=$(last_start_ns "$child_out")
  [[ "$parent_start" =~ ^[0-9]+$ && "$child_start" =~ ^[0-9]+$ ]] ||
    fail "cannot read start times (parent '$parent_start', child '$child_start')"
  [ "$child_start" -gt "$parent_start" ] ||
    fail "child's window starts at $child_start, not after the parent's $parent_start"
  ;;
*)
  echo "exit_test: unknown mode '$mode'" >&2
  exit 2
  ;;
esac
echo "exit_test[$mode]: ok"
