/* otlp_app.c - the program the OTLP tests drive: it records a known scenario (metrics of every
 * aggregation, a cardinality overflow, and spans with every field) and hands it to the OTLP
 * encoders, either directly or through the exporter to a receiver on loopback.
 *
 *   otlp_app dump DIR
 *       phase 1 and 2 recorded, then one snapshot encoded with the pure encoders into
 *       DIR/metrics.pb, DIR/metrics.json, DIR/traces.pb, DIR/traces.json (no HTTP)
 *   otlp_app export ENDPOINT [--json] [--gzip] [--signals metrics|traces] [--api-key K]
 *                   [--timeout-ms N] [--max-elapsed-ms N] [--initial-backoff-ms N]
 *                   [--stop-timeout-ms N] [--flush-timeout-ms N] [--max-spans N]
 *       starts the exporter (ENDPOINT is the base URL), records phase 1, census_flush(), records
 *       phase 2, census_otlp_exporter_stop(), and prints the exporter's counters as one JSON
 *       line on stdout: {"metrics": {...}, "traces": {...}, "stop": "CENSUS_OK"}
 * Both modes write DIR/spans.json (export: --expected FILE) describing the spans started: their
 * ids, parent ids and tracestate as census_span_context() reported them, so the tests compare
 * decoded ids with the ones census handed out, not with the encoder's output.
 *
 * The scenario (the tests state the expected aggregates from it independently):
 *   otlp_test/request_count  COUNT [method,status]: GET/200 x2, GET/500 x1, POST/200 x1 (phase 1);
 *                            GET/200 x1, POST/200 x1 (phase 2)
 *   otlp_test/bytes_sum      SUM int64 "By" [method]: GET 100 (1), GET 250, POST 7 (2)
 *   otlp_test/load_sum       SUM double "1" []: 0.5 (1), 0.25 (2)
 *   otlp_test/queue_last     LAST_VALUE int64 []: 3 (1), 9 (2)
 *   otlp_test/temp_last      LAST_VALUE double "Cel" []: 21.5 (1), 18.75 (2)
 *   otlp_test/latency        DISTRIBUTION double "ms" bounds {0,5,10,100} [method]:
 *                            GET 5, 0 (1); GET 7, 1000, POST 10 (2)
 *   otlp_test/capped         COUNT [user], max 2 series: a, b (1); c, c, d (2) -> overflow 3
 *   otlp_test/size           DISTRIBUTION int64 "By" bounds {100, 1000} []: 20 sizes summing to
 *                            6028 (count x mean of them is 6028.0000000000009) (1); 1000 zeros (2):
 *                            the sum is exactly 6028 in every request
 *   queue -1 (1)             refused: census/dropped_measurements counts 1 (invalid_value)
 * Spans (phase 2): "otlp-root" SERVER with 4 attributes, 2 events, a link to a remote context and
 * status ERROR "boom", explicit start/end times; "otlp-child" CLIENT, child of the root; and
 * "otlp-remote-child" CONSUMER under the remote context (tracestate "congo=t61rcWkgMzE").
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <census/census.h>
#include <census/exporter.h>
#include <census/exporters/otlp.h>
#include <census/trace.h>

#include "buffer.h"
#include "otlp_encode.h"

#define CHECK(call)                                                                                \
  do {                                                                                             \
    census_status st_ = (call);                                                                    \
    if (st_ != CENSUS_OK) {                                                                        \
      fprintf(stderr, "otlp_app: %s: %s\n", #call, census_status_name(st_));                       \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static const census_measure *m_requests, *m_bytes, *m_load, *m_queue, *m_temp, *m_latency, *m_user,
    *m_size, *m_depth;
static const census_tag_key *k_method, *k_status, *k_user;

static void on_diagnostics(void *user, census_status status, const char *message) {
  fprintf(stderr, "otlp_app: diagnostics: %s: %s\n", census_status_name(status), message);
}

static void view(const char *name, const char *description, const census_measure *measure,
                 const census_tag_key *const *columns, size_t ncolumns, census_aggregation *agg,
                 size_t max_series) {
  census_status st;
  census_view *v = census_view_new(name, description, measure, columns, ncolumns, agg, &st);
  CHECK(st);
  if (max_series) {
    CHECK(census_view_set_max_series(v, max_series));
  }
  CHECK(census_view_register(v));
  census_view_free(v);
  census_aggregation_free(agg);
}

/* New measures (int64, or double when is_double) and tag keys; exit(1) on failure. */
static const census_measure *new_measure(bool is_double, const char *name, const char *description,
                                         const char *unit) {
  census_status st;
  const census_measure *m = is_double ? census_measure_double_new(name, description, unit, &st)
                                      : census_measure_int64_new(name, description, unit, &st);
  CHECK(st);
  return m;
}

