#!/bin/bash
# otlp_exemplar_test.sh APP - exemplars end to end (issue 16 item 3): with
# OTEL_METRICS_EXEMPLAR_FILTER=trace_based, a slow request's span id is the exemplar of its bucket
# in the OTLP bodies (protobuf and JSON, decoded with the official .proto files:
# check_exemplars.js) and in the OpenMetrics exposition (Debian's strict prometheus_client parser:
# check_exemplars_openmetrics.py); unsampled and span-less requests leave none; the JSON body passes
# python3-protobuf's strict json_format. Fails on main: census has no exemplars
# (census_exemplar_filter_get() and the Exemplar fields do not exist there).
source "$(dirname "$0")/otlp_common.sh"
OTEL_METRICS_EXEMPLAR_FILTER=trace_based "$1" "$WORK" || fail "otlp_exemplar_app"
node "$HERE/check_exemplars.js" "$WORK"
/usr/bin/python3 "$HERE/check_exemplars_openmetrics.py" "$WORK"
DESC="$(descriptor_set)"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$WORK/metrics.json" || fail "json_format"
echo "otlp_exemplar: ok"
