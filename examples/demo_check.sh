#!/usr/bin/env bash
# demo_check.sh - runs the demo briefly in JSON mode and checks, with jq, that its final export
# (the one census_shutdown() makes) is complete and consistent: the demo counts a request only
# after all four stages, so every request in demo/request_count must have a "Send JSON Response"
# measurement in demo/latency and a response in demo/bytes_sent, per method.
#
# Usage: demo_check.sh DEMO
set -euo pipefail
shopt -s inherit_errexit
demo=${1:?usage: demo_check.sh DEMO}
command -v jq >/dev/null || { echo "demo_check: jq is required (Debian package jq)" >&2; exit 1; }
out=$(mktemp "${TMPDIR:-/tmp}/census-demo-check.XXXXXX")
trap 'rm -f "$out"' EXIT

# The interval exceeds the run, so the only export is the final one from census_shutdown().
"$demo" --json --duration-s 2 --interval-ms 600000 >"$out"

# Per method: [requests counted, Send JSON Response latencies, responses in bytes_sent].
report=$(jq -s -r '
  . as $rows
  | def total(f): [$rows[] | select(f) | .count] | add // 0;
  ["GET", "POST"][] as $m
  | [$m,
     total(.view == "demo/request_count" and .tags.method == $m),
     total(.view == "demo/latency" and .tags.method == $m
           and .tags.stage == "Send JSON Response"),
     total(.view == "demo/bytes_sent" and .tags.method == $m)]
  | map(tostring) | join(" ")' "$out")
echo "$report"
while read -r method requests sent bytes_rows; do
  [ "$requests" -gt 0 ] || { echo "demo_check: FAIL: no $method request exported" >&2; exit 1; }
  [ "$requests" = "$sent" ] && [ "$requests" = "$bytes_rows" ] || {
    echo "demo_check: FAIL: $method: $requests requests, $sent Send JSON Response latencies," \
      "$bytes_rows responses in bytes_sent; all three must agree" >&2
    exit 1
  }
done <<<"$report"
in_flight=$(jq -s '[.[] | select(.view == "demo/in_flight")] | last | .value' "$out")
[ "$in_flight" = 0 ] || { echo "demo_check: FAIL: in-flight gauge ends at $in_flight, not 0" >&2; exit 1; }

# Traces, with every request sampled: each request is one "user request" server span whose four
# children are the stages, in its trace; and every request counted in the metrics has its trace.
"$demo" --json --duration-s 1 --interval-ms 600000 --sample-ratio 1 >"$out" 2>/dev/null
roots=$(jq -s '[.[] | select(.span == "user request")] | length' "$out")
complete=$(jq -s '
  [.[] | select(.span)] as $spans
  | [$spans[] | select(.span == "user request") | . as $r
     | [$spans[] | select(.trace_id == $r.trace_id and .parent_span_id == $r.span_id) | .span]
     | sort == ["Convert Data", "Merge Data", "Read Data", "Send JSON Response"]
     | select(.)] | length' "$out")
# Array-valued attributes: each request span lists its stages in order (string[]) and what each
# took (double[], one positive number per stage).
arrays=$(jq -s '
  [.[] | select(.span == "user request") | .attributes
   | select(.["demo.stages"] == ["Read Data", "Convert Data", "Merge Data", "Send JSON Response"]
            and (.["demo.stage_ms"] | length == 4 and all(type == "number" and . > 0)))]
  | length' "$out")
requests=$(jq -s '[.[] | select(.view == "demo/request_count") | .count] | add // 0' "$out")
[ "$roots" -gt 0 ] && [ "$roots" = "$complete" ] && [ "$roots" = "$requests" ] &&
  [ "$roots" = "$arrays" ] || {
  echo "demo_check: FAIL: $roots request spans, $complete with all four stage children," \
    "$arrays with the stages' arrays, $requests requests counted; all four must agree" >&2
  exit 1
}
echo "demo_check: ok ($roots traced requests, each with its four stage spans and arrays)"
