/* ops_callgrind.c - one hot operation N times, for counting its instructions under callgrind.
 *
 * Usage: ops_callgrind OP N   (scripts/callgrind-ops.sh runs every OP with N and 2N and divides
 * the difference by N)
 *
 * OP is named after the bench_record case it counts (its "instructions_per_op" in bench.json):
 * record_direct_int_3tags, record_map_int_3tags, record_map_int_0tags,
 * record_direct_distribution_3tags, record_map_distribution_3tags, record_bound_int,
 * record_bound_distribution, span_sampled_start_end, span_unsampled_start_end,
 * traceparent_extract, traceparent_inject, the instrument pairs record_direct_sum_3tags
 * (census_record_int64() into a Sum view) beside record_counter_3tags (census_counter_add_int64()
 * into its default Sum view: the same work), record_histogram_3tags
 * (census_histogram_record_double() with record_direct_distribution_3tags's bounds) beside
 * record_direct_distribution_3tags, record_bound_counter (a counter's handle) beside
 * record_bound_sum (census_measure_bind() of a Sum view's measure); cases bench_record does not
 * time: record_direct_exponential_3tags, record_bound_exponential,
 * record_direct_two_measures_3tags (two records per operation: record_direct_int_3tags's, then
 * record_direct_sum_3tags's, with the same tag map; its figure is for the pair); and the
 * shared-memory mode:
 * shm_record_direct_int_3tags, shm_record_map_int_3tags, shm_record_map_distribution_3tags,
 * shm_record_bound_int, shm_record_bound_distribution, the same operations after
 * census_shm_enable() on a fresh directory (removed at exit), turned on after set-up as
 * bench_record does. Exemplars when on (docs/stats.md): the view "ops/latency_ex"
 * (record_direct_distribution_3tags's, registered last, with the filter trace_based) recorded
 * outside any span (record_exemplar_nospan: the filter declines) and in a sampled current span
 * (record_exemplar_sampled: every record writes its bucket's exemplar); the views registered before
 * keep none, so every other case counts the record path without exemplars. The encoders, per series
 * or span: otlp_encode_per_series (census__otlp_encode_metrics() of a snapshot of N distinct 3-tag
 * counter series), otlp_encode_per_span (census__otlp_encode_spans() of N ended spans with a
 * name, 2 attributes and 1 event, inside a span exporter's callback), prometheus_render_per_series
 * (census_prometheus_render_views() of the snapshot), each made before and encoded once (after a
 * warm-up encode) inside run_ops(): the N and 2N runs differ by N series or spans. Distributions
 * record 4.2 each time (bench_record spreads its values over the buckets: the bucket search's
 * instruction count hardly depends on the value, and a constant keeps the loop free of other work).
 *
 * The operation is set up and warmed up (the thread's cells, series and span records exist),
 * then run N times inside run_ops(), a function of its own that callgrind is told to count alone
 * (--toggle-collect=run_ops). The script runs N and 2N and takes the difference, so what is paid
 * once in run_ops (the first call through the PLT, a cache line's first fill) cancels out:
 * instructions per operation are the same on any machine and free of the timing noise of a
 * shared one. Sampled spans go to a registered span exporter whose queue holds all 2N and is
 * never drained during the run, so the count is the start, the end and the queue push, not an
 * export.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <census/census.h>
#include <census/exporter.h>
#include <census/propagation.h>
#include <census/shm.h>
#include <census/trace.h>
#ifdef CENSUS_HAVE_PROMETHEUS
#include <census/exporters/prometheus.h>
#endif
#ifdef CENSUS_HAVE_OTLP
#include "buffer.h"
#include "otlp_encode.h"
#endif

static const census_measure *count_measure, *dist_measure, *sum_measure, *exp_measure, *ex_measure;
static census_counter *counter;
static census_histogram *histogram;
static census_bound_measure *bound_counter_handle, *bound_sum_handle;
static census_tag_map *tags, *no_tags;
static census_measurement_map *map;
static census_bound_measure *bound_count, *bound_dist, *bound_exp;
static census_span_options span_on, span_off;

static void check(const char *what, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "ops_callgrind: %s: %s\n", what, census_status_str(status));
    exit(1);
  }
}

static census_status no_export(void *user, const census_span_data *const *spans, size_t n) {
  (void)user;
  (void)spans;
  (void)n;
  return CENSUS_OK;
}

static void set_up(long n) {
  census_status st;
  const census_tag_key *keys[3] = {census_tag_key_new("route", &st),
                                   census_tag_key_new("method", &st),
                                   census_tag_key_new("status", &st)};
  check("tag key", st);
  tags = census_tag_map_new();
  no_tags = census_tag_map_new();
  check("tag put", census_tag_map_put(tags, keys[0], "/api/v1/items"));
  check("tag put", census_tag_map_put(tags, keys[1], "GET"));
  check("tag put", census_tag_map_put(tags, keys[2], "200"));
  count_measure = census_measure_int64_new("ops/count", "", "1", &st);
  dist_measure = census_measure_double_new("ops/latency", "", "ms", &st);
  check("measure", st);
  double bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  census_aggregation *count = census_aggregation_count_new();
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 10, &st);
  census_view *v = census_view_new("ops/count", "", count_measure, keys, 3, count, &st);
  check("view", census_view_register(v));
  census_view_free(v);
  v = census_view_new("ops/latency", "", dist_measure, keys, 3, dist, &st);
  check("view", census_view_register(v));
  census_view_free(v);
  sum_measure = census_measure_int64_new("ops/sum", "", "1", &st);
  census_aggregation *sum = census_aggregation_sum_new();
  v = census_view_new("ops/sum", "", sum_measure, keys, 3, sum, &st);
  check("view", census_view_register(v));
  census_view_free(v);
  census_aggregation_free(sum);
  bound_sum_handle = census_measure_bind(sum_measure, tags, &st);
  check("bind sum", st);
  census_instrument_options io = CENSUS_INSTRUMENT_OPTIONS_INIT;
  io.attribute_keys = keys;
  io.attribute_key_count = 3;
  counter = census_counter_int64_new("ops.counter", &io, &st);
  check("counter", st);
  bound_counter_handle = census_counter_bind(counter, tags, &st);
  check("bind counter", st);
  io.unit = "ms";
  io.bounds = bounds;
  io.bound_count = 10;
  histogram = census_histogram_double_new("ops.histogram", &io, &st);
  check("histogram", st);
  census_aggregation_free(count);
  census_aggregation_free(dist);
  exp_measure = census_measure_double_new("ops/latency_exp", "", "ms", &st);
  census_aggregation *exp = census_aggregation_exponential_new(0, 20, &st);
  v = census_view_new("ops/latency_exp", "", exp_measure, keys, 3, exp, &st);
  check("view", census_view_register(v));
  census_view_free(v);
  census_aggregation_free(exp);
  bound_exp = census_measure_bind(exp_measure, tags, &st);
  map = census_measurement_map_new();
  bound_count = census_measure_bind(count_measure, tags, &st);
  bound_dist = census_measure_bind(dist_measure, tags, &st);
  check("bind", st);
  static const census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                               .export_spans = no_export};
  uint32_t queue = 1024;
  while (queue < (uint64_t)n + 4096) {
    queue *= 2;
  }
  census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  o.max_queue_size = o.max_export_batch_size = queue;
  o.schedule_delay_ms = 3600 * 1000;
  check("span options", census_trace_set_export_options(&o));
  check("span exporter", census_span_exporter_register(&ops, &span_on));
  span_on = span_off = (census_span_options)CENSUS_SPAN_OPTIONS_INIT;
  span_on.root = span_off.root = true;
  span_on.sampler = census_sampler_always_on();
  span_off.sampler = census_sampler_always_off();
  census_span probe = census_span_start("probe", &span_on);
  if (!census_span_is_recording(probe)) {
    fprintf(stderr, "ops_callgrind: a span with span_on does not record\n");
    exit(1);
  }
  census_span_end(probe);
  /* Last: the one view with exemplars (the filter decides at registration). */
  check("filter", census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_TRACE_BASED));
  ex_measure = census_measure_double_new("ops/latency_ex", "", "ms", &st);
  census_aggregation *ex = census_aggregation_distribution_new(bounds, 10, &st);
  v = census_view_new("ops/latency_ex", "", ex_measure, keys, 3, ex, &st);
  check("view", census_view_register(v));
  census_view_free(v);
  census_aggregation_free(ex);
}

