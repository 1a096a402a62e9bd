#!/bin/sh
# monitoring_drops_test.sh <monitoring_drops_app> <tests/google_cloud dir>
#
# Proves, against fake_google.js on loopback, with the first metricDescriptors.create call (the
# descriptor of view test/denied) refused permanently (400 INVALID_ARGUMENT):
#  1. the refusal is reported and the view's points are dropped every export, never sent (the
#     server has no series of test/denied), while the other view's points are delivered;
#  2. the exporter-side drops reach the self-metric: the row census/exporter_dropped_items
#     {exporter="google monitoring", reason="no_descriptor"} (read in-process with
#     census_view_data_get()) equals the exporter's points_dropped, and is the only drop row of
#     the exporter; the same value reaches the server as that series' last point (the final
#     export writes it);
#  3. the handle contract: after census_shutdown() the stats call still answers CENSUS_OK with
#     the final counters (the final export's drops included: 3 more points; delivered equal to
#     the points the server accepted), and stop then answers the outcome of the final delivery,
#     CENSUS_EEXPORT: points were dropped during the exporter's life (every push exporter's rule).
set -eu
APP=$1
google_dir=$2
. "$google_dir/fake_google_lib.sh"

ROUNDS=3
INTERVAL=300
start_fake_google <<CFG
{"log": "$work/log.jsonl", "project": "key-project", "minIntervalMs": $INTERVAL,
 "staticTokens": ["control-token"],
 "inject": [
  {"path": "metricDescriptors", "call": 1, "status": 400, "statusName": "INVALID_ARGUMENT", "message": "Field metricDescriptor.labels[0] is invalid"}
 ]}
CFG

"$APP" "http://127.0.0.1:$port" $ROUNDS $INTERVAL > "$work/out" 2> "$work/err" \
  || { cat "$work/err"; fail "app failed"; }
OUT=$(tail -n1 "$work/out")
STATE=$(fake_google_state)
echo "app: $OUT"
o() { echo "$OUT" | jq -r "$1"; }
v() { echo "$STATE" | jq -r "$1"; }
P='custom.googleapis.com/opencensus'

# 1. The refused descriptor and its view.
FIRST=$(jq -s -r '[.[] | select(.kind == "metricDescriptor")][0] | (.call | tostring) + " " + .body.type' "$work/log.jsonl")
[ "$FIRST" = "1 $P/test/denied" ] || fail "descriptor call 1 was not test/denied's: $FIRST"
grep -q "metricDescriptors.create $P/test/denied: HTTP 400 INVALID_ARGUMENT: Field metricDescriptor.labels\[0\] is invalid (permanent; the view's points are dropped)" "$work/err" \
  || fail "permanent descriptor failure not reported: $(cat "$work/err")"
[ "$(v "[.lastValues | keys[] | select(startswith(\"$P/test/denied\"))] | length")" = 0 ] || fail "points of test/denied were sent"
[ "$(v "[.lastValues | to_entries[] | select(.key | startswith(\"$P/test/allowed{\")) | .value.int64Value][0]")" = $((10 * ROUNDS)) ] \
  || fail "test/allowed not delivered: $(v .lastValues)"
[ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v .violations)"

# 2. Self-metric row = the exporter's own drop count.
DROPPED=$(o .before.points_dropped)
[ "$DROPPED" = $((3 * ROUNDS)) ] || fail "points_dropped $DROPPED, want 3 rows x $ROUNDS exports"
[ "$(o '.self.no_descriptor')" = "$DROPPED" ] || fail "self-metric no_descriptor $(o .self.no_descriptor) != points_dropped $DROPPED"
[ "$(o '.self | keys | join(",")')" = "no_descriptor" ] || fail "unexpected drop rows: $(o .self)"
SERVER=$(v "[.lastValues | to_entries[] | select(.key | startswith(\"$P/census/exporter_dropped_items{\") and contains(\"exporter=google monitoring\") and contains(\"reason=no_descriptor\")) | .value.int64Value][0]")
[ "$SERVER" = "$DROPPED" ] || fail "server's last self-metric point $SERVER != $DROPPED"

# 3. After census_shutdown(): the handle still answers, with the final counters; stop frees.
[ "$(o .after_status)" = CENSUS_OK ] || fail "stats after census_shutdown(): $(o .after_status)"
[ "$(o .after.points_dropped)" = $((DROPPED + 3)) ] || fail "final points_dropped $(o .after.points_dropped), want $((DROPPED + 3))"
[ "$(o .after.points_delivered)" = "$(v .acceptedPoints)" ] || fail "final delivered $(o .after.points_delivered) != server accepted $(v .acceptedPoints)"
[ "$(o .after.points_submitted)" = "$(o .after.points_delivered)" ] || fail "submitted $(o .after.points_submitted) != delivered"
[ "$(o .after.points_delivered)" -gt "$(o .before.points_delivered)" ] || fail "the final export delivered nothing"
[ "$(o .stop)" = CENSUS_EEXPORT ] || fail "stop after census_shutdown(): $(o .stop), want CENSUS_EEXPORT"
echo "monitoring drops: all checks passed"
