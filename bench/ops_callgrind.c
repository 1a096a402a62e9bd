/* ops_callgrind.c - one hot operation N times, for counting its instructions under callgrind.
 *
 * Usage: ops_callgrind OP N   (scripts/callgrind-ops.sh runs every OP and divides)
 *
 * OP is one of record_direct_3tags, record_map_3tags, record_distribution_3tags, bound_int,
 * bound_distribution, record_exponential_3tags, bound_exponential, span_sampled, span_unsampled,
 * traceparent_extract, traceparent_inject. The operation is set up and warmed up (the thread's
 * cells, series and span records exist), then run N times inside run_ops(), a function of its own
 * that callgrind is told to count alone
 * (--toggle-collect=run_ops): instructions per operation are then the function's total divided by
 * N, the same on any machine and free of the timing noise of a shared one. Sampled spans go to a
 * registered span exporter whose queue holds all N and is never drained during the run, so the
 * count is the start, the end and the queue push, not an export.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <census/census.h>
#include <census/exporter.h>
#include <census/propagation.h>
#include <census/trace.h>

static const census_measure *count_measure, *dist_measure, *exp_measure;
static census_tag_map *tags;
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
  /* Made with the INIT macro's size: a zeroed struct is refused (no span, one diagnostic). */
  span_on.size = span_off.size = sizeof(census_span_options);
  span_on.root = span_off.root = true;
  span_on.sampler = census_sampler_always_on();
  span_off.sampler = census_sampler_always_off();
}

/* The counted part: the operation, N times, with the dispatch resolved outside the loop. */
__attribute__((noinline)) static void run_ops(void (*fn)(void), long n) {
  for (long i = 0; i < n; i++) {
    fn();
  }
}

static void record_direct_3tags(void) { census_record_int64(count_measure, 1, tags); }
static void record_map_3tags(void) {
  census_measurement_map_put_int64(map, count_measure, 1);
  census_measurement_map_record(map, tags);
}
static void record_distribution_3tags(void) { census_record_double(dist_measure, 4.2, tags); }
static void bound_int(void) { census_bound_record_int64(bound_count, 1); }
static void bound_distribution(void) { census_bound_record_double(bound_dist, 4.2); }
/* Exponential histograms: latencies over 1 ms .. 1 s (the scale settles at 3 during the warm-up;
 * every record then takes the table path: no window move, no rescale). */
static const double latencies[8] = {1.3, 4.2, 17.5, 0.9, 250.0, 33.3, 7.7, 999.0};
static unsigned next_latency;
static void record_exponential_3tags(void) {
  census_record_double(exp_measure, latencies[next_latency++ & 7], tags);
}
static void bound_exponential(void) {
  census_bound_record_double(bound_exp, latencies[next_latency++ & 7]);
}
static void span_sampled(void) {
  census_span_end(census_span_start("GET /api/v1/items", &span_on));
}
static void span_unsampled(void) {
  census_span_end(census_span_start("GET /api/v1/items", &span_off));
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
static void traceparent_extract(void) {
  census_traceparent_extract(get_traceparent, NULL, &context, NULL);
}
static void traceparent_inject(void) { census_traceparent_inject(&context, set_header, NULL); }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: ops_callgrind OP N\n");
    return 2;
  }
  long n = strtol(argv[2], NULL, 10);
  static const struct {
    const char *name;
    void (*fn)(void);
  } ops[] = {
      {"record_direct_3tags", record_direct_3tags},
      {"record_map_3tags", record_map_3tags},
      {"record_distribution_3tags", record_distribution_3tags},
      {"bound_int", bound_int},
      {"bound_distribution", bound_distribution},
      {"record_exponential_3tags", record_exponential_3tags},
      {"bound_exponential", bound_exponential},
      {"span_sampled", span_sampled},
      {"span_unsampled", span_unsampled},
      {"traceparent_extract", traceparent_extract},
      {"traceparent_inject", traceparent_inject},
  };
  set_up(n);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, argv[1]) == 0) {
      for (int w = 0; w < 1000; w++) {
        ops[i].fn(); /* warm-up: cells, series, span records */
      }
      run_ops(ops[i].fn, n);
      return 0;
    }
  }
  fprintf(stderr, "ops_callgrind: unknown operation %s\n", argv[1]);
  return 2;
}
