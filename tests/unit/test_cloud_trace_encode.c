/* test_cloud_trace_encode.c - the Cloud Trace v2 encoder (exporters/google_cloud/
 * cloud_trace_encode.c).
 *
 * Spans are made through the public tracing API; a capturing span exporter (span_capture.h,
 * shared with the Zipkin encoder's test) encodes each batch while the span data are borrowed, and
 * the bodies are parsed back with jansson (independent parser, duplicate keys refused). The tests
 * assert field by field: resource names, ids, RFC 3339 times, displayName and string truncation at
 * UTF-8 boundaries with truncatedByteCount, the 32-attribute / 128-byte-key limits with
 * droppedAttributesCount, the agent attribute, annotations and their limit, links, status, span
 * kind and sameProcessAsParentSpan. (Schema validity of the same bodies is proven by
 * cloud_trace_export with Google's definition.)
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
#include "cloud_trace_internal.h"
#include "span_capture.h"
#include "utf8.h"

/* ---- capture (span_capture.h) -------------------------------------------------------------- */

static char agent[64];

static census_status encode(const census_span_data *const *spans, size_t count, census_buf *out) {
  return census__cloud_trace_encode(spans, count, "my-project", agent, out);
}

/* A BatchWriteSpansRequest body is {"spans":[...]} and nothing else. */
static json_t *spans_of(json_t *body) {
  return json_object_size(body) == 1 ? json_object_get(body, "spans") : NULL;
}

static int setup(void **state) {
  (void)state;
  snprintf(agent, sizeof agent, "census-c %s", census_version());
  span_capture_setup(encode, spans_of);
  return 0;
}

static json_t *find_span(const census_trace_context *ctx) {
  return span_capture_find("spanId", ctx);
}

/* json path helper: get(obj, "a", "b", NULL) */
static json_t *get(json_t *o, ...) {
  va_list ap;
  va_start(ap, o);
  const char *k;
  while (o && (k = va_arg(ap, const char *)) != NULL)
    o = json_object_get(o, k);
  va_end(ap);
  return o;
}

