/* test_moments.c - the distribution update (cell.h's moment words and bucket, shared by the
 * DISTRIBUTION and EXPONENTIAL aggregations) checked value for value against a plain reference
 * written here.
 *
 * Awkward values (negative ones on signed measures, huge and subnormal doubles, -0.0, 0.1 steps
 * whose sums do not round-trip, int64 values near 2^53 that a double cannot hold) are recorded
 * through each record path (census_record_*, a measurement map, a bound handle: bound.c's
 * one-DISTRIBUTION shape and its general loop) into one thread's cell, collected once, and
 * compared with the reference:
 *   - count, min, max, bucket counts and the exact sum: equal (an int measure's sum is the exact
 *     int64 sum, a double measure's the left-to-right double sum);
 *   - mean and sum of squared deviation: bit for bit the shifted sums the library documents
 *     (stats_internal.h: shift K the first value, s1 = sum (x - K), s2 = sum (x - K)^2, added in
 *     record order; mean = sum / count, ssd = s2 - s1 (s1 / n)), and, for the sequences whose
 *     spread a double can hold, within 1e-9 of a two-pass long double reference, so that the
 *     formula itself is checked too.
 * NaN and +-infinity are refused (CENSUS_ENONFINITE) and negative values on unsigned measures
 * (CENSUS_ENEGATIVE), recording nothing, as census_record_double() documents.
 * It guards the record paths' rewrites: a moment word skipped, added in another order or into
 * the wrong word, a min or max not moved, or a bucket off by one fails it.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

enum { MAX_VALUES = 64, MAX_BOUNDS = 32 };

/* One test sequence: its values in both forms (ints for an int measure). */
struct sequence {
  const char *name;
  bool is_double, is_signed;
  size_t n;
  double d[MAX_VALUES];
  int64_t i[MAX_VALUES];
  bool two_pass; /* the spread is representable: compare with the two-pass reference too */
};

/* The plain reference of a sequence, as the collection of one cell half reports it. */
struct reference {
  int64_t count, int_sum;
  double sum, mean, ssd, min, max;
  int64_t buckets[MAX_BOUNDS + 1];
};

static void reference_compute(const struct sequence *s, const double *bounds, size_t nb,
                              struct reference *r) {
  memset(r, 0, sizeof *r);
  double shift = 0, s1 = 0, s2 = 0;
  r->min = INFINITY;
  r->max = -INFINITY;
  for (size_t k = 0; k < s->n; k++) {
    double x = s->is_double ? s->d[k] : (double)s->i[k];
    if (k == 0) {
      shift = x;
    }
    r->count++;
    if (s->is_double) {
      r->sum += x;
    } else {
      r->int_sum += s->i[k]; /* the sequences stay inside int64 */
    }
    s1 += x - shift;
    s2 += (x - shift) * (x - shift);
    if (x < r->min) {
      r->min = x;
    }
    if (x > r->max) {
      r->max = x;
    }
    size_t b = 0;
    while (b < nb && x > bounds[b]) { /* upper-inclusive buckets: first bound >= x */
      b++;
    }
    r->buckets[b]++;
  }
  double n = (double)r->count;
  double sum = s->is_double ? r->sum : (double)r->int_sum;
  r->mean = isfinite(sum) ? sum / n : shift + s1 / n;
  double ssd = s2 - s1 * (s1 / n);
  r->ssd = ssd > 0 ? ssd : 0;
}

/* Two-pass long double mean and sum of squared deviation. */
static void two_pass(const struct sequence *s, long double *mean, long double *ssd) {
  long double sum = 0;
  for (size_t k = 0; k < s->n; k++) {
    sum += s->is_double ? (long double)s->d[k] : (long double)s->i[k];
  }
  *mean = sum / (long double)s->n;
  *ssd = 0;
  for (size_t k = 0; k < s->n; k++) {
    long double x = s->is_double ? (long double)s->d[k] : (long double)s->i[k];
    *ssd += (x - *mean) * (x - *mean);
  }
}

static void bits_equal(const char *what, const char *seq, const char *path, double got,
                       double want) {
  if (memcmp(&got, &want, sizeof got) != 0) {
    fail_msg("%s, %s path: %s %.17g, reference %.17g", seq, path, what, got, want);
  }
}

