/* test_after_shutdown.c - every public function of census (core and each exporter library built)
 * called after census_shutdown(), against the table in docs/lifecycle.md ("After
 * census_shutdown()") and the header comments:
 *   - constructors and registrations that would add to census's state refuse with
 *     CENSUS_ESHUTDOWN (NULL handle where they return one);
 *   - record calls (direct, measurement map, bound measure, exporter self-metrics) record nothing
 *     and return CENSUS_ESHUTDOWN after their argument checks; the first one is reported once;
 *   - configuration setters return CENSUS_ESHUTDOWN and change nothing; getters keep answering;
 *   - what the caller owns keeps working: tag maps, measurement maps, aggregations, view
 *     definitions, samplers, view-data snapshots taken before shutdown, spans started before it
 *     (ending one after shutdown drops it, counted and reported once); frees free;
 *   - pure functions (status names, propagation formats) keep working;
 *   - exporters stopped by census_shutdown() keep their final counters and their _stop() frees.
 * Objects of every kind are made before shutdown and used after it, so that under ASan (the
 * "unit" label runs there) a use of memory that census_shutdown() freed, or a leak, fails.
 * tests/unit/after_shutdown_api.sh checks that every function the built libraries export is
 * called here. Runs as one test: its phases depend on each other.
 * Fails on main: a bound measure recorded after shutdown read the thread state that shutdown had
 * freed (ASan: heap-use-after-free) and returned CENSUS_OK; records returned CENSUS_OK; span starts
 * and ends after shutdown were silent and ended spans were queued for ever; census_trace_set_
 * sampler/limits and census_exit_flush_set_timeout_ms changed settings nothing would use.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/autoconfigure.h"
#include "census/exporters/stdout.h"
#include "census/propagation.h"
#include "census/trace.h"
#include "diag_log.h" /* on_diag, diag_matches() */
#include "support.h"  /* cmocka, census/census.h */

#ifdef CENSUS_HAVE_OTLP
#include "census/exporters/otlp.h"
#endif
#ifdef CENSUS_HAVE_ZIPKIN
#include "census/exporters/zipkin.h"
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/google_cloud_trace.h"
#endif
#ifdef CENSUS_HAVE_ZPAGES
#include "census/exporters/zpages.h"
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
#include "census/exporters/prometheus.h"
#endif

/* ---- what exists before shutdown --------------------------------------------------------- */

static struct {
  const census_tag_key *key;
  const census_measure *count_m, *dist_m;
  census_tag_map *tags;
  census_measurement_map *map;
  census_bound_measure *bound;
  census_view_data *snapshot;
  census_view_data **all;
  size_t all_count;
  census_sampler *on;
  census_span open_span, current_span;
  int devnull;
  census_stdout_exporter *stdout_exporter;
  atomic_int stats_shutdowns, span_shutdowns;
  census_counter *counter;
  census_updown_counter *updown;
  census_histogram *histogram;
  census_gauge *gauge;
  census_observable *observable;
  atomic_int observed;
#ifdef CENSUS_HAVE_OTLP
  census_otlp_exporter *otlp;
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  census_zipkin_exporter *zipkin;
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
  census_google_trace_exporter *cloud_trace;
  census_google_monitoring_exporter *monitoring;
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
  census_prometheus_exporter *server;
#endif
#ifdef CENSUS_HAVE_ZPAGES
  census_zpages_exporter *zpages;
#endif
} before;

static census_status noop_export(void *user, const census_view_data *const *views, size_t n) {
  (void)user;
  (void)views;
  (void)n;
  return CENSUS_OK;
}
static void count_stats_shutdown(void *user, int64_t timeout_ms) {
  (void)user;
  (void)timeout_ms;
  atomic_fetch_add(&before.stats_shutdowns, 1);
}
static census_status noop_spans(void *user, const census_span_data *const *spans, size_t n) {
  (void)user;
  (void)spans;
  (void)n;
  return CENSUS_OK;
}
static void count_span_shutdown(void *user, int64_t timeout_ms) {
  (void)user;
  (void)timeout_ms;
  atomic_fetch_add(&before.span_shutdowns, 1);
}
static const census_stats_exporter_ops stats_ops = {.size = sizeof(census_stats_exporter_ops),
                                                    .export_views = noop_export,
                                                    .flush = NULL,
                                                    .shutdown = count_stats_shutdown};
static const census_span_exporter_ops span_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = noop_spans,
                                                  .flush = NULL,
                                                  .shutdown = count_span_shutdown};

/* Header carrier for the propagation calls: one header at most. */
struct carrier {
  char name[64];
  char value[600];
};
static const char *carrier_get(void *c, const char *name) {
  struct carrier *h = c;
  return strcmp(h->name, name) == 0 ? h->value : NULL;
}
static void carrier_set(void *c, const char *name, const char *value) {
  struct carrier *h = c;
  snprintf(h->name, sizeof h->name, "%s", name);
  snprintf(h->value, sizeof h->value, "%s", value);
}

/* Makes one object of every kind, records, starts every exporter, then shuts census down. */
static void observe_one(census_observer *observer, void *user) {
  atomic_fetch_add((atomic_int *)user, 1);
  census_observer_observe_int64(observer, 1, NULL);
}

