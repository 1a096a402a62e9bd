/* test_shm_shapes.c - shared-memory mode's own record shapes against the plain path.
 *
 * In shared-memory mode a one-view record whose cell is in the thread's cache of recent cells
 * takes recorder.c's record_shm() (COUNT and SUM spelled out, DISTRIBUTION through
 * record_shm_distribution(), the other aggregations through record_shm_cached()), and a bound
 * handle's generation made in the mode records through bound.c's bound_shm_* functions (one COUNT
 * view, one int64 SUM view, one DISTRIBUTION view, several views). Each updates its shared cell
 * only: in the mode a record goes to the shared cell, never also to the in-process cell (shm.h,
 * census__shm_record()). The plain path is a measurement map of two measures (recorder.c's
 * record_many()): the general lookup and census__shm_record(), one cell at a time.
 *
 * Each test records the same values, from two threads, into a measure through a shape and into
 * its twin (a measure with the same view) through the plain path, and requires the twins' rows to
 * be identical in the group's view (the shared cells in this process's file), and this process's
 * own collection (the in-process cells) to hold none of the mode's records: exactly the records
 * made before the mode (EARLY per bound twin, none unbound). Counts, sums, buckets, min, max and
 * last values must be equal exactly, the mean and the sum of squared deviation to 1e-12 (the
 * values are multiples of 1/4, so every sum is exact; the tolerance only covers the merge's
 * shifts). The in-process check fails if a shape or the plain path also updated the in-process
 * half (the record would be counted twice once the collector carries that half into the file).
 *   - unbound_shapes_match_plain_path: COUNT, int and double SUM, a signed measure's SUM,
 *     int, double and signed DISTRIBUTION, LAST_VALUE and EXPONENTIAL views, recorded directly
 *     (census_record_*) and through a map of one measure, with two tag maps (two series, the
 *     cache of recent cells switching between them). Fails, for one, if record_shm() updated a
 *     SUM's shared cell as a COUNT, added a double as an int, or also wrote the in-process half.
 *   - bound_shapes_match_plain_path: handles bound and used before the mode is turned on (their
 *     generation then changes to one of the mode's), then recorded from two threads: one COUNT
 *     (int64 and double measures), one int64 SUM, one DISTRIBUTION (int64 and double), and a
 *     handle of two views (the mode's general shape). Fails if a shape misses its shared cell
 *     (the group's rows would hold only the plain twin's records) or also writes the in-process
 *     half.
 *   - exemplar_view_shares_values_reports_once: a DISTRIBUTION view registered with exemplars
 *     (filter ALWAYS_ON): in the mode its values reach the group's view exactly once and the
 *     in-process cells none, and the loss of its exemplars (the file has no room for them) is
 *     reported once, CENSUS_ELIMIT naming the view. Fails on main (no report; every record also
 *     in the in-process cells).
 * The unbound list's signed DISTRIBUTION twin (record_shm_distribution()'s int branch with the
 * sign read from the measure) makes the first test's group 18 views: more than the reader's first
 * array of 16, which on main's shm_read.c made the merge read freed memory (its views' measure
 * pointers were left in the old array; ASan reports it, a release build usually reads stale but
 * equal bytes).
 * These shapes are new in this change: on main, the same records took the general paths, so the
 * tests pass there too; they guard the shapes' equivalence, not a behaviour main lacked.
 */
#include "support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/shm.h"
#include "core/clock.h"
#include "stats/collector.h"
#include "stats/view.h"
#include "stats/view_data.h"

#define N 3000   /* records per thread and measure */
#define EARLY 50 /* records through each handle before the mode is turned on */

static const census_tag_key *col;
static const census_measure *pad; /* no view: makes a map of two measures (record_many()) */
static char *dir;

/* A measure recorded through a shape and its twin recorded through the plain path. */
struct twin {
  const char *name; /* the views are "fast/<name>" and "plain/<name>" */
  census_measure_type type;
  bool is_signed;
  const census_measure *fast, *plain;
  census_bound_measure *handle; /* bound_shapes_match_plain_path() only */
};

/* The i-th value recorded: multiples of 1/4 (exact sums), changing bucket of bounds {1, 3, 5}
 * from one record to the next, negative for a signed measure, the same last value everywhere. */
static double value_of(const struct twin *t, int64_t i) {
  double v = (double)((i * 5) % 9);
  if (t->type == CENSUS_MEASURE_DOUBLE) {
    v = v / 4 + 0.25;
  }
  return t->is_signed ? v - 4 : v;
}

static const census_measure *twin_measure(const struct twin *t, const char *prefix) {
  char name[64];
  snprintf(name, sizeof name, "%s/%s", prefix, t->name);
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.value_type = t->type;
  o.signed_values = t->is_signed;
  const census_measure *m = census_measure_new(&o, NULL);
  assert_non_null(m);
  return m;
}

