/* test_concurrency.c - recording from many threads at once, with concurrent collection.
 *
 * Proves that per-thread recording cells lose nothing and double-count nothing: totals after
 * joining are exact (count, sum, distribution count and buckets) whether threads share a series
 * or use their own, record directly or through measurement maps, exit before any collection, or
 * start after one; and that a measurement map is recorded atomically with respect to collection
 * (an export sees all of it or none of it).
 *
 * Expected totals are computed by replaying, in the main thread, the deterministic sequence each
 * worker records. cmocka assertions are not thread-safe, so worker and reader threads only count
 * anomalies in atomics, which the main thread asserts on after joining.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

enum { THREADS = 8, RECORDS = 20000, MAX_ROWS = THREADS + 1 };

static const double BOUNDS[] = {10, 100, 1000};
enum { NB = 3 };

/* The helpers (key, int_measure, register_view, register_view_limited, get_data, total_count,
 * view_total_count) are in support.h. */

/* ---- test 1: shared and per-thread series, direct and map records, concurrent reader ------ */

static const census_measure *mix_measure;
static const census_tag_key *mix_key;
static census_tag_map *shared_tags;
static atomic_bool stop_reader;
static atomic_int anomalies; /* reader-observed inconsistencies */
static atomic_int worker_errors;
static atomic_long reader_snapshots;

/* What worker `t` records at step j: the value, whether it uses the shared series, and whether
 * it records through a measurement map. Deterministic, so the main thread can replay it. */
static int64_t mix_value(int t, int j) { return (int64_t)((j * 7 + t * 13) % 2000); }
static bool mix_shared(int j) { return j % 3 == 0; }
static bool mix_map(int j) { return j % 2 == 1; }

