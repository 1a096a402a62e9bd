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
include(${CMAKE_CURRENT_LIST_DIR}/../support/span_exporter_tests.cmake)
census_span_exporter_tests(zipkin LIBRARY census_zipkin_static LABEL zipkin)
