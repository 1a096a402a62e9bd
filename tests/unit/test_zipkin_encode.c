/* test_zipkin_encode.c - the Zipkin v2 JSON encoder (exporters/zipkin/zipkin_encode.c).
 *
 * Spans are made through the public tracing API with explicit start/end times; a capturing span
 * exporter (span_capture.h, shared with the Cloud Trace encoder's test) encodes each batch it
 * receives (while the span data are borrowed) and the bodies are parsed back with jansson (an
 * independent JSON parser, with duplicate keys rejected). Each test asserts field by field what the
 * OpenTelemetry Zipkin mapping requires: hex ids, parentId only for children, kind (omitted for
 * INTERNAL), microsecond timestamp/duration (duration >= 1), tags as strings, events as
 * annotations, status tags, scope tag, dropped counts, local endpoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/trace.h"
#include "span_fields.h"
#include "span_capture.h"
#include "zipkin_internal.h"

/* ---- capture (span_capture.h) -------------------------------------------------------------- */

static census_zipkin_endpoint cap_endpoint = {"svc-a", "192.0.2.7", "2001:db8::1", 8080};

static census_status encode(const census_span_data *const *spans, size_t count, census_buf *out) {
  return census__zipkin_encode(spans, count, &cap_endpoint, out);
}

/* A Zipkin body is the array of spans (ListOfSpans) itself. */
static json_t *spans_of(json_t *body) { return body; }

static int setup(void **state) {
  (void)state;
  span_capture_setup(encode, spans_of);
  return 0;
}

static json_t *find_span(const census_trace_context *ctx) { return span_capture_find("id", ctx); }

