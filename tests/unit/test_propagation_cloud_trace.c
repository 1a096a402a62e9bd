/* test_propagation_cloud_trace.c - Google X-Cloud-Trace-Context (census/propagation.h).
 *
 * Proves the decimal span id both ways at its boundaries (1, 2^64 - 1, 2^64 refused, 20 and 21
 * digits), the optional ";o=" options and its bit 0, either hex case in the trace id, and refusal
 * of everything else (zero ids, trailing bytes, signs, embedded NUL).
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

#define TRACE_HEX "4bf92f3577b34da6a3ce929d0e0e4736"

static census_status parse(const char *s, census_trace_context *ctx) {
  return census_cloud_trace_parse(s, strlen(s), ctx);
}

static uint64_t span_of(const census_trace_context *ctx) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    v = v << 8 | ctx->span_id[i];
  }
  return v;
}

static void expect_bad(const char *s) {
  census_trace_context ctx = test_example_context(1);
  assert_int_equal(parse(s, &ctx), CENSUS_EINVAL);
  assert_false(census__context_ok(&ctx));
}

/* Proves: the example from the fact sheet ("/1;o=1" is span id 0000000000000001, sampled),
 * options absent or 0 (not sampled), the largest span id, and upper-case trace ids. */
static void test_parse(void **state) {
  (void)state;
  census_trace_context ctx;
  assert_int_equal(parse(TRACE_HEX "/1;o=1", &ctx), CENSUS_OK);
  assert_int_equal(span_of(&ctx), 1);
  assert_int_equal(ctx.trace_flags, 1);
  assert_true(ctx.remote);
  assert_int_equal(ctx.trace_id[0], 0x4b);
  assert_int_equal(parse(TRACE_HEX "/18446744073709551615", &ctx), CENSUS_OK);
  assert_true(span_of(&ctx) == UINT64_MAX);
  assert_int_equal(ctx.trace_flags, 0);
  assert_int_equal(parse(TRACE_HEX "/00000000000000000042;o=0", &ctx), CENSUS_OK);
  assert_int_equal(span_of(&ctx), 42);
  assert_int_equal(ctx.trace_flags, 0);
  assert_int_equal(parse(TRACE_HEX "/42;o=3", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 1);
  assert_int_equal(parse(TRACE_HEX "/42;o=2", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 0);
  assert_int_equal(parse("4BF92F3577B34DA6A3CE929D0E0E4736/42", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_id[0], 0x4b);
}

/* Proves: every malformed form is refused. */
static void test_refusals(void **state) {
  (void)state;
  expect_bad("");
  expect_bad(TRACE_HEX);
  expect_bad(TRACE_HEX "/");
  expect_bad(TRACE_HEX "/0");                       /* zero span id */
  expect_bad("00000000000000000000000000000000/1"); /* zero trace id */
  expect_bad(TRACE_HEX "/18446744073709551616");    /* 2^64 */
  expect_bad(TRACE_HEX "/99999999999999999999");
  expect_bad(TRACE_HEX "/000000000000000000001"); /* 21 digits */
  expect_bad(TRACE_HEX "/-1");
  expect_bad(TRACE_HEX "/+1");
  expect_bad(TRACE_HEX "/1;");
  expect_bad(TRACE_HEX "/1;o=");
  expect_bad(TRACE_HEX "/1;o=x");
  expect_bad(TRACE_HEX "/1;o=1;");
  expect_bad(TRACE_HEX "/1 ;o=1");
  expect_bad(TRACE_HEX "/1;o=1\n");
  expect_bad(TRACE_HEX "/1;x=1");
  expect_bad(TRACE_HEX "/1;o=99999999999999999999999");
  expect_bad("4bf92f3577b34da6a3ce929d0e0e473/1");   /* 31 hex */
  expect_bad("4bf92f3577b34da6a3ce929d0e0e47366/1"); /* 33 hex */
  expect_bad("4bf92f3577b34da6a3ce929d0e0e473g/1");
  char nul[] = TRACE_HEX "/12;o=1";
  nul[34] = '\0';
  census_trace_context ctx;
  assert_int_equal(census_cloud_trace_parse(nul, sizeof nul - 1, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_cloud_trace_parse(NULL, 0, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_cloud_trace_parse("x", 1, NULL), CENSUS_EINVAL);
}

/* Proves: format writes lowercase hex, the span id in decimal and o=1/o=0; the W3C example span
 * 00f067aa0ba902b7 is 67667974448284343. */
static void test_format(void **state) {
  (void)state;
  census_trace_context ctx = test_example_context(1);
  char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1];
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, TRACE_HEX "/67667974448284343;o=1");
  memset(ctx.span_id, 0xff, 8);
  ctx.trace_flags = 0;
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, TRACE_HEX "/18446744073709551615;o=0");
  assert_int_equal(strlen(out), CENSUS_CLOUD_TRACE_MAX_LENGTH);
  memset(ctx.span_id, 0, 8);
  ctx.span_id[7] = 1;
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out, TRACE_HEX "/1;o=0");
  memset(ctx.span_id, 0, 8);
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_EINVAL);
  assert_string_equal(out, "");
}

