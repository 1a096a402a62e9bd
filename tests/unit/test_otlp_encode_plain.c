/* test_otlp_encode_plain.c - the OTLP encoders' sized fast paths against their plain paths.
 *
 * Proves: for metrics (count, int and double sums, gauges, a histogram, the overflow row, empty
 * tag values, a tag value and a column name longer than 127 bytes, a view with more columns than
 * the fast path keeps) and for spans (string, bool, int and double attributes, a long attribute
 * value, events with and without attributes, links, a status message, a span longer than 16383
 * bytes; spans the sized span writer takes, with a remote parent and tracestate, dropped
 * attributes and events, an empty name and event name, and ones it hands back), the protobuf body
 * written with the fast paths (KeyValues and NumberDataPoints sized before they are written, no
 * backpatching) is byte for byte the body of the plain paths (census__otlp_encode_plain: every
 * nested message opened and closed with a backpatched length), and both are the same length in JSON
 * (which has no fast path; a sanity check). The plain paths are the encoders as they were on main,
 * so this is the equality guard the fast paths keep; it cannot fail on main, which has no fast
 * path: it was checked to fail with a fast path broken on purpose (the AnyValue string tag written
 * as 2, and a point's start time replaced by its end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"
#include "otlp_encode.h"

static census_resource_attribute service = {
    .key = "service.name", .type = CENSUS_ATTRIBUTE_STRING, .string_value = "plain-test"};

/* Encodes with the fast paths and with the plain ones; asserts the bodies are identical and
 * returns the number of points. */
static uint64_t assert_same_metrics(const census_view_data *const *views, size_t count) {
  census_resource resource = {&service, 1};
  census_buf fast = CENSUS_BUF_INIT, plain = CENSUS_BUF_INIT;
  uint64_t fast_points = 0, plain_points = 0;
  census__otlp_encode_plain = false;
  assert_int_equal(census__otlp_encode_metrics(views, count, &resource, false, &fast, &fast_points),
                   CENSUS_OK);
  census__otlp_encode_plain = true;
  assert_int_equal(
      census__otlp_encode_metrics(views, count, &resource, false, &plain, &plain_points),
      CENSUS_OK);
  census__otlp_encode_plain = false;
  assert_int_equal(fast_points, plain_points);
  assert_int_equal(fast.len, plain.len);
  assert_memory_equal(fast.data, plain.data, fast.len);
  census__buf_free(&fast);
  census__buf_free(&plain);
  return fast_points;
}

static const census_tag_key *key(const char *name) {
  census_status st;
  const census_tag_key *k = census_tag_key_new(name, &st);
  assert_int_equal(st, CENSUS_OK);
  return k;
}

static void register_view(const char *name, const census_measure *m, const census_tag_key **keys,
                          size_t key_count, census_aggregation *agg, size_t max_series) {
  census_status st;
  census_view *v = census_view_new(name, "a description", m, keys, key_count, agg, &st);
  assert_int_equal(st, CENSUS_OK);
  if (max_series) {
    assert_int_equal(census_view_set_max_series(v, max_series), CENSUS_OK);
  }
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(agg);
}

