/* test_propagation_w3c.c - W3C Trace Context: traceparent and tracestate (census/propagation.h).
 *
 * Proves the version-00 rules (exact length, lowercase hex, no all-zero ids, ff refused), the
 * future-version rule (first 55 characters, then '-' or the end), the tracestate grammar of W3C
 * Trace Context Level 1 section 3.3.1 at each length boundary, the 32-member limit, duplicate
 * refusal, canonicalisation and truncation, and inject/extract through a header carrier including
 * the error paths (absent, malformed, NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "propagation_carrier.h"

#define EXAMPLE_TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define TRACE_HEX "4bf92f3577b34da6a3ce929d0e0e4736"
#define SPAN_HEX "00f067aa0ba902b7"

static census_status parse_tp(const char *s, census_trace_context *ctx) {
  return census_traceparent_parse(s, strlen(s), ctx);
}

/* Expects `s` to be refused as a traceparent and the context to come back invalid. */
static void expect_bad_tp(const char *s) {
  census_trace_context ctx = test_example_context(1);
  ctx.remote = true;
  strcpy(ctx.tracestate, "x=y");
  assert_int_equal(parse_tp(s, &ctx), CENSUS_EINVAL);
  static const uint8_t zero[16] = {0};
  assert_memory_equal(ctx.trace_id, zero, 16);
  assert_memory_equal(ctx.span_id, zero, 8);
  assert_int_equal(ctx.trace_flags, 0);
  assert_false(ctx.remote);
  assert_string_equal(ctx.tracestate, "");
}

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static census_status parse_ts(const char *s, char out[CENSUS_TRACESTATE_MAX_LENGTH + 1]) {
  return census_tracestate_parse(s, strlen(s), out);
}

static void expect_ts(const char *in, const char *canonical) {
  char out[CENSUS_TRACESTATE_MAX_LENGTH + 1];
  assert_int_equal(parse_ts(in, out), CENSUS_OK);
  assert_string_equal(out, canonical);
}

static void expect_bad_ts(const char *in) {
  char out[CENSUS_TRACESTATE_MAX_LENGTH + 1] = "junk";
  assert_int_equal(parse_ts(in, out), CENSUS_EINVAL);
  assert_string_equal(out, "");
}

/* ---- traceparent --------------------------------------------------------------------------- */

/* Proves: format writes the W3C example exactly, lowercase, sampled flag as 01, unsampled 00, and
 * drops flag bits census does not know. */
static void test_format_example(void **state) {
  (void)state;
  char out[CENSUS_TRACEPARENT_LENGTH + 1];
  census_trace_context ctx = test_example_context(CENSUS_TRACE_FLAG_SAMPLED);
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, EXAMPLE_TP);
  ctx.trace_flags = 0;
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, "00-" TRACE_HEX "-" SPAN_HEX "-00");
  ctx.trace_flags = 0xfe;
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out + 53, "00");
}

/* Proves: an invalid context (either id all zeros) and NULL arguments are refused, out = "". */
static void test_format_refuses_invalid(void **state) {
  (void)state;
  char out[CENSUS_TRACEPARENT_LENGTH + 1] = "junk";
  census_trace_context ctx = test_example_context(1);
  memset(ctx.trace_id, 0, 16);
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_EINVAL);
  assert_string_equal(out, "");
  ctx = test_example_context(1);
  memset(ctx.span_id, 0, 8);
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_EINVAL);
  assert_int_equal(census_traceparent_format(NULL, out), CENSUS_EINVAL);
  assert_int_equal(census_traceparent_format(&ctx, NULL), CENSUS_EINVAL);
}

/* Proves: the W3C example parses to the exact ids, sampled, remote, empty tracestate; and
 * format(parse(x)) == x. */
static void test_parse_example_round_trip(void **state) {
  (void)state;
  census_trace_context ctx;
  memset(&ctx, 0xaa, sizeof ctx);
  assert_int_equal(parse_tp(EXAMPLE_TP, &ctx), CENSUS_OK);
  census_trace_context want = test_example_context(1);
  assert_memory_equal(ctx.trace_id, want.trace_id, 16);
  assert_memory_equal(ctx.span_id, want.span_id, 8);
  assert_int_equal(ctx.trace_flags, 1);
  assert_true(ctx.remote);
  assert_string_equal(ctx.tracestate, "");
  char out[CENSUS_TRACEPARENT_LENGTH + 1];
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, EXAMPLE_TP);
}

