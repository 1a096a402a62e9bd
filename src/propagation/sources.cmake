# Propagation module sources (libc only). Included from the top-level CMakeLists.txt right after
# the set(CENSUS_CORE_SOURCES ...) block.
list(APPEND CENSUS_CORE_SOURCES
  src/propagation/hex.c
  src/propagation/header_joiner.c
  src/propagation/traceparent.c
  src/propagation/traceparent_ids.c
  src/propagation/tracestate.c
  src/propagation/baggage.c
  src/propagation/b3.c
  src/propagation/cloud_trace.c
  src/propagation/trace_binary.c
  src/propagation/tags_binary.c
  src/propagation/composite.c
)
