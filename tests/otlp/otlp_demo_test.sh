#!/bin/bash
# otlp_demo_test.sh DEMO - proves the demo exports OTLP when given --otlp-endpoint: the receiver
# decodes (protobufjs) metrics requests holding the demo's views with service.name "demo", and
# traces requests with its sampled spans: exactly as many as the demo's OTLP exporter counted as
# delivered, and among them the trace of every request the demo logged as sampled; the demo's own
# delivery line reports no drops.
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
# The receiver got exactly the spans the exporter counted as delivered, and every sampled request
# the demo logged (its trace id) is among them.
delivered=$(sed -n 's/^demo: OTLP delivered [0-9]* data points and \([0-9]*\) spans;.*/\1/p' "$WORK/demo.err")
[ "$delivered" = "$spans" ] || fail "the demo says it delivered '$delivered' spans, the receiver decoded $spans"
jq -r -s '[.[] | select(.signal == "traces") | .decoded.resourceSpans[].scopeSpans[].spans[].traceId]
  | unique[]' "$WORK/demo.jsonl" > "$WORK/received_ids"
sed -n 's/^demo: sampled .* request, trace_id=\([0-9a-f]*\)$/\1/p' "$WORK/demo.err" | sort -u > "$WORK/sampled_ids"
[ -s "$WORK/sampled_ids" ] || { cat "$WORK/demo.err"; fail "the demo logged no sampled request"; }
missing=$(comm -23 "$WORK/sampled_ids" "$WORK/received_ids")
[ -z "$missing" ] || fail "sampled traces not received: $missing"
echo "otlp_demo: ok ($spans spans, $(wc -l < "$WORK/sampled_ids") sampled traces all received)"
