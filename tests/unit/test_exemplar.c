/* test_exemplar.c - exemplars through the public API: the filters (always_off, always_on,
 * trace_based), the aligned-bucket reservoir of distributions (one per bucket, last seen wins),
 * the fixed-size reservoir of other aggregations (reservoir sampling: 1 slot, 20 for exponential),
 * the filtered attributes (tags that are not columns; truncation flagged), bound measures, two
 * threads' reservoirs merged at collection, and views registered while the filter was off keeping
 * none. Fails on main: census has no exemplars (census_exemplar_filter_set() does not exist). */
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
#include "census/trace.h"

static int view_seq;
static const census_tag_key *k_method, *k_user;

/* A fresh view of a fresh measure, registered under the filter in force. */
static const census_measure *new_view(census_aggregation *a, bool is_double, char *name,
                                      size_t size) {
  census_status st;
  snprintf(name, size, "ex_unit/v%d", ++view_seq);
  const census_measure *m = is_double ? census_measure_double_new(name, "", "ms", &st)
                                      : census_measure_int64_new(name, "", "1", &st);
  assert_int_equal(st, CENSUS_OK);
  census_view *v = census_view_new(name, "", m, &k_method, 1, a, &st);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(a);
  return m;
}

static census_aggregation *dist3(void) {
  const double bounds[] = {10, 100, 1000};
  return census_aggregation_distribution_new(bounds, 3, NULL);
}

static census_tag_map *tags(const char *method, const char *user) {
  census_tag_map *t = census_tag_map_new();
  census_tag_map_put(t, k_method, method);
  if (user) {
    census_tag_map_put(t, k_user, user);
  }
  return t;
}

static void set_filter(census_exemplar_filter f) {
  assert_int_equal(census_exemplar_filter_set(f), CENSUS_OK);
  assert_int_equal(census_exemplar_filter_get(), f);
}

static void test_filter_api(void **state) {
  (void)state;
  assert_int_equal(census_exemplar_filter_get(), CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF); /* default */
  assert_int_equal(census_exemplar_filter_set((census_exemplar_filter)3), CENSUS_EINVAL);
  assert_int_equal(census_exemplar_filter_set((census_exemplar_filter)-1), CENSUS_EINVAL);
  assert_int_equal(census_exemplar_filter_get(), CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

/* Off at registration: no reservoir, whatever the filter becomes. */
static void test_off_view_keeps_none(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  census_tag_map *t = tags("GET", NULL);
  assert_int_equal(census_record_double(m, 5, t), CENSUS_OK);
  census_view_data *d = census_view_data_get(name, NULL);
  assert_non_null(d);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 0);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_ENOTFOUND);
  census_view_data_free(d);
  census_tag_map_free(t);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

/* always_on, no span: one exemplar per bucket, the last value seen in it, no span ids; filtered
 * attributes are the tags that are not columns. Later records replace a bucket's exemplar across
 * collections; buckets not recorded again keep theirs (cumulative). */
static void test_aligned_buckets(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  census_tag_map *plain = tags("GET", NULL), *alice = tags("GET", "alice");
  const double values[] = {1, 7, 50, 2000, 3000};
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(census_record_double(m, values[i], i == 4 ? alice : plain), CENSUS_OK);
  }
  census_view_data *d = census_view_data_get(name, NULL);
  assert_int_equal(census_view_data_row_count(d), 1);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 3); /* buckets 0, 1, 3 */
  census_exemplar e;
  const size_t want_bucket[] = {0, 1, 3};
  const double want_value[] = {7, 50, 3000};
  int64_t now = census_view_data_end_time_ns(d);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(census_view_data_row_exemplar(d, 0, i, &e), CENSUS_OK);
    assert_int_equal(e.bucket, want_bucket[i]);
    assert_true(e.double_value == want_value[i]);
    assert_false(e.has_span);
    assert_true(e.time_ns > 0 && e.time_ns <= now);
  }
  assert_int_equal(e.attribute_count, 1);
  const char *key, *value;
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 2, 0, &key, &value), CENSUS_OK);
  assert_string_equal(key, "user");
  assert_string_equal(value, "alice");
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 2, 1, &key, &value),
                   CENSUS_ENOTFOUND);
  assert_int_equal(census_view_data_row_exemplar(d, 0, 3, &e), CENSUS_ENOTFOUND);
  census_view_data_free(d);
  /* Next interval: bucket 1 gets a new exemplar; 0 and 3 keep theirs. */
  assert_int_equal(census_record_double(m, 60, plain), CENSUS_OK);
  d = census_view_data_get(name, NULL);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 3);
  assert_int_equal(census_view_data_row_exemplar(d, 0, 1, &e), CENSUS_OK);
  assert_true(e.double_value == 60);
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_true(e.double_value == 7);
  census_view_data_free(d);
  census_tag_map_free(plain);
  census_tag_map_free(alice);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

