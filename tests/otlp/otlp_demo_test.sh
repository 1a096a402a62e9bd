#!/bin/bash
# otlp_demo_test.sh DEMO - proves the demo exports OTLP when given --otlp-endpoint: the receiver
# decodes (protobufjs) metrics requests holding the demo's views with service.name "demo", and
# traces requests with its sampled spans; the demo's own delivery line reports no drops.
source "$(dirname "$0")/otlp_common.sh"
DEMO="$1"
start_receiver demo
"$DEMO" --duration-s 2 --interval-ms 500 --sample-ratio 1 --no-prometheus \
  --otlp-endpoint "http://127.0.0.1:$PORT" > "$WORK/demo.out" 2> "$WORK/demo.err" \
  || { cat "$WORK/demo.err"; fail "demo exited non-zero"; }
jq -e -s 'all(.[]; .error == null)' "$WORK/demo.jsonl" > /dev/null || fail "undecodable request"
jq -e -s '[.[] | select(.signal == "metrics") | .decoded.resourceMetrics[]
  | select(any(.resource.attributes[]; .key == "service.name" and .value.stringValue == "demo"))
  | .scopeMetrics[].metrics[].name] | index("demo/latency") != null' "$WORK/demo.jsonl" > /dev/null \
  || fail "no metrics request with demo/latency from service demo"
spans=$(jq -s '[.[] | select(.signal == "traces") | .decoded.resourceSpans[].scopeSpans[].spans[]] | length' "$WORK/demo.jsonl")
[ "$spans" -gt 0 ] || fail "no spans received"
grep -q "dropped 0 data points and 0 spans" "$WORK/demo.err" || { cat "$WORK/demo.err"; fail "demo reports drops"; }
echo "otlp_demo: ok ($spans spans)"
