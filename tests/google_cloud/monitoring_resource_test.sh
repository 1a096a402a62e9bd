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
#  3. The project order shared by both Google exporters (census__google_project_id()):
#     GOOGLE_CLOUD_PROJECT wins over the metadata server's project-id even when the metadata
#     server gives the tokens (the fake answers 403 to any other project). Fails on main, where
#     Cloud Monitoring asked the metadata server first (and Cloud Trace the variable first).
set -eu
APP=$1
google_dir=$2
. "$google_dir/fake_google_lib.sh"
P='custom.googleapis.com/opencensus'

# 1. GKE, metadata credentials.
start_fake_google '{"project": "meta-project", "minIntervalMs": 100, "metadata": {
  "project/project-id": "meta-project", "instance/id": "99", "instance/zone": "projects/1/zones/us-central1-a",
  "instance/attributes/cluster-name": "prod-cluster", "instance/attributes/cluster-location": "us-central1"}}'
env -u GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST="127.0.0.1:$port" KUBERNETES_SERVICE_HOST=10.0.0.1 \
  NAMESPACE=shop POD_NAME=checkout-7d9f CONTAINER_NAME=server \
  "$APP" "http://127.0.0.1:$port" 1 100 > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATE=$(fake_google_state)
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "violations: $(echo "$STATE" | jq -c .violations)"
[ "$(echo "$STATE" | jq .metadataTokenRequests)" = 1 ] || fail "metadata token requests: $(echo "$STATE" | jq .metadataTokenRequests)"
[ "$(echo "$STATE" | jq .metadataMissingFlavor)" = 0 ] || fail "metadata request without Metadata-Flavor"
[ "$(echo "$STATE" | jq .acceptedPoints)" -ge 283 ] || fail "points not accepted"
R=$(echo "$STATE" | jq -c ".lastSeries[\"$P/test/requests\"].resource")
[ "$R" = '{"type":"k8s_container","labels":{"project_id":"meta-project","location":"us-central1","cluster_name":"prod-cluster","namespace_name":"shop","pod_name":"checkout-7d9f","container_name":"server"}}' ] || fail "k8s resource: $R"

# 2. No metadata server: global, key-file project and token.
start_fake_google '{"project": "key-project", "minIntervalMs": 100}'
new_rsa_key "$work/key.pem"
write_key_file "$work/key.pem" "$work/key.json" kid-1 t@key-project.iam.gserviceaccount.com
GOOGLE_APPLICATION_CREDENTIALS="$work/key.json" GCE_METADATA_HOST=127.0.0.1:1 \
  "$APP" "http://127.0.0.1:$port" 1 100 > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATE=$(fake_google_state)
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "violations: $(echo "$STATE" | jq -c .violations)"
R=$(echo "$STATE" | jq -c ".lastSeries[\"$P/test/requests\"].resource")
[ "$R" = '{"type":"global","labels":{"project_id":"key-project"}}' ] || fail "global resource: $R"
# 3. GOOGLE_CLOUD_PROJECT before the metadata server.
start_fake_google '{"project": "env-project", "minIntervalMs": 100, "metadata": {
  "project/project-id": "meta-project", "instance/id": "99", "instance/zone": "projects/1/zones/us-central1-a"}}'
env -u GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST="127.0.0.1:$port" GOOGLE_CLOUD_PROJECT=env-project \
  "$APP" "http://127.0.0.1:$port" 1 100 > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "app failed"; }
STATE=$(fake_google_state)
[ "$(echo "$STATE" | jq '.violations | length')" = 0 ] || fail "violations: $(echo "$STATE" | jq -c .violations)"
[ "$(echo "$STATE" | jq .acceptedPoints)" -ge 283 ] || fail "points not accepted (wrong project?): $(cat "$work/err")"
R=$(echo "$STATE" | jq -c ".lastSeries[\"$P/test/requests\"].resource")
[ "$R" = '{"type":"gce_instance","labels":{"project_id":"env-project","instance_id":"99","zone":"us-central1-a"}}' ] || fail "project order: $R"
echo "monitoring resource: all checks passed"