static void *mix_worker(void *arg) {
  int t = (int)(intptr_t)arg;
  char value[16];
  snprintf(value, sizeof value, "t%d", t);
  census_tag_map *own = census_tag_map_new();
  census_measurement_map *mm = census_measurement_map_new();
  if (!own || !mm || census_tag_map_put(own, mix_key, value) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
    return NULL;
  }
  for (int j = 0; j < RECORDS; j++) {
    /* Halfway, wait for the reader's first snapshot: with records of a few ns the workers could
     * otherwise finish before a loaded machine schedules the reader, and the test would prove
     * nothing about collecting while recording. */
    while (j == RECORDS / 2 && atomic_load(&reader_snapshots) == 0) {
      sched_yield();
    }
    const census_tag_map *tags = mix_shared(j) ? shared_tags : own;
    census_status st;
    if (mix_map(j)) {
      census_measurement_map_clear(mm);
      st = census_measurement_map_put_int64(mm, mix_measure, mix_value(t, j));
      if (st == CENSUS_OK) {
        st = census_measurement_map_record(mm, tags);
      }
    } else {
      st = census_record_int64(mix_measure, mix_value(t, j), tags);
    }
    if (st != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  census_measurement_map_free(mm);
  census_tag_map_free(own);
  return NULL;
}

/* Reads the sum and distribution views in a loop. Each snapshot must be internally consistent
 * (bucket counts add up to the row count) and totals (counts, and the distribution's sum) never
 * go down between snapshots (data are cumulative). */
static void *mix_reader(void *arg) {
  (void)arg;
  int64_t last_sum_count = 0, last_dist_count = 0, last_dist_sum = 0;
  while (!atomic_load(&stop_reader)) {
    census_view_data *s = census_view_data_get("conc/mix_sum", NULL);
    census_view_data *d = census_view_data_get("conc/mix_dist", NULL);
    if (!s || !d) {
      atomic_fetch_add(&anomalies, 1);
    } else {
      int64_t sc = total_count(s), dc = total_count(d);
      if (sc < last_sum_count || dc < last_dist_count) {
        atomic_fetch_add(&anomalies, 1);
      }
      last_sum_count = sc;
      last_dist_count = dc;
      int64_t dist_sum = 0;
      for (size_t r = 0; r < census_view_data_row_count(d); r++) {
        census_point p;
        census_view_data_row_point(d, r, &p);
        dist_sum += p.int_value;
        int64_t b = 0;
        for (size_t i = 0; i < p.bucket_count; i++) {
          b += p.bucket_counts[i];
        }
        if (b != p.count || p.bucket_count != NB + 1) {
          atomic_fetch_add(&anomalies, 1);
        }
      }
      if (dist_sum < last_dist_sum) {
        atomic_fetch_add(&anomalies, 1);
      }
      last_dist_sum = dist_sum;
    }
    census_view_data_free(s);
    census_view_data_free(d);
    atomic_fetch_add(&reader_snapshots, 1);
  }
  return NULL;
}

struct expected_row {
  int64_t count, sum, buckets[NB + 1];
  double ssd, min, max;
};

static size_t bucket_of(double v) {
  size_t b = 0;
  while (b < NB && v > BOUNDS[b]) {
    b++;
  }
  return b;
}

/* Proves: THREADS workers x RECORDS records, a third into one shared series and the rest into a
 * per-thread series, half through census_record_int64 and half through measurement maps, with a
 * reader collecting all the time: afterwards every row's count, sum and bucket counts are exactly
 * the replayed expectation, and the reader never saw an inconsistent or shrinking snapshot. */
static void test_many_threads_exact_totals(void **state) {
  (void)state;
  mix_measure = int_measure("conc/mix");
  mix_key = key("conc_k");
  register_view("conc/mix_sum", mix_measure, &mix_key, 1, census_aggregation_sum_new());
  register_view("conc/mix_dist", mix_measure, &mix_key, 1,
                census_aggregation_distribution_new(BOUNDS, NB, NULL));
  register_view("conc/mix_count", mix_measure, NULL, 0, census_aggregation_count_new());
  shared_tags = census_tag_map_new();
  assert_int_equal(census_tag_map_put(shared_tags, mix_key, "shared"), CENSUS_OK);

  atomic_store(&stop_reader, false);
  pthread_t reader, workers[THREADS];
  assert_int_equal(pthread_create(&reader, NULL, mix_reader, NULL), 0);
  for (int t = 0; t < THREADS; t++) {
    assert_int_equal(pthread_create(&workers[t], NULL, mix_worker, (void *)(intptr_t)t), 0);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(workers[t], NULL);
  }
  atomic_store(&stop_reader, true);
  pthread_join(reader, NULL);
  assert_int_equal(atomic_load(&worker_errors), 0);
  assert_int_equal(atomic_load(&anomalies), 0);
  assert_true(atomic_load(&reader_snapshots) > 0);

  /* Replay: row 0 is "shared", row t+1 is "t<t>". */
  struct expected_row want[MAX_ROWS];
  memset(want, 0, sizeof want);
  for (int r = 0; r < MAX_ROWS; r++) {
    want[r].min = INFINITY;
    want[r].max = -INFINITY;
  }
  for (int t = 0; t < THREADS; t++) {
    for (int j = 0; j < RECORDS; j++) {
      struct expected_row *row = &want[mix_shared(j) ? 0 : t + 1];
      int64_t v = mix_value(t, j);
      row->count++;
      row->sum += v;
      row->buckets[bucket_of((double)v)]++;
      row->min = fmin(row->min, (double)v);
      row->max = fmax(row->max, (double)v);
    }
  }
  /* Second pass: squared deviations from each row's exact mean. */
  for (int t = 0; t < THREADS; t++) {
    for (int j = 0; j < RECORDS; j++) {
      struct expected_row *row = &want[mix_shared(j) ? 0 : t + 1];
      double dev = (double)mix_value(t, j) - (double)row->sum / (double)row->count;
      row->ssd += dev * dev;
    }
  }

  census_view_data *s = get_data("conc/mix_sum");
  census_view_data *d = get_data("conc/mix_dist");
  assert_int_equal(census_view_data_row_count(s), MAX_ROWS);
  assert_int_equal(census_view_data_row_count(d), MAX_ROWS);
  for (int row = 0; row < MAX_ROWS; row++) {
    char value[16];
    if (row == 0) {
      strcpy(value, "shared");
    } else {
      snprintf(value, sizeof value, "t%d", row - 1);
    }
    bool found_s = false, found_d = false;
    for (size_t r = 0; r < MAX_ROWS; r++) {
      census_point p;
      if (strcmp(census_view_data_row_value(s, r, 0), value) == 0) {
        found_s = true;
        assert_int_equal(census_view_data_row_point(s, r, &p), CENSUS_OK);
        assert_int_equal(p.count, want[row].count);
        assert_int_equal(p.int_value, want[row].sum);
      }
      if (strcmp(census_view_data_row_value(d, r, 0), value) == 0) {
        found_d = true;
        assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
        assert_int_equal(p.count, want[row].count);
        /* The sum is an exact integer sum, merged from every thread's cells (on main, where
         * it was count * mean, this failed), and the mean is that sum over the count. */
        assert_int_equal(p.int_value, want[row].sum);
        assert_true(p.double_value == (double)want[row].sum);
        assert_true(p.mean == (double)want[row].sum / (double)want[row].count);
        /* Per-thread partial results are merged, so SSD is compared with 1e-9 tolerance. */
        assert_true(fabs(p.sum_of_squared_deviation - want[row].ssd) <= 1e-9 * want[row].ssd);
        assert_true(p.min == want[row].min);
        assert_true(p.max == want[row].max);
        assert_int_equal(p.bucket_count, NB + 1);
        for (size_t b = 0; b <= NB; b++) {
          assert_int_equal(p.bucket_counts[b], want[row].buckets[b]);
        }
      }
    }
    assert_true(found_s);
    assert_true(found_d);
  }
  census_view_data_free(s);
  census_view_data_free(d);
  assert_int_equal(view_total_count("conc/mix_count"), (int64_t)THREADS * RECORDS);
  census_tag_map_free(shared_tags);
}

/* ---- test 2: short-lived threads ---------------------------------------------------------- */

enum { SHORT_RECORDS = 1000 };
static const census_measure *short_measure;

static void *short_worker(void *arg) {
  (void)arg;
  for (int j = 0; j < SHORT_RECORDS; j++) {
    if (census_record_int64(short_measure, 2, NULL) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  return NULL;
}

static void run_short_threads(int n) {
  pthread_t th[THREADS];
  for (int t = 0; t < n; t++) {
    assert_int_equal(pthread_create(&th[t], NULL, short_worker, NULL), 0);
  }
  for (int t = 0; t < n; t++) {
    pthread_join(th[t], NULL);
  }
}

/* Proves: data of threads that exited before any collection are kept; threads started after a
 * collection are counted on top, round after round (thread slots reused); sums are exact. */
static void test_threads_exit_before_and_start_after_collection(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  short_measure = int_measure("conc/short");
  register_view("conc/short_sum", short_measure, NULL, 0, census_aggregation_sum_new());

  run_short_threads(THREADS); /* all exit before the first collection */
  int64_t want = (int64_t)THREADS * SHORT_RECORDS;
  census_view_data *d = get_data("conc/short_sum");
  census_point p;
  assert_int_equal(census_view_data_row_count(d), 1);
  census_view_data_row_point(d, 0, &p);
  assert_int_equal(p.count, want);
  assert_int_equal(p.int_value, 2 * want);
  census_view_data_free(d);

  for (int round = 0; round < 5; round++) {
    run_short_threads(round % 2 ? THREADS : 3); /* start after the collection above */
    want += (int64_t)(round % 2 ? THREADS : 3) * SHORT_RECORDS;
    d = get_data("conc/short_sum");
    census_view_data_row_point(d, 0, &p);
    assert_int_equal(p.count, want);
    assert_int_equal(p.int_value, 2 * want);
    census_view_data_free(d);
  }
  assert_int_equal(atomic_load(&worker_errors), 0);
}

static void *short_reader(void *arg) {
  (void)arg;
  while (!atomic_load(&stop_reader)) {
    census_view_data_free(census_view_data_get("conc/churn_count", NULL));
  }
  return NULL;
}

static const census_measure *churn_measure;

static void *churn_worker(void *arg) {
  (void)arg;
  for (int j = 0; j < SHORT_RECORDS; j++) {
    if (census_record_int64(churn_measure, 1, NULL) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  return NULL;
}

/* Proves: threads that come and go while a reader collects continuously lose nothing: 10 waves of
 * THREADS threads, each exiting while collections run, give an exact count. */
static void test_thread_churn_during_collection(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  churn_measure = int_measure("conc/churn");
  register_view("conc/churn_count", churn_measure, NULL, 0, census_aggregation_count_new());
  atomic_store(&stop_reader, false);
  pthread_t reader;
  assert_int_equal(pthread_create(&reader, NULL, short_reader, NULL), 0);
  enum { WAVES = 10 };
  for (int w = 0; w < WAVES; w++) {
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
      assert_int_equal(pthread_create(&th[t], NULL, churn_worker, NULL), 0);
    }
    for (int t = 0; t < THREADS; t++) {
      pthread_join(th[t], NULL);
    }
  }
  atomic_store(&stop_reader, true);
  pthread_join(reader, NULL);
  assert_int_equal(atomic_load(&worker_errors), 0);
  assert_int_equal(view_total_count("conc/churn_count"), (int64_t)WAVES * THREADS * SHORT_RECORDS);
}

/* ---- test 3: measurement-map atomicity seen by an exporter -------------------------------- */

enum { ATOM_THREADS = 4, ATOM_RECORDS = 20000 };
static const census_measure *atom_a, *atom_b;
static atomic_int atom_batches, atom_mismatches, atom_missing;
static _Atomic int64_t atom_recorded; /* records made by the workers, all threads */
static atomic_long atom_last_a, atom_last_b;
static atomic_int flush_errors;
static int atom_user;

static int64_t batch_count(const census_view_data *const *views, size_t count, const char *name,
                           bool *found) {
  for (size_t i = 0; i < count; i++) {
    if (strcmp(census_view_data_name(views[i]), name) == 0) {
      *found = true;
      return total_count(views[i]);
    }
  }
  *found = false;
  return 0;
}

/* Every batch holds all views at one collection: A and B were always recorded together, so
 * their counts must be equal in every batch. */
static census_status atom_export(void *user, const census_view_data *const *views, size_t count) {
  if (user != &atom_user) {
    atomic_fetch_add(&atom_missing, 1);
  }
  bool fa, fb;
  int64_t a = batch_count(views, count, "conc/atom_a", &fa);
  int64_t b = batch_count(views, count, "conc/atom_b", &fb);
  if (!fa || !fb) {
    atomic_fetch_add(&atom_missing, 1);
  }
  if (a != b) {
    atomic_fetch_add(&atom_mismatches, 1);
  }
  atomic_store(&atom_last_a, a);
  atomic_store(&atom_last_b, b);
  atomic_fetch_add(&atom_batches, 1);
  return CENSUS_OK;
}

static void *atom_worker(void *arg) {
  (void)arg;
  census_measurement_map *mm = census_measurement_map_new();
  if (!mm || census_measurement_map_put_int64(mm, atom_a, 1) != CENSUS_OK ||
      census_measurement_map_put_int64(mm, atom_b, 1) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
    return NULL;
  }
  /* At least ATOM_RECORDS, and on until the flusher has exported twice while this thread
   * records: with records of a few ns, 4 x 20000 can end before a loaded machine schedules the
   * flusher at all, and the test would prove nothing about a record racing an export. */
  int64_t j = 0;
  for (; j < ATOM_RECORDS || atomic_load(&atom_batches) < 2; j++) {
    if (census_measurement_map_record(mm, NULL) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  atomic_fetch_add(&atom_recorded, j);
  census_measurement_map_free(mm);
  return NULL;
}

static void *atom_flusher(void *arg) {
  (void)arg;
  while (!atomic_load(&stop_reader)) {
    if (census_flush(5000) != CENSUS_OK) {
      atomic_fetch_add(&flush_errors, 1);
    }
  }
  return NULL;
}

/* Proves: a measurement map is recorded atomically with respect to collection: ATOM_THREADS
 * threads record a map {A: 1, B: 1} while another thread flushes in a loop; in every exported
 * batch count(A) == count(B), and the final batch holds the exact total for both. */
static void test_map_atomic_with_respect_to_export(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  atom_a = int_measure("conc/atom_a");
  atom_b = int_measure("conc/atom_b");
  register_view("conc/atom_a", atom_a, NULL, 0, census_aggregation_count_new());
  register_view("conc/atom_b", atom_b, NULL, 0, census_aggregation_count_new());
  census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                   .export_views = atom_export,
                                   .flush = NULL,
                                   .shutdown = NULL};
  assert_int_equal(census_stats_exporter_register(&ops, &atom_user), CENSUS_OK);

  atomic_store(&stop_reader, false);
  pthread_t flusher, workers[ATOM_THREADS];
  assert_int_equal(pthread_create(&flusher, NULL, atom_flusher, NULL), 0);
  for (int t = 0; t < ATOM_THREADS; t++) {
    assert_int_equal(pthread_create(&workers[t], NULL, atom_worker, NULL), 0);
  }
  for (int t = 0; t < ATOM_THREADS; t++) {
    pthread_join(workers[t], NULL);
  }
  atomic_store(&stop_reader, true);
  pthread_join(flusher, NULL);
  assert_int_equal(census_flush(5000), CENSUS_OK);

  assert_int_equal(atomic_load(&worker_errors), 0);
  assert_int_equal(atomic_load(&flush_errors), 0);
  assert_int_equal(atomic_load(&atom_missing), 0);
  assert_int_equal(atomic_load(&atom_mismatches), 0);
  assert_true(atomic_load(&atom_batches) >= 2);
  const int64_t total = atomic_load(&atom_recorded);
  assert_true(total >= (int64_t)ATOM_THREADS * ATOM_RECORDS);
  assert_int_equal(atomic_load(&atom_last_a), total);
  assert_int_equal(atomic_load(&atom_last_b), total);
  assert_int_equal(census_stats_exporter_unregister(&atom_user, 5000), CENSUS_OK);
}

/* ---- test 3b: data of live threads --------------------------------------------------------- */

static const census_measure *live_measure;
static atomic_int live_recorded; /* records done by the live workers */
static atomic_bool live_release;

static void *live_worker(void *arg) {
  int n = (int)(intptr_t)arg;
  for (int j = 0; j < n; j++) {
    if (census_record_int64(live_measure, 3, NULL) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  atomic_fetch_add(&live_recorded, n);
  while (!atomic_load(&live_release)) { /* stay alive, idle, until the main thread has read */
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  /* Record once more after the main thread's first read, then exit. */
  if (census_record_int64(live_measure, 3, NULL) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
  }
  return NULL;
}

/* Proves: census_view_data_get() collects what threads that are still alive (idle, not exited)
 * recorded before the call: the count is exact while they live, and their records after it are
 * added in the next snapshot once they exit. */
static void test_live_thread_data_collected(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  live_measure = int_measure("conc/live");
  register_view("conc/live_sum", live_measure, NULL, 0, census_aggregation_sum_new());
  pthread_t th[THREADS];
  int64_t want = 0;
  for (int t = 0; t < THREADS; t++) {
    int n = 100 * (t + 1);
    want += n;
    assert_int_equal(pthread_create(&th[t], NULL, live_worker, (void *)(intptr_t)n), 0);
  }
  while (atomic_load(&live_recorded) < want) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  census_view_data *d = get_data("conc/live_sum");
  census_point p;
  assert_int_equal(census_view_data_row_count(d), 1);
  census_view_data_row_point(d, 0, &p);
  assert_int_equal(p.count, want);
  assert_int_equal(p.int_value, 3 * want);
  census_view_data_free(d);

  atomic_store(&live_release, true);
  for (int t = 0; t < THREADS; t++) {
    pthread_join(th[t], NULL);
  }
  want += THREADS;
  d = get_data("conc/live_sum");
  census_view_data_row_point(d, 0, &p);
  assert_int_equal(p.count, want);
  assert_int_equal(p.int_value, 3 * want);
  census_view_data_free(d);
  assert_int_equal(atomic_load(&worker_errors), 0);
}

/* ---- test 3c: last value across threads --------------------------------------------------- */

static const census_measure *lv_measure;
static atomic_int lv_stage; /* 1: the idle thread has recorded; 2: it may exit */

static void *lv_idle_worker(void *arg) {
  (void)arg;
  if (census_record_int64(lv_measure, 5, NULL) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
  }
  atomic_store(&lv_stage, 1);
  while (atomic_load(&lv_stage) != 2) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void *lv_once_worker(void *arg) {
  if (census_record_int64(lv_measure, (int64_t)(intptr_t)arg, NULL) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
  }
  return NULL;
}

static int64_t last_value_now(void) {
  census_view_data *d = get_data("conc/lv_last");
  census_point p;
  assert_int_equal(census_view_data_row_count(d), 1);
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  census_view_data_free(d);
  return p.int_value;
}

/* Proves: LAST_VALUE is the latest record over all threads, whatever order threads' cells are
 * merged in: a value recorded by a still-alive thread (5) is superseded by a later one from a
 * thread that has exited (7), then by the main thread (2), then by another short-lived thread
 * (9, after a collection); the old value of the idle thread never comes back. */
static void test_last_value_across_threads(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  lv_measure = int_measure("conc/lv");
  register_view("conc/lv_last", lv_measure, NULL, 0, census_aggregation_last_value_new());
  pthread_t idle, once;
  assert_int_equal(pthread_create(&idle, NULL, lv_idle_worker, NULL), 0);
  while (atomic_load(&lv_stage) != 1) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(pthread_create(&once, NULL, lv_once_worker, (void *)(intptr_t)7), 0);
  pthread_join(once, NULL);
  assert_int_equal(last_value_now(), 7);
  assert_int_equal(census_record_int64(lv_measure, 2, NULL), CENSUS_OK);
  assert_int_equal(last_value_now(), 2);
  assert_int_equal(pthread_create(&once, NULL, lv_once_worker, (void *)(intptr_t)9), 0);
  pthread_join(once, NULL);
  atomic_store(&lv_stage, 2);
  pthread_join(idle, NULL);
  assert_int_equal(last_value_now(), 9);
  assert_int_equal(atomic_load(&worker_errors), 0);
}

/* ---- test 4: registration and cardinality under concurrent recording --------------------- */

enum { REG_VIEWS = 20, CARD_LIMIT = 5, CARD_TUPLES_PER_THREAD = 50 };
static const census_measure *reg_measure;
static const census_tag_key *card_key;
static atomic_int registered_views;

static void *reg_worker(void *arg) {
  int t = (int)(intptr_t)arg;
  char value[16];
  census_tag_map *tags = census_tag_map_new();
  for (int j = 0; j < RECORDS; j++) {
    /* Each thread cycles through its own CARD_TUPLES_PER_THREAD tuples. */
    snprintf(value, sizeof value, "t%d_%d", t, j % CARD_TUPLES_PER_THREAD);
    if (census_tag_map_put(tags, card_key, value) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    }
    census_status st = census_record_int64(reg_measure, 1, tags);
    if (st != CENSUS_OK && st != CENSUS_ELIMIT) {
      atomic_fetch_add(&worker_errors, 1);
    }
  }
  census_tag_map_free(tags);
  return NULL;
}

static void *reg_registrar(void *arg) {
  (void)arg;
  for (int i = 0; i < REG_VIEWS; i++) {
    char name[32];
    snprintf(name, sizeof name, "conc/reg_late_%d", i);
    census_aggregation *agg = census_aggregation_count_new();
    census_view *v = census_view_new(name, NULL, reg_measure, NULL, 0, agg, NULL);
    if (!v || census_view_register(v) != CENSUS_OK) {
      atomic_fetch_add(&worker_errors, 1);
    } else {
      atomic_fetch_add(&registered_views, 1);
    }
    census_view_free(v);
    census_aggregation_free(agg);
  }
  return NULL;
}

/* Proves: views can be registered while other threads record (no error, and each late view
 * counts at most what was recorded in total, later views no more than earlier ones, since data
 * count from registration); and the cardinality limit holds under concurrency: THREADS threads
 * creating THREADS * CARD_TUPLES_PER_THREAD distinct tuples in a view limited to CARD_LIMIT
 * series give exactly CARD_LIMIT normal rows plus one overflow row, with an exact total. */
static void test_register_and_limit_while_recording(void **state) {
  (void)state;
  atomic_store(&worker_errors, 0);
  reg_measure = int_measure("conc/reg");
  card_key = key("conc_card_k");
  register_view("conc/reg_early", reg_measure, NULL, 0, census_aggregation_count_new());
  register_view_limited("conc/reg_limited", reg_measure, &card_key, 1,
                        census_aggregation_count_new(), CARD_LIMIT);

  pthread_t workers[THREADS], registrar;
  for (int t = 0; t < THREADS; t++) {
    assert_int_equal(pthread_create(&workers[t], NULL, reg_worker, (void *)(intptr_t)t), 0);
  }
  assert_int_equal(pthread_create(&registrar, NULL, reg_registrar, NULL), 0);
  for (int t = 0; t < THREADS; t++) {
    pthread_join(workers[t], NULL);
  }
  pthread_join(registrar, NULL);
  assert_int_equal(atomic_load(&worker_errors), 0);
  assert_int_equal(atomic_load(&registered_views), REG_VIEWS);

  const int64_t total = (int64_t)THREADS * RECORDS;
  assert_int_equal(view_total_count("conc/reg_early"), total);
  int64_t previous = total;
  for (int i = 0; i < REG_VIEWS; i++) {
    char name[32];
    snprintf(name, sizeof name, "conc/reg_late_%d", i);
    int64_t c = view_total_count(name);
    assert_true(c >= 0 && c <= previous);
    previous = c;
  }

  census_view_data *d = get_data("conc/reg_limited");
  assert_int_equal(census_view_data_row_count(d), CARD_LIMIT + 1);
  int overflow = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    overflow += census_view_data_row_is_overflow(d, r);
  }
  assert_int_equal(overflow, 1);
  assert_int_equal(total_count(d), total);
  census_view_data_free(d);
}

/* ---- test 5: calls to one exporter never overlap ------------------------------------------ */

static atomic_int overlap_inflight, overlap_seen, overlap_calls;
static int overlap_user;

static census_status overlap_export(void *user, const census_view_data *const *views,
                                    size_t count) {
  if (atomic_fetch_add(&overlap_inflight, 1) != 0) {
    atomic_fetch_add(&overlap_seen, 1);
  }
  for (volatile int spin = 0; spin < 10000; spin++) {
  }
  atomic_fetch_add(&overlap_calls, 1);
  atomic_fetch_sub(&overlap_inflight, 1);
  return CENSUS_OK;
}

static census_status overlap_flush(void *user, int64_t timeout_ms) {
  if (atomic_fetch_add(&overlap_inflight, 1) != 0) {
    atomic_fetch_add(&overlap_seen, 1);
  }
  atomic_fetch_sub(&overlap_inflight, 1);
  return CENSUS_OK;
}

static void *overlap_flusher(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    if (census_flush(5000) != CENSUS_OK) {
      atomic_fetch_add(&flush_errors, 1);
    }
  }
  return NULL;
}

/* Proves: exporter.h's "calls to one exporter never overlap": three threads calling census_flush
 * while the worker exports every millisecond never have two callbacks of one exporter running at
 * once. */
static void test_exporter_calls_never_overlap(void **state) {
  (void)state;
  atomic_store(&flush_errors, 0);
  census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                   .export_views = overlap_export,
                                   .flush = overlap_flush,
                                   .shutdown = NULL};
  assert_int_equal(census_stats_exporter_register(&ops, &overlap_user), CENSUS_OK);
  assert_int_equal(census_export_set_interval_ms(1), CENSUS_OK);
  pthread_t th[3];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(pthread_create(&th[i], NULL, overlap_flusher, NULL), 0);
  }
  for (int i = 0; i < 3; i++) {
    pthread_join(th[i], NULL);
  }
  assert_int_equal(census_export_set_interval_ms(CENSUS_DEFAULT_EXPORT_INTERVAL_MS), CENSUS_OK);
  assert_int_equal(census_stats_exporter_unregister(&overlap_user, 5000), CENSUS_OK);
  assert_int_equal(atomic_load(&flush_errors), 0);
  assert_int_equal(atomic_load(&overlap_seen), 0);
  assert_true(atomic_load(&overlap_calls) >= 3 * 200);
}

/* ---- saturation across threads ------------------------------------------------------------ */

static const census_measure *sat_measure;
static pthread_barrier_t sat_recorded, sat_collected;

/* Records one value (arg) into sat_measure, then stays alive until the main thread collected. */
static void *sat_worker(void *arg) {
  if (census_record_int64(sat_measure, (int64_t)(intptr_t)arg, NULL) != CENSUS_OK) {
    atomic_fetch_add(&worker_errors, 1);
  }
  pthread_barrier_wait(&sat_recorded);
  pthread_barrier_wait(&sat_collected);
  return NULL;
}

/* Proves: an int64 Sum whose two live threads' cells hold INT64_MAX - 1 and 2 is merged at
 * collection into INT64_MAX (saturated), not a negative sum, and census/saturated_rows counts the
 * row once in the next collection; the count (2) is exact. Fails on main, where the merge wrapped
 * to INT64_MIN. */
static void test_int_sum_saturates_across_threads(void **state) {
  (void)state;
  sat_measure = int_measure("conc/sat");
  register_view("conc/sat_sum", sat_measure, NULL, 0, census_aggregation_sum_new());
  census_diagnostics_set_callback(NULL,
                                  NULL); /* the saturation report is checked in test_aggregation */
  atomic_store(&worker_errors, 0);
  pthread_barrier_init(&sat_recorded, NULL, 3);
  pthread_barrier_init(&sat_collected, NULL, 3);
  pthread_t a, b;
  assert_int_equal(pthread_create(&a, NULL, sat_worker, (void *)(intptr_t)(INT64_MAX - 1)), 0);
  assert_int_equal(pthread_create(&b, NULL, sat_worker, (void *)(intptr_t)2), 0);
  pthread_barrier_wait(&sat_recorded);
  census_view_data *d = get_data("conc/sat_sum"); /* both threads alive: their cells are merged */
  pthread_barrier_wait(&sat_collected);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  pthread_barrier_destroy(&sat_recorded);
  pthread_barrier_destroy(&sat_collected);
  assert_int_equal(atomic_load(&worker_errors), 0);
  assert_int_equal(census_view_data_row_count(d), 1);
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 2);
  assert_int_equal(p.int_value, INT64_MAX);
  census_view_data_free(d);
  assert_int_equal(saturated_rows("conc/sat_sum"), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_threads_exact_totals),
      cmocka_unit_test(test_threads_exit_before_and_start_after_collection),
      cmocka_unit_test(test_thread_churn_during_collection),
      cmocka_unit_test(test_map_atomic_with_respect_to_export),
      cmocka_unit_test(test_live_thread_data_collected),
      cmocka_unit_test(test_last_value_across_threads),
      cmocka_unit_test(test_register_and_limit_while_recording),
      cmocka_unit_test(test_exporter_calls_never_overlap),
      cmocka_unit_test(test_int_sum_saturates_across_threads),
  };
  return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