/* Checks the only row of view `view_name` against the reference of `s`; buckets when nb >= 0. */
static void check_row(const char *view_name, const char *path, const struct sequence *s,
                      const double *bounds, long nb) {
  struct reference r;
  reference_compute(s, bounds, nb < 0 ? 0 : (size_t)nb, &r);
  census_view_data *d = get_data(view_name);
  assert_int_equal(census_view_data_row_count(d), 1);
  census_point p;
  memset(&p, 0, sizeof p);
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  if (p.count != r.count) {
    fail_msg("%s, %s path: count %lld, want %lld", s->name, path, (long long)p.count,
             (long long)r.count);
  }
  if (s->is_double) {
    bits_equal("sum", s->name, path, p.double_value, r.sum);
  } else if (p.int_value != r.int_sum) {
    fail_msg("%s, %s path: int sum %lld, want %lld", s->name, path, (long long)p.int_value,
             (long long)r.int_sum);
  }
  bits_equal("mean", s->name, path, p.mean, r.mean);
  bits_equal("sum of squared deviation", s->name, path, p.sum_of_squared_deviation, r.ssd);
  bits_equal("min", s->name, path, p.min, r.min);
  bits_equal("max", s->name, path, p.max, r.max);
  if (nb >= 0) {
    assert_int_equal(p.bucket_count, (size_t)nb + 1);
    for (long b = 0; b <= nb; b++) {
      if (p.bucket_counts[b] != r.buckets[b]) {
        fail_msg("%s, %s path: bucket %ld holds %lld, want %lld", s->name, path, b,
                 (long long)p.bucket_counts[b], (long long)r.buckets[b]);
      }
    }
  }
  if (nb < 0) { /* exponential: zeros (+0 and -0) in the zero count, every other value in a slot */
    census_exponential_buckets e;
    assert_int_equal(census_view_data_row_exponential(d, 0, &e), CENSUS_OK);
    int64_t zeros = 0, in_slots = 0;
    for (size_t k = 0; k < s->n; k++) {
      zeros += (s->is_double ? s->d[k] : (double)s->i[k]) == 0;
    }
    for (size_t k = 0; k < e.bucket_count; k++) {
      in_slots += e.bucket_counts[k];
    }
    if (e.zero_count != zeros || in_slots != r.count - zeros) {
      fail_msg("%s, %s path: zero count %lld, %lld in buckets; want %lld, %lld", s->name, path,
               (long long)e.zero_count, (long long)in_slots, (long long)zeros,
               (long long)(r.count - zeros));
    }
  }
  if (s->two_pass) {
    long double mean, ssd;
    two_pass(s, &mean, &ssd);
    if (!(fabsl((long double)p.mean - mean) <= 1e-12L * fabsl(mean) + 1e-300L) ||
        !(fabsl((long double)p.sum_of_squared_deviation - ssd) <= 1e-9L * ssd + 1e-300L)) {
      fail_msg("%s, %s path: mean %.17g ssd %.17g, two-pass %.17Lg %.17Lg", s->name, path, p.mean,
               p.sum_of_squared_deviation, mean, ssd);
    }
  }
  census_view_data_free(d);
}

/* Records s into `m` through `path`: "direct", "map" or "bound". */
static void record_all(const census_measure *m, const char *path, const struct sequence *s) {
  census_measurement_map *map = NULL;
  census_bound_measure *bound = NULL;
  if (strcmp(path, "map") == 0) {
    map = census_measurement_map_new();
    assert_non_null(map);
  } else if (strcmp(path, "bound") == 0) {
    census_status st = 1;
    bound = census_measure_bind(m, NULL, &st);
    assert_non_null(bound);
  }
  for (size_t k = 0; k < s->n; k++) {
    census_status st;
    if (map) {
      st = s->is_double ? census_measurement_map_put_double(map, m, s->d[k])
                        : census_measurement_map_put_int64(map, m, s->i[k]);
      assert_int_equal(st, CENSUS_OK);
      st = census_measurement_map_record(map, NULL);
      census_measurement_map_clear(map);
    } else if (bound) {
      st = s->is_double ? census_bound_record_double(bound, s->d[k])
                        : census_bound_record_int64(bound, s->i[k]);
    } else {
      st = s->is_double ? census_record_double(m, s->d[k], NULL)
                        : census_record_int64(m, s->i[k], NULL);
    }
    if (st != CENSUS_OK) {
      fail_msg("%s, %s path: value %zu refused: %s", s->name, path, k, census_status_name(st));
    }
  }
  /* Refused values record nothing (the row is compared with the accepted values only). */
  if (s->is_double) {
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < 4; k++) {
      census_status st;
      if (map) {
        st = census_measurement_map_put_double(map, m, bad[k]);
        if (st == CENSUS_OK) {
          st = census_measurement_map_record(map, NULL);
        }
        census_measurement_map_clear(map);
      } else if (bound) {
        st = census_bound_record_double(bound, bad[k]);
      } else {
        st = census_record_double(m, bad[k], NULL);
      }
      assert_int_equal(st, CENSUS_ENONFINITE);
    }
  }
  if (!s->is_signed) {
    census_status st =
        s->is_double ? census_record_double(m, -1.5, NULL) : census_record_int64(m, -1, NULL);
    assert_int_equal(st, CENSUS_ENEGATIVE);
  }
  census_measurement_map_free(map);
  census_bound_measure_free(bound);
}

