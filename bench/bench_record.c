/* bench_record.c - what a record call costs, and what a series costs in memory.
 *
 * Usage: bench_record [OUTPUT.json]   (default build/bench.json)
 *
 * Prints a table and writes {"baseline_atomic_add_ns": X, "cpus_busy": B, "results": [{"name",
 * "threads", "ns_per_op", "min_ns_per_op", "max_ns_per_op", "ratio_to_baseline"}, ...,
 * {"name": "rss_bytes_per_series", "threads": 1, "bytes_per_series", "series"}]} to the output
 * file; exits non-zero if a check below fails or the file cannot be written. ratio_to_baseline
 * is the case's median ns/op over the same run's 1-thread atomic add: on a shared machine whose
 * speed moves between runs, the figure that compares across runs. `make bench` then adds each
 * case's callgrind "instructions_per_op" (scripts/callgrind-ops.sh --json).
 *
 * Cases, each on 1 and on 2 threads:
 *   record_map_int_0tags           measurement map put + record, int64 COUNT view, no columns,
 *                                  no tag map;
 *   record_map_int_3tags           the same against a tag map of 3 tags, view with those columns;
 *   record_map_distribution_3tags  the same into a DISTRIBUTION view of a double measure;
 *   record_direct_int_3tags        census_record_int64() against the 3-tag map;
 *   record_bound_int               census_bound_record_int64() through one handle bound to the
 *                                  3-tag map (census_measure_bind()), shared by the threads;
 *   record_bound_distribution      census_bound_record_double() the same, DISTRIBUTION view;
 *   span_unsampled_start_end       start and end a root span that an always-off sampler refuses;
 *   span_sampled_start_end         the same, sampled: the span goes to the export queue (a
 *                                  counting exporter drains it; spans the full queue drops are
 *                                  counted, and exported + dropped must equal spans started);
 *   traceparent_extract            census_traceparent_extract() of a valid header (no tracestate);
 *   traceparent_inject             census_traceparent_inject() into a counting carrier;
 *   record_direct_sum_3tags        census_record_int64() against the 3-tag map into a SUM view,
 *   record_counter_3tags           and census_counter_add_int64() on a counter with those 3
 *                                  attribute keys (its default view: the same SUM): the
 *                                  instrument's cost beside the measure path it wraps;
 *   record_direct_distribution_3tags  census_record_double() into a DISTRIBUTION view,
 *   record_histogram_3tags         and census_histogram_record_double() on a histogram with the
 *                                  same bounds and attribute keys (1 thread each).
 * A map operation is one put and one record (the map is reused, as a caller would), so the cost
 * of filling the map is included; a direct operation is the one call. With 2 threads both share
 * the one tag map and so record into the same series: the contended case the per-thread cells
 * are designed for.
 *
 * How the numbers are kept honest:
 *   - a baseline measured in the same run: a relaxed atomic_fetch_add on a line (64-byte
 *     aligned; 128 bytes from any other thread's) that no other thread writes, the cheapest
 *     possible shared-memory counter update;
 *   - every case gets its own measure and view, a warm-up (which also creates the thread's cells
 *     and series), then 7 timed repetitions of ITERATIONS_PER_REP operations per thread; the
 *     median repetition is reported (min and max go to the JSON too);
 *   - threads wait on a barrier before each repetition and time themselves with CLOCK_MONOTONIC;
 *     a repetition's per-thread ns/op is (last thread's end - first thread's start) / iterations,
 *     so a slow thread is never hidden by a fast one;
 *   - the results are consumed: at the end of a case census_view_data_get() must report exactly
 *     the number of operations performed (warm-up included), else the program exits non-zero;
 *     the baseline's counter is checked the same way;
 *   - a busy machine is detected rather than reported as contention: the baseline is also run on
 *     2 threads, each on its own line. That cannot contend, so if it is much slower per thread
 *     than on 1 thread, the CPUs were shared with other work; the program then says so on stderr
 *     and in the JSON ("cpus_busy": true), and the 2-thread numbers should not be trusted.
 * rss_bytes_per_series records into 100,000 distinct 3-tag counter series (one COUNT view whose
 * series limit is raised above that) and divides the growth of the resident set, read from
 * /proc/self/statm, by the number of series. It includes everything a new series costs: the
 * view's row, the recording thread's cell and its private lookup entry.
 *
 * prometheus_render_per_series (when census is built with the Prometheus exporter) renders one
 * snapshot of a 3-tag counter view of PROMETHEUS_SERIES series as Prometheus text with
 * census_prometheus_render_views(), REPETITIONS times, and reports the median time divided by
 * the number of series. The snapshot is taken once, before timing: this is the renderer's cost
 * (names, labels, escaping, numbers), not the collection's. The result is consumed: every
 * repetition must produce the same length, holding exactly PROMETHEUS_SERIES sample lines.
 *
 * otlp_encode_per_series and otlp_encode_per_span (when census is built with the OTLP exporter)
 * encode, as an OTLP protobuf request body with census__otlp_encode_metrics() /
 * census__otlp_encode_spans(), one snapshot of a 3-tag counter view of OTLP_SERIES series, and
 * OTLP_SPANS ended spans (each with a name, 2 attributes and 1 event) inside a span exporter's
 * callback, REPETITIONS times, and report the median time divided by the series or span count.
 * The inputs are collected once before timing: this is the encoder's cost. The results are
 * consumed: every repetition must produce the same body length, the metrics encoder must report
 * exactly OTLP_SERIES points, and exactly OTLP_SPANS spans must pass through the callback.
 *
 * shm_record_direct_int_3tags, shm_record_map_int_3tags, shm_record_map_distribution_3tags,
 * shm_record_bound_int and shm_record_bound_distribution (1 and 2 threads) run last, after
 * census_shm_enable() on a fresh directory (under /dev/shm when it exists): the same operations as
 * their in-process cases, now also written to the process's shared-memory file
 * (docs/shared-memory.md). Their check reads the count back through the group's merged view, i.e.
 * from the file. Each prints, and writes as "shm_ratio", its time over its in-process case's
 * (the same name without "shm_", the same thread count) in this run. The target: within
 * 1.5x of in-process.
 *
 * shm_scrape_* time census_shm_view_data_get_all() over a group of SCRAPE_LIVE live workers
 * (forked before this process turns the mode on, each joining a group directory of its own with
 * census_shm_enable(), each with SCRAPE_SERIES series, waiting to be killed; this process reads
 * the group as a sidecar, measured before the shm_record cases, printed after them) and SCRAPE_DEAD
 * dead workers' files (copies, under fresh names, of one dead worker's file cut to its used bytes):
 * first with compaction held off (the bench holds the compaction lock shared, as a concurrent
 * reader would), the cost a group pays without it; then the read that compacts; then reads after
 * compaction, which see the live files and one archive. Each read must count exactly what the
 * workers recorded, else the program exits non-zero.
 *
 * The whole run takes some seconds to a few tens of seconds; it is not part of CTest.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <census/census.h>
#include <census/exporter.h>
#include <census/propagation.h>
#include <census/trace.h>
#ifdef CENSUS_HAVE_PROMETHEUS
#include <census/exporters/prometheus.h>
#endif
#ifdef CENSUS_HAVE_OTLP
#include "buffer.h"
#include "otlp_encode.h"
#endif

#define REPETITIONS 7
#define ITERATIONS_PER_REP 5000000L
#define WARMUP_ITERATIONS 500000L
#define MAX_THREADS 2
#define RSS_SERIES 100000L
#define PROMETHEUS_SERIES 10000L
#define OTLP_SERIES 10000L
#define OTLP_SPANS 10000L

/* The kind of operation a case times; see the file comment. */
enum bench_kind {
  KIND_BASELINE_ATOMIC_ADD,
  KIND_MAP_INT_0TAGS,
  KIND_MAP_INT_3TAGS,
  KIND_MAP_DISTRIBUTION_3TAGS,
  KIND_DIRECT_INT_3TAGS,
  KIND_BOUND_INT_3TAGS,
  KIND_BOUND_DISTRIBUTION_3TAGS,
  KIND_SPAN_SAMPLED,
  KIND_SPAN_UNSAMPLED,
  KIND_TRACEPARENT_EXTRACT,
  KIND_TRACEPARENT_INJECT,
  KIND_DIRECT_SUM_3TAGS,
  KIND_COUNTER_3TAGS,
  KIND_DIRECT_DISTRIBUTION_3TAGS,
  KIND_HISTOGRAM_3TAGS,
};

