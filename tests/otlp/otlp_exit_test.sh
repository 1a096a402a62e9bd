#!/bin/bash
# otlp_exit_test.sh APP CASE - the exit-path matrix: how each ending of a process treats a
# healthy and a broken OTLP backend, against otlp_receiver.js on loopback, which decodes every
# request with protobufjs and the official OTLP .proto files; exit_summary.js then sums what
# arrived per process (resource process.pid). APP is otlp_exit_app (see its file comment: K =
# 100000 values in 7 series per view, 1200 spans); the exit flush deadline is 2 s.
#
# CASE is TRACES_ENDING or one of the cases below.
#   TRACES: dead (nothing listens: connection refused, retried) or hung (the backend accepts and
#           never answers); the metrics endpoint is healthy (it answers 200 after 250 ms).
#   ENDING: return, exit, sigterm (census_signal_flush_install), shutdown (census_shutdown).
#   Proves, for each: every measurement reaches the healthy metrics backend (exact count and sum
#   decoded, the exporter counts the request delivered and nothing dropped) whatever the traces
#   backend does; the process ends within the deadline plus a margin; and the 1200 spans the
#   traces backend never got are counted as dropped (3 requests), at exit and on SIGTERM with
#   exactly one diagnostic line "otlp traces: exit deadline reached, 3 requests (1200 items) not
#   delivered" (reason exit_deadline), at census_shutdown() by the shutdown (CENSUS_ETIMEDOUT).
#   Fails on the main branch before this change: the traces flush took the whole deadline first,
#   so the metrics snapshot was never confirmed delivered (dropped at shutdown), and nothing was
#   counted or reported at exit.
# down_return, down_sigterm: both backends dead through the exit deadline. Proves: the abandoned
#   counts equal what was handed over (metrics: 1 request of 14 points; traces: 3 requests, 1200
#   spans = the spans recorded), in the counters and in one diagnostic line per signal. Fails on
#   main: items_dropped stayed 0 and no line was written.
# flush_status: census_flush() and census_shutdown() against a hung traces backend return
#   CENSUS_ETIMEDOUT (main returned CENSUS_EEXPORT) while the metrics still arrive; a permanent
#   failure (HTTP 400) alone gives CENSUS_EEXPORT; both at once give CENSUS_ETIMEDOUT (it wins),
#   also from census_otlp_exporter_stop() (main: CENSUS_EEXPORT).
# fork: the parent delivers half the data, forks; the child records its own. Proves: the child's
#   requests carry the child's process.pid (main: the parent's) with exactly the child's totals,
#   the parent's carry the parent's, and the child's counters start at zero (main: the parent's
#   pre-fork counts) and count exactly its own requests.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
CASE="$2"
DEADLINE_MS=2000
K=100000
SUM_K=$((K * (K + 1) / 2))
DIAG_TRACES="otlp traces: exit deadline reached, 3 requests (1200 items) not delivered"
DIAG_METRICS="otlp metrics: exit deadline reached, 1 requests (14 items) not delivered"

# run MODE METRICS_URL TRACES_URL: runs the app (SIGTERM sent once it is ready in sigterm mode)
# with the deadline DEADLINE_MS (a caller may set it for one call: DEADLINE_MS=N run ...);
# report lines in $WORK/report, stderr in $WORK/err, exit status in STATUS, wall time in ELAPSED_MS.
run() {
  local mode="$1" start
  start=$(date +%s%N)
  STATUS=0
  if [ "$mode" = sigterm ]; then
    "$APP" "$mode" "$2" "$3" --deadline-ms "$DEADLINE_MS" > "$WORK/report" 2> "$WORK/err" &
    local pid=$!
    for _ in $(seq 200); do
      grep -q '^ready$' "$WORK/err" && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    grep -q '^ready$' "$WORK/err" || { kill -KILL "$pid" 2>/dev/null; fail "$CASE: app never ready: $(cat "$WORK/err")"; }
    start=$(date +%s%N)
    kill -TERM "$pid"
    wait "$pid" || STATUS=$?
  else
    timeout 30 "$APP" "$mode" "$2" "$3" --deadline-ms "$DEADLINE_MS" > "$WORK/report" 2> "$WORK/err" || STATUS=$?
  fi
  ELAPSED_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}
line() { jq -c "select(.mode == \"$1\")" "$WORK/report" | tail -n 1; }
expect() { # JSON JQ-EXPRESSION DESCRIPTION
  jq -e "$2" <<< "$1" > /dev/null || { echo "$1"; cat "$WORK/err" >&2; fail "$CASE: $3"; }
}
diag_count() { grep -cF "diag: CENSUS_EEXPORT: $1" "$WORK/err" || true; }
summary() { node "$HERE/exit_summary.js" "$WORK/$1.jsonl" || fail "$CASE: receiver log did not decode"; }

