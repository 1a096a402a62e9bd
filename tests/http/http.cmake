# Tests of the push exporters' shared support in exporters/http (label "http"):
#   unit_http_env_config    cmocka: key-value lists (good lists, percent-decoding, whitespace,
#                           malformed -> CENSUS_ECONFIG with nothing applied), milliseconds,
#                           choices, each malformed variable reported once
#   unit_http_url           cmocka: endpoint URL checks (each refusal's reason) and redaction
#   unit_http_resource      cmocka: detected attributes and the precedence of
#                           OTEL_RESOURCE_ATTRIBUTES, API attributes, OTEL_SERVICE_NAME, API name
#   unit_http_spool         cmocka, forks: the persistent spool on a real filesystem (round trip,
#                           order, torn writes and kill -9, byte bound, damaged files, claims
#                           across processes, identities, configuration errors)
#   unit_http_sender        cmocka, threaded: the sender against tests/http/fault_receiver.js, a
#                           real node HTTP server on loopback scripted per request (retries,
#                           Retry-After, timeouts, refused connections, queue limits, supersede,
#                           gzip, headers, flush deadline, bounded free, authorize failures)
#   unit_http_sender_spool  cmocka, threaded: the sender with a spool (queue full and shutdown
#                           leftovers spooled, the next sender delivers them first, a permanent
#                           failure of a spooled request counted, a bad spool_dir refused)
#   unit_spool_exporters    cmocka: every push exporter's spool_dir option (bad directory refused
#                           naming the option, one spool directory per sender, the environment
#                           variable, the option winning over it)
#   unit_http_sender_fork   cmocka: a forked child does not resend the parent's queue and
#                           restarts delivery; not "threaded" (TSan kills children that start
#                           threads after a multi-threaded fork)
# fault_receiver.js is generic: the OTLP, Zipkin and Google Cloud tests may use it too.
if(NOT TARGET census_http_objects)
  return()
endif()
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
find_program(NODE node)

census_unit_test(http_env_config)
target_link_libraries(test_http_env_config PRIVATE census_http_objects census_common_objects)
set_tests_properties(unit_http_env_config PROPERTIES LABELS "unit;http")

census_unit_test(http_url)
target_link_libraries(test_http_url PRIVATE census_http_objects census_common_objects)
set_tests_properties(unit_http_url PROPERTIES LABELS "unit;http")

census_unit_test(http_resource)
target_link_libraries(test_http_resource PRIVATE census_http_objects census_common_objects)
set_tests_properties(unit_http_resource PROPERTIES LABELS "unit;http")

census_unit_test(http_spool)
target_link_libraries(test_http_spool PRIVATE census_http_objects census_common_objects)
target_compile_definitions(test_http_spool PRIVATE
  CENSUS_TEST_SPOOL_CORPUS="${CMAKE_CURRENT_LIST_DIR}/../fuzz/corpus/spool")
set_tests_properties(unit_http_spool PROPERTIES LABELS "unit;http")

# The spool options of every push exporter, through their public start functions.
if(TARGET census_otlp_static AND TARGET census_zipkin_static AND TARGET census_google_cloud_static)
  census_unit_test(spool_exporters THREADED)
  target_link_libraries(test_spool_exporters PRIVATE census_otlp_static census_zipkin_static
                        census_google_cloud_static)
  set_tests_properties(unit_spool_exporters PROPERTIES LABELS "unit;threaded;http")
endif()

if(NODE)
  foreach(name http_sender http_sender_fork http_sender_spool)
    if(NOT name STREQUAL "http_sender_fork")
      census_unit_test(${name} THREADED)
      set(labels "unit;threaded;http")
    else()
      census_unit_test(${name})
      set(labels "unit;http")
    endif()
    target_link_libraries(test_${name} PRIVATE census_http_objects census_common_objects
                          PkgConfig::JANSSON)
    target_compile_definitions(test_${name} PRIVATE
      CENSUS_TEST_NODE="${NODE}"
      CENSUS_TEST_FAULT_RECEIVER="${CMAKE_CURRENT_LIST_DIR}/fault_receiver.js")
    set_tests_properties(unit_${name} PROPERTIES LABELS "${labels}" TIMEOUT 120)
  endforeach()
else()
  message(STATUS "census: node not found; unit_http_sender is skipped")
endif()