static const char *str(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  if (!v)
    return NULL;
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static json_int_t integer(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  assert_non_null(v);
  assert_true(json_is_integer(v));
  return json_integer_value(v);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* A child SERVER span with every attribute type, two events and an error status: proves ids,
 * parentId, kind, µs times, string tags, annotations (plain and with attributes as JSON), status
 * tags, scope tag and the local endpoint. */
static void test_full_span(void **state) {
  (void)state;
  const int64_t t0 = 1700000000123456789;
  census_span parent = span_fixture_start("parent", CENSUS_SPAN_KIND_INTERNAL, 0, NULL, t0);
  census_span s =
      span_fixture_start("GET /users", CENSUS_SPAN_KIND_SERVER, parent, NULL, t0 + 1000);
  census_trace_context pctx, ctx;
  assert_int_equal(census_span_context(parent, &pctx), CENSUS_OK);
  assert_int_equal(census_span_context(s, &ctx), CENSUS_OK);
  census_span_set_attribute_string(s, "http.method", "GET");
  census_span_set_attribute_int64(s, "http.status_code", -404);
  census_span_set_attribute_double(s, "ratio", 0.1);
  census_span_set_attribute_double(s, "big", 1e300);
  census_span_set_attribute_bool(s, "cached", true);
  census_span_set_attribute_bool(s, "retried", false);
  census_span_set_attribute_string(s, "quote", "a\"b\\c\n");
  census_span_add_event(s, "cache miss");
  census_span_add_event_with_attribute(s, "retry", "reason", "timeout \"x\"");
  census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "boom");
  census_span_end_at(s, t0 + 1000 + 2500000);
  census_span_end_at(parent, t0 + 5000000);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *z = find_span(&ctx);
  char trace[33], parent_id[17];
  span_fixture_hex(ctx.trace_id, 16, trace);
  span_fixture_hex(pctx.span_id, 8, parent_id);
  assert_string_equal(str(z, "traceId"), trace);
  assert_string_equal(str(z, "parentId"), parent_id);
  assert_string_equal(str(z, "name"), "GET /users");
  assert_string_equal(str(z, "kind"), "SERVER");
  /* start 1700000000123457789 ns -> 1700000000123457 µs; end 1700000000125957789 ns. */
  assert_int_equal(integer(z, "timestamp"), 1700000000123457LL);
  assert_int_equal(integer(z, "duration"), 2500);
  assert_null(json_object_get(z, "shared"));
  assert_null(json_object_get(z, "debug"));
  json_t *le = json_object_get(z, "localEndpoint");
  assert_string_equal(str(le, "serviceName"), "svc-a");
  assert_string_equal(str(le, "ipv4"), "192.0.2.7");
  assert_string_equal(str(le, "ipv6"), "2001:db8::1");
  assert_int_equal(integer(le, "port"), 8080);

  json_t *tags = json_object_get(z, "tags");
  assert_string_equal(str(tags, "http.method"), "GET");
  assert_string_equal(str(tags, "http.status_code"), "-404");
  assert_string_equal(str(tags, "ratio"), "0.1");
  assert_string_equal(str(tags, "big"), "1e+300");
  assert_true(strtod(str(tags, "big"), NULL) == 1e300);
  assert_string_equal(str(tags, "cached"), "true");
  assert_string_equal(str(tags, "retried"), "false");
  assert_string_equal(str(tags, "quote"), "a\"b\\c\n");
  assert_string_equal(str(tags, "otel.status_code"), "ERROR");
  assert_string_equal(str(tags, "error"), "boom");
  assert_string_equal(str(tags, "otel.scope.name"), "census");
  assert_null(json_object_get(tags, "otel.dropped_attributes_count"));
  /* Every tag value is a string. */
  const char *k;
  json_t *v;
  json_object_foreach(tags, k, v) assert_true(json_is_string(v));

  json_t *ann = json_object_get(z, "annotations");
  assert_int_equal(json_array_size(ann), 2);
  assert_string_equal(str(json_array_get(ann, 0), "value"), "cache miss");
  const char *value = str(json_array_get(ann, 1), "value");
  /* "retry":{"reason":"timeout \"x\""} - parse it back as the member of an object. */
  char wrapped[256];
  snprintf(wrapped, sizeof wrapped, "{%s}", value);
  json_error_t err;
  json_t *inner = json_loads(wrapped, JSON_REJECT_DUPLICATES, &err);
  assert_non_null(inner);
  assert_string_equal(json_string_value(json_object_get(json_object_get(inner, "retry"), "reason")),
                      "timeout \"x\"");
  json_decref(inner);
  /* Event times are "now" at add time: within the span's wall-clock neighbourhood of now. */
  json_int_t ts0 = integer(json_array_get(ann, 0), "timestamp");
  json_int_t ts1 = integer(json_array_get(ann, 1), "timestamp");
  assert_true(ts0 > 1700000000000000LL && ts0 <= ts1);

  /* The parent: root, INTERNAL (no kind), unset status (no status tags). */
  json_t *p = find_span(&pctx);
  assert_null(json_object_get(p, "parentId"));
  assert_null(json_object_get(p, "kind"));
  assert_null(json_object_get(p, "annotations"));
  assert_int_equal(integer(p, "timestamp"), 1700000000123456LL);
  assert_int_equal(integer(p, "duration"), 1700000000128456LL - 1700000000123456LL);
  json_t *ptags = json_object_get(p, "tags");
  assert_null(json_object_get(ptags, "otel.status_code"));
  assert_null(json_object_get(ptags, "error"));
  assert_string_equal(str(ptags, "otel.scope.name"), "census");
}

/* Kinds map one to one except INTERNAL; a zero-length span gets duration 1; OK status gives
 * otel.status_code OK and no error tag; an attribute named like a status tag does not produce a
 * duplicate key (jansson would refuse the body) and the status wins. */
static void test_kinds_status_duration(void **state) {
  (void)state;
  static const struct {
    census_span_kind kind;
    const char *name;
  } kinds[] = {{CENSUS_SPAN_KIND_CLIENT, "CLIENT"},
               {CENSUS_SPAN_KIND_SERVER, "SERVER"},
               {CENSUS_SPAN_KIND_PRODUCER, "PRODUCER"},
               {CENSUS_SPAN_KIND_CONSUMER, "CONSUMER"},
               {CENSUS_SPAN_KIND_INTERNAL, NULL}};
  census_trace_context ctx[5];
  for (int i = 0; i < 5; i++) {
    census_span s = span_fixture_start("k", kinds[i].kind, 0, NULL, 1000000000000000000 + i);
    census_span_context(s, &ctx[i]);
    census_span_set_attribute_string(s, "error", "user value");
    census_span_set_attribute_string(s, "otel.status_code", "user value");
    if (i == 0)
      census_span_set_status(s, CENSUS_SPAN_STATUS_OK, NULL);
    if (i == 1)
      census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, NULL);
    census_span_end_at(s, 1000000000000000000 + i + 999); /* < 1 µs */
  }
  assert_int_equal(census_flush(10000), CENSUS_OK);
  for (int i = 0; i < 5; i++) {
    json_t *z = find_span(&ctx[i]);
    if (kinds[i].name)
      assert_string_equal(str(z, "kind"), kinds[i].name);
    else
      assert_null(json_object_get(z, "kind"));
    assert_int_equal(integer(z, "duration"), 1);
    json_t *tags = json_object_get(z, "tags");
    if (i == 0) {
      assert_string_equal(str(tags, "otel.status_code"), "OK");
      assert_string_equal(str(tags, "error"), "user value"); /* not a status tag when OK */
    } else if (i == 1) {
      assert_string_equal(str(tags, "otel.status_code"), "ERROR");
      assert_string_equal(str(tags, "error"), ""); /* description absent */
    } else {
      /* Unset status: the user's attributes pass through as tags. */
      assert_string_equal(str(tags, "otel.status_code"), "user value");
      assert_string_equal(str(tags, "error"), "user value");
    }
  }
}

