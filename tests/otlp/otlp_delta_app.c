/* otlp_delta_app.c - records a known sequence while the OTLP exporter sends delta temporality,
 * for otlp_delta_test.sh, whose receiver sums the deltas it accepted.
 *
 *   otlp_delta_app ENDPOINT ROUNDS [--grpc] [--env] [--spool DIR] [--stop-timeout-ms N]
 *                  [--offset N]
 * Exports every 150 ms (census_export_set_interval_ms) with temporality DELTA (--env: none set
 * in the options, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE decides), retries fast (50 to
 * 200 ms backoff, 60 s budget), records ROUNDS rounds 40 ms apart, then census_shutdown(). Round
 * i (counting from --offset, so that two processes record different values):
 *   delta/requests  COUNT [method]: one GET; one POST when i is even
 *   delta/bytes     SUM int64 "By" [method]: GET i * 10 + 1
 *   delta/load      SUM double []: 0.25 (exact in binary: every partial sum is exact)
 *   delta/latency   DISTRIBUTION double "ms" bounds {1, 5, 10} []: (i % 13) + 0.5
 *   delta/latency_exp EXPONENTIAL (8 buckets) of the same values: its scale goes down from 20 to
 *                   0 as the range grows, so deltas come at several scales
 *   delta/queue     LAST_VALUE int64 []: i (a gauge: never a delta)
 * and prints, as one JSON line on stdout, the totals it recorded, computed here by plain
 * arithmetic beside the recording (the expected sums; for the exponential view the values
 * themselves, whose buckets delta_sum.js computes), and the exporter's metrics counters.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <census/census.h>
#include <census/exporters/otlp.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    census_status st_ = (call);                                                                    \
    if (st_ != CENSUS_OK) {                                                                        \
      fprintf(stderr, "otlp_delta_app: %s: %s\n", #call, census_status_name(st_));                 \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static const census_tag_key *method;

static void view(const char *name, const census_measure *m, census_aggregation *a, bool column) {
  census_status st;
  census_view *v = census_view_new(name, "", m, column ? &method : NULL, column ? 1 : 0, a, &st);
  CHECK(st);
  CHECK(census_view_register(v));
  census_view_free(v);
  census_aggregation_free(a);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: otlp_delta_app ENDPOINT ROUNDS [options]\n");
    return 2;
  }
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = argv[1];
  o.signals = CENSUS_OTLP_SIGNAL_METRICS;
  o.service_name = "otlp-delta-app";
  o.temporality = CENSUS_OTLP_TEMPORALITY_DELTA;
  o.initial_backoff_ms = 50;
  o.max_backoff_ms = 200;
  o.max_elapsed_ms = 60000;
  int rounds = atoi(argv[2]), offset = 0;
  int64_t stop_timeout = 10000;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--grpc") == 0) {
      o.protocol = CENSUS_OTLP_GRPC;
    } else if (strcmp(argv[i], "--env") == 0) {
      o.temporality = CENSUS_OTLP_TEMPORALITY_DEFAULT;
    } else if (strcmp(argv[i], "--spool") == 0 && i + 1 < argc) {
      o.spool_dir = argv[++i];
    } else if (strcmp(argv[i], "--stop-timeout-ms") == 0 && i + 1 < argc) {
      stop_timeout = atoll(argv[++i]);
    } else if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc) {
      offset = atoi(argv[++i]);
    } else {
      fprintf(stderr, "otlp_delta_app: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  census_status st;
  method = census_tag_key_new("method", &st);
  const census_measure *requests = census_measure_int64_new("delta/req", "", "1", &st);
  const census_measure *bytes = census_measure_int64_new("delta/bytes", "", "By", &st);
  const census_measure *load = census_measure_double_new("delta/load", "", "1", &st);
  const census_measure *latency = census_measure_double_new("delta/latency", "", "ms", &st);
  const census_measure *queue = census_measure_int64_new("delta/queue", "", "1", &st);
  double bounds[] = {1, 5, 10};
  view("delta/requests", requests, census_aggregation_count_new(), true);
  view("delta/bytes", bytes, census_aggregation_sum_new(), true);
  view("delta/load", load, census_aggregation_sum_new(), false);
  view("delta/latency", latency, census_aggregation_distribution_new(bounds, 3, &st), false);
  view("delta/queue", queue, census_aggregation_last_value_new(), false);
  view("delta/latency_exp", latency, census_aggregation_exponential_new(8, 20, &st), false);
  CHECK(census_export_set_interval_ms(150));
  census_otlp_exporter *exporter;
  CHECK(census_otlp_exporter_start(&o, &exporter));

  census_tag_map *get = census_tag_map_new(), *post = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(post, method, "POST");
  long long req_get = 0, req_post = 0, bytes_get = 0, lat_count = 0, buckets[4] = {0};
  char *values = calloc((size_t)rounds + 1, 8); /* "12.5," at most per value */
  size_t values_len = 0;
  if (!values) {
    return 1;
  }
  double load_sum = 0, lat_sum = 0;
  for (int r = 0; r < rounds; r++) {
    int i = offset + r;
    census_record_int64(requests, 1, get);
    req_get++;
    if (i % 2 == 0) {
      census_record_int64(requests, 1, post);
      req_post++;
    }
    census_record_int64(bytes, i * 10 + 1, get);
    bytes_get += i * 10 + 1;
    census_record_double(load, 0.25, NULL);
    load_sum += 0.25;
    double x = (i % 13) + 0.5;
    census_record_double(latency, x, NULL);
    lat_count++;
    lat_sum += x;
    buckets[x <= 1 ? 0 : x <= 5 ? 1 : x <= 10 ? 2 : 3]++;
    values_len += (size_t)sprintf(values + values_len, "%s%.1f", r ? "," : "", x);
    census_record_int64(queue, i, NULL);
    struct timespec pause = {0, 40 * 1000000};
    nanosleep(&pause, NULL);
  }
  census_status stopped = census_shutdown(stop_timeout);
  census_otlp_stats stats;
  CHECK(census_otlp_exporter_stats(exporter, &stats));
  census_otlp_exporter_stop(exporter, 0);
  const census_otlp_signal_stats *m = &stats.metrics;
  printf(
      "{\"expected\": {\"requests\": {\"GET\": %lld, \"POST\": %lld}, \"bytes\": {\"GET\": %lld}, "
      "\"load\": %.17g, \"latency\": {\"count\": %lld, \"sum\": %.17g, \"buckets\": [%lld, %lld, "
      "%lld, %lld]}, \"latency_values\": [%s], \"queue_last\": %d},\n \"stats\": "
      "{\"requests_delivered\": %llu, "
      "\"attempts\": %llu, \"retries\": %llu, \"items_delivered\": %llu, \"items_dropped\": "
      "%llu, \"requests_superseded\": %llu, \"requests_spooled\": %llu, "
      "\"requests_from_spool\": %llu}, \"shutdown\": \"%s\"}\n",
      req_get, req_post, bytes_get, load_sum, lat_count, lat_sum, buckets[0], buckets[1],
      buckets[2], buckets[3], values, offset + rounds - 1,
      (unsigned long long)m->requests_delivered, (unsigned long long)m->attempts,
      (unsigned long long)m->retries, (unsigned long long)m->items_delivered,
      (unsigned long long)m->items_dropped, (unsigned long long)m->requests_superseded,
      (unsigned long long)m->requests_spooled, (unsigned long long)m->requests_from_spool,
      census_status_name(stopped));
  census_tag_map_free(get);
  census_tag_map_free(post);
  free(values);
  return 0;
}