/* One instrument of each kind, and an observable, made before the shutdown. */
static void make_instruments(void) {
  census_status st = 1;
  before.counter = census_counter_int64_new("as.counter", NULL, &st);
  before.updown = census_updown_counter_int64_new("as.updown", NULL, &st);
  before.gauge = census_gauge_double_new("as.gauge", NULL, &st);
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.unit = "s";
  before.histogram = census_histogram_double_new("as.histogram", &o, &st);
  before.observable =
      census_observable_gauge_int64_new("as.observable", NULL, observe_one, &before.observed, &st);
  assert_true(before.counter && before.updown && before.gauge && before.histogram &&
              before.observable);
  assert_int_equal(census_counter_add_int64(before.counter, 1, NULL), CENSUS_OK);
}

static void make_everything_then_shut_down(void) {
  census_status st = 1;
  census_diagnostics_set_callback(on_diag, NULL);
  before.key = key("as_method");
  before.count_m = int_measure("as/requests");
  before.dist_m = double_measure("as/latency");
  census_aggregation *count = census_aggregation_count_new();
  double bounds[] = {1, 10};
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 2, &st);
  census_view *v1 =
      census_view_new("as/requests_by_method", "", before.count_m, &before.key, 1, count, &st);
  census_view *v2 = census_view_new("as/latency", "", before.dist_m, NULL, 0, dist, &st);
  assert_int_equal(census_view_register(v1), CENSUS_OK);
  assert_int_equal(census_view_register(v2), CENSUS_OK);
  census_view_free(v1);
  census_view_free(v2);
  census_aggregation_free(count);
  census_aggregation_free(dist);

  before.tags = census_tag_map_new();
  assert_int_equal(census_tag_map_put(before.tags, before.key, "GET"), CENSUS_OK);
  before.map = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_double(before.map, before.dist_m, 2.5), CENSUS_OK);
  before.bound = census_measure_bind(before.count_m, before.tags, &st);
  assert_non_null(before.bound);
  /* Every record path runs on this thread before shutdown, so that its state exists then. */
  assert_int_equal(census_record_int64(before.count_m, 1, before.tags), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(before.map, before.tags), CENSUS_OK);
  assert_int_equal(census_bound_record_int64(before.bound, 1), CENSUS_OK);
  before.snapshot = census_view_data_get("as/requests_by_method", &st);
  assert_non_null(before.snapshot);
  assert_int_equal(census_view_data_get_all(&before.all, &before.all_count), CENSUS_OK);

  make_instruments();
  before.on = census_sampler_always_on();
  assert_int_equal(census_trace_set_sampler(before.on), CENSUS_OK);
  before.open_span = census_span_start("as open span", NULL);
  before.current_span = census_span_start_current("as current span", NULL);
  assert_true(census_span_is_recording(before.open_span));

  before.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  census_stdout_options so = CENSUS_STDOUT_OPTIONS_INIT;
  so.fd = before.devnull;
  assert_int_equal(census_stdout_exporter_start(&so, &before.stdout_exporter), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &before), CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&span_ops, &before), CENSUS_OK);
  /* Push exporters aimed at a port nothing listens on, with a short retry budget: census_shutdown
   * delivers nothing and drops what they hold, counted. */
#ifdef CENSUS_HAVE_OTLP
  census_otlp_options oo = {
      .size = sizeof(census_otlp_options), .endpoint = "http://127.0.0.1:9", .max_elapsed_ms = 200};
  assert_int_equal(census_otlp_exporter_start(&oo, &before.otlp), CENSUS_OK);
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  census_zipkin_options zo = {.size = sizeof(census_zipkin_options),
                              .endpoint = "http://127.0.0.1:9/api/v2/spans",
                              .max_elapsed_ms = 200};
  assert_int_equal(census_zipkin_exporter_start(&zo, &before.zipkin), CENSUS_OK);
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
  census_google_trace_options to = {.size = sizeof(census_google_trace_options),
                                    .project_id = "p",
                                    .access_token = "token",
                                    .trace_endpoint = "http://127.0.0.1:9",
                                    .max_elapsed_ms = 200};
  assert_int_equal(census_google_trace_exporter_start(&to, &before.cloud_trace), CENSUS_OK);
  census_google_monitoring_options mo = {.size = sizeof(census_google_monitoring_options),
                                         .project_id = "p",
                                         .access_token = "token",
                                         .resource_type = "global",
                                         .monitoring_endpoint = "http://127.0.0.1:9",
                                         .max_elapsed_ms = 200};
  assert_int_equal(census_google_monitoring_exporter_start(&mo, &before.monitoring), CENSUS_OK);
#endif
  /* Ended once the span exporters are registered (a span that ends while none is registered is
   * not queued: nothing would export it), so the shutdown exports it. */
  census_span_end(census_span_start("as ended span", NULL));
#ifdef CENSUS_HAVE_PROMETHEUS
  census_prometheus_options po = {.size = sizeof(census_prometheus_options), .any_port = 1};
  assert_int_equal(census_prometheus_exporter_start(&po, &before.server), CENSUS_OK);
  assert_true(census_prometheus_exporter_port(before.server) != 0);
#endif
#ifdef CENSUS_HAVE_ZPAGES
  census_zpages_options zpo = CENSUS_ZPAGES_OPTIONS_INIT;
  zpo.any_port = 1;
  assert_int_equal(census_zpages_exporter_start(&zpo, &before.zpages), CENSUS_OK);
  assert_true(census_zpages_exporter_port(before.zpages) != 0);
#endif

  census_status first = census_shutdown(5000);
  /* Delivery to the dead port fails; what census_shutdown() returns then is the exit-path
   * helpers' part of issue 11. Here: it ran, once. */
  (void)first;
  assert_int_equal(census_shutdown(5000), CENSUS_OK); /* idempotent */
  assert_int_equal(atomic_load(&before.stats_shutdowns), 1);
  assert_int_equal(atomic_load(&before.span_shutdowns), 1);
}

