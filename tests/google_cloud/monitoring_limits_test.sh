#!/bin/sh
# monitoring_limits_test.sh <monitoring_limits_app> <tests/google_cloud dir>
#
# Proves, against fake_google.js on loopback (which refuses distributions of more than 200
# buckets, i.e. more than 199 bounds, as Cloud Monitoring does):
#  1. 200-bucket limit: views whose bounds (with the prepended 0) exceed 199 are sent with
#     exactly 199 bounds, the first and last kept, every point accepted (no rule violation, none
#     dropped or rejected), and the merge reported once per such view with CENSUS_ELIMIT; views
#     at the limit (199 bounds, with or without the prepended 0) are sent unchanged and not
#     reported. For every view, the bucket counts sent are what the recorded values give for the
#     bounds sent (computed here by jq from the values, census buckets being upper-inclusive),
#     and they sum to the count;
#  2. gzip: with the option, every timeSeries.create and traces:batchWrite body arrives with
#     Content-Encoding: gzip and decompresses (zlib) to valid requests; without it none does;
#  3. negative controls: the server refuses a hand-written distribution with 200 bounds and a
#     body that claims gzip but is not.
set -eu
APP=$1
google_dir=$2
. "$google_dir/fake_google_lib.sh"
P='custom.googleapis.com/opencensus/lim'

# run <gzip 0|1>: a fresh fake server (requiring gzip when 1) and one run of the app; sets port,
# STATS and STATE.
run() {
  [ -z "$receiver_pid" ] || stop_receiver
  rm -f "$work/log.jsonl"
  req=false; [ "$1" = 1 ] && req=true
  start_fake_google "$(printf '{"project": "limits-project", "staticTokens": ["limits-token"], "log": "%s", "requireGzip": %s}' \
    "$work/log.jsonl" "$req")"
  "$APP" "http://127.0.0.1:$port" "$1" > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
  STATS=$(tail -n1 "$work/out")
  STATE=$(fake_google_state)
  echo "gzip=$1: exporter: $STATS"
}
s() { echo "$STATS" | jq -r ".$1"; }
v() { echo "$STATE" | jq -r "$1"; }

run 1
# 1. The limit.
[ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v '.violations')"
[ "$(s flush)" = CENSUS_OK ] || fail "flush returned $(s flush)"
# (census's own self-metric views may add series: count the test's.)
[ "$(s points_delivered)" = "$(v .acceptedPoints)" ] || fail "delivered $(s points_delivered) != accepted $(v .acceptedPoints)"
[ "$(v '[.lastValues | keys[] | select(startswith("'$P'/"))] | length')" = 4 ] || fail "want the 4 lim/ series written"
[ "$(s points_dropped) $(s points_rejected)" = "0 0" ] || fail "dropped/rejected: $STATS"
[ "$(grep -c 'diagnostic: CENSUS_ELIMIT: google monitoring: view lim/wide has 301 bucket bounds' "$work/err")" = 1 ] ||
  fail "lim/wide merge not reported once: $(cat "$work/err")"
[ "$(grep -c 'diagnostic: CENSUS_ELIMIT: google monitoring: view lim/edge199 has 200 bucket bounds' "$work/err")" = 1 ] ||
  fail "lim/edge199 merge not reported once"
