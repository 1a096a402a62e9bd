# census_exporter_library(<name> OBJECTS <object libraries...> [LINK <link targets...>]
#                         [PKG_REQUIRES <pkg-config modules>] [DEPENDS <dependencies...>]
#                         [COMPONENTS <census components>] DESCRIPTION <text>)
#
# Builds one exporter as its own pair of libraries, census_<name> (shared) and
# census_<name>_static (installed as libcensus_<name>.a), from the given object libraries, so that
# only programs that use the exporter link its dependencies (libcurl, libmicrohttpd, OpenSSL...);
# the core library stays libc + pthreads. Installs both with a pkg-config file census_<name>.pc
# that requires census and lists the exporter's own dependencies as Requires.private, so
# `pkg-config --static --libs census_<name>` gives a complete static link line.
# For CMake users both libraries are exported as census::census_<name> and
# census::census_<name>_static, in their own file census_<name>Targets.cmake beside censusConfig,
# with census_<name>Dependencies.cmake naming what censusConfig must find before loading them:
# DEPENDS lists CURL, ZLIB, OpenSSL (libcrypto), jansson and libmicrohttpd (the last two through
# pkg-config), the names cmake/censusConfig.cmake.in knows how to find. LINK must then use the
# targets censusConfig creates for them: CURL::libcurl, ZLIB::ZLIB, OpenSSL::Crypto,
# PkgConfig::census_jansson and PkgConfig::census_microhttpd (see census_find_dependencies()
# below, which creates them in the build too). COMPONENTS names other census exporter libraries
# this one builds on (the zPages on prometheus): its .pc file requires them, and censusConfig
# loads them first (the caller links their targets itself, PUBLIC).
function(census_exporter_library name)
  cmake_parse_arguments(ARG "" "DESCRIPTION" "OBJECTS;LINK;PKG_REQUIRES;DEPENDS;COMPONENTS"
                        ${ARGN})
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
  install(TARGETS census_${name} census_${name}_static EXPORT census_${name}Targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT census_${name}Targets NAMESPACE census::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/census)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/census_${name}Dependencies.cmake
    CONTENT "# What census::census_${name} needs found first (see censusConfig.cmake).\nset(_census_component_depends @ARG_DEPENDS@)\nset(_census_component_components @ARG_COMPONENTS@)\n"
    @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/census_${name}Dependencies.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/census)

  set(CENSUS_EXPORTER_NAME census_${name})
  # What the CMake targets define for their users (CENSUS_HAVE_<NAME>, read by
  # census/autoconfigure.h), for pkg-config users too.
  string(TOUPPER "${name}" upper_name)
  set(CENSUS_EXPORTER_CFLAGS "-DCENSUS_HAVE_${upper_name}=1")
  set(CENSUS_EXPORTER_REQUIRES)
  foreach(component ${ARG_COMPONENTS})
    string(APPEND CENSUS_EXPORTER_REQUIRES " census_${component}")
  endforeach()
  set(CENSUS_EXPORTER_DESCRIPTION "${ARG_DESCRIPTION}")
  string(JOIN " " CENSUS_EXPORTER_REQUIRES_PRIVATE ${ARG_PKG_REQUIRES})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/census_exporter.pc.in
    ${PROJECT_BINARY_DIR}/census_${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/census_${name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

# census_find_dependencies(<dependencies...>): finds, in the calling directory, the DEPENDS names
# above and creates the imported targets an exporter links, under the same names censusConfig
# gives them in a user's project (REQUIRED here: the exporter was asked for).
macro(census_find_dependencies)
  foreach(_census_dep ${ARGN})
    if(_census_dep STREQUAL "CURL")
      find_package(CURL REQUIRED)
    elseif(_census_dep STREQUAL "ZLIB")
      find_package(ZLIB REQUIRED)
    elseif(_census_dep STREQUAL "OpenSSL")
      find_package(OpenSSL REQUIRED COMPONENTS Crypto)
    elseif(_census_dep STREQUAL "jansson")
      find_package(PkgConfig REQUIRED)
      pkg_check_modules(census_jansson REQUIRED IMPORTED_TARGET jansson)
    elseif(_census_dep STREQUAL "libmicrohttpd")
      find_package(PkgConfig REQUIRED)
      pkg_check_modules(census_microhttpd REQUIRED IMPORTED_TARGET libmicrohttpd)
    else()
      message(FATAL_ERROR "census_find_dependencies: unknown dependency ${_census_dep}")
    endif()
  endforeach()
endmacro()
