/* test_view.c - view definitions, the view manager (registration, conflicts, lookup) and the
 * shape of view data: rows per tuple of column values, columns, times, cardinality limit.
 *
 * The view manager is process-global, so every test uses its own view and measure names.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

/* ---- helpers ----------------------------------------------------------------------------- */
/* (now_ns, sleep_ms, key, int_measure and get_data are in support.h) */

/* A view definition that must be valid. */
static census_view *new_view(const char *name, const char *desc, const census_measure *m,
                             const census_tag_key *const *cols, size_t n,
                             census_aggregation_type type) {
  census_aggregation *agg = type == CENSUS_AGGREGATION_COUNT ? census_aggregation_count_new()
                            : type == CENSUS_AGGREGATION_SUM ? census_aggregation_sum_new()
                                                             : census_aggregation_last_value_new();
  assert_non_null(agg);
  census_status st = 1;
  census_view *v = census_view_new(name, desc, m, cols, n, agg, &st);
  census_aggregation_free(agg);
  if (!v) {
    fail_msg("census_view_new(%s): %s", name, census_status_name(st));
  }
  return v;
}

/* Registers the definition `v`, which must succeed, and frees it. */
static void register_definition(census_view *v) {
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
}

/* Index of the non-overflow row whose column values equal vals[0..n), or -1. */
static long find_row(const census_view_data *d, const char *const *vals, size_t n) {
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (census_view_data_row_is_overflow(d, r)) {
      continue;
    }
    bool match = true;
    const char *const *values = NULL;
    const size_t *lengths = NULL;
    size_t columns = census_view_data_row_values(d, r, &values, &lengths);
    assert_int_equal(columns, census_view_data_column_count(d));
    for (size_t c = 0; c < n; c++) {
      const char *v = census_view_data_row_value(d, r, c);
      /* Every row's values and lengths as row_values() gives them: the strings, measured. */
      assert_ptr_equal(values[c], v);
      assert_int_equal(lengths[c], strlen(v));
      if (!v || strcmp(v, vals[c]) != 0) {
        match = false;
      }
    }
    if (match) {
      return (long)r;
    }
  }
  return -1;
}

/* The count of the row with values vals[0..n); fails if there is no such row. */
static int64_t row_count_of(const census_view_data *d, const char *const *vals, size_t n) {
  long r = find_row(d, vals, n);
  if (r < 0) {
    fail_msg("no row for (%s, ...)", n ? vals[0] : "");
  }
  census_point p;
  assert_int_equal(census_view_data_row_point(d, (size_t)r, &p), CENSUS_OK);
  return p.count;
}

/* ---- definitions ------------------------------------------------------------------------- */

/* Proves: census_view_new() refuses NULL measure, NULL aggregation, NULL columns and NULL name
 * with EINVAL, a repeated column with EDUPLICATE, and empty, 256-byte or non-printable names with
 * EBADNAME; 255 bytes and zero columns (NULL array) are accepted. */
