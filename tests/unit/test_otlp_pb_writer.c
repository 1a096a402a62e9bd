/* test_otlp_pb_writer.c - the OTLP exporter's protobuf writer.
 *
 * Proves: varints are the shortest encoding at every 7-bit boundary (the byte values are the
 * protobuf specification's: 1 -> 01, 127 -> 7f, 128 -> 80 01, 300 -> ac 02, 2^64-1 -> ten bytes);
 * fixed64/double/fixed32 are little-endian; nested messages whose content is 0, 127, 128, 16383
 * and 16384 bytes long get a canonical length prefix after backpatching, with the content intact;
 * and protoc --decode_raw (an independent decoder) reads a body mixing all of them back to the
 * same field numbers and values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pb_writer.h"

static void expect_bytes(const census_buf *b, const uint8_t *want, size_t n) {
  assert_false(b->failed);
  assert_int_equal(b->len, n);
  assert_memory_equal(b->data, want, n);
}

static void test_varint_boundaries(void **state) {
  struct {
    uint64_t v;
    uint8_t bytes[10];
    size_t n;
  } cases[] = {
      {0, {0x00}, 1},
      {1, {0x01}, 1},
      {127, {0x7f}, 1},
      {128, {0x80, 0x01}, 2},
      {300, {0xac, 0x02}, 2},
      {16383, {0xff, 0x7f}, 2},
      {16384, {0x80, 0x80, 0x01}, 3},
      {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    census_buf b = CENSUS_BUF_INIT;
    census__pb_varint(&b, cases[i].v);
    expect_bytes(&b, cases[i].bytes, cases[i].n);
    assert_int_equal(census__pb_varint_size(cases[i].v), cases[i].n);
    census__buf_free(&b);
  }
  /* A negative int64 is ten bytes (two's complement), as protobuf's int64 requires. */
  census_buf b = CENSUS_BUF_INIT;
  census__pb_int64(&b, 1, -1);
  assert_int_equal(b.len, 11);
  census__buf_free(&b);
}

static void test_fixed_little_endian(void **state) {
  census_buf b = CENSUS_BUF_INIT;
  census__pb_fixed64(&b, 2, UINT64_C(0x0102030405060708));
  census__pb_double(&b, 4, 1.0);
  census__pb_fixed32(&b, 16, 0x301);
  const uint8_t want[] = {0x11, 8,    7,    6,    5,    4,   3, 2,    1,    /* field 2, I64 */
                          0x21, 0,    0,    0,    0,    0,   0, 0xf0, 0x3f, /* field 4, 1.0 */
                          0x85, 0x01, 0x01, 0x03, 0x00, 0x00};              /* field 16, I32 */
  expect_bytes(&b, want, sizeof want);
  census__buf_free(&b);
}

/* A nested message of `n` content bytes: tag, canonical length, content unchanged. */
static void test_nested_lengths(void **state) {
  size_t sizes[] = {0, 1, 127, 128, 16383, 16384, 100000};
  size_t prefix_sizes[] = {1, 1, 1, 2, 2, 3, 3}; /* varint bytes of each size (7 bits a byte) */
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i];
    census_buf b = CENSUS_BUF_INIT;
    census__buf_append_byte(&b, 0x55); /* something before, which must not move */
    size_t start = census__pb_begin(&b, 3);
    for (size_t k = 0; k < n; k++) {
      census__buf_append_byte(&b, (uint8_t)(k * 7));
    }
    census__pb_end(&b, start);
    size_t lsize = census__pb_varint_size(n);
    assert_int_equal(lsize, prefix_sizes[i]);
    assert_false(b.failed);
    assert_int_equal(b.len, 1 + 1 + lsize + n);
    assert_int_equal((uint8_t)b.data[0], 0x55);
    assert_int_equal((uint8_t)b.data[1], (3 << 3) | 2);
    census_buf want = CENSUS_BUF_INIT;
    census__pb_varint(&want, n);
    assert_memory_equal(b.data + 2, want.data, lsize);
    for (size_t k = 0; k < n; k++) {
      assert_int_equal((uint8_t)b.data[2 + lsize + k], (uint8_t)(k * 7));
    }
    census__buf_free(&want);
    census__buf_free(&b);
  }
}

