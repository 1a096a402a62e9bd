# otlp_common.sh - shared by the OTLP test scripts (sourced): a scratch directory, the receiver's
# start and stop, the descriptor set for json_format. Needs NODE_PATH (set by CTest).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROTO_ROOT="$HERE/../interop/node_modules/@opentelemetry/otlp-grpc-exporter-base/build/protos"
export NODE_PATH="${NODE_PATH:-$HERE/../interop/node_modules}"
WORK="$(mktemp -d /tmp/census_otlp_XXXXXX)"
RECEIVER_PIDS=()
# OTLP_KEEP=1 keeps the scratch directory for inspection.
cleanup() {
  for pid in "${RECEIVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${OTLP_KEEP:-}" ]; then echo "work dir: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_receiver NAME [receiver args...]: starts otlp_receiver.js logging to $WORK/NAME.jsonl
# with bodies under $WORK/NAME.raw/, and sets PORT.
start_receiver() {
  local name="$1"
  shift
  mkdir -p "$WORK/$name.raw"
  : > "$WORK/$name.jsonl"
  node "$HERE/otlp_receiver.js" --out "$WORK/$name.jsonl" --raw-dir "$WORK/$name.raw" "$@" \
    > "$WORK/$name.port" 2> "$WORK/$name.err" &
  RECEIVER_PIDS+=($!)
  for _ in $(seq 100); do
    if [ -s "$WORK/$name.port" ]; then break; fi
    sleep 0.05
  done
  PORT="$(jq -r .port "$WORK/$name.port")"
  [ -n "$PORT" ] && [ "$PORT" != null ] || { echo "receiver did not start"; cat "$WORK/$name.err"; exit 1; }
}

# A port nothing listens on: bound by the OS, then released.
free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})"
}

descriptor_set() {
  protoc -I "$PROTO_ROOT" --include_imports --descriptor_set_out="$WORK/otlp.desc" \
    opentelemetry/proto/collector/metrics/v1/metrics_service.proto \
    opentelemetry/proto/collector/trace/v1/trace_service.proto
  echo "$WORK/otlp.desc"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