static const census_tag_key *tag_key(const char *name) {
  census_status st;
  const census_tag_key *k = census_tag_key_new(name, &st);
  CHECK(st);
  return k;
}

static void setup(void) {
  census_status st;
  m_requests = new_measure(false, "otlp_test/requests", "Requests", "1");
  m_bytes = new_measure(false, "otlp_test/bytes", "Response bytes", "By");
  m_load = new_measure(true, "otlp_test/load", "Load", "1");
  m_queue = new_measure(false, "otlp_test/queue", "Queue length", "1");
  m_temp = new_measure(true, "otlp_test/temp", "Temperature", "Cel");
  m_latency = new_measure(true, "otlp_test/latency_ms", "Latency", "ms");
  m_user = new_measure(false, "otlp_test/user_requests", "Requests by user", "1");
  m_size = new_measure(false, "otlp_test/size_bytes", "Sizes", "By");
  /* A signed measure (an up-down counter's): its Sum goes down and is not monotonic. */
  census_measure_options depth = CENSUS_MEASURE_OPTIONS_INIT;
  depth.name = "otlp_test/depth";
  depth.description = "Queue depth changes";
  depth.unit = "{item}";
  depth.value_type = CENSUS_MEASURE_INT64;
  depth.signed_values = true;
  m_depth = census_measure_new(&depth, &st);
  CHECK(st);
  k_method = tag_key("method");
  k_status = tag_key("status");
  k_user = tag_key("user");
  const census_tag_key *method_status[] = {k_method, k_status};
  double bounds[] = {0, 5, 10, 100};
  view("otlp_test/request_count", "Requests by method and status", m_requests, method_status, 2,
       census_aggregation_count_new(), 0);
  view("otlp_test/bytes_sum", "Bytes by method", m_bytes, &k_method, 1,
       census_aggregation_sum_new(), 0);
  view("otlp_test/load_sum", "Load", m_load, NULL, 0, census_aggregation_sum_new(), 0);
  view("otlp_test/queue_last", "Queue length", m_queue, NULL, 0,
       census_aggregation_last_value_new(), 0);
  view("otlp_test/temp_last", "Temperature", m_temp, NULL, 0, census_aggregation_last_value_new(),
       0);
  view("otlp_test/latency", "Latency by method", m_latency, &k_method, 1,
       census_aggregation_distribution_new(bounds, 4, &st), 0);
  CHECK(st);
  view("otlp_test/capped", "Requests by user, 2 series at most", m_user, &k_user, 1,
       census_aggregation_count_new(), 2);
  view("otlp_test/depth_updown", "Queue depth", m_depth, NULL, 0, census_aggregation_sum_new(), 0);
  double size_bounds[] = {100, 1000};
  view("otlp_test/size", "Sizes, then zeros", m_size, NULL, 0,
       census_aggregation_distribution_new(size_bounds, 2, &st), 0);
  CHECK(st);
  census_sampler *always_on = census_sampler_always_on();
  CHECK(census_trace_set_sampler(always_on)); /* copies it */
  census_sampler_free(always_on);
}

static census_tag_map *tags2(const char *method, const char *status) {
  census_tag_map *t = census_tag_map_new();
  if (method) {
    census_tag_map_put(t, k_method, method);
  }
  if (status) {
    census_tag_map_put(t, k_status, status);
  }
  return t;
}

static void record_request(const char *method, const char *status) {
  census_tag_map *t = tags2(method, status);
  CHECK(census_record_int64(m_requests, 1, t));
  census_tag_map_free(t);
}

static void record_method(const census_measure *m, const char *method, double v, bool is_int) {
  census_tag_map *t = tags2(method, NULL);
  CHECK(is_int ? census_record_int64(m, (int64_t)v, t) : census_record_double(m, v, t));
  census_tag_map_free(t);
}

static void record_user(const char *user) {
  census_tag_map *t = census_tag_map_new();
  census_tag_map_put(t, k_user, user);
  CHECK(census_record_int64(m_user, 1, t));
  census_tag_map_free(t);
}

