#!/bin/bash
# otlp_grpc_test.sh APP CASE - OTLP/gRPC without a gRPC library, against a real gRPC server on
# loopback (grpc_receiver.js: npm @grpc/grpc-js serving the official OTLP MetricsService and
# TraceService definitions through @grpc/proto-loader). grpc-js does the HTTP/2, the framing, the
# gzip and the trailers, so a call it hands to the Export handler was a correct gRPC call; each
# message is then decoded again by otlp_decode.js (protobufjs) and checked field by field by
# check_requests.js against the scenario otlp_app.c records, metrics and traces.
#   export  gzip (grpc-js decompressed each message as gzip), the API key as metadata, the
#           grpc-timeout, the Export paths; counters equal what the server decoded
#   retry   metrics: UNAVAILABLE, then RESOURCE_EXHAUSTED with a RetryInfo of 1500 ms, then OK
#           (the retry waits at least the RetryInfo delay though the backoff is 50 ms); traces:
#           UNAVAILABLE then OK; everything delivered, nothing dropped
#   errors  traces: INVALID_ARGUMENT with a message grpc-js percent-encodes: dropped at once
#           (permanent), reported with the decoded message; metrics: RESOURCE_EXHAUSTED without
#           RetryInfo: not retried, dropped; the final snapshot still delivered
#   env     OTEL_EXPORTER_OTLP_PROTOCOL=grpc and OTEL_EXPORTER_OTLP_ENDPOINT (with a path, which
#           gRPC does not use) select gRPC with no option; a partial success is read from the
#           framed response (2 points rejected)
# On main (before OTLP/gRPC) `export`, `retry` and `errors` do not build (no CENSUS_OTLP_GRPC),
# and `env` fails: OTEL_EXPORTER_OTLP_PROTOCOL=grpc was reported as unsupported and HTTP/1.1 sent
# to the gRPC server, which refuses it, so nothing is delivered.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
CASE="$2"

# start_grpc_receiver NAME [args...]: as start_receiver, with grpc_receiver.js.
start_grpc_receiver() {
  local name="$1"
  shift
  mkdir -p "$WORK/$name.raw"
  : > "$WORK/$name.jsonl"
  node "$HERE/grpc_receiver.js" --out "$WORK/$name.jsonl" --raw-dir "$WORK/$name.raw" "$@" \
    > "$WORK/$name.port" 2> "$WORK/$name.err" &
  RECEIVER_PIDS+=($!)
  for _ in $(seq 200); do
    if [ -s "$WORK/$name.port" ]; then break; fi
    sleep 0.05
  done
  PORT="$(jq -r .port "$WORK/$name.port")"
  [ -n "$PORT" ] && [ "$PORT" != null ] || { echo "gRPC receiver did not start"; cat "$WORK/$name.err"; exit 1; }
}

run_app() {
  "$APP" export "$@" --expected "$WORK/spans.json" > "$WORK/stats.json" 2> "$WORK/app.err" \
    || { cat "$WORK/app.err"; fail "otlp_app export"; }
  cat "$WORK/stats.json"
}

# Every recorded call reached the right Export method and was decoded.
check_paths() {
  jq -e -s 'all(.[]; (.signal == "metrics" and .path == "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
                  or (.signal == "traces" and .path == "/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
            and all(.[]; .error == null)' "$WORK/recv.jsonl" > /dev/null || fail "unexpected paths or undecodable calls"
}

# Points and spans the server decoded in delivered (OK or partial) calls.
decoded_points() {
  jq -s '[.[] | select(.signal == "metrics" and (.answer | test("^(OK|partial)"))) | .decoded.resourceMetrics[].scopeMetrics[].metrics[] | (.sum // .gauge // .histogram).dataPoints | length] | add // 0' "$WORK/recv.jsonl"
}
decoded_spans() {
  jq -s '[.[] | select(.signal == "traces" and (.answer | test("^(OK|partial)"))) | .decoded.resourceSpans[].scopeSpans[].spans | length] | add // 0' "$WORK/recv.jsonl"
}

case "$CASE" in
export)
  start_grpc_receiver recv
  run_app "http://127.0.0.1:$PORT" --grpc --gzip --api-key secret-123
  check_paths
  node "$HERE/check_requests.js" --log "$WORK/recv.jsonl" --spans "$WORK/spans.json" \
    --encoding grpc --gzip yes --api-key secret-123
  # The default timeout (10 s) went as grpc-timeout: grpc-js set the call's deadline from it.
  jq -e -s 'all(.[]; .deadlineMs != null and .deadlineMs > 8000 and .deadlineMs <= 10000)' \
    "$WORK/recv.jsonl" > /dev/null || fail "grpc-timeout not applied by the server"
  p=$(decoded_points); s=$(decoded_spans)
  jq -e --argjson p "$p" --argjson s "$s" '
    .metrics.items_delivered == $p and .metrics.requests_delivered == 2 and .metrics.retries == 0
    and .metrics.items_dropped == 0 and .traces.items_delivered == $s and $s == 3
    and .traces.items_dropped == 0 and .shutdown == "CENSUS_OK" and .stop == "CENSUS_OK"' \
    "$WORK/stats.json" > /dev/null || fail "counters do not match the decoded calls (points=$p spans=$s)"
  ;;
