# Reliability under faults (issue 19): hostile clients on the HTTP server (label "reliability").
#   hostile_clients   slowloris, many connections, huge headers, pipelined garbage, abrupt
#                     resets, HTTP/1.0, other paths and slow readers against the Prometheus
#                     exporter's server with the zPages on it, while a legitimate scraper must get
#                     every answer in time; RSS bounded, no file descriptor left behind
if(TARGET census_zpages_static)
  add_executable(reliability_server_app ${CMAKE_CURRENT_LIST_DIR}/server_app.c)
  target_link_libraries(reliability_server_app PRIVATE census_zpages_static census_static)
  add_test(NAME hostile_clients
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hostile_clients_test.py
            $<TARGET_FILE:reliability_server_app>)
  # Under a sanitizer the RSS says nothing about the server (ASan keeps freed memory in its
  # quarantine): the test then checks everything but the RSS bound.
  set_tests_properties(hostile_clients PROPERTIES LABELS "integration;reliability;prometheus"
    TIMEOUT 180 ENVIRONMENT "HOSTILE_SANITIZER=${CENSUS_SANITIZE}")
endif()

# The soak: 4 recording threads, span traffic, OTLP to a receiver failing at random, scrapes,
# flushes and tag churn past the cardinality limit; RSS flat, no fd or thread leak, exact
# totals. 60 s here (label "soak" too); `make soak` runs it for 10 minutes (SOAK_S=600).
if(TARGET census_otlp_static AND TARGET census_prometheus_static)
  add_executable(reliability_soak_app ${CMAKE_CURRENT_LIST_DIR}/soak_app.c)
  target_link_libraries(reliability_soak_app PRIVATE census_otlp_static census_prometheus_static
    census_static)
  add_test(NAME soak
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/soak_test.py
            $<TARGET_FILE:reliability_soak_app>)
  set(soak_env "SOAK_S=60;SOAK_SANITIZER=${CENSUS_SANITIZE}")
  if(CENSUS_SANITIZE STREQUAL "address")
    # Millions of small allocations a minute: ASan's default 256 MB quarantine plus its caches
    # took the process past 500 MB in 30 s; a smaller one still catches use after free.
    list(APPEND soak_env
      "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=32:thread_local_quarantine_size_kb=256")
  endif()
  set_tests_properties(soak PROPERTIES LABELS "integration;reliability;soak" TIMEOUT 900
    ENVIRONMENT "${soak_env}")
endif()

# Every allocation of src/ and exporters/ goes through the allocator hook's wrappers
# (src/core/alloc.h): a bare malloc/calloc/realloc/free/strdup... anywhere else fails.
add_test(NAME alloc_calls
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/alloc_calls_test.py ${PROJECT_SOURCE_DIR})
set_tests_properties(alloc_calls PROPERTIES LABELS "unit;reliability" TIMEOUT 60)

# The allocation-failure torture test: each public entry point's scenario run once per
# allocation, failing it; documented status, no leak (LeakSanitizer in the ASan build), view
# data and span counts still add up.
add_executable(alloc_failure ${CMAKE_CURRENT_LIST_DIR}/alloc_failure.c)
target_link_libraries(alloc_failure PRIVATE census_static)
foreach(exporter prometheus otlp zipkin google_cloud zpages)
  if(TARGET census_${exporter}_static)
    string(TOUPPER ${exporter} upper)
    target_link_libraries(alloc_failure PRIVATE census_${exporter}_static)
    target_compile_definitions(alloc_failure PRIVATE CENSUS_HAVE_${upper}=1)
  endif()
endforeach()
add_test(NAME alloc_failure COMMAND alloc_failure)
set_tests_properties(alloc_failure PROPERTIES LABELS "unit;reliability" TIMEOUT 300)
