# Propagation interop: census against independent node implementations (see interop.js).
# The node packages are pinned in tests/interop/package-lock.json and installed by
# scripts/interop.sh (npm ci); without them the test reports "skipped" (exit 77), not failed.
find_program(CENSUS_NODE node)
if(CENSUS_NODE)
  add_executable(propagation_interop_helper ${PROJECT_SOURCE_DIR}/tests/interop/interop_helper.c)
  target_link_libraries(propagation_interop_helper PRIVATE census_static)
  add_test(NAME interop_propagation
    COMMAND ${CENSUS_NODE} ${PROJECT_SOURCE_DIR}/tests/interop/interop.js
            $<TARGET_FILE:propagation_interop_helper>
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/tests/interop)
  set_tests_properties(interop_propagation PROPERTIES LABELS interop SKIP_RETURN_CODE 77
    TIMEOUT 300)
endif()
