/* test_record.c - recording: measurement maps (multiple measures, replacement, poisoning, clear,
 * type rules), the direct census_record_* calls, the "census/dropped_measurements" self-metric,
 * the diagnostics callback, NULL tags, and views registered after recording started.
 *
 * Each test uses its own measure and view names (the view manager is process-global). The
 * self-metric and diagnostics are global too, so tests that read them compare before and after.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

/* ---- helpers ----------------------------------------------------------------------------- */
/* (int_measure, double_measure, register_view and get_data are in support.h) */

/* The point of a no-column view, or false if it has no row yet. */
static bool only_point(const char *view, census_point *p) {
  census_view_data *d = get_data(view);
  size_t rows = census_view_data_row_count(d);
  assert_true(rows <= 1);
  if (rows == 1) {
    assert_int_equal(census_view_data_row_point(d, 0, p), CENSUS_OK);
  }
  census_view_data_free(d);
  return rows == 1;
}

static int64_t count_of(const char *view) {
  census_point p;
  return only_point(view, &p) ? p.count : 0;
}

static int64_t int_sum_of(const char *view) {
  census_point p;
  return only_point(view, &p) ? p.int_value : 0;
}

static double double_sum_of(const char *view) {
  census_point p;
  return only_point(view, &p) ? p.double_value : 0;
}

/* The self-metric: total of census/dropped_measurements for reason "invalid_value" (0 while the
 * row does not exist yet). Also checks the view's documented shape. */
static int64_t dropped_invalid(void) {
  census_view_data *d = get_data("census/dropped_measurements");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_measure_value_type(census_view_data_measure(d)), CENSUS_MEASURE_INT64);
  assert_int_equal(census_view_data_column_count(d), 1);
  assert_string_equal(census_view_data_column(d, 0), "reason");
  int64_t total = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), "invalid_value") == 0) {
      census_point p;
      assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
      total += p.int_value;
    }
  }
  census_view_data_free(d);
  return total;
}

/* Diagnostics capture. */
static atomic_int diag_calls;
static atomic_int diag_last_status;
static atomic_int diag_empty_messages;
static int diag_user_token;
static atomic_int diag_wrong_user;

static void diag_capture(void *user, census_status status, const char *message) {
  if (user != &diag_user_token) {
    atomic_fetch_add(&diag_wrong_user, 1);
  }
  if (!message || message[0] == '\0') {
    atomic_fetch_add(&diag_empty_messages, 1);
  }
  atomic_store(&diag_last_status, status);
  atomic_fetch_add(&diag_calls, 1);
}

/* Runs before every test: silence default diagnostics (stderr) so refused values in one test do
 * not print; tests that check diagnostics install their own callback. */
static int quiet(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  return 0;
}

/* ---- default diagnostics ------------------------------------------------------------------ */

/* Proves: the default diagnostics callback (in force before any census_diagnostics_set_callback
 * call) writes the first 20 messages to stderr, one line each, then one line saying further ones
 * are suppressed, and nothing for the 21st..25th refusal (N = 20 and N + 1). Must run first. */
static void test_default_diagnostics_limit(void **state) {
  (void)state;
  const census_measure *m = int_measure("rec/default_diag");
  char path[] = "/tmp/census_test_stderr_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  fflush(stderr);
  int saved = dup(2);
  assert_true(saved >= 0);
  assert_true(dup2(fd, 2) == 2);
  for (int i = 0; i < 25; i++) {
    census_record_int64(m, -1, NULL);
  }
  fflush(stderr);
  dup2(saved, 2);
  close(saved);

  off_t size = lseek(fd, 0, SEEK_END);
  char *buf = malloc((size_t)size + 1);
  assert_non_null(buf);
  assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
  buf[size] = '\0';
  close(fd);
  int lines = 0;
  const char *last_line = buf;
  for (char *p = buf; *p; p++) {
    if (*p == '\n') {
      lines++;
      if (p[1]) {
        last_line = p + 1;
      }
    }
  }
  if (lines != 21) {
    fail_msg("expected 21 lines on stderr, got %d:\n%s", lines, buf);
  }
  assert_non_null(strstr(last_line, "suppress"));
  free(buf);
}

/* ---- measurement maps -------------------------------------------------------------------- */

/* Proves: one record of a map updates the views of every measure in it, each with its own value;
 * the map is left as it was, so recording it twice doubles every total. */
static void test_map_multiple_measures(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/multi_a");
  const census_measure *b = double_measure("rec/multi_b");
  const census_measure *c = int_measure("rec/multi_c");
  register_view("rec/multi_a_sum", a, NULL, 0, census_aggregation_sum_new());
  register_view("rec/multi_b_sum", b, NULL, 0, census_aggregation_sum_new());
  register_view("rec/multi_c_count", c, NULL, 0, census_aggregation_count_new());

  census_measurement_map *mm = census_measurement_map_new();
  assert_non_null(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 5), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_double(mm, b, 2.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, c, 1000), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("rec/multi_a_sum"), 5);
  assert_true(double_sum_of("rec/multi_b_sum") == 2.5);
  assert_int_equal(count_of("rec/multi_c_count"), 1);

  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("rec/multi_a_sum"), 10);
  assert_true(double_sum_of("rec/multi_b_sum") == 5.0);
  assert_int_equal(count_of("rec/multi_c_count"), 2);
  census_measurement_map_free(mm);
  census_measurement_map_free(NULL);
}

/* Proves: a later put for the same measure replaces the earlier one (one measurement of 7, not
 * two measurements 5 and 7). */
static void test_map_put_replaces(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/replace");
  register_view("rec/replace_sum", a, NULL, 0, census_aggregation_sum_new());
  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, a, 5), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 7), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_point p;
  assert_true(only_point("rec/replace_sum", &p));
  assert_int_equal(p.int_value, 7);
  assert_int_equal(p.count, 1);
  census_measurement_map_free(mm);
}