/* The counted part: the operation, N times, with the dispatch resolved outside the loop. Each
 * operation returns false when it failed (warm-up checks it: a refused call would be counted as a
 * cheap one). */
__attribute__((noinline)) static void run_ops(bool (*fn)(void), long n) {
  for (long i = 0; i < n; i++) {
    fn();
  }
}

static bool record_direct_3tags(void) {
  return census_record_int64(count_measure, 1, tags) == CENSUS_OK;
}
static bool record_map_3tags(void) {
  census_measurement_map_put_int64(map, count_measure, 1);
  return census_measurement_map_record(map, tags) == CENSUS_OK;
}
static bool record_map_0tags(void) {
  census_measurement_map_put_int64(map, count_measure, 1);
  return census_measurement_map_record(map, no_tags) == CENSUS_OK;
}
static bool record_exemplar_nospan(void) {
  return census_record_double(ex_measure, 4.2, tags) == CENSUS_OK;
}
static bool record_exemplar_sampled(void) {
  return census_record_double(ex_measure, 4.2, tags) == CENSUS_OK;
}
static bool record_distribution_3tags(void) {
  return census_record_double(dist_measure, 4.2, tags) == CENSUS_OK;
}
static bool record_map_distribution_3tags(void) {
  census_measurement_map_put_double(map, dist_measure, 4.2);
  return census_measurement_map_record(map, tags) == CENSUS_OK;
}
static bool bound_int(void) { return census_bound_record_int64(bound_count, 1) == CENSUS_OK; }
static bool bound_distribution(void) {
  return census_bound_record_double(bound_dist, 4.2) == CENSUS_OK;
}
/* Two records per operation, into two measures (one view each) with the same tag map: the
 * thread's cache of recent cells must hold both (view, tag map) pairs at once. */
