#!/bin/bash
# otlp_exponential_test.sh APP - an exponential histogram view encoded by census's OTLP encoders
# (protobuf and JSON) decodes with the official .proto files into the ExponentialHistogram that
# OpenTelemetry's definition gives for the recorded values (check_exponential.js), and the JSON
# body passes python3-protobuf's strict json_format. Fails on main: no exponential aggregation.
source "$(dirname "$0")/otlp_common.sh"
"$1" "$WORK" || fail "otlp_exp_app"
node "$HERE/check_exponential.js" "$WORK"
DESC="$(descriptor_set)"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$WORK/metrics.json" || fail "json_format"
echo "otlp_exponential: ok"