/* Makes the twin's measures and registers `agg` (then a copy of it, made by `make`) as a view of
 * each, with the one column. */
static void twin_make(struct twin *t, census_aggregation *(*make)(void)) {
  t->fast = twin_measure(t, "fast");
  t->plain = twin_measure(t, "plain");
  char name[64];
  snprintf(name, sizeof name, "fast/%s", t->name);
  register_view(name, t->fast, &col, 1, make());
  snprintf(name, sizeof name, "plain/%s", t->name);
  register_view(name, t->plain, &col, 1, make());
}

static census_aggregation *count_agg(void) { return census_aggregation_count_new(); }
static census_aggregation *sum_agg(void) { return census_aggregation_sum_new(); }
static census_aggregation *last_agg(void) { return census_aggregation_last_value_new(); }
static census_aggregation *dist_agg(void) {
  double bounds[] = {1, 3, 5};
  return census_aggregation_distribution_new(bounds, 3, NULL);
}
static census_aggregation *exp_agg(void) { return census_aggregation_exponential_new(4, 20, NULL); }

/* Records value i of `t` through the plain path: a map of `t->plain` and `pad`. */
static void record_plain(const struct twin *t, census_measurement_map *map, int64_t i,
                         const census_tag_map *tags) {
  census_measurement_map_clear(map);
  double v = value_of(t, i);
  assert_int_equal(t->type == CENSUS_MEASURE_INT64
                       ? census_measurement_map_put_int64(map, t->plain, (int64_t)v)
                       : census_measurement_map_put_double(map, t->plain, v),
                   CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(map, pad, 1), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(map, tags), CENSUS_OK);
}

static void assert_points_equal(const char *what, census_point a, census_point b) {
  if (a.count != b.count || a.int_value != b.int_value || a.double_value != b.double_value ||
      a.min != b.min || a.max != b.max || a.bucket_count != b.bucket_count ||
      fabs(a.mean - b.mean) > 1e-12 * (1 + fabs(b.mean)) ||
      fabs(a.sum_of_squared_deviation - b.sum_of_squared_deviation) >
          1e-12 * (1 + fabs(b.sum_of_squared_deviation))) {
    fail_msg("%s: shape count %lld sum %lld/%g min %g max %g mean %g ssd %g; plain count %lld "
             "sum %lld/%g min %g max %g mean %g ssd %g",
             what, (long long)a.count, (long long)a.int_value, a.double_value, a.min, a.max, a.mean,
             a.sum_of_squared_deviation, (long long)b.count, (long long)b.int_value, b.double_value,
             b.min, b.max, b.mean, b.sum_of_squared_deviation);
  }
  for (size_t k = 0; k < a.bucket_count; k++) {
    if (a.bucket_counts[k] != b.bucket_counts[k]) {
      fail_msg("%s: bucket %zu: shape %lld, plain %lld", what, k, (long long)a.bucket_counts[k],
               (long long)b.bucket_counts[k]);
    }
  }
}

static const census_view_data *find_view(census_view_data **views, size_t count, const char *name) {
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), name) == 0) {
      return views[v];
    }
  }
  fail_msg("no view %s", name);
  return NULL;
}

/* The row of column value `value` in `d`. */
static census_point row_point(const census_view_data *d, const char *value, const char *what) {
  census_point p = {.count = -1};
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), value) == 0) {
      assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
      return p;
    }
  }
  fail_msg("%s: no row %s", what, value);
  return p;
}

/* Checks each twin's fast and plain views, rows `values`, equal in `views` (`where` names them),
 * each row holding at least `min_count` records. */
static void check_twins(census_view_data **views, size_t count, const struct twin *twins, size_t n,
                        const char *const *values, size_t value_count, int64_t min_count,
                        const char *where) {
  for (size_t t = 0; t < n; t++) {
    char fast[64], plain[64], what[160];
    snprintf(fast, sizeof fast, "fast/%s", twins[t].name);
    snprintf(plain, sizeof plain, "plain/%s", twins[t].name);
    for (size_t v = 0; v < value_count; v++) {
      snprintf(what, sizeof what, "%s, %s, row %s", where, twins[t].name, values[v]);
      census_point a = row_point(find_view(views, count, fast), values[v], what);
      census_point b = row_point(find_view(views, count, plain), values[v], what);
      if (b.count < min_count && strcmp(twins[t].name, "last") != 0) {
        fail_msg("%s: %lld records, expected at least %lld", what, (long long)b.count,
                 (long long)min_count);
      }
      assert_points_equal(what, a, b);
    }
  }
}

/* Checks that each twin's fast and plain rows `values` in `views` (this process's own
 * collection: its in-process cells) hold exactly `exact` records, none if 0 (no row, or an empty
 * one): in the mode a record goes to its shared cell only, so only the records made before the
 * mode are there. */
