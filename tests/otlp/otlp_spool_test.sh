#!/bin/bash
# otlp_spool_test.sh APP CASE - the persistent spool end to end: process 1 (otlp_exit_app return,
# K = 100000 values in 14 points, 1200 spans in 3 requests) ends with both OTLP backends down
# past its 1.5 s exit deadline, with a spool directory; process 2 (otlp_exit_app deliver, which
# records nothing) starts with the backend up. otlp_receiver.js decodes every request with
# protobufjs and the official OTLP .proto files; exit_summary.js sums them per process.pid.
# The spool is new: on main there is no spool_dir option and process 1 drops everything (the
# exit-path matrix, otlp_exit_test.sh down_*, checks that count), so every case here fails there.
#
#   deliver  Proves: process 1 counts everything as spooled (1 metrics request of 14 points,
#            3 traces requests of 1200 spans), nothing dropped, one diagnostic line per signal;
#            process 2, given the directory through CENSUS_SPOOL_DIR (process 1 used the API
#            option), delivers them before anything else: the decoded totals under process 1's
#            process.pid are exactly count K, sum K(K+1)/2 in 7 series and 1200 distinct spans;
#            every timestamp in them is process 1's (before process 1 ended; they arrived after
#            process 2 started); process 2 counts them as delivered from the spool and leaves
#            the spool empty; a third process finds nothing to deliver.
#   corrupt  One of the three traces files is damaged (a body byte changed) before process 2:
#            it is deleted and reported (CRC mismatch), never sent; the other files are
#            delivered: the spans decoded are exactly 1200 minus the damaged file's item count.
#   bound    CENSUS_SPOOL_MAX_BYTES smaller than the traces files: process 1 keeps the newest
#            files that fit and counts the oldest it dropped (spool_full) exactly; the traces
#            spool never exceeds the bound; what process 2 delivers plus what was dropped is
#            exactly 1200 spans.
source "$(dirname "$0")/otlp_common.sh"
APP="$1"
CASE="$2"
K=100000
SUM_K=$((K * (K + 1) / 2))
SPOOL="$WORK/spool"
mkdir -p "$SPOOL"

expect() { # JSON JQ-EXPRESSION DESCRIPTION
  jq -e "$2" <<< "$1" > /dev/null || { echo "$1"; cat "$WORK/err" >&2; fail "$CASE: $3"; }
}
diag_count() { grep -cF "$1" "$WORK/$2" || true; }
spool_files() { find "$SPOOL" -name '*.spool' -path "*$1*" | sort; }
spool_bytes() { local n=0 f; for f in $(spool_files "$1"); do n=$((n + $(stat -c %s "$f"))); done; echo $n; }
# The item count in a spool file's header (bytes 32..39, little-endian).
file_items() { od -An -t u8 -j 32 -N 8 "$1" | tr -d ' '; }

# Process 1: both backends down (nothing listens on PORT yet), spool through the API option.
# Process 2 then finds the receiver on that very port: the spool's identity includes the URL.
case "$CASE" in deliver | corrupt | bound) ;; *) fail "unknown case $CASE" ;; esac
PORT=$(free_port)
process1() {
  timeout 30 "$APP" return "http://127.0.0.1:$PORT/v1/metrics" "http://127.0.0.1:$PORT/v1/traces" \
    --spool-dir "$SPOOL" > "$WORK/p1.report" 2> "$WORK/p1.err" \
    || fail "$CASE: process 1 failed: $(cat "$WORK/p1.err")"
  P1=$(tail -n 1 "$WORK/p1.report")
  P1_PID=$(jq .pid <<< "$P1")
  P1_END_NS=$(date +%s%N)
}

# Process 2 against the receiver (same service, same URLs), spool through the environment.
process2() {
  sleep 0.2
  P2_START_MS=$(($(date +%s%N) / 1000000))
  CENSUS_SPOOL_DIR="$SPOOL" timeout 30 "$APP" deliver "http://127.0.0.1:$PORT/v1/metrics" \
    "http://127.0.0.1:$PORT/v1/traces" > "$WORK/p2.report" 2> "$WORK/p2.err" \
    || fail "$CASE: process 2 failed: $(cat "$WORK/p2.err")"
  P2=$(tail -n 1 "$WORK/p2.report")
}