static void test_view_new_errors(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/new_errors");
  const census_tag_key *k1 = key("vk1");
  const census_tag_key *k2 = key("vk2");
  census_aggregation *agg = census_aggregation_count_new();
  census_status st;

  st = 1;
  assert_null(census_view_new("v", NULL, NULL, NULL, 0, agg, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(census_view_new("v", NULL, m, NULL, 0, NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  const census_tag_key *repeated[] = {k1, k2, k1};
  st = 1;
  assert_null(census_view_new("v", NULL, m, repeated, 3, agg, &st));
  assert_int_equal(st, CENSUS_EDUPLICATE); /* its own code: test_duplicate_column */
  const census_tag_key *with_null[] = {k1, NULL};
  st = 1;
  assert_null(census_view_new("v", NULL, m, with_null, 2, agg, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(census_view_new("v", NULL, m, NULL, 2, agg, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  st = 1;
  assert_null(census_view_new(NULL, NULL, m, NULL, 0, agg, &st));
  assert_int_equal(st, CENSUS_EINVAL);

  char name[257];
  memset(name, 'v', 256);
  name[256] = '\0';
  const char *bad_names[] = {"", "a\nb", "\x7f", "\xc3\xa9", name};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
    st = 1;
    assert_null(census_view_new(bad_names[i], NULL, m, NULL, 0, agg, &st));
    assert_int_equal(st, CENSUS_EBADNAME);
  }
  name[255] = '\0';
  st = 1;
  census_view *v = census_view_new(name, NULL, m, NULL, 0, agg, &st);
  assert_non_null(v);
  census_view_free(v);

  /* The ends of the printable range, 0x20 and 0x7e, are valid in names. */
  st = 1;
  v = census_view_new("view/with space~", NULL, m, NULL, 0, agg, &st);
  assert_non_null(v);
  census_view_free(v);

  const census_tag_key *two[] = {k1, k2};
  v = census_view_new("view/two_cols", NULL, m, two, 2, agg, NULL);
  assert_non_null(v);
  census_view_free(v);
  census_view_free(NULL);
  census_aggregation_free(agg);
}

/* Proves: census_view_set_max_series() refuses NULL and 0 (EINVAL) and accepts 1. */
static void test_set_max_series_errors(void **state) {
  (void)state;
  census_view *v = new_view("view/maxseries_err", NULL, int_measure("view/maxseries_err"), NULL, 0,
                            CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_set_max_series(NULL, 3), CENSUS_EINVAL);
  assert_int_equal(census_view_set_max_series(v, 0), CENSUS_EINVAL);
  assert_int_equal(census_view_set_max_series(v, 1), CENSUS_OK);
  census_view_free(v);
}

/* ---- registration ------------------------------------------------------------------------ */

/* Proves: registering an identical definition again (a separately built object) is OK and
 * changes nothing: data recorded before stay, the start time stays. The registered copy is
 * independent of the definition object, which is freed right after registering. */
static void test_register_same_twice(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/twice");
  const census_tag_key *k = key("twice_k");
  register_definition(new_view("view/twice", "d", m, &k, 1, CENSUS_AGGREGATION_COUNT));
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  census_view_data *d1 = get_data("view/twice");
  int64_t start1 = census_view_data_start_time_ns(d1);

  sleep_ms(5);
  register_definition(new_view("view/twice", "d", m, &k, 1, CENSUS_AGGREGATION_COUNT));
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  census_view_data *d2 = get_data("view/twice");
  assert_int_equal(census_view_data_start_time_ns(d2), start1);
  assert_int_equal(census_view_data_row_count(d2), 1);
  census_point p;
  assert_int_equal(census_view_data_row_point(d2, 0, &p), CENSUS_OK);
  assert_int_equal(p.count, 3);
  census_view_data_free(d1);
  census_view_data_free(d2);
}

/* Proves: a different definition under a registered name is ECONFLICT, whichever part differs:
 * aggregation, measure, columns (other key, extra key), description or distribution bounds; the
 * original registration keeps working. register(NULL) is EINVAL. */
static void test_register_conflict(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/conflict");
  const census_measure *other = int_measure("view/conflict_other");
  const census_tag_key *k1 = key("conf_k1");
  const census_tag_key *k2 = key("conf_k2");
  register_definition(new_view("view/conflict", "d", m, &k1, 1, CENSUS_AGGREGATION_COUNT));

  census_view *v = new_view("view/conflict", "d", m, &k1, 1, CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
  v = new_view("view/conflict", "d", other, &k1, 1, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
  v = new_view("view/conflict", "d", m, &k2, 1, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
  const census_tag_key *both[] = {k1, k2};
  v = new_view("view/conflict", "d", m, both, 2, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
  v = new_view("view/conflict", "d", m, NULL, 0, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
  v = new_view("view/conflict", "other description", m, &k1, 1, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);

  /* Distribution bounds are part of the definition. */
  const double b1[] = {1, 2};
  const double b2[] = {1, 3};
  census_aggregation *a1 = census_aggregation_distribution_new(b1, 2, NULL);
  census_aggregation *a2 = census_aggregation_distribution_new(b2, 2, NULL);
  census_view *dv = census_view_new("view/conflict_dist", NULL, m, NULL, 0, a1, NULL);
  assert_int_equal(census_view_register(dv), CENSUS_OK);
  census_view_free(dv);
  dv = census_view_new("view/conflict_dist", NULL, m, NULL, 0, a2, NULL);
  assert_int_equal(census_view_register(dv), CENSUS_ECONFLICT);
  census_view_free(dv);
  dv = census_view_new("view/conflict_dist", NULL, m, NULL, 0, a1, NULL);
  assert_int_equal(census_view_register(dv), CENSUS_OK);
  census_view_free(dv);
  census_aggregation_free(a1);
  census_aggregation_free(a2);

  assert_int_equal(census_view_register(NULL), CENSUS_EINVAL);

  census_view_data *d = get_data("view/conflict");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_COUNT);
  assert_ptr_equal(census_view_data_measure(d), m);
  assert_int_equal(census_view_data_column_count(d), 1);
  assert_string_equal(census_view_data_description(d), "d");
  census_view_data_free(d);
}

/* The diagnostics callback's last line, for the tests that check what a refusal says. */
static char last_diag[600];
static census_status last_diag_status;
static void capture_diag(void *user, census_status status, const char *message) {
  (void)user;
  last_diag_status = status;
  snprintf(last_diag, sizeof last_diag, "%s", message);
}

/* Registers `v` (then frees it), expects ECONFLICT, and that the one diagnostic line names the
 * view, the differing field and what each side has. */
static void expect_conflict_line(census_view *v, const char *expected) {
  last_diag[0] = '\0';
  census_diagnostics_set_callback(capture_diag, NULL);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_diagnostics_set_callback(NULL, NULL);
  census_view_free(v);
  assert_int_equal(last_diag_status, CENSUS_ECONFLICT);
  if (strcmp(last_diag, expected) != 0) {
    fail_msg("diagnostic\n  got:      %s\n  expected: %s", last_diag, expected);
  }
}

/* Proves: a CENSUS_ECONFLICT from census_view_register() comes with one diagnostic line that names
 * the view and the field that differs, with both values: measure, aggregation kind, bucket bounds
 * (count, then the first differing bound), columns (count, then the first differing key),
 * description, max_series; and says what to do. Fails on main, where the conflict was silent. */
static void test_register_conflict_diagnostics(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/why");
  const census_measure *other = int_measure("view/why_other");
  const census_tag_key *k1 = key("why_k1");
  const census_tag_key *k2 = key("why_k2");
  register_definition(new_view("view/why", "d", m, &k1, 1, CENSUS_AGGREGATION_COUNT));
  const char *tail = ": register it with the same definition, or under another name";
  char expected[600];

  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another measure "
           "(registered: \"view/why\", given: \"view/why_other\")%s",
           tail);
  expect_conflict_line(new_view("view/why", "d", other, &k1, 1, CENSUS_AGGREGATION_COUNT),
                       expected);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another aggregation "
           "kind (registered: Count, given: Sum)%s",
           tail);
  expect_conflict_line(new_view("view/why", "d", m, &k1, 1, CENSUS_AGGREGATION_SUM), expected);
  const census_tag_key *both[] = {k1, k2};
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another columns "
           "(registered: 1 columns, given: 2)%s",
           tail);
  expect_conflict_line(new_view("view/why", "d", m, both, 2, CENSUS_AGGREGATION_COUNT), expected);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another columns "
           "(column 0: registered \"why_k1\", given \"why_k2\")%s",
           tail);
  expect_conflict_line(new_view("view/why", "d", m, &k2, 1, CENSUS_AGGREGATION_COUNT), expected);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another description "
           "(registered: \"d\", given: \"e\")%s",
           tail);
  expect_conflict_line(new_view("view/why", "e", m, &k1, 1, CENSUS_AGGREGATION_COUNT), expected);
  census_view *v = new_view("view/why", "d", m, &k1, 1, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_set_max_series(v, 7), CENSUS_OK);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why\" is already registered with another max_series "
           "(registered: %d, given: 7 (census_view_set_max_series))%s",
           CENSUS_VIEW_DEFAULT_MAX_SERIES, tail);
  expect_conflict_line(v, expected);

  const double b1[] = {1, 2};
  const double b2[] = {1, 2.5};
  const double b3[] = {1, 2, 3};
  census_aggregation *a1 = census_aggregation_distribution_new(b1, 2, NULL);
  census_aggregation *a2 = census_aggregation_distribution_new(b2, 2, NULL);
  census_aggregation *a3 = census_aggregation_distribution_new(b3, 3, NULL);
  census_view *dv = census_view_new("view/why_dist", NULL, m, NULL, 0, a1, NULL);
  assert_int_equal(census_view_register(dv), CENSUS_OK);
  census_view_free(dv);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why_dist\" is already registered with another bucket "
           "bounds (bound 1: registered 2, given 2.5)%s",
           tail);
  expect_conflict_line(census_view_new("view/why_dist", NULL, m, NULL, 0, a2, NULL), expected);
  snprintf(expected, sizeof expected,
           "census_view_register: view \"view/why_dist\" is already registered with another bucket "
           "bounds (registered: 2 bounds, given: 3)%s",
           tail);
  expect_conflict_line(census_view_new("view/why_dist", NULL, m, NULL, 0, a3, NULL), expected);
  census_aggregation_free(a1);
  census_aggregation_free(a2);
  census_aggregation_free(a3);
}

/* Proves: the same tag key twice in a view's columns is its own error, CENSUS_EDUPLICATE (not the
 * catch-all EINVAL), with one diagnostic line naming the view, the key and both positions; a NULL
 * column stays EINVAL, with its own line. Fails on main (EINVAL, no diagnostic). */
static void test_duplicate_column(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/dup_column");
  const census_tag_key *method = key("dup_method");
  const census_tag_key *status = key("dup_status");
  census_aggregation *agg = census_aggregation_count_new();
  const census_tag_key *columns[] = {method, status, method};
  census_status st = 1;
  last_diag[0] = '\0';
  census_diagnostics_set_callback(capture_diag, NULL);
  assert_null(census_view_new("view/dup_column", NULL, m, columns, 3, agg, &st));
  assert_int_equal(st, CENSUS_EDUPLICATE);
  assert_int_equal(last_diag_status, CENSUS_EDUPLICATE);
  assert_string_equal(last_diag, "census_view_new: view \"view/dup_column\" lists the column "
                                 "\"dup_method\" twice (columns 0 and 2): give each tag key once");
  assert_string_equal(census_status_name(st), "CENSUS_EDUPLICATE");

  const census_tag_key *with_null[] = {method, NULL};
  assert_null(census_view_new("view/dup_column", NULL, m, with_null, 2, agg, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_string_equal(last_diag, "census_view_new: view \"view/dup_column\": column 1 is NULL");
  census_diagnostics_set_callback(NULL, NULL);
  census_aggregation_free(agg);
}

/* Proves: the series limit is part of the view definition (the header lists it among the
 * definition's parts), so the same name with another limit is ECONFLICT. */
static void test_register_conflict_max_series(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/conflict_limit");
  census_view *v = new_view("view/conflict_limit", NULL, m, NULL, 0, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_set_max_series(v, 10), CENSUS_OK);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  assert_int_equal(census_view_set_max_series(v, 11), CENSUS_OK);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_view_free(v);
}

/* Proves: census_view_data_get() reports ENOTFOUND for an unregistered name (also one that is
 * only a view definition, never registered) and EINVAL for NULL; NULL status is allowed. */
static void test_data_get_errors(void **state) {
  (void)state;
  census_status st = 1;
  assert_null(census_view_data_get("view/never_registered", &st));
  assert_int_equal(st, CENSUS_ENOTFOUND);
  census_view *v = new_view("view/defined_only", NULL, int_measure("view/defined_only"), NULL, 0,
                            CENSUS_AGGREGATION_COUNT);
  st = 1;
  assert_null(census_view_data_get("view/defined_only", &st));
  assert_int_equal(st, CENSUS_ENOTFOUND);
  census_view_free(v);
  st = 1;
  assert_null(census_view_data_get(NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_null(census_view_data_get("view/never_registered", NULL));
  census_view_data_free(NULL);
}

/* ---- rows -------------------------------------------------------------------------------- */

/* Proves: one row per distinct tuple of column values; tags that are not columns do not split
 * rows; a missing column tag reads as "" in its own row; NULL tags give the all-"" row; and the
 * per-row counts match the records made into each tuple. */
static void test_rows_per_tuple(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/rows");
  const census_tag_key *method = key("rows_method");
  const census_tag_key *code = key("rows_code");
  const census_tag_key *extra = key("rows_extra");
  const census_tag_key *cols[] = {method, code};
  register_definition(new_view("view/rows", NULL, m, cols, 2, CENSUS_AGGREGATION_COUNT));

  census_tag_map *t = census_tag_map_new();
  /* (GET, 200) x3: the third carries an extra non-column tag, which must not make a new row. */
  census_tag_map_put(t, method, "GET");
  census_tag_map_put(t, code, "200");
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  census_tag_map_put(t, extra, "ignored");
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  census_tag_map_put(t, extra, "ignored-too");
  /* (GET, 404) x1 */
  census_tag_map_put(t, code, "404");
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  /* (POST, "") x2: code missing */
  census_tag_map_put(t, method, "POST");
  census_tag_map_remove(t, code);
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  /* ("", "") x1: no tags at all */
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  census_tag_map_free(t);

  census_view_data *d = get_data("view/rows");
  assert_int_equal(census_view_data_row_count(d), 4);
  const char *get200[] = {"GET", "200"};
  const char *get404[] = {"GET", "404"};
  const char *post[] = {"POST", ""};
  const char *none[] = {"", ""};
  assert_int_equal(row_count_of(d, get200, 2), 3);
  assert_int_equal(row_count_of(d, get404, 2), 1);
  assert_int_equal(row_count_of(d, post, 2), 2);
  assert_int_equal(row_count_of(d, none, 2), 1);
  for (size_t r = 0; r < 4; r++) {
    assert_false(census_view_data_row_is_overflow(d, r));
  }
  census_view_data_free(d);
}

/* Proves: rows follow the tag values at record time, not the tag map's identity: maps created,
 * recorded with and freed one after another (so the allocator likely hands out the same address
 * again) still land in one row per value; a cache keyed by map address would misroute them. */
static void test_rows_follow_values_not_map_address(void **state) {
  (void)state;
  enum { VALUES = 5, REPEAT = 4 };
  const census_measure *m = int_measure("view/addr_reuse");
  const census_tag_key *k = key("addr_reuse_k");
  register_definition(new_view("view/addr_reuse", NULL, m, &k, 1, CENSUS_AGGREGATION_COUNT));
  for (int r = 0; r < REPEAT; r++) {
    for (int i = 0; i < VALUES; i++) {
      census_tag_map *t = census_tag_map_new();
      char value[8];
      snprintf(value, sizeof value, "a%d", i);
      assert_int_equal(census_tag_map_put(t, k, value), CENSUS_OK);
      /* value i is recorded i+1 times per round */
      for (int j = 0; j <= i; j++) {
        assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
      }
      census_tag_map_free(t);
    }
  }
  census_view_data *d = get_data("view/addr_reuse");
  assert_int_equal(census_view_data_row_count(d), VALUES);
  for (int i = 0; i < VALUES; i++) {
    char value[8];
    snprintf(value, sizeof value, "a%d", i);
    const char *vals[] = {value};
    assert_int_equal(row_count_of(d, vals, 1), REPEAT * (i + 1));
  }
  census_view_data_free(d);
}

/* Proves: the snapshot's accessors give the definition back: name, description, measure,
 * aggregation, column count and names (NULL past the end); row_value is NULL out of range and
 * row_point is ENOTFOUND out of range and EINVAL for NULL arguments. */
static void test_accessors(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/accessors");
  const census_tag_key *cols[] = {key("acc_a"), key("acc_b")};
  register_definition(
      new_view("view/accessors", "the description", m, cols, 2, CENSUS_AGGREGATION_SUM));
  census_tag_map *t = census_tag_map_new();
  census_tag_map_put(t, cols[0], "x");
  census_tag_map_put(t, cols[1], "y");
  assert_int_equal(census_record_int64(m, 9, t), CENSUS_OK);
  census_tag_map_free(t);

  census_view_data *d = get_data("view/accessors");
  assert_string_equal(census_view_data_name(d), "view/accessors");
  assert_string_equal(census_view_data_description(d), "the description");
  assert_ptr_equal(census_view_data_measure(d), m);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_data_column_count(d), 2);
  assert_string_equal(census_view_data_column(d, 0), "acc_a");
  assert_string_equal(census_view_data_column(d, 1), "acc_b");
  assert_null(census_view_data_column(d, 2));

  assert_int_equal(census_view_data_row_count(d), 1);
  assert_string_equal(census_view_data_row_value(d, 0, 0), "x");
  assert_string_equal(census_view_data_row_value(d, 0, 1), "y");
  assert_null(census_view_data_row_value(d, 0, 2));
  assert_null(census_view_data_row_value(d, 1, 0));
  /* row_values: the same strings, their lengths, nothing out of range or without `values`. */
  const char *const *values = NULL;
  const size_t *lengths = NULL;
  assert_int_equal(census_view_data_row_values(d, 0, &values, &lengths), 2);
  assert_ptr_equal(values[0], census_view_data_row_value(d, 0, 0));
  assert_ptr_equal(values[1], census_view_data_row_value(d, 0, 1));
  assert_int_equal(lengths[0], 1);
  assert_int_equal(lengths[1], 1);
  assert_int_equal(census_view_data_row_values(d, 0, &values, NULL), 2);
  assert_int_equal(census_view_data_row_values(d, 1, &values, &lengths), 0);
  assert_null(values);
  assert_null(lengths);
  lengths = (const size_t *)&values;
  assert_int_equal(census_view_data_row_values(d, 0, NULL, &lengths), 0);
  assert_null(lengths);
  assert_int_equal(census_view_data_row_values(NULL, 0, &values, NULL), 0);
  census_point p;
  assert_int_equal(census_view_data_row_point(d, 0, &p), CENSUS_OK);
  assert_int_equal(p.int_value, 9);
  assert_int_equal(p.count, 1);
  assert_int_equal(census_view_data_row_point(d, 1, &p), CENSUS_ENOTFOUND);
  assert_int_equal(census_view_data_row_point(d, 0, NULL), CENSUS_EINVAL);
  assert_int_equal(census_view_data_row_point(NULL, 0, &p), CENSUS_EINVAL);
  census_view_data_free(d);

  /* A view without columns. */
  register_definition(new_view("view/accessors0", NULL, m, NULL, 0, CENSUS_AGGREGATION_COUNT));
  d = get_data("view/accessors0");
  assert_int_equal(census_view_data_column_count(d), 0);
  assert_null(census_view_data_column(d, 0));
  assert_non_null(census_view_data_description(d));
  census_view_data_free(d);
}

/* Proves: start time is the registration time (between clock readings around register, 50 ms
 * slack for a coarse clock), end time is the collection time (>= a reading taken before the get,
 * <= one after), start <= end, and the start stays fixed across snapshots (cumulative data)
 * while the end advances. */
static void test_times(void **state) {
  (void)state;
  const int64_t slack = 50 * 1000000;
  const census_measure *m = int_measure("view/times");
  int64_t t0 = now_ns();
  register_definition(new_view("view/times", NULL, m, NULL, 0, CENSUS_AGGREGATION_COUNT));
  int64_t t1 = now_ns();
  sleep_ms(20);
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  int64_t t2 = now_ns();
  census_view_data *d1 = get_data("view/times");
  int64_t t3 = now_ns();
  int64_t start = census_view_data_start_time_ns(d1);
  int64_t end1 = census_view_data_end_time_ns(d1);
  assert_true(start >= t0 - slack && start <= t1 + slack);
  assert_true(start <= end1);
  assert_true(end1 >= t2 - slack && end1 <= t3 + slack);
  /* The 20 ms sleep separates start and end by more than the slack-free ordering noise. */
  assert_true(end1 - start >= 10 * 1000000);

  sleep_ms(20);
  census_view_data *d2 = get_data("view/times");
  assert_int_equal(census_view_data_start_time_ns(d2), start);
  assert_true(census_view_data_end_time_ns(d2) > end1);
  census_view_data_free(d1);
  census_view_data_free(d2);
}

/* Proves: census_view_new() copies the column array and census_view_register() copies the
 * definition: overwriting the caller's array after view_new, and changing the definition object
 * after registering, change nothing in the registered view. A 255-byte tag value is kept whole as
 * a row value, and a non-distribution view reports 0 bounds. */
static void test_definition_copied(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/copied");
  const census_tag_key *cols[] = {key("copied_a")};
  census_view *v = new_view("view/copied", NULL, m, cols, 1, CENSUS_AGGREGATION_COUNT);
  cols[0] = key("copied_b");
  assert_int_equal(census_view_register(v), CENSUS_OK);
  assert_int_equal(census_view_set_max_series(v, 1), CENSUS_OK); /* after registering */
  census_view_free(v);

  census_tag_map *t = census_tag_map_new();
  char long_value[256];
  memset(long_value, 'L', 255);
  long_value[255] = '\0';
  assert_int_equal(census_tag_map_put(t, key("copied_a"), long_value), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  assert_int_equal(census_tag_map_put(t, key("copied_a"), "second"), CENSUS_OK);
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  census_tag_map_free(t);

  census_view_data *d = get_data("view/copied");
  assert_string_equal(census_view_data_column(d, 0), "copied_a");
  /* Two tuples, two normal rows: the limit of 1 set after registering did not apply. */
  assert_int_equal(census_view_data_row_count(d), 2);
  const char *lv[] = {long_value};
  const char *second[] = {"second"};
  assert_int_equal(row_count_of(d, lv, 1), 1);
  assert_int_equal(row_count_of(d, second, 1), 1);
  const double *bounds = NULL;
  assert_int_equal(census_view_data_bounds(d, &bounds), 0);
  census_view_data_free(d);
}

/* ---- cardinality limit ------------------------------------------------------------------- */

/* Proves: with max_series 3, exactly 3 distinct tuples make 3 rows and no overflow row (N); the
 * 4th..10th distinct tuples (N+1 onwards) go to one overflow row, whose values are "" and whose
 * count is the sum of their measurements; a first-seen tuple keeps its own row when recorded
 * again after the limit; the total count over all rows is exact. Tuple i is recorded i+1 times,
 * so every tuple's count is different and misrouting shows. */
static void test_cardinality_limit(void **state) {
  (void)state;
  enum { TUPLES = 10, LIMIT = 3 };
  const census_measure *m = int_measure("view/limit");
  const census_tag_key *k = key("limit_k");
  const census_tag_key *k2 = key("limit_k2");
  const census_tag_key *cols[] = {k, k2};
  census_view *v = new_view("view/limit", NULL, m, cols, 2, CENSUS_AGGREGATION_COUNT);
  assert_int_equal(census_view_set_max_series(v, LIMIT), CENSUS_OK);
  register_definition(v);

  census_tag_map *t = census_tag_map_new();
  census_tag_map_put(t, k2, "same");
  char value[16];
  int64_t total = 0, overflow_want = 0;
  for (int i = 0; i < TUPLES; i++) {
    snprintf(value, sizeof value, "t%d", i);
    census_tag_map_put(t, k, value);
    for (int j = 0; j <= i; j++) {
      census_status st = census_record_int64(m, 1, t);
      /* A record that goes to the overflow series is still a success for the caller (it was
       * kept, not dropped); ELIMIT would also be an acceptable report, so allow both. */
      assert_true(st == CENSUS_OK || st == CENSUS_ELIMIT);
    }
    total += i + 1;
    if (i >= LIMIT) {
      overflow_want += i + 1;
    }
    if (i == LIMIT - 1) {
      census_view_data *d = get_data("view/limit");
      assert_int_equal(census_view_data_row_count(d), LIMIT);
      for (size_t r = 0; r < LIMIT; r++) {
        assert_false(census_view_data_row_is_overflow(d, r));
      }
      census_view_data_free(d);
    }
  }
  /* t0 again, after the limit: still its own row. */
  census_tag_map_put(t, k, "t0");
  assert_int_equal(census_record_int64(m, 1, t), CENSUS_OK);
  total += 1;
  census_tag_map_free(t);

  census_view_data *d = get_data("view/limit");
  assert_int_equal(census_view_data_row_count(d), LIMIT + 1);
  size_t overflow_rows = 0;
  int64_t sum = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    census_point p;
    assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
    sum += p.count;
    if (census_view_data_row_is_overflow(d, r)) {
      overflow_rows++;
      assert_int_equal(p.count, overflow_want);
      assert_string_equal(census_view_data_row_value(d, r, 0), "");
      assert_string_equal(census_view_data_row_value(d, r, 1), "");
    }
  }
  assert_int_equal(overflow_rows, 1);
  assert_int_equal(sum, total);
  const char *t0[] = {"t0", "same"}, *t1[] = {"t1", "same"}, *t2[] = {"t2", "same"};
  assert_int_equal(row_count_of(d, t0, 2), 2);
  assert_int_equal(row_count_of(d, t1, 2), 2);
  assert_int_equal(row_count_of(d, t2, 2), 3);
  const char *t3[] = {"t3", "same"};
  assert_int_equal(find_row(d, t3, 2), -1);
  census_view_data_free(d);
}

/* Proves: the default limit is CENSUS_VIEW_DEFAULT_MAX_SERIES: that many distinct tuples get their
 * own rows, and one more goes to the overflow row. */
static void test_default_limit(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/default_limit");
  const census_tag_key *k = key("default_limit_k");
  register_definition(new_view("view/default_limit", NULL, m, &k, 1, CENSUS_AGGREGATION_COUNT));
  census_tag_map *t = census_tag_map_new();
  char value[16];
  for (int i = 0; i < CENSUS_VIEW_DEFAULT_MAX_SERIES + 1; i++) {
    snprintf(value, sizeof value, "v%d", i);
    census_tag_map_put(t, k, value);
    census_status st = census_record_int64(m, 1, t);
    assert_true(st == CENSUS_OK || st == CENSUS_ELIMIT);
  }
  census_tag_map_free(t);
  census_view_data *d = get_data("view/default_limit");
  assert_int_equal(census_view_data_row_count(d), CENSUS_VIEW_DEFAULT_MAX_SERIES + 1);
  size_t overflow = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (census_view_data_row_is_overflow(d, r)) {
      census_point p;
      census_view_data_row_point(d, r, &p);
      assert_int_equal(p.count, 1);
      overflow++;
    }
  }
  assert_int_equal(overflow, 1);
  const char *last[] = {"v2000"};
  assert_int_equal(find_row(d, last, 1), -1);
  const char *first[] = {"v0"};
  assert_int_equal(row_count_of(d, first, 1), 1);
  census_view_data_free(d);
}

static char view_diag[600];
static void capture_view_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  snprintf(view_diag, sizeof view_diag, "%s", message);
}

/* Proves: census_view_set_prometheus_name() gives a definition a second name that its snapshots
 * carry (census_view_data_prometheus_name(), NULL without one), copied at registration; it
 * refuses a NULL view and a name census_view_new() would refuse (EBADNAME), keeping the name it
 * had; NULL removes it; and it is part of the definition: the same view registered with another
 * Prometheus name is CENSUS_ECONFLICT, reported naming the field and both values. */
static void test_prometheus_name(void **state) {
  (void)state;
  const census_measure *m = int_measure("view/promname");
  census_view *v = new_view("view/promname", NULL, m, NULL, 0, CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_set_prometheus_name(NULL, "x"), CENSUS_EINVAL);
  assert_int_equal(census_view_set_prometheus_name(v, ""), CENSUS_EBADNAME);
  assert_int_equal(census_view_set_prometheus_name(v, "bad\nname"), CENSUS_EBADNAME);
  assert_int_equal(census_view_set_prometheus_name(v, "promname_total"), CENSUS_OK);
  assert_int_equal(census_view_set_prometheus_name(v, "\x7f"), CENSUS_EBADNAME);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  assert_int_equal(census_view_set_prometheus_name(v, "other_total"), CENSUS_OK);
  census_diagnostics_set_callback(capture_view_diag, NULL);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  assert_non_null(strstr(view_diag, "another Prometheus name (registered: \"promname_total\", "
                                    "given: \"other_total\")"));
  assert_int_equal(census_view_set_prometheus_name(v, NULL), CENSUS_OK);
  assert_int_equal(census_view_register(v), CENSUS_ECONFLICT);
  census_diagnostics_set_callback(NULL, NULL);
  census_view_free(v);
  census_view_data *d = get_data("view/promname");
  assert_string_equal(census_view_data_prometheus_name(d), "promname_total");
  census_view_data_free(d);
  assert_null(census_view_data_prometheus_name(NULL));

  census_view *plain = new_view("view/promname_none", NULL, m, NULL, 0, CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_register(plain), CENSUS_OK);
  census_view_free(plain);
  d = get_data("view/promname_none");
  assert_null(census_view_data_prometheus_name(d));
  census_view_data_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_view_new_errors),
      cmocka_unit_test(test_set_max_series_errors),
      cmocka_unit_test(test_register_same_twice),
      cmocka_unit_test(test_register_conflict),
      cmocka_unit_test(test_register_conflict_max_series),
      cmocka_unit_test(test_register_conflict_diagnostics),
      cmocka_unit_test(test_duplicate_column),
      cmocka_unit_test(test_data_get_errors),
      cmocka_unit_test(test_rows_per_tuple),
      cmocka_unit_test(test_rows_follow_values_not_map_address),
      cmocka_unit_test(test_accessors),
      cmocka_unit_test(test_times),
      cmocka_unit_test(test_definition_copied),
      cmocka_unit_test(test_cardinality_limit),
      cmocka_unit_test(test_default_limit),
      cmocka_unit_test(test_prometheus_name),
  };
  return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