static void check_in_process(census_view_data **views, size_t count, const struct twin *twins,
                             size_t n, const char *const *values, size_t value_count,
                             int64_t exact) {
  for (size_t t = 0; t < n; t++) {
    for (int plain = 0; plain < 2; plain++) {
      char name[64], what[160];
      snprintf(name, sizeof name, "%s/%s", plain ? "plain" : "fast", twins[t].name);
      const census_view_data *d = find_view(views, count, name);
      for (size_t v = 0; v < value_count; v++) {
        snprintf(what, sizeof what, "in-process, %s, row %s", name, values[v]);
        int64_t records = 0;
        for (size_t r = 0; r < census_view_data_row_count(d); r++) {
          if (strcmp(census_view_data_row_value(d, r, 0), values[v]) == 0) {
            census_point p;
            assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
            records = p.count;
          }
        }
        if (records != exact) {
          fail_msg("%s: %lld records in the in-process cells, expected %lld", what,
                   (long long)records, (long long)exact);
        }
      }
    }
  }
}

/* Checks the twins in the group's view (the file's shared cells), and that this process's own
 * collection (the in-process cells) holds exactly `own_exact` records per row. */
static void check_both(const struct twin *twins, size_t n, const char *const *values,
                       size_t value_count, int64_t group_min, int64_t own_exact) {
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  check_twins(views, count, twins, n, values, value_count, group_min, "group");
  census_view_data_free_all(views, count);
  census__collector_lock();
  assert_int_equal(census__collect_locked(), CENSUS_OK);
  views = census__view_data_build_all(&count);
  census__collector_unlock();
  assert_non_null(views);
  check_in_process(views, count, twins, n, values, value_count, own_exact);
  census__view_data_free_all(views, count);
}

/* ---- unbound ------------------------------------------------------------------------------ */

static struct twin unbound[] = {
    {"count", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"sum_int", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"sum_double", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
    {"sum_signed", CENSUS_MEASURE_INT64, true, NULL, NULL, NULL},
    {"dist_int", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"dist_double", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
    {"dist_signed", CENSUS_MEASURE_INT64, true, NULL, NULL, NULL},
    {"last", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"exp", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
};
#define UNBOUND (sizeof unbound / sizeof unbound[0])

static void *unbound_thread(void *arg) {
  (void)arg;
  census_tag_map *tags[2] = {census_tag_map_new(), census_tag_map_new()};
  census_tag_map_put(tags[0], col, "a");
  census_tag_map_put(tags[1], col, "b");
  census_measurement_map *one = census_measurement_map_new(), *two = census_measurement_map_new();
  for (int64_t i = 0; i < N; i++) {
    const census_tag_map *t = tags[(i / 7) % 2]; /* runs of seven records per series */
    for (size_t m = 0; m < UNBOUND; m++) {
      const struct twin *tw = &unbound[m];
      double v = value_of(tw, i);
      if (i % 3 == 0) { /* a map of one measure: the given measurement's way in */
        census_measurement_map_clear(one);
        assert_int_equal(tw->type == CENSUS_MEASURE_INT64
                             ? census_measurement_map_put_int64(one, tw->fast, (int64_t)v)
                             : census_measurement_map_put_double(one, tw->fast, v),
                         CENSUS_OK);
        assert_int_equal(census_measurement_map_record(one, t), CENSUS_OK);
      } else {
        assert_int_equal(tw->type == CENSUS_MEASURE_INT64
                             ? census_record_int64(tw->fast, (int64_t)v, t)
                             : census_record_double(tw->fast, v, t),
                         CENSUS_OK);
      }
      record_plain(tw, two, i, t);
    }
  }
  census_measurement_map_free(one);
  census_measurement_map_free(two);
  census_tag_map_free(tags[0]);
  census_tag_map_free(tags[1]);
  return NULL;
}

static void unbound_shapes_match_plain_path(void **state) {
  (void)state;
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&t[i], NULL, unbound_thread, NULL), 0);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
  }
  const char *values[] = {"a", "b"};
  check_both(unbound, UNBOUND, values, 2, N / 2, 0);
}

/* ---- bound -------------------------------------------------------------------------------- */