/* Proves: a negative put poisons the map: the put returns ENEGATIVE, every later record returns
 * ENEGATIVE and records nothing, not even the valid measure put before it or after it; clear()
 * makes the map usable again. */
static void test_map_poisoned_by_negative(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/poison_a");
  const census_measure *b = int_measure("rec/poison_b");
  const census_measure *c = double_measure("rec/poison_c");
  register_view("rec/poison_a_sum", a, NULL, 0, census_aggregation_sum_new());
  register_view("rec/poison_b_sum", b, NULL, 0, census_aggregation_sum_new());
  register_view("rec/poison_c_sum", c, NULL, 0, census_aggregation_sum_new());

  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, a, 3), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, b, -1), CENSUS_ENEGATIVE);
  assert_int_equal(census_measurement_map_put_double(mm, c, 1.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(count_of("rec/poison_a_sum"), 0);
  assert_int_equal(count_of("rec/poison_b_sum"), 0);
  assert_int_equal(count_of("rec/poison_c_sum"), 0);

  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 4), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("rec/poison_a_sum"), 4);
  /* clear() also emptied the valid entries: c was not recorded with it. */
  assert_int_equal(count_of("rec/poison_c_sum"), 0);
  assert_int_equal(count_of("rec/poison_b_sum"), 0);

  /* A negative double poisons too. */
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_double(mm, c, -0.5), CENSUS_ENEGATIVE);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 1), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(int_sum_of("rec/poison_a_sum"), 4);
  census_measurement_map_free(mm);
}

/* Proves: NaN and +/-infinity poison the map with ENONFINITE in the same way. */
static void test_map_poisoned_by_nonfinite(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/nonfinite_a");
  const census_measure *d = double_measure("rec/nonfinite_d");
  register_view("rec/nonfinite_a_count", a, NULL, 0, census_aggregation_count_new());
  register_view("rec/nonfinite_d_count", d, NULL, 0, census_aggregation_count_new());
  const double bad[] = {NAN, INFINITY, -INFINITY};
  census_measurement_map *mm = census_measurement_map_new();
  for (size_t i = 0; i < 3; i++) {
    census_measurement_map_clear(mm);
    assert_int_equal(census_measurement_map_put_int64(mm, a, 1), CENSUS_OK);
    assert_int_equal(census_measurement_map_put_double(mm, d, bad[i]), CENSUS_ENONFINITE);
    assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ENONFINITE);
  }
  assert_int_equal(count_of("rec/nonfinite_a_count"), 0);
  assert_int_equal(count_of("rec/nonfinite_d_count"), 0);
  census_measurement_map_free(mm);
}

/* Proves: put_double on an int64 measure is ETYPE and poisons the map (nothing recorded); even an
 * integral double such as 2.0 is refused (the rule is about the type, not the value).
 * put_int64 on a double measure is converted, exactly for 2^53. */
static void test_map_types(void **state) {
  (void)state;
  const census_measure *i = int_measure("rec/type_i");
  const census_measure *o = int_measure("rec/type_other");
  const census_measure *d = double_measure("rec/type_d");
  register_view("rec/type_i_sum", i, NULL, 0, census_aggregation_sum_new());
  register_view("rec/type_other_sum", o, NULL, 0, census_aggregation_sum_new());
  register_view("rec/type_d_sum", d, NULL, 0, census_aggregation_sum_new());

  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, o, 1), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_double(mm, i, 2.0), CENSUS_ETYPE);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ETYPE);
  assert_int_equal(count_of("rec/type_i_sum"), 0);
  assert_int_equal(count_of("rec/type_other_sum"), 0);

  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, d, 3), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_true(double_sum_of("rec/type_d_sum") == 3.0);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, d, INT64_C(1) << 53), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_true(double_sum_of("rec/type_d_sum") == 3.0 + 9007199254740992.0);
  census_measurement_map_free(mm);
}

/* Proves: NULL map or measure in a put is EINVAL. */
static void test_map_null_arguments(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/null_args");
  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(NULL, a, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_double(NULL, a, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_int64(mm, NULL, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_double(mm, NULL, 1.0), CENSUS_EINVAL);
  census_measurement_map_free(mm);
}

/* A double measure that accepts negative values. */
static const census_measure *signed_double_measure(const char *name) {
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.value_type = CENSUS_MEASURE_DOUBLE;
  o.signed_values = true;
  census_status st = 1;
  const census_measure *m = census_measure_new(&o, &st);
  assert_int_equal(st, CENSUS_OK);
  return m;
}

/* Proves: a put into the measure a map holds first (measurement_map.c's fast path, which tests
 * the first entry's measure without the count) does what a put into any entry does: after clear()
 * the same measure is appended again, not silently replaced in a slot the map no longer counts
 * (sum 2 + 30, count 2); a NULL measure is EINVAL on an empty, a cleared and a filled map; a
 * double put into an int64 measure held first is ETYPE; NaN, infinities and negatives put into a
 * double measure held first poison the map (a signed one takes negatives); an int64 put into a
 * double measure held first stores the value as a double. Fails if the fast path skips the type
 * or value checks, or if clear() leaves the first entry's measure in place. */
static void test_map_put_first_entry(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/first_a");
  const census_measure *d = double_measure("rec/first_d");
  const census_measure *sd = signed_double_measure("rec/first_signed");
  register_view("rec/first_a_sum", a, NULL, 0, census_aggregation_sum_new());
  register_view("rec/first_d_sum", d, NULL, 0, census_aggregation_sum_new());
  register_view("rec/first_signed_sum", sd, NULL, 0, census_aggregation_sum_new());
  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, NULL, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_double(mm, NULL, 1.0), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 2), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, NULL, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_double(mm, NULL, 1.0), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, NULL, 1), CENSUS_EINVAL);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 30), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_point p;
  assert_true(only_point("rec/first_a_sum", &p));
  assert_int_equal(p.int_value, 32);
  assert_int_equal(p.count, 2);
  assert_int_equal(census_measurement_map_put_double(mm, a, 1.0), CENSUS_ETYPE);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ETYPE);

  const double bad[] = {NAN, INFINITY, -INFINITY, -1.0};
  const census_status why[] = {CENSUS_ENONFINITE, CENSUS_ENONFINITE, CENSUS_ENONFINITE,
                               CENSUS_ENEGATIVE};
  for (size_t i = 0; i < 4; i++) {
    census_measurement_map_clear(mm);
    assert_int_equal(census_measurement_map_put_double(mm, d, 0.5), CENSUS_OK);
    assert_int_equal(census_measurement_map_put_double(mm, d, bad[i]), why[i]);
    assert_int_equal(census_measurement_map_record(mm, NULL), why[i]);
  }
  assert_int_equal(count_of("rec/first_d_sum"), 0);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_double(mm, d, 0.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, d, 4), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_true(double_sum_of("rec/first_d_sum") == 4.0);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_double(mm, sd, 0.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_double(mm, sd, -2.5), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_true(double_sum_of("rec/first_signed_sum") == -2.5);
  census_measurement_map_free(mm);
}

