#!/usr/bin/env bash
# prometheus_scrape_test.sh APP [PROMETHEUS] - a real Prometheus scrapes a census program.
#
# Starts prometheus_app (a census program serving /metrics on a free loopback port; its header
# lists the values it records) and Debian's prometheus (installed by scripts/install-deps.sh) on
# 127.0.0.1 with a 1 s scrape interval, its config and TSDB in a temporary directory. Polls
# Prometheus's HTTP API (bounded, 40 s: the first scrape comes 5-6 s after start) until the
# target is up, then asserts through /api/v1/query that counters, the gauge, every histogram
# bucket, _sum and _count hold the recorded values, that a label value with a quote and a
# backslash round-trips, that a histogram of integers has the exact integer _sum 6028 at every one
# of at least 3 scrapes while zeros are recorded (no counter reset of _sum: on main it was
# count x mean, 6028.0000000000009, drifting as zeros came in), that the self-metric census_dropped_measurements is there, that up is 1,
# and through /api/v1/targets/metadata that the types are counter, gauge and histogram. Both
# processes are stopped by pid on every exit path (trap). Needs curl and jq.
# Prometheus negotiates OpenMetrics (the metadata's unit proves it), and the app serves views
# that broke that before issue 11 (see prometheus_app.c): on main 8ce4642 the view "_total" made
# a family without a name, Prometheus refused the whole scrape and up stayed 0. Asserted too:
# those views' values, the two series of columns that sanitise alike, the _created sample of a
# counter (stored by Prometheus 2.x as its own series) equal to the app's start, a Count view in
# unit 1, and a histogram with a negative bound (buckets only).
set -euo pipefail
app="$1"
prometheus="${2:-prometheus}"
if [ -z "$prometheus" ] || [[ "$prometheus" == *NOTFOUND ]]; then prometheus=prometheus; fi
command -v "$prometheus" >/dev/null || { echo "FAIL: prometheus not installed (run scripts/install-deps.sh)" >&2; exit 1; }
work="$(mktemp -d)"
app_pid=""
prom_pid=""
cleanup() {
  for pid in $prom_pid $app_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; fi
  done
  for pid in $prom_pid $app_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/prom.log" ] && tail -n 20 "$work/prom.log" >&2
  exit 1
}

app_start=$(date +%s)
"$app" "$work/port" > "$work/app.out" 2>&1 &
app_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
app_port="$(cat "$work/port")"
[ -n "$app_port" ] || fail "the app did not write its port"

cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: census
    static_configs:
      - targets: ['127.0.0.1:$app_port']
EOF

# A free port for Prometheus: a random one that nothing answers on; retried if the bind fails.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
started=0
for attempt in 1 2 3 4 5; do
  prom_port=$(( 20000 + RANDOM % 20000 ))
  port_free "$prom_port" || continue
  "$prometheus" --config.file="$work/prometheus.yml" \
    --web.listen-address="127.0.0.1:$prom_port" \
    --storage.tsdb.path="$work/data" > "$work/prom.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 100); do
    if curl -sf --max-time 1 "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then
      started=1
      break
    fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ "$started" = 1 ] && break
  if kill -0 "$prom_pid" 2>/dev/null; then kill -KILL "$prom_pid"; fi
  prom_pid=""
done
[ "$started" = 1 ] || fail "prometheus did not start"
api="http://127.0.0.1:$prom_port/api/v1"

# query EXPR: the result vector as JSON.
query() { curl -sf --max-time 2 -G "$api/query" --data-urlencode "query=$1" | jq -c '.data.result'; }
# value EXPR: the single sample's value, or "" if there is none (yet).
value() { query "$1" | jq -r 'if length == 1 then .[0].value[1] else "" end'; }