static struct twin bound[] = {
    {"b_count_int", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"b_count_double", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
    {"b_sum_int", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"b_dist_int", CENSUS_MEASURE_INT64, false, NULL, NULL, NULL},
    {"b_dist_double", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
    {"b_views", CENSUS_MEASURE_DOUBLE, false, NULL, NULL, NULL},
};
#define BOUND (sizeof bound / sizeof bound[0])

/* Records values first .. first + n - 1 of each bound twin: through its handle and through the
 * plain path. */
static void record_bound(int64_t first, int64_t n) {
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, col, "h");
  census_measurement_map *two = census_measurement_map_new();
  for (int64_t i = first; i < first + n; i++) {
    for (size_t m = 0; m < BOUND; m++) {
      const struct twin *tw = &bound[m];
      double v = value_of(tw, i);
      assert_int_equal(tw->type == CENSUS_MEASURE_INT64
                           ? census_bound_record_int64(tw->handle, (int64_t)v)
                           : census_bound_record_double(tw->handle, v),
                       CENSUS_OK);
      record_plain(tw, two, i, tags);
    }
  }
  census_measurement_map_free(two);
  census_tag_map_free(tags);
}

static void *bound_thread(void *arg) {
  (void)arg;
  record_bound(0, N);
  return NULL;
}

static void bound_shapes_match_plain_path(void **state) {
  (void)state;
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&t[i], NULL, bound_thread, NULL), 0);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
  }
  const char *values[] = {"h"};
  check_both(bound, BOUND, values, 1, 2 * N, EARLY);
}

/* ---- exemplars ---------------------------------------------------------------------------- */

static const census_measure *exemplar_measure;
static int exemplar_reports;

static void on_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  if (status == CENSUS_ELIMIT && strstr(message, "\"ex/dist\"") && strstr(message, "exemplars")) {
    exemplar_reports++;
  }
}

static void exemplar_view_shares_values_reports_once(void **state) {
  (void)state;
  census_diagnostics_set_callback(on_diagnostic, NULL);
  census_tag_map *tags[2] = {census_tag_map_new(), census_tag_map_new()};
  census_tag_map_put(tags[0], col, "a");
  census_tag_map_put(tags[1], col, "b");
  for (int64_t i = 0; i < 100; i++) { /* two series: two cells attached, one report */
    assert_int_equal(census_record_int64(exemplar_measure, i % 7, tags[i % 2]), CENSUS_OK);
  }
  census_tag_map_free(tags[0]);
  census_tag_map_free(tags[1]);
  census_diagnostics_set_callback(NULL, NULL);
  assert_int_equal(exemplar_reports, 1);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  const census_view_data *d = find_view(views, count, "ex/dist");
  for (int k = 0; k < 2; k++) {
    census_point p = row_point(d, k ? "b" : "a", "ex/dist");
    assert_int_equal(p.count, 50);
  }
  census_view_data_free_all(views, count);
  census__collector_lock();
  assert_int_equal(census__collect_locked(), CENSUS_OK);
  views = census__view_data_build_all(&count);
  census__collector_unlock();
  assert_int_equal(census_view_data_row_count(find_view(views, count, "ex/dist")), 0);
  census__view_data_free_all(views, count);
}

/* Registers the twins' views, binds the handles and records EARLY values through each handle
 * before the mode is on (so the handles' generations are in-process ones with their fast path
 * vouched for), then turns shared-memory mode on in a fresh directory. */
static int setup(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  col = key("k");
  pad = int_measure("pad");
  census_aggregation *(*makes[])(void) = {count_agg, sum_agg,  sum_agg,  sum_agg, dist_agg,
                                          dist_agg,  dist_agg, last_agg, exp_agg};
  for (size_t i = 0; i < UNBOUND; i++) {
    twin_make(&unbound[i], makes[i]);
  }
  census_aggregation *(*bound_makes[])(void) = {count_agg, count_agg, sum_agg,
                                                dist_agg,  dist_agg,  count_agg};
  for (size_t i = 0; i < BOUND; i++) {
    twin_make(&bound[i], bound_makes[i]);
  }
  /* b_views: a second view on each twin, so the handle takes the several-view shape. */
  register_view("fast/b_views_dist", bound[BOUND - 1].fast, &col, 1, dist_agg());
  register_view("plain/b_views_dist", bound[BOUND - 1].plain, &col, 1, dist_agg());
  assert_int_equal(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON), CENSUS_OK);
  exemplar_measure = int_measure("ex");
  register_view("ex/dist", exemplar_measure, &col, 1, dist_agg());
  assert_int_equal(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF), CENSUS_OK);
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, col, "h");
  for (size_t i = 0; i < BOUND; i++) {
    bound[i].handle = census_measure_bind(bound[i].fast, tags, NULL);
    assert_non_null(bound[i].handle);
  }
  census_tag_map_free(tags);
  record_bound(0, EARLY);
  char tmpl[] = "/tmp/census-shm-shapes-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  dir = strdup(tmpl);
  assert_int_equal(census_shm_enable(dir), CENSUS_OK);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < BOUND; i++) {
    census_bound_measure_free(bound[i].handle);
  }
  census_shutdown(1000);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(unbound_shapes_match_plain_path),
      cmocka_unit_test(bound_shapes_match_plain_path),
      cmocka_unit_test(exemplar_view_shares_values_reports_once),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
