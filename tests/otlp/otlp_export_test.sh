#!/bin/bash
# otlp_export_test.sh APP protobuf|json - proves the exporter delivers the recorded scenario over
# HTTP to a receiver on loopback that decodes it independently (otlp_receiver.js: protobufjs and
# the official .proto files): two metrics exports (census_flush, then the final one at shutdown)
# whose cumulative start times agree and whose last one holds the final totals, every span once,
# with the API key header, gzip (protobuf run) or not (JSON run), and the right Content-Type; the
# exporter's counters agree (nothing dropped or rejected, every delivered item counted). The JSON
# run also caps trace requests at 2 spans: the 3 spans arrive in 2 requests, each span once.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
ENC="$2"
start_receiver recv
if [ "$ENC" = protobuf ]; then
  extra=(--protobuf --gzip)
  gz=yes
else
  extra=(--json --max-spans 2)
  gz=no
fi
"$APP" export "http://127.0.0.1:$PORT" "${extra[@]}" --api-key secret-123 \
  --expected "$WORK/spans.json" > "$WORK/stats.json" 2> "$WORK/app.err" \
  || { cat "$WORK/app.err"; fail "otlp_app export"; }
cat "$WORK/stats.json"
node "$HERE/check_requests.js" --log "$WORK/recv.jsonl" --spans "$WORK/spans.json" \
  --encoding "$ENC" --gzip "$gz" --api-key secret-123
# Two metrics requests: the census_flush() one and the final one; one traces request.
n_metrics=$(jq -s '[.[] | select(.signal == "metrics")] | length' "$WORK/recv.jsonl")
[ "$n_metrics" -ge 2 ] || fail "expected 2 metrics requests, got $n_metrics"
n_traces=$(jq -s '[.[] | select(.signal == "traces")] | length' "$WORK/recv.jsonl")
if [ "$ENC" = json ]; then want_traces=2; else want_traces=1; fi
[ "$n_traces" -eq "$want_traces" ] || fail "expected $want_traces traces requests, got $n_traces"
# The counters: nothing dropped or rejected; items delivered = points/spans the receiver decoded.
points=$(jq -s '[.[] | select(.signal == "metrics") | .decoded.resourceMetrics[].scopeMetrics[].metrics[] | (.sum // .gauge // .histogram).dataPoints | length] | add' "$WORK/recv.jsonl")
spans=$(jq -s '[.[] | select(.signal == "traces") | .decoded.resourceSpans[].scopeSpans[].spans | length] | add' "$WORK/recv.jsonl")
jq -e --argjson p "$points" --argjson s "$spans" '
  .metrics.items_delivered == $p and .metrics.items_dropped == 0 and .metrics.items_rejected == 0
  and .traces.items_delivered == $s and $s == 3 and .traces.items_dropped == 0
  and .metrics.retries == 0 and .shutdown == "CENSUS_OK"' "$WORK/stats.json" > /dev/null \
  || fail "counters do not match the decoded requests (points=$points spans=$spans)"
if [ "$ENC" = json ]; then
  DESC="$(descriptor_set)"
  for f in $(jq -r 'select(.signal == "metrics") | .rawFile' "$WORK/recv.jsonl"); do
    /usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$f" || fail "json_format $f"
  done
  for f in $(jq -r 'select(.signal == "traces") | .rawFile' "$WORK/recv.jsonl"); do
    /usr/bin/python3 "$HERE/json_format_check.py" "$DESC" traces "$f" || fail "json_format $f"
  done
fi
echo "otlp_export_$ENC: ok"