/* trace_based: only measurements in a sampled current span, with its ids. */
static void test_trace_based(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_TRACE_BASED);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  census_tag_map *t = tags("GET", NULL);
  assert_int_equal(census_record_double(m, 5, t), CENSUS_OK); /* no span */
  census_sampler *off = census_sampler_always_off(), *on = census_sampler_parent_based(NULL);
  census_trace_set_sampler(off);
  census_span unsampled = census_span_start_current("unsampled", NULL);
  assert_int_equal(census_record_double(m, 50, t), CENSUS_OK);
  census_span_end(unsampled);
  census_trace_set_sampler(on);
  census_span sampled = census_span_start_current("sampled", NULL);
  census_trace_context c;
  assert_int_equal(census_span_context(sampled, &c), CENSUS_OK);
  assert_int_equal(census_record_double(m, 500, t), CENSUS_OK);
  census_span_end(sampled);
  census_sampler_free(off);
  census_sampler_free(on);
  census_view_data *d = census_view_data_get(name, NULL);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 1);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_int_equal(e.bucket, 2);
  assert_true(e.has_span);
  assert_memory_equal(e.trace_id, c.trace_id, 16);
  assert_memory_equal(e.span_id, c.span_id, 8);
  census_view_data_free(d);
  census_tag_map_free(t);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

/* Sum: a one-slot reservoir holding one of the recorded values (as int64); exponential: up to
 * 20 slots, each a recorded value. Setting the filter to always_off stops sampling at once. */
static void test_fixed_size(void **state) {
  (void)state;
  char sum_name[64], exp_name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  const census_measure *sum = new_view(census_aggregation_sum_new(), false, sum_name, 64);
  const census_measure *ex =
      new_view(census_aggregation_exponential_new(160, 20, NULL), true, exp_name, 64);
  census_tag_map *t = tags("GET", NULL);
  for (int i = 1; i <= 100; i++) {
    assert_int_equal(census_record_int64(sum, i, t), CENSUS_OK);
    assert_int_equal(census_record_double(ex, i, t), CENSUS_OK);
  }
  census_view_data *d = census_view_data_get(sum_name, NULL);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 1);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_true(e.int_value >= 1 && e.int_value <= 100 && e.double_value == (double)e.int_value);
  assert_int_equal(e.bucket, SIZE_MAX);
  census_view_data_free(d);
  d = census_view_data_get(exp_name, NULL);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 20);
  bool seen[101] = {false};
  for (size_t i = 0; i < 20; i++) {
    assert_int_equal(census_view_data_row_exemplar(d, 0, i, &e), CENSUS_OK);
    assert_true(e.double_value >= 1 && e.double_value <= 100);
    assert_false(seen[(int)e.double_value]); /* each measurement sampled at most once */
    seen[(int)e.double_value] = true;
  }
  census_view_data_free(d);
  /* always_off now: new records are not sampled; what was kept stays. */
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
  const census_tag_key *keys[] = {k_method};
  (void)keys;
  census_tag_map *other = tags("PUT", NULL);
  assert_int_equal(census_record_int64(sum, 7, other), CENSUS_OK);
  d = census_view_data_get(sum_name, NULL);
  assert_int_equal(census_view_data_row_count(d), 2);
  size_t put_row = strcmp(census_view_data_row_value(d, 0, 0), "PUT") == 0 ? 0 : 1;
  assert_int_equal(census_view_data_row_exemplar_count(d, put_row), 0);
  assert_int_equal(census_view_data_row_exemplar_count(d, 1 - put_row), 1);
  census_view_data_free(d);
  census_tag_map_free(t);
  census_tag_map_free(other);
}

