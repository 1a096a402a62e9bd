/* soak_app.c ENDPOINT - the census side of the soak test (tests/reliability/soak_test.py).
 *
 * Runs, until its standard input ends:
 *   - 4 recording threads, each recording soak/requests (int64, value 1..7) with a tag "user"
 *     that churns (a new value every record, far beyond the views' cardinality limit of 64) and
 *     a tag "shard" (4 values), into three views: soak/by_user (Count by user: overflow row),
 *     soak/by_shard (Sum by shard) and soak/latency (Distribution, no column);
 *   - a span thread: a root span with 3 children, each with attributes, about 2000 spans a
 *     second, all sampled;
 *   - the OTLP exporter (http/json, both signals) pushing to ENDPOINT, a receiver that fails at
 *     random, export interval 200 ms, short retry budget;
 *   - the Prometheus exporter on a free port (the test scrapes it every 100 ms);
 *   - a flush thread calling census_flush(500) every 300 ms.
 * Prints "port N pid P" once everything runs. On end of input it stops the threads, checks the
 * totals of every view against what the threads recorded (exactly: counts, sums, bucket counts,
 * the overflow row included), then census_shutdown(), and prints one line:
 *   "totals ok records=R sum=S spans=N spans_delivered=D spans_rejected=J spans_dropped=X
 *    census_dropped_spans=C metrics_requests_delivered=M"
 * The exit status is 0 when the view totals are exact and every ended span is accounted for
 * (delivered + rejected + dropped by the exporter + dropped by census == ended); 1 otherwise,
 * with a line saying what differs.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <census/census.h>
#include <census/exporters/otlp.h>
#include <census/exporters/prometheus.h>
#include <census/trace.h>

#define RECORDERS 4
#define MAX_SERIES 64

static atomic_bool running = true;
static const census_measure *requests;
static const census_tag_key *user_key, *shard_key;
static int64_t recorded[RECORDERS], recorded_sum[RECORDERS];  /* per recorder, read after join */
static int64_t shard_sum[RECORDERS][4], bucket[RECORDERS][4]; /* bounds {2, 4, 6}: 4 buckets */
static uint64_t spans_ended;                                  /* by the span thread */

static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "soak_app: %s: %s\n", step, census_status_name(status));
    exit(1);
  }
}

static void view(const char *name, const census_tag_key *column, census_aggregation *aggregation) {
  census_status status;
  census_view *v = census_view_new(name, "soak", requests, column ? &column : NULL, column ? 1 : 0,
                                   aggregation, &status);
  check(name, status);
  check(name, census_view_set_max_series(v, MAX_SERIES));
  check(name, census_view_register(v));
  census_view_free(v);
  census_aggregation_free(aggregation);
}

static void *recorder(void *arg) {
  int id = (int)(intptr_t)arg;
  census_tag_map *tags = census_tag_map_new();
  static const char *const shards[] = {"a", "b", "c", "d"};
  uint64_t n = 0;
  while (atomic_load_explicit(&running, memory_order_relaxed)) {
    char user[32];
    snprintf(user, sizeof user, "u%d-%" PRIu64, id, n); /* never the same twice */
    int64_t value = 1 + (int64_t)(n % 7);
    int shard = (int)(n % 4);
    check("tag", census_tag_map_put(tags, user_key, user));
    check("tag", census_tag_map_put(tags, shard_key, shards[shard]));
    check("record", census_record_int64(requests, value, tags));
    recorded[id]++;
    recorded_sum[id] += value;
    shard_sum[id][shard] += value;
    bucket[id][value <= 2 ? 0 : value <= 4 ? 1 : value <= 6 ? 2 : 3]++; /* upper-inclusive */
    n++;
    if (n % 64 == 0) {
      struct timespec pause = {0, 200000};
      nanosleep(&pause, NULL);
    }
  }
  census_tag_map_free(tags);
  return NULL;
}