static void phase1(void) {
  record_request("GET", "200");
  record_request("GET", "200");
  record_request("GET", "500");
  record_request("POST", "200");
  record_method(m_bytes, "GET", 100, true);
  CHECK(census_record_double(m_load, 0.5, NULL));
  CHECK(census_record_int64(m_queue, 3, NULL));
  CHECK(census_record_double(m_temp, 21.5, NULL));
  record_method(m_latency, "GET", 5, false);
  record_method(m_latency, "GET", 0, false);
  record_user("a");
  record_user("b");
  static const int64_t sizes[] = {235, 105, 326, 32,  23,  27,  555, 10,  391, 222,
                                  433, 30,  541, 228, 449, 508, 567, 239, 354, 753};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    CHECK(census_record_int64(m_size, sizes[i], NULL));
  }
  CHECK(census_record_int64(m_depth, 5, NULL));
  CHECK(census_record_int64(m_depth, -7, NULL)); /* -2: accepted, the measure is signed */
  /* Refused (negative) and counted in census/dropped_measurements, which is exported too. */
  if (census_record_int64(m_queue, -1, NULL) != CENSUS_ENEGATIVE) {
    fprintf(stderr, "otlp_app: a negative value was not refused\n");
    exit(1);
  }
}

static void hex(FILE *f, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%02x", b[i]);
  }
}

static void describe_span(FILE *f, const char *name, census_span span, bool last) {
  census_trace_context c;
  CHECK(census_span_context(span, &c));
  fprintf(f, "  \"%s\": {\"traceId\": \"", name);
  hex(f, c.trace_id, sizeof c.trace_id);
  fprintf(f, "\", \"spanId\": \"");
  hex(f, c.span_id, sizeof c.span_id);
  fprintf(f, "\", \"traceFlags\": %u, \"traceState\": \"%s\"}%s\n", c.trace_flags, c.tracestate,
          last ? "" : ",");
}

