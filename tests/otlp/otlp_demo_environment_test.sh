#!/bin/bash
# otlp_demo_environment_test.sh DEMO - the demo configured by nothing but OpenTelemetry's
# environment variables (census_autoconfigure(); no exporter, sampler or propagation option on
# its command line, only --duration-s for how long it runs): OTLP to a loopback receiver
# (otlp_receiver.js, protobufjs with the official definitions), Prometheus on a chosen port, a
# ratio sampler, B3 propagation. Proves, from what arrives:
#   - OTEL_METRICS_EXPORTER=otlp,prometheus / OTEL_TRACES_EXPORTER=otlp replace the demo's
#     defaults: nothing on standard output (no console exporter), metrics and spans over OTLP
#     under OTEL_SERVICE_NAME, the views served on OTEL_EXPORTER_PROMETHEUS_HOST:_PORT;
#   - OTEL_METRIC_EXPORT_INTERVAL=500 applies: at least 4 metrics requests in a 4 s run (the
#     demo's own default, 5 s, would give 2);
#   - OTEL_TRACES_SAMPLER=traceidratio with _ARG=0.5 is the sampler: every trace received has a
#     trace id whose lower 8 bytes are below 2^63 (the ratio rule: hex digit 17 is 0-7), every
#     sampled trace printed arrived, and about half the requests were sampled (0.3 to 0.7 of the
#     requests counted in demo/request_count; the demo's own default is 0.02);
#   - OTEL_PROPAGATORS=b3 is the propagator: each backend call carries exactly one header, b3,
#     "<trace id>-<span id>-1" naming the "Read Data" span that arrived over OTLP (the default,
#     tracecontext, would write traceparent);
#   - no data point or span was dropped (the demo's final OTLP counters).
# On main this fails: the demo ignored OTEL_METRICS_EXPORTER, OTEL_TRACES_SAMPLER and
# OTEL_PROPAGATORS (console output, ratio 0.02, no headers printed).
source "$(dirname "$0")/otlp_common.sh"
DEMO="$1"
start_receiver env
pport="$(free_port)"
env OTEL_METRICS_EXPORTER=otlp,prometheus OTEL_TRACES_EXPORTER=otlp \
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PORT" \
  OTEL_EXPORTER_PROMETHEUS_HOST=127.0.0.1 OTEL_EXPORTER_PROMETHEUS_PORT="$pport" \
  OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.5 OTEL_PROPAGATORS=b3 \
  OTEL_SERVICE_NAME=envdemo OTEL_METRIC_EXPORT_INTERVAL=500 OTEL_BSP_SCHEDULE_DELAY=200 \
  "$DEMO" --duration-s 4 > "$WORK/demo.out" 2> "$WORK/demo.err" &
demo_pid=$!
RECEIVER_PIDS+=("$demo_pid") # stopped by the cleanup if a check fails early
url="http://127.0.0.1:$pport/metrics"
for _ in $(seq 100); do
  grep -q "^demo: Prometheus metrics at $url\$" "$WORK/demo.err" && break
  sleep 0.05
done
grep -q "^demo: Prometheus metrics at $url\$" "$WORK/demo.err" ||
  { cat "$WORK/demo.err"; fail "not serving Prometheus at $url"; }
sleep 1
curl -fsS "$url" > "$WORK/scrape.txt" || fail "scrape of $url failed"
grep -q '^demo_request_count_total{.*service="demo"' "$WORK/scrape.txt" ||
  fail "no demo_request_count_total in the scrape"
wait "$demo_pid" || { cat "$WORK/demo.err"; fail "demo exited non-zero"; }

[ ! -s "$WORK/demo.out" ] || fail "standard output not empty: the console exporter ran"
jq -e -s 'all(.[]; .error == null)' "$WORK/env.jsonl" > /dev/null || fail "undecodable request"
metrics=$(jq -s '[.[] | select(.signal == "metrics")] | length' "$WORK/env.jsonl")
[ "$metrics" -ge 4 ] || fail "$metrics metrics requests: OTEL_METRIC_EXPORT_INTERVAL not applied"
jq -e -s 'all(.[].decoded.resourceMetrics[]?, .[].decoded.resourceSpans[]?;
    any(.resource.attributes[]; .key == "service.name" and .value.stringValue == "envdemo"))' \
  "$WORK/env.jsonl" > /dev/null || fail "a request without service.name envdemo"

# The sampler: the ratio rule on every trace id, every sampled trace received, about half.
jq -r '.decoded.resourceSpans[]?.scopeSpans[].spans[].traceId' "$WORK/env.jsonl" | sort -u \
  > "$WORK/received"
sed -n 's/^demo: sampled .* request, trace_id=\([0-9a-f]*\)$/\1/p' "$WORK/demo.err" | sort -u \
  > "$WORK/sampled"
sampled=$(wc -l < "$WORK/sampled")
[ "$sampled" -ge 10 ] || fail "only $sampled sampled requests"
cmp -s "$WORK/sampled" "$WORK/received" ||
  fail "sampled and received trace ids differ: $(diff "$WORK/sampled" "$WORK/received" | head -n 5)"
! grep -v '^[0-9a-f]\{16\}[0-7]' "$WORK/received" > "$WORK/outside" ||
  fail "trace ids outside the 0.5 ratio: $(head -n 3 "$WORK/outside")"
requests=$(jq -s '[.[] | select(.signal == "metrics")] | last | [.decoded.resourceMetrics[]
  .scopeMetrics[].metrics[] | select(.name == "demo/request_count") | .sum.dataPoints[].asInt
  | tonumber] | add' "$WORK/env.jsonl")
awk -v s="$sampled" -v r="$requests" 'BEGIN { exit !(r >= 100 && s / r >= 0.3 && s / r <= 0.7) }' ||
  fail "$sampled of $requests requests sampled: not a 0.5 ratio"

# B3: one header per backend call, naming the Read Data span received.
grep '^demo: backend call headers: ' "$WORK/demo.err" |
  sed 's/^demo: backend call headers: //' > "$WORK/headers"
! grep -v '^b3: [0-9a-f]\{32\}-[0-9a-f]\{16\}-1$' "$WORK/headers" > "$WORK/bad_headers" ||
  fail "headers other than b3: $(head -n 3 "$WORK/bad_headers")"
sed 's/^b3: //; s/-1$//' "$WORK/headers" | sort > "$WORK/b3"
jq -r '.decoded.resourceSpans[]?.scopeSpans[].spans[] | select(.name == "Read Data")
  | "\(.traceId)-\(.spanId)"' "$WORK/env.jsonl" | sort > "$WORK/read_data"
[ "$(wc -l < "$WORK/b3")" = "$sampled" ] || fail "$(wc -l < "$WORK/b3") b3 headers for $sampled sampled requests"
cmp -s "$WORK/b3" "$WORK/read_data" ||
  fail "b3 headers do not name the Read Data spans: $(diff "$WORK/b3" "$WORK/read_data" | head -n 5)"

grep -q "dropped 0 data points and 0 spans" "$WORK/demo.err" || fail "demo reports drops"
echo "otlp_demo_environment: ok ($metrics metrics requests, $sampled of $requests requests sampled, b3 headers match)"