/* One timed case: what it does, on how many threads, the census objects it records into, and
 * (filled by run_case) the per-repetition results. */
struct bench_case {
  const char *name;
  enum bench_kind kind;
  int threads;
  const census_measure *measure; /* NULL for the baseline */
  const census_tag_map *tags;    /* shared by the threads; NULL for no tags */
  census_bound_measure *bound;   /* KIND_BOUND_*: shared by the threads */
  census_counter *counter;       /* KIND_COUNTER_3TAGS */
  census_histogram *histogram;   /* KIND_HISTOGRAM_3TAGS */
  char view_name[96];
  double ns_per_op[REPETITIONS]; /* sorted after the run */
};

/* One thread of a case: its own measurement map and its timings per repetition. Aligned to a
 * cache line so that two threads' records never share one. */
struct bench_thread {
  _Alignas(64) struct bench_case *bench;
  pthread_barrier_t *start_line;
  int index; /* 0 .. threads-1 */
  census_measurement_map *map;
  census_status error; /* the first error a record call returned */
  int64_t consumed;    /* span and propagation cases: operations whose result was checked */
  int64_t start_ns[REPETITIONS];
  int64_t end_ns[REPETITIONS];
};

/* The baseline's counters, one per thread, each alone on its cache line. They are 128 bytes
 * apart, not 64: x86's adjacent-line prefetcher fetches 64-byte lines in pairs, and two threads
 * hammering neighbouring lines slow each other down almost as if they shared one. */
static struct {
  _Alignas(128) atomic_uint_fast64_t value;
  char pad[128 - sizeof(atomic_uint_fast64_t)];
} baseline_counters[MAX_THREADS];

/* The three tag keys and the one shared 3-tag map of the 3-tag cases. */
static const census_tag_key *tag_keys[3];
static census_tag_map *three_tags;

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Exits with a message naming the step when a census call failed. */
static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "bench_record: %s: %s (%s)\n", step, census_status_str(status),
            census_status_name(status));
    exit(1);
  }
}

