/* prometheus_app.c - a census program serving /metrics, for the Prometheus exporter's HTTP and
 * real-server tests (prometheus_http_test.sh, prometheus_scrape_test.sh).
 *
 * Usage: prometheus_app PORT_FILE [--timeout-s N] [--max-connections N] [--run-s N]
 *
 * Starts the server on 127.0.0.1 on a free port (written to PORT_FILE once it listens), records
 * known values once (the scripts assert them through the endpoint or through Prometheus's API):
 *   app/requests   Count, column method: GET x3, POST x2          -> app_requests_total
 *   app/bytes      Sum of By: 1000 + 500 (name ends in its unit)   -> app_bytes_total 1500
 *   app/temperature LastValue (double, unit 1): 21.5               -> app_temperature 21.5
 *   app/latency    Distribution in s, bounds {0.1, 0.5, 1}: 0.05, 0.3, 0.3, 2
 *                  -> buckets le 0.1: 1, 0.5: 3, 1: 3, +Inf: 4; sum 2.65; count 4
 *   app/latency_exp Exponential (4 buckets) of the same values: at scale 0 they span indexes -5
 *                  (0.05) .. 0 (2): 6 buckets; at scale -1 (base 4) -3 .. 0: (1/64, 1/16] holds
 *                  0.05, (1/4, 1] 0.3 twice, (1, 4] 2 -> explicit buckets le 0: 0, 0.0625: 1,
 *                  0.25: 1, 1: 3, 4: 4, +Inf: 4 (docs/exporters/prometheus.md)
 *   app/tricky     Count of app/requests, column value a"b\c: 5   -> label round trip
 *   app/size       Distribution of an int64 measure in By, bounds {100, 1000}: 20 sizes summing
 *                  to 6028 (count x mean of them is 6028.0000000000009), then a 0 on every tick
 *                  of the recorder thread -> app_size_bytes_sum 6028 at every scrape, exactly
 *   one refused value (negative)  -> census_dropped_measurements_total{reason="invalid_value"} 1
 * and views whose names, columns or bounds broke the scrape before issue 11 (their values are
 * asserted too):
 *   _total, -total  Count of app/requests: 5 each -> total_total 5, total_2_total 5 (OpenMetrics
 *                   families "total", "total_2"; main rendered an empty family name)
 *   /total         Sum of app/requests: 5        -> total_3_total 5
 *   app/ident      Count of app/events, columns a.b and a-b, rows (a.b="y;z", a-b="x") x1 and
 *                  (a.b="z", a-b="x;y") x2 -> two series app_ident_total{a_b=..,a_b_2=..}
 *                  (main merged them into one)
 *   app/latency_count  Count of app/latency (unit s): 4 -> app_latency_count_total (unit 1)
 *   app/offset     Distribution of app/offset (unit 1), bounds {-1, 0, 1}: 0.5, 2
 *                  -> OpenMetrics buckets only (no _sum/_count with a negative bound)
 * and then, on a recorder thread, counts app/ticks every millisecond while timing every record
 * call. Every sample carries the constant label service="census-test".
 * On SIGTERM/SIGINT (or after --run-s, default 120) it stops the server (timing the stop),
 * joins the recorder and prints "ticks=N max_record_us=M stop_ms=S" on stdout. Exit status 0
 * unless a census call failed, a record call took more than 100 ms (a scrape or a client stalled
 * recording) or the stop took more than 5 s.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <census/census.h>
#include <census/exporters/prometheus.h>

static atomic_bool running = true;
static volatile sig_atomic_t stop_requested = 0;
static const census_measure *ticks, *sizes;
static int64_t ticks_recorded = 0, max_record_ns = 0; /* written by the recorder only */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int signo) {
  (void)signo;
  stop_requested = 1;
}

static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "prometheus_app: %s: %s\n", step, census_status_name(status));
    exit(1);
  }
}

