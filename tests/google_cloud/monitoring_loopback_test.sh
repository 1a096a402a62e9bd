#!/bin/sh
# monitoring_loopback_test.sh <monitoring_app> <tests/google_cloud dir> <descriptor set dir>
#
# Proves, against fake_google.js (which enforces Cloud Monitoring's documented rules) on
# loopback, over many record/export cycles with 283 series (more than 200):
#  1. the exporter never breaks a rule: <=200 series per request (and requests of exactly 200:
#     the split is at the limit), one point per series, descriptors before first use,
#     unchanged cumulative start times, start < end, series not written more often than the
#     interval (rapid flushes defer instead), valid bearer tokens;
#  2. every request body is a valid google.monitoring.v3.CreateTimeSeriesRequest and every
#     descriptor body a valid google.api.MetricDescriptor for Google's parser (python
#     json_format, unknown fields refused), and the checker rejects a misspelled field;
#  3. injected errors (descriptor 503, 503, 429, partial 400 with CreateTimeSeriesSummary, 401,
#     permanent 400, two 401s in a row: one retry with a new token, then failure) are reported in diagnostics with the API's words and counted: the exporter's
#     delivered/rejected/dropped counts equal what the server accepted/refused;
#  4. mapping: metric types and labels (view columns, opencensus_task = c-<pid>@<host>), the
#     gce_instance resource detected from the metadata server, cumulative values equal to what
#     was recorded, distribution bounds with the prepended 0 and census's bucket counts.
set -eu
APP=$1
google_dir=$2
PROTOS=$3
CHECK="/usr/bin/python3 $google_dir/check_proto_json.py"
. "$google_dir/fake_google_lib.sh"

