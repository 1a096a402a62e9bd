#!/bin/sh
# influx_exporter_test.sh <influx_exporter> <influxd>
#
# Proves examples/influx_exporter.c, an exporter written on census's push exporter skeleton,
# against a real InfluxDB 1.x (Debian's influxdb) on loopback, whose line-protocol parser and
# query API are the oracle:
#  1. the server is strict: a malformed line is refused with 400 (so a body it accepts parsed);
#  2. the program's two exports (census_flush(), then the final one of census_shutdown()) are
#     delivered: flush, shutdown and stop answer CENSUS_OK, nothing dropped, 6 lines per export;
#  3. the server holds exactly what was recorded, queried back per measurement: counts, int64
#     sums, the last value, the distribution's count, exact sum, min, max and cumulative buckets
#     (upper-inclusive), the tag value with a comma, an equals sign and a space intact (escaped
#     on the wire), two points per series with the second one later;
#  4. every line the exporter counts as delivered is a point in the database, and no more.
set -eu
APP=$1
INFLUXD=$2
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Two free loopback ports (HTTP API, RPC), and a configuration that keeps everything in $work.
set -- $(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
http=$1
rpc=$2
cat > "$work/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$work/meta"
[data]
  dir = "$work/data"
  wal-dir = "$work/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$http"
  log-enabled = false
[continuous_queries]
  enabled = false
EOF
"$INFLUXD" -config "$work/influxdb.conf" > "$work/influxd.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$http"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ping")" = 204 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ping")" = 204 ] || { cat "$work/influxd.log"; fail "influxd not ready"; }
curl -s -XPOST "$base/query" --data-urlencode 'q=CREATE DATABASE census' > /dev/null

# 1. A malformed line (an unescaped space in a tag value) is refused.
code=$(printf 'm,k=a b v=1i 1\n' | curl -s -o /dev/null -w '%{http_code}' -XPOST "$base/write?db=census" --data-binary @-)
[ "$code" = 400 ] || fail "influxd accepted a malformed line ($code)"

# 2. The program.
out=$("$APP" "$base/write?db=census") || fail "influx_exporter failed: $out"
j() { echo "$out" | jq -r "$1"; }
[ "$(j .flush)" = CENSUS_OK ] && [ "$(j .shutdown)" = CENSUS_OK ] && [ "$(j .stop)" = CENSUS_OK ] \
  || fail "outcomes: $out"
[ "$(j .lines_dropped)" = 0 ] || fail "dropped: $out"
[ "$(j .lines_flushed)" = 6 ] || fail "first export: $(j .lines_flushed) lines, want 6"
[ "$(j .lines_delivered)" = 12 ] || fail "two exports: $(j .lines_delivered) lines, want 12"
[ "$(j .requests_delivered)" = 2 ] || fail "requests: $(j .requests_delivered), want 2"

# 3. The values, queried back. q <measurement> <jq filter over its one series>.
q() {
  curl -s -G "$base/query" --data-urlencode db=census --data-urlencode epoch=ns \
    --data-urlencode "q=SELECT * FROM \"$1\"" | jq -c ".results[0].series[0] | $2"
}
# Rows as objects {column: value}, last point of each tag value.
rows='[.columns as $c | .values[] | [$c, .] | transpose | map({(.[0]): .[1]}) | add]'
last() { echo "$rows | group_by(.$1) | map(last) | map({(.$2): .$3}) | add"; }
got=$(q influx/requests "$(last method method count)")
[ "$got" = '{"GET":3,"POST a,b=c":1}' ] || fail "influx/requests: $got"
got=$(q influx/bytes "$(last method method sum)")
[ "$got" = '{"GET":1500,"POST a,b=c":7}' ] || fail "influx/bytes: $got"
got=$(q influx/temperature "$rows | last | .value")
[ "$got" = 21.5 ] || fail "influx/temperature: $got"
got=$(q influx/latency "$rows | last | [.count, .sum, .min, .max, .le_10, .le_100, .le_inf]")
[ "$got" = '[4,315.5,5,250.5,2,3,4]' ] || fail "influx/latency [count sum min max le_10 le_100 le_inf]: $got"
got=$(q influx/latency "$rows | [length, (.[1].time > .[0].time)]")
[ "$got" = '[2,true]' ] || fail "influx/latency points: $got"

# 4. Every delivered line is one point: count the points of every measurement.
points=$(curl -s -G "$base/query" --data-urlencode db=census \
  --data-urlencode 'q=SELECT * FROM /.*/' | jq '[.results[0].series[].values | length] | add')
[ "$points" = "$(j .lines_delivered)" ] || fail "the database holds $points points, the exporter delivered $(j .lines_delivered)"
echo "influx exporter: all checks passed ($points points)"