/* Proves: census_record_double() and census_measurement_map_put_double() accept and refuse the
 * edges of the double range as OpenCensus's rules say (NaN of either sign and infinities
 * ENONFINITE, negatives ENEGATIVE unless the measure is signed, -0, subnormals and DBL_MAX
 * accepted, a double into an int64 measure ETYPE), and record exactly the accepted ones. Both
 * calls take a one-compare test of the value's bits first (recorder.h's
 * census__double_plainly_valid()) and the full check only for what it leaves out; this fails if
 * that shortcut lets a bad value through or refuses a good one (-0, a subnormal). The expected
 * status is computed here from isnan/isinf/sign, not by the library. */
static void test_double_value_edges(void **state) {
  (void)state;
  const census_measure *measures[3] = {double_measure("rec/edges"),
                                       signed_double_measure("rec/edges_signed"),
                                       int_measure("rec/edges_int")};
  const char *views[3] = {"rec/edges_count", "rec/edges_signed_count", "rec/edges_int_count"};
  for (int i = 0; i < 3; i++) {
    register_view(views[i], measures[i], NULL, 0, census_aggregation_count_new());
  }
  const double values[] = {0.0,      -0.0,      1.0,       -1.0,    DBL_MIN,
                           -DBL_MIN, 4.9e-324,  -4.9e-324, DBL_MAX, -DBL_MAX,
                           INFINITY, -INFINITY, NAN,       -NAN,    0x1p-1074};
  const size_t n = sizeof values / sizeof values[0];
  census_measurement_map *mm = census_measurement_map_new();
  for (int i = 0; i < 3; i++) {
    int64_t accepted = 0;
    for (size_t k = 0; k < n; k++) {
      double v = values[k];
      census_status want = CENSUS_OK;
      if (i == 2) {
        want = CENSUS_ETYPE;
      } else if (isnan(v) || isinf(v)) {
        want = CENSUS_ENONFINITE;
      } else if (v < 0 && i == 0) {
        want = CENSUS_ENEGATIVE;
      }
      assert_int_equal(census_record_double(measures[i], v, NULL), want);
      census_measurement_map_clear(mm);
      assert_int_equal(census_measurement_map_put_double(mm, measures[i], 1.0),
                       i == 2 ? CENSUS_ETYPE : CENSUS_OK);
      assert_int_equal(census_measurement_map_put_double(mm, measures[i], v), want);
      assert_int_equal(census_measurement_map_record(mm, NULL), i == 2 ? CENSUS_ETYPE : want);
      accepted += want == CENSUS_OK ? 2 : 0;
    }
    assert_int_equal(count_of(views[i]), accepted);
  }
  census_measurement_map_free(mm);
}

/* Proves: an empty map records nothing and succeeds; a map can be reused after clear() with
 * different values. */
static void test_map_empty_and_reuse(void **state) {
  (void)state;
  const census_measure *a = int_measure("rec/reuse");
  register_view("rec/reuse_sum", a, NULL, 0, census_aggregation_sum_new());
  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_int_equal(count_of("rec/reuse_sum"), 0);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 2), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, a, 30), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_point p;
  assert_true(only_point("rec/reuse_sum", &p));
  assert_int_equal(p.int_value, 32);
  assert_int_equal(p.count, 2);
  census_measurement_map_free(mm);
}

/* Proves: a map holding more measures than a small initial capacity records every one of them
 * with its own value (12 measures, values 1..12). */
static void test_map_many_measures(void **state) {
  (void)state;
  enum { N = 12 };
  const census_measure *ms[N];
  census_measurement_map *mm = census_measurement_map_new();
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "rec/many_%d", i);
    ms[i] = int_measure(name);
    snprintf(name, sizeof name, "rec/many_%d_sum", i);
    register_view(name, ms[i], NULL, 0, census_aggregation_sum_new());
    assert_int_equal(census_measurement_map_put_int64(mm, ms[i], i + 1), CENSUS_OK);
  }
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "rec/many_%d_sum", i);
    census_point p;
    assert_true(only_point(name, &p));
    assert_int_equal(p.int_value, i + 1);
    assert_int_equal(p.count, 1);
  }
  census_measurement_map_free(mm);
}

/* The first records of a fresh thread (no thread state yet): a map whose first measure has no
 * view, then a direct record. */
static void *first_records_thread(void *arg) {
  const census_measure *const *ms = arg;
  census_measurement_map *mm = census_measurement_map_new();
  census_measurement_map_put_int64(mm, ms[0], 3); /* no view */
  census_measurement_map_put_int64(mm, ms[1], 4); /* two views */
  census_status *st = malloc(2 * sizeof *st);
  st[0] = census_measurement_map_record(mm, NULL);
  census_measurement_map_free(mm);
  return st;
}

