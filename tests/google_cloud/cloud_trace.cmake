# Cloud Trace exporter tests (label "google_cloud"); included by google_cloud.cmake.
#   unit_cloud_trace_encode   cmocka: spans made through the tracing API, encoded, parsed back with
#                             jansson; names, ids, RFC 3339 times, limits and truncation counts,
#                             agent attribute, annotations, links, status, kind, same-process flag
#   cloud_trace_export        a C driver exports spans with every feature through the real
#                             exporter to a loopback node receiver that checks path and bearer
#                             token; every body is validated against Google's published
#                             BatchWriteSpansRequest (protos.json -> .proto -> protoc descriptor
#                             set -> check_proto_json.py, strict), mutated bodies must fail, and
#                             the spans are asserted field by field
#   cloud_trace_faults        503 then 200: delivered once, one retry; 400 with a Google error
#                             body: dropped, not retried, status and message reported; 401 with a
#                             fixed token: dropped, not retried
if(NOT TARGET census_google_cloud_static)
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../support/span_exporter_tests.cmake)
census_span_exporter_tests(cloud_trace LIBRARY census_google_cloud_static LABEL google_cloud
  SCRIPT_ARGS ${CMAKE_CURRENT_LIST_DIR}/../interop/node_modules)