/* ---- the calls after shutdown -------------------------------------------------------------- */

static void lifecycle_and_status(void) {
  assert_string_equal(census_version(), CENSUS_VERSION_STRING);
  int64_t interval = census_export_interval_ms();
  assert_true(interval >= 1);
  assert_int_equal(census_export_set_interval_ms(1000), CENSUS_ESHUTDOWN);
  assert_int_equal(census_export_interval_ms(), interval);
  assert_int_equal(census_flush(100), CENSUS_ESHUTDOWN);
  assert_int_equal(census_shutdown(100), CENSUS_OK);
  assert_int_equal(census_signal_flush_install(), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exit_flush_set_timeout_ms(100), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exit_flush_set_timeout_ms(-1), CENSUS_EINVAL);
  census_diagnostics_report(CENSUS_OK, "as: reporting still works");
  assert_int_equal(diag_matches("as: reporting still works"), 1);
  census_diagnostics_set_callback(on_diag, NULL);
  assert_string_equal(census_status_name(CENSUS_ESHUTDOWN), "CENSUS_ESHUTDOWN");
  assert_string_equal(census_status_str(CENSUS_ESHUTDOWN), "census has been shut down");
  /* The allocator: fixed long before (refused as too late, not as shut down); its functions
   * keep working for the exporters' last frees. */
  assert_int_equal(census_allocator_replace(malloc, calloc, realloc, free), CENSUS_ETOOLATE);
  char *block = census_allocator_malloc(8);
  assert_non_null(block);
  block = census_allocator_realloc(block, 64);
  assert_non_null(block);
  census_allocator_free(block);
  block = census_allocator_calloc(4, 4);
  assert_non_null(block);
  assert_int_equal(block[15], 0);
  census_allocator_free(block);
}

static void tags(void) {
  census_status st = 1;
  assert_null(census_tag_key_new("as_method", &st)); /* even a name that exists */
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  st = 1;
  assert_null(census_tag_key_new("as_new_key", &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_string_equal(census_tag_key_name(before.key), "as_method");
  assert_int_equal(census_tag_value_check("ok"), CENSUS_OK);
  census_tag_map *m = census_tag_map_new();
  assert_non_null(m);
  assert_int_equal(census_tag_map_put(m, before.key, "PUT"), CENSUS_OK);
  census_tag_map *copy = census_tag_map_copy(m);
  assert_string_equal(census_tag_map_get(copy, before.key), "PUT");
  assert_int_equal(census_tag_map_size(copy), 1);
  const census_tag_key *k = NULL;
  const char *value = NULL;
  assert_int_equal(census_tag_map_at(copy, 0, &k, &value), CENSUS_OK);
  assert_ptr_equal(k, before.key);
  assert_int_equal(census_tag_map_remove(copy, before.key), CENSUS_OK);
  assert_null(census_tag_map_set_current(m));
  assert_ptr_equal(census_tag_map_current(), m);
  assert_ptr_equal(census_tag_map_set_current(NULL), m);
  census_tag_map_free(copy);
  census_tag_map_free(m);
}

static void stats_definitions_and_data(void) {
  census_status st = 1;
  assert_null(census_measure_int64_new("as/requests", "test", "1", &st)); /* exists */
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  st = 1;
  assert_null(census_measure_double_new("as/new", NULL, NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_string_equal(census_measure_name(before.count_m), "as/requests");
  assert_string_equal(census_measure_description(before.count_m), "test");
  assert_string_equal(census_measure_unit(before.count_m), "1");
  assert_int_equal(census_measure_value_type(before.dist_m), CENSUS_MEASURE_DOUBLE);
  assert_false(census_measure_is_signed(before.dist_m));
  census_measure_options mo = CENSUS_MEASURE_OPTIONS_INIT;
  mo.name = "as/signed";
  mo.signed_values = true;
  st = 1;
  assert_null(census_measure_new(&mo, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);

  census_aggregation *sum = census_aggregation_sum_new();
  census_aggregation *last = census_aggregation_last_value_new();
  census_aggregation *count = census_aggregation_count_new();
  double bounds[] = {1};
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 1, &st);
  census_aggregation *expo = census_aggregation_exponential_new(0, 20, &st);
  assert_true(sum && last && count && dist && expo);
  assert_int_equal(census_aggregation_kind(expo), CENSUS_AGGREGATION_EXPONENTIAL);
  census_aggregation_free(expo);
  assert_int_equal(census_aggregation_kind(last), CENSUS_AGGREGATION_LAST_VALUE);
  census_view *v = census_view_new("as/after", NULL, before.count_m, NULL, 0, sum, &st);
  assert_non_null(v);
  assert_int_equal(census_view_set_max_series(v, 5), CENSUS_OK);
  assert_int_equal(census_view_set_prometheus_name(v, "as_after_total"), CENSUS_OK);
  assert_int_equal(census_view_register(v), CENSUS_ESHUTDOWN);
  census_view_free(v);
  census_aggregation_free(sum);
  census_aggregation_free(last);
  census_aggregation_free(count);
  census_aggregation_free(dist);

  st = 1;
  assert_null(census_view_data_get("as/requests_by_method", &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  census_view_data **all = (census_view_data **)1;
  size_t all_count = 7;
  assert_int_equal(census_view_data_get_all(&all, &all_count), CENSUS_ESHUTDOWN);
  /* Shared-memory mode: refused after shutdown, as every other entry point that would start
   * something; the gauge mode and the counters are plain settings and reads. */
  assert_int_equal(census_shm_enable("/tmp"), CENSUS_ESHUTDOWN);
  /* The exemplar filter is a plain setting: set and read after shutdown too. */
  assert_int_equal(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON), CENSUS_OK);
  assert_int_equal(census_exemplar_filter_get(), CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  assert_int_equal(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF), CENSUS_OK);
  assert_false(census_shm_enabled());
  assert_int_equal(census_shm_view_data_get_all("/tmp", &all, &all_count), CENSUS_ESHUTDOWN);
  size_t compacted = 7;
  assert_int_equal(census_shm_compact("/tmp", &compacted), CENSUS_ESHUTDOWN);
  assert_int_equal(compacted, 0);
  assert_false(census_shm_is_leader());
  assert_int_equal(census_shm_gauge_mode_set(CENSUS_SHM_GAUGE_MAX), CENSUS_OK);
  assert_int_equal(census_shm_gauge_mode_set((census_shm_gauge_mode)99), CENSUS_EINVAL);
  census_shm_counts shm_counts = {1, 1, 1};
  census_shm_stats(&shm_counts);
  assert_int_equal(shm_counts.files_opened, 0);
  assert_int_equal(shm_counts.uncarried_series, 0);
  census_shm_stats(NULL);

  /* The snapshot taken before shutdown owns what it shows. */
  census_view_data *d = before.snapshot;
  assert_string_equal(census_view_data_name(d), "as/requests_by_method");
  assert_string_equal(census_view_data_description(d), "");
  assert_ptr_equal(census_view_data_measure(d), before.count_m);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_COUNT);
  assert_true(census_view_data_is_monotonic(d));
  assert_null(census_view_data_prometheus_name(d));
  assert_string_equal(census_view_data_unit(d), "1"); /* a Count view counts: unit 1 */
  assert_int_equal(census_view_data_column_count(d), 1);
  assert_string_equal(census_view_data_column(d, 0), "as_method");
  const double *b = (const double *)1;
  assert_int_equal(census_view_data_bounds(d, &b), 0);
  assert_true(census_view_data_start_time_ns(d) <= census_view_data_end_time_ns(d));
  assert_int_equal(census_view_data_row_count(d), 1);
  assert_string_equal(census_view_data_row_value(d, 0, 0), "GET");
  const char *const *values = NULL;
  const size_t *lengths = NULL;
  assert_int_equal(census_view_data_row_values(d, 0, &values, &lengths), 1);
  assert_string_equal(values[0], "GET");
  assert_int_equal(lengths[0], 3);
  assert_false(census_view_data_row_is_overflow(d, 0));
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 2); /* the direct record and the bound one */
  census_exponential_buckets e;
  assert_int_equal(census_view_data_row_exponential(d, 0, &e), CENSUS_EINVAL); /* a Count view */
  /* A view registered with the filter off keeps no exemplars; the accessors say so. */
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 0);
  census_exemplar ex;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &ex), CENSUS_ENOTFOUND);
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, NULL), CENSUS_EINVAL);
  const char *key = NULL, *value = NULL;
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 0, 0, &key, &value),
                   CENSUS_ENOTFOUND);
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 0, 0, NULL, &value),
                   CENSUS_EINVAL);
  census_view_data_free(before.snapshot);
  census_view_data_free_all(before.all, before.all_count);
}

