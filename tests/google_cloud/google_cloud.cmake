# Google Cloud exporter tests (label "google_cloud").
#   unit_google_auth          cmocka: base64url, token-response and error-body parsers, key-file
#                             validation, a directly given token
#   unit_google_monitoring    cmocka: option validation, project-id sources, bad key file,
#                             unreachable endpoint (points deferred, not sent before descriptors)
#   google_auth_e2e           RSA key from openssl genpkey; fake token endpoint + metadata server
#                             (node); JWT verified with openssl dgst and node crypto; header and
#                             claims; reuse, refresh, invalidate; refusal reported; metadata path
#   google_descriptor_sets    fixture: descriptor sets of Google's published API definitions
#                             (protoc + protobufjs, from npm packages) for check_proto_json.py
#   google_proto_checker      the strict proto3-JSON checker accepts valid bodies and rejects
#                             misspelled fields, wrong types, bad enums, bad timestamps
#   google_monitoring_resource  k8s_container detection from the metadata server and downward-API
#                             variables, metadata-server token and project; global without one
#   google_monitoring_loopback  many export cycles, 283 series, against fake_google.js which
#                             enforces the API's rules; bodies checked against the API
#                             definitions; injected errors reported and counted; values checked
#   google_monitoring_drops   a permanently refused descriptor: its view's points dropped, the
#                             self-metric row {google monitoring, no_descriptor} equal to the
#                             exporter's count; stats valid after census_shutdown(), then stop
#   google_monitoring_limits  distributions beyond the 200-bucket limit merged to 199 bounds (and
#                             at the limit unchanged), counts checked against the recorded values;
#                             the gzip option of both Google exporters (fake server decompresses)
#   google_monitoring_fork    a fork child writes its own series (opencensus_task c-<child pid>)
#                             at once, and its counters start at zero
if(NOT TARGET census_google_cloud_static)
  return()
endif()
set(GOOGLE_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
set(GOOGLE_NODE_PATH ${PROJECT_SOURCE_DIR}/tests/interop/node_modules)

census_unit_test(google_auth)
target_link_libraries(test_google_auth PRIVATE census_google_cloud_static)
set_tests_properties(unit_google_auth PROPERTIES LABELS "unit;google_cloud")

census_unit_test(google_monitoring)
target_link_libraries(test_google_monitoring PRIVATE census_google_cloud_static)
# The descriptor encoder (google_monitoring_internal.h) needs the exporters' shared headers.
target_include_directories(test_google_monitoring PRIVATE ${PROJECT_SOURCE_DIR}/exporters/http
                           ${PROJECT_SOURCE_DIR}/exporters/common)
set_tests_properties(unit_google_monitoring PROPERTIES LABELS "unit;google_cloud")

add_executable(google_auth_e2e ${GOOGLE_TEST_DIR}/google_auth_e2e.c)
target_link_libraries(google_auth_e2e PRIVATE census_google_cloud_static census_static)
add_test(NAME google_auth_e2e
  COMMAND ${GOOGLE_TEST_DIR}/auth_e2e_test.sh $<TARGET_FILE:google_auth_e2e> ${GOOGLE_TEST_DIR})
set_tests_properties(google_auth_e2e PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 120 ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

# Descriptor sets (fixture "google_protos"), in the build tree: ${GOOGLE_PROTOS_DIR}/monitoring.pb,
# wkt.pb and cloud_trace.pb (load "wkt.pb:cloud_trace.pb").
set(GOOGLE_PROTOS_DIR ${CMAKE_CURRENT_BINARY_DIR}/google_protos)
add_test(NAME google_descriptor_sets
  COMMAND ${GOOGLE_TEST_DIR}/build_descriptor_sets.sh ${GOOGLE_NODE_PATH} ${GOOGLE_PROTOS_DIR})
set_tests_properties(google_descriptor_sets PROPERTIES
  LABELS "google_cloud;integration" FIXTURES_SETUP google_protos)

add_test(NAME google_proto_checker
  COMMAND ${GOOGLE_TEST_DIR}/check_proto_json_test.sh ${GOOGLE_TEST_DIR} ${GOOGLE_PROTOS_DIR})
set_tests_properties(google_proto_checker PROPERTIES
  LABELS "google_cloud;integration" FIXTURES_REQUIRED google_protos)

# The Cloud Monitoring test programs, each one source plus what they share (monitoring_support.c).
foreach(app monitoring_app monitoring_limits_app monitoring_drops_app monitoring_fork_app
    monitoring_exp_app monitoring_exemplar_app)
  add_executable(google_${app} ${GOOGLE_TEST_DIR}/${app}.c ${GOOGLE_TEST_DIR}/monitoring_support.c)
  target_link_libraries(google_${app} PRIVATE census_google_cloud_static census_static)
endforeach()

add_test(NAME google_monitoring_loopback
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_loopback_test.sh $<TARGET_FILE:google_monitoring_app>
          ${GOOGLE_TEST_DIR} ${GOOGLE_PROTOS_DIR})
set_tests_properties(google_monitoring_loopback PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 180 FIXTURES_REQUIRED google_protos
  ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

add_test(NAME google_monitoring_resource
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_resource_test.sh $<TARGET_FILE:google_monitoring_app>
          ${GOOGLE_TEST_DIR})
set_tests_properties(google_monitoring_resource PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 120 ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

add_test(NAME google_monitoring_limits
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_limits_test.sh
          $<TARGET_FILE:google_monitoring_limits_app> ${GOOGLE_TEST_DIR})
set_tests_properties(google_monitoring_limits PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 120 ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

add_test(NAME google_monitoring_exponential
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_exponential_test.sh $<TARGET_FILE:google_monitoring_exp_app>
          ${GOOGLE_TEST_DIR} ${GOOGLE_PROTOS_DIR})
set_tests_properties(google_monitoring_exponential PROPERTIES
  LABELS "google_cloud;integration;exponential" TIMEOUT 120 FIXTURES_REQUIRED google_protos
  ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

add_test(NAME google_monitoring_drops
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_drops_test.sh $<TARGET_FILE:google_monitoring_drops_app>
          ${GOOGLE_TEST_DIR})
set_tests_properties(google_monitoring_drops PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 120 ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

add_test(NAME google_monitoring_fork
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_fork_test.sh $<TARGET_FILE:google_monitoring_fork_app>
          ${GOOGLE_TEST_DIR})
set_tests_properties(google_monitoring_fork PROPERTIES
  LABELS "google_cloud;integration" TIMEOUT 60 ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")

include(${CMAKE_CURRENT_LIST_DIR}/cloud_trace.cmake OPTIONAL)

# Exemplars (monitoring_exemplar_test.sh): Distribution.Exemplar with SpanContext and DroppedLabels
# attachments, valid for Google's parser, naming the recorded spans.
add_test(NAME google_monitoring_exemplar
  COMMAND ${GOOGLE_TEST_DIR}/monitoring_exemplar_test.sh
          $<TARGET_FILE:google_monitoring_exemplar_app> ${GOOGLE_TEST_DIR} ${GOOGLE_PROTOS_DIR})
set_tests_properties(google_monitoring_exemplar PROPERTIES
  LABELS "google_cloud;integration;exemplar" TIMEOUT 120 FIXTURES_REQUIRED google_protos
  ENVIRONMENT "NODE_PATH=${GOOGLE_NODE_PATH}")