static void view(const char *name, const char *description, const census_measure *m,
                 const census_tag_key *column, census_aggregation *aggregation) {
  census_status status;
  census_view *v = census_view_new(name, description, m, column ? &column : NULL, column ? 1 : 0,
                                   aggregation, &status);
  check(name, status);
  check(name, census_view_register(v));
  census_view_free(v);
  census_aggregation_free(aggregation);
}

/* Records app/ticks every millisecond, timing each record call. */
static void *recorder(void *arg) {
  (void)arg;
  struct timespec ms = {0, 1000000};
  while (atomic_load(&running)) {
    int64_t start = now_ns();
    census_record_int64(ticks, 1, NULL);
    census_record_int64(sizes, 0, NULL); /* zeros must leave app_size_bytes_sum where it is */
    int64_t took = now_ns() - start;
    max_record_ns = took > max_record_ns ? took : max_record_ns;
    ticks_recorded++;
    nanosleep(&ms, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: prometheus_app PORT_FILE [--timeout-s N] [--max-connections N] "
                    "[--run-s N]\n");
    return 2;
  }
  census_prometheus_options options = CENSUS_PROMETHEUS_OPTIONS_INIT;
  options.any_port = 1;
  long run_s = 120;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--timeout-s") == 0) {
      options.timeout_s = (unsigned)atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--max-connections") == 0) {
      options.max_connections = (unsigned)atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--run-s") == 0) {
      run_s = atol(argv[i + 1]);
    }
  }
  census_diagnostics_set_callback(NULL, NULL);
  census_status status;
  const census_tag_key *method = census_tag_key_new("method", &status);
  const census_tag_key *value = census_tag_key_new("value", &status);
  const census_measure *requests =
      census_measure_int64_new("app/requests", "Requests", "1", &status);
  const census_measure *bytes = census_measure_int64_new("app/bytes", "Bytes sent", "By", &status);
  const census_measure *temperature =
      census_measure_double_new("app/temperature", "Temperature", "1", &status);
  const census_measure *latency = census_measure_double_new("app/latency", "Latency", "s", &status);
  ticks = census_measure_int64_new("app/ticks", "Ticks", "1", &status);
  check("measures", status);
  sizes = census_measure_int64_new("app/size", "Sizes", "By", &status);
  check("measures", status);
  view("app/requests", "Requests by method", requests, method, census_aggregation_count_new());
  view("app/bytes", "Bytes sent", bytes, NULL, census_aggregation_sum_new());
  view("app/temperature", "Temperature now", temperature, NULL,
       census_aggregation_last_value_new());
  double bounds[] = {0.1, 0.5, 1};
  view("app/latency", "Request latency", latency, NULL,
       census_aggregation_distribution_new(bounds, 3, &status));
  view("app/latency_exp", "Request latency, exponential buckets", latency, NULL,
       census_aggregation_exponential_new(4, 20, &status));
  view("app/tricky", "A label value with a quote and a backslash", requests, value,
       census_aggregation_count_new());
  view("app/ticks", "Records made by the recorder thread", ticks, NULL,
       census_aggregation_count_new());
  double size_bounds[] = {100, 1000};
  view("app/size", "Sizes, then zeros", sizes, NULL,
       census_aggregation_distribution_new(size_bounds, 2, &status));
  view("_total", "Named _total", requests, NULL, census_aggregation_count_new());
  view("-total", "Named -total", requests, NULL, census_aggregation_count_new());
  view("/total", "Named /total", requests, NULL, census_aggregation_sum_new());
  view("app/latency_count", "Latencies measured", latency, NULL, census_aggregation_count_new());
  const census_tag_key *dot = census_tag_key_new("a.b", &status);
  const census_tag_key *dash = census_tag_key_new("a-b", &status);
  const census_tag_key *ident_columns[] = {dot, dash};
  const census_measure *events = census_measure_int64_new("app/events", "Events", "1", &status);
  check("app/events", status);
  census_aggregation *count = census_aggregation_count_new();
  census_view *ident = census_view_new("app/ident", "Columns that sanitise alike", events,
                                       ident_columns, 2, count, &status);
  check("app/ident", status);
  check("app/ident", census_view_register(ident));
  census_view_free(ident);
  census_aggregation_free(count);
  const census_measure *offset = census_measure_double_new("app/offset", "Offset", "1", &status);
  check("app/offset", status);
  double offset_bounds[] = {-1, 0, 1};
  view("app/offset", "Offsets", offset, NULL,
       census_aggregation_distribution_new(offset_bounds, 3, &status));

  census_tag_map *get = census_tag_map_new(), *post = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(get, value, "a\"b\\c");
  census_tag_map_put(post, method, "POST");
  census_tag_map_put(post, value, "a\"b\\c");
  for (int i = 0; i < 3; i++) {
    check("record", census_record_int64(requests, 1, get));
  }
  for (int i = 0; i < 2; i++) {
    check("record", census_record_int64(requests, 1, post));
  }
  check("record", census_record_int64(bytes, 1000, NULL));
  check("record", census_record_int64(bytes, 500, NULL));
  check("record", census_record_double(temperature, 30, NULL));
  check("record", census_record_double(temperature, 21.5, NULL));
  double latencies[] = {0.05, 0.3, 0.3, 2};
  for (int i = 0; i < 4; i++) {
    check("record", census_record_double(latency, latencies[i], NULL));
  }
  census_record_double(latency, -1, NULL); /* refused: counted in census/dropped_measurements */
  static const int64_t size_values[] = {235, 105, 326, 32,  23,  27,  555, 10,  391, 222,
                                        433, 30,  541, 228, 449, 508, 567, 239, 354, 753};
  for (size_t i = 0; i < sizeof size_values / sizeof size_values[0]; i++) {
    check("record", census_record_int64(sizes, size_values[i], NULL));
  }
  census_tag_map *one = census_tag_map_new(), *two = census_tag_map_new();
  census_tag_map_put(one, dot, "y;z");
  census_tag_map_put(one, dash, "x");
  census_tag_map_put(two, dot, "z");
  census_tag_map_put(two, dash, "x;y");
  check("record", census_record_int64(events, 1, one));
  check("record", census_record_int64(events, 1, two));
  check("record", census_record_int64(events, 1, two));
  census_tag_map_free(one);
  census_tag_map_free(two);
  check("record", census_record_double(offset, 0.5, NULL));
  check("record", census_record_double(offset, 2, NULL));
  census_tag_map_free(get);
  census_tag_map_free(post);

  census_kv service = {"service", "census-test"};
  options.const_labels = &service;
  options.const_label_count = 1;
  census_prometheus_exporter *server = NULL;
  check("exporter start", census_prometheus_exporter_start(&options, &server));
  FILE *port_file = fopen(argv[1], "w");
  if (!port_file) {
    perror(argv[1]);
    return 1;
  }
  fprintf(port_file, "%u\n", census_prometheus_exporter_port(server));
  fclose(port_file);

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  pthread_t thread;
  if (pthread_create(&thread, NULL, recorder, NULL) != 0) {
    return 1;
  }
  int64_t deadline = now_ns() + (int64_t)run_s * 1000000000;
  struct timespec tick = {0, 10000000};
  while (!stop_requested && now_ns() < deadline) {
    nanosleep(&tick, NULL);
  }
  int64_t stop_start = now_ns();
  check("exporter stop", census_prometheus_exporter_stop(server, 5000));
  int64_t stop_ms = (now_ns() - stop_start) / 1000000;
  atomic_store(&running, false);
  pthread_join(thread, NULL);
  printf("ticks=%" PRId64 " max_record_us=%" PRId64 " stop_ms=%" PRId64 "\n", ticks_recorded,
         max_record_ns / 1000, stop_ms);
  census_shutdown(5000);
  return max_record_ns > 100000000 || stop_ms > 5000 ? 1 : 0;
}
