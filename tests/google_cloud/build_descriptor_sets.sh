#!/bin/sh
# build_descriptor_sets.sh <node_modules> <out dir>
# Builds the descriptor sets check_proto_json.py loads, from Google's published API definitions
# as installed by npm (never copied into the repository):
#   monitoring.pb  google.monitoring.v3 (metric_service.proto: CreateTimeSeriesRequest,
#                  google.api.MetricDescriptor, ...; span_context.proto and dropped_labels.proto:
#                  the types of Distribution.Exemplar attachments) - protoc from @google-cloud/monitoring
#                  build/protos + google-gax build/protos (google.api / google.protobuf imports)
#   wkt.pb         google.protobuf well-known types + google.rpc.Status (protoc, google-gax)
#   cloud_trace.pb google.devtools.cloudtrace.v2 (BatchWriteSpansRequest): that package ships
#                  only a protobufjs protos.json, converted by protojson_descriptor.js; load as
#                  "wkt.pb:cloud_trace.pb".
set -eu
NM=$(cd "$1" && pwd)
OUT=$2
mkdir -p "$OUT"
GAX=$NM/google-gax/build/protos
protoc -I "$NM/@google-cloud/monitoring/build/protos" -I "$GAX" --include_imports \
  --descriptor_set_out="$OUT/monitoring.pb" google/monitoring/v3/metric_service.proto \
  google/monitoring/v3/span_context.proto google/monitoring/v3/dropped_labels.proto
protoc -I "$GAX" --include_imports --descriptor_set_out="$OUT/wkt.pb" \
  google/protobuf/timestamp.proto google/protobuf/wrappers.proto google/protobuf/empty.proto \
  google/protobuf/any.proto google/rpc/status.proto
NODE_PATH=$NM node "$(dirname "$0")/protojson_descriptor.js" \
  "$NM/@google-cloud/opentelemetry-cloud-trace-exporter/build/protos/protos.json" "$OUT/cloud_trace.pb"
echo "descriptor sets in $OUT"
