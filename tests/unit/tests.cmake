# Unit tests: one executable per module (tests/unit/test_<name>.c), registered as unit_<name>.
# THREADED tests start threads and also run under ThreadSanitizer.
census_unit_test(status)
# The lock order of src/core/lock.h and its debug-build checker (the abort cases need Debug).
census_unit_test(lock)
census_unit_test(tags)
census_unit_test(measure)
census_unit_test(aggregation THREADED)
census_unit_test(exponential THREADED)
# The distribution update (cell.h) value for value against a plain reference, every record path.
census_unit_test(moments)
census_unit_test(exemplar THREADED)
census_unit_test(view)
census_unit_test(record THREADED)
census_unit_test(concurrency THREADED)
census_unit_test(export THREADED)
# jansson: the stdout exporter's JSON lines are parsed by an independent parser.
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(test_export PRIVATE PkgConfig::JANSSON)
census_unit_test(flush THREADED)
census_unit_test(bound THREADED)
# The record window's fence path (recorders fence themselves when membarrier is refused): the
# bound and concurrency tests again with membarrier() failing (tests/unit/membarrier_refused.c, an
# LD_PRELOAD shim). Not in sanitizer builds, whose runtimes must come first in the preload list.
if(CENSUS_SANITIZE STREQUAL "")
  add_library(membarrier_refused SHARED unit/membarrier_refused.c)
  target_link_libraries(membarrier_refused PRIVATE ${CMAKE_DL_LIBS})
  foreach(name bound concurrency)
    add_test(NAME unit_${name}_fenced COMMAND test_${name})
    set_tests_properties(unit_${name}_fenced PROPERTIES LABELS "unit;threaded" TIMEOUT 300
      ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:membarrier_refused>")
  endforeach()
endif()
# Instruments, observable callbacks (one test runs the export worker), buckets, timer, process
# metrics (census/instruments.h).
census_unit_test(instruments THREADED)
# census_autoconfigure_core(): every variable, valid and malformed (census/autoconfigure.h); and
# census_autoconfigure() starting the exporter libraries, when all three are built.
census_unit_test(autoconfigure)
find_program(NODE node)
if(TARGET census_otlp_static AND TARGET census_prometheus_static AND TARGET census_zipkin_static
   AND NODE)
  census_unit_test(autoconfigure_exporters THREADED)
  # The Zipkin span is received by tests/http/fault_receiver.js (node) and read with jansson.
  target_link_libraries(test_autoconfigure_exporters PRIVATE census_otlp_static
                        census_prometheus_static census_zipkin_static PkgConfig::JANSSON)
  target_compile_definitions(test_autoconfigure_exporters PRIVATE
    CENSUS_TEST_NODE="${NODE}"
    CENSUS_TEST_FAULT_RECEIVER="${CMAKE_CURRENT_LIST_DIR}/../http/fault_receiver.js")
endif()
census_unit_test(cardinality)
census_unit_test(trace THREADED)
# Array-valued span attributes: the setters' copies, errors and limits, events, what exporters read.
census_unit_test(trace_arrays)
# Span ids drawn on first use: readers agree, ids random and unique, threads, fork.
census_unit_test(span_ids THREADED)
# Span observers (the zPages' tracez hook): callbacks at span start and end, record-only spans.
census_unit_test(span_observer THREADED)
# Sampled spans ended on 2-4 threads (one CPU) while the export queue is full and the exporter
# blocked or slow: bounded (a stall fails the test), nothing lost, the limit held, then recovery.
census_unit_test(span_queue_full THREADED)
set_tests_properties(unit_span_queue_full PROPERTIES TIMEOUT 240)
# The exporter status registry (the zPages' overview lists every exporter from it).
census_unit_test(exporter_status THREADED)
# The options-struct convention, for every options struct of the core.
census_unit_test(options)
# Not THREADED: it forks a process running the export worker (see the file comment).
census_unit_test(self_metrics)
# census's side of docs/opencensus-python.md, one test per section.
census_unit_test(python_differences)

# What configuration mistakes produce (status and one diagnostic line), for every exporter built;
# registered when at least one is.
set(census_config_error_libs)
foreach(exporter otlp zipkin google_cloud prometheus zpages)
  if(TARGET census_${exporter}_static)
    list(APPEND census_config_error_libs census_${exporter}_static)
  endif()
endforeach()
if(census_config_error_libs)
  census_unit_test(config_errors)
  target_link_libraries(test_config_errors PRIVATE ${census_config_error_libs})
endif()

# Every public function after census_shutdown() (docs/lifecycle.md): the core and every exporter
# library built; after_shutdown_api.sh checks that the test calls every function they export.
census_unit_test(after_shutdown)
target_link_libraries(test_after_shutdown PRIVATE ${census_config_error_libs})
set(census_api_libraries $<TARGET_FILE:census>)
foreach(lib ${census_config_error_libs})
  string(REPLACE "_static" "" shared ${lib})
  list(APPEND census_api_libraries $<TARGET_FILE:${shared}>)
endforeach()
add_test(NAME unit_after_shutdown_api
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/unit/after_shutdown_api.sh
          ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_after_shutdown.c ${census_api_libraries})
set_tests_properties(unit_after_shutdown_api PROPERTIES LABELS "unit" TIMEOUT 30)
# Shared-memory mode: a group of forked processes, SIGKILLs, compaction, hostile files, gauge
# modes, the leader (docs/shared-memory.md).
census_unit_test(shm THREADED)
# The mode's own record shapes (recorder.c record_shm(), bound.c bound_shm_*) against the plain
# path: identical rows in the group's view and in the process's own collection.
census_unit_test(shm_shapes THREADED)
# The carry: records made before the mode was on reach the group's view exactly once, through a
# fork child's SIGKILL and a full disk (src/stats/collector.c, shm.c).
census_unit_test(shm_carry THREADED)

# Exponential histogram bucket indexes (src/stats/exp_index.h) against an exact computation from
# OpenTelemetry's definition in Python (decimal), at every scale -10..20, boundaries included.
add_executable(exp_index_tool ${PROJECT_SOURCE_DIR}/tests/stats/exp_index_tool.c)
target_link_libraries(exp_index_tool PRIVATE census_static)
target_include_directories(exp_index_tool PRIVATE ${PROJECT_SOURCE_DIR}/src)
add_test(NAME exp_index_oracle
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/stats/exp_index_check.py
          $<TARGET_FILE:exp_index_tool>)
set_tests_properties(exp_index_oracle PROPERTIES LABELS "unit;exponential" TIMEOUT 120)
