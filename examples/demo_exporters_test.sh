#!/bin/sh
# demo_exporters_test.sh - runs the demo for ~3 s against the loopback receivers of the exporter
# tests and checks, with independent decoders (ajv, jq), what arrived.
#   demo_exporters_test.sh zipkin <demo> <source dir>
#     proves: with --zipkin-endpoint, every POST is valid Zipkin v2 JSON (ajv, strict, against
#     tests/zipkin/zipkin2-span-schema.json), spans went out during the run (more than one
#     request), the spans received are exactly the ones the demo reported delivered (its final
#     counters, read after census_shutdown(), so the spans of the final export count), none were
#     dropped, every sampled trace id the demo printed arrived with its five spans (a SERVER "user
#     request" and its four stage children) under serviceName "demo"; and that
#     OTEL_TRACES_EXPORTER="console, zipkin" with OTEL_EXPORTER_ZIPKIN_ENDPOINT starts the exporter
#     without the flag, while OTEL_TRACES_EXPORTER=console does not (the variable names exactly the
#     exporters that run)
#   demo_exporters_test.sh google <demo> <source dir>
#     proves: with --google-cloud-project and the endpoint/token options pointing at
#     tests/google_cloud/fake_google.js (which enforces Cloud Monitoring's rules), the demo's four
#     views get their descriptors, no rule is broken, the points the server accepted are the
#     points the demo reported delivered (none dropped or rejected), the request counts written
#     equal the demo's own final stdout export, which is printed once (the demo reads its push
#     exporters' final counters after census_shutdown(), with no flush before it), and Cloud
#     Trace received exactly the spans reported delivered (the counters read after
#     census_shutdown()), with every sampled trace id; with --interval-ms 1000 against the
#     server's 10 s per-series rule the demo warns, points are deferred and nothing is refused
set -eu
mode=$1 demo=$2 src=$3
google_dir="$src/tests/google_cloud"
. "$google_dir/fake_google_lib.sh"

# sampled_ids <stderr file>: the trace ids the demo printed, sorted.
sampled_ids() { sed -n 's/^demo: sampled .* request, trace_id=\([0-9a-f]*\)$/\1/p' "$1" | sort -u; }

