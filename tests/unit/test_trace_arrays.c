/* test_trace_arrays.c - array-valued span attributes (census_span_set_attribute_*_array(), the
 * CENSUS_ATTRIBUTE_*_ARRAY types of census_attribute): the setters' copies, errors and limits,
 * events that carry arrays, and what a span exporter reads back.
 *
 * A capturing span exporter renders every attribute it receives, while the span data are
 * borrowed, into text of the test's own making ("type:count:v1|v2|...", written with printf
 * here, not with any census encoder), so each test compares what an exporter really saw after
 * census_flush() with the values the test itself set. Every test fails on today's main, where
 * none of these functions or types exist (the file does not compile there).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#include "census/exporter.h"
#include "census/trace.h"

/* The struct keeps the layout it had before arrays (the ABI that programs built against 0.1's
 * header rely on, e.g. arrays of census_attribute given to census_span_add_event_with_attributes()
 * and the struct census_span_data_attribute() fills): same size, same offsets, the array fields
 * over the scalar ones. */
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(census_attribute) == 48, "census_attribute changed size");
_Static_assert(offsetof(census_attribute, string_value) == 16, "string_value moved");
_Static_assert(offsetof(census_attribute, int_value) == 24, "int_value moved");
_Static_assert(offsetof(census_attribute, double_value) == 32, "double_value moved");
_Static_assert(offsetof(census_attribute, bool_value) == 40, "bool_value moved");
#endif
_Static_assert(offsetof(census_attribute, string_values) ==
                       offsetof(census_attribute, string_value) &&
                   offsetof(census_attribute, value_count) == offsetof(census_attribute, int_value),
               "array fields overlay the scalar ones");

#define MAX_SPANS 64
#define MAX_ATTRS 8

struct seen_span {
  char name[48];
  size_t attribute_count, event_attribute_count;
  uint32_t dropped_attributes;
  char attrs[MAX_ATTRS][256];       /* "key=text" in the exporter's order */
  char event_attrs[MAX_ATTRS][256]; /* the first event's */
};

static struct seen_span seen[MAX_SPANS];
static atomic_size_t seen_count;

/* "key=<type>:<count>:<v1>|<v2>..." for arrays, "key=<type>:<value>" for scalars. */
static void render(const census_attribute *a, char *out, size_t size) {
  int n = snprintf(out, size, "%s=%d:", a->key, (int)a->type);
  size_t at = n > 0 ? (size_t)n : 0;
#define PUT(...)                                                                                   \
  do {                                                                                             \
    int w = snprintf(out + at, at < size ? size - at : 0, __VA_ARGS__);                            \
    at += w > 0 ? (size_t)w : 0;                                                                   \
  } while (0)
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    PUT("%s", a->string_value);
    return;
  case CENSUS_ATTRIBUTE_INT64:
    PUT("%" PRId64, a->int_value);
    return;
  case CENSUS_ATTRIBUTE_DOUBLE:
    PUT("%.17g", a->double_value);
    return;
  case CENSUS_ATTRIBUTE_BOOL:
    PUT("%d", (int)a->bool_value);
    return;
  default:
    break;
  }
  PUT("%zu:", a->value_count);
  for (size_t i = 0; i < a->value_count && at < size; i++) {
    if (i) {
      PUT("|");
    }
    switch (a->type) {
    case CENSUS_ATTRIBUTE_STRING_ARRAY:
      PUT("%s", a->string_values[i]);
      break;
    case CENSUS_ATTRIBUTE_INT64_ARRAY:
      PUT("%" PRId64, a->int_values[i]);
      break;
    case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
      PUT("%.17g", a->double_values[i]);
      break;
    case CENSUS_ATTRIBUTE_BOOL_ARRAY:
      PUT("%d", (int)a->bool_values[i]);
      break;
    default:
      PUT("?");
      break;
    }
  }
#undef PUT
}