/* Proves: inject -> extract gives the same context; absent header ENOTFOUND; NULLs EINVAL. */
static void test_round_trip(void **state) {
  (void)state;
  struct test_carrier carrier = {0};
  census_trace_context ctx = test_example_context(1), back;
  assert_int_equal(census_cloud_trace_extract(test_carrier_get, &carrier, &back), CENSUS_ENOTFOUND);
  assert_int_equal(census_cloud_trace_inject(&ctx, test_carrier_set, &carrier), CENSUS_OK);
  assert_string_equal(test_carrier_get(&carrier, "X-Cloud-Trace-Context"),
                      TRACE_HEX "/67667974448284343;o=1");
  assert_int_equal(census_cloud_trace_extract(test_carrier_get, &carrier, &back), CENSUS_OK);
  assert_memory_equal(back.trace_id, ctx.trace_id, 16);
  assert_memory_equal(back.span_id, ctx.span_id, 8);
  assert_int_equal(back.trace_flags, 1);
  assert_int_equal(census_cloud_trace_inject(&ctx, NULL, &carrier), CENSUS_EINVAL);
  assert_int_equal(census_cloud_trace_extract(NULL, &carrier, &back), CENSUS_EINVAL);
  test_carrier_clear(&carrier);
}

/* Proves: spaces and tabs around the value are ignored (the getter contract: census trims, RFC
 * 9110 5.5); a line feed or a space inside is not. Fails on main: "/1;o=1 " was refused. */
static void test_whitespace(void **state) {
  (void)state;
  census_trace_context ctx;
  assert_int_equal(parse(" \t" TRACE_HEX "/1;o=1 \t", &ctx), CENSUS_OK);
  assert_int_equal(span_of(&ctx), 1);
  assert_int_equal(ctx.trace_flags, 1);
  assert_int_equal(parse(TRACE_HEX "/1 ", &ctx), CENSUS_OK);
  expect_bad(" ");
  expect_bad(TRACE_HEX " /1");
}

/* Proves the flag mapping (docs/propagation.md): only bit 0 of o= has a documented meaning, so a
 * context read from this header never has the random flag ("o=3" is sampled only), and writing
 * one with flags 03 writes "o=1". Passes on main as well: it pins the unchanged mapping. */
static void test_random_flag_mapping(void **state) {
  (void)state;
  census_trace_context ctx = test_example_context(CENSUS_TRACE_FLAGS_KNOWN);
  char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1];
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out + strlen(out) - 4, ";o=1");
  assert_int_equal(parse(TRACE_HEX "/1;o=3", &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, CENSUS_TRACE_FLAG_SAMPLED);
  ctx.trace_flags = CENSUS_TRACE_FLAG_RANDOM;
  assert_int_equal(census_cloud_trace_format(&ctx, out), CENSUS_OK);
  assert_string_equal(out + strlen(out) - 4, ";o=0");
}

/* Proves: each of the 256 byte values at each of the 32 trace id positions is accepted exactly
 * when it is a hex digit of either case, and what is accepted decodes to the trace id a
 * character-by-character reference computes. Guards the 16-characters-at-a-time decoder
 * (hex.h) on its upper-case-accepting side. */
static void test_trace_id_every_byte_at_every_position(void **state) {
  (void)state;
  for (int pos = 0; pos < 32; pos++) {
    for (int byte = 0; byte < 256; byte++) {
      char s[] = TRACE_HEX "/1";
      s[pos] = (char)byte;
      int digit = byte >= '0' && byte <= '9'   ? byte - '0'
                  : byte >= 'a' && byte <= 'f' ? byte - 'a' + 10
                  : byte >= 'A' && byte <= 'F' ? byte - 'A' + 10
                                               : -1;
      census_trace_context ctx;
      census_status got = census_cloud_trace_parse(s, sizeof s - 1, &ctx);
      if (got != (digit >= 0 ? CENSUS_OK : CENSUS_EINVAL)) {
        fail_msg("byte 0x%02x at position %d: parse returned %d", byte, pos, got);
      }
      if (digit >= 0) {
        census_trace_context want = test_example_context(0);
        want.trace_id[pos / 2] = (uint8_t)(pos % 2 ? (want.trace_id[pos / 2] & 0xf0) | digit
                                                   : (want.trace_id[pos / 2] & 0x0f) | digit << 4);
        assert_memory_equal(ctx.trace_id, want.trace_id, 16);
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_whitespace),
      cmocka_unit_test(test_random_flag_mapping),
      cmocka_unit_test(test_trace_id_every_byte_at_every_position),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
