#!/bin/sh
# monitoring_exemplar_test.sh <monitoring_exemplar_app> <tests/google_cloud dir> <descriptor set dir>
#
# Proves, against fake_google.js on loopback (Cloud Monitoring's rules), that exemplars reach
# Cloud Monitoring as Distribution.Exemplar (docs/exporters/google-cloud-monitoring.md):
#  1. the bodies break no rule and are valid google.monitoring.v3.CreateTimeSeriesRequest for
#     Google's parser (json_format with the official definitions, the attachments' Any types
#     SpanContext and DroppedLabels resolved from them);
#  2. the slow request's exemplar has its value, a timestamp and the attachment
#     type.googleapis.com/google.monitoring.v3.SpanContext with spanName
#     projects/ex-project/traces/<its trace id>/spans/<its span id>, and its filtered attribute as
#     DroppedLabels {user: alice}; the fast request's exemplar names its own span; the request made
#     outside any span left none (trace_based).
# Fails on main: census has no exemplars.
set -eu
APP=$1
google_dir=$2
PROTOS=$3
. "$google_dir/fake_google_lib.sh"
start_fake_google "$(printf '{"project": "ex-project", "staticTokens": ["ex-token"], "log": "%s"}' "$work/log.jsonl")"
"$APP" "http://127.0.0.1:$port" "$work/ids.json" > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATS=$(tail -n1 "$work/out")
fake_google_state > "$work/state.json"
echo "exporter: $STATS"
[ "$(jq '.violations | length' "$work/state.json")" = 0 ] || fail "rule violations: $(jq -c .violations "$work/state.json")"
[ "$(echo "$STATS" | jq -r .flush)" = CENSUS_OK ] || fail "flush: $STATS"
[ "$(echo "$STATS" | jq -r '.points_dropped + .points_rejected')" = 0 ] || fail "dropped or rejected: $STATS"
jq -c 'select(.kind == "timeSeries") | .body' "$work/log.jsonl" > "$work/ts.jsonl"
/usr/bin/python3 "$google_dir/check_proto_json.py" "$PROTOS/monitoring.pb" \
  google.monitoring.v3.CreateTimeSeriesRequest --jsonl < "$work/ts.jsonl" || fail "Google's parser refused a body"
jq -c '.timeSeries[] | select(.metric.type | endswith("exemplar/latency")) | .points[0].value.distributionValue.exemplars' \
  "$work/ts.jsonl" > "$work/exemplars.json"
[ "$(wc -l < "$work/exemplars.json")" = 1 ] || fail "expected one exemplar/latency series: $(cat "$work/exemplars.json")"
span_name() {
  jq -r --arg r "$1" '"projects/ex-project/traces/" + .[$r].trace_id + "/spans/" + .[$r].span_id' "$work/ids.json"
}
SLOW=$(span_name slow)
FAST=$(span_name fast)
got=$(jq -c 'map({value, span: ([.attachments[]? | select(."@type" == "type.googleapis.com/google.monitoring.v3.SpanContext") | .spanName] | first),
  labels: ([.attachments[]? | select(."@type" == "type.googleapis.com/google.monitoring.v3.DroppedLabels") | .label] | first),
  ts: (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))})' "$work/exemplars.json")
want=$(jq -cn --arg slow "$SLOW" --arg fast "$FAST" \
  '[{value: 5, span: $fast, labels: null, ts: true}, {value: 2500, span: $slow, labels: {user: "alice"}, ts: true}]')
[ "$got" = "$want" ] || fail "exemplars: got $got, want $want"
echo "monitoring exemplar: all checks passed"