static census_status capture(void *user, const census_span_data *const *spans, size_t count) {
  (void)user;
  for (size_t i = 0; i < count; i++) {
    size_t n = atomic_fetch_add(&seen_count, 1);
    if (n >= MAX_SPANS) {
      continue;
    }
    struct seen_span *c = &seen[n];
    memset(c, 0, sizeof *c);
    const census_span_data *s = spans[i];
    snprintf(c->name, sizeof c->name, "%s", census_span_data_name(s));
    c->attribute_count = census_span_data_attribute_count(s);
    c->dropped_attributes = census_span_data_dropped_attributes(s);
    for (size_t a = 0; a < c->attribute_count && a < MAX_ATTRS; a++) {
      census_attribute attr;
      if (census_span_data_attribute(s, a, &attr) == CENSUS_OK) {
        render(&attr, c->attrs[a], sizeof c->attrs[a]);
      }
    }
    if (census_span_data_event_count(s) &&
        census_span_data_event(s, 0, NULL, NULL, &c->event_attribute_count) == CENSUS_OK) {
      for (size_t a = 0; a < c->event_attribute_count && a < MAX_ATTRS; a++) {
        census_attribute attr;
        if (census_span_data_event_attribute(s, 0, a, &attr) == CENSUS_OK) {
          render(&attr, c->event_attrs[a], sizeof c->event_attrs[a]);
        }
      }
    }
  }
  return CENSUS_OK;
}

static const census_span_exporter_ops capture_ops = {.size = sizeof(census_span_exporter_ops),
                                                     .export_spans = capture};

static int setup(void **state) {
  (void)state;
  static bool registered;
  if (!registered) {
    census_diagnostics_set_callback(NULL, NULL);
    assert_int_equal(census_span_exporter_register(&capture_ops, NULL), CENSUS_OK);
    registered = true;
  }
  census_span_limits limits = CENSUS_SPAN_LIMITS_INIT;
  limits.max_attributes = 128;
  limits.max_attributes_per_event = 128;
  assert_int_equal(census_trace_set_limits(&limits), CENSUS_OK);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  atomic_store(&seen_count, 0);
  return 0;
}

static const struct seen_span *find(const char *name) {
  size_t n = atomic_load(&seen_count);
  for (size_t i = 0; i < n && i < MAX_SPANS; i++) {
    if (strcmp(seen[i].name, name) == 0) {
      return &seen[i];
    }
  }
  fail_msg("span %s was not exported", name);
  return NULL;
}

/* Each kind reaches the exporter with its type, count and elements; the caller's arrays (and
 * each string) are copied at the call, so changing them afterwards changes nothing exported;
 * an empty array (NULL values, count 0) is a value of its own. Doubles keep every bit (the
 * extremes, negative zero and infinities; %.17g of the same double). */
static void test_array_kinds_round_trip(void **state) {
  (void)state;
  char first[8] = "GET", second[8] = "POST";
  const char *strings[] = {first, second, ""};
  int64_t ints[] = {INT64_MIN, -1, 0, INT64_MAX};
  double doubles[] = {1.5, -0.0, DBL_MAX, DBL_TRUE_MIN, INFINITY};
  bool bools[] = {true, false, true};
  census_span s = census_span_start("arrays/kinds", NULL);
  assert_int_equal(census_span_set_attribute_string_array(s, "http.methods", strings, 3),
                   CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "ints", ints, 4), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_double_array(s, "doubles", doubles, 5), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_bool_array(s, "bools", bools, 3), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "empty", NULL, 0), CENSUS_OK);
  strcpy(first, "XXX"); /* copied at the call: none of this is exported */
  strings[1] = "changed";
  ints[0] = 7;
  doubles[0] = 9;
  bools[0] = false;
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  const struct seen_span *c = find("arrays/kinds");
  assert_int_equal(c->attribute_count, 5);
  assert_int_equal(c->dropped_attributes, 0);
  assert_string_equal(c->attrs[0], "http.methods=4:3:GET|POST|");
  assert_string_equal(c->attrs[1], "ints=5:4:-9223372036854775808|-1|0|9223372036854775807");
  char expected[256];
  snprintf(expected, sizeof expected, "doubles=6:5:%.17g|%.17g|%.17g|%.17g|%.17g", 1.5, -0.0,
           DBL_MAX, DBL_TRUE_MIN, (double)INFINITY);
  assert_string_equal(c->attrs[2], expected);
  assert_string_equal(c->attrs[3], "bools=7:3:1|0|1");
  assert_string_equal(c->attrs[4], "empty=5:0:");
}

/* Setting a key again replaces its value whatever the two types, in place (the attribute keeps
 * its position and counts once): scalar -> array, array -> array of another kind, array ->
 * scalar. */
static void test_array_replaces_any_type(void **state) {
  (void)state;
  const char *one[] = {"a"};
  int64_t two[] = {1, 2};
  census_span s = census_span_start("arrays/replace", NULL);
  assert_int_equal(census_span_set_attribute_string(s, "k1", "scalar"), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_string_array(s, "k1", one, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_string_array(s, "k2", one, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "k2", two, 2), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "k3", two, 2), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_bool(s, "k3", true), CENSUS_OK);
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  const struct seen_span *c = find("arrays/replace");
  assert_int_equal(c->attribute_count, 3);
  assert_string_equal(c->attrs[0], "k1=4:1:a");
  assert_string_equal(c->attrs[1], "k2=5:2:1|2");
  assert_string_equal(c->attrs[2], "k3=3:1");
}