static void recording(void) {
  /* Argument checks come first, then: nothing recorded, CENSUS_ESHUTDOWN. */
  assert_int_equal(census_record_int64(NULL, 1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_record_int64(before.count_m, -1, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_int64(before.count_m, 1, before.tags), CENSUS_ESHUTDOWN);
  assert_int_equal(census_record_double(before.dist_m, 1.5, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_measurement_map_record(before.map, before.tags), CENSUS_ESHUTDOWN);
  assert_int_equal(census_bound_record_int64(before.bound, 1), CENSUS_ESHUTDOWN);
  assert_int_equal(census_bound_record_double(before.bound, 1.0), CENSUS_ETYPE);
  assert_int_equal(census_bound_record_int64(NULL, 1), CENSUS_EINVAL);
  assert_int_equal(diag_matches("a measurement was recorded after census_shutdown()"), 1);

  census_measurement_map *m = census_measurement_map_new();
  assert_non_null(m);
  assert_int_equal(census_measurement_map_put_int64(m, before.count_m, 3), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_double(m, before.dist_m, 3.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(m, NULL), CENSUS_ESHUTDOWN);
  census_measurement_map_clear(m);
  census_measurement_map_free(m);
  census_measurement_map_free(before.map);

  census_status st = 1;
  assert_null(census_measure_bind(before.count_m, before.tags, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  census_bound_measure_free(before.bound);
  census_tag_map_free(before.tags);

  assert_int_equal(census_exporter_record_dropped("as", "queue_full", 1), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exporter_record_dropped("as", "queue_full", 0), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("as", 1), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exporter_record_rejected(NULL, 1), CENSUS_EINVAL);
}

static void count_status(void *context, const census_exporter_status *status) {
  (void)status;
  ++*(int *)context;
}

static void exporter_interface(void) {
  int other;
  assert_int_equal(census_stats_exporter_register(&stats_ops, &other), CENSUS_ESHUTDOWN);
  assert_int_equal(census_span_exporter_register(&span_ops, &other), CENSUS_ESHUTDOWN);
  /* census_shutdown() already released every exporter (each shutdown callback ran once). */
  assert_int_equal(census_stats_exporter_unregister(&before, 100), CENSUS_ESHUTDOWN);
  assert_int_equal(census_span_exporter_unregister(&before, 100), CENSUS_ESHUTDOWN);
  assert_int_equal(atomic_load(&before.stats_shutdowns), 1);
  assert_int_equal(atomic_load(&before.span_shutdowns), 1);
  /* The exporter status registry still answers (the handles outlive the shutdown, with their
   * final counters), and takes and drops registrations. */
  int visited = 0;
  assert_int_equal(census_exporter_status_visit(count_status, &visited), CENSUS_OK);
  census_exporter_status_options so = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  so.name = "after shutdown";
  assert_int_equal(census_exporter_status_register(&so, &other), CENSUS_OK);
  int visited_after = 0;
  assert_int_equal(census_exporter_status_visit(count_status, &visited_after), CENSUS_OK);
  assert_int_equal(visited_after, visited + 1);
  assert_int_equal(census_exporter_status_unregister(&other), CENSUS_OK);
  census_exporter_report_counts(NULL, 1, 2, 3); /* NULL reports are no-ops */
  census_exporter_report_error(NULL, 1, "x");
  /* Span observers: no new one after the shutdown (no span starts any more); unregistering
   * works (nothing registered here). */
  census_span_observer_ops observer = CENSUS_SPAN_OBSERVER_OPS_INIT;
  assert_int_equal(census_span_observer_register(&observer, &other), CENSUS_ESHUTDOWN);
  assert_int_equal(census_span_observer_unregister(&other, 100), CENSUS_ENOTFOUND);
  assert_false(census_span_data_is_sampled(NULL));

  /* Span data exist only during an export call; with none, the accessors answer NULL-safely. */
  census_trace_context c;
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote;
  census_attribute a;
  const char *name = NULL;
  int64_t t;
  size_t n;
  assert_null(census_span_data_name(NULL));
  census_span_data_context(NULL, &c);
  assert_false(census_span_data_parent(NULL, parent, &remote));
  assert_int_equal(census_span_data_kind(NULL), CENSUS_SPAN_KIND_INTERNAL);
  assert_int_equal(census_span_data_start_time_ns(NULL), 0);
  assert_int_equal(census_span_data_end_time_ns(NULL), 0);
  assert_int_equal(census_span_data_status(NULL, &name), CENSUS_SPAN_STATUS_UNSET);
  assert_int_equal(census_span_data_attribute_count(NULL), 0);
  assert_int_equal(census_span_data_attribute(NULL, 0, &a), CENSUS_EINVAL);
  assert_int_equal(census_span_data_event_count(NULL), 0);
  assert_int_equal(census_span_data_event(NULL, 0, &name, &t, &n), CENSUS_EINVAL);
  assert_int_equal(census_span_data_event_attribute(NULL, 0, 0, &a), CENSUS_EINVAL);
  assert_int_equal(census_span_data_link_count(NULL), 0);
  assert_int_equal(census_span_data_link(NULL, 0, &c), CENSUS_EINVAL);
  assert_int_equal(census_span_data_dropped_attributes(NULL), 0);
  assert_int_equal(census_span_data_dropped_events(NULL), 0);
  assert_int_equal(census_span_data_dropped_links(NULL), 0);
}

static void tracing(void) {
  assert_int_equal(census_span_start("as late", NULL), 0);
  assert_int_equal(census_span_start_current("as late current", NULL), 0);
  assert_int_equal(diag_matches("after census_shutdown(): no span is started"), 1);

  /* Spans started before shutdown are still the caller's: they answer, take annotations, and
   * ending one drops it (nothing exports any more), counted and reported once. */
  census_span s = before.open_span;
  census_trace_context c;
  assert_int_equal(census_span_context(s, &c), CENSUS_OK);
  assert_true(census_trace_context_is_valid(&c));
  assert_true(census_trace_context_is_sampled(&c));
  assert_true(census_span_is_recording(s));
  assert_int_equal(census_span_set_attribute_string(s, "k", "v"), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64(s, "i", 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_double(s, "d", 1.5), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_bool(s, "b", true), CENSUS_OK);
  const char *const strings[] = {"x"};
  const int64_t ints[] = {1};
  const double doubles[] = {1.5};
  const bool bools[] = {true};
  assert_int_equal(census_span_set_attribute_string_array(s, "sa", strings, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "ia", ints, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_double_array(s, "da", doubles, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_bool_array(s, "ba", bools, 1), CENSUS_OK);
  assert_int_equal(census_span_add_event(s, "e"), CENSUS_OK);
  assert_int_equal(census_span_add_event_with_attribute(s, "e2", "k", "v"), CENSUS_OK);
  assert_int_equal(census_span_add_link(s, &c), CENSUS_OK);
  assert_int_equal(census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "late"), CENSUS_OK);
  assert_int_equal(census_span_set_name(s, "renamed"), CENSUS_OK);
  assert_int_equal(census_span_set_kind(s, CENSUS_SPAN_KIND_CLIENT), CENSUS_OK);
  census_attribute typed = {.key = "n", .type = CENSUS_ATTRIBUTE_INT64, .int_value = 3};
  assert_int_equal(census_span_add_event_with_attributes(s, "e3", &typed, 1), CENSUS_OK);
  assert_int_equal(census_span_current(), before.current_span);
  uint64_t dropped = census_trace_dropped_spans();
  census_span_end(s);
  census_span_end_at(before.current_span, 0);
  assert_int_equal(census_trace_dropped_spans(), dropped + 2);
  assert_int_equal(census_span_current(), 0);
  assert_int_equal(census_span_context(s, &c), CENSUS_ENOTFOUND);
  assert_int_equal(diag_matches("a span ended after census_shutdown()"), 1);

  census_status st = 1;
  census_sampler *off = census_sampler_always_off();
  census_sampler *ratio = census_sampler_trace_id_ratio(0.5, &st);
  census_sampler *parent = census_sampler_parent_based(ratio);
  assert_true(off && ratio && parent);
  assert_int_equal(census_trace_set_sampler(parent), CENSUS_ESHUTDOWN);
  census_sampler_free(off);
  census_sampler_free(ratio);
  census_sampler_free(parent);
  census_sampler_free(before.on);
  census_span_limits limits = {.size = sizeof(census_span_limits), .max_attributes = 3};
  assert_int_equal(census_trace_set_limits(&limits), CENSUS_ESHUTDOWN);
  census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  assert_int_equal(census_trace_export_options(&o), CENSUS_OK);
  assert_true(o.max_queue_size > 0);
  o.max_queue_size = 4;
  o.max_export_batch_size = 2;
  assert_int_equal(census_trace_set_export_options(&o), CENSUS_ESHUTDOWN);
}

static void propagation(void) {
  census_trace_context c = {.trace_id = {1}, .span_id = {2}, .trace_flags = 1};
  char text[CENSUS_BAGGAGE_MAX_LENGTH + 1];
  struct carrier h = {{0}, {0}};
  census_trace_context back;
  assert_int_equal(census_traceparent_format(&c, text), CENSUS_OK);
  assert_int_equal(census_traceparent_parse(text, strlen(text), &back), CENSUS_OK);
  assert_int_equal(census_tracestate_parse("a=1", 3, text, NULL), CENSUS_OK);
  assert_int_equal(census_traceparent_inject(&c, carrier_set, &h), CENSUS_OK);
  assert_int_equal(census_traceparent_extract(carrier_get, &h, &back, NULL), CENSUS_OK);
  assert_false(census_trace_context_is_random(&c));
  assert_string_not_equal(census_tracestate_problem_str(CENSUS_TRACESTATE_PROBLEM_MEMBERS), "");
  census_propagator *composite = census_propagator_new("tracecontext", NULL);
  assert_int_equal(census_propagator_format_count(composite), 1);
  assert_string_equal(census_propagator_format(composite, 0), "tracecontext");
  assert_int_equal(census_propagator_inject(composite, &c, NULL, carrier_set, &h), CENSUS_OK);
  assert_int_equal(census_propagator_extract(composite, carrier_get, &h, &back, NULL), CENSUS_OK);
  census_propagator_free(composite);
  census_header_joiner joiner = {0}; /* no `each`: the joiner finds nothing, still works */
  assert_null(census_header_joiner_get(&joiner, "traceparent"));
  census_header_joiner_reset(&joiner);
  assert_false(census_exporter_is_flushing_at_exit()); /* a getter: this is no exit flush */
  census_b3_sampling sampling;
  assert_int_equal(census_b3_format(&c, text), CENSUS_OK);
  assert_int_equal(census_b3_parse(text, strlen(text), &back, &sampling), CENSUS_OK);
  assert_int_equal(census_b3_inject(&c, CENSUS_B3_SINGLE, carrier_set, &h), CENSUS_OK);
  assert_int_equal(census_b3_extract(carrier_get, &h, &back, &sampling), CENSUS_OK);
  assert_int_equal(census_cloud_trace_format(&c, text), CENSUS_OK);
  assert_int_equal(census_cloud_trace_parse(text, strlen(text), &back), CENSUS_OK);
  assert_int_equal(census_cloud_trace_inject(&c, carrier_set, &h), CENSUS_OK);
  assert_int_equal(census_cloud_trace_extract(carrier_get, &h, &back), CENSUS_OK);
  uint8_t binary[CENSUS_TRACE_BINARY_SIZE];
  assert_int_equal(census_trace_binary_encode(&c, binary), CENSUS_OK);
  assert_int_equal(census_trace_binary_decode(binary, sizeof binary, &back), CENSUS_OK);

  /* Tag maps: formatting works; parsing needs tag keys, which can no longer be made. */
  census_tag_map *m = census_tag_map_new();
  assert_int_equal(census_tag_map_put(m, before.key, "GET"), CENSUS_OK);
  size_t length = 0, skipped = 0;
  assert_int_equal(census_baggage_format(m, text, sizeof text, &length, &skipped), CENSUS_OK);
  assert_string_equal(text, "as_method=GET");
  assert_int_equal(census_baggage_inject(m, carrier_set, &h, &skipped), CENSUS_OK);
  uint8_t tags_binary[64];
  assert_int_equal(census_tags_binary_encode(m, tags_binary, sizeof tags_binary, &length),
                   CENSUS_OK);
  census_tag_map *in = census_tag_map_new();
  assert_int_equal(census_baggage_parse("a=1,b=2", 7, in, &skipped), CENSUS_OK);
  assert_int_equal(skipped, 2);
  assert_int_equal(census_baggage_extract(carrier_get, &h, in, &skipped), CENSUS_OK);
  assert_int_equal(skipped, 1);
  assert_int_equal(census_tag_map_size(in), 0);
  assert_int_equal(census_tags_binary_decode(tags_binary, length, in), CENSUS_ESHUTDOWN);
  census_tag_map_free(in);
  census_tag_map_free(m);
}

static void exporters(void) {
  census_stdout_exporter *so = (census_stdout_exporter *)1;
  assert_int_equal(census_stdout_exporter_start(NULL, &so), CENSUS_ESHUTDOWN);
  assert_null(so);
  census_stdout_stats sst;
  assert_int_equal(census_stdout_exporter_stats(before.stdout_exporter, &sst), CENSUS_OK);
  assert_true(sst.rows_written > 0); /* the final export census_shutdown() made */
  assert_int_equal(sst.rows_dropped, 0);
  /* The shutdown stopped it, keeping the handle: _stop() only frees. */
  assert_int_equal(census_stdout_exporter_stop(before.stdout_exporter, 100), CENSUS_OK);
  close(before.devnull);
#ifdef CENSUS_HAVE_OTLP
  census_otlp_exporter *otlp = (census_otlp_exporter *)1;
  assert_int_equal(census_otlp_exporter_start(NULL, &otlp), CENSUS_ESHUTDOWN);
  assert_null(otlp);
  census_otlp_stats os;
  assert_int_equal(census_otlp_exporter_stats(before.otlp, &os), CENSUS_OK);
  assert_true(os.metrics.attempts > 0); /* the final export at shutdown was tried */
  /* Its header: the outcome of the final delivery, which census_shutdown() ran: data were
   * dropped (nothing listens), so CENSUS_EEXPORT; the handle is freed either way. */
  assert_int_equal(census_otlp_exporter_stop(before.otlp, 100), CENSUS_EEXPORT);
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  census_zipkin_exporter *zipkin = (census_zipkin_exporter *)1;
  assert_int_equal(census_zipkin_exporter_start(NULL, &zipkin), CENSUS_ESHUTDOWN);
  assert_null(zipkin);
  census_zipkin_stats zs;
  assert_int_equal(census_zipkin_exporter_stats(before.zipkin, &zs), CENSUS_OK);
  assert_int_equal(zs.spans_dropped, 1); /* "as ended span", undeliverable by the deadline */
  /* The outcome of the final delivery, which census_shutdown() ran: a span was dropped. */
  assert_int_equal(census_zipkin_exporter_stop(before.zipkin, 100), CENSUS_EEXPORT);
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
  census_google_trace_options to = {
      .size = sizeof(census_google_trace_options), .project_id = "p", .access_token = "token"};
  census_google_trace_exporter *t = (census_google_trace_exporter *)1;
  assert_int_equal(census_google_trace_exporter_start(&to, &t), CENSUS_ESHUTDOWN);
  assert_null(t);
  census_google_trace_stats ts;
  assert_int_equal(census_google_trace_exporter_stats(before.cloud_trace, &ts), CENSUS_OK);
  assert_int_equal(ts.spans_dropped, 1); /* "as ended span": nothing listens */
  /* The outcome of the final delivery, which census_shutdown() ran: a span was dropped. */
  assert_int_equal(census_google_trace_exporter_stop(before.cloud_trace, 100), CENSUS_EEXPORT);
  census_google_monitoring_options mo = {.size = sizeof(census_google_monitoring_options),
                                         .project_id = "p",
                                         .access_token = "token",
                                         .resource_type = "global"};
  census_google_monitoring_exporter *gm = (census_google_monitoring_exporter *)1;
  assert_int_equal(census_google_monitoring_exporter_start(&mo, &gm), CENSUS_ESHUTDOWN);
  assert_null(gm);
  census_google_monitoring_stats ms;
  assert_int_equal(census_google_monitoring_exporter_stats(before.monitoring, &ms), CENSUS_OK);
  /* Its descriptors could not be created (nothing listens), so its points waited: deferred,
   * never submitted, nothing dropped; the final outcome is CENSUS_OK. */
  assert_true(ms.points_deferred > 0);
  assert_int_equal(ms.points_submitted, 0);
  assert_int_equal(ms.points_dropped, 0);
  assert_int_equal(census_google_monitoring_exporter_stop(before.monitoring, 100), CENSUS_OK);
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
  char *text = (char *)1;
  size_t length = 1;
  assert_int_equal(census_prometheus_render(NULL, &text, &length), CENSUS_ESHUTDOWN);
  assert_null(text);
  /* Rendering snapshots the caller holds needs nothing of census's state. */
  assert_int_equal(census_prometheus_render_views(NULL, 0, NULL, &text, &length), CENSUS_OK);
  census_prometheus_text_free(text);
  assert_int_equal(census_prometheus_negotiate(NULL), CENSUS_PROMETHEUS_TEXT);
  assert_non_null(census_prometheus_format_content_type(CENSUS_PROMETHEUS_TEXT));
  census_prometheus_options po = {.size = sizeof(census_prometheus_options), .any_port = 1};
  census_prometheus_exporter *pe = (census_prometheus_exporter *)1;
  assert_int_equal(census_prometheus_exporter_start(&po, &pe), CENSUS_ESHUTDOWN);
  assert_null(pe);
  assert_int_equal(census_prometheus_exporter_port(before.server), 0); /* stopped by shutdown */
  census_prometheus_stats ps;
  assert_int_equal(census_prometheus_exporter_stats(before.server, &ps), CENSUS_OK);
  /* Routes on the stopped server: added and removed (never called); no request exists. */
  assert_int_equal(census_prometheus_exporter_add_route(before.server, "/x", NULL, NULL),
                   CENSUS_EINVAL);
  assert_int_equal(census_prometheus_exporter_remove_route(before.server, "/x"), CENSUS_ENOTFOUND);
  assert_null(census_prometheus_request_path(NULL));
  assert_null(census_prometheus_request_query(NULL, "name"));
  assert_int_equal(census_prometheus_exporter_stop(before.server, 100), CENSUS_OK); /* frees */
#endif
#ifdef CENSUS_HAVE_ZPAGES
  /* The zPages: the shutdown stopped them (port 0), the handle keeps its counters until _stop;
   * no new zPages (no span observer can register). */
  assert_int_equal(census_zpages_exporter_port(before.zpages), 0);
  census_zpages_stats zps;
  assert_int_equal(census_zpages_exporter_stats(before.zpages, &zps), CENSUS_OK);
  assert_int_equal(census_zpages_exporter_stop(before.zpages, 100), CENSUS_OK); /* frees */
  census_zpages_options zpo = CENSUS_ZPAGES_OPTIONS_INIT;
  zpo.any_port = 1;
  census_zpages_exporter *ze = (census_zpages_exporter *)1;
  assert_int_equal(census_zpages_exporter_start(&zpo, &ze), CENSUS_ESHUTDOWN);
  assert_null(ze);
#endif
}

/* Instruments (census/instruments.h): constructors refuse, records through instruments made
 * before are no-ops that say so, accessors, bucket helpers and the timer work, observable
 * handles free, and no callback runs any more. */
static void instruments(void) {
  census_status st = 1;
  int observed = atomic_load(&before.observed);
  assert_true(observed >= 1); /* the shutdown's final export observed */
  assert_null(census_counter_int64_new("as.counter", NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  st = 1;
  assert_null(census_counter_double_new("as.new1", NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_null(census_updown_counter_int64_new("as.new2", NULL, &st));
  assert_null(census_updown_counter_double_new("as.new3", NULL, &st));
  assert_null(census_histogram_int64_new("as.new4", NULL, &st));
  assert_null(census_histogram_double_new("as.new5", NULL, &st));
  assert_null(census_gauge_int64_new("as.new6", NULL, &st));
  st = 1;
  assert_null(census_gauge_double_new("as.new7", NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_int_equal(census_counter_add_int64(before.counter, 1, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_counter_add_double(before.counter, 1, NULL), CENSUS_ETYPE);
  assert_int_equal(census_updown_counter_add_int64(before.updown, -1, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_updown_counter_add_double(before.updown, 1, NULL), CENSUS_ETYPE);
  assert_int_equal(census_histogram_record_double(before.histogram, 1, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_histogram_record_int64(before.histogram, 1, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_gauge_record_double(before.gauge, -1, NULL), CENSUS_ESHUTDOWN);
  assert_int_equal(census_gauge_record_int64(before.gauge, 1, NULL), CENSUS_ESHUTDOWN);
  st = 1;
  assert_null(census_counter_bind(before.counter, NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_null(census_updown_counter_bind(before.updown, NULL, &st));
  assert_null(census_histogram_bind(before.histogram, NULL, &st));
  assert_null(census_gauge_bind(before.gauge, NULL, &st));
  assert_string_equal(census_measure_name(census_counter_measure(before.counter)), "as.counter");
  assert_non_null(census_updown_counter_measure(before.updown));
  assert_non_null(census_histogram_measure(before.histogram));
  assert_non_null(census_gauge_measure(before.gauge));
  assert_non_null(census_observable_measure(before.observable));
  assert_null(census_observable_counter_int64_new("as.o1", NULL, observe_one, NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_null(census_observable_counter_double_new("as.o2", NULL, observe_one, NULL, &st));
  assert_null(census_observable_updown_counter_int64_new("as.o3", NULL, observe_one, NULL, &st));
  assert_null(census_observable_updown_counter_double_new("as.o4", NULL, observe_one, NULL, &st));
  assert_null(census_observable_gauge_int64_new("as.o5", NULL, observe_one, NULL, &st));
  st = 1;
  assert_null(census_observable_gauge_double_new("as.o6", NULL, observe_one, NULL, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
  assert_int_equal(census_observer_observe_int64(NULL, 1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_observer_observe_double(NULL, 1, NULL), CENSUS_EINVAL);
  census_observable_free(before.observable);
  assert_int_equal(atomic_load(&before.observed), observed);
  assert_int_equal(census_process_metrics_register(), CENSUS_ESHUTDOWN);
  double b[3];
  assert_int_equal(census_buckets_linear(0, 1, 3, b), CENSUS_OK);
  assert_int_equal(census_buckets_exponential(1, 2, 3, b), CENSUS_OK);
  assert_non_null(census_buckets_otel_default(NULL));
  assert_non_null(census_buckets_default_seconds(NULL));
  census_timer t = census_timer_start();
  assert_true(census_timer_elapsed_ns(&t) >= 0);
  assert_int_equal(census_timer_stop(&t, before.histogram, NULL), CENSUS_ESHUTDOWN);
  /* Autoconfiguration after shutdown configures nothing (census/autoconfigure.h). */
  census_autoconfig config = CENSUS_AUTOCONFIG_INIT;
  assert_int_equal(census_autoconfigure_core(NULL, &config), CENSUS_ESHUTDOWN);
  assert_null(config.propagator);
  census_autoconfig_missing("OTEL_METRICS_EXPORTER", "prometheus", "census_prometheus");
}

/* Proves the table of docs/lifecycle.md "After census_shutdown()", call family by call family
 * (see the file comment). */
static void test_every_call_after_shutdown(void **state) {
  (void)state;
  make_everything_then_shut_down();
  lifecycle_and_status();
  tags();
  stats_definitions_and_data();
  recording();
  instruments();
  exporter_interface();
  tracing();
  propagation();
  exporters();
  census_diagnostics_set_callback(NULL, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_call_after_shutdown),
  };
  return cmocka_run_group_tests_name("after_shutdown", tests, NULL, NULL);
}