static void *span_thread(void *arg) {
  (void)arg;
  uint64_t n = 0;
  while (atomic_load_explicit(&running, memory_order_relaxed)) {
    census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
    o.root = true;
    census_span root = census_span_start("soak request", &o);
    for (int i = 0; i < 3; i++) {
      census_span_options c = CENSUS_SPAN_OPTIONS_INIT;
      c.parent = root;
      census_span child = census_span_start("soak step", &c);
      census_span_set_attribute_int64(child, "step", i);
      census_span_set_attribute_string(child, "request", n % 2 ? "odd" : "even");
      census_span_end(child);
    }
    census_span_end(root);
    spans_ended += 4;
    n++;
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static void *flusher(void *arg) {
  (void)arg;
  while (atomic_load_explicit(&running, memory_order_relaxed)) {
    census_flush(500); /* may time out or fail while the receiver fails: counted, not fatal */
    struct timespec pause = {0, 300000000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

/* Compares the views with what the recorders counted; returns the number of differences. */
static int check_totals(int64_t records, int64_t sum) {
  int wrong = 0;
  census_status status;
  census_view_data *d = census_view_data_get("soak/by_user", &status);
  check("by_user", status);
  int64_t count = 0;
  size_t overflow_rows = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    check("point", census_view_data_row_point(d, r, &p));
    count += p.count;
    overflow_rows += census_view_data_row_is_overflow(d, r);
  }
  if (count != records || overflow_rows != 1 || census_view_data_row_count(d) != MAX_SERIES + 1) {
    printf("by_user: count %" PRId64 " of %" PRId64 " recorded, %zu rows, %zu overflow rows\n",
           count, records, census_view_data_row_count(d), overflow_rows);
    wrong++;
  }
  census_view_data_free(d);
  d = census_view_data_get("soak/by_shard", &status);
  check("by_shard", status);
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    check("point", census_view_data_row_point(d, r, &p));
    int shard = census_view_data_row_value(d, r, 0)[0] - 'a';
    int64_t want = 0;
    for (int i = 0; i < RECORDERS; i++) {
      want += shard >= 0 && shard < 4 ? shard_sum[i][shard] : -1;
    }
    if (p.int_value != want) {
      printf("by_shard %d: sum %" PRId64 ", recorded %" PRId64 "\n", shard, p.int_value, want);
      wrong++;
    }
  }
  census_view_data_free(d);
  d = census_view_data_get("soak/latency", &status);
  check("latency", status);
  census_point p;
  check("point", census_view_data_row_point(d, 0, &p));
  for (size_t b = 0; b < 4 && b < p.bucket_count; b++) {
    int64_t want = 0;
    for (int i = 0; i < RECORDERS; i++) {
      want += bucket[i][b];
    }
    if (p.bucket_counts[b] != want) {
      printf("latency bucket %zu: %" PRId64 ", recorded %" PRId64 "\n", b, p.bucket_counts[b],
             want);
      wrong++;
    }
  }
  if (p.count != records || p.int_value != sum) {
    printf("latency: count %" PRId64 " sum %" PRId64 ", recorded %" PRId64 " and %" PRId64 "\n",
           p.count, p.int_value, records, sum);
    wrong++;
  }
  census_view_data_free(d);
  return wrong;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: soak_app ENDPOINT\n");
    return 2;
  }
  census_status status;
  requests = census_measure_int64_new("soak/requests", "requests", "1", &status);
  check("measure", status);
  user_key = census_tag_key_new("user", &status);
  check("user", status);
  shard_key = census_tag_key_new("shard", &status);
  check("shard", status);
  view("soak/by_user", user_key, census_aggregation_count_new());
  view("soak/by_shard", shard_key, census_aggregation_sum_new());
  static const double bounds[] = {2, 4, 6};
  view("soak/latency", NULL, census_aggregation_distribution_new(bounds, 3, &status));
  check("export interval", census_export_set_interval_ms(200));

  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = argv[1];
  o.protocol = CENSUS_OTLP_HTTP_JSON;
  o.timeout_ms = 1000;
  o.initial_backoff_ms = 20;
  o.max_backoff_ms = 100;
  o.max_elapsed_ms = 500;
  o.service_name = "soak";
  census_otlp_exporter *otlp;
  check("otlp start", census_otlp_exporter_start(&o, &otlp));
  census_prometheus_options po = CENSUS_PROMETHEUS_OPTIONS_INIT;
  po.any_port = 1;
  census_prometheus_exporter *prometheus;
  check("prometheus start", census_prometheus_exporter_start(&po, &prometheus));

  pthread_t threads[RECORDERS + 2];
  for (int i = 0; i < RECORDERS; i++) {
    if (pthread_create(&threads[i], NULL, recorder, (void *)(intptr_t)i) != 0) {
      return 1;
    }
  }
  if (pthread_create(&threads[RECORDERS], NULL, span_thread, NULL) != 0 ||
      pthread_create(&threads[RECORDERS + 1], NULL, flusher, NULL) != 0) {
    return 1;
  }
  printf("port %u pid %d\n", (unsigned)census_prometheus_exporter_port(prometheus), (int)getpid());
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
  }
  atomic_store(&running, false);
  for (int i = 0; i < RECORDERS + 2; i++) {
    pthread_join(threads[i], NULL);
  }
  int64_t records = 0, sum = 0;
  for (int i = 0; i < RECORDERS; i++) {
    records += recorded[i];
    sum += recorded_sum[i];
  }
  int wrong = check_totals(records, sum);
  census_shutdown(5000);
  census_otlp_stats stats;
  check("otlp stats", census_otlp_exporter_stats(otlp, &stats));
  uint64_t census_dropped = census_trace_dropped_spans();
  uint64_t accounted = stats.traces.items_delivered + stats.traces.items_rejected +
                       stats.traces.items_dropped + census_dropped;
  if (accounted != spans_ended) {
    printf("spans: %" PRIu64 " ended, %" PRIu64 " accounted for\n", spans_ended, accounted);
    wrong++;
  }
  census_otlp_exporter_stop(otlp, 1000);
  census_prometheus_exporter_stop(prometheus, 1000);
  printf("totals %s records=%" PRId64 " sum=%" PRId64 " spans=%" PRIu64 " spans_delivered=%" PRIu64
         " spans_rejected=%" PRIu64 " spans_dropped=%" PRIu64 " census_dropped_spans=%" PRIu64
         " metrics_requests_delivered=%" PRIu64 "\n",
         wrong ? "WRONG" : "ok", records, sum, spans_ended, stats.traces.items_delivered,
         stats.traces.items_rejected, stats.traces.items_dropped, census_dropped,
         stats.metrics.requests_delivered);
  return wrong ? 1 : 0;
}
