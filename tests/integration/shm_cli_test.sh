#!/usr/bin/env bash
# shm_cli_test.sh CENSUS SHM_MEMBER - the `census` sidecar command over a shared-memory group:
# three members record 3, 4 and 5 requests (the third is SIGKILLed after recording, never
# exporting anything); `census shm-metrics` prints the group's merged view, which promtool
# accepts and whose request counter is exactly 12; `census shm-serve` serves the same on
# /metrics (fetched with curl). Fails on main, where neither the mode nor the command exists.
set -euo pipefail
census=$1
member=$2
dir=$(mktemp -d)
out=$(mktemp)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$dir" "$out"
}
trap cleanup EXIT

"$member" "$dir" 3 >/dev/null
"$member" "$dir" 4 >/dev/null
fifo=$dir.fifo
mkfifo "$fifo"
"$member" "$dir" 5 hang >"$fifo" &
victim=$!
read -r line <"$fifo"
rm -f "$fifo"
[ "$line" = "recorded 5" ]
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true

"$census" shm-metrics "$dir" >"$out" 2>"$dir.err"
# No file of the group, nor the archive written by that read, may be reported as damaged.
[ ! -s "$dir.err" ] || { cat "$dir.err"; rm -f "$dir.err"; exit 1; }
rm -f "$dir.err"
"$census" shm-metrics "$dir" >"$out" 2>"$dir.err"
[ ! -s "$dir.err" ] || { cat "$dir.err"; rm -f "$dir.err"; exit 1; }
rm -f "$dir.err"
promtool check metrics <"$out"
grep -q '^shm_demo_requests_total{route="/a"} 12$' "$out" || {
  echo "expected shm_demo_requests_total 12 in:"; cat "$out"; exit 1
}
grep -q '^shm_demo_latency_seconds_count{route="/a"} 12$' "$out" || {
  echo "expected the latency count 12 in:"; cat "$out"; exit 1
}
# The three members are dead: the first read compacted them into the archive, and the second
# read the archive back.
[ "$(ls "$dir" | grep -c '^census-[0-9]')" = 0 ]
[ -f "$dir/census-archive.shm" ]

"$census" shm-serve "$dir" --port 0 >"$out" &
server=$!
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^shm_demo_requests_total{route="/a"} 12$'
kill -TERM "$server"
wait "$server"
server=
echo "shm_cli_test: ok"