case $mode in
zipkin)
  schema="$src/tests/zipkin/zipkin2-span-schema.json"
  start_node_receiver "$src/tests/zipkin/zipkin_receiver.js" --schema "$schema" \
    --out "$work/requests.jsonl" --script 202
  # Spans leave every OTEL_BSP_SCHEDULE_DELAY (default 5 s: longer than the run).
  OTEL_BSP_SCHEDULE_DELAY=500 "$demo" --duration-s 3 --interval-ms 1000 --no-prometheus \
    --sample-ratio 0.25 --zipkin-endpoint "http://127.0.0.1:$port/api/v2/spans" > "$work/out" 2> "$work/err" ||
    { cat "$work/err"; fail "demo failed"; }
  stop_receiver
  grep -v '^demo: sampled' "$work/err"
  r="$work/requests.jsonl"
  requests=$(wc -l < "$r")
  [ "$requests" -ge 2 ] || fail "spans were not exported during the run ($requests requests)"
  [ "$(jq -s '[.[] | select(.valid | not)] | length' "$r")" = 0 ] ||
    fail "invalid Zipkin bodies: $(jq -c 'select(.valid | not) | .errors' "$r" | head -n 3)"
  [ "$(jq -s '[.[] | select(.path != "/api/v2/spans" or .method != "POST")] | length' "$r")" = 0 ] ||
    fail "wrong path or method"
  received=$(jq -s '[.[].body | length] | add' "$r")
  line=$(grep '^demo: Zipkin delivered' "$work/err") || fail "no Zipkin counters printed"
  delivered=$(echo "$line" | sed 's/^demo: Zipkin delivered \([0-9]*\) spans.*/\1/')
  dropped=$(echo "$line" | sed 's/.*dropped \([0-9]*\) spans.*/\1/')
  [ "$received" = "$delivered" ] || fail "receiver got $received spans, demo reports $delivered"
  [ "$dropped" = 0 ] || fail "demo reports $dropped spans dropped"
  sampled_ids "$work/err" > "$work/sampled"
  [ "$(wc -l < "$work/sampled")" -ge 5 ] || fail "too few sampled requests"
  jq -r '.body[].traceId' "$r" | sort -u > "$work/received"
  cmp -s "$work/sampled" "$work/received" || fail "trace ids differ: $(diff "$work/sampled" "$work/received" | head -n 5)"
  [ "$received" = $((5 * $(wc -l < "$work/sampled"))) ] || fail "$received spans for $(wc -l < "$work/sampled") traces"
  bad=$(jq -s '[.[].body[]] | group_by(.traceId) | map(
      (map(select(.name == "user request" and .kind == "SERVER"))) as $root
      | select(($root | length) != 1
               or ([.[] | select(.parentId == $root[0].id) | .name] | sort)
                  != ["Convert Data", "Merge Data", "Read Data", "Send JSON Response"]
               or any(.[]; .localEndpoint.serviceName != "demo"))) | length' "$r")
  [ "$bad" = 0 ] || fail "$bad traces without a root and its four stage spans (service demo)"
  echo "zipkin: $requests requests, $received spans of $(wc -l < "$work/sampled") traces"

  echo "== OTEL_TRACES_EXPORTER"
  start_node_receiver "$src/tests/zipkin/zipkin_receiver.js" --schema "$schema" \
    --out "$work/requests.jsonl" --script 202
  OTEL_TRACES_EXPORTER="console, zipkin" OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$port/api/v2/spans" \
    "$demo" --duration-s 1 --interval-ms 60000 --no-prometheus --sample-ratio 1 \
    > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "demo failed"; }
  stop_receiver
  grep -q "^demo: sending spans to Zipkin at http://127.0.0.1:$port/api/v2/spans" "$work/err" ||
    fail "environment endpoint not used"
  sampled_ids "$work/err" > "$work/sampled"
  jq -r '.body[].traceId' "$work/requests.jsonl" | sort -u > "$work/received"
  [ -s "$work/sampled" ] && cmp -s "$work/sampled" "$work/received" ||
    fail "OTEL_TRACES_EXPORTER: sampled and received trace ids differ"
  start_node_receiver "$src/tests/zipkin/zipkin_receiver.js" --schema "$schema" \
    --out "$work/requests.jsonl" --script 202
  OTEL_TRACES_EXPORTER=console OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$port/api/v2/spans" \
    "$demo" --duration-s 1 --interval-ms 60000 --no-prometheus --sample-ratio 1 \
    --zipkin-endpoint "http://127.0.0.1:$port/api/v2/spans" \
    > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "demo failed"; }
  stop_receiver
  ! grep -q Zipkin "$work/err" || fail "OTEL_TRACES_EXPORTER=console started Zipkin"
  [ ! -s "$work/requests.jsonl" ] || fail "OTEL_TRACES_EXPORTER=console sent spans to Zipkin"
  echo "demo zipkin: all checks passed"
  ;;
