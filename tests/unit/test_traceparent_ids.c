/* test_traceparent_ids.c - the AVX2 decode of a traceparent value's ids
 * (src/propagation/traceparent_ids.c) against the SSE2 one every x86-64 runs, and both against
 * the byte-at-a-time table decode (census__hex_decode): the same verdict for every byte value
 * (0..255) at every one of the 48 id positions, and the same 24 bytes for 20000 random valid
 * values. The AVX2 cases are skipped, and say so, on a CPU without AVX2. Shown to fail with the
 * pair weights swapped (second * 16 + first) and with the letter range one wider ('g' taken). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#include "propagation/hex.h"
#include "propagation/traceparent_ids.h"

static const char valid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-01";

static bool have_avx2(void) {
#if CENSUS__TP_AVX2
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

/* Decodes value's ids every way there is on this CPU and checks they agree. Returns the verdict. */
static bool decode_every_way(const char *value) {
  census_trace_context sse2 = {0}, table = {0};
  bool ok_sse2 = census__traceparent_ids_sse2(value, &sse2);
  bool ok_table = census__hex_decode(false, value + CENSUS__TP_TRACE_ID, CENSUS_TRACE_ID_SIZE,
                                     table.trace_id) &&
                  census__hex_decode(false, value + CENSUS__TP_SPAN_ID, CENSUS_SPAN_ID_SIZE,
                                     table.span_id);
  assert_int_equal(ok_sse2, ok_table);
  if (ok_sse2) {
    assert_memory_equal(sse2.trace_id, table.trace_id, CENSUS_TRACE_ID_SIZE);
    assert_memory_equal(sse2.span_id, table.span_id, CENSUS_SPAN_ID_SIZE);
  }
#if CENSUS__TP_AVX2
  if (have_avx2()) {
    census_trace_context avx2 = {0};
    bool ok_avx2 = census__traceparent_ids_avx2(value, &avx2);
    assert_int_equal(ok_avx2, ok_sse2);
    if (ok_avx2) {
      assert_memory_equal(avx2.trace_id, sse2.trace_id, CENSUS_TRACE_ID_SIZE);
      assert_memory_equal(avx2.span_id, sse2.span_id, CENSUS_SPAN_ID_SIZE);
    }
  }
#endif
  return ok_sse2;
}

static void test_every_byte_at_every_position(void **state) {
  (void)state;
  if (!have_avx2()) {
    print_message("no AVX2 on this CPU: SSE2 against the table only\n");
  }
  char value[sizeof valid];
  for (int i = 0; i < 48; i++) {
    int at = i < 32 ? CENSUS__TP_TRACE_ID + i : CENSUS__TP_SPAN_ID + (i - 32);
    for (int b = 0; b < 256; b++) {
      memcpy(value, valid, sizeof valid);
      value[at] = (char)b;
      bool hex = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f');
      assert_int_equal(decode_every_way(value), hex);
    }
  }
}

static void test_random_valid_values(void **state) {
  (void)state;
  srand(18);
  char value[sizeof valid];
  for (int round = 0; round < 20000; round++) {
    memcpy(value, valid, sizeof valid);
    for (int i = 0; i < 48; i++) {
      int at = i < 32 ? CENSUS__TP_TRACE_ID + i : CENSUS__TP_SPAN_ID + (i - 32);
      value[at] = census__hex_digits[rand() % 16];
    }
    assert_true(decode_every_way(value));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_byte_at_every_position),
      cmocka_unit_test(test_random_valid_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
