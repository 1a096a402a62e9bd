# The Cloud Trace exporter's sources, compiled into census_google_cloud[_static] by
# exporters/google_cloud/CMakeLists.txt.
set(CENSUS_CLOUD_TRACE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cloud_trace_encode.c
  ${CMAKE_CURRENT_LIST_DIR}/cloud_trace_exporter.c)