/* Span and propagation cases: their samplers, a counting span exporter, and a carrier. */
static census_sampler *always_on, *always_off;
static atomic_llong spans_exported;
static census_trace_context inject_context;
static const char traceparent_header[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-01";

static census_status count_spans(void *user, const census_span_data *const *spans, size_t n) {
  (void)user;
  (void)spans;
  atomic_fetch_add(&spans_exported, (long long)n);
  return CENSUS_OK;
}

static const char *get_traceparent(void *carrier, const char *name) {
  (void)carrier;
  return strcmp(name, "traceparent") == 0 ? traceparent_header : NULL;
}

/* The inject carrier: counts the traceparent headers written, which consumes the result. */
static void count_header(void *carrier, const char *name, const char *value) {
  struct bench_thread *t = carrier;
  t->consumed += name[0] == 't' && value[0] == '0';
}

/* Performs `iterations` operations of the thread's case. Each kind has its own loop, so the
 * loop body holds nothing but the operation. Remembers the first error a record call returns
 * (none is expected; the count check at the end would catch the loss anyway). */
static void run_operations(struct bench_thread *t, long iterations) {
  const struct bench_case *c = t->bench;
  census_status worst = CENSUS_OK;
  switch (c->kind) {
  case KIND_BASELINE_ATOMIC_ADD:
    for (long i = 0; i < iterations; i++) {
      atomic_fetch_add_explicit(&baseline_counters[t->index].value, 1, memory_order_relaxed);
    }
    break;
  case KIND_MAP_INT_0TAGS:
  case KIND_MAP_INT_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_measurement_map_put_int64(t->map, c->measure, 1);
      census_status status = census_measurement_map_record(t->map, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_MAP_DISTRIBUTION_3TAGS:
    for (long i = 0; i < iterations; i++) {
      /* Values spread over all buckets (0 .. 511.5), so the bucket search does real work. */
      census_measurement_map_put_double(t->map, c->measure, (double)(i & 1023) * 0.5);
      census_status status = census_measurement_map_record(t->map, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_DIRECT_INT_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_record_int64(c->measure, 1, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_DIRECT_SUM_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_record_int64(c->measure, 1, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_COUNTER_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_counter_add_int64(c->counter, 1, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_DIRECT_DISTRIBUTION_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_record_double(c->measure, (double)(i & 1023) * 0.5, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_HISTOGRAM_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status =
          census_histogram_record_double(c->histogram, (double)(i & 1023) * 0.5, c->tags);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_BOUND_INT_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_bound_record_int64(c->bound, 1);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_BOUND_DISTRIBUTION_3TAGS:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_bound_record_double(c->bound, (double)(i & 1023) * 0.5);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  case KIND_SPAN_SAMPLED:
  case KIND_SPAN_UNSAMPLED: {
    census_span_options options = {.size = sizeof(census_span_options),
                                   .root = true,
                                   .sampler =
                                       c->kind == KIND_SPAN_SAMPLED ? always_on : always_off};
    for (long i = 0; i < iterations; i++) {
      census_span span = census_span_start("bench/span", &options);
      t->consumed += span != 0;
      census_span_end(span);
    }
    break;
  }
  case KIND_TRACEPARENT_EXTRACT: {
    census_trace_context context;
    for (long i = 0; i < iterations; i++) {
      census_status status = census_traceparent_extract(get_traceparent, NULL, &context, NULL);
      worst = status != CENSUS_OK ? status : worst;
      t->consumed += context.span_id[7] == 0xf7; /* the span id of the header below */
    }
    break;
  }
  case KIND_TRACEPARENT_INJECT:
    for (long i = 0; i < iterations; i++) {
      census_status status = census_traceparent_inject(&inject_context, count_header, t);
      worst = status != CENSUS_OK ? status : worst;
    }
    break;
  }
  if (worst != CENSUS_OK && t->error == CENSUS_OK) {
    t->error = worst;
  }
}

/* A case's thread: warm up alone, then for each repetition wait for the others on the start
 * line and time its share. The thread allocates its own measurement map, as a real caller would:
 * maps allocated back to back by one thread could share a cache line, and the timing would then
 * show the harness's false sharing instead of census's cost. */
static void *bench_thread_main(void *arg) {
  struct bench_thread *t = arg;
  t->map = census_measurement_map_new();
  check("measurement map", t->map != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  run_operations(t, WARMUP_ITERATIONS);
  for (int rep = 0; rep < REPETITIONS; rep++) {
    pthread_barrier_wait(t->start_line);
    t->start_ns[rep] = monotonic_ns();
    run_operations(t, ITERATIONS_PER_REP);
    t->end_ns[rep] = monotonic_ns();
  }
  return NULL;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Creates the measure and view a census case records into: one of each per case, so that the
 * final count check sees this case's operations only. */
static void set_up_case_view(struct bench_case *c) {
  snprintf(c->view_name, sizeof c->view_name, "bench/%s/%dt", c->name, c->threads);
  census_status status;
  static const double bounds[] = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  if (c->kind == KIND_COUNTER_3TAGS || c->kind == KIND_HISTOGRAM_3TAGS) {
    /* The instrument makes its measure and view (the same SUM or DISTRIBUTION as the direct
     * cases' below). */
    census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
    o.attribute_keys = tag_keys;
    o.attribute_key_count = 3;
    o.unit = c->kind == KIND_HISTOGRAM_3TAGS ? "ms" : NULL;
    o.bounds = c->kind == KIND_HISTOGRAM_3TAGS ? bounds : NULL;
    o.bound_count = c->kind == KIND_HISTOGRAM_3TAGS ? sizeof bounds / sizeof bounds[0] : 0;
    if (c->kind == KIND_COUNTER_3TAGS) {
      c->counter = census_counter_int64_new(c->view_name, &o, &status);
    } else {
      c->histogram = census_histogram_double_new(c->view_name, &o, &status);
    }
    check("instrument", status);
    c->tags = three_tags;
    return;
  }
  bool distribution = c->kind == KIND_MAP_DISTRIBUTION_3TAGS ||
                      c->kind == KIND_BOUND_DISTRIBUTION_3TAGS ||
                      c->kind == KIND_DIRECT_DISTRIBUTION_3TAGS;
  c->measure = distribution ? census_measure_double_new(c->view_name, NULL, "ms", &status)
                            : census_measure_int64_new(c->view_name, NULL, "1", &status);
  check("measure", status);
  census_aggregation *aggregation;
  if (distribution) {
    aggregation =
        census_aggregation_distribution_new(bounds, sizeof bounds / sizeof bounds[0], &status);
    check("distribution aggregation", status);
  } else if (c->kind == KIND_DIRECT_SUM_3TAGS) {
    aggregation = census_aggregation_sum_new();
    check("sum aggregation", aggregation != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  } else {
    aggregation = census_aggregation_count_new();
    check("count aggregation", aggregation != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  }
  bool has_tags = c->kind != KIND_MAP_INT_0TAGS;
  c->tags = has_tags ? three_tags : NULL;
  census_view *view = census_view_new(c->view_name, NULL, c->measure, has_tags ? tag_keys : NULL,
                                      has_tags ? 3 : 0, aggregation, &status);
  check("view", status);
  check("view register", census_view_register(view));
  census_view_free(view);
  census_aggregation_free(aggregation);
  if (c->kind == KIND_BOUND_INT_3TAGS || c->kind == KIND_BOUND_DISTRIBUTION_3TAGS) {
    c->bound = census_measure_bind(c->measure, c->tags, &status);
    check("bind", status);
  }
}

/* The total count census holds for the case's view, summed over its rows; exits on error. */
static int64_t recorded_count(const char *view_name, size_t *rows) {
  census_status status;
  census_view_data *data = census_view_data_get(view_name, &status);
  check("view data", status);
  int64_t total = 0;
  *rows = census_view_data_row_count(data);
  for (size_t row = 0; row < *rows; row++) {
    census_point point;
    check("row point", census_view_data_row_point(data, row, &point));
    total += point.count;
  }
  census_view_data_free(data);
  return total;
}

/* Runs one case: sets up its view, starts its threads, collects their timings into
 * c->ns_per_op (sorted) and checks that every operation was recorded. Exits non-zero if one
 * was lost or a call failed. */
static bool records_stats(const struct bench_case *c) {
  return c->kind != KIND_BASELINE_ATOMIC_ADD && c->kind != KIND_SPAN_SAMPLED &&
         c->kind != KIND_SPAN_UNSAMPLED && c->kind != KIND_TRACEPARENT_EXTRACT &&
         c->kind != KIND_TRACEPARENT_INJECT;
}

static void run_case(struct bench_case *c) {
  if (records_stats(c)) {
    set_up_case_view(c);
  }
  uint64_t dropped_before = census_trace_dropped_spans();
  check("flush", census_flush(60000));
  atomic_store(&spans_exported, 0);
  pthread_barrier_t start_line;
  pthread_barrier_init(&start_line, NULL, (unsigned)c->threads);
  struct bench_thread threads[MAX_THREADS];
  memset(threads, 0, sizeof threads);
  for (int i = 0; i < c->threads; i++) {
    threads[i].bench = c;
    threads[i].start_line = &start_line;
    threads[i].index = i;
  }
  pthread_t ids[MAX_THREADS];
  for (int i = 0; i < c->threads; i++) {
    if (pthread_create(&ids[i], NULL, bench_thread_main, &threads[i]) != 0) {
      fprintf(stderr, "bench_record: pthread_create failed\n");
      exit(1);
    }
  }
  for (int i = 0; i < c->threads; i++) {
    pthread_join(ids[i], NULL);
  }
  pthread_barrier_destroy(&start_line);

  for (int rep = 0; rep < REPETITIONS; rep++) {
    int64_t first_start = threads[0].start_ns[rep], last_end = threads[0].end_ns[rep];
    for (int i = 1; i < c->threads; i++) {
      first_start = threads[i].start_ns[rep] < first_start ? threads[i].start_ns[rep] : first_start;
      last_end = threads[i].end_ns[rep] > last_end ? threads[i].end_ns[rep] : last_end;
    }
    c->ns_per_op[rep] = (double)(last_end - first_start) / (double)ITERATIONS_PER_REP;
  }
  qsort(c->ns_per_op, REPETITIONS, sizeof c->ns_per_op[0], compare_doubles);

  for (int i = 0; i < c->threads; i++) {
    check(c->name, threads[i].error);
    census_measurement_map_free(threads[i].map);
  }
  int64_t expected = (int64_t)c->threads * (WARMUP_ITERATIONS + REPETITIONS * ITERATIONS_PER_REP);
  int64_t got;
  size_t rows = 1;
  if (c->kind == KIND_BASELINE_ATOMIC_ADD) {
    got = 0;
    for (int i = 0; i < MAX_THREADS; i++) {
      got += (int64_t)atomic_exchange(&baseline_counters[i].value, 0);
    }
  } else if (c->kind == KIND_SPAN_SAMPLED) {
    /* Every sampled span was exported or, with the queue full, dropped and counted. */
    check("flush", census_flush(60000));
    got = (int64_t)atomic_load(&spans_exported) +
          (int64_t)(census_trace_dropped_spans() - dropped_before);
    int64_t started = 0;
    for (int i = 0; i < c->threads; i++) {
      started += threads[i].consumed;
    }
    got = started == expected ? got : started;
  } else if (!records_stats(c)) {
    got = 0;
    for (int i = 0; i < c->threads; i++) {
      got += threads[i].consumed;
    }
  } else {
    got = recorded_count(c->view_name, &rows);
  }
  if (got != expected || rows != 1) {
    fprintf(stderr,
            "bench_record: %s on %d thread(s): expected %" PRId64 " operations in 1 row, "
            "found %" PRId64 " in %zu row(s)\n",
            c->name, c->threads, expected, got, rows);
    exit(1);
  }
  census_bound_measure_free(c->bound);
}

#define SCRAPE_LIVE 10
#define SCRAPE_DEAD 5000
#define SCRAPE_SERIES 20
#define SCRAPE_RECORDS 50

/* A worker of the scrape group in `dir`: joins it (as a pre-fork server's post-fork hook does),
 * records SCRAPE_RECORDS into each of SCRAPE_SERIES series of `view`'s measure, writes a byte to
 * `ready`, then waits to be killed (or exits when `exit_after`). */
static pid_t scrape_worker(const char *dir, const census_measure *m, bool exit_after, int ready) {
  pid_t pid = fork();
  if (pid != 0) {
    return pid;
  }
  if (census_shm_enable(dir) != CENSUS_OK) {
    _exit(1);
  }
  census_tag_map *tags = census_tag_map_new();
  for (int s = 0; s < SCRAPE_SERIES; s++) {
    char value[16];
    snprintf(value, sizeof value, "s%d", s);
    census_tag_map_put(tags, tag_keys[0], value);
    for (int i = 0; i < SCRAPE_RECORDS; i++) {
      census_record_int64(m, 1, tags);
    }
  }
  if (exit_after) {
    _exit(0);
  }
  if (write(ready, "r", 1) != 1) {
    _exit(1);
  }
  for (;;) {
    pause();
  }
}

/* The total count of view `name` in the group in `dir`, and the time the read took. */
static int64_t scrape_once(const char *dir, const char *name, double *ms) {
  int64_t start = monotonic_ns();
  census_view_data **views;
  size_t count;
  check("shm scrape", census_shm_view_data_get_all(dir, &views, &count));
  *ms = (double)(monotonic_ns() - start) / 1e6;
  int64_t total = 0;
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), name) != 0) {
      continue;
    }
    for (size_t r = 0; r < census_view_data_row_count(views[v]); r++) {
      census_point p;
      check("row point", census_view_data_row_point(views[v], r, &p));
      total += p.count;
    }
  }
  census_view_data_free_all(views, count);
  return total;
}

/* Copies the first `bytes` of `from` to `to`; exits on failure. */
static void copy_prefix(const char *from, const char *to, size_t bytes) {
  static char buffer[1 << 16];
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  size_t n = in && out ? fread(buffer, 1, bytes < sizeof buffer ? bytes : sizeof buffer, in) : 0;
  if (!in || !out || n == 0 || fwrite(buffer, 1, n, out) != n) {
    fprintf(stderr, "bench_record: cannot copy %s to %s\n", from, to);
    exit(1);
  }
  fclose(in);
  fclose(out);
}

/* Measures shm_scrape_* (see the file comment) in the group directory `dir`: ms[0] before
 * compaction, ms[1] the compacting read, ms[2] after (medians of REPETITIONS reads where
 * repeated). */
static void measure_shm_scrape(const char *dir, double ms[3]) {
  const census_measure *m = census_measure_int64_new("bench/scrape", "", "1", NULL);
  census_aggregation *agg = census_aggregation_count_new();
  census_status status;
  census_view *view = census_view_new("bench/scrape", NULL, m, tag_keys, 1, agg, &status);
  check("scrape view", status);
  check("scrape view register", census_view_register(view));
  census_view_free(view);
  census_aggregation_free(agg);
  /* One dead worker, whose file is the template of the dead history. */
  pid_t dead = scrape_worker(dir, m, true, -1);
  waitpid(dead, NULL, 0);
  char template[256];
  snprintf(template, sizeof template, "%s/census-%d-", dir, (int)dead);
  char cmd[512], path[512];
  snprintf(cmd, sizeof cmd, "ls %s*.shm", template);
  FILE *ls = popen(cmd, "r");
  if (!ls || !fgets(path, sizeof path, ls)) {
    fprintf(stderr, "bench_record: no file for the template worker\n");
    exit(1);
  }
  pclose(ls);
  path[strcspn(path, "\n")] = '\0';
  for (int i = 0; i < SCRAPE_DEAD; i++) {
    char copy[512];
    snprintf(copy, sizeof copy, "%s/census-%d-%016x.shm", dir, 4000000 + i, i);
    copy_prefix(path, copy, 256 + 16384);
  }
  pid_t live[SCRAPE_LIVE];
  int ready[2];
  if (pipe(ready) != 0) {
    perror("pipe");
    exit(1);
  }
  for (int i = 0; i < SCRAPE_LIVE; i++) {
    live[i] = scrape_worker(dir, m, false, ready[1]);
  }
  for (int i = 0; i < SCRAPE_LIVE; i++) { /* every live worker has recorded */
    char c;
    if (read(ready[0], &c, 1) != 1) {
      perror("scrape workers");
      exit(1);
    }
  }
  close(ready[0]);
  close(ready[1]);
  int64_t expected = (int64_t)(SCRAPE_DEAD + 1 + SCRAPE_LIVE) * SCRAPE_SERIES * SCRAPE_RECORDS;
  char lock_path[512];
  snprintf(lock_path, sizeof lock_path, "%s/census-compact.lock", dir);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_SH) != 0) {
    perror(lock_path);
    exit(1);
  }
  double before[REPETITIONS], after[REPETITIONS];
  for (int r = 0; r < REPETITIONS; r++) {
    int64_t got = scrape_once(dir, "bench/scrape", &before[r]);
    if (got != expected) {
      fprintf(stderr,
              "bench_record: scrape before compaction: %" PRId64 " counts, expected %" PRId64 "\n",
              got, expected);
      exit(1);
    }
  }
  close(lock);
  if (scrape_once(dir, "bench/scrape", &ms[1]) != expected) {
    fprintf(stderr, "bench_record: the compacting scrape lost counts\n");
    exit(1);
  }
  for (int r = 0; r < REPETITIONS; r++) {
    if (scrape_once(dir, "bench/scrape", &after[r]) != expected) {
      fprintf(stderr, "bench_record: scrape after compaction lost counts\n");
      exit(1);
    }
  }
  for (int i = 0; i < SCRAPE_LIVE; i++) {
    kill(live[i], SIGKILL);
    waitpid(live[i], NULL, 0);
  }
  qsort(before, REPETITIONS, sizeof before[0], compare_doubles);
  qsort(after, REPETITIONS, sizeof after[0], compare_doubles);
  ms[0] = before[REPETITIONS / 2];
  ms[2] = after[REPETITIONS / 2];
}

/* The resident set size in bytes, from /proc/self/statm (second field, in pages). */
static long resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size_pages = 0, resident_pages = -1;
  if (f == NULL || fscanf(f, "%ld %ld", &size_pages, &resident_pages) != 2) {
    fprintf(stderr, "bench_record: cannot read /proc/self/statm\n");
    exit(1);
  }
  fclose(f);
  return resident_pages * sysconf(_SC_PAGESIZE);
}

/* Registers a COUNT view of `measure` over the three bench tag keys, holding up to max_series
 * series; exits on error. */
static void register_count_view(const char *name, const char *description,
                                const census_measure *measure, size_t max_series) {
  census_status status;
  census_aggregation *count = census_aggregation_count_new();
  check("count aggregation", count != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  census_view *view = census_view_new(name, description, measure, tag_keys, 3, count, &status);
  check("view", status);
  check("max series", census_view_set_max_series(view, max_series));
  check("view register", census_view_register(view));
  census_view_free(view);
  census_aggregation_free(count);
}

/* Records one count into each of RSS_SERIES distinct 3-tag series and returns the resident set's
 * growth per series, in bytes. A warm-up record into another view first creates the thread's
 * census state, so that one-time cost is not charged to the series. Exits non-zero unless the view
 * then holds exactly RSS_SERIES rows, none of them the overflow row, each with count 1. */
static double measure_rss_per_series(void) {
  census_status status;
  const census_measure *warmup = census_measure_int64_new("bench/rss_warmup", NULL, "1", &status);
  check("measure", status);
  const census_measure *measure = census_measure_int64_new("bench/rss_series", NULL, "1", &status);
  check("measure", status);
  register_count_view("bench/rss_warmup", NULL, warmup, 2 * RSS_SERIES);
  register_count_view("bench/rss_series", NULL, measure, 2 * RSS_SERIES);

  census_tag_map *tags = census_tag_map_new();
  check("tag map", tags != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  char values[3][32];
  for (int k = 0; k < 3; k++) {
    check("tag put", census_tag_map_put(tags, tag_keys[k], "warmup"));
  }
  check("record", census_record_int64(warmup, 1, tags));

  long before = resident_bytes();
  for (long i = 0; i < RSS_SERIES; i++) {
    snprintf(values[0], sizeof values[0], "route-%ld", i % 100);
    snprintf(values[1], sizeof values[1], "method-%ld", i / 100 % 100);
    snprintf(values[2], sizeof values[2], "status-%ld", i / 10000);
    for (int k = 0; k < 3; k++) {
      check("tag put", census_tag_map_put(tags, tag_keys[k], values[k]));
    }
    check("record", census_record_int64(measure, 1, tags));
  }
  long after = resident_bytes();
  census_tag_map_free(tags);

  census_view_data *data = census_view_data_get("bench/rss_series", &status);
  check("view data", status);
  size_t rows = census_view_data_row_count(data);
  size_t bad_rows = 0;
  for (size_t row = 0; row < rows; row++) {
    census_point point;
    check("row point", census_view_data_row_point(data, row, &point));
    bad_rows += census_view_data_row_is_overflow(data, row) || point.count != 1;
  }
  census_view_data_free(data);
  if (rows != (size_t)RSS_SERIES || bad_rows != 0) {
    fprintf(stderr,
            "bench_record: rss_bytes_per_series: expected %ld rows of count 1, census holds %zu "
            "rows, %zu of them overflowed or not 1\n",
            RSS_SERIES, rows, bad_rows);
    exit(1);
  }
  return (double)(after - before) / (double)RSS_SERIES;
}

#if defined(CENSUS_HAVE_PROMETHEUS) || defined(CENSUS_HAVE_OTLP)
/* The exporter benches' input: registers view `name` (Count, columns route, method, status)
 * over a new measure of that name, records `series` distinct 3-tag series into it (route i % 100,
 * method i / 100 % 10, status 200 + i / 1000, value 1 + i % 7) and returns its data (free it). */
static census_view_data *record_series(const char *name, long series) {
  census_status status;
  const census_measure *measure = census_measure_int64_new(name, "Requests", "1", &status);
  check("measure", status);
  register_count_view(name, "Requests by route, method and status", measure, 2 * series);
  census_tag_map *tags = census_tag_map_new();
  check("tag map", tags != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  char values[3][32];
  for (long i = 0; i < series; i++) {
    snprintf(values[0], sizeof values[0], "/api/v1/route-%ld", i % 100);
    snprintf(values[1], sizeof values[1], "method-%ld", i / 100 % 10);
    snprintf(values[2], sizeof values[2], "%ld", 200 + i / 1000);
    for (int k = 0; k < 3; k++) {
      check("tag put", census_tag_map_put(tags, tag_keys[k], values[k]));
    }
    check("record", census_record_int64(measure, 1 + i % 7, tags));
  }
  census_tag_map_free(tags);
  census_view_data *data = census_view_data_get(name, &status);
  check("view data", status);
  return data;
}
#endif

#ifdef CENSUS_HAVE_PROMETHEUS
/* Renders PROMETHEUS_SERIES 3-tag counter series as Prometheus text (see the file comment) and
 * fills ns_per_series[REPETITIONS], sorted. Exits non-zero if the output is not what it should be.
 */
static void measure_prometheus_render(double ns_per_series[REPETITIONS]) {
  census_view_data *data = record_series("bench/prometheus_series", PROMETHEUS_SERIES);
  const census_view_data *views[] = {data};
  size_t expected_length = 0;
  for (int rep = 0; rep < REPETITIONS; rep++) {
    char *text;
    size_t length;
    int64_t start = monotonic_ns();
    check("render", census_prometheus_render_views(views, 1, NULL, &text, &length));
    int64_t end = monotonic_ns();
    long lines = 0;
    for (size_t i = 0; i < length; i++) {
      lines += text[i] == '\n';
    }
    census_prometheus_text_free(text);
    if (lines != PROMETHEUS_SERIES + 2 || (rep > 0 && length != expected_length)) {
      fprintf(stderr, "bench_record: prometheus render: %ld lines, %zu bytes\n", lines, length);
      exit(1);
    }
    expected_length = length;
    ns_per_series[rep] = (double)(end - start) / (double)PROMETHEUS_SERIES;
  }
  census_view_data_free(data);
  qsort(ns_per_series, REPETITIONS, sizeof ns_per_series[0], compare_doubles);
}
#endif

#ifdef CENSUS_HAVE_OTLP
/* Encodes OTLP_SERIES 3-tag counter series as an OTLP protobuf body (see the file comment) and
 * fills ns_per_series[REPETITIONS], sorted. Exits non-zero if the output is not what it should be.
 */
static void measure_otlp_encode_series(double ns_per_series[REPETITIONS]) {
  census_view_data *data = record_series("bench/otlp_series", OTLP_SERIES);
  const census_view_data *views[] = {data};
  census_resource_attribute attribute = {
      .key = "service.name", .type = CENSUS_ATTRIBUTE_STRING, .string_value = "bench"};
  census_resource resource = {&attribute, 1};
  size_t expected_length = 0;
  census_buf body = CENSUS_BUF_INIT;
  for (int rep = 0; rep < REPETITIONS; rep++) {
    uint64_t points = 0;
    census__buf_reset(&body);
    int64_t start = monotonic_ns();
    check("otlp encode", census__otlp_encode_metrics(views, 1, &resource, false, &body, &points));
    int64_t end = monotonic_ns();
    if (points != (uint64_t)OTLP_SERIES || body.len == 0 ||
        (rep > 0 && body.len != expected_length)) {
      fprintf(stderr, "bench_record: otlp encode: %llu points, %zu bytes\n",
              (unsigned long long)points, body.len);
      exit(1);
    }
    expected_length = body.len;
    ns_per_series[rep] = (double)(end - start) / (double)OTLP_SERIES;
  }
  census__buf_free(&body);
  census_view_data_free(data);
  qsort(ns_per_series, REPETITIONS, sizeof ns_per_series[0], compare_doubles);
}

/* The span encoder is timed inside a span exporter's callback, the only place span data exist:
 * each batch is encoded REPETITIONS times and the times are summed per repetition. */
static struct {
  int64_t rep_ns[REPETITIONS];
  long spans;
  bool bad;
} otlp_spans;

static census_status encode_spans_timed(void *user, const census_span_data *const *spans,
                                        size_t n) {
  (void)user;
  census_resource_attribute attribute = {
      .key = "service.name", .type = CENSUS_ATTRIBUTE_STRING, .string_value = "bench"};
  census_resource resource = {&attribute, 1};
  census_buf body = CENSUS_BUF_INIT;
  size_t expected_length = 0;
  for (int rep = 0; rep < REPETITIONS; rep++) {
    census__buf_reset(&body);
    int64_t start = monotonic_ns();
    census_status st = census__otlp_encode_spans(spans, n, &resource, false, &body);
    otlp_spans.rep_ns[rep] += monotonic_ns() - start;
    if (st != CENSUS_OK || body.len == 0 || (rep > 0 && body.len != expected_length)) {
      otlp_spans.bad = true;
    }
    expected_length = body.len;
  }
  census__buf_free(&body);
  otlp_spans.spans += (long)n;
  return CENSUS_OK;
}

static void measure_otlp_encode_spans(double ns_per_span[REPETITIONS]) {
  static const census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                               .export_spans = encode_spans_timed};
  static int user;
  census_span_export_options options = {.size = sizeof(census_span_export_options),
                                        .max_queue_size = 65536,
                                        .max_export_batch_size = 16384,
                                        .schedule_delay_ms = 60000,
                                        .export_timeout_ms = 0};
  check("span export options", census_trace_set_export_options(&options));
  check("span exporter", census_span_exporter_register(&ops, &user));
  census_span_options span_options = CENSUS_SPAN_OPTIONS_INIT;
  span_options.root = true;
  span_options.sampler = always_on;
  for (long i = 0; i < OTLP_SPANS; i++) {
    census_span span = census_span_start("GET /api/v1/items", &span_options);
    census_span_set_attribute_string(span, "http.route", "/api/v1/items");
    census_span_set_attribute_int64(span, "http.status_code", 200);
    census_span_add_event(span, "cache miss");
    census_span_end(span);
  }
  /* Unregistering exports the queued spans to the exporters, this one included. */
  check("span exporter unregister", census_span_exporter_unregister(&user, 60000));
  if (otlp_spans.bad || otlp_spans.spans != OTLP_SPANS) {
    fprintf(stderr, "bench_record: otlp span encode: %ld spans encoded%s\n", otlp_spans.spans,
            otlp_spans.bad ? ", inconsistent bodies" : "");
    exit(1);
  }
  for (int rep = 0; rep < REPETITIONS; rep++) {
    ns_per_span[rep] = (double)otlp_spans.rep_ns[rep] / (double)OTLP_SPANS;
  }
  qsort(ns_per_span, REPETITIONS, sizeof ns_per_span[0], compare_doubles);
}
#endif

/* Creates the tag keys and the shared 3-tag map the 3-tag cases record against. */
static void set_up_tags(void) {
  static const char *const key_names[3] = {"route", "method", "status"};
  static const char *const key_values[3] = {"/api/v1/items", "GET", "200"};
  census_status status;
  three_tags = census_tag_map_new();
  check("tag map", three_tags != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  for (int k = 0; k < 3; k++) {
    tag_keys[k] = census_tag_key_new(key_names[k], &status);
    check("tag key", status);
    check("tag put", census_tag_map_put(three_tags, tag_keys[k], key_values[k]));
  }
}

int main(int argc, char **argv) {
  const char *output_path = argc > 1 ? argv[1] : "build/bench.json";
  FILE *out = fopen(output_path, "w");
  if (out == NULL) {
    perror(output_path);
    return 1;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < MAX_THREADS) {
    fprintf(stderr,
            "bench_record: warning: %ld CPU(s) online; 2-thread results will show "
            "time slicing, not contention\n",
            cpus);
  }
  set_up_tags();
  census_status setup_status;
  always_on = census_sampler_always_on();
  always_off = census_sampler_always_off();
  static const census_span_exporter_ops span_counter = {.size = sizeof(census_span_exporter_ops),
                                                        .export_spans = count_spans};
  check("span exporter", census_span_exporter_register(&span_counter, NULL));
  census_span_export_options span_options = {.size = sizeof(census_span_export_options),
                                             .max_queue_size = 65536,
                                             .max_export_batch_size = 8192,
                                             .schedule_delay_ms = 1000,
                                             .export_timeout_ms = 0};
  check("span export options", census_trace_set_export_options(&span_options));
  check("traceparent", census_traceparent_parse(traceparent_header, sizeof traceparent_header - 1,
                                                &inject_context));
  (void)setup_status;

  struct bench_case baseline = {
      .name = "baseline_atomic_add", .kind = KIND_BASELINE_ATOMIC_ADD, .threads = 1};
  struct bench_case parallel_baseline = {
      .name = "baseline_atomic_add", .kind = KIND_BASELINE_ATOMIC_ADD, .threads = 2};
  struct bench_case cases[] = {
      {.name = "record_map_int_0tags", .kind = KIND_MAP_INT_0TAGS, .threads = 1},
      {.name = "record_map_int_0tags", .kind = KIND_MAP_INT_0TAGS, .threads = 2},
      {.name = "record_map_int_3tags", .kind = KIND_MAP_INT_3TAGS, .threads = 1},
      {.name = "record_map_int_3tags", .kind = KIND_MAP_INT_3TAGS, .threads = 2},
      {.name = "record_map_distribution_3tags", .kind = KIND_MAP_DISTRIBUTION_3TAGS, .threads = 1},
      {.name = "record_map_distribution_3tags", .kind = KIND_MAP_DISTRIBUTION_3TAGS, .threads = 2},
      {.name = "record_direct_int_3tags", .kind = KIND_DIRECT_INT_3TAGS, .threads = 1},
      {.name = "record_direct_int_3tags", .kind = KIND_DIRECT_INT_3TAGS, .threads = 2},
      {.name = "record_bound_int", .kind = KIND_BOUND_INT_3TAGS, .threads = 1},
      {.name = "record_bound_int", .kind = KIND_BOUND_INT_3TAGS, .threads = 2},
      {.name = "record_bound_distribution", .kind = KIND_BOUND_DISTRIBUTION_3TAGS, .threads = 1},
      {.name = "record_bound_distribution", .kind = KIND_BOUND_DISTRIBUTION_3TAGS, .threads = 2},
      {.name = "span_unsampled_start_end", .kind = KIND_SPAN_UNSAMPLED, .threads = 1},
      {.name = "span_unsampled_start_end", .kind = KIND_SPAN_UNSAMPLED, .threads = 2},
      {.name = "span_sampled_start_end", .kind = KIND_SPAN_SAMPLED, .threads = 1},
      {.name = "span_sampled_start_end", .kind = KIND_SPAN_SAMPLED, .threads = 2},
      {.name = "traceparent_extract", .kind = KIND_TRACEPARENT_EXTRACT, .threads = 1},
      {.name = "traceparent_extract", .kind = KIND_TRACEPARENT_EXTRACT, .threads = 2},
      {.name = "traceparent_inject", .kind = KIND_TRACEPARENT_INJECT, .threads = 1},
      {.name = "traceparent_inject", .kind = KIND_TRACEPARENT_INJECT, .threads = 2},
      {.name = "record_direct_sum_3tags", .kind = KIND_DIRECT_SUM_3TAGS, .threads = 1},
      {.name = "record_counter_3tags", .kind = KIND_COUNTER_3TAGS, .threads = 1},
      {.name = "record_direct_distribution_3tags",
       .kind = KIND_DIRECT_DISTRIBUTION_3TAGS,
       .threads = 1},
      {.name = "record_histogram_3tags", .kind = KIND_HISTOGRAM_3TAGS, .threads = 1},
  };
  const size_t case_count = sizeof cases / sizeof cases[0];

  printf("census %s bench_record: %d repetitions of %ld ops per thread, median reported\n",
         census_version(), REPETITIONS, ITERATIONS_PER_REP);
  printf("%-32s %7s %12s %10s %10s\n", "case", "threads", "ns/op", "min", "max");
  fflush(stdout);
  run_case(&baseline);
  printf("%-32s %7d %12.2f %10.2f %10.2f\n", baseline.name, 1, baseline.ns_per_op[REPETITIONS / 2],
         baseline.ns_per_op[0], baseline.ns_per_op[REPETITIONS - 1]);
  run_case(&parallel_baseline);
  double parallel_ratio =
      parallel_baseline.ns_per_op[REPETITIONS / 2] / baseline.ns_per_op[REPETITIONS / 2];
  bool cpus_busy = parallel_ratio > 1.3;
  printf("%-32s %7d %12.2f %10.2f %10.2f  (own line per thread: checks the CPUs are free)\n",
         parallel_baseline.name, 2, parallel_baseline.ns_per_op[REPETITIONS / 2],
         parallel_baseline.ns_per_op[0], parallel_baseline.ns_per_op[REPETITIONS - 1]);
  if (cpus_busy) {
    fprintf(stderr,
            "bench_record: warning: 2 threads that share nothing ran %.1fx slower than 1; the "
            "CPUs are busy with other work, so 2-thread results are not meaningful\n",
            parallel_ratio);
  }
  for (size_t i = 0; i < case_count; i++) {
    run_case(&cases[i]);
    printf("%-32s %7d %12.2f %10.2f %10.2f\n", cases[i].name, cases[i].threads,
           cases[i].ns_per_op[REPETITIONS / 2], cases[i].ns_per_op[0],
           cases[i].ns_per_op[REPETITIONS - 1]);
    fflush(stdout);
  }
  double rss_per_series = measure_rss_per_series();
  printf("%-32s %7d %12.1f bytes/series (%ld series)\n", "rss_bytes_per_series", 1, rss_per_series,
         RSS_SERIES);
#ifdef CENSUS_HAVE_PROMETHEUS
  double render_ns[REPETITIONS];
  measure_prometheus_render(render_ns);
  printf("%-32s %7d %12.2f %10.2f %10.2f  ns/series (%ld series; target <= 60)\n",
         "prometheus_render_per_series", 1, render_ns[REPETITIONS / 2], render_ns[0],
         render_ns[REPETITIONS - 1], PROMETHEUS_SERIES);
#endif
#ifdef CENSUS_HAVE_OTLP
  double otlp_series_ns[REPETITIONS], otlp_span_ns[REPETITIONS];
  measure_otlp_encode_series(otlp_series_ns);
  printf("%-32s %7d %12.2f %10.2f %10.2f  ns/series (%ld series, protobuf; target <= 120)\n",
         "otlp_encode_per_series", 1, otlp_series_ns[REPETITIONS / 2], otlp_series_ns[0],
         otlp_series_ns[REPETITIONS - 1], OTLP_SERIES);
  measure_otlp_encode_spans(otlp_span_ns);
  printf("%-32s %7d %12.2f %10.2f %10.2f  ns/span (%ld spans, protobuf; target <= 300)\n",
         "otlp_encode_per_span", 1, otlp_span_ns[REPETITIONS / 2], otlp_span_ns[0],
         otlp_span_ns[REPETITIONS - 1], OTLP_SPANS);
#endif

  fprintf(out, "{\"census_version\":\"%s\",\"repetitions\":%d,\"iterations_per_rep\":%ld,",
          census_version(), REPETITIONS, ITERATIONS_PER_REP);
  fprintf(out, "\"cpus_busy\":%s,\"baseline_atomic_add_ns\":%.3f,\"results\":[",
          cpus_busy ? "true" : "false", baseline.ns_per_op[REPETITIONS / 2]);
  for (size_t i = 0; i < case_count; i++) {
    const struct bench_case *c = &cases[i];
    fprintf(out,
            "%s{\"name\":\"%s\",\"threads\":%d,\"ns_per_op\":%.3f,\"min_ns_per_op\":%.3f,"
            "\"max_ns_per_op\":%.3f,\"ratio_to_baseline\":%.2f}",
            i ? "," : "", c->name, c->threads, c->ns_per_op[REPETITIONS / 2], c->ns_per_op[0],
            c->ns_per_op[REPETITIONS - 1],
            c->ns_per_op[REPETITIONS / 2] / baseline.ns_per_op[REPETITIONS / 2]);
  }
  fprintf(out,
          ",{\"name\":\"rss_bytes_per_series\",\"threads\":1,\"bytes_per_series\":%.1f,"
          "\"series\":%ld}",
          rss_per_series, RSS_SERIES);
#ifdef CENSUS_HAVE_PROMETHEUS
  fprintf(out,
          ",{\"name\":\"prometheus_render_per_series\",\"threads\":1,\"ns_per_op\":%.3f,"
          "\"min_ns_per_op\":%.3f,\"max_ns_per_op\":%.3f,\"series\":%ld}",
          render_ns[REPETITIONS / 2], render_ns[0], render_ns[REPETITIONS - 1], PROMETHEUS_SERIES);
#endif
#ifdef CENSUS_HAVE_OTLP
  fprintf(out,
          ",{\"name\":\"otlp_encode_per_series\",\"threads\":1,\"ns_per_op\":%.3f,"
          "\"min_ns_per_op\":%.3f,\"max_ns_per_op\":%.3f,\"series\":%ld}",
          otlp_series_ns[REPETITIONS / 2], otlp_series_ns[0], otlp_series_ns[REPETITIONS - 1],
          OTLP_SERIES);
  fprintf(out,
          ",{\"name\":\"otlp_encode_per_span\",\"threads\":1,\"ns_per_op\":%.3f,"
          "\"min_ns_per_op\":%.3f,\"max_ns_per_op\":%.3f,\"spans\":%ld}",
          otlp_span_ns[REPETITIONS / 2], otlp_span_ns[0], otlp_span_ns[REPETITIONS - 1],
          OTLP_SPANS);
#endif
  /* Shared-memory mode, last: it cannot be turned off in a process. */
  struct bench_case shm_cases[] = {
      {.name = "shm_record_direct_int_3tags", .kind = KIND_DIRECT_INT_3TAGS, .threads = 1},
      {.name = "shm_record_direct_int_3tags", .kind = KIND_DIRECT_INT_3TAGS, .threads = 2},
      {.name = "shm_record_map_int_3tags", .kind = KIND_MAP_INT_3TAGS, .threads = 1},
      {.name = "shm_record_map_int_3tags", .kind = KIND_MAP_INT_3TAGS, .threads = 2},
      {.name = "shm_record_map_distribution_3tags",
       .kind = KIND_MAP_DISTRIBUTION_3TAGS,
       .threads = 1},
      {.name = "shm_record_map_distribution_3tags",
       .kind = KIND_MAP_DISTRIBUTION_3TAGS,
       .threads = 2},
      {.name = "shm_record_bound_int", .kind = KIND_BOUND_INT_3TAGS, .threads = 1},
      {.name = "shm_record_bound_int", .kind = KIND_BOUND_INT_3TAGS, .threads = 2},
      {.name = "shm_record_bound_distribution",
       .kind = KIND_BOUND_DISTRIBUTION_3TAGS,
       .threads = 1},
      {.name = "shm_record_bound_distribution",
       .kind = KIND_BOUND_DISTRIBUTION_3TAGS,
       .threads = 2},
  };
  /* The scrape group first, in a directory of its own that this process reads as a sidecar
   * (it is not in the mode yet): its workers join it after fork(). In the mode this process's
   * file would also hold the series of the cases above (carried into it when the mode turns
   * on), which are not the workload measured. */
  char scrape_dir[64], shm_dir[64];
  const char *shm_base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(scrape_dir, sizeof scrape_dir, "%s/census-scrape-XXXXXX", shm_base);
  snprintf(shm_dir, sizeof shm_dir, "%s/census-bench-XXXXXX", shm_base);
  if (!mkdtemp(scrape_dir) || !mkdtemp(shm_dir)) {
    perror("mkdtemp");
    return 1;
  }
  double scrape_ms[3];
  measure_shm_scrape(scrape_dir, scrape_ms);
  check("shm enable", census_shm_enable(shm_dir));
  for (size_t i = 0; i < sizeof shm_cases / sizeof shm_cases[0]; i++) {
    struct bench_case *c = &shm_cases[i];
    run_case(c);
    /* The in-process twin timed earlier in this run (0: none), for the ratio. */
    double twin_ns = 0;
    for (size_t j = 0; j < case_count; j++) {
      if (strcmp(cases[j].name, c->name + 4) == 0 && cases[j].threads == c->threads) {
        twin_ns = cases[j].ns_per_op[REPETITIONS / 2];
      }
    }
    double shm_ratio = twin_ns > 0 ? c->ns_per_op[REPETITIONS / 2] / twin_ns : 0;
    printf("%-32s %7d %12.2f %10.2f %10.2f  (%.2fx in-process; target <= 1.5)\n", c->name,
           c->threads, c->ns_per_op[REPETITIONS / 2], c->ns_per_op[0],
           c->ns_per_op[REPETITIONS - 1], shm_ratio);
    fflush(stdout);
    fprintf(out,
            ",{\"name\":\"%s\",\"threads\":%d,\"ns_per_op\":%.3f,\"min_ns_per_op\":%.3f,"
            "\"max_ns_per_op\":%.3f,\"ratio_to_baseline\":%.2f,\"shm_ratio\":%.2f}",
            c->name, c->threads, c->ns_per_op[REPETITIONS / 2], c->ns_per_op[0],
            c->ns_per_op[REPETITIONS - 1],
            c->ns_per_op[REPETITIONS / 2] / baseline.ns_per_op[REPETITIONS / 2], shm_ratio);
  }
  const char *scrape_names[] = {"shm_scrape_before_compaction", "shm_scrape_compacting",
                                "shm_scrape_after_compaction"};
  for (int i = 0; i < 3; i++) {
    printf("%-32s %7d %12.2f ms (%d live workers, %d dead workers' files, %d series each)\n",
           scrape_names[i], 1, scrape_ms[i], SCRAPE_LIVE, SCRAPE_DEAD, SCRAPE_SERIES);
    fprintf(out,
            ",{\"name\":\"%s\",\"threads\":1,\"ms\":%.3f,\"live_workers\":%d,"
            "\"dead_workers\":%d,\"series_per_worker\":%d}",
            scrape_names[i], scrape_ms[i], SCRAPE_LIVE, SCRAPE_DEAD, SCRAPE_SERIES);
  }
  /* Shut census down before its group directory goes: at exit it would still read the group
   * (shared-memory mode stays on) and report the directory missing. */
  census_shutdown(1000);
  char remove_cmd[160];
  snprintf(remove_cmd, sizeof remove_cmd, "rm -rf '%s' '%s'", shm_dir, scrape_dir);
  if (system(remove_cmd) != 0) {
    fprintf(stderr, "bench_record: could not remove %s\n", shm_dir);
  }
  fprintf(out, "]}\n");
  if (fclose(out) != 0) {
    perror(output_path);
    return 1;
  }
  printf("wrote %s\n", output_path);
  return 0;
}
