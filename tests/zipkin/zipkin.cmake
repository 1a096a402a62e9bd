# Zipkin exporter tests (label "zipkin").
#   unit_zipkin_encode    cmocka: spans made through the tracing API, encoded by the exporter's
#                         encoder, parsed back with jansson (duplicate keys refused); asserts the
#                         OpenTelemetry -> Zipkin mapping field by field
#   zipkin_export         a C driver exports spans with every feature through the real exporter to
#                         a loopback node receiver; every body is validated by ajv (strict) against
#                         tests/zipkin/zipkin2-span-schema.json (written from zipkin2-api.yaml),
#                         the schema's negative cases must fail, and the spans are asserted field
#                         by field
#   zipkin_faults         503 then 202: every span arrives exactly once, one retry counted;
#                         400: spans dropped and reported; receiver down for the whole retry
#                         budget: exact drop counters
if(NOT TARGET census_zipkin_static)
  return()
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
set(ZIPKIN_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
set(ZIPKIN_NODE_PATH ${CMAKE_CURRENT_LIST_DIR}/../interop/node_modules)

census_unit_test(zipkin_encode THREADED)
target_link_libraries(test_zipkin_encode PRIVATE census_zipkin_static PkgConfig::JANSSON)
set_tests_properties(unit_zipkin_encode PROPERTIES LABELS "unit;threaded;zipkin")

add_executable(zipkin_driver ${ZIPKIN_TEST_DIR}/zipkin_driver.c)
target_link_libraries(zipkin_driver PRIVATE census_zipkin_static census_static)

add_test(NAME zipkin_export
  COMMAND ${ZIPKIN_TEST_DIR}/zipkin_test.sh export $<TARGET_FILE:zipkin_driver> ${ZIPKIN_TEST_DIR})
add_test(NAME zipkin_faults
  COMMAND ${ZIPKIN_TEST_DIR}/zipkin_test.sh faults $<TARGET_FILE:zipkin_driver> ${ZIPKIN_TEST_DIR})
set_tests_properties(zipkin_export zipkin_faults PROPERTIES
  LABELS "zipkin;integration" TIMEOUT 180 ENVIRONMENT "NODE_PATH=${ZIPKIN_NODE_PATH}")
