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
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
set(CLOUD_TRACE_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CLOUD_TRACE_NODE_PATH ${CMAKE_CURRENT_LIST_DIR}/../interop/node_modules)

census_unit_test(cloud_trace_encode THREADED)
target_link_libraries(test_cloud_trace_encode PRIVATE census_google_cloud_static PkgConfig::JANSSON)
target_include_directories(test_cloud_trace_encode PRIVATE ${PROJECT_SOURCE_DIR}/exporters/http
  ${PROJECT_SOURCE_DIR}/exporters/google_cloud)
set_tests_properties(unit_cloud_trace_encode PROPERTIES LABELS "unit;threaded;google_cloud")

add_executable(cloud_trace_driver ${CLOUD_TRACE_TEST_DIR}/cloud_trace_driver.c)
target_link_libraries(cloud_trace_driver PRIVATE census_google_cloud_static census_static)

foreach(mode export faults)
  add_test(NAME cloud_trace_${mode}
    COMMAND ${CLOUD_TRACE_TEST_DIR}/cloud_trace_test.sh ${mode}
            $<TARGET_FILE:cloud_trace_driver> ${CLOUD_TRACE_TEST_DIR} ${CLOUD_TRACE_NODE_PATH})
  set_tests_properties(cloud_trace_${mode} PROPERTIES
    LABELS "google_cloud;integration" TIMEOUT 180 ENVIRONMENT "NODE_PATH=${CLOUD_TRACE_NODE_PATH}")
endforeach()
