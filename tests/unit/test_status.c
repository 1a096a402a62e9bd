/* test_status.c - the status table: every code documented in census/status.h has its own
 * symbolic name and a message, and codes outside the table get the documented fallbacks.
 *
 * The expected names and values are spelled out here from census 0.1's header (the contract: the
 * values are ABI and must never change), not taken from the implementation. The enum, the names
 * and the messages all come from one list, CENSUS_STATUS_MAP; the tests below also walk that list
 * and prove that each entry reaches both functions and that the codes are dense (no hole that
 * would fall back to "unknown"). Fails on main before the one-table change: CENSUS_STATUS_MAP
 * did not exist (the enum and src/core/status.c were written twice).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "census/status.h"

struct expected_code {
  census_status code;
  int value; /* as census 0.1 shipped it */
  const char *name;
};

/* Every code of census/status.h, with the identifier the header gives it. */
static const struct expected_code codes[] = {
    {CENSUS_OK, 0, "CENSUS_OK"},
    {CENSUS_EINVAL, -1, "CENSUS_EINVAL"},
    {CENSUS_ENOMEM, -2, "CENSUS_ENOMEM"},
    {CENSUS_EBADNAME, -3, "CENSUS_EBADNAME"},
    {CENSUS_EBADVALUE, -4, "CENSUS_EBADVALUE"},
    {CENSUS_ECONFLICT, -5, "CENSUS_ECONFLICT"},
    {CENSUS_EBADBOUNDS, -6, "CENSUS_EBADBOUNDS"},
    {CENSUS_ENEGATIVE, -7, "CENSUS_ENEGATIVE"},
    {CENSUS_ENONFINITE, -8, "CENSUS_ENONFINITE"},
    {CENSUS_ETYPE, -9, "CENSUS_ETYPE"},
    {CENSUS_ENOTFOUND, -10, "CENSUS_ENOTFOUND"},
    {CENSUS_ETIMEDOUT, -11, "CENSUS_ETIMEDOUT"},
    {CENSUS_ESHUTDOWN, -12, "CENSUS_ESHUTDOWN"},
    {CENSUS_EEXPORT, -13, "CENSUS_EEXPORT"},
    {CENSUS_ECONFIG, -14, "CENSUS_ECONFIG"},
    {CENSUS_ESYSTEM, -15, "CENSUS_ESYSTEM"},
    {CENSUS_ELIMIT, -16, "CENSUS_ELIMIT"},
    {CENSUS_EDUPLICATE, -17, "CENSUS_EDUPLICATE"},
    {CENSUS_ETOOLATE, -18, "CENSUS_ETOOLATE"},
};
#define CODE_COUNT (sizeof codes / sizeof codes[0])

/* One row of CENSUS_STATUS_MAP, as the macro expands it. */
struct map_row {
  census_status code;
  const char *name;
  const char *message;
};

static const struct map_row map_rows[] = {
#define MAP_ROW(name, value, message) {CENSUS_##name, "CENSUS_" #name, message},
    CENSUS_STATUS_MAP(MAP_ROW)
#undef MAP_ROW
};
#define MAP_COUNT (sizeof map_rows / sizeof map_rows[0])

/* The lowest code of the table (the codes run from 0 down to it). */
static census_status lowest_code(void) {
  census_status lowest = 0;
  for (size_t i = 0; i < MAP_COUNT; i++) {
    lowest = map_rows[i].code < lowest ? map_rows[i].code : lowest;
  }
  return lowest;
}

/* Proves: the values are those census 0.1 shipped (they are ABI), and the contract list above
 * names every code of the table (a code added to CENSUS_STATUS_MAP must be added here too, with
 * its value). */
static void test_values_stable(void **state) {
  (void)state;
  for (size_t i = 0; i < CODE_COUNT; i++) {
    assert_int_equal(codes[i].code, codes[i].value);
  }
  assert_int_equal(MAP_COUNT, CODE_COUNT);
}

/* Proves: every entry of CENSUS_STATUS_MAP reaches both functions: census_status_name() gives
 * "CENSUS_<NAME>" and census_status_str() gives the entry's own message, non-empty. */