/* Limits: what census dropped is reported as otel.dropped_*_count tags (strings); an attribute
 * with the same key as such a tag is left out (no duplicate key: jansson would refuse the body). */
static void test_dropped_counts(void **state) {
  (void)state;
  census_span_limits small = {
      .size = sizeof(census_span_limits), .max_attributes = 2, .max_events = 1, .max_links = 1};
  assert_int_equal(census_trace_set_limits(&small), CENSUS_OK);
  census_span s = span_fixture_start("limited", CENSUS_SPAN_KIND_CLIENT, 0, NULL, 0);
  census_span_limits dflt = {.size = sizeof(census_span_limits),
                             .max_attributes = 128,
                             .max_events = 128,
                             .max_links = 128,
                             .max_attributes_per_event = 128};
  census_trace_set_limits(&dflt);
  census_trace_context ctx, other;
  census_span_context(s, &ctx);
  other = ctx;
  other.span_id[0] ^= 0xff;
  /* A user attribute named like a tag the encoder writes for this span must yield to it. */
  census_span_set_attribute_string(s, "otel.dropped_links_count", "user value");
  for (int i = 0; i < 5; i++) {
    char k[8];
    snprintf(k, sizeof k, "a%d", i);
    census_span_set_attribute_int64(s, k, i);
  }
  census_span_add_event(s, "e1");
  census_span_add_event(s, "e2");
  census_span_add_link(s, &other);
  census_span_add_link(s, &other);
  census_span_add_link(s, &other);
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  json_t *tags = json_object_get(find_span(&ctx), "tags");
  assert_string_equal(str(tags, "otel.dropped_attributes_count"), "4");
  assert_string_equal(str(tags, "otel.dropped_events_count"), "1");
  assert_string_equal(str(tags, "otel.dropped_links_count"), "2");
  assert_string_equal(str(tags, "a0"), "0");
  assert_null(json_object_get(tags, "a1"));
}

/* Doubles (span_fields.h, as the tags carry them): the shortest exact form; NaN and infinities
 * as words. Unit-level, no spans. */
static void test_format_double(void **state) {
  (void)state;
  char b[32];
  const double values[] = {0.1, 1.0 / 3.0, -2.5, 1e-310, 123456789012345678.0, 0.0};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    census__span_format_double(values[i], b);
    assert_true(strtod(b, NULL) == values[i]); /* reads back exactly */
  }
  census__span_format_double(0.1, b);
  assert_string_equal(b, "0.1");
  census__span_format_double(NAN, b);
  assert_string_equal(b, "NaN");
  census__span_format_double(-INFINITY, b);
  assert_string_equal(b, "-Infinity");
}

/* An empty batch is "[]"; an endpoint with nothing set is an empty object. */
static void test_empty_and_bare_endpoint(void **state) {
  (void)state;
  census_buf buf = CENSUS_BUF_INIT;
  assert_int_equal(census__zipkin_encode(NULL, 0, NULL, &buf), CENSUS_OK);
  assert_string_equal(buf.data, "[]");
  census__buf_free(&buf);
  assert_int_equal(census__zipkin_encode(NULL, 1, NULL, &buf), CENSUS_EINVAL);

  cap_endpoint = (census_zipkin_endpoint){NULL, NULL, NULL, 0};
  census_span s = span_fixture_start("bare", CENSUS_SPAN_KIND_INTERNAL, 0, NULL, 0);
  census_trace_context ctx;
  census_span_context(s, &ctx);
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  json_t *le = json_object_get(find_span(&ctx), "localEndpoint");
  assert_non_null(le);
  assert_int_equal(json_object_size(le), 0);
  cap_endpoint = (census_zipkin_endpoint){"svc-a", "192.0.2.7", "2001:db8::1", 8080};
}