static void phase2(const char *expected_path) {
  record_request("GET", "200");
  record_request("POST", "200");
  record_method(m_bytes, "GET", 250, true);
  record_method(m_bytes, "POST", 7, true);
  CHECK(census_record_double(m_load, 0.25, NULL));
  CHECK(census_record_int64(m_queue, 9, NULL));
  CHECK(census_record_double(m_temp, 18.75, NULL));
  record_method(m_latency, "GET", 7, false);
  record_method(m_latency, "GET", 1000, false);
  record_method(m_latency, "POST", 10, false);
  record_user("c");
  record_user("c");
  record_user("d");
  CHECK(census_record_int64(m_depth, -3, NULL)); /* -5: down from -2 */
  for (int i = 0; i < 1000; i++) {
    CHECK(census_record_int64(m_size, 0, NULL)); /* must leave otlp_test/size's sum at 6028 */
  }

  /* The remote parent, as extracted from a traceparent/tracestate pair. */
  census_trace_context remote;
  memset(&remote, 0, sizeof remote);
  static const uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                       0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  static const uint8_t span_id[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  memcpy(remote.trace_id, trace_id, 16);
  memcpy(remote.span_id, span_id, 8);
  remote.trace_flags = CENSUS_TRACE_FLAG_SAMPLED;
  remote.remote = true;
  strcpy(remote.tracestate, "congo=t61rcWkgMzE");

  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.kind = CENSUS_SPAN_KIND_SERVER;
  o.root = true;
  o.start_time_ns = INT64_C(1700000000000000000);
  census_span root = census_span_start("otlp-root", &o);
  CHECK(census_span_set_attribute_string(root, "http.method", "GET"));
  CHECK(census_span_set_attribute_int64(root, "http.status_code", 200));
  CHECK(census_span_set_attribute_double(root, "ratio", 0.5));
  CHECK(census_span_set_attribute_bool(root, "cached", true));
  CHECK(census_span_add_event(root, "started"));
  CHECK(census_span_add_event_with_attribute(root, "checked", "k", "v"));
  CHECK(census_span_add_link(root, &remote));
  CHECK(census_span_set_status(root, CENSUS_SPAN_STATUS_ERROR, "boom"));

  o = (census_span_options)CENSUS_SPAN_OPTIONS_INIT;
  o.kind = CENSUS_SPAN_KIND_CLIENT;
  o.parent = root;
  census_span child = census_span_start("otlp-child", &o);
  /* Array-valued attributes (AnyValue.array_value): each kind, an empty one, int64 beyond 2^53
   * (exact only as a string in JSON), a non-ASCII string; and an event carrying arrays. */
  static const char *const methods[] = {"GET", "", "caf\xc3\xa9"};
  static const int64_t codes[] = {-1, 0, INT64_C(9007199254740993)};
  static const double weights[] = {1.5, -2.25};
  static const bool flags[] = {true, false};
  CHECK(census_span_set_attribute_string_array(child, "arr.strings", methods, 3));
  CHECK(census_span_set_attribute_int64_array(child, "arr.ints", codes, 3));
  CHECK(census_span_set_attribute_double_array(child, "arr.doubles", weights, 2));
  CHECK(census_span_set_attribute_bool_array(child, "arr.bools", flags, 2));
  CHECK(census_span_set_attribute_string_array(child, "arr.empty", NULL, 0));
  census_attribute event_arrays[] = {
      {.key = "ids", .type = CENSUS_ATTRIBUTE_INT64_ARRAY, .int_values = codes, .value_count = 2},
      {.key = "names",
       .type = CENSUS_ATTRIBUTE_STRING_ARRAY,
       .string_values = methods,
       .value_count = 1},
  };
  CHECK(census_span_add_event_with_attributes(child, "batch", event_arrays, 2));

  o = (census_span_options)CENSUS_SPAN_OPTIONS_INIT;
  o.kind = CENSUS_SPAN_KIND_CONSUMER;
  o.remote_parent = &remote;
  census_span rchild = census_span_start("otlp-remote-child", &o);

  FILE *f = fopen(expected_path, "w");
  if (!f) {
    perror(expected_path);
    exit(1);
  }
  fprintf(f, "{\n");
  describe_span(f, "otlp-root", root, false);
  describe_span(f, "otlp-child", child, false);
  describe_span(f, "otlp-remote-child", rchild, true);
  fprintf(f, "}\n");
  fclose(f);

  census_span_end(rchild);
  census_span_end(child);
  census_span_end_at(root, INT64_C(1700000000500000000));
}

/* ---- dump mode: the pure encoders, no HTTP -------------------------------------------------- */

static const char *dump_dir;

static void write_file(const char *name, const census_buf *b) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dump_dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

static census_status dump_spans(void *user, const census_span_data *const *spans, size_t count) {
  census_resource *resource = user;
  census_buf pb = CENSUS_BUF_INIT, json = CENSUS_BUF_INIT;
  CHECK(census__otlp_encode_spans(spans, count, resource, false, &pb));
  CHECK(census__otlp_encode_spans(spans, count, resource, true, &json));
  write_file("traces.pb", &pb);
  write_file("traces.json", &json);
  census__buf_free(&pb);
  census__buf_free(&json);
  return CENSUS_OK;
}

static int dump(const char *dir) {
  dump_dir = dir;
  /* A fixed resource: the resource builder is another module with its own tests. */
  census_resource_attribute attrs[2] = {
      {"service.name", CENSUS_ATTRIBUTE_STRING, "otlp-app", 0, false},
      {"process.pid", CENSUS_ATTRIBUTE_INT64, NULL, 4242, false},
  };
  census_resource resource = {attrs, 2};
  census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                  .export_spans = dump_spans,
                                  .flush = NULL,
                                  .shutdown = NULL};
  CHECK(census_span_exporter_register(&ops, &resource));
  phase1();
  char expected[1024];
  snprintf(expected, sizeof expected, "%s/spans.json", dir);
  phase2(expected);
  CHECK(census_span_exporter_unregister(&resource, 5000)); /* exports the spans */

  census_view_data **views = NULL;
  size_t count = 0;
  CHECK(census_view_data_get_all(&views, &count));
  census_buf pb = CENSUS_BUF_INIT, json = CENSUS_BUF_INIT;
  uint64_t points_pb = 0, points_json = 0;
  CHECK(census__otlp_encode_metrics((const census_view_data *const *)views, count, &resource, false,
                                    &pb, &points_pb));
  CHECK(census__otlp_encode_metrics((const census_view_data *const *)views, count, &resource, true,
                                    &json, &points_json));
  write_file("metrics.pb", &pb);
  write_file("metrics.json", &json);
  printf("{\"points\": %" PRIu64 ", \"points_json\": %" PRIu64 "}\n", points_pb, points_json);
  census__buf_free(&pb);
  census__buf_free(&json);
  census_view_data_free_all(views, count);
  CHECK(census_shutdown(5000));
  return 0;
}

/* ---- export mode ------------------------------------------------------------------------------
 */

static void print_signal(const char *name, const census_otlp_signal_stats *s, bool last) {
  printf("\"%s\": {\"requests_delivered\": %" PRIu64 ", \"attempts\": %" PRIu64
         ", \"retries\": %" PRIu64 ", \"items_delivered\": %" PRIu64
         ", \"items_rejected\": %" PRIu64 ", \"items_dropped\": %" PRIu64
         ", \"requests_superseded\": %" PRIu64 ", \"requests_dropped\": %" PRIu64 "}%s",
         name, s->requests_delivered, s->attempts, s->retries, s->items_delivered,
         s->items_rejected, s->items_dropped, s->requests_superseded, s->requests_dropped,
         last ? "" : ", ");
}