static void *first_record_direct_thread(void *arg) {
  const census_measure *const *ms = arg;
  census_status *st = malloc(sizeof *st);
  *st = census_record_int64(ms[1], 6, NULL); /* the thread's very first record */
  return st;
}

/* Proves: measures without a view are skipped without losing the others of the map (a map whose
 * first measure has no view, the next two views, the last one view), whether the thread already
 * records or this is its first record (thread state made on the way), and a thread's first record
 * being a direct one records too: every total is the sum of what was put. */
static void test_map_measures_without_views(void **state) {
  (void)state;
  const census_measure *ms[3] = {int_measure("rec/noview_a"), int_measure("rec/noview_b"),
                                 int_measure("rec/noview_c")};
  register_view("rec/noview_b_sum", ms[1], NULL, 0, census_aggregation_sum_new());
  register_view("rec/noview_b_count", ms[1], NULL, 0, census_aggregation_count_new());
  register_view("rec/noview_c_sum", ms[2], NULL, 0, census_aggregation_sum_new());
  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, ms[0], 1), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, ms[1], 2), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_int64(mm, ms[2], 5), CENSUS_OK);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_measurement_map_clear(mm);
  assert_int_equal(census_measurement_map_put_int64(mm, ms[0], 1), CENSUS_OK); /* no view only */
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_measurement_map_free(mm);
  pthread_t t;
  void *st;
  assert_int_equal(pthread_create(&t, NULL, first_records_thread, ms), 0);
  assert_int_equal(pthread_join(t, &st), 0);
  assert_int_equal(*(census_status *)st, CENSUS_OK);
  free(st);
  assert_int_equal(pthread_create(&t, NULL, first_record_direct_thread, ms), 0);
  assert_int_equal(pthread_join(t, &st), 0);
  assert_int_equal(*(census_status *)st, CENSUS_OK);
  free(st);
  assert_int_equal(int_sum_of("rec/noview_b_sum"), 2 + 4 + 6);
  assert_int_equal(count_of("rec/noview_b_count"), 3);
  assert_int_equal(int_sum_of("rec/noview_c_sum"), 5);
}

/* ---- direct record calls ----------------------------------------------------------------- */

/* Proves: census_record_int64/double record one value each; double into an int64 measure is
 * ETYPE (and not recorded); int64 into a double measure is converted; NULL measure is EINVAL; a
 * measure without views records successfully. */
