# census_exporter_library(<name> OBJECTS <object libraries...> [LINK <link targets...>]
#                         [PKG_REQUIRES <pkg-config modules>] DESCRIPTION <text>)
#
# Builds one exporter as its own pair of libraries, census_<name> (shared) and
# census_<name>_static (installed as libcensus_<name>.a), from the given object libraries, so that
# only programs that use the exporter link its dependencies (libcurl, libmicrohttpd, OpenSSL...);
# the core library stays libc + pthreads. Installs both with a pkg-config file census_<name>.pc
# that requires census and lists the exporter's own dependencies as Requires.private, so
# `pkg-config --static --libs census_<name>` gives a complete static link line.
function(census_exporter_library name)
  cmake_parse_arguments(ARG "" "DESCRIPTION" "OBJECTS;LINK;PKG_REQUIRES" ${ARGN})
  set(objects)
  foreach(object_library ${ARG_OBJECTS})
    list(APPEND objects $<TARGET_OBJECTS:${object_library}>)
  endforeach()
  add_library(census_${name} SHARED ${objects})
  target_link_libraries(census_${name} PUBLIC census PRIVATE ${ARG_LINK})
  add_library(census_${name}_static STATIC ${objects})
  target_link_libraries(census_${name}_static PUBLIC census_static ${ARG_LINK})
  set_target_properties(census_${name} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0)
  set_target_properties(census_${name}_static PROPERTIES OUTPUT_NAME census_${name})
  install(TARGETS census_${name} census_${name}_static
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

  set(CENSUS_EXPORTER_NAME census_${name})
  set(CENSUS_EXPORTER_DESCRIPTION "${ARG_DESCRIPTION}")
  string(JOIN " " CENSUS_EXPORTER_REQUIRES_PRIVATE ${ARG_PKG_REQUIRES})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/census_exporter.pc.in
    ${PROJECT_BINARY_DIR}/census_${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/census_${name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
