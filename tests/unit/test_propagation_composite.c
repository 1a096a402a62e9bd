/* test_propagation_composite.c - the composite propagator (census_propagator_*): one inject and one
 * extract running the formats an OTEL_PROPAGATORS-style list names, in order.
 *
 * Proves the list syntax (names, spaces, empty items, duplicates, none, unknown names refused with
 * a diagnostic), that inject writes each format's own headers exactly as the single-format calls
 * do (compared header by header with census_traceparent_inject() etc., whose wire formats are
 * interop-tested against the OpenTelemetry JS propagators in tests/interop), that extract follows
 * OpenTelemetry's composite order (a later trace format's context replaces an earlier one's;
 * baggage merges), and grpc-trace-bin's text form: base64 as gRPC sends "-bin" metadata, checked
 * against Python's base64 module's encoding of the OpenCensus binary bytes (the vector below) and
 * read back padded or not. On main none of this compiles: census_propagator did not exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"
#include "census/propagation.h"
#include "propagation_carrier.h"

static char diag[512];
static void capture(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  snprintf(diag, sizeof diag, "%s", message);
}

static census_propagator *make(const char *formats) {
  census_status st = 1;
  census_propagator *p = census_propagator_new(formats, &st);
  if (!p) {
    fail_msg("census_propagator_new(\"%s\"): %s", formats, census_status_name(st));
  }
  return p;
}

/* Proves: names in order, spaces/tabs and empty items ignored, a repeated name kept once in its
 * first place; "none" alone is a propagator with no format; NULL, unknown names (reported with
 * the list of names) and "none" with others are EINVAL. */