/* Refusals: a NULL key, NULL values with count > 0 and (string arrays) a NULL element are
 * CENSUS_EINVAL on a sampled span and on an unsampled one alike, and set nothing (the sampled
 * span exports none of them and counts no drop); a valid array on an unsampled span is CENSUS_OK
 * and records nothing; on an ended span (or handle 0) CENSUS_ENOTFOUND. */
static void test_array_errors(void **state) {
  (void)state;
  const char *with_null[] = {"a", NULL, "c"};
  const char *fine[] = {"a"};
  int64_t ints[] = {1};
  census_sampler *off = census_sampler_always_off();
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.sampler = off;
  census_span sampled = census_span_start("arrays/errors", NULL);
  census_span unsampled = census_span_start("arrays/errors_unsampled", &o);
  census_span spans[] = {sampled, unsampled};
  for (int i = 0; i < 2; i++) {
    census_span s = spans[i];
    assert_int_equal(census_span_set_attribute_string_array(s, NULL, fine, 1), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_string_array(s, "k", NULL, 1), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_string_array(s, "k", with_null, 3), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_int64_array(s, "k", NULL, 2), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_double_array(s, "k", NULL, 2), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_bool_array(s, "k", NULL, 2), CENSUS_EINVAL);
    assert_int_equal(census_span_set_attribute_int64_array(s, NULL, ints, 1), CENSUS_EINVAL);
  }
  assert_int_equal(census_span_set_attribute_string_array(unsampled, "k", fine, 1), CENSUS_OK);
  assert_false(census_span_is_recording(unsampled));
  census_span_end(sampled);
  census_span_end(unsampled);
  assert_int_equal(census_span_set_attribute_string_array(sampled, "k", fine, 1), CENSUS_ENOTFOUND);
  assert_int_equal(census_span_set_attribute_int64_array(sampled, "k", ints, 1), CENSUS_ENOTFOUND);
  assert_int_equal(census_span_set_attribute_double_array(0, "k", NULL, 0), CENSUS_ENOTFOUND);
  assert_int_equal(census_span_set_attribute_bool_array(0, "k", NULL, 0), CENSUS_ENOTFOUND);
  census_sampler_free(off);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  const struct seen_span *c = find("arrays/errors");
  assert_int_equal(c->attribute_count, 0);
  assert_int_equal(c->dropped_attributes, 0);
  for (size_t i = 0; i < atomic_load(&seen_count); i++) {
    assert_string_not_equal(seen[i].name, "arrays/errors_unsampled");
  }
}

/* The span's attribute limit counts arrays as it counts scalars: at max_attributes = 2 a third
 * key (of any kind) is CENSUS_ELIMIT and counted as dropped, while replacing a kept key still
 * works; an array of more than UINT32_MAX elements (what a record counts) is CENSUS_ELIMIT and
 * counted too, before anything is read or copied (the values pointer holds one element). */
static void test_array_limits(void **state) {
  (void)state;
  census_span_limits limits = CENSUS_SPAN_LIMITS_INIT;
  limits.max_attributes = 2;
  assert_int_equal(census_trace_set_limits(&limits), CENSUS_OK);
  int64_t ints[] = {1, 2, 3};
  const char *strings[] = {"x"};
  census_span s = census_span_start("arrays/limits", NULL);
  assert_int_equal(census_span_set_attribute_int64_array(s, "a", ints, 3), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_string(s, "b", "scalar"), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_string_array(s, "c", strings, 1), CENSUS_ELIMIT);
  assert_int_equal(census_span_set_attribute_int64(s, "d", 4), CENSUS_ELIMIT);
  assert_int_equal(census_span_set_attribute_string_array(s, "b", strings, 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "a", ints, 1), CENSUS_OK);
#if SIZE_MAX > UINT32_MAX
  assert_int_equal(census_span_set_attribute_int64_array(s, "a", ints, (size_t)UINT32_MAX + 1),
                   CENSUS_ELIMIT);
#endif
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  const struct seen_span *c = find("arrays/limits");
  assert_int_equal(c->attribute_count, 2);
  assert_string_equal(c->attrs[0], "a=5:1:1");
  assert_string_equal(c->attrs[1], "b=4:1:x");
#if SIZE_MAX > UINT32_MAX
  assert_int_equal(c->dropped_attributes, 3);
#else
  assert_int_equal(c->dropped_attributes, 2);
#endif
}

