/* test_otlp_delta.c - the delta baselines of the OTLP exporter (otlp_delta.c), on real census
 * snapshots.
 *
 * Proves: the temporality of each view kind under cumulative, delta and lowmemory, and the
 * preference from the option or OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (malformed
 * reported, cumulative used); a delta is current - committed; when the previous request left the
 * queue (not withdrawn) its values become the baseline and the next interval starts at its end,
 * when it was withdrawn the next delta covers both intervals from the older baseline (nothing lost,
 * nothing twice); a request that was never submitted moves no baseline; series without new
 * measurements get no point; histogram min/max only on a series' first point; a view whose start
 * time changes (fork child) starts over. None of this exists on main.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"
#include "otlp_delta.h"

static const census_measure *m_count, *m_hist;
static const census_tag_key *key;
static census_tag_map *a, *b;
static int reports;

static void on_diag(void *user, census_status status, const char *message) { reports++; }

static int setup(void **state) {
  census_status st;
  key = census_tag_key_new("k", &st);
  m_count = census_measure_int64_new("delta_unit/c", "", "1", &st);
  m_hist = census_measure_double_new("delta_unit/h", "", "ms", &st);
  census_aggregation *count = census_aggregation_count_new();
  double bounds[] = {1, 10};
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 2, &st);
  census_view *v1 = census_view_new("delta_unit/count", "", m_count, &key, 1, count, &st);
  census_view *v2 = census_view_new("delta_unit/hist", "", m_hist, NULL, 0, dist, &st);
  census_view_register(v1);
  census_view_register(v2);
  census_view_free(v1);
  census_view_free(v2);
  census_aggregation_free(count);
  census_aggregation_free(dist);
  a = census_tag_map_new();
  b = census_tag_map_new();
  census_tag_map_put(a, key, "a");
  census_tag_map_put(b, key, "b");
  census_diagnostics_set_callback(on_diag, NULL);
  return 0;
}

static void test_temporality_table(void **state) {
  census_otlp_temporality t;
  for (int pref = CENSUS_OTLP_TEMPORALITY_CUMULATIVE; pref <= CENSUS_OTLP_TEMPORALITY_LOWMEMORY;
       pref++) {
    bool delta = pref != CENSUS_OTLP_TEMPORALITY_CUMULATIVE;
    assert_int_equal(census__otlp_view_is_delta(pref, CENSUS_AGGREGATION_COUNT), delta);
    assert_int_equal(census__otlp_view_is_delta(pref, CENSUS_AGGREGATION_SUM), delta);
    assert_int_equal(census__otlp_view_is_delta(pref, CENSUS_AGGREGATION_DISTRIBUTION), delta);
    assert_false(census__otlp_view_is_delta(pref, CENSUS_AGGREGATION_LAST_VALUE));
  }
  assert_int_equal(census__otlp_temporality_resolve(7, &t), CENSUS_EINVAL);
  assert_int_equal(census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_DELTA, &t), CENSUS_OK);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_DELTA);
  unsetenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
  census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_DEFAULT, &t);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_CUMULATIVE);
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", " DELTA ", 1);
  census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_DEFAULT, &t);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_DELTA);
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory", 1);
  census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_DEFAULT, &t);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_LOWMEMORY);
  /* The option wins over the variable. */
  census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_CUMULATIVE, &t);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_CUMULATIVE);
  reports = 0;
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "deltas", 1);
  census__otlp_temporality_resolve(CENSUS_OTLP_TEMPORALITY_DEFAULT, &t);
  assert_int_equal(t, CENSUS_OTLP_TEMPORALITY_CUMULATIVE);
  assert_int_equal(reports, 1);
  unsetenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
}

/* One export: snapshots, prepare; returns the prepared points of our two views. */
typedef struct export_ {
  census_view_data **views;
  size_t count;
  const census_otlp_view_points *count_view, *hist_view;
  const census_view_data *count_data;
  int64_t end_ns;
} export_;

static export_ prepare(census_otlp_delta *d, bool withdrawn) {
  export_ e = {0};
  assert_int_equal(census_view_data_get_all(&e.views, &e.count), CENSUS_OK);
  const census_otlp_view_points *const *points;
  assert_int_equal(census__otlp_delta_prepare(d, (const census_view_data *const *)e.views, e.count,
                                              withdrawn, &points),
                   CENSUS_OK);
  for (size_t i = 0; i < e.count; i++) {
    if (strcmp(census_view_data_name(e.views[i]), "delta_unit/count") == 0) {
      e.count_view = points[i];
      e.count_data = e.views[i];
      e.end_ns = census_view_data_end_time_ns(e.views[i]);
    } else if (strcmp(census_view_data_name(e.views[i]), "delta_unit/hist") == 0) {
      e.hist_view = points[i];
    }
  }
  assert_non_null(e.count_view);
  assert_non_null(e.hist_view);
  return e;
}

