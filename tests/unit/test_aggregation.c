/* test_aggregation.c - aggregations: distribution bounds validation, and the values each
 * aggregation reports after recording through a registered view.
 *
 * Expected values are computed here, independently: sums by plain addition, distribution mean and
 * sum of squared deviation by the two-pass algorithm (mean first, then squared deviations from
 * it), bucket indexes by a linear scan for the first bound >= value (buckets are upper-inclusive,
 * census/stats.h). The view manager is process-global, so each test registers its own measure and
 * view names.
 */
#include <float.h>
#include <stdatomic.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

#include "stats/aggregation.h"    /* census__words_merge(), for counts no test can record */
#include "stats/cell.h"           /* bucket_index(), checked against a linear scan */
#include "stats/stats_internal.h" /* the view layout those take */

/* ---- helpers ----------------------------------------------------------------------------- */
/* (now_ns, int_measure, double_measure, register_view and get_data are in support.h) */

/* |a - b| within rel * max(|a|, |b|) + abs_tol. */
static void assert_close(double got, double want, double rel, double abs_tol) {
  double tol = rel * fmax(fabs(got), fabs(want)) + abs_tol;
  if (!(fabs(got - want) <= tol)) {
    fail_msg("got %.17g, want %.17g (tolerance %.3g)", got, want, tol);
  }
}

/* Snapshot of a no-column view that must have exactly one row; fills *p (whose bucket array is
 * borrowed from the returned snapshot). */
static census_view_data *single_row(const char *name, census_point *p) {
  census_view_data *d = get_data(name);
  assert_int_equal(census_view_data_row_count(d), 1);
  assert_false(census_view_data_row_is_overflow(d, 0));
  memset(p, 0, sizeof *p);
  assert_int_equal(census_view_data_row_point(d, 0, p), CENSUS_OK);
  return d;
}

static void assert_no_rows(const char *name) {
  census_view_data *d = get_data(name);
  assert_int_equal(census_view_data_row_count(d), 0);
  census_view_data_free(d);
}

#define MAX_BUCKETS 16

struct dist_expect {
  int64_t count;
  double sum, mean, ssd, min, max;
  int64_t buckets[MAX_BUCKETS];
};

/* The reference distribution of `values`: two-pass mean/SSD and upper-inclusive buckets. */
static void dist_expect_compute(const double *values, size_t n, const double *bounds, size_t nb,
                                struct dist_expect *e) {
  assert_true(nb + 1 <= MAX_BUCKETS);
  memset(e, 0, sizeof *e);
  e->count = (int64_t)n;
  double sum = 0;
  e->min = INFINITY;
  e->max = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    sum += values[i];
    e->min = fmin(e->min, values[i]);
    e->max = fmax(e->max, values[i]);
    size_t b = 0;
    while (b < nb && values[i] > bounds[b]) {
      b++;
    }
    e->buckets[b]++;
  }
  e->sum = sum;
  e->mean = n ? sum / (double)n : 0;
  double ssd = 0;
  for (size_t i = 0; i < n; i++) {
    ssd += (values[i] - e->mean) * (values[i] - e->mean);
  }
  e->ssd = ssd;
}

/* Compares a DISTRIBUTION point with the reference; `rel` bounds the relative error of the
 * floating-point fields. Bucket counts and count are exact. */
static void assert_dist(const census_point *p, const struct dist_expect *e, size_t nb, double rel) {
  assert_int_equal(p->count, e->count);
  assert_close(p->mean, e->mean, rel, 0);
  assert_close(p->double_value, e->sum, rel, 0);
  assert_close(p->sum_of_squared_deviation, e->ssd, rel, 1e-9);
  assert_true(p->min == e->min);
  assert_true(p->max == e->max);
  assert_int_equal(p->bucket_count, nb + 1);
  assert_non_null(p->bucket_counts);
  int64_t total = 0;
  for (size_t i = 0; i <= nb; i++) {
    if (p->bucket_counts[i] != e->buckets[i]) {
      fail_msg("bucket %zu: got %lld, want %lld", i, (long long)p->bucket_counts[i],
               (long long)e->buckets[i]);
    }
    total += p->bucket_counts[i];
  }
  assert_int_equal(total, e->count);
}

static census_aggregation *distribution(const double *bounds, size_t nb) {
  census_status st = 1;
  census_aggregation *a = census_aggregation_distribution_new(bounds, nb, &st);
  assert_non_null(a);
  return a;
}

/* ---- bounds validation ------------------------------------------------------------------- */

static void expect_bad_bounds(const double *bounds, size_t n, census_status want) {
  census_status st = 1;
  census_aggregation *a = census_aggregation_distribution_new(bounds, n, &st);
  assert_null(a);
  assert_int_equal(st, want);
}

/* Proves: bounds must be finite and strictly increasing: a decrease, equal neighbours, NaN (in
 * any position) and +/-infinity are EBADBOUNDS; NULL bounds with count > 0 is EINVAL. */
static void test_bounds_refused(void **state) {
  (void)state;
  const double decreasing[] = {1, 3, 2};
  const double equal[] = {1, 2, 2, 3};
  const double nan_first[] = {NAN, 1};
  const double nan_last[] = {1, NAN};
  const double pos_inf[] = {1, INFINITY};
  const double neg_inf[] = {-INFINITY, 1};
  const double single_nan[] = {NAN};
  expect_bad_bounds(decreasing, 3, CENSUS_EBADBOUNDS);
  expect_bad_bounds(equal, 4, CENSUS_EBADBOUNDS);
  expect_bad_bounds(nan_first, 2, CENSUS_EBADBOUNDS);
  expect_bad_bounds(nan_last, 2, CENSUS_EBADBOUNDS);
  expect_bad_bounds(pos_inf, 2, CENSUS_EBADBOUNDS);
  expect_bad_bounds(neg_inf, 2, CENSUS_EBADBOUNDS);
  expect_bad_bounds(single_nan, 1, CENSUS_EBADBOUNDS);
  expect_bad_bounds(NULL, 1, CENSUS_EINVAL);
  expect_bad_bounds(NULL, 3, CENSUS_EINVAL);
}

/* Proves: valid bound lists are accepted: zero bounds (with NULL or non-NULL pointer), one bound,
 * negative bounds, and neighbours only one ulp apart (strictly increasing is enough). */
