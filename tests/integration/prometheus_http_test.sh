#!/usr/bin/env bash
# prometheus_http_test.sh APP - the /metrics endpoint over real HTTP, with curl.
#
# Proves, against prometheus_app (see its header for the values it records):
#   - GET /metrics: 200, Content-Type text/plain; version=0.0.4, the recorded values;
#   - OpenMetrics when Accept asks for it (Prometheus's own Accept header), ending in "# EOF";
#   - both bodies, which hold views named "_total", "-total", "/total", columns that sanitise
#     alike and a histogram with a negative bound, parse strictly: the OpenMetrics one with
#     Debian's python3-prometheus-client strict parser (tests/prometheus/strict_parse.py), the
#     text one with promtool check metrics (no parse error); on main 8ce4642 the OpenMetrics body
#     had a family without a name and the strict parser refused it (issue 11);
#   - HEAD: 200 and no body; other paths 404; other methods 405 with "Allow: GET, HEAD";
#   - request headers beyond the per-connection memory limit: 431, and the server goes on;
#   - slow clients (connections that send half a request and stall) neither block scrapes nor
#     recording: while they hang, scrapes answer at once and app/ticks keeps growing; the server
#     closes them after its timeout (2 s here);
#   - the app ends cleanly on SIGTERM: the stop is bounded and no record call took > 100 ms.
# The app is stopped by its pid on every exit path (trap).
set -euo pipefail
app="$1"
strict_parse="$(cd "$(dirname "$0")/../prometheus" && pwd)/strict_parse.py"
work="$(mktemp -d)"
app_pid=""
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill -KILL "$app_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$app" "$work/port" --timeout-s 2 --max-connections 16 > "$work/app.out" 2>&1 &
app_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port="$(cat "$work/port")"
[ -n "$port" ] || fail "the app did not write its port"
url="http://127.0.0.1:$port"

# GET, text format.
curl -sS -D "$work/h" -o "$work/body" --max-time 5 "$url/metrics"
grep -q '^HTTP/1.1 200' "$work/h" || fail "GET /metrics: $(head -1 "$work/h")"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$work/h" ||
  fail "text content type: $(grep -i content-type "$work/h")"
grep -qx 'app_requests_total{service="census-test",method="GET"} 3' "$work/body" || fail "GET count"
grep -qx 'app_latency_seconds_bucket{service="census-test",le="+Inf"} 4' "$work/body" ||
  fail "histogram +Inf bucket"
grep -qx 'app_tricky_total{service="census-test",value="a\\"b\\\\c"} 5' "$work/body" ||
  fail "escaped label value"