/* Parses `text` with jansson (an independent parser) as one JSON value; fails the test if it is
 * not valid JSON. The caller decrefs. */
static json_t *parse_value(const char *text) {
  json_error_t err;
  json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
  if (!v) {
    fail_msg("not JSON: %s (%s)", text, err.text);
  }
  return v;
}

/* Array-valued attributes (OpenTelemetry's Zipkin mapping: a tag's value is a string, an array
 * is that string holding its JSON array): each kind's tag is a string, exactly ["a",...] as
 * census writes it, and jansson reads it back as an array of the elements the test set (an
 * escaped quote, a non-ASCII string, INT64_MIN exact, non-finite doubles as the strings "NaN" and
 * "-Infinity" since JSON numbers cannot carry them, an empty array). An event's array attribute
 * is a real JSON array inside the annotation's {"name":{...}} text. Fails on main (no arrays). */
static void test_array_tags(void **state) {
  (void)state;
  const int64_t t0 = 1700000000000000000;
  census_span s = span_fixture_start("arrays", CENSUS_SPAN_KIND_CLIENT, 0, NULL, t0);
  census_trace_context ctx;
  assert_int_equal(census_span_context(s, &ctx), CENSUS_OK);
  const char *strings[] = {"a", "b\"c", "caf\xc3\xa9"};
  int64_t ints[] = {1, -2, INT64_MIN};
  double doubles[] = {1.5, 0.1, NAN, -INFINITY};
  bool bools[] = {true, false};
  census_span_set_attribute_string_array(s, "s", strings, 3);
  census_span_set_attribute_int64_array(s, "i", ints, 3);
  census_span_set_attribute_double_array(s, "d", doubles, 4);
  census_span_set_attribute_bool_array(s, "b", bools, 2);
  census_span_set_attribute_string_array(s, "e", NULL, 0);
  census_attribute event[] = {
      {.key = "ids", .type = CENSUS_ATTRIBUTE_INT64_ARRAY, .int_values = ints, .value_count = 2}};
  census_span_add_event_with_attributes(s, "batch", event, 1);
  census_span_end_at(s, t0 + 1000000);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *tags = json_object_get(find_span(&ctx), "tags");
  assert_string_equal(str(tags, "s"), "[\"a\",\"b\\\"c\",\"caf\xc3\xa9\"]");
  assert_string_equal(str(tags, "i"), "[1,-2,-9223372036854775808]");
  assert_string_equal(str(tags, "d"), "[1.5,0.1,\"NaN\",\"-Infinity\"]");
  assert_string_equal(str(tags, "b"), "[true,false]");
  assert_string_equal(str(tags, "e"), "[]");

  json_t *v = parse_value(str(tags, "s"));
  assert_int_equal(json_array_size(v), 3);
  assert_string_equal(json_string_value(json_array_get(v, 1)), "b\"c");
  assert_string_equal(json_string_value(json_array_get(v, 2)), "caf\xc3\xa9");
  json_decref(v);
  v = parse_value(str(tags, "i"));
  assert_true(json_integer_value(json_array_get(v, 2)) == INT64_MIN);
  json_decref(v);
  v = parse_value(str(tags, "d"));
  assert_true(json_real_value(json_array_get(v, 1)) == 0.1);
  assert_string_equal(json_string_value(json_array_get(v, 2)), "NaN");
  json_decref(v);
  v = parse_value(str(tags, "b"));
  assert_true(json_is_true(json_array_get(v, 0)) && json_is_false(json_array_get(v, 1)));
  json_decref(v);

  json_t *ann = json_object_get(find_span(&ctx), "annotations");
  char wrapped[256];
  snprintf(wrapped, sizeof wrapped, "{%s}", str(json_array_get(ann, 0), "value"));
  json_t *inner = parse_value(wrapped);
  json_t *ids = json_object_get(json_object_get(inner, "batch"), "ids");
  assert_true(json_is_array(ids));
  assert_int_equal(json_array_size(ids), 2);
  assert_int_equal(json_integer_value(json_array_get(ids, 1)), -2);
  json_decref(inner);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_full_span, setup),
      cmocka_unit_test_setup(test_array_tags, setup),
      cmocka_unit_test_setup(test_kinds_status_duration, setup),
      cmocka_unit_test_setup(test_dropped_counts, setup),
      cmocka_unit_test(test_format_double),
      cmocka_unit_test_setup(test_empty_and_bare_endpoint, setup),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  census_shutdown(5000);
  json_decref(span_capture_spans);
  return failed;
}