static void test_metrics_same_bytes(void **state) {
  (void)state;
  census_status st;
  char long_name[200], long_value[200];
  memset(long_name, 'k', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  memset(long_value, 'v', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  const census_tag_key *keys[3] = {key("route"), key("method"), key(long_name)};
  const census_measure *mi = census_measure_int64_new("plain/int", "", "ms", &st);
  const census_measure *md = census_measure_double_new("plain/double", "", "By", &st);
  register_view("plain/count", mi, keys, 3, census_aggregation_count_new(), 4);
  register_view("plain/sum_int", mi, keys, 3, census_aggregation_sum_new(), 0);
  register_view("plain/sum_double", md, keys, 2, census_aggregation_sum_new(), 0);
  register_view("plain/gauge_int", mi, keys, 1, census_aggregation_last_value_new(), 0);
  register_view("plain/gauge_double", md, NULL, 0, census_aggregation_last_value_new(), 0);
  double bounds[] = {1, 10, 100};
  register_view("plain/histogram", md, keys, 2, census_aggregation_distribution_new(bounds, 3, &st),
                0);
  /* More columns than the fast path keeps (PB_VIEW_COLUMNS, 16): the plain path throughout. */
  const census_tag_key *many[20];
  for (int i = 0; i < 20; i++) {
    char name[16];
    snprintf(name, sizeof name, "c%d", i);
    many[i] = key(name);
  }
  register_view("plain/many_columns", mi, many, 20, census_aggregation_count_new(), 0);

  /* Values of every size class: empty (no attribute), one byte, short, long. */
  const char *routes[] = {"/a", "", "/c/d/e", long_value, "/x?y=1&z", "z"};
  for (int i = 0; i < 12; i++) {
    census_tag_map *t = census_tag_map_new();
    assert_int_equal(census_tag_map_put(t, keys[0], routes[i % 6]), CENSUS_OK);
    if (i % 3) {
      assert_int_equal(census_tag_map_put(t, keys[1], i % 2 ? "GET" : "POST"), CENSUS_OK);
    }
    if (i % 4 == 0) {
      assert_int_equal(census_tag_map_put(t, keys[2], long_value), CENSUS_OK);
    }
    for (int k = 0; k < 20; k += 3 + i % 2) {
      assert_int_equal(census_tag_map_put(t, many[k], routes[(i + k) % 6]), CENSUS_OK);
    }
    assert_int_equal(census_record_int64(mi, i * 1000003 + 5, t), CENSUS_OK);
    assert_int_equal(census_record_double(md, i * 0.37 + 1.5, t), CENSUS_OK);
    census_tag_map_free(t);
  }
  census_view_data **all = NULL;
  size_t count = 0;
  assert_int_equal(census_view_data_get_all(&all, &count), CENSUS_OK);
  assert_true(count >= 7);
  /* The count view's limit of 4 series made an overflow row. */
  bool overflow = false;
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(census_view_data_name(all[i]), "plain/count") == 0) {
      for (size_t r = 0; r < census_view_data_row_count(all[i]); r++) {
        overflow = overflow || census_view_data_row_is_overflow(all[i], r);
      }
    }
    uint64_t points = assert_same_metrics((const census_view_data *const *)&all[i], 1);
    assert_int_equal(points, census_view_data_row_count(all[i]));
    total += points;
  }
  assert_true(overflow);
  assert_true(total >= 7 * 4);
  assert_int_equal(assert_same_metrics((const census_view_data *const *)all, count), total);
  census_view_data_free_all(all, count);
}

/* ---- spans ---------------------------------------------------------------------------------- */

static size_t spans_seen;

static census_status compare_spans(void *user, const census_span_data *const *spans, size_t n) {
  (void)user;
  census_resource resource = {&service, 1};
  for (int json = 0; json < 2; json++) {
    census_buf fast = CENSUS_BUF_INIT, plain = CENSUS_BUF_INIT;
    census__otlp_encode_plain = false;
    assert_int_equal(census__otlp_encode_spans(spans, n, &resource, json, &fast), CENSUS_OK);
    census__otlp_encode_plain = true;
    assert_int_equal(census__otlp_encode_spans(spans, n, &resource, json, &plain), CENSUS_OK);
    census__otlp_encode_plain = false;
    assert_int_equal(fast.len, plain.len);
    assert_memory_equal(fast.data, plain.data, fast.len);
    census__buf_free(&fast);
    census__buf_free(&plain);
    /* One span at a time too: a body per span exercises each span's own length. */
    for (size_t i = 0; i < n && !json; i++) {
      census__otlp_encode_plain = false;
      assert_int_equal(census__otlp_encode_spans(&spans[i], 1, NULL, false, &fast), CENSUS_OK);
      census__otlp_encode_plain = true;
      assert_int_equal(census__otlp_encode_spans(&spans[i], 1, NULL, false, &plain), CENSUS_OK);
      census__otlp_encode_plain = false;
      assert_int_equal(fast.len, plain.len);
      assert_memory_equal(fast.data, plain.data, fast.len);
      census__buf_free(&fast);
      census__buf_free(&plain);
    }
  }
  spans_seen += n;
  return CENSUS_OK;
}

/* Spans on both encoder paths, with every kind of attribute (array-valued ones included), come
 * out byte for byte the same from the sized writers and the plain ones. */