if grep -q '# EOF' "$work/body"; then fail "# EOF in the text format"; fi
# An exponential view as explicit buckets (values and derivation in prometheus_app.c).
exp_buckets="$(sed -n 's/^app_latency_exp_seconds_bucket{service="census-test",le="\([^"]*\)"} /\1=/p' "$work/body" | tr '\n' ' ')"
[ "$exp_buckets" = '0=0 0.0625=1 0.25=1 1=3 4=4 +Inf=4 ' ] || fail "exponential buckets: $exp_buckets"
grep -qx 'app_latency_exp_seconds_count{service="census-test"} 4' "$work/body" || fail "exponential count"
status=0
promtool check metrics < "$work/body" > "$work/promtool.out" 2>&1 || status=$?
[ "$status" = 0 ] || [ "$status" = 3 ] || fail "promtool check metrics exit $status: $(cat "$work/promtool.out")"
grep -qx 'total_total{service="census-test"} 5' "$work/body" || fail "view _total"
grep -qx 'app_ident_total{service="census-test",a_b="z",a_b_2="x;y"} 2' "$work/body" ||
  fail "columns that sanitise alike"

# OpenMetrics, with the Accept header Prometheus 2.42 sends.
accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
curl -sS -D "$work/h" -o "$work/body" --max-time 5 -H "Accept: $accept" "$url/metrics"
grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$work/h" ||
  fail "OpenMetrics content type: $(grep -i content-type "$work/h")"
[ "$(tail -n 1 "$work/body")" = "# EOF" ] || fail "OpenMetrics body does not end with # EOF"
grep -qx '# TYPE app_requests counter' "$work/body" || fail "OpenMetrics counter family name"
grep -qx 'app_latency_seconds_bucket{service="census-test",le="1.0"} 3' "$work/body" ||
  fail "OpenMetrics canonical le"
grep -qx 'app_latency_exp_seconds_bucket{service="census-test",le="0.0625"} 1' "$work/body" ||
  fail "OpenMetrics exponential bucket"
/usr/bin/python3 "$strict_parse" "$work/body" > "$work/strict.out" 2>&1 ||
  fail "strict OpenMetrics parser: $(cat "$work/strict.out")"
grep -qx '# TYPE total counter' "$work/body" || fail "OpenMetrics family of view _total"
grep -q '^app_requests_created{service="census-test",method="GET"} [0-9]' "$work/body" ||
  fail "OpenMetrics _created"
grep -qx 'app_offset_bucket{service="census-test",le="+Inf"} 2' "$work/body" ||
  fail "negative-bound histogram"
if grep -q '^app_offset_sum' "$work/body"; then fail "_sum with a negative bound in OpenMetrics"; fi

# HEAD, 404, 405.
code=$(curl -sS -I -o "$work/h" -w '%{http_code} %{size_download}' --max-time 5 "$url/metrics")
[ "$code" = "200 0" ] || fail "HEAD: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url/")
[ "$code" = 404 ] || fail "GET /: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url/metrics/extra")
[ "$code" = 404 ] || fail "GET /metrics/extra: $code"
for method in POST PUT DELETE; do
  code=$(curl -sS -D "$work/h" -o /dev/null -w '%{http_code}' --max-time 5 -X "$method" \
    -d 'x=1' "$url/metrics")
  [ "$code" = 405 ] || fail "$method /metrics: $code"
  grep -qi '^Allow: GET, HEAD' "$work/h" || fail "$method: no Allow header"
done

# Oversized headers: refused (431), and the server goes on answering.
big="$(head -c 100000 /dev/zero | tr '\0' a)"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H "X-Big: $big" "$url/metrics" || true)
[ "$code" = 431 ] || fail "oversized headers: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url/metrics")
[ "$code" = 200 ] || fail "after oversized headers: $code"

# Slow clients: 5 connections send half a request and stall.
ticks() {
  curl -sS --max-time 2 "$url/metrics" | sed -n 's/^app_ticks_total{service="census-test"} //p'
}
slow=()
for i in 1 2 3 4 5; do
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$fd"
  slow+=("$fd")
done
start=$(date +%s%N)
t1=$(ticks)
sleep 0.5
t2=$(ticks)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ -n "$t1" ] && [ -n "$t2" ] || fail "scrape while slow clients hang"
[ "$t2" -gt "$t1" ] || fail "recording stalled while slow clients hang ($t1 -> $t2)"
[ "$elapsed_ms" -lt 2000 ] || fail "scrapes took ${elapsed_ms} ms with slow clients"
# The server cuts them off after its 2 s timeout: reading each gives end-of-file.
for fd in "${slow[@]}"; do
  if ! timeout 6 cat <&"$fd" > /dev/null; then fail "slow connection not closed by the server"; fi
  exec {fd}>&-
done

# Stop: SIGTERM, bounded, and recording was never stalled.
kill -TERM "$app_pid"
wait "$app_pid" || fail "app exit status $?: $(cat "$work/app.out")"
app_pid=""
grep -q '^ticks=' "$work/app.out" || fail "app output: $(cat "$work/app.out")"
echo "prometheus_http: ok ($(cat "$work/app.out"))"