/* Proves: flags keep only the sampled bit (03 -> 01, fe -> 00, ff -> 01). */
static void test_parse_flags(void **state) {
  (void)state;
  census_trace_context ctx;
  assert_int_equal(parse_tp("00-" TRACE_HEX "-" SPAN_HEX "-03", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 1);
  assert_int_equal(parse_tp("00-" TRACE_HEX "-" SPAN_HEX "-fe", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 0);
  assert_int_equal(parse_tp("00-" TRACE_HEX "-" SPAN_HEX "-ff", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 1);
}

/* Proves: each version-00 rule refuses, and the context comes back invalid. */
static void test_parse_v00_refusals(void **state) {
  (void)state;
  expect_bad_tp("");
  expect_bad_tp("00");
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "-0");                     /* 54 characters */
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "-011");                   /* 56 characters */
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "-01-");                   /* v00 takes no more */
  expect_bad_tp("00-4BF92F3577B34DA6A3CE929D0E0E4736-" SPAN_HEX "-01"); /* upper-case trace id */
  expect_bad_tp("00-" TRACE_HEX "-00F067AA0BA902B7-01");                /* upper-case span id */
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "-0A");                    /* upper-case flags */
  expect_bad_tp("0A-" TRACE_HEX "-" SPAN_HEX "-01");                    /* upper-case version */
  expect_bad_tp("00-00000000000000000000000000000000-" SPAN_HEX "-01"); /* zero trace id */
  expect_bad_tp("00-" TRACE_HEX "-0000000000000000-01");                /* zero span id */
  expect_bad_tp("ff-" TRACE_HEX "-" SPAN_HEX "-01");                    /* version ff */
  expect_bad_tp("00_" TRACE_HEX "-" SPAN_HEX "-01");                    /* wrong separators */
  expect_bad_tp("00-" TRACE_HEX "_" SPAN_HEX "-01");
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "_01");
  expect_bad_tp("00-4bf92f3577b34da6a3ce929d0e0e473g-" SPAN_HEX "-01"); /* non-hex */
  expect_bad_tp("00-" TRACE_HEX "-00f067aa0ba902bz-01");
  expect_bad_tp("0x-" TRACE_HEX "-" SPAN_HEX "-01");
  expect_bad_tp(" 00-" TRACE_HEX "-" SPAN_HEX "-01"); /* leading space: 56 characters */
  expect_bad_tp("00-" TRACE_HEX "-" SPAN_HEX "-01 ");
}

/* Proves: an embedded NUL is a character like any other (refused), not an end of string: the
 * parser takes an explicit length. */
static void test_parse_embedded_nul(void **state) {
  (void)state;
  char buf[CENSUS_TRACEPARENT_LENGTH + 1];
  memcpy(buf, EXAMPLE_TP, sizeof buf);
  buf[20] = '\0';
  census_trace_context ctx;
  assert_int_equal(census_traceparent_parse(buf, CENSUS_TRACEPARENT_LENGTH, &ctx), CENSUS_EINVAL);
  memcpy(buf, EXAMPLE_TP, sizeof buf);
  assert_int_equal(census_traceparent_parse(buf, CENSUS_TRACEPARENT_LENGTH, &ctx), CENSUS_OK);
  assert_int_equal(census_traceparent_parse(buf, CENSUS_TRACEPARENT_LENGTH + 1, &ctx),
                   CENSUS_EINVAL); /* the NUL terminator counted in: 56 characters */
}

/* Proves: a future version (01..fe) parses the first 55 characters and accepts more only after
 * a '-'; inject re-emits version 00. */
