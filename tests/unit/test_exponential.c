/* test_exponential.c - exponential histogram views, recorded and collected through the public API.
 *
 * Expected buckets are computed here from OpenTelemetry's definition with libm's log2l (bucket of
 * x at scale s: ceil(log2(x) * 2^s) - 1; an exact power of two is the upper end of its bucket),
 * independently of census's table-driven index; the values are chosen away from bucket
 * boundaries (integers and halves, whose logarithms are never within 1e-9 of a boundary but at
 * powers of two, which the definition settles exactly). Proves: count, sum, min, max, mean and the
 * zero count; the scale is the highest at which the values' range fits max_size buckets, as
 * OpenTelemetry's aggregation keeps it (here computed from the definition); bucket counts equal
 * the independent bucketing at that scale; two threads recording disjoint ranges merge at the
 * lower scale, lowered further when their union does not fit; collections in between change
 * nothing (a half keeps its window); a bound measure records alike; bad parameters are refused;
 * a registration conflict names the exponential parameters; a signed measure (which may record
 * negative values, which have no bucket here) cannot have an exponential view. None of this exists
 * on main.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"

static int view_seq;

/* A fresh exponential view of a fresh double measure. */
static const census_measure *new_view(size_t max_size, int max_scale, char *name, size_t size) {
  census_status st;
  snprintf(name, size, "exp_test/v%d", ++view_seq);
  const census_measure *m = census_measure_double_new(name, "", "ms", &st);
  assert_int_equal(st, CENSUS_OK);
  census_aggregation *a = census_aggregation_exponential_new(max_size, max_scale, &st);
  assert_int_equal(st, CENSUS_OK);
  census_view *v = census_view_new(name, "", m, NULL, 0, a, &st);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(a);
  return m;
}

/* The definition's bucket index, independently (libm log2l). */
static int64_t def_index(double x, int scale) {
  int e;
  double m = frexp(x, &e);
  if (m == 0.5) { /* 2^(e-1): the upper end of its bucket */
    return scale >= 0 ? (int64_t)(e - 1) * ((int64_t)1 << scale) - 1 : (int64_t)((e - 2) >> -scale);
  }
  long double t = log2l((long double)x) * ldexpl(1.0L, scale);
  return (int64_t)ceill(t) - 1;
}

/* The highest scale <= max_scale at which values[] span at most max_size buckets. */
static int def_scale(const double *values, size_t n, size_t max_size, int max_scale) {
  for (int s = max_scale; s > -10; s--) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
      if (values[i] > 0) {
        int64_t k = def_index(values[i], s);
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
      }
    }
    if (hi - lo + 1 <= (int64_t)max_size) {
      return s;
    }
  }
  return -10;
}

/* Asserts the snapshot of `name` against values[] at scale `scale`. */
static void check(const char *name, const double *values, size_t n, int scale) {
  census_status st;
  census_view_data *d = census_view_data_get(name, &st);
  assert_non_null(d);
  assert_int_equal(census_view_data_row_count(d), 1);
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  census_exponential_buckets b;
  assert_int_equal(census_view_data_row_exponential(d, 0, &b), CENSUS_OK);
  int64_t zeros = 0;
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    zeros += values[i] == 0;
    sum += values[i];
    lo = fmin(lo, values[i]);
    hi = fmax(hi, values[i]);
  }
  assert_int_equal(p.count, (int64_t)n);
  assert_true(p.double_value == sum);
  assert_true(p.min == lo && p.max == hi);
  assert_true(fabs(p.mean - sum / (double)n) < 1e-9 * fabs(sum));
  assert_int_equal(p.bucket_count, 0);
  assert_int_equal(b.zero_count, zeros);
  assert_true(b.zero_threshold == 0);
  assert_int_equal(b.scale, scale);
  int64_t total = 0;
  for (size_t i = 0; i < b.bucket_count; i++) {
    int64_t want = 0;
    for (size_t v = 0; v < n; v++) {
      want += values[v] > 0 && def_index(values[v], scale) == b.offset + (int64_t)i;
    }
    assert_int_equal(b.bucket_counts[i], want);
    total += b.bucket_counts[i];
  }
  assert_int_equal(total + zeros, (int64_t)n); /* every value in a bucket of the range shown */
  if (b.bucket_count > 0) {
    assert_true(b.bucket_counts[0] > 0 && b.bucket_counts[b.bucket_count - 1] > 0);
  }
  census_view_data_free(d);
}