static void test_list_syntax(void **state) {
  (void)state;
  census_propagator *p =
      make(" b3multi ,\ttracecontext,,baggage, b3multi,gcp_trace,grpc_trace_bin");
  assert_int_equal(census_propagator_format_count(p), 5);
  const char *want[] = {"b3multi", "tracecontext", "baggage", "gcp_trace", "grpc_trace_bin"};
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(census_propagator_format(p, i), want[i]);
  }
  assert_null(census_propagator_format(p, 5));
  census_propagator_free(p);
  p = make("none");
  assert_int_equal(census_propagator_format_count(p), 0);
  census_propagator_free(p);
  p = make("");
  assert_int_equal(census_propagator_format_count(p), 0);
  census_propagator_free(p);
  census_propagator_free(NULL);
  assert_int_equal(census_propagator_format_count(NULL), 0);

  census_diagnostics_set_callback(capture, NULL);
  census_status st = 1;
  assert_null(census_propagator_new("tracecontext,jaeger", &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_non_null(strstr(diag, "unknown propagation format \"jaeger\""));
  assert_non_null(strstr(diag, "tracecontext, baggage, b3, b3multi, gcp_trace, grpc_trace_bin"));
  st = 1;
  assert_null(census_propagator_new("none,b3", &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_non_null(strstr(diag, "\"none\" with other formats"));
  st = 1;
  assert_null(census_propagator_new("TraceContext", &st)); /* names are lowercase, as OTel's */
  assert_int_equal(st, CENSUS_EINVAL);
  assert_null(census_propagator_new(NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  census_diagnostics_set_callback(NULL, NULL);
}

/* The value of header `name` in `c`, or NULL. */
static const char *header(struct test_carrier *c, const char *name) {
  return test_carrier_get(c, name);
}

/* Proves: inject writes, for each listed format, exactly the headers the format's own inject
 * writes (traceparent, b3, x-b3-*, x-cloud-trace-context, baggage), nothing for formats not
 * listed; grpc-trace-bin is the unpadded base64 of the binary context; a NULL context skips the
 * trace formats, NULL baggage skips baggage; an invalid context is EINVAL with no trace header,
 * baggage still written; NULL propagator or setter EINVAL. */
static void test_inject(void **state) {
  (void)state;
  census_trace_context ctx = test_example_context(CENSUS_TRACE_FLAG_SAMPLED);
  const census_tag_key *user = census_tag_key_new("user", NULL);
  census_tag_map *bag = census_tag_map_new();
  census_tag_map_put(bag, user, "alice");
  struct test_carrier all = {0}, each = {0};
  census_propagator *p = make("tracecontext,baggage,b3,b3multi,gcp_trace,grpc_trace_bin");
  assert_int_equal(census_propagator_inject(p, &ctx, bag, test_carrier_set, &all), CENSUS_OK);
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &each), CENSUS_OK);
  assert_int_equal(census_baggage_inject(bag, test_carrier_set, &each, NULL), CENSUS_OK);
  assert_int_equal(census_b3_inject(&ctx, CENSUS_B3_SINGLE, test_carrier_set, &each), CENSUS_OK);
  assert_int_equal(census_b3_inject(&ctx, CENSUS_B3_MULTI, test_carrier_set, &each), CENSUS_OK);
  assert_int_equal(census_cloud_trace_inject(&ctx, test_carrier_set, &each), CENSUS_OK);
  assert_int_equal(all.count, each.count + 1); /* + grpc-trace-bin */
  for (size_t i = 0; i < each.count; i++) {
    const char *v = header(&all, each.names[i]);
    assert_non_null(v);
    assert_string_equal(v, each.values[i]);
  }
  /* Python: base64.b64encode(b"\0\0" + trace_id + b"\1" + span_id + b"\2\1"), unpadded. */
  assert_string_equal(header(&all, "grpc-trace-bin"), "AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE");
  census_propagator_free(p);
  test_carrier_clear(&all);

  p = make("b3");
  assert_int_equal(census_propagator_inject(p, &ctx, bag, test_carrier_set, &all), CENSUS_OK);
  assert_int_equal(all.count, 1);
  assert_string_equal(all.names[0], "b3");
  test_carrier_clear(&all);
  census_propagator_free(p);

  p = make("tracecontext,baggage");
  assert_int_equal(census_propagator_inject(p, NULL, bag, test_carrier_set, &all), CENSUS_OK);
  assert_int_equal(all.count, 1);
  assert_string_equal(header(&all, "baggage"), "user=alice");
  test_carrier_clear(&all);
  census_trace_context invalid;
  memset(&invalid, 0, sizeof invalid);
  assert_int_equal(census_propagator_inject(p, &invalid, bag, test_carrier_set, &all),
                   CENSUS_EINVAL);
  assert_null(header(&all, "traceparent"));
  assert_non_null(header(&all, "baggage"));
  test_carrier_clear(&all);
  assert_int_equal(census_propagator_inject(p, &ctx, NULL, test_carrier_set, &all), CENSUS_OK);
  assert_int_equal(all.count, 1);
  assert_int_equal(census_propagator_inject(NULL, &ctx, NULL, test_carrier_set, &all),
                   CENSUS_EINVAL);
  assert_int_equal(census_propagator_inject(p, &ctx, NULL, NULL, &all), CENSUS_EINVAL);
  census_propagator_free(p);
  test_carrier_clear(&all);
  test_carrier_clear(&each);
  census_tag_map_free(bag);
}

/* Proves: extract reads the formats in order and the last one that finds a context wins (so
 * "tracecontext,b3" over headers of two different traces gives the b3 one, "b3,tracecontext" the
 * traceparent one), a malformed header loses to a valid later or earlier one, only malformed is
 * EINVAL, nothing is ENOTFOUND (with an invalid context); baggage members go into the map (kept
 * tags stay); grpc-trace-bin reads padded and unpadded base64 and refuses bad base64. */
static void test_extract(void **state) {
  (void)state;
  census_trace_context a = test_example_context(CENSUS_TRACE_FLAG_SAMPLED);
  census_trace_context b = test_example_context(0);
  b.trace_id[0] = 0x11;
  b.span_id[7] = 0x22;
  struct test_carrier c = {0};
  census_traceparent_inject(&a, test_carrier_set, &c);
  census_b3_inject(&b, CENSUS_B3_SINGLE, test_carrier_set, &c);
  test_carrier_set(&c, "baggage", "user=bob");
  census_propagator *tb = make("tracecontext,b3,baggage");
  census_propagator *bt = make("b3,tracecontext");
  census_trace_context got;
  const census_tag_key *user = census_tag_key_new("user", NULL);
  const census_tag_key *kept = census_tag_key_new("kept", NULL);
  census_tag_map *bag = census_tag_map_new();
  census_tag_map_put(bag, kept, "yes");
  assert_int_equal(census_propagator_extract(tb, test_carrier_get, &c, &got, bag), CENSUS_OK);
  assert_memory_equal(got.trace_id, b.trace_id, 16);
  assert_memory_equal(got.span_id, b.span_id, 8);
  assert_true(got.remote);
  assert_string_equal(census_tag_map_get(bag, user), "bob");
  assert_string_equal(census_tag_map_get(bag, kept), "yes");
  assert_int_equal(census_propagator_extract(bt, test_carrier_get, &c, &got, NULL), CENSUS_OK);
  assert_memory_equal(got.trace_id, a.trace_id, 16);
  assert_true(got.trace_flags & CENSUS_TRACE_FLAG_SAMPLED);

  test_carrier_set(&c, "traceparent", "00-bad");
  assert_int_equal(census_propagator_extract(bt, test_carrier_get, &c, &got, NULL), CENSUS_OK);
  assert_memory_equal(got.trace_id, b.trace_id, 16); /* b3 found, traceparent malformed */
  census_propagator *t = make("tracecontext");
  assert_int_equal(census_propagator_extract(t, test_carrier_get, &c, &got, NULL), CENSUS_EINVAL);
  static const uint8_t zero[16];
  assert_memory_equal(got.trace_id, zero, 16);
  struct test_carrier empty = {0};
  assert_int_equal(census_propagator_extract(tb, test_carrier_get, &empty, &got, NULL),
                   CENSUS_ENOTFOUND);
  census_propagator *none = make("none");
  assert_int_equal(census_propagator_extract(none, test_carrier_get, &c, &got, NULL),
                   CENSUS_ENOTFOUND);
  assert_int_equal(census_propagator_extract(NULL, test_carrier_get, &c, &got, NULL),
                   CENSUS_EINVAL);
  assert_int_equal(census_propagator_extract(t, NULL, &c, &got, NULL), CENSUS_EINVAL);

  census_propagator *bin = make("grpc_trace_bin");
  struct test_carrier g = {0};
  test_carrier_set(&g, "grpc-trace-bin", "AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE=");
  assert_int_equal(census_propagator_extract(bin, test_carrier_get, &g, &got, NULL), CENSUS_OK);
  assert_memory_equal(got.trace_id, a.trace_id, 16);
  assert_memory_equal(got.span_id, a.span_id, 8);
  assert_true(got.trace_flags & CENSUS_TRACE_FLAG_SAMPLED);
  test_carrier_set(&g, "grpc-trace-bin", " AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE ");
  assert_int_equal(census_propagator_extract(bin, test_carrier_get, &g, &got, NULL), CENSUS_OK);
  test_carrier_set(&g, "grpc-trace-bin", "AABL*S81");
  assert_int_equal(census_propagator_extract(bin, test_carrier_get, &g, &got, NULL), CENSUS_EINVAL);
  test_carrier_set(&g, "grpc-trace-bin", "AABLA");
  assert_int_equal(census_propagator_extract(bin, test_carrier_get, &g, &got, NULL), CENSUS_EINVAL);
  /* Round trip through inject. */
  struct test_carrier r = {0};
  assert_int_equal(census_propagator_inject(bin, &b, NULL, test_carrier_set, &r), CENSUS_OK);
  assert_int_equal(census_propagator_extract(bin, test_carrier_get, &r, &got, NULL), CENSUS_OK);
  assert_memory_equal(got.trace_id, b.trace_id, 16);
  census_propagator_free(bin);
  census_propagator_free(none);
  census_propagator_free(t);
  census_propagator_free(tb);
  census_propagator_free(bt);
  census_tag_map_free(bag);
  test_carrier_clear(&c);
  test_carrier_clear(&g);
  test_carrier_clear(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_syntax),
      cmocka_unit_test(test_inject),
      cmocka_unit_test(test_extract),
  };
  return cmocka_run_group_tests_name("propagation_composite", tests, NULL, NULL);
}