deadline=$(( $(date +%s) + 40 ))
until [ "$(value 'up{job="census"}')" = 1 ] && [ -n "$(value 'app_ticks_total')" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "no successful scrape within 40 s: $(curl -s "$api/targets" | jq -c '.data.activeTargets[0] | {health, lastError}')"
  sleep 0.5
done

expect() { # expect EXPR VALUE
  local got
  got="$(value "$1")"
  [ "$got" = "$2" ] || fail "$1 = '$got', expected '$2'"
}
expect 'up{job="census"}' 1
expect 'app_requests_total{method="GET",service="census-test"}' 3
expect 'app_requests_total{method="POST"}' 2
expect 'app_bytes_total' 1500
expect 'app_temperature' 21.5
expect 'app_latency_seconds_count' 4
expect 'app_latency_seconds_sum' 2.65
expect 'census_dropped_measurements_total{reason="invalid_value"}' 1
# The label value a"b\c, written in PromQL as "a\"b\\c".
expect 'app_tricky_total{value="a\"b\\c"}' 5
# Buckets by bound (the le text depends on the negotiated format: "1" or "1.0").
buckets="$(query 'app_latency_seconds_bucket' | jq -c 'map({le: .metric.le, v: .value[1]})
  | map({le: (if .le == "+Inf" then "+Inf" else (.le | tonumber | tostring) end), v}) | sort_by(.le)')"
[ "$buckets" = '[{"le":"+Inf","v":"4"},{"le":"0.1","v":"1"},{"le":"0.5","v":"3"},{"le":"1","v":"3"}]' ] ||
  fail "histogram buckets: $buckets"
# The exact _sum: every scrape Prometheus kept of app_size_bytes_sum (zeros recorded between
# them, every millisecond) is exactly 6028, and Prometheus sees no reset of it.
deadline=$(( $(date +%s) + 20 ))
until [ "$(value 'count_over_time(app_size_bytes_sum[1m])')" -ge 3 ] 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "fewer than 3 scrapes of app_size_bytes_sum within 20 s"
  sleep 0.5
done
expect 'min_over_time(app_size_bytes_sum[1m])' 6028
expect 'max_over_time(app_size_bytes_sum[1m])' 6028
expect 'resets(app_size_bytes_sum[1m])' 0
[ "$(value 'app_size_bytes_count')" -gt 20 ] || fail "app_size_bytes_count did not grow with the zeros"
# Views that broke the scrape on main, and their neighbours.
expect 'total_total' 5
expect 'total_2_total' 5
expect 'total_3_total' 5
expect 'app_latency_count_total' 4
expect 'app_ident_total{a_b="y;z",a_b_2="x"}' 1
expect 'app_ident_total{a_b="z",a_b_2="x;y"}' 2
expect 'count(app_ident_total)' 2
expect 'app_offset_bucket{le="+Inf"}' 2
[ "$(query 'app_offset_sum')" = '[]' ] || fail "app_offset_sum was scraped: OpenMetrics forbids it"
created="$(value 'app_requests_created{method="GET"}')"
[ -n "$created" ] || fail "no app_requests_created"
created_s="${created%%.*}"
[ "$created_s" -ge "$app_start" ] && [ "$created_s" -le "$(date +%s)" ] ||
  fail "app_requests_created = $created, the app started at $app_start"
ticks="$(value app_ticks_total)"
[ "$ticks" -gt 0 ] || fail "app_ticks_total = $ticks"

# What Prometheus understood of the metadata.
meta="$(curl -sf --max-time 2 -G "$api/targets/metadata" --data-urlencode 'match_target={job="census"}' |
  jq -c '[.data[] | select(.metric | test("^app_(requests|temperature|latency_seconds)$")) | {metric, type}] | sort_by(.metric)')"
[ "$meta" = '[{"metric":"app_latency_seconds","type":"histogram"},{"metric":"app_requests","type":"counter"},{"metric":"app_temperature","type":"gauge"}]' ] ||
  [ "$meta" = '[{"metric":"app_latency_seconds","type":"histogram"},{"metric":"app_requests_total","type":"counter"},{"metric":"app_temperature","type":"gauge"}]' ] ||
  fail "metadata: $meta"
# OpenMetrics was negotiated: only it carries units (# UNIT).
unit="$(curl -sf --max-time 2 -G "$api/targets/metadata" --data-urlencode 'match_target={job="census"}' \
  --data-urlencode 'metric=app_latency_seconds' | jq -r '.data[0].unit')"
[ "$unit" = seconds ] || fail "unit of app_latency_seconds: '$unit' (was OpenMetrics negotiated?)"
health="$(curl -sf --max-time 2 "$api/targets" | jq -r '.data.activeTargets[0].health')"
[ "$health" = up ] || fail "target health $health"
echo "integration_prometheus_scrape: ok (Prometheus on :$prom_port scraped :$app_port; ticks=$ticks; metadata $meta)"
