# OTLP/HTTP exporter tests (label "otlp"). The independent decoders are protobufjs with the
# official .proto files (npm @opentelemetry/otlp-grpc-exporter-base@0.38.0 under
# tests/interop/node_modules), protoc (--decode against the schema, --decode_raw for fields newer
# than those files) and python3-protobuf's json_format (strict proto3 JSON against a descriptor
# set built by protoc).
#   unit_otlp_pb_writer   cmocka: varint and length boundaries of the protobuf writer, checked by
#                         protoc --decode_raw
#   unit_otlp_response    cmocka: partial success / google.rpc.Status bodies made by protoc
#                         --encode and by hand (JSON), malformed bodies, the verdict per status
#   unit_otlp_encode_plain  cmocka: the encoders' sized fast paths write exactly the bytes of the
#                         plain (backpatching) paths, metrics and spans
#   unit_otlp_config      cmocka: endpoints, headers, protocol, compression and timeout from
#                         options and OTEL_EXPORTER_OTLP_* (precedence, malformed values reported
#                         once, grpc refused)
#   otlp_encode_files     the pure encoders' bodies (no HTTP) decoded by protobufjs, protoc and
#                         json_format, asserted field by field
#   otlp_export_protobuf  the exporter to a node receiver on loopback, protobuf, gzip, API key
#   otlp_export_json      the same in OTLP/JSON
#   otlp_demo             examples/demo exports OTLP when given --otlp-endpoint
#   example_demo_environment  examples/demo configured by OTEL_* variables only
#   otlp_faults           503 then 200, 429 + Retry-After, a hanging backend, partial success
#                         (both encodings), 400, a backend that never recovers, refused
#                         connections, a short shutdown deadline: decoded totals and exact
#                         drop counters
if(NOT TARGET census_otlp_static)
  message(STATUS "census: OTLP exporter off; its tests are skipped")
  return()
endif()

set(otlp_dir ${CMAKE_CURRENT_LIST_DIR})
set(otlp_node_path ${PROJECT_SOURCE_DIR}/tests/interop/node_modules)
set(otlp_env "NODE_PATH=${otlp_node_path}")

census_unit_test(otlp_pb_writer)
target_link_libraries(test_otlp_pb_writer PRIVATE census_otlp_static)
set_tests_properties(unit_otlp_pb_writer PROPERTIES LABELS "unit;otlp")

census_unit_test(otlp_response)
target_link_libraries(test_otlp_response PRIVATE census_otlp_static)
set_tests_properties(unit_otlp_response PROPERTIES LABELS "unit;otlp")

census_unit_test(otlp_delta)
target_link_libraries(test_otlp_delta PRIVATE census_otlp_static)
set_tests_properties(unit_otlp_delta PROPERTIES LABELS "unit;otlp")

census_unit_test(otlp_encode_plain)
target_link_libraries(test_otlp_encode_plain PRIVATE census_otlp_static)
set_tests_properties(unit_otlp_encode_plain PROPERTIES LABELS "unit;otlp")

census_unit_test(otlp_config)
target_link_libraries(test_otlp_config PRIVATE census_otlp_static)
set_tests_properties(unit_otlp_config PROPERTIES LABELS "unit;otlp")

add_executable(otlp_app ${otlp_dir}/otlp_app.c)
target_link_libraries(otlp_app PRIVATE census_otlp_static census_static)

add_test(NAME otlp_encode_files
  COMMAND ${otlp_dir}/otlp_encode_test.sh $<TARGET_FILE:otlp_app>)
add_test(NAME otlp_export_protobuf
  COMMAND ${otlp_dir}/otlp_export_test.sh $<TARGET_FILE:otlp_app> protobuf)
add_test(NAME otlp_export_json
  COMMAND ${otlp_dir}/otlp_export_test.sh $<TARGET_FILE:otlp_app> json)
add_test(NAME otlp_faults
  COMMAND ${otlp_dir}/otlp_fault_test.sh $<TARGET_FILE:otlp_app>)
set_tests_properties(otlp_encode_files otlp_export_protobuf otlp_export_json otlp_faults
  PROPERTIES LABELS "otlp;integration" TIMEOUT 240 ENVIRONMENT "${otlp_env}")

# The demo with --otlp-endpoint: the receiver decodes its views and spans (see the script).
if(CENSUS_BUILD_EXAMPLES AND CENSUS_EXPORTER_STDOUT) # the demo target is defined later
  add_test(NAME otlp_demo COMMAND ${otlp_dir}/otlp_demo_test.sh $<TARGET_FILE:demo>)
  set_tests_properties(otlp_demo PROPERTIES LABELS "otlp;integration;example" TIMEOUT 120
    ENVIRONMENT "${otlp_env}")
  # The demo configured by OTEL_* variables only (census_autoconfigure()): OTLP, Prometheus on a
  # chosen port, ratio sampler, B3 propagation, checked from what arrives (see the script).
  if(CENSUS_EXPORTER_PROMETHEUS)
    add_test(NAME example_demo_environment
      COMMAND ${otlp_dir}/otlp_demo_environment_test.sh $<TARGET_FILE:demo>)
    set_tests_properties(example_demo_environment PROPERTIES
      LABELS "otlp;integration;example" TIMEOUT 120 ENVIRONMENT "${otlp_env}")
  endif()