static void test_spans_same_bytes(void **state) {
  (void)state;
  static const census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                               .export_spans = compare_spans};
  static int user;
  assert_int_equal(census_span_exporter_register(&ops, &user), CENSUS_OK);
  census_span_options so = CENSUS_SPAN_OPTIONS_INIT;
  so.root = true;
  census_sampler *always_on = census_sampler_always_on();
  so.sampler = always_on;
  static char big[20000];
  memset(big, 'x', sizeof big - 1);
  census_trace_context link = {.trace_flags = 1};
  memset(link.trace_id, 0xab, sizeof link.trace_id);
  memset(link.span_id, 0xcd, sizeof link.span_id);
  snprintf(link.tracestate, sizeof link.tracestate, "vendor=value");
  /* A remote parent with a tracestate: the span's parent id, remote flag and tracestate. */
  census_trace_context remote = {.trace_flags = 1};
  memset(remote.trace_id, 0x12, sizeof remote.trace_id);
  memset(remote.span_id, 0x34, sizeof remote.span_id);
  snprintf(remote.tracestate, sizeof remote.tracestate, "congo=t61rcWkgMzE");
  census_span_limits limits = CENSUS_SPAN_LIMITS_INIT;
  /* Spans 0-5 take the plain span path (an event with attributes, or a link); 6-13 the sized
   * one (pb_span_sized()) but 12 (more attributes than it takes) and 13 (more events). */
  for (int i = 0; i < 14; i++) {
    /* Limits low enough for dropped attributes (11, 12) and events (9, 13), counted on the span:
     * 9 and 11 keep few enough for the sized path, 12 and 13 too many. */
    limits.max_attributes = i == 11 ? 3 : 20;
    limits.max_events = i == 9 ? 2 : 10;
    assert_int_equal(census_trace_set_limits(&limits), CENSUS_OK);
    census_span_options o = so;
    if (i == 7 || i == 9) {
      o.root = false;
      o.remote_parent = &remote;
    }
    census_span s = census_span_start(i == 5 || i == 8 ? "" : "GET /api/v1/items", &o);
    census_span_set_attribute_string(s, "http.route", i == 2 ? big + 19000 : "/api/v1/items");
    census_span_set_attribute_int64(s, "http.status_code", i == 3 ? -1 : 200 + i);
    census_span_set_attribute_double(s, "ratio", 0.25 * i);
    census_span_set_attribute_bool(s, "cached", i % 2);
    if (i == 4 || i == 10) {
      census_span_set_attribute_string(s, "big", big); /* a span over 16383 bytes */
    }
    if (i == 0 || i == 1 || i == 6 || i == 10) { /* arrays on both paths; 10: a 19 kB element */
      const char *strings[] = {"a", "", i == 10 ? big + 1000 : "zz"};
      int64_t ints[] = {-1, 0, INT64_MAX};
      double doubles[] = {0.5, -1e300};
      bool bools[] = {true, false, true};
      census_span_set_attribute_string_array(s, "arr.s", strings, 3);
      census_span_set_attribute_int64_array(s, "arr.i", ints, 3);
      census_span_set_attribute_double_array(s, "arr.d", doubles, 2);
      census_span_set_attribute_bool_array(s, "arr.b", bools, 3);
      census_span_set_attribute_bool_array(s, "arr.empty", NULL, 0);
      census_attribute event[] = {
          {.key = "ids",
           .type = CENSUS_ATTRIBUTE_INT64_ARRAY,
           .int_values = ints,
           .value_count = 3},
      };
      if (i == 1) { /* an event with an array: the plain span path's pb_key_value() */
        census_span_add_event_with_attributes(s, "batch", event, 1);
      }
    }
    census_span_add_event(s, i == 11 ? "" : "cache miss");
    if (i < 6) {
      census_span_add_event_with_attribute(s, "retry", "attempt", "2");
    }
    if (i < 6 && i % 2) {
      census_span_add_link(s, &link);
    }
    if (i % 2) {
      census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "it broke");
    } else if (i == 6) {
      census_span_set_status(s, CENSUS_SPAN_STATUS_OK, NULL);
    }
    for (int k = 0; i == 12 && k < 25; k++) { /* 20 kept, 5 dropped */
      char key[16];
      snprintf(key, sizeof key, "k%d", k);
      census_span_set_attribute_int64(s, key, k * 1000);
    }
    for (int k = 0; (i == 13 || i == 9) && k < (i == 13 ? 12 : 3); k++) {
      census_span_add_event(s, "tick");
    }
    census_span_end(s);
  }
  assert_int_equal(census_span_exporter_unregister(&user, 60000), CENSUS_OK);
  assert_int_equal(spans_seen, 14);
  limits = (census_span_limits)CENSUS_SPAN_LIMITS_INIT;
  assert_int_equal(census_trace_set_limits(&limits), CENSUS_OK);
  census_sampler_free(always_on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_metrics_same_bytes),
      cmocka_unit_test(test_spans_same_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