static bool record_two_measures_3tags(void) {
  return census_record_int64(count_measure, 1, tags) == CENSUS_OK &&
         census_record_int64(sum_measure, 1, tags) == CENSUS_OK;
}
static bool record_sum_3tags(void) {
  return census_record_int64(sum_measure, 1, tags) == CENSUS_OK;
}
static bool record_counter_3tags(void) {
  return census_counter_add_int64(counter, 1, tags) == CENSUS_OK;
}
static bool record_histogram_3tags(void) {
  return census_histogram_record_double(histogram, 4.2, tags) == CENSUS_OK;
}
static bool bound_counter(void) {
  return census_bound_record_int64(bound_counter_handle, 1) == CENSUS_OK;
}
static bool bound_sum(void) { return census_bound_record_int64(bound_sum_handle, 1) == CENSUS_OK; }
/* Exponential histograms: latencies over 1 ms .. 1 s (the scale settles at 3 during the warm-up;
 * every record then takes the table path: no window move, no rescale). */
static const double latencies[8] = {1.3, 4.2, 17.5, 0.9, 250.0, 33.3, 7.7, 999.0};
static unsigned next_latency;
static bool record_exponential_3tags(void) {
  return census_record_double(exp_measure, latencies[next_latency++ & 7], tags) == CENSUS_OK;
}
static bool bound_exponential(void) {
  return census_bound_record_double(bound_exp, latencies[next_latency++ & 7]) == CENSUS_OK;
}
static bool span_sampled(void) {
  census_span span = census_span_start("GET /api/v1/items", &span_on);
  census_span_end(span);
  return span != 0;
}
static bool span_unsampled(void) {
  census_span span = census_span_start("GET /api/v1/items", &span_off);
  census_span_end(span);
  return span != 0;
}

static const char *get_traceparent(void *carrier, const char *name) {
  (void)carrier;
  return name[0] == 't' && name[5] == 'p'
             ? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-01"
             : NULL;
}
static void set_header(void *carrier, const char *name, const char *value) {
  (void)carrier;
  (void)name;
  (void)value;
}
static census_trace_context context;
static bool traceparent_extract(void) {
  return census_traceparent_extract(get_traceparent, NULL, &context, NULL) == CENSUS_OK;
}
static bool traceparent_inject(void) {
  return census_traceparent_inject(&context, set_header, NULL) == CENSUS_OK;
}

/* ---- encoders: N series or spans per run, one encode (run_ops calls it once) ---------------- */

static const census_tag_key *encode_keys[3];
#if defined(CENSUS_HAVE_OTLP) || defined(CENSUS_HAVE_PROMETHEUS)
static census_view_data *encode_snapshot; /* N distinct 3-tag counter series */