endif()

# The exit-path matrix (label "exit" too): otlp_exit_app ends in each way (return, exit(),
# SIGTERM, census_shutdown()) with a dead or hung traces backend and a healthy metrics backend,
# with both backends down, and across fork; flush and shutdown statuses. See otlp_exit_test.sh.
# Each case is its own CTest test (about 2-4 s each, parallel-friendly).
add_executable(otlp_exit_app ${otlp_dir}/otlp_exit_app.c)
target_link_libraries(otlp_exit_app PRIVATE census_otlp_static census_static)
foreach(case dead_return dead_exit dead_sigterm dead_shutdown hung_return hung_exit hung_sigterm
        hung_shutdown down_return down_sigterm flush_status fork)
  add_test(NAME otlp_exit_${case}
    COMMAND ${otlp_dir}/otlp_exit_test.sh $<TARGET_FILE:otlp_exit_app> ${case})
  set_tests_properties(otlp_exit_${case} PROPERTIES LABELS "otlp;integration;exit" TIMEOUT 60
    ENVIRONMENT "${otlp_env}")
endforeach()
# The persistent spool end to end (otlp_spool_test.sh): process 1 spools what its exit deadline
# leaves, process 2 delivers it (decoded totals exact, process 1's timestamps); a damaged file
# skipped; the byte bound kept with exact counts.
foreach(case deliver corrupt bound)
  add_test(NAME otlp_spool_${case}
    COMMAND ${otlp_dir}/otlp_spool_test.sh $<TARGET_FILE:otlp_exit_app> ${case})
  set_tests_properties(otlp_spool_${case} PROPERTIES LABELS "otlp;integration;exit;spool"
    TIMEOUT 90 ENVIRONMENT "${otlp_env}")
endforeach()
# OTLP/gRPC (otlp_grpc_test.sh): a real gRPC server (npm @grpc/grpc-js with the official OTLP
# service definitions) decodes the calls: export (gzip, metadata, grpc-timeout), retries
# (UNAVAILABLE, RESOURCE_EXHAUSTED with RetryInfo), trailer errors reported, selection by
# OTEL_EXPORTER_OTLP_PROTOCOL=grpc.
foreach(case export retry errors env)
  add_test(NAME otlp_grpc_${case}
    COMMAND ${otlp_dir}/otlp_grpc_test.sh $<TARGET_FILE:otlp_app> ${case})
  set_tests_properties(otlp_grpc_${case} PROPERTIES LABELS "otlp;integration;grpc" TIMEOUT 90
    ENVIRONMENT "${otlp_env}")
endforeach()
# Delta temporality (otlp_delta_test.sh): otlp_delta_app records a known sequence while exporting
# deltas every 150 ms; delta_sum.js sums what the receiver accepted and compares with the totals
# recorded, across an outage with retries, over gRPC, from the environment, and across the spool.
add_executable(otlp_delta_app ${otlp_dir}/otlp_delta_app.c)
target_link_libraries(otlp_delta_app PRIVATE census_otlp_static census_static)
foreach(case outage grpc env spool)
  add_test(NAME otlp_delta_${case}
    COMMAND ${otlp_dir}/otlp_delta_test.sh $<TARGET_FILE:otlp_delta_app> ${case})
  set_tests_properties(otlp_delta_${case} PROPERTIES LABELS "otlp;integration;delta" TIMEOUT 120
    ENVIRONMENT "${otlp_env}")
endforeach()
# Exponential histograms over OTLP: otlp_exp_app encodes a view, check_exponential.js decodes it
# with the official definitions (ExponentialHistogramDataPoint) and compares with its own
# computation from the recorded values; json_format_check.py checks the JSON body strictly.
add_executable(otlp_exp_app ${otlp_dir}/otlp_exp_app.c)
target_link_libraries(otlp_exp_app PRIVATE census_otlp_static census_static)
add_test(NAME otlp_exponential COMMAND ${otlp_dir}/otlp_exponential_test.sh $<TARGET_FILE:otlp_exp_app>)
set_tests_properties(otlp_exponential PROPERTIES LABELS "otlp;integration;exponential" TIMEOUT 60
  ENVIRONMENT "${otlp_env}")
# Exemplars (otlp_exemplar_test.sh): otlp_exemplar_app records requests in sampled, unsampled and
# no spans with the trace_based filter; check_exemplars.js decodes the OTLP bodies with the
# official definitions (Exemplar), check_exemplars_openmetrics.py parses the OpenMetrics text with
# the strict prometheus_client parser: the slow request's span is its bucket's exemplar in both.
add_executable(otlp_exemplar_app ${otlp_dir}/otlp_exemplar_app.c)
target_link_libraries(otlp_exemplar_app PRIVATE census_otlp_static census_prometheus_static
  census_static)
add_test(NAME otlp_exemplar COMMAND ${otlp_dir}/otlp_exemplar_test.sh $<TARGET_FILE:otlp_exemplar_app>)
set_tests_properties(otlp_exemplar PROPERTIES LABELS "otlp;integration;exemplar" TIMEOUT 60
  ENVIRONMENT "${otlp_env}")
