#!/bin/sh
# monitoring_resource_test.sh <monitoring_app> <tests/google_cloud dir>
#
# Proves the monitored-resource detection and the metadata-server credentials of the Cloud
# Monitoring exporter, end to end against fake_google.js:
#  1. GKE: with KUBERNETES_SERVICE_HOST set and a metadata server, series carry a k8s_container
#     resource whose labels come from the metadata server (project, cluster name and location)
#     and the downward-API variables (NAMESPACE, POD_NAME, CONTAINER_NAME); with no key file the
#     project id and the token come from the metadata server (requests carry Metadata-Flavor).
#  2. No metadata server: the resource is global with the key file's project.
set -eu
APP=$1
SRC=$2
export NODE_PATH="${NODE_PATH:-$SRC/../interop/node_modules}"
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start_server() { # <config json>
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  echo "$1" > "$TMP/cfg.json"
  rm -f "$TMP/port"
  node "$SRC/fake_google.js" "$TMP/cfg.json" > "$TMP/port" &
  PID=$!
  i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  PORT=$(head -n1 "$TMP/port")
  [ -n "$PORT" ] || fail "fake server did not start"
}
P='custom.googleapis.com/opencensus'

# 1. GKE, metadata credentials.
start_server '{"project": "meta-project", "minIntervalMs": 100, "metadata": {
  "project/project-id": "meta-project", "instance/id": "99", "instance/zone": "projects/1/zones/us-central1-a",
  "instance/attributes/cluster-name": "prod-cluster", "instance/attributes/cluster-location": "us-central1"}}'
env -u GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST="127.0.0.1:$PORT" KUBERNETES_SERVICE_HOST=10.0.0.1 \
  NAMESPACE=shop POD_NAME=checkout-7d9f CONTAINER_NAME=server \
  "$APP" "http://127.0.0.1:$PORT" 1 100 > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; fail "app failed"; }
STATE=$(curl -sf "http://127.0.0.1:$PORT/_state")
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "violations: $(echo "$STATE" | jq -c .violations)"
[ "$(echo "$STATE" | jq .metadataTokenRequests)" = 1 ] || fail "metadata token requests: $(echo "$STATE" | jq .metadataTokenRequests)"
[ "$(echo "$STATE" | jq .metadataMissingFlavor)" = 0 ] || fail "metadata request without Metadata-Flavor"
[ "$(echo "$STATE" | jq .acceptedPoints)" -ge 283 ] || fail "points not accepted"
R=$(echo "$STATE" | jq -c ".lastSeries[\"$P/test/requests\"].resource")
[ "$R" = '{"type":"k8s_container","labels":{"project_id":"meta-project","location":"us-central1","cluster_name":"prod-cluster","namespace_name":"shop","pod_name":"checkout-7d9f","container_name":"server"}}' ] || fail "k8s resource: $R"

# 2. No metadata server: global, key-file project and token.
start_server '{"project": "key-project", "minIntervalMs": 100}'
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/key.pem" 2>/dev/null
jq -n --rawfile pk "$TMP/key.pem" --arg uri "http://127.0.0.1:$PORT/token" '{type: "service_account",
  project_id: "key-project", private_key_id: "kid-1", private_key: $pk,
  client_email: "t@key-project.iam.gserviceaccount.com", token_uri: $uri}' > "$TMP/key.json"
GOOGLE_APPLICATION_CREDENTIALS="$TMP/key.json" GCE_METADATA_HOST=127.0.0.1:1 \
  "$APP" "http://127.0.0.1:$PORT" 1 100 > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err"; fail "app failed"; }
STATE=$(curl -sf "http://127.0.0.1:$PORT/_state")
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "violations: $(echo "$STATE" | jq -c .violations)"
R=$(echo "$STATE" | jq -c ".lastSeries[\"$P/test/requests\"].resource")
[ "$R" = '{"type":"global","labels":{"project_id":"key-project"}}' ] || fail "global resource: $R"
echo "monitoring resource: all checks passed"