/* A snapshot of n distinct 3-tag series of a COUNT view, as bench_record's record_series(). */
static void make_series(long n) {
  census_status st;
  const census_measure *m = census_measure_int64_new("ops/encode_series", "", "1", &st);
  check("measure", st);
  census_aggregation *count = census_aggregation_count_new();
  census_view *v = census_view_new("ops/encode_series", "Requests by route, method and status", m,
                                   encode_keys, 3, count, &st);
  check("view", st);
  check("max series", census_view_set_max_series(v, (size_t)n * 2));
  check("view", census_view_register(v));
  census_view_free(v);
  census_aggregation_free(count);
  census_tag_map *t = census_tag_map_new();
  char values[3][32];
  for (long i = 0; i < n; i++) {
    snprintf(values[0], sizeof values[0], "/api/v1/route-%ld", i % 100);
    snprintf(values[1], sizeof values[1], "method-%ld", i / 100 % 10);
    snprintf(values[2], sizeof values[2], "%ld", 200 + i / 1000);
    for (int k = 0; k < 3; k++) {
      check("tag put", census_tag_map_put(t, encode_keys[k], values[k]));
    }
    check("record", census_record_int64(m, 1 + i % 7, t));
  }
  census_tag_map_free(t);
  encode_snapshot = census_view_data_get("ops/encode_series", &st);
  check("view data", st);
}
#endif

#ifdef CENSUS_HAVE_OTLP
static census_resource_attribute service = {
    .key = "service.name", .type = CENSUS_ATTRIBUTE_STRING, .string_value = "bench"};
static long encode_expected; /* series or spans the encode must report */
static const census_span_data *const *encode_spans;
static size_t encode_span_count;

static bool otlp_encode_per_series(void) {
  census_resource resource = {&service, 1};
  const census_view_data *views[] = {encode_snapshot};
  census_buf body = CENSUS_BUF_INIT;
  uint64_t points = 0;
  census_status st = census__otlp_encode_metrics(views, 1, &resource, false, &body, &points);
  census__buf_free(&body);
  return st == CENSUS_OK && points == (uint64_t)encode_expected;
}

static bool otlp_encode_spans_once(void) {
  census_resource resource = {&service, 1};
  census_buf body = CENSUS_BUF_INIT;
  census_status st =
      census__otlp_encode_spans(encode_spans, encode_span_count, &resource, false, &body);
  bool ok = st == CENSUS_OK && body.len > 0;
  census__buf_free(&body);
  return ok;
}

static bool encode_ok = true;
/* The span exporter of otlp_encode_per_span: the encode runs here, where span data exist. */
static census_status encode_in_callback(void *user, const census_span_data *const *spans,
                                        size_t n) {
  (void)user;
  encode_spans = spans;
  encode_span_count = n;
  encode_ok = encode_ok && (long)n == encode_expected && otlp_encode_spans_once(); /* warm-up */
  run_ops(otlp_encode_spans_once, 1);
  return CENSUS_OK;
}
#endif

#ifdef CENSUS_HAVE_PROMETHEUS
static bool prometheus_render_per_series(void) {
  const census_view_data *views[] = {encode_snapshot};
  char *text;
  size_t length;
  census_status st = census_prometheus_render_views(views, 1, NULL, &text, &length);
  census_prometheus_text_free(text);
  return st == CENSUS_OK && length > 0;
}
#endif

/* Runs an encoder case: n series (or spans) made, one warm-up encode, then one counted encode;
 * the script's N and 2N runs differ by N series, so their difference over N is per series. */
