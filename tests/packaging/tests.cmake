# Packaging: install into a temporary prefix and build a user program from it (pkg-config).
# The exporter libraries this build makes are passed on, so that the test also fails when one of
# them does not install its library or .pc file.
set(census_packaged_exporters)
foreach(exporter prometheus otlp zipkin google_cloud zpages)
  if(TARGET census_${exporter})
    list(APPEND census_packaged_exporters census_${exporter})
  endif()
endforeach()
string(JOIN " " census_packaged_exporters ${census_packaged_exporters})
add_test(NAME packaging_install_and_link
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/install_and_link.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
          "${census_packaged_exporters}")
set_tests_properties(packaging_install_and_link PROPERTIES LABELS "packaging" TIMEOUT 120)

# find_package(census COMPONENTS ...) from an out-of-tree CMake project: every exporter this build
# makes is an imported target, shared and static, and a missing component is a clear error.
set(census_packaged_components)
if(CENSUS_EXPORTER_STDOUT)
  list(APPEND census_packaged_components stdout)
endif()
foreach(exporter prometheus otlp google_cloud zipkin zpages)
  if(TARGET census_${exporter})
    list(APPEND census_packaged_components ${exporter})
  endif()
endforeach()
string(JOIN " " census_packaged_components ${census_packaged_components})
add_test(NAME packaging_find_package
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/find_package.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
          "${census_packaged_components}")
set_tests_properties(packaging_find_package PROPERTIES LABELS "packaging" TIMEOUT 180)

# scripts/install-deps.sh profiles: `make demo`'s profile installs no node and calls no npm,
# `make test`'s installs everything (run with shims for apt-get, dpkg-query and npm).
add_test(NAME packaging_install_deps_profiles
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/install_deps_profiles.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(packaging_install_deps_profiles PROPERTIES LABELS "packaging" TIMEOUT 60)

# The README's C snippets (the quickstart) compile against the public headers.
add_test(NAME packaging_readme_snippets
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/readme_snippets.sh ${PROJECT_SOURCE_DIR}/README.md
          ${PROJECT_SOURCE_DIR}/include ${CMAKE_C_COMPILER})
set_tests_properties(packaging_readme_snippets PROPERTIES LABELS "packaging" TIMEOUT 60)

# libcensus.so loaded with dlopen() (as Python loads it) into a program that does not link it,
# with a thread started before the load: the initial-exec thread-locals work (thread_local.h).
add_executable(dlopen_test ${CMAKE_CURRENT_SOURCE_DIR}/packaging/dlopen_test.c)
target_include_directories(dlopen_test PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(dlopen_test PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
add_test(NAME packaging_dlopen COMMAND dlopen_test $<TARGET_FILE:census>)
set_tests_properties(packaging_dlopen PROPERTIES LABELS "packaging" TIMEOUT 60)