static void test_bounds_accepted(void **state) {
  (void)state;
  census_status st = 1;
  census_aggregation *a = census_aggregation_distribution_new(NULL, 0, &st);
  assert_non_null(a);
  assert_int_equal(census_aggregation_kind(a), CENSUS_AGGREGATION_DISTRIBUTION);
  census_aggregation_free(a);

  const double one[] = {5};
  a = census_aggregation_distribution_new(one, 0, &st);
  assert_non_null(a);
  census_aggregation_free(a);
  a = census_aggregation_distribution_new(one, 1, &st);
  assert_non_null(a);
  census_aggregation_free(a);

  const double close_pair[] = {-10, -1, 0, 1, nextafter(1, 2)};
  a = census_aggregation_distribution_new(close_pair, 5, &st);
  assert_non_null(a);
  census_aggregation_free(a);

  const double extremes[] = {-DBL_MAX, DBL_MAX};
  a = census_aggregation_distribution_new(extremes, 2, &st);
  assert_non_null(a);
  census_aggregation_free(a);
}

/* Proves: each constructor gives its aggregation type; free(NULL) is a no-op. */
static void test_aggregation_types(void **state) {
  (void)state;
  census_aggregation *c = census_aggregation_count_new();
  census_aggregation *s = census_aggregation_sum_new();
  census_aggregation *l = census_aggregation_last_value_new();
  assert_non_null(c);
  assert_non_null(s);
  assert_non_null(l);
  assert_int_equal(census_aggregation_kind(c), CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_aggregation_kind(s), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_aggregation_kind(l), CENSUS_AGGREGATION_LAST_VALUE);
  census_aggregation_free(c);
  census_aggregation_free(s);
  census_aggregation_free(l);
  census_aggregation_free(NULL);
}

/* ---- COUNT, SUM, LAST_VALUE -------------------------------------------------------------- */

/* Proves: COUNT counts measurements (zero values included), not their sum, for int64 and double
 * measures; and a registered view with nothing recorded has no rows. */
static void test_count(void **state) {
  (void)state;
  const census_measure *mi = int_measure("agg/count_i");
  const census_measure *md = double_measure("agg/count_d");
  register_view("agg/count_i_view", mi, NULL, 0, census_aggregation_count_new());
  register_view("agg/count_d_view", md, NULL, 0, census_aggregation_count_new());
  assert_no_rows("agg/count_i_view");

  const int64_t iv[] = {0, 5, 7, 1000};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(census_record_int64(mi, iv[i], NULL), CENSUS_OK);
  }
  const double dv[] = {0.0, 0.5, 1e300};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(census_record_double(md, dv[i], NULL), CENSUS_OK);
  }
  census_point p;
  census_view_data *d = single_row("agg/count_i_view", &p);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_COUNT);
  assert_int_equal(p.count, 4);
  census_view_data_free(d);
  d = single_row("agg/count_d_view", &p);
  assert_int_equal(p.count, 3);
  census_view_data_free(d);
}

/* Proves: an int64 SUM is exact in int64 (2^53 + 1 + 2 is not representable as a double, so a
 * sum kept in a double would be off by one) and counts measurements; snapshots are cumulative. */
static void test_sum_int64(void **state) {
  (void)state;
  const census_measure *m = int_measure("agg/sum_i");
  register_view("agg/sum_i_view", m, NULL, 0, census_aggregation_sum_new());
  const int64_t values[] = {(INT64_C(1) << 53) + 1, 2, 0};
  int64_t want = 0;
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(census_record_int64(m, values[i], NULL), CENSUS_OK);
    want += values[i];
  }
  census_point p;
  census_view_data *d = single_row("agg/sum_i_view", &p);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(p.int_value, want);
  assert_int_equal(p.count, 3);
  census_view_data_free(d);

  /* Cumulative: a second snapshot includes the first one's data. */
  assert_int_equal(census_record_int64(m, 40, NULL), CENSUS_OK);
  d = single_row("agg/sum_i_view", &p);
  assert_int_equal(p.int_value, want + 40);
  assert_int_equal(p.count, 4);
  census_view_data_free(d);
}

/* Proves: a double SUM adds doubles (fractions kept) and counts measurements. */
static void test_sum_double(void **state) {
  (void)state;
  const census_measure *m = double_measure("agg/sum_d");
  register_view("agg/sum_d_view", m, NULL, 0, census_aggregation_sum_new());
  const double values[] = {0.5, 0.25, 1e-3, 123.456, 0.0, 7.0};
  double want = 0;
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
    want += values[i];
  }
  census_point p;
  census_view_data *d = single_row("agg/sum_d_view", &p);
  assert_close(p.double_value, want, 1e-12, 0);
  assert_int_equal(p.count, 6);
  census_view_data_free(d);
}

/* Proves: LAST_VALUE keeps the most recent value, even when it is smaller (so it is not a max)
 * and even when it is 0; its time_ns lies between clock readings taken just before the last
 * record and just after it (with 50 ms slack for a coarse clock). */
static void test_last_value(void **state) {
  (void)state;
  const census_measure *mi = int_measure("agg/last_i");
  const census_measure *md = double_measure("agg/last_d");
  register_view("agg/last_i_view", mi, NULL, 0, census_aggregation_last_value_new());
  register_view("agg/last_d_view", md, NULL, 0, census_aggregation_last_value_new());

  assert_int_equal(census_record_int64(mi, 5, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(mi, 10, NULL), CENSUS_OK);
  int64_t before = now_ns();
  assert_int_equal(census_record_int64(mi, 3, NULL), CENSUS_OK);
  int64_t after = now_ns();
  census_point p;
  census_view_data *d = single_row("agg/last_i_view", &p);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_LAST_VALUE);
  assert_int_equal(p.int_value, 3);
  const int64_t slack = 50 * 1000000;
  assert_true(p.time_ns >= before - slack);
  assert_true(p.time_ns <= after + slack);
  census_view_data_free(d);

  /* A later 0 replaces 3: latest wins, and 0 is a value, not "unset". */
  assert_int_equal(census_record_int64(mi, 0, NULL), CENSUS_OK);
  d = single_row("agg/last_i_view", &p);
  assert_int_equal(p.int_value, 0);
  census_view_data_free(d);

  assert_int_equal(census_record_double(md, 2.5, NULL), CENSUS_OK);
  before = now_ns();
  assert_int_equal(census_record_double(md, 0.125, NULL), CENSUS_OK);
  after = now_ns();
  d = single_row("agg/last_d_view", &p);
  assert_true(p.double_value == 0.125);
  assert_true(p.time_ns >= before - slack);
  assert_true(p.time_ns <= after + slack);
  census_view_data_free(d);
}

/* ---- DISTRIBUTION ------------------------------------------------------------------------ */