static void test_parse_future_versions(void **state) {
  (void)state;
  census_trace_context ctx;
  assert_int_equal(parse_tp("01-" TRACE_HEX "-" SPAN_HEX "-01", &ctx), CENSUS_OK);
  assert_int_equal(parse_tp("cc-" TRACE_HEX "-" SPAN_HEX "-01-what-the-future-holds", &ctx),
                   CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 1);
  char out[CENSUS_TRACEPARENT_LENGTH + 1];
  assert_int_equal(census_traceparent_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, EXAMPLE_TP);
  assert_int_equal(parse_tp("fe-" TRACE_HEX "-" SPAN_HEX "-01-", &ctx), CENSUS_OK);
  expect_bad_tp("01-" TRACE_HEX "-" SPAN_HEX "-01x");
  expect_bad_tp("01-" TRACE_HEX "-" SPAN_HEX "-0");
  expect_bad_tp("01-" TRACE_HEX "-" SPAN_HEX "-01.what");
  expect_bad_tp("cc-" TRACE_HEX "-00000000000000000-01"); /* future version, zero span */
}

/* Proves: NULL value or context are refused without crashing. */
static void test_parse_null(void **state) {
  (void)state;
  census_trace_context ctx;
  assert_int_equal(census_traceparent_parse(NULL, 55, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_traceparent_parse(EXAMPLE_TP, 55, NULL), CENSUS_EINVAL);
}

/* ---- tracestate ---------------------------------------------------------------------------- */

/* Proves: canonical form drops OWS and empty members and keeps order. */
static void test_tracestate_canonical(void **state) {
  (void)state;
  expect_ts("", "");
  expect_ts("congo=t61rcWkgMzE", "congo=t61rcWkgMzE");
  expect_ts("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  expect_ts(" \t rojo=1 \t, \tcongo=2\t ", "rojo=1,congo=2");
  expect_ts(",,a=1,, ,\t,b=2,", "a=1,b=2");
  expect_ts("   ", "");
  expect_ts("a= 1", "a= 1"); /* a leading space is part of the value */
  expect_ts("a=1 ", "a=1");  /* a trailing space is OWS */
  expect_ts("a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~", "a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~");
  expect_ts("fw529a3039@dt=1,1tenant@sys=2,a*b/c_d-e=3",
            "fw529a3039@dt=1,1tenant@sys=2,a*b/c_d-e=3");
}

/* Proves: key rules per W3C Level 1, each on both sides of its boundary. */
static void test_tracestate_keys(void **state) {
  (void)state;
  char buf[1200];
  char *k256 = repeat('k', 256), *k257 = repeat('k', 257);
  char *t241 = repeat('t', 241), *t242 = repeat('t', 242);
  snprintf(buf, sizeof buf, "%s=v", k256);
  expect_ts(buf, buf);
  snprintf(buf, sizeof buf, "%s=v", k257);
  expect_bad_ts(buf);
  snprintf(buf, sizeof buf, "%s@abcdefghijklmn=v", t241); /* tenant 241, system 14 */
  expect_ts(buf, buf);
  snprintf(buf, sizeof buf, "%s@s=v", t242);
  expect_bad_ts(buf);
  expect_bad_ts("t@abcdefghijklmno=v"); /* system 15 */
  expect_bad_ts("Key=v");
  expect_bad_ts("kEy=v");
  expect_bad_ts("1abc=v"); /* a simple key starts with lcalpha */
  expect_bad_ts("_a=v");
  expect_bad_ts("=v");
  expect_bad_ts("@s=v");
  expect_bad_ts("t@=v");
  expect_bad_ts("t@1s=v"); /* system starts with lcalpha */
  expect_bad_ts("a@b@c=v");
  expect_bad_ts("a b=v");
  expect_bad_ts("a =v");
  expect_bad_ts("a.b=v");
  expect_bad_ts("novalue");
  free(k256);
  free(k257);
  free(t241);
  free(t242);
}

/* Proves: value rules: 1..256 characters of 0x20..0x7e except ',' '=', no trailing space. */
static void test_tracestate_values(void **state) {
  (void)state;
  char buf[600];
  char *v256 = repeat('v', 256), *v257 = repeat('v', 257);
  snprintf(buf, sizeof buf, "a=%s", v256);
  expect_ts(buf, buf);
  snprintf(buf, sizeof buf, "a=%s", v257);
  expect_bad_ts(buf);
  expect_bad_ts("a=");
  expect_bad_ts("a=b=c");
  expect_bad_ts("a=b\tc");
  expect_bad_ts("a=b\x01");
  expect_bad_ts("a=b\x7f");
  expect_bad_ts("a=\xc3\xa9");
  char nul[] = "a=b\0c";
  char out[CENSUS_TRACESTATE_MAX_LENGTH + 1];
  assert_int_equal(census_tracestate_parse(nul, 5, out), CENSUS_EINVAL);
  free(v256);
  free(v257);
}

/* Proves: 32 members are kept, 33 discard the whole header; a duplicate key discards it. */
static void test_tracestate_members(void **state) {
  (void)state;
  char buf[400] = "", want[400] = "";
  for (int i = 0; i < 32; i++) {
    char m[16];
    snprintf(m, sizeof m, "%sk%d=%d", i ? "," : "", i, i);
    strcat(buf, m);
  }
  strcpy(want, buf);
  strcat(buf, ",,,"); /* empty members do not count */
  expect_ts(buf, want);
  strcat(buf, "k32=32");
  expect_bad_ts(buf);
  expect_bad_ts("a=1,b=2,a=3");
  expect_bad_ts("t@s=1,t@s=2");
  expect_ts("a=1,a@s=2", "a=1,a@s=2");
}

/* Proves: over 512 characters, members longer than 128 go first, then members from the right. */
static void test_tracestate_truncation(void **state) {
  (void)state;
  char buf[2000];
  char *v200 = repeat('x', 200), *v100 = repeat('y', 100);
  /* 4 members of 102 characters and one of 202: 4*102 + 202 + 4 = 614 > 512. */
  snprintf(buf, sizeof buf, "a=%s,b=%s,c=%s,d=%s,e=%s", v100, v200, v100, v100, v100);
  char out[CENSUS_TRACESTATE_MAX_LENGTH + 1];
  assert_int_equal(parse_ts(buf, out), CENSUS_OK);
  char want[2000];
  snprintf(want, sizeof want, "a=%s,c=%s,d=%s,e=%s", v100, v100, v100, v100);
  assert_string_equal(out, want);
  /* 6 members of 102: 617 > 512 and none is long: the rightmost one goes (5*102+4 = 514 > 512,
   * so two go). */
  snprintf(buf, sizeof buf, "a=%s,b=%s,c=%s,d=%s,e=%s,f=%s", v100, v100, v100, v100, v100, v100);
  assert_int_equal(parse_ts(buf, out), CENSUS_OK);
  snprintf(want, sizeof want, "a=%s,b=%s,c=%s,d=%s", v100, v100, v100, v100);
  assert_string_equal(out, want);
  assert_true(strlen(out) <= CENSUS_TRACESTATE_MAX_LENGTH);
  /* A single 513-character member cannot be kept at all. */
  char *k256 = repeat('k', 256), *v256 = repeat('v', 256);
  snprintf(buf, sizeof buf, "%s=%s", k256, v256);
  assert_int_equal(parse_ts(buf, out), CENSUS_OK);
  assert_string_equal(out, "");
  free(v200);
  free(v100);
  free(k256);
  free(v256);
}

/* ---- inject / extract ---------------------------------------------------------------------- */

/* Proves: inject writes traceparent (and tracestate when present), extract reads both back into
 * an equal, remote context. */
static void test_inject_extract_round_trip(void **state) {
  (void)state;
  struct test_carrier carrier = {0};
  census_trace_context ctx = test_example_context(1);
  strcpy(ctx.tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &carrier), CENSUS_OK);
  assert_int_equal(carrier.count, 2);
  assert_string_equal(test_carrier_get(&carrier, "traceparent"), EXAMPLE_TP);
  assert_string_equal(test_carrier_get(&carrier, "tracestate"),
                      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  census_trace_context back;
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &back), CENSUS_OK);
  assert_memory_equal(back.trace_id, ctx.trace_id, 16);
  assert_memory_equal(back.span_id, ctx.span_id, 8);
  assert_int_equal(back.trace_flags, 1);
  assert_true(back.remote);
  assert_string_equal(back.tracestate, ctx.tracestate);
  test_carrier_clear(&carrier);
  /* Empty tracestate: only traceparent is written. */
  ctx.tracestate[0] = '\0';
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &carrier), CENSUS_OK);
  assert_int_equal(carrier.count, 1);
  test_carrier_clear(&carrier);
  /* An invalid tracestate in the context is not forwarded. */
  strcpy(ctx.tracestate, "Bad=1");
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &carrier), CENSUS_OK);
  assert_int_equal(carrier.count, 1);
  assert_null(test_carrier_get(&carrier, "tracestate"));
  test_carrier_clear(&carrier);
  /* A tracestate without NUL terminator inside the array is not read past its end. */
  memset(ctx.tracestate, 'a', sizeof ctx.tracestate);
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &carrier), CENSUS_OK);
  assert_int_equal(carrier.count, 1);
  test_carrier_clear(&carrier);
}