/* Attributes that do not fit 64 bytes are left out, and the exemplar says so. */
static void test_attributes_truncated(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  census_status st;
  const census_tag_key *k_a = census_tag_key_new("a", &st), *k_b = census_tag_key_new("b", &st);
  census_tag_map *t = tags("GET", NULL);
  census_tag_map_put(t, k_a, "0123456789012345678901234567890123456789"); /* 8 + 48 bytes */
  census_tag_map_put(t, k_b, "this one does not fit any more");
  assert_int_equal(census_record_double(m, 5, t), CENSUS_OK);
  census_view_data *d = census_view_data_get(name, NULL);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_int_equal(e.attribute_count, 1);
  assert_true(e.attributes_truncated);
  const char *key, *value;
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 0, 0, &key, &value), CENSUS_OK);
  assert_string_equal(key, "a");
  assert_string_equal(value, "0123456789012345678901234567890123456789");
  census_view_data_free(d);
  census_tag_map_free(t);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

/* A bound measure of a view with exemplars records through the unbound path: exemplars with the
 * handle's filtered attributes, and the counts all there. */
static void test_bound(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  census_tag_map *t = tags("GET", "bob");
  census_bound_measure *b = census_measure_bind(m, t, NULL);
  assert_non_null(b);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(census_bound_record_double(b, 2000 + i), CENSUS_OK);
  }
  census_view_data *d = census_view_data_get(name, NULL);
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 10);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 1);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_int_equal(e.bucket, 3);
  assert_true(e.double_value == 2009);
  const char *key, *value;
  assert_int_equal(census_view_data_row_exemplar_attribute(d, 0, 0, 0, &key, &value), CENSUS_OK);
  assert_string_equal(value, "bob");
  census_view_data_free(d);
  census_bound_measure_free(b);
  census_tag_map_free(t);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

struct thread_arg {
  const census_measure *m;
  double value;
};

static void *recorder(void *p) {
  struct thread_arg *a = p;
  census_tag_map *t = tags("GET", NULL);
  for (int i = 0; i < 20000; i++) {
    census_record_double(a->m, a->value, t);
  }
  census_tag_map_free(t);
  return NULL;
}

/* Two threads, each its own bucket, collected while they record: every count is there and each
 * bucket's exemplar is its thread's value (each thread's reservoir merged at collection). */
static void test_threads(void **state) {
  (void)state;
  char name[64];
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
  const census_measure *m = new_view(dist3(), true, name, sizeof name);
  struct thread_arg a = {m, 5}, b = {m, 500};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, recorder, &a);
  pthread_create(&tb, NULL, recorder, &b);
  for (int i = 0; i < 5; i++) {
    census_view_data_free(census_view_data_get(name, NULL));
  }
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  census_view_data *d = census_view_data_get(name, NULL);
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 40000);
  assert_int_equal(census_view_data_row_exemplar_count(d, 0), 2);
  census_exemplar e;
  assert_int_equal(census_view_data_row_exemplar(d, 0, 0, &e), CENSUS_OK);
  assert_true(e.bucket == 0 && e.double_value == 5);
  assert_int_equal(census_view_data_row_exemplar(d, 0, 1, &e), CENSUS_OK);
  assert_true(e.bucket == 2 && e.double_value == 500);
  census_view_data_free(d);
  set_filter(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF);
}

int main(void) {
  census_status st;
  k_method = census_tag_key_new("method", &st);
  k_user = census_tag_key_new("user", &st);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_filter_api),      cmocka_unit_test(test_off_view_keeps_none),
      cmocka_unit_test(test_aligned_buckets), cmocka_unit_test(test_trace_based),
      cmocka_unit_test(test_fixed_size),      cmocka_unit_test(test_attributes_truncated),
      cmocka_unit_test(test_bound),           cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
