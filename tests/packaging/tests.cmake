# Packaging: install into a temporary prefix and build a user program from it (pkg-config).
add_test(NAME packaging_install_and_link
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/install_and_link.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(packaging_install_and_link PROPERTIES LABELS "packaging" TIMEOUT 120)