/* Proves: a distribution over a mixed sample reports count, mean, sum, SSD, min, max and bucket
 * counts equal to the reference, and the snapshot carries a copy of the bounds (changing the
 * caller's array after creating the aggregation has no effect). */
static void test_distribution_basic(void **state) {
  (void)state;
  double bounds[] = {1, 2, 5, 10};
  const double kept[] = {1, 2, 5, 10};
  const size_t nb = 4;
  const census_measure *m = double_measure("agg/dist_basic");
  census_aggregation *agg = distribution(bounds, nb);
  bounds[0] = 100; /* must not affect the aggregation */
  register_view("agg/dist_basic_view", m, NULL, 0, agg);

  const double values[] = {0, 0.5, 1.5, 3, 3.25, 7, 7, 42, 2.75, 9.5, 0.001};
  const size_t n = sizeof values / sizeof values[0];
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
  }
  struct dist_expect e;
  dist_expect_compute(values, n, kept, nb, &e);
  census_point p;
  census_view_data *d = single_row("agg/dist_basic_view", &p);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_DISTRIBUTION);
  assert_dist(&p, &e, nb, 1e-12);

  const double *got_bounds = NULL;
  assert_int_equal(census_view_data_bounds(d, &got_bounds), nb);
  assert_non_null(got_bounds);
  for (size_t i = 0; i < nb; i++) {
    assert_true(got_bounds[i] == kept[i]);
  }
  census_view_data_free(d);
}

/* Proves: buckets are upper-inclusive: a value exactly on b[i] lands in bucket i; the next double
 * above b[i] lands in bucket i+1; values below the first bound (0 included) go to bucket 0 and
 * values above the last to the last bucket. */
static void test_distribution_edges(void **state) {
  (void)state;
  const double bounds[] = {10, 20, 30};
  const size_t nb = 3;
  const census_measure *m = double_measure("agg/dist_edges");
  register_view("agg/dist_edges_view", m, NULL, 0, distribution(bounds, nb));

  /* Per bucket: bucket 0 gets 0, 9.99, 10 (on b[0]); bucket 1 gets next(10), 20; bucket 2 gets
   * 30; bucket 3 gets next(30) and 1e6. The reference computes this independently, and the
   * literal expectations below double-check the reference itself. */
  const double values[] = {0, 9.99, 10, nextafter(10, 11), 20, 30, nextafter(30, 31), 1e6};
  const size_t n = sizeof values / sizeof values[0];
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
  }
  struct dist_expect e;
  dist_expect_compute(values, n, bounds, nb, &e);
  assert_int_equal(e.buckets[0], 3);
  assert_int_equal(e.buckets[1], 2);
  assert_int_equal(e.buckets[2], 1);
  assert_int_equal(e.buckets[3], 2);
  census_point p;
  census_view_data *d = single_row("agg/dist_edges_view", &p);
  assert_dist(&p, &e, nb, 1e-12);
  census_view_data_free(d);
}

/* Proves: with zero bounds there is exactly one bucket, holding every value. */
static void test_distribution_no_bounds(void **state) {
  (void)state;
  const census_measure *m = double_measure("agg/dist_nobounds");
  register_view("agg/dist_nobounds_view", m, NULL, 0, distribution(NULL, 0));
  const double values[] = {0, 1, 1e12, 3.5};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
  }
  struct dist_expect e;
  dist_expect_compute(values, 4, NULL, 0, &e);
  census_point p;
  census_view_data *d = single_row("agg/dist_nobounds_view", &p);
  assert_int_equal(p.bucket_count, 1);
  assert_int_equal(p.bucket_counts[0], 4);
  assert_dist(&p, &e, 0, 1e-12);
  assert_int_equal(census_view_data_bounds(d, NULL), 0);
  census_view_data_free(d);
}

/* Proves: a distribution of an int64 measure is computed over the integer values (as doubles),
 * including bucket placement on an integer bound; a single value has SSD exactly 0. */
static void test_distribution_int64(void **state) {
  (void)state;
  const double bounds[] = {0, 100, 1000};
  const size_t nb = 3;
  const census_measure *m = int_measure("agg/dist_int");
  const census_measure *one = int_measure("agg/dist_int_one");
  register_view("agg/dist_int_view", m, NULL, 0, distribution(bounds, nb));
  register_view("agg/dist_int_one_view", one, NULL, 0, distribution(bounds, nb));
  const int64_t iv[] = {0, 1, 100, 101, 999, 1000, 1001, 50};
  double values[8];
  for (size_t i = 0; i < 8; i++) {
    values[i] = (double)iv[i];
    assert_int_equal(census_record_int64(m, iv[i], NULL), CENSUS_OK);
  }
  struct dist_expect e;
  dist_expect_compute(values, 8, bounds, nb, &e);
  census_point p;
  census_view_data *d = single_row("agg/dist_int_view", &p);
  assert_dist(&p, &e, nb, 1e-12);
  census_view_data_free(d);

  assert_int_equal(census_record_int64(one, 77, NULL), CENSUS_OK);
  d = single_row("agg/dist_int_one_view", &p);
  assert_int_equal(p.count, 1);
  assert_true(p.mean == 77);
  assert_true(p.min == 77 && p.max == 77);
  assert_true(p.sum_of_squared_deviation == 0);
  census_view_data_free(d);
}

/* Proves: mean and SSD are computed in a numerically stable way: for 1e9 + k (k = 1..1000) the
 * naive sum(x^2) - n*mean^2 loses most significant digits in double precision, while the
 * reference (two-pass) and the closed form n(n^2-1)/12 agree. Tolerance: 1e-6 relative. Also
 * the textbook example 1e9 + {4, 7, 13, 16}: SSD exactly 90. */
