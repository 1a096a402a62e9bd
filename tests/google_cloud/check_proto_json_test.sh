#!/bin/sh
# check_proto_json_test.sh <tests/google_cloud dir> <descriptor set dir>
# Proves the body checker can fail: for CreateTimeSeriesRequest, MetricDescriptor and (for the
# Cloud Trace exporter) BatchWriteSpansRequest, a hand-written valid body passes and variants with
# a misspelled field, a wrong JSON type, a bad enum name and a timestamp without offset fail.
set -eu
SRC=$1
P=$2
CHECK="/usr/bin/python3 $SRC/check_proto_json.py"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { printf '%s' "$3" | $CHECK "$1" "$2" > /dev/null || fail "rejected valid $2: $3"; }
bad() { if printf '%s' "$3" | $CHECK "$1" "$2" 2> /dev/null; then fail "accepted invalid $2: $3"; fi; }
TS='{"timeSeries":[{"metric":{"type":"custom.googleapis.com/opencensus/v","labels":{"k":"v"}},"resource":{"type":"global","labels":{"project_id":"p"}},"metricKind":"CUMULATIVE","valueType":"DISTRIBUTION","points":[{"interval":{"startTime":"2026-01-01T00:00:00Z","endTime":"2026-01-01T00:00:01.123456789Z"},"value":{"distributionValue":{"count":"2","mean":1.5,"sumOfSquaredDeviation":0.5,"bucketOptions":{"explicitBuckets":{"bounds":[0,1]}},"bucketCounts":["0","1","1"]}}}]}]}'
T=google.monitoring.v3.CreateTimeSeriesRequest
ok "$P/monitoring.pb" $T "$TS"
bad "$P/monitoring.pb" $T "$(echo "$TS" | sed 's/"metricKind"/"metrickind"/')"
bad "$P/monitoring.pb" $T "$(echo "$TS" | sed 's/"CUMULATIVE"/"CUMULATIV"/')"
bad "$P/monitoring.pb" $T "$(echo "$TS" | sed 's/"count":"2"/"count":"2x"/')"
bad "$P/monitoring.pb" $T "$(echo "$TS" | sed 's/00:00:01.123456789Z/00:00:01/')"
bad "$P/monitoring.pb" $T "$(echo "$TS" | sed 's/"labels":{"k":"v"}/"labels":["k"]/')"
MD='{"name":"projects/p/metricDescriptors/custom.googleapis.com/opencensus/v","type":"custom.googleapis.com/opencensus/v","labels":[{"key":"k","valueType":"STRING","description":"d"}],"metricKind":"GAUGE","valueType":"DOUBLE","unit":"ms","description":"d","displayName":"OpenCensus/v"}'
ok "$P/monitoring.pb" google.api.MetricDescriptor "$MD"
bad "$P/monitoring.pb" google.api.MetricDescriptor "$(echo "$MD" | sed 's/"displayName"/"display_nme"/')"
SP='{"spans":[{"name":"projects/p/traces/0123456789abcdef0123456789abcdef/spans/0123456789abcdef","spanId":"0123456789abcdef","displayName":{"value":"x","truncatedByteCount":0},"startTime":"2026-01-01T00:00:00Z","endTime":"2026-01-01T00:00:01Z","attributes":{"attributeMap":{"k":{"intValue":"5"}}},"spanKind":"SERVER","childSpanCount":1,"sameProcessAsParentSpan":true,"status":{"code":2,"message":"m"}}]}'
B=google.devtools.cloudtrace.v2.BatchWriteSpansRequest
ok "$P/wkt.pb:$P/cloud_trace.pb" $B "$SP"
bad "$P/wkt.pb:$P/cloud_trace.pb" $B "$(echo "$SP" | sed 's/"spanKind"/"spanKnd"/')"
bad "$P/wkt.pb:$P/cloud_trace.pb" $B "$(echo "$SP" | sed 's/"intValue"/"intValu"/')"
bad "$P/wkt.pb:$P/cloud_trace.pb" $B "$(echo "$SP" | sed 's/"SERVER"/"SERVR"/')"
bad "$P/wkt.pb:$P/cloud_trace.pb" $B "$(echo "$SP" | sed 's/00:00:01Z/00:00:01/')"
echo "checker: all checks passed"
