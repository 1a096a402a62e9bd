#!/usr/bin/env bash
# demo_prometheus_test.sh DEMO STRICT_PARSE [PROMTOOL] - the demo's /metrics is clean for the
# real tools.
#
# Runs the demo serving /metrics on a free loopback port, waits until its latency histogram has
# rows, scrapes it in both formats, and requires:
#   - `promtool check metrics` on the text 0.0.4 scrape: exit 0 and nothing printed, i.e. no
#     parse error and no lint (issue 11: on main 8ce4642 promtool said
#     demo_latency_milliseconds use base unit "seconds" instead of "milliseconds", exit 3; the
#     demo now sets the exporter's base_units option);
#   - the latency histogram in seconds, its 1 ms bound as le="0.001";
#   - the OpenMetrics scrape parses with Debian's python3-prometheus-client strict parser
#     (STRICT_PARSE, tests/prometheus/strict_parse.py).
# The demo is stopped by its pid on every exit path (trap).
set -euo pipefail
demo="$1"
strict_parse="$2"
promtool="${3:-promtool}"
if [ -z "$promtool" ] || [[ "$promtool" == *NOTFOUND ]]; then promtool=promtool; fi
work="$(mktemp -d)"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid"
    for _ in $(seq 50); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$demo_pid" 2>/dev/null; then kill -KILL "$demo_pid"; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/demo.err" ] && tail -n 5 "$work/demo.err" >&2; exit 1; }

# A free port: a random one nothing answers on; retried if the demo cannot listen there.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
url=""
for attempt in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 20000 ))
  port_free "$port" || continue
  "$demo" --duration-s 30 --interval-ms 60000 --prometheus "127.0.0.1:$port" \
    > "$work/demo.out" 2> "$work/demo.err" &
  demo_pid=$!
  for _ in $(seq 100); do
    if grep -q 'Prometheus metrics at' "$work/demo.err" 2>/dev/null; then url="http://127.0.0.1:$port/metrics"; break; fi
    if grep -q 'not serving Prometheus' "$work/demo.err" 2>/dev/null; then break; fi
    sleep 0.05
  done
  [ -n "$url" ] && break
  kill -TERM "$demo_pid" 2>/dev/null || true
  wait "$demo_pid" 2>/dev/null || true
  demo_pid=""
done
[ -n "$url" ] || fail "the demo did not serve /metrics"

# Wait for every stage of both methods to have latencies (the demo's workers need a moment).
for _ in $(seq 100); do
  curl -sf --max-time 2 "$url" > "$work/metrics.txt" || true
  [ "$(grep -c '^demo_latency_seconds_count' "$work/metrics.txt" || true)" -ge 8 ] && break
  sleep 0.1
done
grep -q '^demo_latency_seconds_count' "$work/metrics.txt" || fail "no demo_latency_seconds in: $(head -c 500 "$work/metrics.txt")"
grep -q '^demo_latency_seconds_bucket{.*le="0.001"} ' "$work/metrics.txt" || fail "no 1 ms (0.001 s) bucket"
if grep -q 'milliseconds' "$work/metrics.txt"; then fail "a name in milliseconds"; fi

status=0
"$promtool" check metrics < "$work/metrics.txt" > "$work/promtool.out" 2>&1 || status=$?
[ "$status" = 0 ] && [ ! -s "$work/promtool.out" ] ||
  fail "promtool check metrics exit $status: $(cat "$work/promtool.out")"

curl -sf --max-time 2 -H 'Accept: application/openmetrics-text;version=1.0.0' "$url" > "$work/metrics.om" ||
  fail "OpenMetrics scrape"
/usr/bin/python3 "$strict_parse" "$work/metrics.om" > "$work/strict.out" 2>&1 ||
  fail "strict OpenMetrics parser: $(cat "$work/strict.out")"
grep -qx '# UNIT demo_latency_seconds seconds' "$work/metrics.om" || fail "OpenMetrics unit"

echo "demo_prometheus: ok (promtool clean, $(cat "$work/strict.out"))"