# The healthy metrics backend got the whole snapshot of process PID in REQUESTS requests (the
# last holds the totals): exact count and sum decoded, and the report (JSON) counts one request
# delivered with all its points, nothing dropped.
check_metrics_delivered() { # SUMMARY PID REPORT REQUESTS
  local s="$1" pid="$2" report="$3" requests="$4"
  expect "$s" ".\"$pid\".metrics_requests == $requests and .\"$pid\".count == $K
    and .\"$pid\".sum == $SUM_K and .\"$pid\".count_rows == 7 and .\"$pid\".service == \"otlp-exit\"" \
    "metrics backend: $requests request(s), the last with count $K and sum $SUM_K in 7 series"
  local points
  points=$(jq ".\"$pid\".points" <<< "$s")
  expect "$report" ".metrics.items_delivered == $points and .metrics.requests_delivered == 1
    and .metrics.items_dropped == 0 and .metrics.requests_dropped == 0" \
    "metrics counted delivered ($points points), nothing dropped"
}

case "$CASE" in
dead_* | hung_*)
  traces=${CASE%%_*}
  ending=${CASE#*_}
  if [ "$traces" = dead ]; then
    start_receiver rcv --metrics-script slow:250
    TRACES_URL="http://127.0.0.1:$(free_port)/v1/traces"
  else
    start_receiver rcv --metrics-script slow:250 --traces-script hang,hang,hang,hang
    TRACES_URL="http://127.0.0.1:$PORT/v1/traces"
  fi
  run "$ending" "http://127.0.0.1:$PORT/v1/metrics" "$TRACES_URL"
  if [ "$ending" = sigterm ]; then want=143; else want=0; fi
  [ "$STATUS" -eq "$want" ] || fail "$CASE: exit status $STATUS, expected $want; $(cat "$WORK/err")"
  [ "$ELAPSED_MS" -lt $((DEADLINE_MS + 4000)) ] || fail "$CASE: took $ELAPSED_MS ms (deadline $DEADLINE_MS ms)"
  report=$(line "$ending")
  [ -n "$report" ] || fail "$CASE: no report; stderr: $(cat "$WORK/err")"
  pid=$(jq .pid <<< "$report")
  s=$(summary rcv)
  check_metrics_delivered "$s" "$pid" "$report" 1
  expect "$s" "(.\"$pid\".traces_requests // 0) == 0" "the traces backend delivered nothing"
  expect "$report" '.traces.items_dropped == 1200 and .traces.requests_dropped == 3
    and .traces.items_delivered == 0' "the 1200 spans counted as dropped"
  if [ "$ending" = shutdown ]; then
    expect "$report" '.status == "CENSUS_ETIMEDOUT"' "census_shutdown() status"
    [ "$(diag_count "otlp traces: exit deadline")" -eq 0 ] || fail "$CASE: exit-deadline line at shutdown"
  else
    [ "$(diag_count "$DIAG_TRACES")" -eq 1 ] || fail "$CASE: expected one line \"$DIAG_TRACES\"; stderr: $(cat "$WORK/err")"
  fi
  [ "$(diag_count "otlp metrics: exit deadline")" -eq 0 ] || fail "$CASE: metrics reported abandoned"
  ;;
down_return | down_sigterm)
  ending=${CASE#down_}
  run "$ending" "http://127.0.0.1:$(free_port)/v1/metrics" "http://127.0.0.1:$(free_port)/v1/traces"
  if [ "$ending" = sigterm ]; then want=143; else want=0; fi
  [ "$STATUS" -eq "$want" ] || fail "$CASE: exit status $STATUS, expected $want; $(cat "$WORK/err")"
  [ "$ELAPSED_MS" -lt $((DEADLINE_MS + 4000)) ] || fail "$CASE: took $ELAPSED_MS ms"
  report=$(line "$ending")
  [ -n "$report" ] || fail "$CASE: no report; stderr: $(cat "$WORK/err")"
  expect "$report" '.metrics.items_dropped == 14 and .metrics.requests_dropped == 1
    and .metrics.items_delivered == 0 and .traces.items_dropped == 1200
    and .traces.requests_dropped == 3 and .traces.items_delivered == 0' \
    "abandoned counts equal what was handed over (14 points, 1200 spans)"
  [ "$(diag_count "$DIAG_METRICS")" -eq 1 ] || fail "$CASE: expected one line \"$DIAG_METRICS\"; stderr: $(cat "$WORK/err")"
  [ "$(diag_count "$DIAG_TRACES")" -eq 1 ] || fail "$CASE: expected one line \"$DIAG_TRACES\"; stderr: $(cat "$WORK/err")"
  ;;
flush_status)
  # (a) hung traces, healthy metrics: census_flush and census_shutdown time out.
  start_receiver a --metrics-script slow:250 --traces-script hang,hang,hang,hang
  run flush_shutdown "http://127.0.0.1:$PORT/v1/metrics" "http://127.0.0.1:$PORT/v1/traces"
  [ "$STATUS" -eq 0 ] || fail "$CASE (a): exit status $STATUS; $(cat "$WORK/err")"
  flush=$(line flush)
  expect "$flush" '.status == "CENSUS_ETIMEDOUT"' "(a) census_flush() with a hung traces backend"
  # Two snapshots: census_flush()'s and census_shutdown()'s (same totals).
  check_metrics_delivered "$(summary a)" "$(jq .pid <<< "$flush")" "$flush" 2
  expect "$(line shutdown)" '.status == "CENSUS_ETIMEDOUT" and .traces.items_dropped == 1200' \
    "(a) census_shutdown() with a hung traces backend"
  # (b) a permanent failure of the metrics backend alone: EEXPORT. Nothing hangs, so a long
  # deadline costs nothing and keeps a slow machine from turning the answer into ETIMEDOUT.
  start_receiver b --metrics-script 400
  DEADLINE_MS=20000 run flush_shutdown "http://127.0.0.1:$PORT/v1/metrics" "http://127.0.0.1:$PORT/v1/traces"
  expect "$(line flush)" '.status == "CENSUS_EEXPORT" and .metrics.items_dropped == 14
    and .traces.items_delivered == 1200' "(b) census_flush() after an HTTP 400"
  expect "$(line shutdown)" '.status == "CENSUS_OK"' "(b) census_shutdown() once the backend accepts"
  # (c) both: ETIMEDOUT wins, in census_flush() and in census_otlp_exporter_stop().
  start_receiver c --metrics-script 400 --traces-script hang,hang,hang,hang
  run flush_stop "http://127.0.0.1:$PORT/v1/metrics" "http://127.0.0.1:$PORT/v1/traces"
  expect "$(line flush)" '.status == "CENSUS_ETIMEDOUT" and .metrics.items_dropped == 14' \
    "(c) census_flush() with a 400 and a hung backend"
  expect "$(line stop)" '.status == "CENSUS_ETIMEDOUT"' "(c) census_otlp_exporter_stop()"
  ;;
