# The public API's shape (docs/api-conventions.md).
add_test(NAME api_renames
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/api/renames_test.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/api_renames)
set_tests_properties(api_renames PROPERTIES LABELS "api" TIMEOUT 120)
# Every public function's header comment states threading, ownership and errors.
add_test(NAME api_header_comments
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/api/header_comments.py ${PROJECT_SOURCE_DIR}/include)
set_tests_properties(api_header_comments PROPERTIES LABELS "api" TIMEOUT 60)