static int export_mode(int argc, char **argv) {
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = argv[2];
  o.service_name = "otlp-app";
  census_kv attrs[] = {{"deployment.environment", "test"}};
  o.resource_attributes = attrs;
  o.resource_attribute_count = 1;
  census_kv header = {"x-api-key", NULL};
  const char *expected = "spans.json";
  int64_t stop_timeout = 10000, flush_timeout = 10000;
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(a, "--json") == 0) {
      o.protocol = CENSUS_OTLP_HTTP_JSON;
    } else if (strcmp(a, "--protobuf") == 0) {
      o.protocol = CENSUS_OTLP_HTTP_PROTOBUF;
    } else if (strcmp(a, "--grpc") == 0) {
      o.protocol = CENSUS_OTLP_GRPC;
    } else if (strcmp(a, "--gzip") == 0) {
      o.compression = CENSUS_OTLP_COMPRESSION_GZIP;
    } else if (strcmp(a, "--env-endpoint") == 0) {
      o.endpoint = NULL; /* take it from OTEL_EXPORTER_OTLP_* */
    } else if (strcmp(a, "--signals") == 0 && ++i < argc) {
      o.signals = strcmp(v, "metrics") == 0  ? CENSUS_OTLP_SIGNAL_METRICS
                  : strcmp(v, "traces") == 0 ? CENSUS_OTLP_SIGNAL_TRACES
                                             : 0;
    } else if (strcmp(a, "--api-key") == 0 && ++i < argc) {
      header.value = v;
      o.headers = &header;
      o.header_count = 1;
    } else if (strcmp(a, "--timeout-ms") == 0 && ++i < argc) {
      o.timeout_ms = atoll(v);
    } else if (strcmp(a, "--max-elapsed-ms") == 0 && ++i < argc) {
      o.max_elapsed_ms = atoll(v);
    } else if (strcmp(a, "--initial-backoff-ms") == 0 && ++i < argc) {
      o.initial_backoff_ms = atoll(v);
      o.max_backoff_ms = atoll(v) * 4;
    } else if (strcmp(a, "--stop-timeout-ms") == 0 && ++i < argc) {
      stop_timeout = atoll(v);
    } else if (strcmp(a, "--flush-timeout-ms") == 0 && ++i < argc) {
      flush_timeout = atoll(v);
    } else if (strcmp(a, "--max-spans") == 0 && ++i < argc) {
      o.max_spans_per_request = (size_t)atoll(v);
    } else if (strcmp(a, "--expected") == 0 && ++i < argc) {
      expected = v;
    } else {
      fprintf(stderr, "otlp_app: unknown argument %s\n", a);
      return 2;
    }
  }
  census_otlp_exporter *exporter = NULL;
  CHECK(census_otlp_exporter_start(&o, &exporter));
  phase1();
  census_status flushed = census_flush(flush_timeout);
  fprintf(stderr, "otlp_app: first flush: %s\n", census_status_name(flushed));
  phase2(expected);
  /* Traces are unregistered first (their final batch), then metrics (the final snapshot). */
  census_otlp_stats stats;
  census_status stopped = CENSUS_OK;
  /* Stats must be read before stop frees the handle: stop in two steps through census_shutdown,
   * which runs the exporters' shutdown callbacks and keeps the final counters readable. */
  stopped = census_shutdown(stop_timeout);
  CHECK(census_otlp_exporter_stats(exporter, &stats));
  census_status freed = census_otlp_exporter_stop(exporter, 0);
  printf("{");
  print_signal("metrics", &stats.metrics, false);
  print_signal("traces", &stats.traces, false);
  printf("\"shutdown\": \"%s\", \"stop\": \"%s\"}\n", census_status_name(stopped),
         census_status_name(freed));
  return 0;
}

int main(int argc, char **argv) {
  census_diagnostics_set_callback(on_diagnostics, NULL);
  if (argc >= 3 && strcmp(argv[1], "dump") == 0) {
    setup();
    return dump(argv[2]);
  }
  if (argc >= 3 && strcmp(argv[1], "export") == 0) {
    setup();
    return export_mode(argc, argv);
  }
  fprintf(stderr, "usage: otlp_app dump DIR | otlp_app export ENDPOINT [options]\n");
  return 2;
}
