/* test_status.c - the status table: every code documented in census/status.h has its own
 * symbolic name and a message, and codes outside the table get the documented fallbacks.
 *
 * The expected names are spelled out here from the enum in the header (the contract), not taken
 * from the implementation.
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
  const char *name;
};

/* Every code of census/status.h, with the identifier the header gives it. */
static const struct expected_code codes[] = {
    {CENSUS_OK, "CENSUS_OK"},
    {CENSUS_EINVAL, "CENSUS_EINVAL"},
    {CENSUS_ENOMEM, "CENSUS_ENOMEM"},
    {CENSUS_EBADNAME, "CENSUS_EBADNAME"},
    {CENSUS_EBADVALUE, "CENSUS_EBADVALUE"},
    {CENSUS_ECONFLICT, "CENSUS_ECONFLICT"},
    {CENSUS_EBADBOUNDS, "CENSUS_EBADBOUNDS"},
    {CENSUS_ENEGATIVE, "CENSUS_ENEGATIVE"},
    {CENSUS_ENONFINITE, "CENSUS_ENONFINITE"},
    {CENSUS_ETYPE, "CENSUS_ETYPE"},
    {CENSUS_ENOTFOUND, "CENSUS_ENOTFOUND"},
    {CENSUS_ETIMEDOUT, "CENSUS_ETIMEDOUT"},
    {CENSUS_ESHUTDOWN, "CENSUS_ESHUTDOWN"},
    {CENSUS_EEXPORT, "CENSUS_EEXPORT"},
    {CENSUS_ECONFIG, "CENSUS_ECONFIG"},
    {CENSUS_ESYSTEM, "CENSUS_ESYSTEM"},
    {CENSUS_ELIMIT, "CENSUS_ELIMIT"},
    {CENSUS_EDUPLICATE, "CENSUS_EDUPLICATE"},
};
#define CODE_COUNT (sizeof codes / sizeof codes[0])

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
  const census_status unknown[] = {1, 2, 100, CENSUS_EDUPLICATE - 1, -1000, INT_MIN, INT_MAX};
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
      cmocka_unit_test(test_names_match_header),
      cmocka_unit_test(test_messages_non_empty_and_distinct),
      cmocka_unit_test(test_header_example_message),
      cmocka_unit_test(test_unknown_codes),
      cmocka_unit_test(test_strings_are_static),
  };
  return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
