# The public API's shape: docs/api-renames.sed ports the whole tree and is idempotent.
add_test(NAME api_renames
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/api/renames_test.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/api_renames)
set_tests_properties(api_renames PROPERTIES LABELS "api" TIMEOUT 120)