google)
  # start_fake <min interval ms>: fake_google.js accepting the static token demo-token.
  start_fake() {
    start_fake_google "{\"project\": \"demo-project\", \"staticTokens\": [\"demo-token\"], \"minIntervalMs\": $1}"
  }
  # run_demo <interval ms>: the demo against the fake server (the metadata server too, which
  # answers 404: resource "global").
  run_demo() {
    GCE_METADATA_HOST="127.0.0.1:$port" "$demo" --json --duration-s 3 --interval-ms "$1" \
      --no-prometheus --sample-ratio 0.25 --google-cloud-project demo-project \
      --google-access-token demo-token --google-monitoring-endpoint "http://127.0.0.1:$port" \
      --google-trace-endpoint "http://127.0.0.1:$port" > "$work/out" 2> "$work/err" ||
      { cat "$work/err"; fail "demo failed"; }
    grep -v '^demo: sampled' "$work/err"
    state=$(fake_google_state) || fail "no server state"
  }
  v() { echo "$state" | jq -r "$1"; }
  counter() { # <line prefix> <sed expression>
    grep "^$1" "$work/err" | sed "$2"
  }
  start_fake 10000
  run_demo 60000
  [ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v '.violations')"
  [ "$(v .unauthorized)" = 0 ] || fail "unauthorized requests"
  [ "$(v '.descriptors | keys | map(select(startswith("custom.googleapis.com/opencensus/demo/"))) | sort | join(",")')" = \
    "custom.googleapis.com/opencensus/demo/bytes_sent,custom.googleapis.com/opencensus/demo/in_flight,custom.googleapis.com/opencensus/demo/latency,custom.googleapis.com/opencensus/demo/request_count" ] ||
    fail "descriptors: $(v '.descriptors | keys | join(",")')"
  delivered=$(counter "demo: Cloud Monitoring delivered" 's/.*delivered \([0-9]*\) points.*/\1/')
  dropped=$(counter "demo: Cloud Monitoring delivered" 's/.*dropped \([0-9]*\), rejected \([0-9]*\).*/\1 \2/')
  [ -n "$delivered" ] && [ "$delivered" -gt 0 ] || fail "no points delivered"
  [ "$delivered" = "$(v .acceptedPoints)" ] || fail "demo delivered $delivered, server accepted $(v .acceptedPoints)"
  [ "$dropped" = "0 0" ] || fail "dropped, rejected: $dropped"
  # The demo's request counts: its stdout exporter's last row per tag set vs the last value the
  # server holds per series.
  want=$(jq -s '[.[] | select(.view == "demo/request_count")] | group_by(.tags) | map(last.count) | add' "$work/out")
  got=$(v '[.lastValues | to_entries[] | select(.key | startswith("custom.googleapis.com/opencensus/demo/request_count{")) | .value.int64Value | tonumber] | add')
  [ "$want" -gt 0 ] && [ "$got" = "$want" ] || fail "request counts: server $got, demo $want"
  # --interval-ms 60000 in a 3 s run: census_shutdown()'s export is the only one on stdout.
  exports=$(jq -s '[.[] | select(.view == "demo/request_count")] | group_by(.tags) | map(length) | max' "$work/out")
  [ "$exports" = 1 ] || fail "the final stdout export was printed $exports times"
  spans=$(counter "demo: Cloud Trace delivered" 's/.*delivered \([0-9]*\) spans.*/\1/')
  tdropped=$(counter "demo: Cloud Trace delivered" 's/.*dropped \([0-9]*\) spans.*/\1/')
  [ "$spans" = "$(v .traceSpans)" ] || fail "demo delivered $spans spans, server accepted $(v .traceSpans)"
  [ "$tdropped" = 0 ] || fail "$tdropped spans dropped"
  sampled_ids "$work/err" > "$work/sampled"
  v '.spanNames[]' | sed 's|^projects/demo-project/traces/\([0-9a-f]*\)/spans/.*|\1|' | sort -u > "$work/received"
  [ -s "$work/sampled" ] && cmp -s "$work/sampled" "$work/received" || fail "trace ids differ"
  [ "$spans" = $((5 * $(wc -l < "$work/sampled"))) ] || fail "$spans spans for $(wc -l < "$work/sampled") traces"
  echo "google: $delivered points, $spans spans"
  stop_receiver

  echo "== --interval-ms 1000 against the 10 s rule"
  start_fake 10000
  run_demo 1000
  grep -q "^demo: note: Cloud Monitoring takes one point per series every 10000 ms" "$work/err" ||
    fail "no warning about the interval"
  [ "$(v '.violations | length')" = 0 ] || fail "rule violations: $(v '.violations')"
  deferred=$(counter "demo: Cloud Monitoring delivered" 's/.*deferred \([0-9]*\);.*/\1/')
  [ "$deferred" -gt 0 ] || fail "nothing deferred"
  [ "$(counter "demo: Cloud Monitoring delivered" 's/.*delivered \([0-9]*\) points.*/\1/')" = "$(v .acceptedPoints)" ] ||
    fail "delivered != accepted"
  stop_receiver
  echo "demo google: all checks passed"
  ;;
*) echo "unknown mode $mode" >&2; exit 64 ;;
esac
