/* span_capture.h - captures what a span encoder writes, for the encoder unit tests of the span
 * exporters (test_zipkin_encode.c, test_cloud_trace_encode.c).
 *
 * A capturing span exporter, registered once, encodes every batch census hands it with the
 * encoder under test (while the span data are borrowed, as the real exporter does), parses the
 * body back with jansson (an independent parser, duplicate keys refused) and appends the spans
 * it holds to one array the tests search. Spans are made with span_fixture_start()
 * (tests/support/span_fixture.h), as the exporters' drivers make theirs.
 *
 * Header-only (static functions) like support.h: each test file is its own executable. The
 * capture callback runs on census's export worker, so it never calls cmocka; a body that does not
 * parse is reported on stderr and its spans are missing, which fails the test's lookup.
 */
#ifndef CENSUS_TESTS_UNIT_SPAN_CAPTURE_H
#define CENSUS_TESTS_UNIT_SPAN_CAPTURE_H

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "span_fixture.h"

/* Encodes spans[0..count) into out (the encoder under test, with the test's fixed arguments). */
typedef census_status (*span_capture_encode_fn)(const census_span_data *const *spans, size_t count,
                                                census_buf *out);
/* The array of spans in a parsed body (borrowed from it), or NULL if the body has another shape. */
typedef json_t *(*span_capture_spans_fn)(json_t *body);

static pthread_mutex_t span_capture_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *span_capture_spans; /* every encoded span, across batches */
static span_capture_encode_fn span_capture_encode;
static span_capture_spans_fn span_capture_spans_of;

static census_status span_capture_export(void *user, const census_span_data *const *spans,
                                         size_t count) {
  (void)user;
  census_buf buf = CENSUS_BUF_INIT;
  census_status s = span_capture_encode(spans, count, &buf);
  if (s != CENSUS_OK)
    return s;
  json_error_t err;
  json_t *body = json_loadb(buf.data, buf.len, JSON_REJECT_DUPLICATES, &err);
  census__buf_free(&buf);
  json_t *arr = body ? span_capture_spans_of(body) : NULL;
  pthread_mutex_lock(&span_capture_lock);
  if (arr && json_is_array(arr))
    json_array_extend(span_capture_spans, arr);
  else
    fprintf(stderr, "bad body: %s\n", body ? "shape" : err.text);
  pthread_mutex_unlock(&span_capture_lock);
  json_decref(body);
  return CENSUS_OK;
}

/* A cmocka setup step: registers the capturing exporter on first use and empties the capture. */
static void span_capture_setup(span_capture_encode_fn encode, span_capture_spans_fn spans_of) {
  static const census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                               .export_spans = span_capture_export};
  static bool registered;
  span_capture_encode = encode;
  span_capture_spans_of = spans_of;
  if (!span_capture_spans)
    span_capture_spans = json_array();
  if (!registered) {
    assert_int_equal(census_span_exporter_register(&ops, NULL), CENSUS_OK);
    registered = true;
  }
  pthread_mutex_lock(&span_capture_lock);
  json_array_clear(span_capture_spans);
  pthread_mutex_unlock(&span_capture_lock);
}

/* The captured span whose `id_key` member is the span id of ctx (our own hex of the bytes census
 * reports); fails the test if there is none. Call after census_flush(). */
static json_t *span_capture_find(const char *id_key, const census_trace_context *ctx) {
  char id[17];
  span_fixture_hex(ctx->span_id, 8, id);
  size_t i;
  json_t *s;
  json_array_foreach(span_capture_spans, i, s) {
    const char *v = json_string_value(json_object_get(s, id_key));
    if (v && strcmp(v, id) == 0)
      return s;
  }
  fail_msg("span %s not exported", id);
  return NULL;
}

#endif
