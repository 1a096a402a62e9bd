# Tests every span exporter on the push exporter skeleton has (Zipkin, Cloud Trace), declared by
# one function so that the exporters' .cmake files say only what differs. Included by tests/zipkin/zipkin.cmake and
# tests/google_cloud/cloud_trace.cmake (from tests/CMakeLists.txt, where census_unit_test() is).
#
# census_span_exporter_tests(<name> LIBRARY <exporter library> LABEL <label>
#                            [SCRIPT_ARGS <arg>...])
#   unit_<name>_encode  cmocka test tests/unit/test_<name>_encode.c with jansson, the shared span
#                       fixture (tests/support/span_fixture.c) and tests/unit/span_capture.h;
#                       labels unit, threaded and <label>
#   <name>_driver       tests/<dir>/<name>_driver.c (next to the including .cmake file) with the
#                       shared span fixture
#   <name>_export, <name>_faults
#                       <dir>/<name>_test.sh <mode> <driver> <dir> [SCRIPT_ARGS], labels <label>
#                       and integration, NODE_PATH set to tests/interop/node_modules
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
set(CENSUS_SPAN_TEST_SUPPORT_DIR ${CMAKE_CURRENT_LIST_DIR})

function(census_span_exporter_tests name)
  cmake_parse_arguments(ARG "" "LIBRARY;LABEL" "SCRIPT_ARGS" ${ARGN})
  set(dir ${CMAKE_CURRENT_LIST_DIR})
  set(support ${CENSUS_SPAN_TEST_SUPPORT_DIR})

  census_unit_test(${name}_encode THREADED)
  target_sources(test_${name}_encode PRIVATE ${support}/span_fixture.c)
  target_include_directories(test_${name}_encode PRIVATE ${support}
    ${PROJECT_SOURCE_DIR}/exporters/http ${PROJECT_SOURCE_DIR}/exporters/common)
  target_link_libraries(test_${name}_encode PRIVATE ${ARG_LIBRARY} PkgConfig::JANSSON)
  set_tests_properties(unit_${name}_encode PROPERTIES LABELS "unit;threaded;${ARG_LABEL}")

  add_executable(${name}_driver ${dir}/${name}_driver.c ${support}/span_fixture.c)
  target_include_directories(${name}_driver PRIVATE ${support})
  target_link_libraries(${name}_driver PRIVATE ${ARG_LIBRARY} census_static)

  foreach(mode export faults)
    add_test(NAME ${name}_${mode}
      COMMAND ${dir}/${name}_test.sh ${mode} $<TARGET_FILE:${name}_driver> ${dir}
              ${ARG_SCRIPT_ARGS})
    set_tests_properties(${name}_${mode} PROPERTIES
      LABELS "${ARG_LABEL};integration" TIMEOUT 180
      ENVIRONMENT "NODE_PATH=${PROJECT_SOURCE_DIR}/tests/interop/node_modules")
  endforeach()
endfunction()

# unit_http_push: the push exporter skeleton itself (exporters/http/push_exporter.c) against
# tests/http/fault_receiver.js (span chunking, the stats path with its pre-round hook and
# supersede key, counters, default and custom classification, drops before the sender, stop and
# census_shutdown()); labels unit, threaded and http. Declared here, with the span fixture it uses.
find_program(CENSUS_SPAN_TEST_NODE node)
if(TARGET census_http_objects AND CENSUS_SPAN_TEST_NODE)
  census_unit_test(http_push THREADED)
  target_sources(test_http_push PRIVATE ${CENSUS_SPAN_TEST_SUPPORT_DIR}/span_fixture.c)
  target_include_directories(test_http_push PRIVATE ${CENSUS_SPAN_TEST_SUPPORT_DIR})
  target_link_libraries(test_http_push PRIVATE census_http_objects census_common_objects
                        PkgConfig::JANSSON)
  target_compile_definitions(test_http_push PRIVATE
    CENSUS_TEST_NODE="${CENSUS_SPAN_TEST_NODE}"
    CENSUS_TEST_FAULT_RECEIVER="${PROJECT_SOURCE_DIR}/tests/http/fault_receiver.js")
  set_tests_properties(unit_http_push PROPERTIES LABELS "unit;threaded;http" TIMEOUT 120)
endif()
