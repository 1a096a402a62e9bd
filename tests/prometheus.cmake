# Prometheus exporter tests (label "prometheus"; the real-server test also "integration").
#   unit_exposition_check        cmocka: the strict exposition checker (tests/fuzz/
#                                exposition_check.c, used by the renderer's fuzz target and
#                                tests) agrees with the real parsers (python3-prometheus-client's
#                                strict OpenMetrics parser, promtool) on valid and invalid texts
#   prometheus_render_corpus     the renderer's fuzz target (replayed without libFuzzer) over its
#                                seed corpus: every text it renders through the strict Python
#                                OpenMetrics parser and promtool (tests/prometheus/corpus_check.sh)
#   unit_prometheus_render       cmocka: exact lines for small cases, and promtool check metrics
#                                (Debian's prometheus, an independent parser) over every metric
#                                type with tricky names, labels and values
#   unit_prometheus_server       cmocka: start/stop, port in use, bad addresses, stop by
#                                census_stats_exporter_unregister() while scrapes run, and by
#                                census_shutdown()
#   prometheus_http              the real endpoint with curl: 404/405, OpenMetrics negotiation,
#                                a slow client and oversized headers while recording continues
#   integration_prometheus_scrape  a real Prometheus on loopback scrapes a census program every
#                                1 s; its HTTP API must hold the recorded values and up == 1
if(NOT CENSUS_EXPORTER_PROMETHEUS)
  message(STATUS "census: Prometheus exporter off; its tests are skipped")
  return()
endif()
find_program(PROMTOOL promtool)
find_program(PROMETHEUS prometheus)

set(CENSUS_STRICT_PARSE ${CMAKE_CURRENT_LIST_DIR}/prometheus/strict_parse.py)
# The renderer and what it needs without the core (the fuzz target and its replay define the
# core functions it calls): names, text, and exporters/common's buffer, UTF-8 and options copy.
set(CENSUS_PROMETHEUS_RENDER_SOURCES
  ${PROJECT_SOURCE_DIR}/exporters/prometheus/prometheus_render.c
  ${PROJECT_SOURCE_DIR}/exporters/prometheus/prometheus_names.c
  ${PROJECT_SOURCE_DIR}/exporters/common/buffer.c
  ${PROJECT_SOURCE_DIR}/exporters/common/utf8.c
  ${PROJECT_SOURCE_DIR}/exporters/common/options.c
  ${PROJECT_SOURCE_DIR}/exporters/common/exp_buckets.c)

# The strict exposition checker (tests/fuzz/exposition_check.c) against the real parsers.
census_unit_test(exposition_check)
target_sources(test_exposition_check PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fuzz/exposition_check.c)
set_tests_properties(unit_exposition_check PROPERTIES
  LABELS "unit;prometheus"
  ENVIRONMENT "CENSUS_PROMTOOL=${PROMTOOL};CENSUS_STRICT_PARSE=${CENSUS_STRICT_PARSE}")

# The test reaches the renderer's number formatting and unit words through
# prometheus_internal.h (include directory carried by census_prometheus_static).
census_unit_test(prometheus_render)
target_sources(test_prometheus_render PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fuzz/exposition_check.c)
target_link_libraries(test_prometheus_render PRIVATE census_prometheus_static)
set_tests_properties(unit_prometheus_render PROPERTIES
  LABELS "unit;prometheus"
  ENVIRONMENT "CENSUS_PROMTOOL=${PROMTOOL};CENSUS_STRICT_PARSE=${CENSUS_STRICT_PARSE}")

# The renderer's fuzz target (tests/fuzz/fuzz_prometheus_render.c) without libFuzzer, so that
# every build replays its seed corpus through the real parsers (tests/prometheus/corpus_check.sh).
add_executable(replay_prometheus_render ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_replay_main.c
  ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_prometheus_render.c
  ${CMAKE_CURRENT_LIST_DIR}/fuzz/exposition_check.c
  ${CENSUS_PROMETHEUS_RENDER_SOURCES} ${PROJECT_SOURCE_DIR}/src/core/alloc.c)
target_include_directories(replay_prometheus_render PRIVATE ${PROJECT_SOURCE_DIR}/include
  ${PROJECT_SOURCE_DIR}/exporters/prometheus ${PROJECT_SOURCE_DIR}/exporters/common)
target_link_libraries(replay_prometheus_render PRIVATE m)
add_test(NAME prometheus_render_corpus
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/prometheus/corpus_check.sh
          $<TARGET_FILE:replay_prometheus_render> ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus/prometheus_render)
set_tests_properties(prometheus_render_corpus PROPERTIES LABELS "prometheus;integration" TIMEOUT 120
  ENVIRONMENT "PROMTOOL=${PROMTOOL}")

# Not "threaded": libmicrohttpd is not built with TSan, whose reports would be about it.
census_unit_test(prometheus_server)
target_link_libraries(test_prometheus_server PRIVATE census_prometheus_static)
set_tests_properties(unit_prometheus_server PROPERTIES LABELS "unit;prometheus")
# Routes: other pages on the same server (what the zPages attach to), and its status entry.
census_unit_test(prometheus_routes THREADED)
target_link_libraries(test_prometheus_routes PRIVATE census_prometheus_static)
set_tests_properties(unit_prometheus_routes PROPERTIES LABELS "unit;threaded;prometheus")

add_executable(prometheus_app ${CMAKE_CURRENT_LIST_DIR}/integration/prometheus_app.c)
target_link_libraries(prometheus_app PRIVATE census_prometheus_static census_static)

add_test(NAME prometheus_http
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/integration/prometheus_http_test.sh
          $<TARGET_FILE:prometheus_app>)
set_tests_properties(prometheus_http PROPERTIES LABELS "prometheus;integration" TIMEOUT 120)

add_test(NAME integration_prometheus_scrape
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/integration/prometheus_scrape_test.sh
          $<TARGET_FILE:prometheus_app> ${PROMETHEUS})
set_tests_properties(integration_prometheus_scrape PROPERTIES
  LABELS "prometheus;integration" TIMEOUT 120)