[ "$(grep -c 'CENSUS_ELIMIT' "$work/err")" = 2 ] || fail "unexpected limit reports: $(cat "$work/err")"
dist() { v ".lastValues[\"$P/$1{opencensus_task=$(v ".lastSeries[\"$P/$1\"].metric.labels.opencensus_task")}global{project_id=limits-project}\"].distributionValue"; }
bounds_of() { dist "$1" | jq -c '.bucketOptions.explicitBuckets.bounds'; }
[ "$(bounds_of wide | jq 'length, first, last' | tr '\n' ' ')" = "199 0 300 " ] || fail "wide bounds: $(bounds_of wide)"
[ "$(bounds_of edge199 | jq 'length, first, last' | tr '\n' ' ')" = "199 0 199 " ] || fail "edge199 bounds: $(bounds_of edge199)"
[ "$(bounds_of edge198)" = "$(jq -nc '[0] + [range(1; 199)]')" ] || fail "edge198 bounds changed: $(bounds_of edge198)"
[ "$(bounds_of zero199)" = "$(jq -nc '[range(0; 199)]')" ] || fail "zero199 bounds changed: $(bounds_of zero199)"
for view in wide edge199 edge198 zero199; do
  d=$(dist $view)
  # The counts the values 0.5, 1, ..., 320 give for the bounds sent, upper-inclusive.
  want=$(echo "$d" | jq -c '.bucketOptions.explicitBuckets.bounds as $b | [range(1; 641) | . * 0.5] as $vals
    | [range(0; ($b | length) + 1) as $k
       | [$vals[] | select(($k == 0 or . > $b[$k - 1]) and ($k == ($b | length) or . <= $b[$k]))]
       | length | tostring]')
  [ "$(echo "$d" | jq -c .bucketCounts)" = "$want" ] || fail "$view bucket counts $(echo "$d" | jq -c .bucketCounts) != $want"
  [ "$(echo "$d" | jq -r .count)" = 640 ] || fail "$view count"
  [ "$(echo "$d" | jq '[.bucketCounts[] | tonumber] | add')" = 640 ] || fail "$view counts do not sum to 640"
done
# 2. gzip.
[ "$(jq -s '[.[] | select(.kind == "timeSeries" or .kind == "spans")] | length' "$work/log.jsonl")" -ge 2 ] || fail "too few requests"
[ "$(jq -s '[.[] | select((.kind == "timeSeries" or .kind == "spans") and .gzip != true)] | length' "$work/log.jsonl")" = 0 ] ||
  fail "a request body was not gzip-compressed"
[ "$(v .gzipRequests)" -ge 2 ] || fail "gzipRequests $(v .gzipRequests)"
[ "$(s spans_delivered)" = 3 ] && [ "$(v .traceSpans)" = 3 ] && [ "$(s spans_dropped)" = 0 ] ||
  fail "spans: $STATS, server $(v .traceSpans)"

# 3. Negative controls.
NOW=$(date -u +%Y-%m-%dT%H:%M:%S)
B200=$(jq -nc '[range(0; 200)]')
C201=$(jq -nc '[range(0; 201) | "0"]')
code=$(printf '{"timeSeries":[{"metric":{"type":"%s/wide","labels":{"opencensus_task":"ctl"}},"resource":{"type":"global","labels":{"project_id":"limits-project"}},"points":[{"interval":{"startTime":"%s.000Z","endTime":"%s.500Z"},"value":{"distributionValue":{"count":"0","bucketOptions":{"explicitBuckets":{"bounds":%s}},"bucketCounts":%s}}}]}]}' \
  "$P" "$NOW" "$NOW" "$B200" "$C201" | gzip -c |
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer limits-token' -H 'Content-Type: application/json' \
    -H 'Content-Encoding: gzip' --data-binary @- "http://127.0.0.1:$port/v3/projects/limits-project/timeSeries")
[ "$code" = 400 ] || fail "control: a distribution with 200 bounds was accepted ($code)"
printf 'not gzip' | curl -s -o /dev/null -H 'Authorization: Bearer limits-token' -H 'Content-Type: application/json' \
  -H 'Content-Encoding: gzip' --data-binary @- "http://127.0.0.1:$port/v2/projects/limits-project/traces:batchWrite"
V=$(fake_google_state | jq -r '.violations[]')
for want in 'explicit buckets need 1..199 bounds' 'gzip body does not decompress'; do
  echo "$V" | grep -q "$want" || fail "control: no violation '$want' in: $V"
done

run 0
[ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v '.violations')"
[ "$(jq -s '[.[] | select((.kind == "timeSeries" or .kind == "spans") and .gzip != false)] | length' "$work/log.jsonl")" = 0 ] ||
  fail "gzip off, yet a body was compressed"
[ "$(v .gzipRequests)" = 0 ] || fail "gzipRequests $(v .gzipRequests) with the option off"
[ "$(s points_delivered)" = "$(v .acceptedPoints)" ] && [ "$(s spans_delivered)" = 3 ] || fail "gzip off: $STATS"
echo "monitoring limits: all checks passed"