retry)
  start_grpc_receiver recv --metrics-script UNAVAILABLE,EXHAUSTED:1500 --traces-script UNAVAILABLE
  run_app "http://127.0.0.1:$PORT" --grpc --initial-backoff-ms 50
  check_paths
  node "$HERE/check_requests.js" --log "$WORK/recv.jsonl" --spans "$WORK/spans.json" --encoding grpc --gzip no
  # The metrics calls: UNAVAILABLE, RESOURCE_EXHAUSTED (RetryInfo 1500 ms), then OK at least
  # 1500 ms later although the backoff is at most 200 ms.
  jq -e -s '[.[] | select(.signal == "metrics")] as $m
    | ($m | map(.answer)) == ["UNAVAILABLE", "EXHAUSTED:1500", "OK", "OK"]
    and ($m[2].time - $m[1].time) >= 1500
    and ([.[] | select(.signal == "traces") | .answer] == ["UNAVAILABLE", "OK"])' \
    "$WORK/recv.jsonl" > /dev/null || fail "call sequence or RetryInfo delay not as scripted"
  p=$(decoded_points)
  jq -e --argjson p "$p" '
    .metrics.retries == 2 and .metrics.attempts == 4 and .metrics.requests_delivered == 2
    and .metrics.items_delivered == $p and .metrics.items_dropped == 0
    and .traces.retries == 1 and .traces.items_delivered == 3 and .traces.items_dropped == 0
    and .shutdown == "CENSUS_OK"' "$WORK/stats.json" > /dev/null || fail "retry counters"
  ;;
errors)
  start_grpc_receiver recv --metrics-script EXHAUSTED --traces-script INVALID
  run_app "http://127.0.0.1:$PORT" --grpc --initial-backoff-ms 50
  check_paths
  grep -q 'otlp traces: dropped a request of 3 items: permanent failure .*grpc-status 3 (INVALID_ARGUMENT): bad data: 100% wrong "x"' \
    "$WORK/app.err" || { cat "$WORK/app.err"; fail "the trailer error was not reported, decoded"; }
  grep -q 'otlp metrics: dropped a request of .* permanent failure .*grpc-status 8 (RESOURCE_EXHAUSTED): scripted quota (no RetryInfo: not retried)' \
    "$WORK/app.err" || { cat "$WORK/app.err"; fail "RESOURCE_EXHAUSTED without RetryInfo not reported as final"; }
  p=$(decoded_points)
  jq -e --argjson p "$p" '
    .traces.attempts == 1 and .traces.requests_dropped == 1 and .traces.items_dropped == 3
    and .traces.items_delivered == 0
    and .metrics.attempts == 2 and .metrics.retries == 0 and .metrics.requests_dropped == 1
    and .metrics.requests_delivered == 1 and .metrics.items_delivered == $p
    and .stop == "CENSUS_EEXPORT"' "$WORK/stats.json" > /dev/null || fail "error counters"
  ;;
env)
  start_grpc_receiver recv --metrics-script partial:2:two-refused
  OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PORT/not/used" \
    run_app "http://unused.invalid" --env-endpoint
  check_paths
  node "$HERE/check_requests.js" --log "$WORK/recv.jsonl" --spans "$WORK/spans.json" --encoding grpc --gzip no
  grep -q 'partial success: 2 data points rejected: two-refused' "$WORK/app.err" \
    || { cat "$WORK/app.err"; fail "partial success not reported"; }
  jq -e '.metrics.items_rejected == 2 and .metrics.requests_delivered == 2
    and .traces.items_delivered == 3 and .metrics.items_dropped == 0' "$WORK/stats.json" > /dev/null \
    || fail "env counters"
  ;;
*)
  fail "unknown case $CASE"
  ;;
esac
echo "otlp_grpc_$CASE: ok"
