#!/bin/bash
# otlp_encode_test.sh APP - proves the pure encoders (no HTTP) produce bodies that independent
# decoders read as the recorded scenario: protobufjs with the official .proto files (field by
# field, check_requests.js), protoc --decode against the schema (the whole body is consumed as the
# request type), protoc --decode_raw (Span.flags / Link.flags), and python3 json_format (strict
# proto3 JSON structure). A truncated body must make protoc fail, so the protoc check can fail.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
"$APP" dump "$WORK" > "$WORK/dump.out" 2> "$WORK/dump.err" || { cat "$WORK/dump.err"; fail "otlp_app dump"; }
for enc in protobuf json; do
  node "$HERE/check_requests.js" --dir "$WORK" --spans "$WORK/spans.json" --encoding "$enc"
done
# Negative control: the checker must notice a span id that census did not hand out.
jq '."otlp-child".spanId = "0123456789abcdef"' "$WORK/spans.json" > "$WORK/wrong_spans.json"
if node "$HERE/check_requests.js" --dir "$WORK" --spans "$WORK/wrong_spans.json" --encoding protobuf 2>/dev/null; then
  fail "check_requests.js accepted a wrong span id: its assertions prove nothing"
fi
for signal in metrics traces; do
  case $signal in
    metrics) type=opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest
             file=opentelemetry/proto/collector/metrics/v1/metrics_service.proto ;;
    traces) type=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
            file=opentelemetry/proto/collector/trace/v1/trace_service.proto ;;
  esac
  protoc -I "$PROTO_ROOT" --decode="$type" "$file" < "$WORK/$signal.pb" > "$WORK/$signal.txt" \
    || fail "protoc --decode $signal"
  grep -q 'name: "census"' "$WORK/$signal.txt" || fail "$signal: scope not in protoc's text"
  size=$(stat -c %s "$WORK/$signal.pb")
  head -c $((size - 3)) "$WORK/$signal.pb" > "$WORK/$signal.truncated"
  if protoc -I "$PROTO_ROOT" --decode="$type" "$file" < "$WORK/$signal.truncated" > /dev/null 2>&1; then
    fail "protoc accepted a truncated $signal body: the check above proves nothing"
  fi
done
DESC="$(descriptor_set)"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$WORK/metrics.json" || fail "json_format metrics"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" traces "$WORK/traces.json" || fail "json_format traces"
# The checker rejects an unknown field (so it can fail).
sed 's/"name"/"nmae"/' "$WORK/traces.json" > "$WORK/bad.json"
if /usr/bin/python3 "$HERE/json_format_check.py" "$DESC" traces "$WORK/bad.json" 2>/dev/null; then
  fail "json_format accepted a misspelled field"
fi
echo "otlp_encode_files: ok"
