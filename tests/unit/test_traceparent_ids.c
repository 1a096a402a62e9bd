/* test_traceparent_ids.c - the AVX2 parse of the common traceparent value
 * (src/propagation/traceparent_ids.h) against the general parse every CPU runs
 * (census__traceparent_parse_general()), and the SSE2 decode of the ids against the
 * byte-at-a-time table (census__hex_decode): the same verdict and fields for every byte value
 * (0..255) at every one of the 55 positions, for each length from 53 to 57 around a valid value,
 * and for 20000 random valid values with every flags byte. On a CPU without AVX2 the parse is the
 * general one on both sides (said once). Shown to fail with the pair weights swapped (second * 16
 * + first), with the letter range one wider ('g' taken) and with the NUL guard (andnot) dropped.
 * census_traceparent_extract()'s length test without strlen is held to the general parse too
 * (test_extract_length_at_every_alignment). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "support.h"

#include "census/propagation.h"
#include "propagation/hex.h"
#include "propagation/traceparent_ids.h"

static const char valid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-01";

/* The fields a parse writes (or resets) agree. */
static void assert_same_fields(const census_trace_context *a, const census_trace_context *b) {
  assert_memory_equal(a->trace_id, b->trace_id, CENSUS_TRACE_ID_SIZE);
  assert_memory_equal(a->span_id, b->span_id, CENSUS_SPAN_ID_SIZE);
  assert_int_equal(a->trace_flags, b->trace_flags);
  assert_int_equal(a->remote, b->remote);
  assert_int_equal(a->tracestate[0], b->tracestate[0]);
}

/* Parses value[0..length) both ways and checks they agree; returns the status. */
static census_status parse_both_ways(const char *value, size_t length) {
  census_trace_context fast, general;
  memset(&fast, 0x55, sizeof fast);
  memset(&general, 0xaa, sizeof general);
  census_status status = census_traceparent_parse(value, length, &fast);
  assert_int_equal(census__traceparent_parse_general(value, length, &general), status);
  assert_same_fields(&fast, &general);
  return status;
}

/* The ids of value by SSE2 and by the table: the same verdict and bytes. */
static void ids_sse2_match_table(const char *value) {
  census_trace_context sse2 = {0}, table = {0};
  bool ok = census__traceparent_ids_sse2(value, &sse2);
  bool ok_table =
      census__hex_decode(false, value + CENSUS__TP_TRACE_ID, CENSUS_TRACE_ID_SIZE,
                         table.trace_id) &&
      census__hex_decode(false, value + CENSUS__TP_SPAN_ID, CENSUS_SPAN_ID_SIZE, table.span_id);
  assert_int_equal(ok, ok_table);
  if (ok) {
    assert_memory_equal(sse2.trace_id, table.trace_id, CENSUS_TRACE_ID_SIZE);
    assert_memory_equal(sse2.span_id, table.span_id, CENSUS_SPAN_ID_SIZE);
  }
}

static void test_every_byte_at_every_position(void **state) {
  (void)state;
#if CENSUS__TP_AVX2
  if (!__builtin_cpu_supports("avx2")) {
    print_message("no AVX2 on this CPU: the general parse on both sides\n");
  }
#endif
  char value[sizeof valid + 8];
  for (size_t at = 0; at < CENSUS_TRACEPARENT_LENGTH; at++) {
    for (int b = 0; b < 256; b++) {
      memcpy(value, valid, sizeof valid);
      value[at] = (char)b;
      census_status status = parse_both_ways(value, CENSUS_TRACEPARENT_LENGTH);
      bool dash = at == 2 || at == 35 || at == 52;
      bool hex = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f');
      if (at >= 3 && at != 35 && at != 52) { /* an id or flags digit */
        assert_int_equal(status == CENSUS_OK, hex);
      } else if (dash) {
        assert_int_equal(status == CENSUS_OK, b == '-');
      }
      ids_sse2_match_table(value);
    }
  }
}

