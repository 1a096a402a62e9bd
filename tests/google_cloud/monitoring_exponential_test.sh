#!/bin/sh
# monitoring_exponential_test.sh <monitoring_exp_app> <tests/google_cloud dir> <descriptor set dir>
#
# Proves, against fake_google.js on loopback (Cloud Monitoring's rules, exponential buckets
# included): census's exponential histogram views reach Cloud Monitoring as distributions that
#  1. break no rule (at most 200 buckets: a 2048-bucket view is lowered to fit) and are valid
#     google.monitoring.v3.CreateTimeSeriesRequest bodies for Google's parser (json_format with
#     the official definitions);
#  2. hold, as exponentialBuckets (growthFactor, scale, one finite bucket per index) or, where
#     base^offset is no normal double, as explicitBuckets, the counts that check_exponential_gm.py
#     computes from the recorded values by the data model's formulas (not census's code).
# Fails on main: there are no exponential views there.
set -eu
APP=$1
google_dir=$2
PROTOS=$3
. "$google_dir/fake_google_lib.sh"
start_fake_google "$(printf '{"project": "exp-project", "staticTokens": ["exp-token"], "log": "%s"}' "$work/log.jsonl")"
"$APP" "http://127.0.0.1:$port" "$work/values.json" > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATS=$(tail -n1 "$work/out")
fake_google_state > "$work/state.json"
echo "exporter: $STATS"
[ "$(jq '.violations | length' "$work/state.json")" = 0 ] || fail "rule violations: $(jq -c .violations "$work/state.json")"
[ "$(echo "$STATS" | jq -r .flush)" = CENSUS_OK ] || fail "flush: $STATS"
[ "$(echo "$STATS" | jq -r '.points_dropped + .points_rejected')" = 0 ] || fail "dropped or rejected: $STATS"
jq -c 'select(.kind == "timeSeries") | .body' "$work/log.jsonl" > "$work/ts.jsonl"
/usr/bin/python3 "$google_dir/check_proto_json.py" "$PROTOS/monitoring.pb" \
  google.monitoring.v3.CreateTimeSeriesRequest --jsonl < "$work/ts.jsonl" || fail "Google's parser refused a body"
/usr/bin/python3 "$google_dir/check_exponential_gm.py" "$work/values.json" "$work/state.json" \
  custom.googleapis.com/opencensus/ || fail "distributions differ from the definition"
echo "monitoring exponential: all checks passed"
