# Integration tests: whole processes. "Nothing lost at exit": exit_child records K values and
# ends in one way (return from main, exit(), return with recording threads still alive, SIGTERM
# or SIGINT after census_signal_flush_install(), fork); exit_test.sh checks with jq that its
# stdout-exporter output holds exactly what was recorded. One CTest test per way, label
# "integration" (also run under ASan+UBSan by `make test-asan`).
if(NOT CENSUS_EXPORTER_STDOUT)
  message(STATUS "census: integration exit tests need the stdout exporter; skipped")
  return()
endif()

add_executable(exit_child ${CMAKE_CURRENT_LIST_DIR}/exit_child.c)
target_link_libraries(exit_child PRIVATE census_static)

foreach(mode return exit return_live_threads sigterm sigint fork)
  add_test(NAME integration_exit_${mode}
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/exit_test.sh $<TARGET_FILE:exit_child> ${mode})
  set_tests_properties(integration_exit_${mode} PROPERTIES LABELS "integration" TIMEOUT 90)
endforeach()

# Shared-memory mode through the `census` sidecar command (tools/census.c): promtool and curl
# check the group's merged view, a SIGKILLed member included (docs/shared-memory.md).
if(TARGET census_cli)
  add_executable(shm_member ${CMAKE_CURRENT_LIST_DIR}/shm_member.c)
  target_link_libraries(shm_member PRIVATE census_static)
  add_test(NAME integration_shm_cli
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/shm_cli_test.sh $<TARGET_FILE:census_cli>
            $<TARGET_FILE:shm_member>)
  set_tests_properties(integration_shm_cli PROPERTIES LABELS "integration" TIMEOUT 60)
endif()
