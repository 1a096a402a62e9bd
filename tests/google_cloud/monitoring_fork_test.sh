#!/bin/sh
# monitoring_fork_test.sh <monitoring_fork_app> <tests/google_cloud dir>
#
# Proves, against fake_google.js on loopback (which enforces the per-series write interval), for
# a process that writes its series, then forks a child that records and flushes at once:
#  1. the child's point is written, under its own opencensus_task label c-<child pid>@<host>,
#     with exactly the child's value (7), while the parent's series (c-<parent pid>@<host>) holds
#     the parent's (5); the parent's write interval does not hold back the child's new series
#     (main: the child's point was deferred behind the parent's last write, never written);
#  2. the child's counters start at zero (main: the parent's export, submitted and delivered
#     points) and then count exactly its own export: one submitted and delivered point.
set -eu
APP=$1
google_dir=$2
. "$google_dir/fake_google_lib.sh"

start_fake_google <<CFG
{"log": "$work/log.jsonl", "project": "key-project", "minIntervalMs": 60000,
 "staticTokens": ["control-token"]}
CFG

"$APP" "http://127.0.0.1:$port" > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATE=$(fake_google_state)
CHILD=$(grep '"role":"child"' "$work/out")
PARENT=$(grep '"role":"parent"' "$work/out")
echo "child: $CHILD"
echo "parent: $PARENT"
cpid=$(echo "$CHILD" | jq .pid)
ppid=$(echo "$PARENT" | jq .pid)
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "server saw violations: $(echo "$STATE" | jq -c .violations)"
value_of() { # PID: the last value of test/fork's series whose task label has that pid
  echo "$STATE" | jq -r --arg p "c-$1@" '.lastValues | to_entries[]
    | select((.key | startswith("custom.googleapis.com/opencensus/test/fork{")) and (.key | contains("opencensus_task=" + $p)))
    | .value.int64Value'
}
[ "$(value_of "$cpid")" = 7 ] || fail "child's series (task c-$cpid@...): '$(value_of "$cpid")', expected 7; $(echo "$STATE" | jq -c .lastValues)"
[ "$(value_of "$ppid")" = 5 ] || fail "parent's series (task c-$ppid@...): '$(value_of "$ppid")', expected 5"
echo "$CHILD" | jq -e '.before | to_entries | map(.value) | add == 0' > /dev/null \
  || fail "the child's counters did not start at zero"
echo "$CHILD" | jq -e '.flush == "CENSUS_OK" and .after.exports == 1 and .after.points_submitted == 1
  and .after.points_delivered == 1 and .after.points_deferred == 0 and .after.requests_delivered == 1' \
  > /dev/null || fail "the child's counters do not count exactly its own export"
echo "monitoring_fork: ok"
