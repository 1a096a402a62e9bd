/* test_measure.c - measure creation, lookup and conflicts (census/stats.h, "Measures").
 *
 * Measures are process-global, so every test uses its own names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"

/* Proves: an int64 measure keeps name, description, unit (all copied) and type. */
static void test_int64_measure_fields(void **state) {
  (void)state;
  char name[32], desc[32], unit[8];
  strcpy(name, "m/latency_int");
  strcpy(desc, "request latency");
  strcpy(unit, "ms");
  census_status st = 1;
  const census_measure *m = census_measure_int64_new(name, desc, unit, &st);
  assert_non_null(m);
  assert_int_equal(st, CENSUS_OK);
  memset(name, 'x', sizeof name - 1);
  memset(desc, 'x', sizeof desc - 1);
  memset(unit, 'x', sizeof unit - 1);
  assert_string_equal(census_measure_name(m), "m/latency_int");
  assert_string_equal(census_measure_description(m), "request latency");
  assert_string_equal(census_measure_unit(m), "ms");
  assert_int_equal(census_measure_value_type(m), CENSUS_MEASURE_INT64);
}

/* Proves: a double measure reports CENSUS_MEASURE_DOUBLE and its fields. */
static void test_double_measure_fields(void **state) {
  (void)state;
  census_status st = 1;
  const census_measure *m = census_measure_double_new("m/size_double", "payload size", "By", &st);
  assert_non_null(m);
  assert_int_equal(st, CENSUS_OK);
  assert_string_equal(census_measure_name(m), "m/size_double");
  assert_string_equal(census_measure_description(m), "payload size");
  assert_string_equal(census_measure_unit(m), "By");
  assert_int_equal(census_measure_value_type(m), CENSUS_MEASURE_DOUBLE);
}

/* Proves: NULL and "" units both mean "1"; a NULL description reads back as "" (the header says
 * NULL means empty); and these spellings are the same definition as the explicit ones, so they
 * return the same pointer rather than a conflict. */
static void test_default_unit_and_description(void **state) {
  (void)state;
  census_status st = 1;
  const census_measure *a = census_measure_int64_new("m/defaults", NULL, NULL, &st);
  assert_non_null(a);
  assert_string_equal(census_measure_unit(a), "1");
  assert_non_null(census_measure_description(a));
  assert_string_equal(census_measure_description(a), "");

  st = 1;
  const census_measure *b = census_measure_int64_new("m/defaults", "", "1", &st);
  assert_int_equal(st, CENSUS_OK);
  assert_ptr_equal(a, b);
  const census_measure *c = census_measure_int64_new("m/defaults", NULL, "", &st);
  assert_ptr_equal(a, c);

  const census_measure *d = census_measure_double_new("m/defaults_d", "d", "", &st);
  assert_non_null(d);
  assert_string_equal(census_measure_unit(d), "1");
}

/* Proves: creating the same definition again returns the same pointer, for both types, and from
 * freshly built (non-identical-address) strings. */
static void test_same_definition_same_pointer(void **state) {
  (void)state;
  const census_measure *a = census_measure_int64_new("m/same", "d", "s", NULL);
  char name[16], desc[4], unit[4];
  strcpy(name, "m/same");
  strcpy(desc, "d");
  strcpy(unit, "s");
  const census_measure *b = census_measure_int64_new(name, desc, unit, NULL);
  assert_non_null(a);
  assert_ptr_equal(a, b);

  const census_measure *c = census_measure_double_new("m/same_d", "d", "s", NULL);
  const census_measure *e = census_measure_double_new("m/same_d", "d", "s", NULL);
  assert_non_null(c);
  assert_ptr_equal(c, e);
  assert_ptr_not_equal(a, c);
}

/* Proves: the same name with another type, description or unit is ECONFLICT and returns NULL,
 * and the original measure is unchanged afterwards. */
