/* test_cardinality.c - the per-view series limit holds memory flat under a flood of unique tag
 * values, and loses no measurement: everything beyond the limit is counted in the overflow row.
 *
 * Memory is read from /proc/self/statm (resident pages) after a warm-up flood and again after a
 * flood fifty times larger; with the limit in force the second flood may not grow the resident set
 * by more than a small allowance (allocator noise), whereas caching each unique tuple would cost
 * tens of megabytes.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support.h" /* cmocka, census/census.h and register_view_limited */

/* AddressSanitizer keeps freed memory in quarantine (the flood frees a tag value per record), so
 * the resident set says nothing about census there; the release build makes the memory check. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_CHECK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMORY_CHECK 0
#endif
#endif
#ifndef MEMORY_CHECK
#define MEMORY_CHECK 1
#endif

static long resident_bytes(void) {
  long pages_total = 0, pages_resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  assert_non_null(f);
  assert_int_equal(fscanf(f, "%ld %ld", &pages_total, &pages_resident), 2);
  fclose(f);
  return pages_resident * sysconf(_SC_PAGESIZE);
}

/* Records `count` measurements, each with a tag value never used before. */
static void flood(const census_measure *m, const census_tag_key *k, census_tag_map *tags,
                  long first, long count) {
  char value[32];
  for (long i = first; i < first + count; i++) {
    snprintf(value, sizeof value, "user-%ld", i);
    assert_int_equal(census_tag_map_put(tags, k, value), CENSUS_OK);
    assert_int_equal(census_record_int64(m, 1, tags), CENSUS_OK);
  }
}

static void test_limit_holds_memory_flat_and_counts_everything(void **state) {
  (void)state;
  enum { LIMIT = 100 };
  const long warmup = 20000, flood_size = 1000000;
  census_status st;
  census_diagnostics_set_callback(NULL, NULL);
  const census_measure *m = census_measure_int64_new("card/requests", "", "1", &st);
  const census_tag_key *k = census_tag_key_new("user", &st);
  register_view_limited("card/requests_by_user", m, &k, 1, census_aggregation_count_new(), LIMIT);
  census_tag_map *tags = census_tag_map_new();

  flood(m, k, tags, 0, warmup);
  census_view_data_free(census_view_data_get("card/requests_by_user", NULL));
  long before = resident_bytes();
  flood(m, k, tags, warmup, flood_size);
  census_view_data *d = census_view_data_get("card/requests_by_user", &st);
  long after = resident_bytes();
  assert_non_null(d);

  /* A million cached tuples would need well over 50 MB; allow 2 MB of allocator noise. */
  long growth = after - before;
  if (MEMORY_CHECK && growth > 2 * 1024 * 1024) {
    fail_msg("resident set grew by %ld bytes over %ld unique tag values", growth, flood_size);
  }

  size_t normal_rows = 0;
  int64_t normal_total = 0, overflow_total = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
    if (census_view_data_row_is_overflow(d, r)) {
      overflow_total += p.count;
      assert_string_equal(census_view_data_row_value(d, r, 0), "");
    } else {
      normal_rows++;
      normal_total += p.count;
      assert_int_equal(p.count, 1); /* every value was unique */
    }
  }
  assert_int_equal(normal_rows, LIMIT);
  assert_int_equal(normal_total, LIMIT);
  assert_int_equal(overflow_total, warmup + flood_size - LIMIT);
  census_view_data_free(d);
  census_tag_map_free(tags);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limit_holds_memory_flat_and_counts_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