static void test_every_map_entry_has_name_and_message(void **state) {
  (void)state;
  for (size_t i = 0; i < MAP_COUNT; i++) {
    assert_string_equal(census_status_name(map_rows[i].code), map_rows[i].name);
    assert_true(strlen(map_rows[i].message) > 0);
    assert_string_equal(census_status_str(map_rows[i].code), map_rows[i].message);
  }
}

/* Proves: the codes are dense from 0 to the lowest one: each value in between has a name and a
 * message of its own, and the value just below the lowest is unknown. */
static void test_codes_dense(void **state) {
  (void)state;
  census_status lowest = lowest_code();
  assert_int_equal(lowest, -(int)(MAP_COUNT - 1));
  for (census_status v = 0; v >= lowest; v--) {
    assert_string_not_equal(census_status_name(v), "CENSUS_UNKNOWN");
    assert_string_not_equal(census_status_str(v), "unknown census status");
  }
  assert_string_equal(census_status_name(lowest - 1), "CENSUS_UNKNOWN");
  assert_string_equal(census_status_str(lowest - 1), "unknown census status");
}

/* Proves: census_status_name() returns, for each code, exactly the identifier the header declares
 * (so names are distinct and start with "CENSUS_"). */
static void test_names_match_header(void **state) {
  (void)state;
  for (size_t i = 0; i < CODE_COUNT; i++) {
    const char *name = census_status_name(codes[i].code);
    assert_non_null(name);
    assert_string_equal(name, codes[i].name);
    assert_int_equal(strncmp(name, "CENSUS_", 7), 0);
  }
  /* Distinctness checked directly, independent of the table above being distinct. */
  for (size_t i = 0; i < CODE_COUNT; i++) {
    for (size_t j = i + 1; j < CODE_COUNT; j++) {
      assert_string_not_equal(census_status_name(codes[i].code), census_status_name(codes[j].code));
    }
  }
}

/* Proves: every known code has a non-empty message that is not the unknown-code fallback, and no
 * two codes share a message (a message must say which failure happened). */
static void test_messages_non_empty_and_distinct(void **state) {
  (void)state;
  for (size_t i = 0; i < CODE_COUNT; i++) {
    const char *msg = census_status_str(codes[i].code);
    assert_non_null(msg);
    assert_true(strlen(msg) > 0);
    assert_string_not_equal(msg, "unknown census status");
  }
  for (size_t i = 0; i < CODE_COUNT; i++) {
    for (size_t j = i + 1; j < CODE_COUNT; j++) {
      assert_string_not_equal(census_status_str(codes[i].code), census_status_str(codes[j].code));
    }
  }
}

/* Proves: the message the header quotes as its example is the one returned for EBADVALUE. */
static void test_header_example_message(void **state) {
  (void)state;
  assert_string_equal(census_status_str(CENSUS_EBADVALUE),
                      "tag value is longer than 255 bytes or not printable ASCII");
}

/* Proves: codes outside the table, on both sides and at the int extremes, give the documented
 * fallbacks rather than NULL or a neighbour's entry. The first code after the last one (N+1) is
 * included. */
static void test_unknown_codes(void **state) {
  (void)state;
  const census_status unknown[] = {1, 2, 100, lowest_code() - 1, -1000, INT_MIN, INT_MAX};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_non_null(census_status_str(unknown[i]));
    assert_non_null(census_status_name(unknown[i]));
    assert_string_equal(census_status_str(unknown[i]), "unknown census status");
    assert_string_equal(census_status_name(unknown[i]), "CENSUS_UNKNOWN");
  }
}

/* Proves: the returned strings are static: the same pointer comes back on every call. */
static void test_strings_are_static(void **state) {
  (void)state;
  for (size_t i = 0; i < CODE_COUNT; i++) {
    assert_ptr_equal(census_status_name(codes[i].code), census_status_name(codes[i].code));
    assert_ptr_equal(census_status_str(codes[i].code), census_status_str(codes[i].code));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_stable),
      cmocka_unit_test(test_every_map_entry_has_name_and_message),
      cmocka_unit_test(test_codes_dense),
      cmocka_unit_test(test_names_match_header),
      cmocka_unit_test(test_messages_non_empty_and_distinct),
      cmocka_unit_test(test_header_example_message),
      cmocka_unit_test(test_unknown_codes),
      cmocka_unit_test(test_strings_are_static),
  };
  return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