/* The delta count of row value `v` in the count view's points, or -1 when it has no point. */
static int64_t delta_of(const export_ *e, const char *v, int64_t *start) {
  for (size_t i = 0; i < e->count_view->count; i++) {
    const census_otlp_row_point *p = &e->count_view->points[i];
    if (strcmp(census_view_data_row_value(e->count_data, p->row, 0), v) == 0) {
      *start = p->start_ns;
      return p->point.count;
    }
  }
  return -1;
}

static void test_baselines(void **state) {
  census_otlp_delta *d = census__otlp_delta_new(CENSUS_OTLP_TEMPORALITY_DELTA);
  int64_t start;
  census_record_int64(m_count, 1, a);
  census_record_int64(m_count, 1, a);
  census_record_double(m_hist, 5, NULL);
  export_ e1 = prepare(d, false);
  assert_true(e1.count_view->delta);
  assert_int_equal(delta_of(&e1, "a", &start), 2);
  assert_int_equal(start, census_view_data_start_time_ns(e1.count_data)); /* first point */
  assert_int_equal(e1.hist_view->count, 1);
  assert_true(e1.hist_view->points[0].has_min_max);
  census__otlp_delta_submitted(d);
  census_view_data_free_all(e1.views, e1.count);

  /* Request 1 left the queue: request 2 runs from its end. b is new: it starts there too. */
  census_record_int64(m_count, 1, a);
  census_record_int64(m_count, 1, b);
  census_record_double(m_hist, 20, NULL);
  export_ e2 = prepare(d, false);
  assert_int_equal(delta_of(&e2, "a", &start), 1);
  assert_int_equal(start, e1.end_ns);
  assert_int_equal(delta_of(&e2, "b", &start), 1);
  assert_int_equal(start, e1.end_ns);
  const census_otlp_row_point *h = &e2.hist_view->points[0];
  assert_int_equal(h->point.count, 1);
  assert_true(h->point.double_value == 20);
  assert_int_equal(h->point.bucket_counts[0], 0);
  assert_int_equal(h->point.bucket_counts[2], 1);
  assert_false(h->has_min_max); /* the interval's min/max are not known */
  census__otlp_delta_submitted(d);
  census_view_data_free_all(e2.views, e2.count);

  /* Request 2 was withdrawn (never attempted): request 3 covers both intervals from e1's end. */
  census_record_int64(m_count, 1, a);
  export_ e3 = prepare(d, true);
  assert_int_equal(delta_of(&e3, "a", &start), 2);
  assert_int_equal(start, e1.end_ns);
  assert_int_equal(delta_of(&e3, "b", &start), 1);
  assert_int_equal(e3.hist_view->points[0].point.count, 1);
  /* Not submitted (say the sender refused it): no baseline moves. */
  census_view_data_free_all(e3.views, e3.count);
  export_ e4 = prepare(d, true);
  assert_int_equal(delta_of(&e4, "a", &start), 2);
  census__otlp_delta_submitted(d);
  census_view_data_free_all(e4.views, e4.count);

  /* Request 4 left the queue; nothing new for b or the histogram: no points for them. */
  census_record_int64(m_count, 1, a);
  export_ e5 = prepare(d, false);
  assert_int_equal(delta_of(&e5, "a", &start), 1);
  assert_int_equal(start, e4.end_ns);
  assert_int_equal(delta_of(&e5, "b", &start), -1);
  assert_int_equal(e5.hist_view->count, 0);
  assert_int_equal(census__otlp_delta_entries(d), 3); /* a, b, the histogram's row */
  census_view_data_free_all(e5.views, e5.count);
  census__otlp_delta_free(d);
}

/* Cumulative: no prepared points at all (the rows go as they are). */
static void test_cumulative(void **state) {
  census_otlp_delta *d = census__otlp_delta_new(CENSUS_OTLP_TEMPORALITY_CUMULATIVE);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_view_data_get_all(&views, &count), CENSUS_OK);
  const census_otlp_view_points *const *points;
  assert_int_equal(
      census__otlp_delta_prepare(d, (const census_view_data *const *)views, count, false, &points),
      CENSUS_OK);
  for (size_t i = 0; i < count; i++) {
    assert_null(points[i]);
  }
  census_view_data_free_all(views, count);
  census__otlp_delta_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_temporality_table),
      cmocka_unit_test(test_baselines),
      cmocka_unit_test(test_cumulative),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