static void test_distribution_numerically_hard(void **state) {
  (void)state;
  enum { N = 1000 };
  const census_measure *m = double_measure("agg/dist_hard");
  const census_measure *m4 = double_measure("agg/dist_hard4");
  const double bounds[] = {1e9, 1e9 + 500, 1e9 + 2000};
  register_view("agg/dist_hard_view", m, NULL, 0, distribution(bounds, 3));
  register_view("agg/dist_hard4_view", m4, NULL, 0, distribution(NULL, 0));

  static double values[N];
  for (int k = 1; k <= N; k++) {
    values[k - 1] = 1e9 + k;
    assert_int_equal(census_record_double(m, values[k - 1], NULL), CENSUS_OK);
  }
  struct dist_expect e;
  dist_expect_compute(values, N, bounds, 3, &e);
  const double closed_ssd = (double)N * ((double)N * N - 1) / 12.0;
  assert_close(e.ssd, closed_ssd, 1e-9, 0); /* the reference itself is right */
  /* The input is hard: the naive one-pass formula misses by far more than the tolerance, so an
   * implementation using it fails this test. */
  double naive_sum = 0, naive_sq = 0;
  for (int i = 0; i < N; i++) {
    naive_sum += values[i];
    naive_sq += values[i] * values[i];
  }
  const double naive_mean = naive_sum / N;
  const double naive_ssd = naive_sq - N * naive_mean * naive_mean;
  assert_true(fabs(naive_ssd - closed_ssd) > 1e-6 * closed_ssd);
  census_point p;
  census_view_data *d = single_row("agg/dist_hard_view", &p);
  assert_int_equal(p.count, N);
  assert_close(p.mean, 1e9 + (N + 1) / 2.0, 1e-12, 0);
  assert_close(p.sum_of_squared_deviation, closed_ssd, 1e-6, 0);
  assert_dist(&p, &e, 3, 1e-6);
  census_view_data_free(d);

  const double four[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(census_record_double(m4, four[i], NULL), CENSUS_OK);
  }
  d = single_row("agg/dist_hard4_view", &p);
  assert_int_equal(p.count, 4);
  assert_close(p.mean, 1e9 + 10, 1e-15, 0);
  assert_close(p.sum_of_squared_deviation, 90.0, 1e-6, 0);
  census_view_data_free(d);
}

/* The reference mean and sum of squared deviation of values[0..n), two passes in long double
 * (64-bit significand), on the values less `offset` (exact here): a plain long double sum of 60000
 * values near 2^40 would round every addition and move the mean enough to add 1e-8 to the SSD. */
static void long_double_reference(const double *values, size_t n, double offset, long double *mean,
                                  long double *ssd) {
  long double sum = 0;
  for (size_t i = 0; i < n; i++) {
    sum += (long double)values[i] - offset;
  }
  long double mean_less_offset = sum / (long double)n;
  long double acc = 0;
  for (size_t i = 0; i < n; i++) {
    long double d = ((long double)values[i] - offset) - mean_less_offset;
    acc += d * d;
  }
  *mean = offset + mean_less_offset;
  *ssd = acc;
}

/* Proves: the sum of squared deviation and the mean stay accurate on hostile data, a large offset
 * with a tiny spread: 2^40 (about 1.1e12, where a double's step is 2^-12) plus 0 .. 255 steps of
 * 2^-12 (spread about 0.02), 60000 values recorded over three collections (so three cell halves,
 * each with its own shift, are merged) and from two threads (two cells per collection). The
 * reference is the two-pass formula in long double; census must agree to 1e-9 relative on the SSD.
 * The plain one-pass formula in double misses by far more (checked below, so the data are hard). */
#define HOSTILE_N 60000
static double hostile_values[HOSTILE_N];
struct hostile_part {
  const census_measure *m;
  size_t from, to;
};

static void *hostile_record(void *arg) {
  const struct hostile_part *part = arg;
  for (size_t i = part->from; i < part->to; i++) {
    if (census_record_double(part->m, hostile_values[i], NULL) != CENSUS_OK) {
      return (void *)1;
    }
  }
  return NULL;
}

static void test_distribution_hostile_offset(void **state) {
  (void)state;
  const census_measure *m = double_measure("agg/dist_hostile");
  register_view("agg/dist_hostile_view", m, NULL, 0, distribution(NULL, 0));
  const double offset = 1099511627776.0; /* 2^40 */
  const double step = 1.0 / 4096;        /* 2^-12, the spacing of doubles near 2^40 */
  uint64_t lcg = 12345;
  for (size_t i = 0; i < HOSTILE_N; i++) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    hostile_values[i] = offset + (double)(lcg >> 56) * step;
  }
  long double ref_mean, ref_ssd;
  long_double_reference(hostile_values, HOSTILE_N, offset, &ref_mean, &ref_ssd);
  double naive_sum = 0, naive_sq = 0;
  for (size_t i = 0; i < HOSTILE_N; i++) {
    naive_sum += hostile_values[i];
    naive_sq += hostile_values[i] * hostile_values[i];
  }
  double naive_ssd = naive_sq - naive_sum * (naive_sum / HOSTILE_N);
  assert_true(fabsl((long double)naive_ssd - ref_ssd) > 1e-3L * ref_ssd); /* the data are hard */

  for (size_t batch = 0; batch < 3; batch++) {
    size_t from = batch * HOSTILE_N / 3, to = (batch + 1) * HOSTILE_N / 3, mid = (from + to) / 2;
    struct hostile_part parts[2] = {{m, from, mid}, {m, mid, to}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hostile_record, &parts[1]), 0);
    assert_null(hostile_record(&parts[0]));
    void *failed;
    assert_int_equal(pthread_join(t, &failed), 0);
    assert_null(failed);
    census_view_data_free(get_data("agg/dist_hostile_view")); /* a collection: halves merged */
  }
  census_point p;
  census_view_data *d = single_row("agg/dist_hostile_view", &p);
  assert_int_equal(p.count, HOSTILE_N);
  /* The mean is the double sum over the count (stats.md): that sum, 6.6e16 by the end, rounds each
   * addition to a step of 8, hence the looser bound on the mean than on the SSD. */
  assert_close(p.mean, (double)ref_mean, 1e-13, 0);
  if (!(fabsl((long double)p.sum_of_squared_deviation - ref_ssd) <= 1e-9L * ref_ssd)) {
    fail_msg("sum of squared deviation %.17g, reference %.17Lg", p.sum_of_squared_deviation,
             ref_ssd);
  }
  census_view_data_free(d);
}

/* Proves: data are cumulative across snapshots and partial results merge correctly: values
 * recorded in three batches, with a snapshot (collection) after each, give after each snapshot
 * exactly the distribution of everything recorded so far (the batches have different means, so a
 * merge that drops the between-batch term of the SSD is caught). */
static void test_distribution_across_snapshots(void **state) {
  (void)state;
  const double bounds[] = {1, 10, 100};
  const census_measure *m = double_measure("agg/dist_cumulative");
  register_view("agg/dist_cumulative_view", m, NULL, 0, distribution(bounds, 3));
  const double values[] = {0.5, 1, 2, /* batch 2 */ 50, 60, 100, 150, /* batch 3 */ 3, 1000};
  const size_t batch_end[] = {3, 7, 9};
  size_t done = 0;
  for (size_t b = 0; b < 3; b++) {
    for (; done < batch_end[b]; done++) {
      assert_int_equal(census_record_double(m, values[done], NULL), CENSUS_OK);
    }
    struct dist_expect e;
    dist_expect_compute(values, done, bounds, 3, &e);
    census_point p;
    census_view_data *d = single_row("agg/dist_cumulative_view", &p);
    assert_dist(&p, &e, 3, 1e-12);
    census_view_data_free(d);
  }
}