static const char *sget(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  assert_non_null(v);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

/* A SERVER span under a remote parent: every field of the mapping. */
static void test_full_span(void **state) {
  (void)state;
  census_trace_context remote = {.trace_flags = 1, .remote = true, .tracestate = "vendor=value"};
  for (int i = 0; i < 16; i++)
    remote.trace_id[i] = (uint8_t)(0xa0 + i);
  for (int i = 0; i < 8; i++)
    remote.span_id[i] = (uint8_t)(0x10 + i);
  census_trace_context linked = remote;
  linked.span_id[7] = 0x77;

  const int64_t t0 = 1700000000123456789; /* 2023-11-14T22:13:20.123456789Z */
  census_span s = span_fixture_start("GET /items", CENSUS_SPAN_KIND_SERVER, 0, &remote, t0);
  census_span_set_attribute_string(s, "http.method", "GET");
  census_span_set_attribute_int64(s, "http.status_code", 500);
  census_span_set_attribute_int64(s, "min", INT64_MIN);
  census_span_set_attribute_double(s, "ratio", 0.25);
  census_span_set_attribute_bool(s, "cache.hit", true);
  census_span_set_attribute_string(s, CENSUS_CLOUD_TRACE_AGENT_KEY, "spoofed");
  census_span_add_event(s, "started");
  census_span_add_event_with_attribute(s, "query", "db", "SELECT 1");
  census_span_add_link(s, &linked);
  census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "bad gateway");
  census_trace_context ctx;
  census_span_context(s, &ctx);
  census_span child = span_fixture_start("child", CENSUS_SPAN_KIND_CLIENT, s, NULL, t0 + 1);
  census_trace_context cctx;
  census_span_context(child, &cctx);
  census_span_set_status(child, CENSUS_SPAN_STATUS_OK, NULL);
  census_span_end_at(child, t0 + 2);
  census_span_end_at(s, t0 + 1500000000);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *z = find_span(&ctx);
  char trace[33], id[17], name[128];
  span_fixture_hex(ctx.trace_id, 16, trace);
  span_fixture_hex(ctx.span_id, 8, id);
  assert_string_equal(trace, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"); /* the remote trace */
  snprintf(name, sizeof name, "projects/my-project/traces/%s/spans/%s", trace, id);
  assert_string_equal(sget(z, "name"), name);
  assert_string_equal(sget(z, "spanId"), id);
  assert_string_equal(sget(z, "parentSpanId"), "1011121314151617");
  assert_string_equal(sget(get(z, "displayName", NULL), "value"), "GET /items");
  assert_null(get(z, "displayName", "truncatedByteCount", NULL));
  assert_string_equal(sget(z, "startTime"), "2023-11-14T22:13:20.123456789Z");
  assert_string_equal(sget(z, "endTime"), "2023-11-14T22:13:21.623456789Z");
  assert_true(json_is_false(json_object_get(z, "sameProcessAsParentSpan")));
  assert_string_equal(sget(z, "spanKind"), "SERVER");
  assert_int_equal(json_integer_value(get(z, "status", "code", NULL)), 2);
  assert_string_equal(sget(json_object_get(z, "status"), "message"), "bad gateway");

  json_t *map = get(z, "attributes", "attributeMap", NULL);
  assert_int_equal(json_object_size(map), 6); /* 5 user attributes + agent */
  assert_string_equal(sget(get(map, "g.co/agent", "stringValue", NULL), "value"), agent);
  assert_true(strncmp(agent, "census-c ", 9) == 0);
  assert_string_equal(sget(get(map, "http.method", "stringValue", NULL), "value"), "GET");
  assert_string_equal(sget(json_object_get(map, "http.status_code"), "intValue"), "500");
  assert_string_equal(sget(json_object_get(map, "min"), "intValue"), "-9223372036854775808");
  assert_string_equal(sget(get(map, "ratio", "stringValue", NULL), "value"), "0.25");
  assert_true(json_is_true(get(map, "cache.hit", "boolValue", NULL)));
  /* The spoofed agent attribute lost to ours and counts as dropped. */
  assert_int_equal(json_integer_value(get(z, "attributes", "droppedAttributesCount", NULL)), 1);

  json_t *events = get(z, "timeEvents", "timeEvent", NULL);
  assert_int_equal(json_array_size(events), 2);
  assert_string_equal(
      sget(get(json_array_get(events, 0), "annotation", "description", NULL), "value"), "started");
  assert_null(get(json_array_get(events, 0), "annotation", "attributes", NULL));
  json_t *q = get(json_array_get(events, 1), "annotation", NULL);
  assert_string_equal(sget(get(q, "description", NULL), "value"), "query");
  assert_string_equal(
      sget(get(q, "attributes", "attributeMap", "db", "stringValue", NULL), "value"), "SELECT 1");
  const char *t = sget(json_array_get(events, 0), "time");
  assert_int_equal(strlen(t), strlen("2026-01-01T00:00:00.000000000Z"));
  assert_int_equal(t[strlen(t) - 1], 'Z');
  assert_null(get(z, "timeEvents", "droppedAnnotationsCount", NULL));

  json_t *links = get(z, "links", "link", NULL);
  assert_int_equal(json_array_size(links), 1);
  assert_string_equal(sget(json_array_get(links, 0), "traceId"), trace);
  assert_string_equal(sget(json_array_get(links, 0), "spanId"), "1011121314151677");

  /* The local child: same process as its parent, OK status is code 0, no events or links. */
  json_t *c = find_span(&cctx);
  assert_string_equal(sget(c, "parentSpanId"), id);
  assert_true(json_is_true(json_object_get(c, "sameProcessAsParentSpan")));
  assert_string_equal(sget(c, "spanKind"), "CLIENT");
  assert_int_equal(json_integer_value(get(c, "status", "code", NULL)), 0);
  assert_null(get(c, "status", "message", NULL));
  assert_null(json_object_get(c, "timeEvents"));
  assert_null(json_object_get(c, "links"));
  assert_string_equal(sget(c, "startTime"), "2023-11-14T22:13:20.123456790Z");
}

/* Cloud Trace's limits: displayName 128 bytes and string values 256 bytes cut at a UTF-8
 * boundary with truncatedByteCount; keys over 128 bytes dropped; 32 attributes per span
 * including the agent; 32 annotations; a root INTERNAL span has no parent fields and no status. */
static void test_limits(void **state) {
  (void)state;
  /* 127 ASCII bytes then "é" (2 bytes): the cut at 128 would split it, so 127 bytes are kept. */
  char long_name[200];
  memset(long_name, 'n', 127);
  strcpy(long_name + 127, "\xc3\xa9tail");
  census_span s = span_fixture_start(long_name, CENSUS_SPAN_KIND_INTERNAL, 0, NULL, 0);
  char value[301];
  memset(value, 'v', 300);
  value[300] = '\0';
  census_span_set_attribute_string(s, "long.value", value);
  char long_key[130];
  memset(long_key, 'k', 129);
  long_key[129] = '\0';
  census_span_set_attribute_string(s, long_key, "x");
  char k128[129];
  memset(k128, 'q', 128);
  k128[128] = '\0';
  census_span_set_attribute_bool(s, k128, false);
  for (int i = 0; i < 40; i++) {
    char k[16];
    snprintf(k, sizeof k, "a%02d", i);
    census_span_set_attribute_int64(s, k, i);
  }
  for (int i = 0; i < 35; i++)
    census_span_add_event(s, "e");
  census_trace_context ctx;
  census_span_context(s, &ctx);
  census_span_end(s);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *z = find_span(&ctx);
  assert_int_equal(strlen(sget(get(z, "displayName", NULL), "value")), 127);
  assert_int_equal(json_integer_value(get(z, "displayName", "truncatedByteCount", NULL)),
                   strlen(long_name) - 127);
  json_t *map = get(z, "attributes", "attributeMap", NULL);
  assert_int_equal(json_object_size(map), CENSUS_CLOUD_TRACE_MAX_ATTRIBUTES);
  json_t *lv = get(map, "long.value", "stringValue", NULL);
  assert_int_equal(strlen(sget(lv, "value")), 256);
  assert_int_equal(json_integer_value(json_object_get(lv, "truncatedByteCount")), 44);
  assert_null(json_object_get(map, long_key));
  assert_true(json_is_false(get(map, k128, "boolValue", NULL))); /* 128 bytes: kept */
  /* Kept: agent, long.value, k128, a00..a28 = 32; dropped: long_key and a29..a39 = 12. */
  assert_non_null(json_object_get(map, "a28"));
  assert_null(json_object_get(map, "a29"));
  assert_int_equal(json_integer_value(get(z, "attributes", "droppedAttributesCount", NULL)), 12);
  assert_int_equal(json_array_size(get(z, "timeEvents", "timeEvent", NULL)), 32);
  assert_int_equal(json_integer_value(get(z, "timeEvents", "droppedAnnotationsCount", NULL)), 3);
  assert_null(json_object_get(z, "parentSpanId"));
  assert_null(json_object_get(z, "sameProcessAsParentSpan"));
  assert_null(json_object_get(z, "status"));
  assert_string_equal(sget(z, "spanKind"), "INTERNAL");
}

/* The UTF-8 prefix rule at its boundaries. */
static void test_utf8_prefix(void **state) {
  (void)state;
  assert_int_equal(census__utf8_prefix("abc", 3, 3), 3);
  assert_int_equal(census__utf8_prefix("abcd", 4, 3), 3);
  assert_int_equal(census__utf8_prefix("ab\xc3\xa9", 4, 3), 2);    /* 2-byte char */
  assert_int_equal(census__utf8_prefix("a\xe2\x82\xac", 4, 3), 1); /* euro sign */
  assert_int_equal(census__utf8_prefix("a\xe2\x82\xac", 4, 4), 4);
  assert_int_equal(census__utf8_prefix("\xf0\x9f\x98\x80x", 5, 4), 4);
  assert_int_equal(census__utf8_prefix("", 0, 0), 0);
}

/* An empty batch and argument errors. */
static void test_empty(void **state) {
  (void)state;
  census_buf buf = CENSUS_BUF_INIT;
  assert_int_equal(census__cloud_trace_encode(NULL, 0, "p", "a", &buf), CENSUS_OK);
  assert_string_equal(buf.data, "{\"spans\":[]}");
  census__buf_free(&buf);
  assert_int_equal(census__cloud_trace_encode(NULL, 0, NULL, "a", &buf), CENSUS_EINVAL);
}

/* Array-valued attributes: Cloud Trace's AttributeValue has no arrays, so each is a stringValue
 * holding its JSON array (OpenTelemetry's mapping to non-OTLP formats; its Go and Python Cloud
 * Trace exporters drop arrays instead, census keeps them), which jansson reads back with the
 * test's elements; an array whose text passes the 256-byte value limit is cut at a UTF-8
 * boundary with truncatedByteCount, like any string; nothing counts as dropped. An event's arrays
 * follow the same rule. Fails on main (no arrays). */
static void test_array_attributes(void **state) {
  (void)state;
  const int64_t t0 = 1700000000000000000;
  census_span s = span_fixture_start("arrays", CENSUS_SPAN_KIND_INTERNAL, 0, NULL, t0);
  census_trace_context ctx;
  census_span_context(s, &ctx);
  const char *strings[] = {"a", "b\"c"};
  int64_t ints[] = {INT64_MIN, 7};
  double doubles[] = {0.25, NAN};
  bool bools[] = {false};
  const char *many[100];
  for (int i = 0; i < 100; i++)
    many[i] = "\xc3\xa9\xc3\xa9"; /* 4 bytes of UTF-8 each: "éé", 7 bytes of JSON with , */
  census_span_set_attribute_string_array(s, "s", strings, 2);
  census_span_set_attribute_int64_array(s, "i", ints, 2);
  census_span_set_attribute_double_array(s, "d", doubles, 2);
  census_span_set_attribute_bool_array(s, "b", bools, 1);
  census_span_set_attribute_int64_array(s, "e", NULL, 0);
  census_span_set_attribute_string_array(s, "long", many, 100);
  census_attribute event[] = {
      {.key = "ids", .type = CENSUS_ATTRIBUTE_INT64_ARRAY, .int_values = ints, .value_count = 2}};
  census_span_add_event_with_attributes(s, "batch", event, 1);
  census_span_end_at(s, t0 + 1000);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *z = find_span(&ctx);
  json_t *map = get(z, "attributes", "attributeMap", NULL);
  assert_string_equal(sget(get(map, "s", "stringValue", NULL), "value"), "[\"a\",\"b\\\"c\"]");
  assert_string_equal(sget(get(map, "i", "stringValue", NULL), "value"),
                      "[-9223372036854775808,7]");
  assert_string_equal(sget(get(map, "d", "stringValue", NULL), "value"), "[0.25,\"NaN\"]");
  assert_string_equal(sget(get(map, "b", "stringValue", NULL), "value"), "[false]");
  assert_string_equal(sget(get(map, "e", "stringValue", NULL), "value"), "[]");
  json_error_t err;
  json_t *back =
      json_loads(sget(get(map, "s", "stringValue", NULL), "value"), JSON_DECODE_ANY, &err);
  assert_non_null(back);
  assert_string_equal(json_string_value(json_array_get(back, 1)), "b\"c");
  json_decref(back);
  /* 100 elements of 6 bytes of text ("éé" quoted) and 99 commas, in brackets: 701 bytes. */
  const char *cut = sget(get(map, "long", "stringValue", NULL), "value");
  size_t kept = strlen(cut);
  assert_true(kept <= CENSUS_CLOUD_TRACE_MAX_VALUE && kept > CENSUS_CLOUD_TRACE_MAX_VALUE - 4);
  assert_int_equal(census__utf8_prefix(cut, kept, kept), kept); /* whole characters */
  assert_int_equal(json_integer_value(get(map, "long", "stringValue", "truncatedByteCount", NULL)),
                   701 - (json_int_t)kept);
  assert_null(get(z, "attributes", "droppedAttributesCount", NULL));
  json_t *ev = json_array_get(get(z, "timeEvents", "timeEvent", NULL), 0);
  assert_string_equal(
      sget(get(ev, "annotation", "attributes", "attributeMap", "ids", "stringValue", NULL),
           "value"),
      "[-9223372036854775808,7]");
}

int main(void) {
  census_sampler *always = census_sampler_always_on();
  census_trace_set_sampler(always);
  census_sampler_free(always);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_full_span, setup),
      cmocka_unit_test_setup(test_array_attributes, setup),
      cmocka_unit_test_setup(test_limits, setup),
      cmocka_unit_test(test_utf8_prefix),
      cmocka_unit_test(test_empty),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  census_shutdown(5000);
  json_decref(span_capture_spans);
  return failed;
}