static void test_lengths_around_valid(void **state) {
  (void)state;
  char value[64];
  const char *tails[] = {"", "-", "-x", " ", "\t", "0"};
  for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
    for (size_t length = 53; length <= 57; length++) {
      memset(value, 0, sizeof value);
      memcpy(value, valid, CENSUS_TRACEPARENT_LENGTH);
      memcpy(value + CENSUS_TRACEPARENT_LENGTH, tails[t], strlen(tails[t]));
      parse_both_ways(value, length);
      value[0] = '0';
      value[1] = '1'; /* version 01: the general parse's forward-compatible rule */
      parse_both_ways(value, length);
    }
  }
  /* all-zero ids, and spaces around a valid value */
  parse_both_ways("00-00000000000000000000000000000000-00f067aa0ba902f7-01", 55);
  parse_both_ways("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", 55);
  parse_both_ways(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-01", 56);
  parse_both_ways("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902f7-0 ", 55);
}

static void test_random_valid_values(void **state) {
  (void)state;
  srand(18);
  char value[sizeof valid];
  for (int round = 0; round < 20000; round++) {
    memcpy(value, valid, sizeof valid);
    for (size_t at = 3; at < CENSUS_TRACEPARENT_LENGTH; at++) {
      if (at != 35 && at != 52) {
        value[at] = census__hex_digits[rand() % 16];
      }
    }
    assert_int_equal(parse_both_ways(value, CENSUS_TRACEPARENT_LENGTH), CENSUS_OK);
    ids_sse2_match_table(value);
  }
}

static const char *get_value(void *carrier, const char *name) {
  return strcmp(name, "traceparent") == 0 ? carrier : NULL;
}

/* census_traceparent_extract() finds the common value's length without strlen
 * (census__traceparent_parse_nul(): aligned 32-byte blocks, the first NUL at value[55]). Every
 * length from 0 to 70 at each of 64 alignments, in the two shapes the length test judges (the
 * valid value's prefix, and version 01 whose longer form is valid), gives the general parse's
 * verdict and fields; each string ends at the last byte of a page whose next page is
 * inaccessible, so a scan that took a short value for 55 characters (and let the parse read on)
 * faults. Shown to fail with value[56]'s bit taken for value[55]'s in either block (a value 8 or
 * fewer bytes into its block, and further) and with the first block's NUL test dropped (a NUL
 * taken one place early is harmless: the parse refuses a NUL at value[54] itself). */
static void test_extract_length_at_every_alignment(void **state) {
  (void)state;
  long page = sysconf(_SC_PAGESIZE);
  char *map =
      mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(map != MAP_FAILED);
  assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
  char source[80];
  memset(source, '0', sizeof source);
  memcpy(source, valid, CENSUS_TRACEPARENT_LENGTH);
  source[CENSUS_TRACEPARENT_LENGTH] = '-'; /* version 01 with more fields: "...-01-000..." */
  for (int version = 0; version < 2; version++) {
    source[1] = version ? '1' : '0';
    for (size_t length = 0; length <= 70; length++) {
      for (size_t shift = 0; shift < 64; shift++) {
        /* the NUL on the page's last byte, the value `shift` bytes further from the page end */
        char *value = map + page - 1 - length - shift;
        memset(value, 'x', length + shift + 1);
        memcpy(value, source, length);
        value[length] = '\0';
        census_trace_context extracted, general;
        memset(&extracted, 0x55, sizeof extracted);
        memset(&general, 0xaa, sizeof general);
        census_status status = census_traceparent_extract(get_value, value, &extracted, NULL);
        assert_int_equal(census__traceparent_parse_general(value, length, &general), status);
        assert_same_fields(&extracted, &general);
        if (version == 0) {
          assert_int_equal(status == CENSUS_OK, length == CENSUS_TRACEPARENT_LENGTH);
        }
      }
    }
  }
  munmap(map, (size_t)page * 2);
  /* The same lengths in heap blocks of exactly their size, for Valgrind's memcheck (run by hand:
   * `valgrind build/tests/test_traceparent_ids`), which reports a read past a block unless it is
   * an aligned load partly inside it. */
  for (size_t length = 0; length <= 70; length++) {
    char *value = malloc(length + 1);
    assert_non_null(value);
    memcpy(value, source, length);
    value[length] = '\0';
    census_trace_context extracted, general;
    census_status status = census_traceparent_extract(get_value, value, &extracted, NULL);
    assert_int_equal(census__traceparent_parse_general(value, length, &general), status);
    assert_same_fields(&extracted, &general);
    free(value);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_byte_at_every_position),
      cmocka_unit_test(test_lengths_around_valid),
      cmocka_unit_test(test_random_valid_values),
      cmocka_unit_test(test_extract_length_at_every_alignment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