/* Events take the array types in census_attribute (designated initialisers of the new fields):
 * copied element by element (the caller's arrays change after the call), read back with their
 * type and count; invalid arrays (NULL values with a count, a NULL string element) refuse the
 * whole event with CENSUS_EINVAL, as an invalid scalar does. */
static void test_event_array_attributes(void **state) {
  (void)state;
  char word[8] = "hit";
  const char *strings[] = {word, "miss"};
  double doubles[] = {0.25, -2};
  bool bools[] = {false};
  census_attribute a[] = {
      {.key = "keys",
       .type = CENSUS_ATTRIBUTE_STRING_ARRAY,
       .string_values = strings,
       .value_count = 2},
      {.key = "weights",
       .type = CENSUS_ATTRIBUTE_DOUBLE_ARRAY,
       .double_values = doubles,
       .value_count = 2},
      {.key = "flags", .type = CENSUS_ATTRIBUTE_BOOL_ARRAY, .bool_values = bools, .value_count = 1},
      {.key = "none", .type = CENSUS_ATTRIBUTE_INT64_ARRAY, .int_values = NULL, .value_count = 0},
  };
  census_span s = census_span_start("arrays/event", NULL);
  assert_int_equal(census_span_add_event_with_attributes(s, "lookup", a, 4), CENSUS_OK);
  strcpy(word, "XXX");
  doubles[0] = 99;
  census_attribute no_values = {
      .key = "k", .type = CENSUS_ATTRIBUTE_INT64_ARRAY, .int_values = NULL, .value_count = 1};
  assert_int_equal(census_span_add_event_with_attributes(s, "bad", &no_values, 1), CENSUS_EINVAL);
  const char *with_null[] = {"a", NULL};
  census_attribute null_element = {.key = "k",
                                   .type = CENSUS_ATTRIBUTE_STRING_ARRAY,
                                   .string_values = with_null,
                                   .value_count = 2};
  assert_int_equal(census_span_add_event_with_attributes(s, "bad", &null_element, 1),
                   CENSUS_EINVAL);
  census_attribute unknown = {.key = "k", .type = (census_attribute_type)8};
  assert_int_equal(census_span_add_event_with_attributes(s, "bad", &unknown, 1), CENSUS_EINVAL);
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  const struct seen_span *c = find("arrays/event");
  assert_int_equal(c->event_attribute_count, 4);
  assert_string_equal(c->event_attrs[0], "keys=4:2:hit|miss");
  assert_string_equal(c->event_attrs[1], "weights=6:2:0.25|-2");
  assert_string_equal(c->event_attrs[2], "flags=7:1:0");
  assert_string_equal(c->event_attrs[3], "none=5:0:");
}

/* A large array (10 000 strings, more than a 1 KiB arena block) is copied whole; the record's
 * arena grows for it and the next span that reuses the record starts clean. */
static void test_large_array(void **state) {
  (void)state;
  enum { N = 10000 };
  const char **strings = malloc(N * sizeof *strings);
  int64_t *ints = malloc(N * sizeof *ints);
  assert_non_null(strings);
  assert_non_null(ints);
  for (int i = 0; i < N; i++) {
    strings[i] = (i % 2) ? "odd" : "even";
    ints[i] = i;
  }
  census_span s = census_span_start("arrays/large", NULL);
  assert_int_equal(census_span_set_attribute_string_array(s, "s", strings, N), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_int64_array(s, "i", ints, N), CENSUS_OK);
  census_span_end(s);
  free(strings);
  free(ints);
  census_span next = census_span_start("arrays/after_large", NULL);
  census_span_end(next);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  const struct seen_span *c = find("arrays/large");
  assert_int_equal(c->attribute_count, 2);
  assert_memory_equal(c->attrs[0], "s=4:10000:even|odd|even|", 24);
  assert_memory_equal(c->attrs[1], "i=5:10000:0|1|2|3|", 18);
  assert_int_equal(find("arrays/after_large")->attribute_count, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_array_kinds_round_trip, setup),
      cmocka_unit_test_setup(test_array_replaces_any_type, setup),
      cmocka_unit_test_setup(test_array_errors, setup),
      cmocka_unit_test_setup(test_array_limits, setup),
      cmocka_unit_test_setup(test_event_array_attributes, setup),
      cmocka_unit_test_setup(test_large_array, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