/* Proves: inject of an invalid context or with NULL setter writes nothing and says EINVAL. */
static void test_inject_refuses(void **state) {
  (void)state;
  struct test_carrier carrier = {0};
  census_trace_context ctx = test_example_context(1);
  memset(ctx.span_id, 0, 8);
  assert_int_equal(census_traceparent_inject(&ctx, test_carrier_set, &carrier), CENSUS_EINVAL);
  assert_int_equal(carrier.sets, 0);
  ctx = test_example_context(1);
  assert_int_equal(census_traceparent_inject(&ctx, NULL, &carrier), CENSUS_EINVAL);
  assert_int_equal(census_traceparent_inject(NULL, test_carrier_set, &carrier), CENSUS_EINVAL);
}

/* Proves: extract says ENOTFOUND without traceparent, EINVAL for a malformed one (and ignores
 * tracestate then), and keeps a valid traceparent when tracestate is malformed. */
static void test_extract_errors(void **state) {
  (void)state;
  struct test_carrier carrier = {0};
  census_trace_context ctx = test_example_context(1);
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &ctx), CENSUS_ENOTFOUND);
  assert_false(census__context_ok(&ctx));
  test_carrier_set(&carrier, "TraceParent", "00-" TRACE_HEX "-" SPAN_HEX "-0"); /* any case */
  test_carrier_set(&carrier, "tracestate", "a=1");
  ctx = test_example_context(1);
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &ctx), CENSUS_EINVAL);
  assert_false(census__context_ok(&ctx));
  assert_string_equal(ctx.tracestate, "");
  test_carrier_set(&carrier, "traceparent", EXAMPLE_TP);
  test_carrier_set(&carrier, "tracestate", "a=1,a=2");
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &ctx), CENSUS_OK);
  assert_true(census__context_ok(&ctx));
  assert_string_equal(ctx.tracestate, "");
  /* Two traceparent headers joined by the carrier are refused. */
  test_carrier_set(&carrier, "traceparent", EXAMPLE_TP "," EXAMPLE_TP);
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &ctx), CENSUS_EINVAL);
  /* Two tracestate headers joined by the carrier are one list. */
  test_carrier_set(&carrier, "traceparent", EXAMPLE_TP);
  test_carrier_set(&carrier, "tracestate", "a=1,b=2 , c=3");
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, &ctx), CENSUS_OK);
  assert_string_equal(ctx.tracestate, "a=1,b=2,c=3");
  assert_int_equal(census_traceparent_extract(NULL, &carrier, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_traceparent_extract(test_carrier_get, &carrier, NULL), CENSUS_EINVAL);
  test_carrier_clear(&carrier);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_example),
      cmocka_unit_test(test_format_refuses_invalid),
      cmocka_unit_test(test_parse_example_round_trip),
      cmocka_unit_test(test_parse_flags),
      cmocka_unit_test(test_parse_v00_refusals),
      cmocka_unit_test(test_parse_embedded_nul),
      cmocka_unit_test(test_parse_future_versions),
      cmocka_unit_test(test_parse_null),
      cmocka_unit_test(test_tracestate_canonical),
      cmocka_unit_test(test_tracestate_keys),
      cmocka_unit_test(test_tracestate_values),
      cmocka_unit_test(test_tracestate_members),
      cmocka_unit_test(test_tracestate_truncation),
      cmocka_unit_test(test_inject_extract_round_trip),
      cmocka_unit_test(test_inject_refuses),
      cmocka_unit_test(test_extract_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