/* Proves begin_wide()/end_wide() write tag, canonical length and content whatever the
 * placeholder width: narrower than the length (content moved up), exact (content left in place) and
 * wider (content moved down), for content sizes at every varint boundary, with bytes before and
 * after the message untouched. Fails with end_wide() writing the length where the placeholder
 * starts plus one. */
static void test_wide_placeholders(void **state) {
  (void)state;
  size_t sizes[] = {0, 1, 127, 128, 16383, 16384, 2097151, 2097152};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    /* The expected bytes, built without backpatching: tag, length varint, content. */
    census_buf want = CENSUS_BUF_INIT;
    census__buf_append_byte(&want, 0x55);
    census__buf_append_byte(&want, (9 << 3) | 2);
    census__pb_varint(&want, sizes[i]);
    for (size_t k = 0; k < sizes[i]; k++) {
      census__buf_append_byte(&want, (uint8_t)(k * 13));
    }
    census__buf_append_byte(&want, 0x66);
    for (size_t width = 1; width <= 5; width++) {
      census_buf b = CENSUS_BUF_INIT;
      census__buf_append_byte(&b, 0x55);
      size_t start = census__pb_begin_wide(&b, 9, width);
      for (size_t k = 0; k < sizes[i]; k++) {
        census__buf_append_byte(&b, (uint8_t)(k * 13));
      }
      census__pb_end_wide(&b, start, width);
      census__buf_append_byte(&b, 0x66);
      assert_false(b.failed);
      assert_int_equal(b.len, want.len);
      assert_memory_equal(b.data, want.data, want.len);
      census__buf_free(&b);
    }
    census__buf_free(&want);
  }
}

/* Runs protoc --decode_raw on the buffer and returns its text output (malloc'd). */
static char *decode_raw(const census_buf *b) {
  char in[] = "/tmp/census_pb_writer_XXXXXX";
  int fd = mkstemp(in);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
  fclose(f);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "protoc --decode_raw < %s", in);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 20, len = 0;
  char *out = malloc(cap);
  size_t r;
  while ((r = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += r;
  }
  out[len] = '\0';
  assert_int_equal(pclose(p), 0);
  remove(in);
  return out;
}

static void test_protoc_reads_it(void **state) {
  census_buf b = CENSUS_BUF_INIT;
  census__pb_uint64(&b, 1, 300);
  census__pb_string(&b, 2, "hello");
  size_t outer = census__pb_begin(&b, 3);
  census__pb_fixed64(&b, 2, 1700000000000000000ull);
  size_t inner = census__pb_begin(&b, 5);
  char big[200];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  census__pb_string(&b, 1, big); /* makes both enclosing lengths two bytes long */
  census__pb_end(&b, inner);
  const int64_t counts[] = {1, 2, 3};
  census__pb_packed_fixed64_from_int64(&b, 6, counts, 3);
  census__pb_end(&b, outer);
  census__pb_fixed32(&b, 16, 0x101);
  char *text = decode_raw(&b);
  char want[1024];
  snprintf(want, sizeof want,
           "1: 300\n2: \"hello\"\n3 {\n  2: 0x%016llx\n  5 {\n    1: \"%s\"\n  }\n"
           "  6: \"\\001\\000\\000\\000\\000\\000\\000\\000\\002\\000\\000\\000\\000\\000\\000\\000"
           "\\003\\000\\000\\000\\000\\000\\000\\000\"\n}\n16: 0x00000101\n",
           1700000000000000000ull, big);
  assert_string_equal(text, want);
  free(text);
  census__buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varint_boundaries), cmocka_unit_test(test_fixed_little_endian),
      cmocka_unit_test(test_nested_lengths),    cmocka_unit_test(test_wide_placeholders),
      cmocka_unit_test(test_protoc_reads_it),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