fork)
  start_receiver rcv
  run fork "http://127.0.0.1:$PORT/v1/metrics" "http://127.0.0.1:$PORT/v1/traces"
  [ "$STATUS" -eq 0 ] || fail "fork: exit status $STATUS; $(cat "$WORK/err")"
  child=$(line fork-child)
  parent=$(line fork)
  [ -n "$child" ] && [ -n "$parent" ] || fail "fork: missing report lines: $(cat "$WORK/report")"
  cpid=$(jq .pid <<< "$child")
  ppid=$(jq .pid <<< "$parent")
  [ "$cpid" != "$ppid" ] || fail "fork: same pid"
  s=$(summary rcv)
  expect "$s" ".\"$cpid\".count == 3000 and .\"$cpid\".sum == 4501500 and .\"$cpid\".spans == 300
    and .\"$cpid\".span_names == {\"exit/child-span\": 300} and .\"$cpid\".distinct_spans == 300" \
    "the child's requests carry its own pid, with exactly its own data"
  expect "$s" ".\"$ppid\".count == 50000 and .\"$ppid\".sum == 1250025000 and .\"$ppid\".spans == 600
    and .\"$ppid\".span_names == {\"exit/parent-span\": 600}" \
    "the parent's requests carry its pid, with exactly its data"
  expect "$s" "keys == ([\"$cpid\", \"$ppid\"] | sort)" "no request from another pid"
  expect "$child" '[.before.metrics, .before.traces] | map(to_entries | map(.value) | add) | add == 0' \
    "the child's counters start at zero"
  cpoints=$(jq ".\"$cpid\".points" <<< "$s")
  expect "$child" ".status == \"CENSUS_OK\" and .after.metrics.requests_delivered == 1
    and .after.metrics.items_delivered == $cpoints and .after.traces.requests_delivered == 1
    and .after.traces.items_delivered == 300 and .after.metrics.attempts == 1
    and .after.traces.attempts == 1" "the child's counters count exactly its own requests"
  expect "$parent" '.traces.items_delivered == 600 and .traces.items_dropped == 0
    and .metrics.items_dropped == 0' "the parent's counters"
  ;;
*)
  echo "otlp_exit_test: unknown case $CASE" >&2
  exit 2
  ;;
esac
echo "otlp_exit[$CASE]: ok"