static void test_conflicts(void **state) {
  (void)state;
  const census_measure *orig = census_measure_int64_new("m/conflict", "desc", "ms", NULL);
  assert_non_null(orig);
  census_status st = 1;
  assert_null(census_measure_double_new("m/conflict", "desc", "ms", &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  st = 1;
  assert_null(census_measure_int64_new("m/conflict", "other", "ms", &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  st = 1;
  assert_null(census_measure_int64_new("m/conflict", "desc", "s", &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  st = 1;
  assert_null(census_measure_int64_new("m/conflict", NULL, "ms", &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  st = 1;
  assert_null(census_measure_int64_new("m/conflict", "desc", NULL, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);

  assert_ptr_equal(census_measure_int64_new("m/conflict", "desc", "ms", NULL), orig);
  assert_string_equal(census_measure_description(orig), "desc");
  assert_string_equal(census_measure_unit(orig), "ms");
  assert_int_equal(census_measure_value_type(orig), CENSUS_MEASURE_INT64);

  /* And the other way round, starting from a double measure. */
  assert_non_null(census_measure_double_new("m/conflict_d", NULL, NULL, NULL));
  st = 1;
  assert_null(census_measure_int64_new("m/conflict_d", NULL, NULL, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
}

static char last_diag[600];
static void capture_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  snprintf(last_diag, sizeof last_diag, "%s", message);
}

/* Proves: a measure's CENSUS_ECONFLICT comes with one diagnostic line naming the measure, the
 * field that differs (type, unit, description) with both values, and what to do. Fails on main,
 * where the conflict was silent. */
static void test_conflict_diagnostics(void **state) {
  (void)state;
  assert_non_null(census_measure_int64_new("m/why", "requests", "ms", NULL));
  census_diagnostics_set_callback(capture_diag, NULL);
  const char *tail = ": create it with the same definition, or under another name";
  char expected[400];
  assert_null(census_measure_double_new("m/why", "requests", "ms", NULL));
  snprintf(expected, sizeof expected,
           "census_measure_double_new: measure \"m/why\" already exists with another type "
           "(registered: int64, given: double)%s",
           tail);
  assert_string_equal(last_diag, expected);
  assert_null(census_measure_int64_new("m/why", "requests", "s", NULL));
  snprintf(expected, sizeof expected,
           "census_measure_int64_new: measure \"m/why\" already exists with another unit "
           "(registered: \"ms\", given: \"s\")%s",
           tail);
  assert_string_equal(last_diag, expected);
  assert_null(census_measure_int64_new("m/why", NULL, "ms", NULL));
  snprintf(expected, sizeof expected,
           "census_measure_int64_new: measure \"m/why\" already exists with another description "
           "(registered: \"requests\", given: \"\")%s",
           tail);
  assert_string_equal(last_diag, expected);
  census_diagnostics_set_callback(NULL, NULL);
}

/* Proves: name validation: NULL is EINVAL; "", 256 bytes, control characters, DEL and non-ASCII
 * are EBADNAME; 255 bytes is accepted (the N / N+1 boundary). Both constructors validate. */
static void test_bad_names(void **state) {
  (void)state;
  census_status st = 1;
  assert_null(census_measure_int64_new(NULL, NULL, NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(census_measure_double_new(NULL, NULL, NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);

  const char *bad[] = {"", "tab\there", "nl\n", "\x7f", "caf\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    st = 1;
    assert_null(census_measure_int64_new(bad[i], NULL, NULL, &st));
    assert_int_equal(st, CENSUS_EBADNAME);
    st = 1;
    assert_null(census_measure_double_new(bad[i], NULL, NULL, &st));
    assert_int_equal(st, CENSUS_EBADNAME);
  }

  char name[257];
  memset(name, 'm', 256);
  name[256] = '\0';
  st = 1;
  assert_null(census_measure_int64_new(name, NULL, NULL, &st));
  assert_int_equal(st, CENSUS_EBADNAME);
  name[255] = '\0';
  st = 1;
  const census_measure *m = census_measure_int64_new(name, NULL, NULL, &st);
  assert_non_null(m);
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(strlen(census_measure_name(m)), 255);
  assert_string_equal(census_measure_name(m), name);

  /* The ends of the printable range, 0x20 and 0x7e, are valid in names. */
  st = 1;
  m = census_measure_double_new("m/with space~", NULL, NULL, &st);
  assert_non_null(m);
  assert_int_equal(st, CENSUS_OK);
  assert_string_equal(census_measure_name(m), "m/with space~");
}

/* A census_measure_new() call with these fields; *status receives its status. */
static const census_measure *measure_opts(const char *name, census_measure_type type,
                                          bool signed_values, census_status *status) {
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = name;
  o.description = "d";
  o.unit = "{item}";
  o.value_type = type;
  o.signed_values = signed_values;
  return census_measure_new(&o, status);
}

/* Proves: census_measure_new() makes the measure its options define (value type 0 is double),
 * census_measure_is_signed() tells the sign, the int64/double constructors make unsigned
 * measures, and the same definition again is the same pointer. */
static void test_measure_new_fields(void **state) {
  (void)state;
  census_status st = 1;
  const census_measure *m = measure_opts("m/signed", CENSUS_MEASURE_INT64, true, &st);
  assert_non_null(m);
  assert_int_equal(st, CENSUS_OK);
  assert_true(census_measure_is_signed(m));
  assert_int_equal(census_measure_value_type(m), CENSUS_MEASURE_INT64);
  assert_string_equal(census_measure_unit(m), "{item}");
  assert_string_equal(census_measure_description(m), "d");
  assert_ptr_equal(measure_opts("m/signed", CENSUS_MEASURE_INT64, true, NULL), m);

  const census_measure *d = measure_opts("m/default_type", 0, false, &st);
  assert_non_null(d);
  assert_int_equal(census_measure_value_type(d), CENSUS_MEASURE_DOUBLE);
  assert_false(census_measure_is_signed(d));
  /* Unsigned through the options is the same measure as through the old constructor. */
  assert_ptr_equal(census_measure_double_new("m/default_type", "d", "{item}", NULL), d);
  assert_false(census_measure_is_signed(census_measure_int64_new("m/plain", NULL, NULL, NULL)));
  assert_false(census_measure_is_signed(NULL));
}

/* Proves: the sign is part of the definition: the same name signed and unsigned is ECONFLICT,
 * with one diagnostic line naming the field "sign" and both values; and census_measure_new()
 * refuses NULL options, a NULL name, an unknown value type and a struct not made with
 * CENSUS_MEASURE_OPTIONS_INIT (size 0, reported naming the macro). */
static void test_measure_new_conflicts_and_errors(void **state) {
  (void)state;
  assert_non_null(measure_opts("m/sign_conflict", CENSUS_MEASURE_INT64, false, NULL));
  census_diagnostics_set_callback(capture_diag, NULL);
  census_status st = 1;
  assert_null(measure_opts("m/sign_conflict", CENSUS_MEASURE_INT64, true, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  assert_string_equal(last_diag,
                      "census_measure_new: measure \"m/sign_conflict\" already exists with "
                      "another sign (registered: non-negative values only, given: signed "
                      "(negative values accepted)): create it with the same definition, or under "
                      "another name");
  st = 1;
  assert_null(census_measure_new(NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(measure_opts(NULL, CENSUS_MEASURE_INT64, true, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(measure_opts("m/bad_type", (census_measure_type)7, false, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  census_measure_options zeroed = {0};
  zeroed.name = "m/zeroed";
  last_diag[0] = '\0';
  st = 1;
  assert_null(census_measure_new(&zeroed, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_non_null(strstr(last_diag, "CENSUS_MEASURE_OPTIONS_INIT"));
  census_diagnostics_set_callback(NULL, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int64_measure_fields),
      cmocka_unit_test(test_double_measure_fields),
      cmocka_unit_test(test_default_unit_and_description),
      cmocka_unit_test(test_same_definition_same_pointer),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_conflict_diagnostics),
      cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_measure_new_fields),
      cmocka_unit_test(test_measure_new_conflicts_and_errors),
  };
  return cmocka_run_group_tests_name("measure", tests, NULL, NULL);
}
