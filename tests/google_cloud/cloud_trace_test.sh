#!/bin/sh
# Runs the Cloud Trace exporter against a loopback receiver (cloud_trace_receiver.js) and checks
# the captured requests with cloud_trace_check.js.
#   cloud_trace_test.sh export <cloud_trace_driver> <tests/google_cloud> <node_modules>
#     proves: path, bearer token; every body is a valid BatchWriteSpansRequest for Google's own
#     proto3-JSON parser with Google's published definition (and mutated bodies are refused);
#     every field of every span is what the driver recorded
#   cloud_trace_test.sh faults <cloud_trace_driver> <tests/google_cloud> <node_modules>
#     proves: 503 then 200 -> delivered once after one retry; 400 -> dropped, not retried,
#     Google's status and message reported; 401 with a fixed token -> dropped, not retried;
#     401 with a service-account key -> a new token is fetched (JWT grant) and the retry succeeds
set -eu
mode=$1 driver=$2 dir=$3 nm=$4
. "$(dirname "$0")/../support/node_receiver.sh"
token="ya29.test-token-$$"

# start_receiver <script> [<token>]: starts the receiver, sets $port.
start_receiver() {
  start_node_receiver "$dir/cloud_trace_receiver.js" --out "$work/requests.jsonl" \
    --token "${2-$token}" --script "$1"
}

case $mode in
export)
  # Google's Cloud Trace v2 definition, as npm ships it (protobufjs JSON), back to .proto and
  # through protoc into a descriptor set with its google.protobuf / google.rpc imports.
  node "$dir/cloud_trace_proto.js" \
    "$nm/@google-cloud/opentelemetry-cloud-trace-exporter/build/protos/protos.json" \
    > "$work/cloudtrace_v2.proto"
  protoc -I "$work" -I "$nm/google-gax/build/protos" --include_imports \
    --descriptor_set_out="$work/cloudtrace_v2.pb" cloudtrace_v2.proto
  start_receiver 200
  "$driver" export "http://127.0.0.1:$port" "$token" > "$work/driver.jsonl"
  stop_receiver
  node "$dir/cloud_trace_check.js" export "$work/driver.jsonl" "$work/requests.jsonl" \
    "$dir/check_proto_json.py" "$work/cloudtrace_v2.pb"
  ;;
faults)
  for case in "retry 503,200" "refused 400" "unauthorized 401"; do
    set -- $case
    echo "== $1 ($2)"
    start_receiver "$2"
    "$driver" faults "http://127.0.0.1:$port" "$token" 4 10000 > "$work/driver.jsonl"
    stop_receiver
    node "$dir/cloud_trace_check.js" "$1" "$work/driver.jsonl" "$work/requests.jsonl" 4
  done
  echo "== refresh (401,200 with a service-account key)"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
  start_receiver 401,200 ""
  node -e '
    const fs = require("fs");
    fs.writeFileSync(process.argv[1], JSON.stringify({
      type: "service_account", project_id: "my-proj", private_key_id: "k1",
      private_key: fs.readFileSync(process.argv[2], "utf8"),
      client_email: "census-test@my-proj.iam.gserviceaccount.com",
      token_uri: "http://127.0.0.1:" + process.argv[3] + "/token" }));' \
    "$work/key.json" "$work/key.pem" "$port"
  GOOGLE_APPLICATION_CREDENTIALS="$work/key.json" \
    "$driver" faults "http://127.0.0.1:$port" "" 4 10000 > "$work/driver.jsonl"
  stop_receiver
  node "$dir/cloud_trace_check.js" refresh "$work/driver.jsonl" "$work/requests.jsonl" 4
  ;;
*) echo "unknown mode $mode" >&2; exit 64 ;;
esac
