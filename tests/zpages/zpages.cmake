# The zPages (exporters/zpages): unit, escaping, JSON and browser tests. Registered when the
# zPages are built.
if(NOT TARGET census_zpages_static)
  return()
endif()

# A flood of spans and views stays within the memory bound (cmocka; threaded).
census_unit_test(zpages_memory THREADED)
target_link_libraries(test_zpages_memory PRIVATE census_zpages_static)
set_tests_properties(unit_zpages_memory PROPERTIES LABELS "unit;threaded;zpages")

# The serving rules: loopback by default, read-only, one server for both, bad options refused.
census_unit_test(zpages_exporter THREADED)
target_link_libraries(test_zpages_exporter PRIVATE census_zpages_static)
set_tests_properties(unit_zpages_exporter PROPERTIES LABELS "unit;threaded;zpages")

# Hostile names, attributes and tag values, through every page (Python's html.parser) and every
# JSON endpoint (Python's strict json and jq).
add_executable(zpages_hostile_app ${CMAKE_CURRENT_LIST_DIR}/hostile_app.c)
target_link_libraries(zpages_hostile_app PRIVATE census_zpages_static census_static)
find_program(CENSUS_ZPAGES_JQ jq)
add_test(NAME zpages_escape
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/escape_test.py
          $<TARGET_FILE:zpages_hostile_app> ${CENSUS_ZPAGES_JQ})
set_tests_properties(zpages_escape PROPERTIES LABELS "integration;zpages" TIMEOUT 60)

# tracez against a known span workload: exact durations in their buckets and on the limits,
# errors, samples (attributes, events, links, the ring bound), running and unsampled spans.
add_executable(zpages_tracez_app ${CMAKE_CURRENT_LIST_DIR}/tracez_app.c)
target_link_libraries(zpages_tracez_app PRIVATE census_zpages_static census_static)
add_test(NAME zpages_tracez
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/tracez_test.py $<TARGET_FILE:zpages_tracez_app>)
set_tests_properties(zpages_tracez PROPERTIES LABELS "integration;zpages" TIMEOUT 60)

# statsz shows exponential histogram views: each row's buckets at its own scale against the data
# model's formula, the chart merged at the lowest scale; and the chart of an explicit-bucket view
# of the same values (every bar's label, count and height).
add_executable(zpages_statsz_app ${CMAKE_CURRENT_LIST_DIR}/statsz_app.c)
target_link_libraries(zpages_statsz_app PRIVATE census_zpages_static census_static)
add_test(NAME zpages_statsz_exponential
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/statsz_test.py $<TARGET_FILE:zpages_statsz_app>)
set_tests_properties(zpages_statsz_exponential PROPERTIES LABELS "integration;zpages" TIMEOUT 60)

# The demo's pages in Debian's chromium (headless), driven by playwright-core (pinned in
# tests/zpages/package-lock.json, installed by scripts/install-deps.sh's test profile):
# what each page shows against what the demo recorded; screenshots under
# <build>/tests/zpages-screenshots. Skipped (77) only without chromium; a missing playwright-core
# fails (scripts/install-deps.sh test installs both). Registered when node is found.
find_program(CENSUS_ZPAGES_NODE node)
# The demo is built with the examples (examples/CMakeLists.txt, after tests/).
if(NOT CENSUS_BUILD_EXAMPLES OR NOT CENSUS_EXPORTER_STDOUT)
  set(CENSUS_ZPAGES_NODE "")
endif()
if(CENSUS_ZPAGES_NODE)
  add_test(NAME zpages_browser
    COMMAND ${CENSUS_ZPAGES_NODE} ${CMAKE_CURRENT_LIST_DIR}/browser_test.js
            $<TARGET_FILE:demo> $<TARGET_FILE:zpages_hostile_app>
            ${CMAKE_CURRENT_BINARY_DIR}/zpages-screenshots
    WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(zpages_browser PROPERTIES LABELS "integration;zpages;browser"
    SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
