/* support.h - helpers shared by the unit tests in tests/unit/.
 *
 * Each test file is its own executable, so these are static inline functions: every file gets its
 * own copy, and a file that uses only some of them is not warned about the rest. They create the
 * objects a test needs as a precondition (tag keys, measures, registered views) and read view data
 * back; each one that can fail fails the running cmocka test (an assert or fail_msg, which jumps
 * out of the test) when a call it expects to succeed does not, so a test body never goes on with a
 * NULL. Tests use their own measure and view names: the view manager is process-global.
 *
 * cmocka assertions are not thread-safe: call the helpers that can fail the test only from the
 * test's own thread, never from worker threads or exporter callbacks (total_count() and the time
 * helpers never fail, so those may).
 */
#ifndef CENSUS_TESTS_UNIT_SUPPORT_H
#define CENSUS_TESTS_UNIT_SUPPORT_H

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "census/census.h"

/* ---- time -------------------------------------------------------------------------------- */

/* Wall-clock time in nanoseconds since the epoch (CLOCK_REALTIME, the clock census stamps view
 * data and last values with). Cannot fail the test. */
static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps for `ms` milliseconds (at least; an interrupted sleep is not resumed). Cannot fail the
 * test. */
static inline void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- definitions ------------------------------------------------------------------------- */

/* Creates (or looks up) the tag key `name`, which must be valid: fails the test unless the key is
 * returned with status CENSUS_OK. */
static inline const census_tag_key *key(const char *name) {
  census_status st = 1;
  const census_tag_key *k = census_tag_key_new(name, &st);
  assert_non_null(k);
  assert_int_equal(st, CENSUS_OK);
  return k;
}

/* Creates (or looks up) the measure `name` of `type`, with description "test" and unit "1";
 * fails the test, naming the status, if it is refused. */
static inline const census_measure *typed_measure(census_measure_type type, const char *name) {
  census_status st = 1;
  const census_measure *m = type == CENSUS_MEASURE_INT64
                                ? census_measure_int64_new(name, "test", "1", &st)
                                : census_measure_double_new(name, "test", "1", &st);
  if (!m) {
    fail_msg("measure %s refused: %s", name, census_status_name(st));
  }
  return m;
}

/* typed_measure() of an int64 measure; fails the test in the same case. */
static inline const census_measure *int_measure(const char *name) {
  return typed_measure(CENSUS_MEASURE_INT64, name);
}

/* typed_measure() of a double measure; fails the test in the same case. */
static inline const census_measure *double_measure(const char *name) {
  return typed_measure(CENSUS_MEASURE_DOUBLE, name);
}

/* Defines the view `name` (no description) of measure `m` with columns cols[0..n) and aggregation
 * `agg`, limits it to `max_series` series unless that is 0 (0 keeps the default limit), registers
 * it, and frees the definition and `agg` (so a constructor call can be passed as `agg`). Fails the
 * test if `agg` is NULL (its constructor failed), if the definition is refused, or if setting the
 * limit or registering does not return CENSUS_OK (a conflict with an earlier view included). */
static inline void register_view_limited(const char *name, const census_measure *m,
                                         const census_tag_key *const *cols, size_t n,
                                         census_aggregation *agg, size_t max_series) {
  assert_non_null(agg);
  census_status st = 1;
  census_view *v = census_view_new(name, NULL, m, cols, n, agg, &st);
  if (!v) {
    fail_msg("census_view_new(%s) failed: %s", name, census_status_name(st));
  }
  if (max_series) {
    assert_int_equal(census_view_set_max_series(v, max_series), CENSUS_OK);
  }
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(agg);
}

/* register_view_limited() with the default series limit; fails the test in the same cases. */
static inline void register_view(const char *name, const census_measure *m,
                                 const census_tag_key *const *cols, size_t n,
                                 census_aggregation *agg) {
  register_view_limited(name, m, cols, n, agg, 0);
}

/* ---- view data --------------------------------------------------------------------------- */

/* A snapshot of the registered view `name`, for the caller to free with census_view_data_free();
 * fails the test, naming the status, if there is none (unknown view, or after shutdown). */
static inline census_view_data *get_data(const char *name) {
  census_status st = 1;
  census_view_data *d = census_view_data_get(name, &st);
  if (!d) {
    fail_msg("census_view_data_get(%s) failed: %s", name, census_status_name(st));
  }
  return d;
}

/* The count of the row view=`view` in census/saturated_rows, 0 if there is none. */
static inline int64_t saturated_rows(const char *view) {
  census_view_data *d = get_data("census/saturated_rows");
  int64_t rows = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
    if (strcmp(census_view_data_row_value(d, r, 0), view) == 0) {
      rows = p.int_value;
    }
  }
  census_view_data_free(d);
  return rows;
}

/* Sum of the counts over all rows of a snapshot (overflow row included); a row whose point cannot
 * be read adds nothing. Never fails the test, so exporter callbacks on other threads may use it. */
static inline int64_t total_count(const census_view_data *d) {
  int64_t total = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    if (census_view_data_row_point(d, r, &p) == CENSUS_OK) {
      total += p.count;
    }
  }
  return total;
}

/* total_count() of a fresh snapshot of the view `name`; fails the test as get_data() does. */
static inline int64_t view_total_count(const char *name) {
  census_view_data *d = get_data(name);
  int64_t t = total_count(d);
  census_view_data_free(d);
  return t;
}

/* ---- temporary directories ------------------------------------------------------------- */

/* A new empty directory /tmp/<prefix>-XXXXXX (a copy of its path: temp_dir_remove() frees it).
 * Fails the test if it cannot be made. */
static inline char *temp_dir_make(const char *prefix) {
  char tmpl[256];
  snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", prefix);
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  char *copy = strdup(dir);
  assert_non_null(copy);
  return copy;
}

/* Removes `dir` and everything in it, and frees the path. Fails the test if rm fails. */
static inline void temp_dir_remove(char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
}

#endif /* CENSUS_TESTS_UNIT_SUPPORT_H */
