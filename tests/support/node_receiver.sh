# node_receiver.sh - sourced (POSIX sh) by the span exporters' loopback tests
# (tests/zipkin/zipkin_test.sh, tests/google_cloud/cloud_trace_test.sh; through
# tests/google_cloud/fake_google_lib.sh, the tests against fake_google.js): a scratch directory and a
# node receiver on a port the OS chooses, stopped and removed however the test ends.
#
# After sourcing: $work is a fresh directory (removed at exit, with the receiver killed; kept
#   when KEEP_TMP is set, for debugging);
#   start_node_receiver <receiver.js> [args...]
#     empties $work/requests.jsonl, starts `node <receiver.js> args...` with its stdout in
#     $work/receiver.out (a new file each time), waits (up to 10 s, else exits 1) for it to print
#     {"port":N} and sets $port; the receiver is expected to write what it receives to
#     $work/requests.jsonl (pass --out "$work/requests.jsonl").
#   stop_receiver
#     stops it and waits for it, so that requests.jsonl is complete.
work=$(mktemp -d)
receiver_pid=
cleanup() {
  if [ -n "$receiver_pid" ]; then kill "$receiver_pid" 2>/dev/null || true; fi
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

start_node_receiver() {
  : > "$work/requests.jsonl"
  # A fresh file: the shell opens it in the background child, so a truncation of the previous
  # receiver's output could come after the first poll below, which would then read the old port.
  rm -f "$work/receiver.out"
  node "$@" > "$work/receiver.out" &
  receiver_pid=$!
  i=0
  while :; do
    # (The file may not exist yet; `|| true` keeps `set -e` callers going.)
    port=$(sed -n 's/.*"port":\([0-9][0-9]*\).*/\1/p' "$work/receiver.out" 2>/dev/null || true)
    [ -z "$port" ] || break
    i=$((i + 1)); [ $i -lt 100 ] || { echo "receiver did not start" >&2; exit 1; }
    sleep 0.1
  done
}

stop_receiver() {
  kill "$receiver_pid" 2>/dev/null || true
  wait "$receiver_pid" 2>/dev/null || true
  receiver_pid=
}
