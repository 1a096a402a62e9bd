#!/bin/bash
# otlp_delta_test.sh APP CASE - delta temporality end to end: otlp_delta_app records a known
# sequence while exporting deltas every 150 ms; the receiver decodes every request with the
# official .proto files, and delta_sum.js sums the delta points it accepted, as a backend would,
# and requires exactly the totals the app recorded, DELTA temporality on counters and the
# histogram, no point for an empty interval and no interval covered twice.
#   outage  the backend answers 503 to 15 attempts in a row after two exports: the request in
#           flight is retried while each new export replaces the queued one (counted superseded),
#           then everything is delivered; nothing dropped, the sums exact
#   grpc    the same over OTLP/gRPC (UNAVAILABLE x 8) to a real gRPC server
#   env     OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=LowMemory (no option; the value is
#           case-insensitive) selects deltas
#   spool   process 1 exports to a dead backend with a spool and a 1.5 s shutdown deadline: what it
#           holds is spooled; process 2 (other values) delivers the spool first, then its own
#           deltas: the receiver's sums are both processes' totals
# On main the temporality option does not exist (the app does not build); with the variable alone
# (env) main reported delta as unsupported and sent cumulative points (temporality 2), whose sum
# is far above the recorded totals: delta_sum.js fails there.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
CASE="$2"

start_grpc_receiver() {
  mkdir -p "$WORK/recv.raw"
  : > "$WORK/recv.jsonl"
  node "$HERE/grpc_receiver.js" --out "$WORK/recv.jsonl" --raw-dir "$WORK/recv.raw" "$@" \
    > "$WORK/recv.port" 2> "$WORK/recv.err" &
  RECEIVER_PIDS+=($!)
  for _ in $(seq 200); do
    if [ -s "$WORK/recv.port" ]; then break; fi
    sleep 0.05
  done
  PORT="$(jq -r .port "$WORK/recv.port")"
}

repeat() { local out=""; for _ in $(seq "$2"); do out="$out,$1"; done; echo "${out#,}"; }

run() { # run NAME args...: the app's JSON line in $WORK/NAME.json
  local name="$1"
  shift
  "$APP" "$@" > "$WORK/$name.json" 2> "$WORK/$name.err" || { cat "$WORK/$name.err"; fail "$name"; }
  cat "$WORK/$name.json"
}

case "$CASE" in
outage)
  start_receiver recv --metrics-script "200,200,$(repeat 503 15)"
  run app "http://127.0.0.1:$PORT" 60
  node "$HERE/delta_sum.js" --log "$WORK/recv.jsonl" --expected "$WORK/app.json"
  jq -e '.stats.items_dropped == 0 and .stats.retries >= 15 and .stats.requests_superseded >= 1
    and .shutdown == "CENSUS_OK"' "$WORK/app.json" > /dev/null \
    || fail "expected retries through the outage, a replaced queued request, nothing dropped"
  ;;
grpc)
  start_grpc_receiver --metrics-script "OK,OK,$(repeat UNAVAILABLE 8)"
  run app "http://127.0.0.1:$PORT" 60 --grpc
  node "$HERE/delta_sum.js" --log "$WORK/recv.jsonl" --expected "$WORK/app.json"
  jq -e '.stats.items_dropped == 0 and .stats.retries >= 8' "$WORK/app.json" > /dev/null \
    || fail "expected retries and nothing dropped"
  ;;
env)
  start_receiver recv
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=LowMemory run app "http://127.0.0.1:$PORT" 30 --env
  node "$HERE/delta_sum.js" --log "$WORK/recv.jsonl" --expected "$WORK/app.json"
  ! grep -q "TEMPORALITY" "$WORK/app.err" || { cat "$WORK/app.err"; fail "the preference was reported"; }
  ;;
spool)
  mkdir -p "$WORK/spool"
  dead=$(free_port)
  run app1 "http://127.0.0.1:$dead" 30 --spool "$WORK/spool" --stop-timeout-ms 1500
  jq -e '.stats.requests_spooled >= 1 and .stats.requests_delivered == 0' "$WORK/app1.json" \
    > /dev/null || fail "process 1 spooled nothing"
  # Process 2 sends to the same endpoint (the spool is scoped by URL): a receiver on that port.
  start_receiver recv --port "$dead"
  run app2 "http://127.0.0.1:$dead" 30 --spool "$WORK/spool" --offset 1000
  jq -e --slurpfile one "$WORK/app1.json" '.stats.requests_from_spool == $one[0].stats.requests_spooled
    and .stats.items_dropped == 0' "$WORK/app2.json" > /dev/null \
    || fail "process 2 did not deliver every spooled request"
  node "$HERE/delta_sum.js" --log "$WORK/recv.jsonl" --expected "$WORK/app1.json" \
    --expected "$WORK/app2.json"
  ;;
*)
  fail "unknown case $CASE"
  ;;
esac
echo "otlp_delta_$CASE: ok"