static void test_record_direct(void **state) {
  (void)state;
  const census_measure *i = int_measure("rec/direct_i");
  const census_measure *d = double_measure("rec/direct_d");
  register_view("rec/direct_i_sum", i, NULL, 0, census_aggregation_sum_new());
  register_view("rec/direct_d_sum", d, NULL, 0, census_aggregation_sum_new());
  assert_int_equal(census_record_int64(i, 11, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(i, 31, NULL), CENSUS_OK);
  assert_int_equal(census_record_double(i, 1.0, NULL), CENSUS_ETYPE);
  assert_int_equal(census_record_double(d, 0.75, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(d, 2, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(NULL, 1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_record_double(NULL, 1.0, NULL), CENSUS_EINVAL);

  census_point p;
  assert_true(only_point("rec/direct_i_sum", &p));
  assert_int_equal(p.int_value, 42);
  assert_int_equal(p.count, 2);
  assert_true(only_point("rec/direct_d_sum", &p));
  assert_true(p.double_value == 2.75);
  assert_int_equal(p.count, 2);

  const census_measure *lonely = int_measure("rec/no_views");
  assert_int_equal(census_record_int64(lonely, 1, NULL), CENSUS_OK);
}

/* ---- self-metric and diagnostics --------------------------------------------------------- */

/* Proves: "census/dropped_measurements" (reason "invalid_value") grows by exactly the number of
 * measurements dropped: one per refused direct record (negative, NaN, wrong type), and for a
 * poisoned map every measurement in it, "the refused ones and the valid ones alike" (stats.h,
 * census_measurement_map_record); a valid record adds 0. */
static void test_dropped_self_metric(void **state) {
  (void)state;
  const census_measure *i = int_measure("rec/dropped_i");
  const census_measure *d = double_measure("rec/dropped_d");
  int64_t base = dropped_invalid();

  assert_int_equal(census_record_int64(i, -5, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(dropped_invalid(), base + 1);
  assert_int_equal(census_record_double(d, NAN, NULL), CENSUS_ENONFINITE);
  assert_int_equal(dropped_invalid(), base + 2);
  assert_int_equal(census_record_double(i, 1.0, NULL), CENSUS_ETYPE);
  assert_int_equal(dropped_invalid(), base + 3);

  census_measurement_map *mm = census_measurement_map_new();
  assert_int_equal(census_measurement_map_put_int64(mm, i, 1), CENSUS_OK);
  assert_int_equal(census_measurement_map_put_double(mm, d, -INFINITY), CENSUS_ENONFINITE);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ENONFINITE);
  assert_int_equal(dropped_invalid(), base + 3 + 2);
  census_measurement_map_free(mm);

  assert_int_equal(census_record_int64(i, 5, NULL), CENSUS_OK);
  assert_int_equal(dropped_invalid(), base + 5);
}

/* Proves: the diagnostics callback receives each refusal with its status, a non-empty message
 * and the user pointer; valid records do not call it; after census_diagnostics_set_callback(NULL)
 * it is no longer called (while the self-metric still counts). */
static void test_diagnostics_callback(void **state) {
  (void)state;
  const census_measure *i = int_measure("rec/diag_i");
  const census_measure *d = double_measure("rec/diag_d");
  atomic_store(&diag_calls, 0);
  atomic_store(&diag_empty_messages, 0);
  atomic_store(&diag_wrong_user, 0);
  census_diagnostics_set_callback(diag_capture, &diag_user_token);

  assert_int_equal(census_record_int64(i, 1, NULL), CENSUS_OK);
  assert_int_equal(atomic_load(&diag_calls), 0);

  assert_int_equal(census_record_int64(i, -1, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(atomic_load(&diag_calls), 1);
  assert_int_equal(atomic_load(&diag_last_status), CENSUS_ENEGATIVE);

  assert_int_equal(census_record_double(d, NAN, NULL), CENSUS_ENONFINITE);
  assert_int_equal(atomic_load(&diag_calls), 2);
  assert_int_equal(atomic_load(&diag_last_status), CENSUS_ENONFINITE);

  census_measurement_map *mm = census_measurement_map_new();
  census_measurement_map_put_double(mm, i, 0.5);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_ETYPE);
  census_measurement_map_free(mm);
  assert_true(atomic_load(&diag_calls) >= 3);
  assert_int_equal(atomic_load(&diag_last_status), CENSUS_ETYPE);
  assert_int_equal(atomic_load(&diag_empty_messages), 0);
  assert_int_equal(atomic_load(&diag_wrong_user), 0);

  census_diagnostics_set_callback(NULL, NULL);
  int calls = atomic_load(&diag_calls);
  int64_t before = dropped_invalid();
  assert_int_equal(census_record_int64(i, -1, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(atomic_load(&diag_calls), calls);
  assert_int_equal(dropped_invalid(), before + 1);
}

/* ---- tags and late views ----------------------------------------------------------------- */

/* Proves: NULL tags mean no tags: the record lands in the row whose column value is "", the same
 * row an empty tag map gives, and a no-column view counts it. */
static void test_null_tags(void **state) {
  (void)state;
  const census_measure *m = int_measure("rec/null_tags");
  const census_tag_key *k = census_tag_key_new("null_tags_k", NULL);
  register_view("rec/null_tags_col", m, &k, 1, census_aggregation_count_new());
  register_view("rec/null_tags_nocol", m, NULL, 0, census_aggregation_count_new());
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  census_tag_map *empty = census_tag_map_new();
  assert_int_equal(census_record_int64(m, 1, empty), CENSUS_OK);
  census_measurement_map *mm = census_measurement_map_new();
  census_measurement_map_put_int64(mm, m, 1);
  assert_int_equal(census_measurement_map_record(mm, NULL), CENSUS_OK);
  census_measurement_map_free(mm);
  census_tag_map_free(empty);

  census_view_data *d = get_data("rec/null_tags_col");
  assert_int_equal(census_view_data_row_count(d), 1);
  assert_string_equal(census_view_data_row_value(d, 0, 0), "");
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 3);
  census_view_data_free(d);
  assert_int_equal(count_of("rec/null_tags_nocol"), 3);
}

/* Proves: a view registered after recording started counts only the records made after its
 * registration (data are cumulative from registration), while an earlier view of the same
 * measure counts all. */
static void test_view_registered_later(void **state) {
  (void)state;
  const census_measure *m = int_measure("rec/late");
  register_view("rec/late_early_view", m, NULL, 0, census_aggregation_sum_new());
  for (int i = 0; i < 3; i++) {
    assert_int_equal(census_record_int64(m, 100, NULL), CENSUS_OK);
  }
  /* Force a collection in between, as an exporter would. */
  assert_int_equal(int_sum_of("rec/late_early_view"), 300);
  assert_int_equal(census_record_int64(m, 100, NULL), CENSUS_OK); /* not yet collected */
  register_view("rec/late_late_view", m, NULL, 0, census_aggregation_sum_new());
  assert_int_equal(count_of("rec/late_late_view"), 0);
  assert_int_equal(census_record_int64(m, 7, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 8, NULL), CENSUS_OK);
  census_point p;
  assert_true(only_point("rec/late_late_view", &p));
  assert_int_equal(p.count, 2);
  assert_int_equal(p.int_value, 15);
  assert_true(only_point("rec/late_early_view", &p));
  assert_int_equal(p.count, 6);
  assert_int_equal(p.int_value, 415);
}

/* Proves: with NULL tags, record calls (direct, map, bound at bind time) use the thread's current
 * tag map; explicit tags still win; clearing the current map goes back to "no tags"; the current
 * map belongs to the thread that set it. */
static void *record_without_tags(void *arg) {
  census_record_int64((const census_measure *)arg, 1, NULL);
  return NULL;
}

static void test_current_tag_map(void **state) {
  (void)state;
  const census_measure *m = int_measure("rec/current_tags");
  const census_tag_key *k = key("rec_current_key");
  register_view("rec/current_tags_by_key", m, &k, 1, census_aggregation_count_new());
  census_tag_map *current = census_tag_map_new(), *explicit_tags = census_tag_map_new();
  census_tag_map_put(current, k, "from-context");
  census_tag_map_put(explicit_tags, k, "explicit");
  assert_null(census_tag_map_set_current(current));
  assert_ptr_equal(census_tag_map_current(), current);
  census_record_int64(m, 1, NULL);
  census_measurement_map *mm = census_measurement_map_new();
  census_measurement_map_put_int64(mm, m, 1);
  census_measurement_map_record(mm, NULL);
  census_measurement_map_free(mm);
  census_bound_measure *b = census_measure_bind(m, NULL, NULL);
  census_record_int64(m, 1, explicit_tags);
  pthread_t other;
  pthread_create(&other, NULL, record_without_tags, (void *)m);
  pthread_join(other, NULL);
  assert_ptr_equal(census_tag_map_set_current(NULL), current);
  census_bound_record_int64(b, 1); /* bound to the tags current when it was bound */
  census_record_int64(m, 1, NULL);

  census_view_data *d = get_data("rec/current_tags_by_key");
  int64_t from_context = 0, explicit_count = 0, none = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    census_view_data_row_point(d, r, &p);
    const char *v = census_view_data_row_value(d, r, 0);
    if (strcmp(v, "from-context") == 0) {
      from_context = p.count;
    } else if (strcmp(v, "explicit") == 0) {
      explicit_count = p.count;
    } else if (strcmp(v, "") == 0) {
      none = p.count;
    }
  }
  census_view_data_free(d);
  assert_int_equal(from_context, 3); /* direct, map, bound */
  assert_int_equal(explicit_count, 1);
  assert_int_equal(none, 2); /* the other thread, and after clearing */
  census_bound_measure_free(b);
  census_tag_map_free(current);
  census_tag_map_free(explicit_tags);
}

/* Proves: a tag map changed between records is recorded under its new values (the record path
 * caches series per tag map content, and every put or remove must invalidate that), and a map
 * freed and replaced by a new one at the same address does not inherit its series. */
static void test_tag_map_changes_between_records(void **state) {
  (void)state;
  const census_measure *m = int_measure("rec/changing_tags");
  const census_tag_key *k = key("rec_changing_key");
  register_view("rec/changing_tags_by_key", m, &k, 1, census_aggregation_count_new());
  census_tag_map *t = census_tag_map_new();
  census_tag_map_put(t, k, "a");
  census_record_int64(m, 1, t);
  census_tag_map_put(t, k, "b");
  census_record_int64(m, 1, t);
  census_record_int64(m, 1, t);
  census_tag_map_remove(t, k);
  census_record_int64(m, 1, t);
  census_tag_map_free(t);
  for (int i = 0; i < 3; i++) {
    census_tag_map *fresh = census_tag_map_new(); /* often at the freed map's address */
    census_tag_map_put(fresh, k, "c");
    census_record_int64(m, 1, fresh);
    census_tag_map_free(fresh);
  }
  census_view_data *d = get_data("rec/changing_tags_by_key");
  const char *values[] = {"a", "b", "", "c"};
  const int64_t counts[] = {1, 2, 1, 3};
  assert_int_equal(census_view_data_row_count(d), 4);
  for (size_t v = 0; v < 4; v++) {
    bool found = false;
    for (size_t r = 0; r < census_view_data_row_count(d); r++) {
      if (strcmp(census_view_data_row_value(d, r, 0), values[v]) == 0) {
        census_point p;
        census_view_data_row_point(d, r, &p);
        assert_int_equal(p.count, counts[v]);
        found = true;
      }
    }
    assert_true(found);
  }
  census_view_data_free(d);
}

/* ---- the record path's fast path against its general path -------------------------------- */

/* One aggregation case of test_fast_path_matches_plain_path(). */
struct fp_case {
  const char *name;
  census_measure_type type;
  bool is_signed;
  census_aggregation_type aggregation;
};

static const struct fp_case fp_cases[] = {
    {"count_int", CENSUS_MEASURE_INT64, false, CENSUS_AGGREGATION_COUNT},
    {"count_double", CENSUS_MEASURE_DOUBLE, false, CENSUS_AGGREGATION_COUNT},
    {"sum_int", CENSUS_MEASURE_INT64, false, CENSUS_AGGREGATION_SUM},
    {"sum_double", CENSUS_MEASURE_DOUBLE, false, CENSUS_AGGREGATION_SUM},
    {"signed_sum_int", CENSUS_MEASURE_INT64, true, CENSUS_AGGREGATION_SUM},
    {"signed_sum_double", CENSUS_MEASURE_DOUBLE, true, CENSUS_AGGREGATION_SUM},
    {"last_int", CENSUS_MEASURE_INT64, false, CENSUS_AGGREGATION_LAST_VALUE},
    {"last_double", CENSUS_MEASURE_DOUBLE, true, CENSUS_AGGREGATION_LAST_VALUE},
    {"dist_int", CENSUS_MEASURE_INT64, false, CENSUS_AGGREGATION_DISTRIBUTION},
    {"dist_double", CENSUS_MEASURE_DOUBLE, false, CENSUS_AGGREGATION_DISTRIBUTION},
    {"exp_double", CENSUS_MEASURE_DOUBLE, false, CENSUS_AGGREGATION_EXPONENTIAL},
};
#define FP_CASES (sizeof fp_cases / sizeof fp_cases[0])
#define FP_MAPS 80 /* more tag maps than the thread's cache of recent cells has entries (64) */

static census_aggregation *fp_aggregation(census_aggregation_type type) {
  static const double bounds[] = {-4, 0, 1, 2.5, 10, 1000, 1e12};
  census_status st;
  switch (type) {
  case CENSUS_AGGREGATION_COUNT:
    return census_aggregation_count_new();
  case CENSUS_AGGREGATION_SUM:
    return census_aggregation_sum_new();
  case CENSUS_AGGREGATION_LAST_VALUE:
    return census_aggregation_last_value_new();
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return census_aggregation_distribution_new(bounds, 7, &st);
  default:
    return census_aggregation_exponential_new(0, 20, &st);
  }
}

/* The measure of `c` named `prefix`c->name, with its view of the same name over `cols`. */
static const census_measure *fp_measure(const struct fp_case *c, const char *prefix,
                                        const census_tag_key *const *cols) {
  char name[96];
  snprintf(name, sizeof name, "%s%s", prefix, c->name);
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.value_type = c->type;
  o.signed_values = c->is_signed;
  census_status st = 1;
  const census_measure *m = census_measure_new(&o, &st);
  assert_int_equal(st, CENSUS_OK);
  register_view(name, m, cols, 2, fp_aggregation(c->aggregation));
  return m;
}

/* The s-th value of the sequence for `c`: zeros, small values, dyadic fractions (double sums stay
 * exact whatever the grouping, so the threaded run can compare them too), negatives for signed
 * measures, and for int sums a value that makes them saturate. */
static double fp_value(const struct fp_case *c, long s) {
  double v = (double)((s * 37) % 23) * (c->type == CENSUS_MEASURE_DOUBLE ? 0.25 : 1);
  if (c->is_signed && s % 3 == 1) {
    v = -v;
  }
  return v;
}

struct fp_run {
  const census_measure *fast[FP_CASES], *plain[FP_CASES];
  census_tag_map *maps[FP_MAPS];
  long steps;
  bool collect; /* snapshot every 64 steps (single-threaded run: both paths see the same halves) */
};

/* Gives map i its first content again: rec_fp_a = a<i%3>, and rec_fp_b = b<i%5> except for every
 * fourth map, which has no rec_fp_b. */
static void fp_maps_reset(census_tag_map **maps) {
  const census_tag_key *k1 = key("rec_fp_a"), *k2 = key("rec_fp_b");
  for (size_t i = 0; i < FP_MAPS; i++) {
    char v[16];
    snprintf(v, sizeof v, "a%zu", i % 3);
    assert_int_equal(census_tag_map_put(maps[i], k1, v), CENSUS_OK);
    snprintf(v, sizeof v, "b%zu", i % 5);
    census_tag_map_remove(maps[i], k2);
    if (i % 4) {
      assert_int_equal(census_tag_map_put(maps[i], k2, v), CENSUS_OK);
    }
  }
}

/* Records the sequence of each case into its fast measure, then the same sequence with the same
 * tags into its plain twin, the same way each time: direct calls, maps of one measure, NULL tags
 * with and without a current tag map, maps whose content changes between records (their ids
 * change, so cached cells must not be reused), and more maps than the cache has entries. Each
 * map serves 16 steps in a row, so most records find their cell in the cache (the fast path) and
 * the others do not; one measure at a time, so no other view takes its cache entries. */
static void fp_record(struct fp_run *run, census_tag_map **maps) {
  census_measurement_map *mm = census_measurement_map_new();
  const census_tag_key *k2 = key("rec_fp_b");
  for (size_t i = 0; i < FP_CASES; i++) {
    const struct fp_case *c = &fp_cases[i];
    const census_measure *ms[2] = {run->fast[i], run->plain[i]};
    for (int p = 0; p < 2; p++) {
      fp_maps_reset(maps);
      for (long s = 0; s < run->steps; s++) {
        census_tag_map *t = maps[(s / 16 * 7) % FP_MAPS];
        const census_tag_map *tags = t;
        if (s % 11 == 3) {
          census_tag_map_set_current(t);
          tags = NULL;
        } else if (s % 11 == 5) {
          census_tag_map_set_current(NULL);
          tags = NULL;
        }
        if (s % 13 == 6) {
          char v[16];
          snprintf(v, sizeof v, "v%ld", s % 5);
          assert_int_equal(census_tag_map_put(t, k2, v), CENSUS_OK);
        }
        double v = fp_value(c, s);
        int64_t iv = (int64_t)v;
        if (c->aggregation == CENSUS_AGGREGATION_SUM && !c->is_signed && s == run->steps / 2) {
          iv = INT64_MAX - 3; /* the int sum saturates from here on, on both paths */
        }
        census_status st;
        if (s % 2 == 0) {
          st = c->type == CENSUS_MEASURE_INT64 ? census_record_int64(ms[p], iv, tags)
                                               : census_record_double(ms[p], v, tags);
        } else {
          census_measurement_map_clear(mm);
          st = c->type == CENSUS_MEASURE_INT64 ? census_measurement_map_put_int64(mm, ms[p], iv)
                                               : census_measurement_map_put_double(mm, ms[p], v);
          assert_int_equal(st, CENSUS_OK);
          st = census_measurement_map_record(mm, tags);
        }
        assert_int_equal(st, CENSUS_OK);
        if (run->collect && s % 64 == 63) {
          census_view_data_free(get_data("census/dropped_measurements"));
        }
      }
    }
  }
  census_tag_map_set_current(NULL);
  census_measurement_map_free(mm);
}

static void *fp_thread(void *arg) {
  struct fp_run *run = arg;
  census_tag_map *maps[FP_MAPS]; /* this thread's own maps: tag maps are not shared while changed */
  for (size_t i = 0; i < FP_MAPS; i++) {
    maps[i] = census_tag_map_new();
  }
  fp_record(run, maps);
  for (size_t i = 0; i < FP_MAPS; i++) {
    census_tag_map_free(maps[i]);
  }
  return NULL;
}

/* Every row of the fast view equals the plain view's row of the same tag values. `exact`: also
 * the moments computed from sums (mean, squared deviation), which depend on where collections
 * split each thread's values, identical only when one thread records and collects. */
static void fp_compare(const struct fp_case *c, bool exact) {
  char fast_name[96], plain_name[96];
  snprintf(fast_name, sizeof fast_name, "rec/fp_fast_%s", c->name);
  snprintf(plain_name, sizeof plain_name, "rec/fp_plain_%s", c->name);
  census_view_data *all[2];
  all[0] = get_data(fast_name);
  all[1] = get_data(plain_name);
  size_t rows = census_view_data_row_count(all[0]);
  assert_true(rows > 1);
  assert_int_equal(rows, census_view_data_row_count(all[1]));
  for (size_t r = 0; r < rows; r++) {
    size_t q = 0;
    while (q < rows && (strcmp(census_view_data_row_value(all[0], r, 0),
                               census_view_data_row_value(all[1], q, 0)) != 0 ||
                        strcmp(census_view_data_row_value(all[0], r, 1),
                               census_view_data_row_value(all[1], q, 1)) != 0)) {
      q++;
    }
    assert_true(q < rows);
    census_point a, b;
    assert_int_equal(census_view_data_row_point(all[0], r, &a), CENSUS_OK);
    assert_int_equal(census_view_data_row_point(all[1], q, &b), CENSUS_OK);
    if (c->aggregation != CENSUS_AGGREGATION_LAST_VALUE) { /* last values: the value only */
      assert_int_equal(a.count, b.count);
    }
    if (c->aggregation == CENSUS_AGGREGATION_LAST_VALUE && !exact) {
      continue; /* which thread's value is the last one is a race */
    }
    assert_int_equal(a.int_value, b.int_value);
    assert_true(a.double_value == b.double_value);
    if (c->aggregation == CENSUS_AGGREGATION_DISTRIBUTION ||
        c->aggregation == CENSUS_AGGREGATION_EXPONENTIAL) {
      assert_true(a.min == b.min && a.max == b.max);
      if (exact) {
        assert_memory_equal(&a.mean, &b.mean, sizeof a.mean);
        assert_memory_equal(&a.sum_of_squared_deviation, &b.sum_of_squared_deviation,
                            sizeof a.sum_of_squared_deviation);
      }
      assert_int_equal(a.bucket_count, b.bucket_count);
      if (a.bucket_count) {
        assert_memory_equal(a.bucket_counts, b.bucket_counts, a.bucket_count * sizeof(int64_t));
      }
    }
    if (c->aggregation == CENSUS_AGGREGATION_EXPONENTIAL) {
      census_exponential_buckets ea, eb;
      assert_int_equal(census_view_data_row_exponential(all[0], r, &ea), CENSUS_OK);
      assert_int_equal(census_view_data_row_exponential(all[1], q, &eb), CENSUS_OK);
      assert_int_equal(ea.scale, eb.scale);
      assert_int_equal(ea.zero_count, eb.zero_count);
      assert_int_equal(ea.offset, eb.offset);
      assert_int_equal(ea.bucket_count, eb.bucket_count);
      if (ea.bucket_count) {
        assert_memory_equal(ea.bucket_counts, eb.bucket_counts, ea.bucket_count * sizeof(int64_t));
      }
    }
  }
  census_view_data_free(all[0]);
  census_view_data_free(all[1]);
}

/* Proves: the record path's fast path (one view, its cell in the thread's cache of recent cells:
 * recorder.c's record_one_fast(), with COUNT and SUM updates of its own) records exactly what the
 * general path records, for every aggregation, int and double, signed and not, with the int sum
 * saturating, through direct calls and maps, with NULL tags (current map or none), maps changed
 * between records and more maps than the cache holds. Each "fast" measure has one view (fast path
 * whenever its cell is cached); its "plain" twin has the same view plus a second one, which keeps
 * every record of the twin on the general path (a loop over the views). Run single-threaded with
 * collections every 64 steps (totals identical, moments bit for bit), then from two threads at
 * once while this thread collects (counts, sums, extremes and buckets identical: values are small
 * multiples of 1/4, so sums are exact whatever the grouping). A guard for
 * the fast path: on main, where every record takes the general path, it passes as well; with the
 * fast path's COUNT update adding 2, or its cache probe ignoring the map id, it fails. */
static void test_fast_path_matches_plain_path(void **state) {
  (void)state;
  const census_tag_key *cols[2] = {key("rec_fp_a"), key("rec_fp_b")};
  struct fp_run run = {.steps = 1500, .collect = true};
  for (size_t i = 0; i < FP_CASES; i++) {
    run.fast[i] = fp_measure(&fp_cases[i], "rec/fp_fast_", cols);
    run.plain[i] = fp_measure(&fp_cases[i], "rec/fp_plain_", cols);
    char other[96];
    snprintf(other, sizeof other, "rec/fp_plain_%s_other", fp_cases[i].name);
    register_view(other, run.plain[i], NULL, 0, census_aggregation_count_new());
  }
  for (size_t i = 0; i < FP_MAPS; i++) {
    run.maps[i] = census_tag_map_new();
  }
  fp_record(&run, run.maps);
  for (size_t i = 0; i < FP_CASES; i++) {
    fp_compare(&fp_cases[i], true);
  }
  run.collect = false;
  pthread_t threads[2];
  for (int t = 0; t < 2; t++) {
    assert_int_equal(pthread_create(&threads[t], NULL, fp_thread, &run), 0);
  }
  for (int i = 0; i < 20; i++) {
    census_view_data_free(get_data("rec/fp_fast_count_int"));
  }
  for (int t = 0; t < 2; t++) {
    pthread_join(threads[t], NULL);
  }
  for (size_t i = 0; i < FP_CASES; i++) {
    fp_compare(&fp_cases[i], false);
  }
  for (size_t i = 0; i < FP_MAPS; i++) {
    census_tag_map_free(run.maps[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_diagnostics_limit),
      cmocka_unit_test_setup(test_map_multiple_measures, quiet),
      cmocka_unit_test_setup(test_map_put_replaces, quiet),
      cmocka_unit_test_setup(test_map_poisoned_by_negative, quiet),
      cmocka_unit_test_setup(test_map_poisoned_by_nonfinite, quiet),
      cmocka_unit_test_setup(test_map_types, quiet),
      cmocka_unit_test_setup(test_map_null_arguments, quiet),
      cmocka_unit_test_setup(test_map_empty_and_reuse, quiet),
      cmocka_unit_test_setup(test_map_put_first_entry, quiet),
      cmocka_unit_test_setup(test_double_value_edges, quiet),
      cmocka_unit_test_setup(test_map_many_measures, quiet),
      cmocka_unit_test_setup(test_map_measures_without_views, quiet),
      cmocka_unit_test_setup(test_record_direct, quiet),
      cmocka_unit_test_setup(test_dropped_self_metric, quiet),
      cmocka_unit_test_setup(test_diagnostics_callback, quiet),
      cmocka_unit_test_setup(test_null_tags, quiet),
      cmocka_unit_test_setup(test_view_registered_later, quiet),
      cmocka_unit_test_setup(test_current_tag_map, quiet),
      cmocka_unit_test_setup(test_tag_map_changes_between_records, quiet),
      cmocka_unit_test_setup(test_fast_path_matches_plain_path, quiet),
  };
  return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