static void test_parameters(void **state) {
  census_status st;
  assert_null(census_aggregation_exponential_new(3, 20, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_null(census_aggregation_exponential_new(CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT + 1, 20, &st));
  assert_null(census_aggregation_exponential_new(160, 21, &st));
  assert_null(census_aggregation_exponential_new(160, -11, &st));
  census_aggregation *a = census_aggregation_exponential_new(0, 20, &st);
  assert_non_null(a);
  assert_int_equal(census_aggregation_kind(a), CENSUS_AGGREGATION_EXPONENTIAL);
  census_aggregation_free(a);
}

/* Latencies from 1 ms to 100 s: the default 160 buckets settle at the scale the definition
 * gives (a relative error of at most 2^(2^-s) - 1), zeros apart. */
static void test_latency_range(void **state) {
  char name[64];
  const census_measure *m = new_view(0, 20, name, sizeof name);
  double values[600];
  size_t n = 0;
  values[n++] = 0;
  values[n++] = 0;
  for (int i = 0; i < 560; i++) {
    values[n++] = 1.5 + (double)((i * 7919) % 99999); /* 1.5 .. 99998.5 ms, not on boundaries */
  }
  values[n++] = 1024; /* a power of two: the upper end of its bucket */
  values[n++] = 4096;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
  }
  int scale = def_scale(values, n, 160, 20);
  assert_true(scale >= 2 && scale <= 4);
  check(name, values, n, scale);
  /* A collection in between changes nothing: record more, check the union. */
  double more[] = {3.5, 77777.5, 12.5};
  for (size_t i = 0; i < 3; i++) {
    census_record_double(m, more[i], NULL);
    values[n++] = more[i];
  }
  check(name, values, n, def_scale(values, n, 160, 20));
}

/* A narrow range keeps a high scale (the cold path's refinement above 10 included). */
static void test_narrow_range(void **state) {
  char name[64];
  const census_measure *m = new_view(160, 20, name, sizeof name);
  double values[50];
  for (int i = 0; i < 50; i++) {
    values[i] = 1000.5 + i * 0.25;
    census_record_double(m, values[i], NULL);
  }
  int scale = def_scale(values, 50, 160, 20);
  assert_true(scale > 10);
  check(name, values, 50, scale);
}

typedef struct recorder {
  const census_measure *m;
  const double *values;
  size_t n;
} recorder;

static void *record_all(void *arg) {
  recorder *r = arg;
  for (size_t i = 0; i < r->n; i++) {
    census_record_double(r->m, r->values[i], NULL);
  }
  return NULL;
}

/* Two threads' cells at different scales: the totals take the lower, and lower it again when the
 * union does not fit 8 buckets. Bound measures record alike. */
static void test_threads_merge(void **state) {
  char name[64];
  const census_measure *m = new_view(8, 20, name, sizeof name);
  double a[6] = {1.5, 1.75, 1.25, 1.375, 1.625, 1.875};
  double b[4] = {3000.5, 3100.5, 3200.5, 3300.5};
  recorder ra = {m, a, 6}, rb = {m, b, 4};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, record_all, &ra);
  pthread_join(ta, NULL);
  pthread_create(&tb, NULL, record_all, &rb);
  pthread_join(tb, NULL);
  census_status st;
  census_bound_measure *bound = census_measure_bind(m, NULL, &st);
  census_bound_record_double(bound, 0);
  census_bound_record_double(bound, 2.5);
  double all[12];
  memcpy(all, a, sizeof a);
  memcpy(all + 6, b, sizeof b);
  all[10] = 0;
  all[11] = 2.5;
  check(name, all, 12, def_scale(all, 12, 8, 20));
  census_bound_measure_free(bound);
}