if [ "$CASE" = bound ]; then
  # A first run with the default bound measures the three traces files, then they are removed.
  unset CENSUS_SPOOL_MAX_BYTES
  process1
  mapfile -t files < <(spool_files otlp_traces)
  [ "${#files[@]}" -eq 3 ] || fail "bound: expected 3 traces files, got ${#files[@]}"
  sizes=()
  for f in "${files[@]}"; do sizes+=("$(stat -c %s "$f")"); done
  # Room for two 512-span files but not for the third file besides them: the third write (files
  # in order 512, 512, 176 spans) drops the oldest.
  BOUND=$((sizes[0] + sizes[1] + 1))
  rm -rf "${SPOOL:?}"/*
  export CENSUS_SPOOL_MAX_BYTES=$BOUND
fi

process1
expect "$P1" '.metrics.items_dropped == 0 and .metrics.items_delivered == 0
  and .metrics.requests_spooled == 1 and .metrics.items_spooled == 14' \
  "process 1 spooled its metrics snapshot (14 points), dropped nothing"
expect "$P1" '.traces.requests_spooled == 3 and .traces.items_spooled == 1200
  and .traces.items_delivered == 0' "process 1 spooled its 3 traces requests (1200 spans)"
[ "$(diag_count "otlp metrics: exit deadline reached, 1 requests (14 items) spooled for the next start" p1.err)" -eq 1 ] \
  || fail "$CASE: metrics spool line; $(cat "$WORK/p1.err")"
[ "$(diag_count "otlp traces: exit deadline reached, 3 requests (1200 items) spooled for the next start" p1.err)" -eq 1 ] \
  || fail "$CASE: traces spool line; $(cat "$WORK/p1.err")"
[ "$(diag_count "not delivered" p1.err)" -eq 0 ] || fail "$CASE: something reported not delivered"

DROPPED=0
case "$CASE" in
deliver)
  expect "$P1" '.traces.items_dropped == 0' "nothing dropped"
  [ "$(spool_files otlp_metrics | wc -l)" -eq 1 ] && [ "$(spool_files otlp_traces | wc -l)" -eq 3 ] \
    || fail "deliver: expected 1 metrics and 3 traces files in the spool"
  ;;
corrupt)
  victim=$(spool_files otlp_traces | sed -n 2p)
  DAMAGED=$(file_items "$victim")
  size=$(stat -c %s "$victim")
  printf 'X' | dd of="$victim" bs=1 seek=$((size - 10)) conv=notrunc status=none
  ;;
bound)
  # The write of the third traces file dropped the oldest (512 spans), counted as dropped.
  DROPPED=$(jq .traces.items_dropped <<< "$P1")
  expect "$P1" '.traces.items_dropped == 512 and .traces.requests_dropped == 1' \
    "the oldest traces file (512 spans) dropped for the bound"
  [ "$(diag_count "to stay within its bound of $BOUND bytes" p1.err)" -ge 1 ] \
    || fail "bound: eviction not reported; $(cat "$WORK/p1.err")"
  [ "$(spool_bytes otlp_traces)" -le "$BOUND" ] || fail "bound: traces spool $(spool_bytes otlp_traces) > $BOUND"
  [ "$(spool_files otlp_traces | wc -l)" -eq 2 ] || fail "bound: expected 2 traces files left"
  ;;
esac

WANT_PORT=$PORT
start_receiver rcv --port "$PORT"
[ "$PORT" = "$WANT_PORT" ] || fail "$CASE: the receiver got port $PORT, not $WANT_PORT"
process2
expect "$P2" '.status == "CENSUS_OK"' "process 2: census_flush() waited for the spool's files"
SPANS_EXPECTED=$((1200 - DROPPED))
if [ "$CASE" = corrupt ]; then
  SPANS_EXPECTED=$((1200 - DAMAGED))
  [ "$(diag_count "CRC mismatch" p2.err)" -eq 1 ] || fail "corrupt: damage not reported; $(cat "$WORK/p2.err")"
  expect "$P2" '.traces.requests_from_spool == 2' "two good traces files delivered"
else
  want=3
  [ "$CASE" = bound ] && want=2
  expect "$P2" ".traces.requests_from_spool == $want" "traces files delivered"
fi
expect "$P2" ".metrics.requests_from_spool == 1 and .metrics.items_from_spool == 14
  and .traces.items_from_spool == $SPANS_EXPECTED and .traces.items_dropped == 0
  and .metrics.items_dropped == 0" "process 2 counts what it delivered from the spool"
[ -z "$(spool_files otlp)" ] || fail "$CASE: files left in the spool: $(spool_files otlp)"

s=$(node "$HERE/exit_summary.js" "$WORK/rcv.jsonl") || fail "$CASE: receiver log did not decode"
expect "$s" ".\"$P1_PID\".count == $K and .\"$P1_PID\".sum == $SUM_K and .\"$P1_PID\".count_rows == 7
  and .\"$P1_PID\".metrics_requests == 1 and .\"$P1_PID\".service == \"otlp-exit\"" \
  "process 1's metrics decoded exactly: count $K, sum $SUM_K in 7 series"
expect "$s" ".\"$P1_PID\".spans == $SPANS_EXPECTED and .\"$P1_PID\".distinct_spans == $SPANS_EXPECTED" \
  "process 1's spans decoded exactly: $SPANS_EXPECTED distinct"

# Timestamps: every point and span under process 1's pid is older than process 1's end, and
# every such request arrived after process 2 started.
node -e '
  const fs = require("fs");
  const [log, pid, endNs, startMs] = process.argv.slice(1);
  let points = 0, spans = 0, bad = [];
  for (const r of fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map(JSON.parse)) {
    const top = r.signal === "metrics" ? r.decoded.resourceMetrics : r.decoded.resourceSpans;
    for (const rm of top || []) {
      const p = (rm.resource.attributes || []).find((a) => a.key === "process.pid");
      if (!p || String(p.value.intValue) !== pid) continue;
      if (r.time < Number(startMs)) bad.push(`request ${r.seq} arrived before process 2 started`);
      for (const sm of rm.scopeMetrics || rm.scopeSpans || []) {
        for (const m of sm.metrics || []) {
          const data = m.sum || m.gauge || m.histogram;
          for (const dp of data.dataPoints) {
            points++;
            if (BigInt(dp.timeUnixNano) >= BigInt(endNs)) bad.push(`point time ${dp.timeUnixNano}`);
          }
        }
        for (const sp of sm.spans || []) {
          spans++;
          if (BigInt(sp.endTimeUnixNano) >= BigInt(endNs)) bad.push(`span end ${sp.endTimeUnixNano}`);
        }
      }
    }
  }
  if (points === 0 || spans === 0 || bad.length) {
    console.error(`points ${points}, spans ${spans}: ${bad.slice(0, 5).join("; ")}`);
    process.exit(1);
  }
' "$WORK/rcv.jsonl" "$P1_PID" "$P1_END_NS" "$P2_START_MS" || fail "$CASE: timestamps are not process 1's"

# A third process finds nothing left to deliver.
process2
expect "$P2" '.metrics.requests_from_spool == 0 and .traces.requests_from_spool == 0' \
  "a later start delivers nothing twice"
echo "PASS: $CASE"
