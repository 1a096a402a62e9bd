# Fuzz targets: one libFuzzer executable per parser of outside input (tests/fuzz/fuzz_<name>.c).
# Built only with Clang (libFuzzer ships with it) and not in a ThreadSanitizer build (ASan and
# TSan cannot be combined). Each gets a CTest test labelled "fuzz" that runs it for a bounded
# time from the seed corpus tests/fuzz/corpus/<name>/; new inputs go to a scratch corpus in the
# build tree, never into the source tree. scripts/fuzz.sh configures a clang build and runs them.
#
# The library code is compiled a second time for the targets, with coverage instrumentation
# (-fsanitize=fuzzer-no-link) plus ASan and UBSan, so libFuzzer sees the parsers' branches.
option(CENSUS_BUILD_FUZZ "Build the libFuzzer targets (Clang only)" ON)
set(CENSUS_FUZZ_SECONDS 15 CACHE STRING "Seconds each fuzz test runs")

if(CENSUS_BUILD_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang" AND NOT CENSUS_SANITIZE STREQUAL "thread")
  set(census_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                        -fno-omit-frame-pointer -g)
  set(census_fuzz_sources ${CENSUS_CORE_SOURCES})
  list(TRANSFORM census_fuzz_sources PREPEND ${PROJECT_SOURCE_DIR}/)
  add_library(census_fuzz_lib STATIC ${census_fuzz_sources})
  target_include_directories(census_fuzz_lib
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(census_fuzz_lib PRIVATE ${census_fuzz_flags})
  target_link_libraries(census_fuzz_lib PUBLIC Threads::Threads m)

  # census_fuzz_target(<name> [NO_CORE] [SOURCES <library sources compiled into this target>]
  #                    [INCLUDES <their header directories>] [LIBS <libraries>]):
  # tests/fuzz/fuzz_<name>.c against the core, plus the given sources (exporter parsers), all
  # with the same instrumentation. NO_CORE: without the core library (the target defines the
  # core functions its sources call, e.g. snapshot doubles).
  function(census_fuzz_target name)
    cmake_parse_arguments(ARG "NO_CORE" "" "SOURCES;INCLUDES;LIBS" ${ARGN})
    add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c ${ARG_SOURCES})
    target_include_directories(fuzz_${name} PRIVATE ${ARG_INCLUDES})
    target_compile_options(fuzz_${name} PRIVATE ${census_fuzz_flags})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    if(ARG_NO_CORE)
      target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/include)
      target_link_libraries(fuzz_${name} PRIVATE Threads::Threads m ${ARG_LIBS})
    else()
      target_link_libraries(fuzz_${name} PRIVATE census_fuzz_lib ${ARG_LIBS})
    endif()
    set(scratch ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
    file(MAKE_DIRECTORY ${scratch})
    add_test(NAME fuzz_${name}
      COMMAND fuzz_${name} -max_total_time=${CENSUS_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048
              -max_len=16384 -print_final_stats=1
              ${scratch} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz
      TIMEOUT 300
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  endfunction()

  foreach(name baggage b3 cloud_trace trace_binary tags_binary)
    census_fuzz_target(${name})
  endforeach()
  # traceparent also holds the AVX2 decode of the ids to the SSE2 one (src/ headers).
  census_fuzz_target(traceparent INCLUDES ${PROJECT_SOURCE_DIR}/src)
  # Shared-memory mode's files (src/stats/shm_read.c): written by other processes, possibly
  # torn, truncated, damaged or of another version. The target includes src/ headers.
  census_fuzz_target(shm_file INCLUDES ${PROJECT_SOURCE_DIR}/src)
  # OTEL_EXPORTER_OTLP_HEADERS / OTEL_RESOURCE_ATTRIBUTES lists (libc only).
  set(http_dir ${PROJECT_SOURCE_DIR}/exporters/http)
  set(common_dir ${PROJECT_SOURCE_DIR}/exporters/common)
  census_fuzz_target(kv_list SOURCES ${common_dir}/env_config.c INCLUDES ${common_dir})
  # Numeric and choice environment variables: the core's (census__env_positive) and the
  # exporters' (census__env_ms, _bytes, _choice).
  census_fuzz_target(env SOURCES ${common_dir}/env_config.c
                     INCLUDES ${common_dir} ${PROJECT_SOURCE_DIR}/src)
  # Endpoint URLs from options and OTEL_*_ENDPOINT variables: the check (libcurl's parser) and
  # the redaction of credentials for diagnostics.
  find_package(CURL REQUIRED)
  census_fuzz_target(url SOURCES ${http_dir}/url.c INCLUDES ${http_dir} LIBS CURL::libcurl)
  # Spool files left on disk by another process (the push exporters' persistent spool; zlib).
  find_package(ZLIB REQUIRED)
  census_fuzz_target(spool SOURCES ${http_dir}/spool.c ${common_dir}/env_config.c
                     INCLUDES ${http_dir} ${common_dir} LIBS ZLIB::ZLIB)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(FUZZ_JANSSON REQUIRED IMPORTED_TARGET jansson)
  # OTLP export responses: partial success and google.rpc.Status, protobuf and JSON (jansson).
  if(CENSUS_EXPORTER_OTLP)
    set(dir ${PROJECT_SOURCE_DIR}/exporters/otlp)
    census_fuzz_target(otlp_response SOURCES ${dir}/otlp_response.c ${http_dir}/grpc.c
                       INCLUDES ${dir} ${http_dir} ${common_dir} ${PROJECT_SOURCE_DIR}/src
                       LIBS PkgConfig::FUZZ_JANSSON)
    # OTLP/gRPC answers: the frame, grpc-status, grpc-message, grpc-status-details-bin (base64
    # google.rpc.Status with RetryInfo), and the classifier over all of them.
    census_fuzz_target(grpc SOURCES ${dir}/otlp_response.c ${http_dir}/grpc.c
                       INCLUDES ${dir} ${http_dir} ${common_dir} ${PROJECT_SOURCE_DIR}/src
                       LIBS PkgConfig::FUZZ_JANSSON)
  endif()
  # The Prometheus renderer over generated snapshots (doubles: no core), both formats checked
  # by the strict checker; then a sample of what the fuzzer kept goes through the real parsers
  # (python3-prometheus-client's strict OpenMetrics parser, promtool), after the fuzz run.
  if(CENSUS_EXPORTER_PROMETHEUS)
    census_fuzz_target(prometheus_render NO_CORE
      SOURCES ${CENSUS_PROMETHEUS_RENDER_SOURCES} ${PROJECT_SOURCE_DIR}/src/core/alloc.c
              ${PROJECT_SOURCE_DIR}/tests/fuzz/exposition_check.c
      INCLUDES ${PROJECT_SOURCE_DIR}/exporters/prometheus ${common_dir})
    # The Accept header of every request to /metrics (any client of the server).
    census_fuzz_target(accept SOURCES ${CENSUS_PROMETHEUS_RENDER_SOURCES}
      INCLUDES ${PROJECT_SOURCE_DIR}/exporters/prometheus ${common_dir})
    find_program(CENSUS_FUZZ_PROMTOOL promtool)
    add_test(NAME prometheus_render_fuzz_corpus
      COMMAND ${PROJECT_SOURCE_DIR}/tests/prometheus/corpus_check.sh --sample 200
              $<TARGET_FILE:fuzz_prometheus_render> ${CMAKE_BINARY_DIR}/fuzz-corpus/prometheus_render
              ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/prometheus_render)
    set_tests_properties(prometheus_render_fuzz_corpus PROPERTIES LABELS fuzz TIMEOUT 300
      DEPENDS fuzz_prometheus_render
      ENVIRONMENT "PROMTOOL=${CENSUS_FUZZ_PROMTOOL};ASAN_OPTIONS=detect_leaks=1:abort_on_error=1")
  endif()
  # The zPages' request handling: page paths and query parameters from any client.
  if(CENSUS_EXPORTER_ZPAGES)
    set(dir ${PROJECT_SOURCE_DIR}/exporters/zpages)
    census_fuzz_target(zpages_query
      SOURCES ${dir}/zpages_pages.c ${dir}/zpages_html.c ${dir}/zpages_spans.c
              ${dir}/zpages_history.c ${dir}/zpages_exponential.c ${common_dir}/buffer.c
              ${common_dir}/utf8.c ${common_dir}/json_writer.c ${common_dir}/exp_buckets.c
              ${common_dir}/span_fields.c ${common_dir}/resource.c ${common_dir}/env_config.c
              ${common_dir}/options.c ${common_dir}/registration.c
      INCLUDES ${dir} ${common_dir})
  endif()
  # Google API error bodies and token responses (jansson).
  if(CENSUS_EXPORTER_GOOGLE_CLOUD)
    set(dir ${PROJECT_SOURCE_DIR}/exporters/google_cloud)
    census_fuzz_target(google_error SOURCES ${dir}/google_error.c INCLUDES ${dir} ${http_dir} ${common_dir}
                       LIBS PkgConfig::FUZZ_JANSSON)
  endif()
endif()