static int run_encoder(const char *op, long n) {
  census_status st;
  static const char *const names[3] = {"route", "method", "status"};
  for (int k = 0; k < 3; k++) {
    encode_keys[k] = census_tag_key_new(names[k], &st);
    check("tag key", st);
  }
  if (strcmp(op, "otlp_encode_per_span") == 0) {
#ifdef CENSUS_HAVE_OTLP
    static const census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                                 .export_spans = encode_in_callback};
    census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
    o.max_queue_size = o.max_export_batch_size = (uint32_t)n;
    o.schedule_delay_ms = 3600 * 1000;
    check("span options", census_trace_set_export_options(&o));
    static int user;
    check("span exporter", census_span_exporter_register(&ops, &user));
    census_span_options so = CENSUS_SPAN_OPTIONS_INIT;
    so.root = true;
    so.sampler = census_sampler_always_on();
    encode_expected = n;           /* the worker may export as soon as the n-th span ends */
    for (long i = 0; i < n; i++) { /* bench_record's spans: a name, 2 attributes, 1 event */
      census_span span = census_span_start("GET /api/v1/items", &so);
      census_span_set_attribute_string(span, "http.route", "/api/v1/items");
      census_span_set_attribute_int64(span, "http.status_code", 200);
      census_span_add_event(span, "cache miss");
      census_span_end(span);
    }
    check("span exporter unregister", census_span_exporter_unregister(&user, 600000));
    if (!encode_ok) {
      fprintf(stderr, "ops_callgrind: otlp_encode_per_span: the spans did not all encode\n");
      return 1;
    }
    return 0;
#endif
  } else if (strcmp(op, "otlp_encode_per_series") == 0) {
#ifdef CENSUS_HAVE_OTLP
    make_series(n);
    encode_expected = n;
    if (!otlp_encode_per_series()) {
      fprintf(stderr, "ops_callgrind: otlp_encode_per_series failed\n");
      return 1;
    }
    run_ops(otlp_encode_per_series, 1);
    return 0;
#endif
  } else if (strcmp(op, "prometheus_render_per_series") == 0) {
#ifdef CENSUS_HAVE_PROMETHEUS
    make_series(n);
    if (!prometheus_render_per_series()) {
      fprintf(stderr, "ops_callgrind: prometheus_render_per_series failed\n");
      return 1;
    }
    run_ops(prometheus_render_per_series, 1);
    return 0;
#endif
  } else {
    return -1;
  }
  fprintf(stderr, "ops_callgrind: %s: census was built without that exporter\n", op);
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: ops_callgrind OP N\n");
    return 2;
  }
  long n = strtol(argv[2], NULL, 10);
  int encoder = run_encoder(argv[1], n);
  if (encoder >= 0) {
    return encoder;
  }
  static const struct {
    const char *name;
    bool (*fn)(void);
  } ops[] = {
      {"record_direct_int_3tags", record_direct_3tags},
      {"record_map_int_3tags", record_map_3tags},
      {"record_map_int_0tags", record_map_0tags},
      {"record_direct_distribution_3tags", record_distribution_3tags},
      {"record_map_distribution_3tags", record_map_distribution_3tags},
      {"record_bound_int", bound_int},
      {"record_bound_distribution", bound_distribution},
      {"record_direct_exponential_3tags", record_exponential_3tags},
      {"record_bound_exponential", bound_exponential},
      {"span_sampled_start_end", span_sampled},
      {"span_unsampled_start_end", span_unsampled},
      {"traceparent_extract", traceparent_extract},
      {"traceparent_inject", traceparent_inject},
      {"record_direct_sum_3tags", record_sum_3tags},
      {"record_counter_3tags", record_counter_3tags},
      {"record_histogram_3tags", record_histogram_3tags},
      {"record_bound_counter", bound_counter},
      {"record_bound_sum", bound_sum},
      {"shm_record_direct_int_3tags", record_direct_3tags},
      {"shm_record_map_int_3tags", record_map_3tags},
      {"shm_record_map_distribution_3tags", record_map_distribution_3tags},
      {"shm_record_bound_int", bound_int},
      {"shm_record_bound_distribution", bound_distribution},
      /* The mode's SUM cases beside record_direct_sum_3tags, record_bound_sum and
       * record_bound_counter (not timed by bench_record). */
      {"shm_record_direct_sum_3tags", record_sum_3tags},
      {"shm_record_bound_sum", bound_sum},
      {"shm_record_bound_counter", bound_counter},
      {"record_exemplar_nospan", record_exemplar_nospan},
      {"record_exemplar_sampled", record_exemplar_sampled},
      {"record_direct_two_measures_3tags", record_two_measures_3tags},
  };
  set_up(n);
  if (!traceparent_extract()) { /* the context traceparent_inject writes */
    fprintf(stderr, "ops_callgrind: traceparent_extract failed\n");
    return 1;
  }
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, argv[1]) == 0) {
      char shm_dir[64] = "";
      if (strncmp(argv[1], "shm_", 4) == 0) { /* bench_record's order: set up, then the mode */
        snprintf(shm_dir, sizeof shm_dir, "%s/census-ops-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(shm_dir)) {
          perror(shm_dir);
          return 1;
        }
        check("shm enable", census_shm_enable(shm_dir));
      }
      if (strcmp(argv[1], "record_exemplar_sampled") == 0) {
        census_span_start_current("request", &span_on); /* current for the whole run */
      }
      for (int w = 0; w < 1000; w++) {
        if (!ops[i].fn()) { /* warm-up: cells, series, span records */
          fprintf(stderr, "ops_callgrind: %s failed\n", argv[1]);
          return 1;
        }
      }
      run_ops(ops[i].fn, n);
      if (shm_dir[0] != '\0') {
        char remove_cmd[96];
        snprintf(remove_cmd, sizeof remove_cmd, "rm -rf '%s'", shm_dir);
        if (system(remove_cmd) != 0) {
          fprintf(stderr, "ops_callgrind: could not remove %s\n", shm_dir);
        }
      }
      return 0;
    }
  }
  fprintf(stderr, "ops_callgrind: unknown operation %s\n", argv[1]);
  return 2;
}