static const census_measure *sequence_measure(const struct sequence *s, const char *name) {
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.unit = "1";
  o.value_type = s->is_double ? CENSUS_MEASURE_DOUBLE : CENSUS_MEASURE_INT64;
  o.signed_values = s->is_signed;
  census_status st = 1;
  const census_measure *m = census_measure_new(&o, &st);
  if (!m) {
    fail_msg("measure %s refused: %s", name, census_status_name(st));
  }
  return m;
}

/* The test sequences. */
static size_t sequences_make(struct sequence *out) {
  size_t c = 0;
  struct sequence *s = &out[c++];
  *s = (struct sequence){.name = "0.1 steps", .is_double = true, .two_pass = true};
  double x = 0;
  for (int k = 0; k < 30; k++) {
    x += 0.1; /* 0.30000000000000004 and friends: sums that do not round-trip */
    s->d[s->n++] = x;
  }
  s = &out[c++];
  *s = (struct sequence){.name = "huge and tiny doubles", .is_double = true};
  const double hd[] = {1e300, 5e-324, -0.0,     0.0,     DBL_MAX, 1e-300, 1e300,
                       2.5,   1e16,   1e16 + 2, DBL_MIN, 0.1,     1e308};
  for (size_t k = 0; k < sizeof hd / sizeof *hd; k++) {
    s->d[s->n++] = hd[k];
  }
  s = &out[c++];
  *s = (struct sequence){.name = "large close doubles", .is_double = true, .two_pass = true};
  for (int k = 0; k < 40; k++) {
    s->d[s->n++] = 1e9 + 0.25 * (k % 7) - 0.5 * (k % 3);
  }
  s = &out[c++];
  *s = (struct sequence){
      .name = "signed doubles", .is_double = true, .is_signed = true, .two_pass = true};
  const double sd[] = {-3.5, 2.25, -1e6, 0.1, -0.1, -0.30000000000000004, 7e5, -DBL_MIN, 0, 12};
  for (size_t k = 0; k < sizeof sd / sizeof *sd; k++) {
    s->d[s->n++] = sd[k];
  }
  s = &out[c++];
  *s = (struct sequence){.name = "signed huge doubles", .is_double = true, .is_signed = true};
  const double sh[] = {1e300, -1e300, -DBL_MAX, 3.0, DBL_MAX, -5e-324};
  for (size_t k = 0; k < sizeof sh / sizeof *sh; k++) {
    s->d[s->n++] = sh[k];
  }
  const int64_t p53 = (int64_t)1 << 53;
  s = &out[c++];
  *s = (struct sequence){.name = "int64 near 2^53", .two_pass = true};
  const int64_t iv[] = {p53 + 1, p53, p53 - 1, p53 + 3, p53 + 2, 1, 0, p53 + 7, (int64_t)3e15};
  for (size_t k = 0; k < sizeof iv / sizeof *iv; k++) {
    s->i[s->n++] = iv[k];
  }
  s = &out[c++];
  *s = (struct sequence){.name = "large int64", .two_pass = true};
  const int64_t il[] = {(int64_t)1 << 60, 5, ((int64_t)1 << 60) + 1, 1000, ((int64_t)1 << 61) - 1};
  for (size_t k = 0; k < sizeof il / sizeof *il; k++) {
    s->i[s->n++] = il[k];
  }
  s = &out[c++];
  *s = (struct sequence){.name = "signed int64", .is_signed = true, .two_pass = true};
  const int64_t is[] = {-p53 - 1, 17, p53 + 1, -1, 0, -((int64_t)1 << 60), 42, -p53};
  for (size_t k = 0; k < sizeof is / sizeof *is; k++) {
    s->i[s->n++] = is[k];
  }
  return c;
}

static const double bounds[] = {
    -1e6, -0.5, 0, 0.1, 0.30000000000000004, 1, 2.5, 1e9, 9007199254740992.0, 1e300};
enum { BOUND_COUNT = sizeof bounds / sizeof *bounds };
/* More than 15 bounds: the search's loop before its four written-out steps (cell.h). */
static const double bounds20[] = {-1e6,
                                  -1000,
                                  -0.5,
                                  0,
                                  0.1,
                                  0.2,
                                  0.30000000000000004,
                                  0.5,
                                  1,
                                  2.5,
                                  3,
                                  10,
                                  100,
                                  1e6,
                                  1e9,
                                  1e9 + 1,
                                  9007199254740992.0,
                                  9007199254740994.0,
                                  1e18,
                                  1e300};