/* Proves: NaN, +inf and -inf are refused with ENONFINITE, and negative values (down to the
 * smallest negative subnormal, and INT64_MIN) with ENEGATIVE; none of them reaches any view (no
 * row appears in COUNT, SUM or DISTRIBUTION views); a valid value afterwards is counted alone. */
static void test_refused_values(void **state) {
  (void)state;
  const census_measure *md = double_measure("agg/refuse_d");
  const census_measure *mi = int_measure("agg/refuse_i");
  register_view("agg/refuse_d_count", md, NULL, 0, census_aggregation_count_new());
  register_view("agg/refuse_d_sum", md, NULL, 0, census_aggregation_sum_new());
  register_view("agg/refuse_d_dist", md, NULL, 0, distribution(NULL, 0));
  register_view("agg/refuse_i_count", mi, NULL, 0, census_aggregation_count_new());

  census_diagnostics_set_callback(NULL, NULL); /* keep stderr quiet; counting still happens */
  assert_int_equal(census_record_double(md, NAN, NULL), CENSUS_ENONFINITE);
  assert_int_equal(census_record_double(md, -NAN, NULL), CENSUS_ENONFINITE);
  assert_int_equal(census_record_double(md, INFINITY, NULL), CENSUS_ENONFINITE);
  assert_int_equal(census_record_double(md, -INFINITY, NULL), CENSUS_ENONFINITE);
  assert_int_equal(census_record_double(md, -1.0, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_double(md, -DBL_MAX, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_double(md, -nextafter(0, 1), NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_int64(mi, -1, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_int64(mi, INT64_MIN, NULL), CENSUS_ENEGATIVE);

  assert_no_rows("agg/refuse_d_count");
  assert_no_rows("agg/refuse_d_sum");
  assert_no_rows("agg/refuse_d_dist");
  assert_no_rows("agg/refuse_i_count");

  assert_int_equal(census_record_double(md, 2.0, NULL), CENSUS_OK);
  census_point p;
  census_view_data *d = single_row("agg/refuse_d_dist", &p);
  assert_int_equal(p.count, 1);
  assert_true(p.min == 2.0 && p.max == 2.0);
  assert_true(p.double_value == 2.0);
  census_view_data_free(d);
  d = single_row("agg/refuse_d_sum", &p);
  assert_true(p.double_value == 2.0);
  census_view_data_free(d);
}

/* Proves: the boundary values just inside the accepted range are accepted: 0, -0.0 (not < 0, as
 * the header defines "negative"), the largest finite double and INT64_MAX. */
static void test_boundary_values_accepted(void **state) {
  (void)state;
  const census_measure *md = double_measure("agg/accept_d");
  const census_measure *mi = int_measure("agg/accept_i");
  register_view("agg/accept_d_count", md, NULL, 0, census_aggregation_count_new());
  register_view("agg/accept_i_last", mi, NULL, 0, census_aggregation_last_value_new());
  assert_int_equal(census_record_double(md, 0.0, NULL), CENSUS_OK);
  assert_int_equal(census_record_double(md, -0.0, NULL), CENSUS_OK);
  assert_int_equal(census_record_double(md, DBL_MAX, NULL), CENSUS_OK);
  assert_int_equal(census_record_double(md, nextafter(0, 1), NULL), CENSUS_OK);
  census_point p;
  census_view_data *d = single_row("agg/accept_d_count", &p);
  assert_int_equal(p.count, 4);
  census_view_data_free(d);

  assert_int_equal(census_record_int64(mi, INT64_MAX, NULL), CENSUS_OK);
  d = single_row("agg/accept_i_last", &p);
  assert_int_equal(p.int_value, INT64_MAX);
  census_view_data_free(d);
}

/* ---- exact sums and saturation ------------------------------------------------------------ */

/* Twenty integers summing to 6028 for which count x mean, as census computed a distribution's sum
 * before, is not an integer (6028.0000000000009): found by an independent harness. */
static const int64_t SIZES_6028[] = {235, 105, 326, 32,  23,  27,  555, 10,  391, 222,
                                     433, 30,  541, 228, 449, 508, 567, 239, 354, 753};
#define SIZES_COUNT (sizeof SIZES_6028 / sizeof SIZES_6028[0])

/* Proves: a distribution keeps an exact running sum: for an int64 measure it is the integer 6028
 * (int_value, and the same in double_value), equal to the Sum view of the same measure, and the
 * mean is that sum over the count (correctly rounded, 301.4); for a double measure recording the
 * same integers, the sum is exactly 6028.0. Fails on main, where the sum was count x mean
 * (6028.0000000000009) and int_value was not set for distributions. */
static void test_distribution_sum_exact(void **state) {
  (void)state;
  const census_measure *mi = int_measure("agg/exact_i");
  const census_measure *md = double_measure("agg/exact_d");
  const double bounds[] = {100, 500};
  register_view("agg/exact_i_dist", mi, NULL, 0, distribution(bounds, 2));
  register_view("agg/exact_i_sum", mi, NULL, 0, census_aggregation_sum_new());
  register_view("agg/exact_d_dist", md, NULL, 0, distribution(bounds, 2));
  int64_t want = 0;
  for (size_t i = 0; i < SIZES_COUNT; i++) {
    want += SIZES_6028[i];
    assert_int_equal(census_record_int64(mi, SIZES_6028[i], NULL), CENSUS_OK);
    assert_int_equal(census_record_double(md, (double)SIZES_6028[i], NULL), CENSUS_OK);
  }
  assert_int_equal(want, 6028); /* the input is what the comment says */
  census_point p;
  census_view_data *d = single_row("agg/exact_i_dist", &p);
  assert_int_equal(p.count, SIZES_COUNT);
  assert_int_equal(p.int_value, 6028);
  assert_true(p.double_value == 6028.0);
  assert_true(p.mean == 6028.0 / (double)SIZES_COUNT);
  census_view_data_free(d);
  d = single_row("agg/exact_i_sum", &p);
  assert_int_equal(p.int_value, 6028);
  census_view_data_free(d);
  d = single_row("agg/exact_d_dist", &p);
  assert_true(p.double_value == 6028.0);
  assert_int_equal(p.int_value, 0); /* a double measure's sum is in double_value only */
  census_view_data_free(d);
}

/* Proves: a distribution's sum never goes down and stays exact while zeros are recorded: after 7,
 * 11 and 13 (int64 measure) and after 0.1, 0.2 and 0.3 (double measure; the expectation is the
 * same left-to-right IEEE additions), 20 batches of 1000 zeros, each followed by a snapshot (a
 * collection merging a cell half into the totals), leave the sum exactly where it was, while the
 * count grows. Fails on main: there the sum was count x mean (int_value was not set); run this
 * way it went 31, 31.000000000000494, ..., 31.00000000000049 and went down in 6 of the 20
 * snapshots, each of which Prometheus reads as a counter reset of _sum. */
static void test_distribution_sum_after_zeros(void **state) {
  (void)state;
  const census_measure *mi = int_measure("agg/zeros_i");
  const census_measure *md = double_measure("agg/zeros_d");
  register_view("agg/zeros_i_dist", mi, NULL, 0, distribution(NULL, 0));
  register_view("agg/zeros_d_dist", md, NULL, 0, distribution(NULL, 0));
  const int64_t ints[] = {7, 11, 13};
  const double doubles[] = {0.1, 0.2, 0.3};
  double want_d = 0;
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(census_record_int64(mi, ints[i], NULL), CENSUS_OK);
    assert_int_equal(census_record_double(md, doubles[i], NULL), CENSUS_OK);
    want_d += doubles[i];
  }
  census_point p;
  census_view_data *d = single_row("agg/zeros_i_dist", &p);
  assert_int_equal(p.int_value, 31);
  census_view_data_free(d);
  double last_d = 0;
  for (int batch = 1; batch <= 20; batch++) {
    for (int i = 0; i < 1000; i++) {
      assert_int_equal(census_record_int64(mi, 0, NULL), CENSUS_OK);
      assert_int_equal(census_record_double(md, 0.0, NULL), CENSUS_OK);
    }
    d = single_row("agg/zeros_i_dist", &p);
    assert_int_equal(p.count, 3 + 1000 * batch);
    if (p.int_value != 31) {
      fail_msg("batch %d: int sum %lld, want 31", batch, (long long)p.int_value);
    }
    assert_true(p.mean == 31.0 / (double)p.count);
    census_view_data_free(d);
    d = single_row("agg/zeros_d_dist", &p);
    if (!(p.double_value == want_d && p.double_value >= last_d)) {
      fail_msg("batch %d: double sum %.17g, want %.17g (last %.17g)", batch, p.double_value, want_d,
               last_d);
    }
    last_d = p.double_value;
    census_view_data_free(d);
  }
}

static atomic_int limit_reports;
static char limit_message[512];

/* Counts CENSUS_ELIMIT diagnostics (and keeps the last message). */
static void on_limit(void *user, census_status status, const char *message) {
  (void)user;
  if (status == CENSUS_ELIMIT) {
    atomic_fetch_add(&limit_reports, 1);
    snprintf(limit_message, sizeof limit_message, "%s", message);
  }
}

/* The int sum and count of the single row of `view`. */
static int64_t int_sum_of(const char *view, int64_t *count) {
  census_point p;
  census_view_data *d = single_row(view, &p);
  census_view_data_free(d);
  if (count) {
    *count = p.count;
  }
  return p.int_value;
}

/* Proves: an int64 Sum and an int64 distribution's sum never wrap to a negative value. Across
 * collections: INT64_MAX - 1, then + 1 gives exactly INT64_MAX with nothing reported (the limit
 * itself is a value); + 1 more passes it: the sum stays at INT64_MAX (saturated), one CENSUS_ELIMIT
 * diagnostic names the view, and census/saturated_rows counts the row once (in the next
 * collection). Further records keep the sum at INT64_MAX and the count exact, with no second
 * report or count. Within one collection (one cell half): INT64_MAX + INT64_MAX saturates too.
 * Fails on main, where the sum wrapped to INT64_MIN (a counter going backwards) silently. */
static void test_int_sum_saturates(void **state) {
  (void)state;
  const census_measure *m = int_measure("agg/sat");
  register_view("agg/sat_sum", m, NULL, 0, census_aggregation_sum_new());
  register_view("agg/sat_dist", m, NULL, 0, distribution(NULL, 0));
  atomic_store(&limit_reports, 0);
  census_diagnostics_set_callback(on_limit, NULL);

  assert_int_equal(census_record_int64(m, INT64_MAX - 1, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/sat_sum", NULL), INT64_MAX - 1);
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/sat_sum", NULL), INT64_MAX);
  assert_int_equal(int_sum_of("agg/sat_dist", NULL), INT64_MAX);
  assert_int_equal(atomic_load(&limit_reports), 0);
  assert_int_equal(saturated_rows("agg/sat_sum"), 0);

  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  int64_t count;
  assert_int_equal(int_sum_of("agg/sat_sum", &count), INT64_MAX);
  assert_int_equal(count, 3);
  census_point p;
  census_view_data *d = single_row("agg/sat_dist", &p);
  assert_int_equal(p.int_value, INT64_MAX);
  assert_true(p.double_value == (double)INT64_MAX);
  assert_true(isfinite(p.mean) && p.mean > 3e18); /* the running mean: the sum cannot serve */
  census_view_data_free(d);
  assert_int_equal(atomic_load(&limit_reports),
                   2); /* once per view: the Sum and the distribution */
  assert_int_equal(saturated_rows("agg/sat_sum"), 1);
  assert_int_equal(saturated_rows("agg/sat_dist"), 1);

  for (int i = 0; i < 5; i++) {
    assert_int_equal(census_record_int64(m, 1000, NULL), CENSUS_OK);
  }
  assert_int_equal(int_sum_of("agg/sat_sum", &count), INT64_MAX);
  assert_int_equal(count, 8);
  assert_int_equal(int_sum_of("agg/sat_dist", &count), INT64_MAX);
  assert_int_equal(count, 8);
  assert_int_equal(saturated_rows("agg/sat_sum"), 1);
  assert_int_equal(atomic_load(&limit_reports), 2);

  /* One cell half: two INT64_MAX values before any collection. */
  const census_measure *m1 = int_measure("agg/sat1");
  register_view("agg/sat1_sum", m1, NULL, 0, census_aggregation_sum_new());
  assert_int_equal(census_record_int64(m1, INT64_MAX, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(m1, INT64_MAX, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/sat1_sum", &count), INT64_MAX);
  assert_int_equal(count, 2);
  assert_int_equal(atomic_load(&limit_reports), 3);
  assert_non_null(strstr(limit_message, "\"agg/sat1_sum\""));
  assert_non_null(strstr(limit_message, "INT64_MAX"));
  assert_int_equal(saturated_rows("agg/sat1_sum"), 1);
  census_diagnostics_set_callback(NULL, NULL);
}

/* A signed measure (census_measure_options.signed_values) of `type`. */
static const census_measure *signed_measure(const char *name, census_measure_type type) {
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.value_type = type;
  o.signed_values = true;
  census_status st = 1;
  const census_measure *m = census_measure_new(&o, &st);
  assert_non_null(m);
  return m;
}

/* Proves: a signed measure (an up-down counter's) accepts negative values where an unsigned one
 * refuses them (CENSUS_ENEGATIVE, nothing recorded): its int64 Sum goes down across collections
 * (+5 -7 = -2, then -3 = -5) with the count of measurements exact, a double Sum too, a LastValue
 * keeps a negative value, a Distribution puts negative values in the buckets below 0 with an
 * exact negative sum and min; census_view_data_is_monotonic() is false for the signed Sum and
 * Distribution and true for an unsigned Sum and a Count, false for a LastValue. Fails on main,
 * where every negative value was refused. */
static void test_signed_measure_sums(void **state) {
  (void)state;
  const census_measure *m = signed_measure("agg/signed", CENSUS_MEASURE_INT64);
  register_view("agg/signed_sum", m, NULL, 0, census_aggregation_sum_new());
  register_view("agg/signed_last", m, NULL, 0, census_aggregation_last_value_new());
  double bounds[] = {-10, 0, 10};
  register_view("agg/signed_dist", m, NULL, 0, distribution(bounds, 3));
  register_view("agg/signed_count", m, NULL, 0, census_aggregation_count_new());
  assert_int_equal(census_record_int64(m, 5, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(m, -7, NULL), CENSUS_OK);
  int64_t count;
  assert_int_equal(int_sum_of("agg/signed_sum", &count), -2);
  assert_int_equal(count, 2);
  assert_int_equal(census_record_int64(m, -3, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/signed_sum", &count), -5);
  assert_int_equal(count, 3);
  census_point p;
  census_view_data *d = single_row("agg/signed_last", &p);
  assert_int_equal(p.int_value, -3);
  assert_false(census_view_data_is_monotonic(d));
  census_view_data_free(d);
  d = single_row("agg/signed_dist", &p);
  assert_int_equal(p.int_value, -5);
  assert_true(p.double_value == -5.0);
  assert_true(p.min == -7.0 && p.max == 5.0);
  int64_t want_buckets[] = {0, 2, 1, 0}; /* (-inf,-10] (-10,0] (0,10] (10,inf) */
  assert_memory_equal(p.bucket_counts, want_buckets, sizeof want_buckets);
  assert_false(census_view_data_is_monotonic(d));
  census_view_data_free(d);
  d = single_row("agg/signed_sum", &p);
  assert_false(census_view_data_is_monotonic(d));
  census_view_data_free(d);
  d = single_row("agg/signed_count", &p);
  assert_true(census_view_data_is_monotonic(d)); /* a count only grows, whatever the values */
  assert_int_equal(p.count, 3);
  census_view_data_free(d);

  const census_measure *dm = signed_measure("agg/signed_d", CENSUS_MEASURE_DOUBLE);
  register_view("agg/signed_d_sum", dm, NULL, 0, census_aggregation_sum_new());
  assert_int_equal(census_record_double(dm, 0.5, NULL), CENSUS_OK);
  assert_int_equal(census_record_double(dm, -2.25, NULL), CENSUS_OK);
  d = single_row("agg/signed_d_sum", &p);
  assert_true(p.double_value == -1.75);
  census_view_data_free(d);

  const census_measure *u = int_measure("agg/unsigned");
  register_view("agg/unsigned_sum", u, NULL, 0, census_aggregation_sum_new());
  census_diagnostics_set_callback(NULL, NULL);
  assert_int_equal(census_record_int64(u, -1, NULL), CENSUS_ENEGATIVE);
  assert_int_equal(census_record_int64(u, 4, NULL), CENSUS_OK);
  d = single_row("agg/unsigned_sum", &p);
  assert_int_equal(p.int_value, 4);
  assert_true(census_view_data_is_monotonic(d));
  census_view_data_free(d);
  assert_false(census_view_data_is_monotonic(NULL));
}

/* Proves: a signed measure's int64 sum is held within INT64_MIN .. INT64_MAX instead of
 * wrapping: INT64_MIN + (-1) stays INT64_MIN, both within one cell half (the record path) and
 * across collections (the merge); the clamp is reported once (CENSUS_ELIMIT, naming the view and
 * saying "clamped") and counted once in census/saturated_rows; and unlike an unsigned sum's
 * sticky saturation, the clamped sum moves again when values turn (+10 gives INT64_MIN + 10). */
static void test_signed_sum_clamps(void **state) {
  (void)state;
  const census_measure *m = signed_measure("agg/clamp", CENSUS_MEASURE_INT64);
  register_view("agg/clamp_sum", m, NULL, 0, census_aggregation_sum_new());
  atomic_store(&limit_reports, 0);
  census_diagnostics_set_callback(on_limit, NULL);
  assert_int_equal(census_record_int64(m, INT64_MIN, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(m, -1, NULL), CENSUS_OK); /* same half: clamped */
  assert_int_equal(int_sum_of("agg/clamp_sum", NULL), INT64_MIN);
  assert_int_equal(atomic_load(&limit_reports), 1);
  assert_non_null(strstr(limit_message, "\"agg/clamp_sum\""));
  assert_non_null(strstr(limit_message, "clamped"));
  assert_int_equal(saturated_rows("agg/clamp_sum"), 1);
  assert_int_equal(census_record_int64(m, -5, NULL), CENSUS_OK); /* the merge clamps */
  assert_int_equal(int_sum_of("agg/clamp_sum", NULL), INT64_MIN);
  assert_int_equal(census_record_int64(m, 10, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/clamp_sum", NULL), INT64_MIN + 10);
  assert_int_equal(census_record_int64(m, INT64_MAX, NULL), CENSUS_OK);
  assert_int_equal(int_sum_of("agg/clamp_sum", NULL), INT64_MIN + 10 + INT64_MAX);
  assert_int_equal(atomic_load(&limit_reports), 1);     /* reported once per view */
  assert_int_equal(saturated_rows("agg/clamp_sum"), 1); /* counted once per row */
  census_diagnostics_set_callback(NULL, NULL);
}

/* Proves: the collector's merge saturates counts and bucket counts at INT64_MAX and says so, and
 * saturates int sums to the sticky saturated state: INT64_MAX - 1 + 1 is INT64_MAX, not
 * saturated; + 2 is saturated; a saturated sum plus anything stays saturated (and 2^63 + 2^63 does
 * not wrap to 0). Counts grow by one per record, so no test can record 2^63 of them: the merge is
 * called directly on words laid out as the view's. (On main the merge wrapped, silently.) */
static void test_merge_saturates_counts(void **state) {
  (void)state;
  const census_measure *m = int_measure("agg/merge_sat");
  struct census__rview view;
  memset(&view, 0, sizeof view);
  view.def.measure = m;
  view.def.aggregation.type = CENSUS_AGGREGATION_COUNT;
  view.words = census__aggregation_words(&view.def.aggregation);
  uint64_t into[WORD_BUCKETS + 2], from[WORD_BUCKETS + 2];
  into[WORD_COUNT] = INT64_MAX - 1;
  from[WORD_COUNT] = 1;
  assert_false(census__words_merge(&view, into, from));
  assert_true(into[WORD_COUNT] == INT64_MAX);
  assert_true(census__words_merge(&view, into, from));
  assert_true(into[WORD_COUNT] == INT64_MAX);

  view.def.aggregation.type = CENSUS_AGGREGATION_SUM;
  view.words = census__aggregation_words(&view.def.aggregation);
  into[WORD_COUNT] = 1;
  into[WORD_SUM] = INT64_MAX - 1;
  from[WORD_COUNT] = 1;
  from[WORD_SUM] = 1;
  assert_false(census__words_merge(&view, into, from));
  assert_true(into[WORD_SUM] == INT64_MAX);
  into[WORD_SUM] = INT64_MAX - 1;
  from[WORD_SUM] = 2;
  assert_true(census__words_merge(&view, into, from));
  assert_true(into[WORD_SUM] == CENSUS__SUM_SATURATED);
  from[WORD_SUM] = CENSUS__SUM_SATURATED;
  assert_true(census__words_merge(&view, into, from));
  assert_true(into[WORD_SUM] == CENSUS__SUM_SATURATED);
  into[WORD_SUM] = 5;
  assert_true(census__words_merge(&view, into, from)); /* a saturated cell half */
  assert_true(into[WORD_SUM] == CENSUS__SUM_SATURATED);

  const double bound = 1;
  view.def.aggregation.type = CENSUS_AGGREGATION_DISTRIBUTION;
  view.def.aggregation.bounds = (double *)&bound;
  view.def.aggregation.bound_count = 1;
  view.words = census__aggregation_words(&view.def.aggregation);
  assert_int_equal(view.words, WORD_BUCKETS + 2);
  census__words_reset(&view, into);
  census__words_reset(&view, from);
  into[WORD_COUNT] = INT64_MAX - 1;
  into[WORD_BUCKETS + 1] = INT64_MAX - 1;
  from[WORD_COUNT] = 2;
  from[WORD_BUCKETS + 1] = 2;
  assert_true(census__words_merge(&view, into, from));
  assert_true(into[WORD_COUNT] == INT64_MAX);
  assert_true(into[WORD_BUCKETS + 1] == INT64_MAX);
  assert_true(into[WORD_SUM] == 0);
}

/* Proves: cell.h's bucket_index() (fixed halving steps in bounds padded with +inf as
 * census__bounds_padded() says, the steps 8, 4, 2, 1 written out) gives the first bound >= x by a
 * linear scan over the n real bounds for every bound count 0..70 (powers of two, 15, 16 and their
 * neighbours included), for values below, between, on and past the bounds, and for +-inf and NaN
 * (index 0: NaN is below nothing). */
static void test_bucket_index_matches_linear_scan(void **state) {
  (void)state;
  double bounds[127];
  assert_int_equal(census__bounds_padded(0), 15);
  assert_int_equal(census__bounds_padded(15), 15);
  assert_int_equal(census__bounds_padded(16), 31);
  assert_int_equal(census__bounds_padded(70), 127);
  for (size_t n = 0; n <= 70; n++) {
    for (size_t i = 0; i < census__bounds_padded(n); i++) {
      /* strictly increasing, negative ones too; then the +inf pads */
      bounds[i] = i < n ? (double)(i * i) - 10.0 : INFINITY;
    }
    double probes[2 * 70 + 6];
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
      probes[np++] = bounds[i];       /* on a bound: that bucket (upper-inclusive) */
      probes[np++] = bounds[i] + 0.5; /* between it and the next */
    }
    probes[np++] = -11.0;
    probes[np++] = 1e300;
    probes[np++] = INFINITY;
    probes[np++] = -INFINITY;
    probes[np++] = NAN;
    for (size_t p = 0; p < np; p++) {
      size_t want = 0;
      while (want < n && !(probes[p] <= bounds[want]) && !isnan(probes[p])) {
        want++;
      }
      if (bucket_index(bounds, n, probes[p]) != want) {
        fail_msg("n %zu, x %g: bucket %zu, want %zu", n, probes[p],
                 bucket_index(bounds, n, probes[p]), want);
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounds_refused),
      cmocka_unit_test(test_bounds_accepted),
      cmocka_unit_test(test_aggregation_types),
      cmocka_unit_test(test_count),
      cmocka_unit_test(test_sum_int64),
      cmocka_unit_test(test_sum_double),
      cmocka_unit_test(test_last_value),
      cmocka_unit_test(test_distribution_basic),
      cmocka_unit_test(test_distribution_edges),
      cmocka_unit_test(test_distribution_no_bounds),
      cmocka_unit_test(test_distribution_int64),
      cmocka_unit_test(test_distribution_numerically_hard),
      cmocka_unit_test(test_distribution_hostile_offset),
      cmocka_unit_test(test_distribution_across_snapshots),
      cmocka_unit_test(test_refused_values),
      cmocka_unit_test(test_boundary_values_accepted),
      cmocka_unit_test(test_distribution_sum_exact),
      cmocka_unit_test(test_distribution_sum_after_zeros),
      cmocka_unit_test(test_int_sum_saturates),
      cmocka_unit_test(test_signed_measure_sums),
      cmocka_unit_test(test_signed_sum_clamps),
      cmocka_unit_test(test_merge_saturates_counts),
      cmocka_unit_test(test_bucket_index_matches_linear_scan),
  };
  return cmocka_run_group_tests_name("aggregation", tests, NULL, NULL);
}
