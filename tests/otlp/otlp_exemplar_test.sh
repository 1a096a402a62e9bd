#!/bin/bash
# otlp_exemplar_test.sh APP - exemplars end to end (issue 16 item 3): with
# OTEL_METRICS_EXEMPLAR_FILTER=trace_based, a slow request's span id is the exemplar of its bucket
# in the OTLP bodies (protobuf and JSON, decoded with the official .proto files:
# check_exemplars.js) and in the OpenMetrics exposition (Debian's strict prometheus_client parser:
# check_exemplars_openmetrics.py); unsampled and span-less requests leave none; the JSON body passes
# python3-protobuf's strict json_format; a bad value of the variable is reported. Fails on main: census has no exemplars
# (census_exemplar_filter_get() and the Exemplar fields do not exist there).
source "$(dirname "$0")/otlp_common.sh"
OTEL_METRICS_EXEMPLAR_FILTER=trace_based "$1" "$WORK" || fail "otlp_exemplar_app"
node "$HERE/check_exemplars.js" "$WORK"
/usr/bin/python3 "$HERE/check_exemplars_openmetrics.py" "$WORK"
DESC="$(descriptor_set)"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$WORK/metrics.json" || fail "json_format"
# A bad OTEL_METRICS_EXEMPLAR_FILTER is reported, naming the variable and the values it takes,
# and exemplars stay off (the app then refuses to go on: the filter it finds is not trace_based).
if OTEL_METRICS_EXEMPLAR_FILTER=sometimes "$1" "$WORK" 2> "$WORK/bad.err"; then
  fail "a bad OTEL_METRICS_EXEMPLAR_FILTER was taken"
fi
grep -q 'OTEL_METRICS_EXEMPLAR_FILTER="sometimes" is not always_on, always_off or trace_based' \
  "$WORK/bad.err" || fail "bad filter not reported: $(cat "$WORK/bad.err")"
echo "otlp_exemplar: ok"