enum { BOUND20_COUNT = sizeof bounds20 / sizeof *bounds20 };

/* Runs `run` for every sequence (the unsigned ones only if `unsigned_only`) and record path;
 * q numbers the sequence, for view names. */
typedef void case_fn(const struct sequence *s, size_t q, const char *path);
static void each_case(case_fn *run, bool unsigned_only) {
  static struct sequence seqs[12];
  size_t ns = sequences_make(seqs);
  static const char *const paths[] = {"direct", "map", "bound"};
  for (size_t q = 0; q < ns; q++) {
    for (size_t p = 0; p < 3 && !(unsigned_only && seqs[q].is_signed); p++) {
      run(&seqs[q], q, paths[p]);
    }
  }
}

/* Registers the view `name` of m: a DISTRIBUTION of bounds b[0..nb) (nb >= 0) or an EXPONENTIAL
 * (nb < 0). */
static void add_view(const census_measure *m, const char *name, const double *b, long nb) {
  census_status st = 1;
  register_view(name, m, NULL, 0,
                nb >= 0 ? census_aggregation_distribution_new(b, (size_t)nb, &st)
                        : census_aggregation_exponential_new(0, 20, &st));
}

static void distribution_case(const struct sequence *s, size_t q, const char *path) {
  static const double *const shapes[] = {bounds, bounds + 4, bounds20};
  static const long counts[] = {BOUND_COUNT, 3, BOUND20_COUNT};
  for (size_t shape = 0; shape < 3; shape++) {
    char name[128];
    snprintf(name, sizeof name, "moments/dist/%zu/%s/%zu", q, path, shape);
    const census_measure *m = sequence_measure(s, name);
    add_view(m, name, shapes[shape], counts[shape]);
    record_all(m, path, s);
    check_row(name, path, s, shapes[shape], counts[shape]);
  }
}

/* Proves: a DISTRIBUTION view's collected row (count, exact sum, mean, sum of squared deviation,
 * min, max, buckets) equals the plain reference for every sequence through every record path,
 * with 10, 3 and 20 bounds (the bucket search's shapes); bound handles with one view take
 * bound.c's one-DISTRIBUTION shape. */
static void test_distribution_matches_reference(void **state) {
  (void)state;
  each_case(distribution_case, false);
}

static void exponential_case(const struct sequence *s, size_t q, const char *path) {
  char name[128];
  snprintf(name, sizeof name, "moments/exp/%zu/%s", q, path);
  const census_measure *m = sequence_measure(s, name);
  add_view(m, name, NULL, -1);
  record_all(m, path, s);
  check_row(name, path, s, NULL, -1);
}

/* Proves: an EXPONENTIAL view's moments (count, exact sum, mean, sum of squared deviation, min,
 * max: the words it shares with DISTRIBUTION) equal the plain reference for the same unsigned
 * sequences (an exponential view of a signed measure is refused) and paths; its zero count and
 * slots hold every value; its buckets are test_exponential's. */
static void test_exponential_moments_match_reference(void **state) {
  (void)state;
  each_case(exponential_case, true);
}

static void two_views_case(const struct sequence *s, size_t q, const char *path) {
  char name[128], first[140], second[140];
  snprintf(name, sizeof name, "moments/two/%zu/%s", q, path);
  snprintf(first, sizeof first, "%s/dist", name);
  snprintf(second, sizeof second, "%s/other", name);
  const census_measure *m = sequence_measure(s, name);
  long second_nb = s->is_signed ? 3 : -1;
  add_view(m, first, bounds, BOUND_COUNT);
  add_view(m, second, bounds + 4, second_nb);
  record_all(m, path, s);
  check_row(first, path, s, bounds, BOUND_COUNT);
  check_row(second, path, s, bounds + 4, second_nb);
}

/* Proves: with two views of one measure (a DISTRIBUTION and, for an unsigned one, an
 * EXPONENTIAL, else a second DISTRIBUTION with 3 bounds), each view's row still equals the
 * reference: the general loops of the direct and bound paths. */
static void test_two_views_match_reference(void **state) {
  (void)state;
  each_case(two_views_case, false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_distribution_matches_reference),
      cmocka_unit_test(test_exponential_moments_match_reference),
      cmocka_unit_test(test_two_views_match_reference),
  };
  return cmocka_run_group_tests_name("moments", tests, NULL, NULL);
}