CYCLES=6
INTERVAL=400
new_rsa_key "$work/key.pem"
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
start_fake_google <<EOF
{"publicKeyFile": "$work/pub.pem", "tokenTtl": 3600, "log": "$work/log.jsonl",
 "project": "key-project", "minIntervalMs": $INTERVAL, "staticTokens": ["control-token"],
 "metadata": {"instance/id": "4520031799277581759", "instance/zone": "projects/123/zones/europe-west1-b"},
 "inject": [
  {"path": "metricDescriptors", "call": 1, "status": 503, "statusName": "UNAVAILABLE", "message": "descriptor backend unavailable"},
  {"path": "timeSeries", "call": 2, "status": 503, "statusName": "UNAVAILABLE", "message": "The service is currently unavailable."},
  {"path": "timeSeries", "call": 4, "status": 429, "statusName": "RESOURCE_EXHAUSTED", "message": "Quota exceeded for quota metric 'Time series ingestion requests'"},
  {"path": "timeSeries", "call": 6, "status": 400, "body": "partial"},
  {"path": "timeSeries", "call": 8, "status": 401, "statusName": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."},
  {"path": "timeSeries", "call": 11, "status": 400, "statusName": "INVALID_ARGUMENT", "message": "Field timeSeries[0].metric.labels is invalid"},
  {"path": "timeSeries", "call": 13, "status": 401, "statusName": "UNAUTHENTICATED", "message": "Token revoked (first)."},
  {"path": "timeSeries", "call": 14, "status": 401, "statusName": "UNAUTHENTICATED", "message": "Token revoked (again)."}
 ]}
EOF
write_key_file "$work/key.pem" "$work/key.json" kid-1 t@key-project.iam.gserviceaccount.com

GOOGLE_APPLICATION_CREDENTIALS="$work/key.json" GCE_METADATA_HOST="127.0.0.1:$port" \
  "$APP" "http://127.0.0.1:$port" $CYCLES $INTERVAL > "$work/out" 2> "$work/err" \
  || { cat "$work/err"; fail "app failed"; }
APP_PID=$(head -n1 "$work/out" | cut -d' ' -f2)
STATS=$(tail -n1 "$work/out")
STATE=$(fake_google_state)
echo "exporter: $STATS"
echo "server: $(echo "$STATE" | jq -c 'del(.assertions, .lastValues, .lastSeries, .descriptors, .requestSizes)')"
s() { echo "$STATS" | jq -r ".$1"; }
v() { echo "$STATE" | jq -r "$1"; }

# census's own self-metric views (census/exporter_rejected_items, ...) go through the same
# exporter and gain series when the injected errors make the exporter record losses: the counts
# below are the test's 283 series plus those.
P='custom.googleapis.com/opencensus'
SELF=$(v "[.lastValues | keys[] | select(startswith(\"$P/census/\"))] | length")
SELF_DESC=$(v "[.descriptors | keys[] | select(startswith(\"$P/census/\"))] | length")
# 1. Rules.
[ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v '.violations')"
[ "$(v .maxSeriesPerRequest)" -le 200 ] || fail "more than 200 series in a request"
[ "$(v '[.requestSizes[] | select(. == 200)] | length')" -ge 1 ] || fail "no request of exactly 200 series: $(v -c .requestSizes)"
[ "$(v "[.lastValues | keys[] | select(startswith(\"$P/test/\"))] | length")" = 283 ] || fail "expected 283 test series"
[ "$(v .series)" = $((283 + SELF)) ] || fail "expected 283 + $SELF series, server has $(v .series)"
# Flushes within the interval defer every series already written (the server would report a
# violation for any test series written again); only a self-metric series seen for the first
# time may be submitted then. The app counts an attempt only when its three flushes took less
# than the interval (so their snapshots were within it; a loaded machine's first flush alone took
# 336 ms of the 400) and tries again after the next flush, up to 6 times.
[ "$(s rapid_window_ms)" -lt $INTERVAL ] ||
  fail "no attempt of the rapid flushes within the $INTERVAL ms interval in $(s rapid_tries) tries (last took $(s rapid_window_ms) ms): the machine is too loaded for this check"
[ "$(s rapid_submitted)" -le "$SELF" ] || fail "flushes within the interval submitted $(s rapid_submitted) points"
[ "$(s rapid_deferred)" -ge $((2 * 283)) ] && [ $(( $(s rapid_deferred) + $(s rapid_submitted) )) -le $((2 * (283 + SELF))) ] ||
  fail "flushes within the interval deferred $(s rapid_deferred), not 2 x 283 (+ self-metric series)"
[ "$(v .unauthorized)" = 0 ] || fail "requests with invalid tokens"
[ "$(v .tokenRequests)" = 3 ] || fail "token requests: $(v .tokenRequests) (want 3: first, after each first 401)"

# 2. Bodies against Google's API definitions.
jq -c 'select(.kind == "timeSeries") | .body' "$work/log.jsonl" > "$work/ts.jsonl"
jq -c 'select(.kind == "metricDescriptor") | .body' "$work/log.jsonl" > "$work/md.jsonl"
[ "$(wc -l < "$work/ts.jsonl")" -ge 10 ] || fail "too few timeSeries bodies"
$CHECK "$PROTOS/monitoring.pb" google.monitoring.v3.CreateTimeSeriesRequest --jsonl < "$work/ts.jsonl"
$CHECK "$PROTOS/monitoring.pb" google.api.MetricDescriptor --jsonl < "$work/md.jsonl"
head -n1 "$work/ts.jsonl" | sed 's/"metricKind"/"metricKnd"/' > "$work/bad.json"
if $CHECK "$PROTOS/monitoring.pb" google.monitoring.v3.CreateTimeSeriesRequest < "$work/bad.json" 2> "$work/bad.err"; then
  fail "checker accepted a misspelled field"
fi
grep -q 'has no field named "metricKnd"' "$work/bad.err" || fail "checker message: $(cat "$work/bad.err")"

# 3. Errors reported and counted.
grep -q 'metricDescriptors.create custom.googleapis.com/opencensus/test/.*HTTP 503 UNAVAILABLE: descriptor backend unavailable' "$work/err" || fail "descriptor 503 not reported"
grep -q 'HTTP 503 UNAVAILABLE: The service is currently unavailable.; will retry' "$work/err" || fail "503 not reported"
grep -q "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded.*; will retry" "$work/err" || fail "429 not reported"
grep -q 'refused 1 of [0-9]* points (HTTP 400 INVALID_ARGUMENT).*injected: Field timeSeries\[0\] is invalid' "$work/err" || fail "partial failure not reported"
grep -q 'HTTP 401 UNAUTHENTICATED.*fetching a new token' "$work/err" || fail "401 not reported"
grep -q 'HTTP 400 INVALID_ARGUMENT: Field timeSeries\[0\].metric.labels is invalid; dropped' "$work/err" || fail "permanent 400 not reported"
grep -q 'HTTP 401 UNAUTHENTICATED: Token revoked (first).; fetching a new token' "$work/err" || fail "first 401 not reported"
grep -q 'dropped a request of [0-9]* items: permanent failure.*HTTP 401 UNAUTHENTICATED: Token revoked (again).; dropped' "$work/err" || fail "second 401 not a failure"
DROPPED=$(jq -s '[.[] | select(.kind == "timeSeries" and (.call == 11 or .call == 14))] | map(.count) | add' "$work/log.jsonl")
[ "$(s points_delivered)" = "$(v .acceptedPoints)" ] || fail "delivered $(s points_delivered) != server accepted $(v .acceptedPoints)"
[ "$(s points_rejected)" = 1 ] || fail "rejected $(s points_rejected) != 1"
[ "$(s points_dropped)" = "$DROPPED" ] || fail "dropped $(s points_dropped) != $DROPPED (series of the requests refused with 400 and the second 401)"
[ "$(s retries)" = 4 ] || fail "retries $(s retries) (want 4: 503, 429, 401, first of two 401s)"
[ "$(s descriptors_created)" = $((5 + SELF_DESC)) ] || fail "descriptors created $(s descriptors_created), want 5 + $SELF_DESC"
[ "$(v "[.descriptors | keys[] | select(startswith(\"$P/test/\"))] | length")" = 5 ] || fail "want the 5 test descriptors"
[ "$(s descriptor_failures)" = 1 ] || fail "descriptor failures $(s descriptor_failures)"
[ "$(s points_submitted)" = $(( $(s points_delivered) + $(s points_rejected) + $(s points_dropped) )) ] \
  || fail "submitted != delivered + rejected + dropped"
# The stop's outcome (every push exporter's rule): CENSUS_EEXPORT when points were dropped or
# rejected during the exporter's life, as here (the injected 400s, the partial success).
[ "$(s points_dropped)" -gt 0 ] || fail "the scenario dropped no point"
[ "$(s stop)" = CENSUS_EEXPORT ] || fail "stop returned $(s stop), want CENSUS_EEXPORT (points dropped)"

# 4. Mapping and values.
HOST=$(hostname)
REQ=$(v ".lastSeries[\"$P/test/requests\"]")
[ "$(echo "$REQ" | jq -r '.metric.labels.opencensus_task')" = "c-$APP_PID@$HOST" ] || fail "task label: $REQ"
[ "$(echo "$REQ" | jq -r '.resource.type')" = gce_instance ] || fail "resource: $REQ"
[ "$(echo "$REQ" | jq -c '.resource.labels')" = '{"project_id":"key-project","instance_id":"4520031799277581759","zone":"europe-west1-b"}' ] || fail "resource labels: $REQ"
n=$(v "[.lastValues | to_entries[] | select(.key | startswith(\"$P/test/requests{\")) | select(.value.int64Value == \"$CYCLES\")] | length")
[ "$n" = 250 ] || fail "only $n of 250 request series ended at $CYCLES"
[ "$(v ".lastValues | to_entries[] | select(.key | startswith(\"$P/test/bytes{\") and contains(\"route=/r7}\")) | .value.int64Value")" = $(( 107 * CYCLES )) ] || fail "bytes sum"
[ "$(v ".lastValues | to_entries[] | select(.key | startswith(\"$P/test/load{\")) | .value.doubleValue")" = "$(echo "0.25 * $CYCLES" | bc -l | sed 's/0*$//;s/\.$//')" ] || fail "last value"
LAT=$(v ".lastValues | to_entries[] | select(.key | startswith(\"$P/test/latency{\")) | .value.distributionValue")
# Recorded per cycle: 3, 10, 20, 30 with census bounds 5,10,25 (upper-inclusive): one value in
# each bucket; the exporter prepends bound 0 with count 0.
[ "$(echo "$LAT" | jq -c '.bucketOptions.explicitBuckets.bounds')" = '[0,5,10,25]' ] || fail "bounds $LAT"
[ "$(echo "$LAT" | jq -c '.bucketCounts')" = "[\"0\",\"$CYCLES\",\"$CYCLES\",\"$CYCLES\",\"$CYCLES\"]" ] || fail "buckets $LAT"
[ "$(echo "$LAT" | jq -r '.count')" = $((4 * CYCLES)) ] || fail "count $LAT"
[ "$(echo "$LAT" | jq -r '.mean')" = 15.75 ] || fail "mean $LAT"
RAT=$(v ".lastValues | to_entries[] | select(.key | startswith(\"$P/test/ratio{\")) | .value.distributionValue")
[ "$(echo "$RAT" | jq -c '.bucketOptions.explicitBuckets.bounds')" = '[0,1]' ] || fail "no prepend when the first bound is 0: $RAT"
[ "$(echo "$RAT" | jq -c '.bucketCounts')" = "[\"0\",\"$CYCLES\",\"0\"]" ] || fail "ratio buckets $RAT"
MD=$(jq -s -c "[.[] | select(.kind == \"metricDescriptor\") | .body | select(.type == \"$P/test/latency\")][0]" "$work/log.jsonl")
[ "$(echo "$MD" | jq -r '.metricKind + " " + .valueType + " " + .unit + " " + .displayName')" = "CUMULATIVE DISTRIBUTION ms OpenCensus/test/latency" ] || fail "descriptor $MD"
MD=$(jq -s -c "[.[] | select(.kind == \"metricDescriptor\") | .body | select(.type == \"$P/test/load\")][0]" "$work/log.jsonl")
[ "$(echo "$MD" | jq -r '.metricKind + " " + .valueType')" = "GAUGE DOUBLE" ] || fail "descriptor $MD"
MD=$(jq -s -c "[.[] | select(.kind == \"metricDescriptor\") | .body | select(.type == \"$P/test/requests\")][0]" "$work/log.jsonl")
[ "$(echo "$MD" | jq -r '.metricKind + " " + .valueType + " " + .unit + " " + ([.labels[].key] | join(","))')" = "CUMULATIVE INT64 1 route,opencensus_task,otel_metric_overflow" ] || fail "descriptor $MD"
# 5. Negative controls: the server's rule checks can fail (requests written by hand with curl).
post() {
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer control-token' \
    -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$port/v3/projects/key-project/timeSeries"
}
series() { # <type suffix> <task label> <start or ""> <end> <value json>
  st=; [ -n "$3" ] && st="\"startTime\":\"$3\","
  printf '{"metric":{"type":"%s/%s","labels":{"opencensus_task":"%s"}},"resource":{"type":"global","labels":{"project_id":"key-project"}},"points":[{"interval":{%s"endTime":"%s"},"value":%s}]}' \
    "$P" "$1" "$2" "$st" "$4" "$5"
}
NOW=$(date -u +%Y-%m-%dT%H:%M:%S)
G1=$(series test/load control "" "${NOW}.000Z" '{"doubleValue":1}')
[ "$(printf '{"timeSeries":[%s]}' "$G1" | post)" = 200 ] || fail "control: a valid gauge point was refused"
[ "$(printf '{"timeSeries":[%s]}' "$(series test/load control "" "${NOW}.001Z" '{"doubleValue":2}')" | post)" = 400 ] || fail "control: write 1 ms later accepted"
[ "$(printf '{"timeSeries":[%s,%s]}' "$(series test/load c2 "" "${NOW}.000Z" '{"doubleValue":1}')" "$(series test/load c2 "" "${NOW}.000Z" '{"doubleValue":1}')" | post)" = 400 ] || fail "control: duplicate series accepted"
[ "$(printf '{"timeSeries":[%s]}' "$(series test/nodesc c3 "" "${NOW}.000Z" '{"doubleValue":1}')" | post)" = 400 ] || fail "control: series without descriptor accepted"
C1=$(series test/requests control "${NOW}.000Z" "${NOW}.500Z" '{"int64Value":"1"}')
[ "$(printf '{"timeSeries":[%s]}' "$C1" | post)" = 200 ] || fail "control: a valid cumulative point was refused"
[ "$(printf '{"timeSeries":[%s]}' "$(series test/requests control "${NOW}.100Z" "${NOW}.999Z" '{"int64Value":"2"}')" | post)" = 400 ] || fail "control: changed start time accepted"
[ "$(printf '{"timeSeries":[%s]}' "$(series test/requests c4 "${NOW}.500Z" "${NOW}.500Z" '{"int64Value":"2"}')" | post)" = 400 ] || fail "control: start == end accepted for cumulative"
MANY=$(i=0; while [ $i -lt 201 ]; do [ $i -gt 0 ] && printf ','; series test/load "m$i" "" "${NOW}.000Z" '{"doubleValue":1}'; i=$((i + 1)); done)
[ "$(printf '{"timeSeries":[%s]}' "$MANY" | post)" = 400 ] || fail "control: 201 series accepted"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer forged' -H 'Content-Type: application/json' --data "{\"timeSeries\":[$G1]}" "http://127.0.0.1:$port/v3/projects/key-project/timeSeries")
[ "$code" = 401 ] || fail "control: forged token accepted ($code)"
V=$(fake_google_state | jq -r '.violations[]')
for want in 'more frequently than the maximum sampling period' 'series appears twice' 'descriptor not created before use' 'cumulative start time changed' 'startTime < endTime' 'request with 201 series'; do
  echo "$V" | grep -q "$want" || fail "control: no violation '$want' in: $V"
done
echo "monitoring loopback: all checks passed"