/* Window moves and scale changes in every direction: sequences of halves and integers from 0.5
 * up to 2^20 (and zeros), ascending, descending, outward from the middle and shuffled, into
 * views of 4, 8, 20 and 160 buckets, checked against the definition after every 40 values (each
 * check is a collection: harvested halves keep their windows, the totals merge them). */
static void test_sequences(void **state) {
  static const size_t sizes[] = {4, 8, 20, 160};
  enum { N = 200 };
  uint64_t rng = 16;
  for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
    for (int order = 0; order < 4; order++) {
      char name[64];
      const census_measure *m = new_view(sizes[z], 20, name, sizeof name);
      double values[N];
      for (int i = 0; i < N; i++) { /* log-spread: 0.5 * (1 + i^3 / 4) .. about 2^20 */
        values[i] = i % 50 == 7 ? 0 : 0.5 * (double)(1 + ((int64_t)i * i * i) / 4);
      }
      if (order == 1) { /* descending */
        for (int i = 0; i < N / 2; i++) {
          double t = values[i];
          values[i] = values[N - 1 - i];
          values[N - 1 - i] = t;
        }
      } else if (order == 2) { /* outward from the middle */
        double sorted[N];
        memcpy(sorted, values, sizeof sorted);
        for (int i = 0; i < N; i++) {
          values[i] = sorted[i % 2 ? N / 2 + (i + 1) / 2 - 1 : N / 2 - 1 - i / 2];
        }
      } else if (order == 3) { /* shuffled */
        for (int i = N - 1; i > 0; i--) {
          rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
          int j = (int)((rng >> 33) % (uint64_t)(i + 1));
          double t = values[i];
          values[i] = values[j];
          values[j] = t;
        }
      }
      for (int i = 0; i < N; i++) {
        assert_int_equal(census_record_double(m, values[i], NULL), CENSUS_OK);
        if ((i + 1) % 40 == 0) {
          check(name, values, (size_t)i + 1, def_scale(values, (size_t)i + 1, sizes[z], 20));
        }
      }
    }
  }
}

static void test_conflict(void **state) {
  census_status st;
  const census_measure *m = census_measure_double_new("exp_test/conflict", "", "1", &st);
  census_aggregation *a = census_aggregation_exponential_new(160, 20, &st);
  census_aggregation *b = census_aggregation_exponential_new(80, 20, &st);
  census_view *v = census_view_new("exp_test/conflict", "", m, NULL, 0, a, &st);
  census_view *w = census_view_new("exp_test/conflict", "", m, NULL, 0, b, &st);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  assert_int_equal(census_view_register(w), CENSUS_ECONFLICT);
  census_view_free(v);
  census_view_free(w);
  census_aggregation_free(a);
  census_aggregation_free(b);
}

/* Fails on the merge of signed measures and exponential histograms before view.c refused it: the
 * view was made, and a negative value reached the bucket index. */
static void test_signed_measure_refused(void **state) {
  census_status st;
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = "exp_test/signed";
  o.signed_values = true;
  const census_measure *m = census_measure_new(&o, &st);
  assert_non_null(m);
  census_aggregation *a = census_aggregation_exponential_new(160, 20, &st);
  assert_null(census_view_new("exp_test/signed", "", m, NULL, 0, a, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  census_aggregation_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signed_measure_refused),
      cmocka_unit_test(test_parameters),
      cmocka_unit_test(test_latency_range),
      cmocka_unit_test(test_narrow_range),
      cmocka_unit_test(test_threads_merge),
      cmocka_unit_test(test_sequences),
      cmocka_unit_test(test_conflict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
