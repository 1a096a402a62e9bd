/* test_propagation_binary.c - OpenCensus binary formats: grpc-trace-bin and grpc-tags-bin
 * (census/propagation.h).
 *
 * Expected bytes are the ones in the OpenCensus BinaryEncoding spec examples (and the fact
 * sheet's byte dumps of the reference implementation): trace context
 * 00 00 <16-byte trace id> 01 <8-byte span id> 02 <options>, tags 00 then (00 varint key varint
 * value)*. Hostile inputs: truncation at every length, huge and overlong varints, wrong versions,
 * unknown field ids, the 8192-byte limit at N and N+1.
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

static const uint8_t example_trace[29] = {
    0x00, 0x00, 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e,
    0x0e, 0x47, 0x36, 0x01, 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7, 0x02, 0x01};

static const uint8_t example_tags[] = {0x00, 0x00, 0x06, 'm',  'e',  't',  'h', 'o', 'd',
                                       0x03, 'G',  'E',  'T',  0x00, 0x06, 's', 't', 'a',
                                       't',  'u',  's',  0x03, '2',  '0',  '0'};

static const census_tag_key *key(const char *name) {
  const census_tag_key *k = census_tag_key_new(name, NULL);
  assert_non_null(k);
  return k;
}

/* ---- trace context ------------------------------------------------------------------------- */

/* Proves: encode gives the 29 example bytes; decode gives back the context; options keep only
 * the sampled bit. */
static void test_trace_round_trip(void **state) {
  (void)state;
  census_trace_context ctx = test_example_context(1), back;
  uint8_t out[CENSUS_TRACE_BINARY_SIZE];
  assert_int_equal(census_trace_binary_encode(&ctx, out), CENSUS_OK);
  assert_memory_equal(out, example_trace, 29);
  assert_int_equal(census_trace_binary_decode(out, sizeof out, &back), CENSUS_OK);
  assert_memory_equal(back.trace_id, ctx.trace_id, 16);
  assert_memory_equal(back.span_id, ctx.span_id, 8);
  assert_int_equal(back.trace_flags, 1);
  assert_true(back.remote);
  out[28] = 0xfe;
  assert_int_equal(census_trace_binary_decode(out, sizeof out, &back), CENSUS_OK);
  assert_int_equal(back.trace_flags, 0);
  /* The W3C random flag has no place in OpenCensus trace options (bit 0 only): it is neither
   * written nor read (docs/propagation.md). Passes on main too: it pins the mapping. */
  out[28] = 0x03;
  assert_int_equal(census_trace_binary_decode(out, sizeof out, &back), CENSUS_OK);
  assert_int_equal(back.trace_flags, CENSUS_TRACE_FLAG_SAMPLED);
  ctx.trace_flags = CENSUS_TRACE_FLAGS_KNOWN;
  assert_int_equal(census_trace_binary_encode(&ctx, out), CENSUS_OK);
  assert_int_equal(out[28], 0x01);
  ctx.trace_flags = CENSUS_TRACE_FLAG_RANDOM;
  assert_int_equal(census_trace_binary_encode(&ctx, out), CENSUS_OK);
  assert_int_equal(out[28], 0x00);
  ctx.trace_flags = 0;
  assert_int_equal(census_trace_binary_encode(&ctx, out), CENSUS_OK);
  assert_int_equal(out[28], 0);
  memset(ctx.span_id, 0, 8);
  assert_int_equal(census_trace_binary_encode(&ctx, out), CENSUS_EINVAL);
  assert_int_equal(census_trace_binary_encode(NULL, out), CENSUS_EINVAL);
}

/* Proves: every truncation is refused except right before the optional options field (27 bytes:
 * options default to 0); unknown later fields are ignored. */
static void test_trace_truncation_and_extension(void **state) {
  (void)state;
  census_trace_context ctx;
  for (size_t n = 0; n < 29; n++) {
    census_status want = n == 27 ? CENSUS_OK : CENSUS_EINVAL;
    assert_int_equal(census_trace_binary_decode(example_trace, n, &ctx), want);
  }
  assert_int_equal(census_trace_binary_decode(example_trace, 27, &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 0);
  uint8_t longer[40];
  memcpy(longer, example_trace, 29);
  memset(longer + 29, 0xee, sizeof longer - 29); /* unknown field id 0xee and junk */
  assert_int_equal(census_trace_binary_decode(longer, sizeof longer, &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 1);
  longer[27] = 0x07; /* unknown field where options would be: stop, options 0 */
  assert_int_equal(census_trace_binary_decode(longer, sizeof longer, &ctx), CENSUS_OK);
  assert_int_equal(ctx.trace_flags, 0);
}

/* Proves: wrong version, wrong or swapped field ids, zero ids and NULLs are refused. */
static void test_trace_refusals(void **state) {
  (void)state;
  census_trace_context ctx;
  uint8_t b[29];
  memcpy(b, example_trace, 29);
  b[0] = 1;
  assert_int_equal(census_trace_binary_decode(b, 29, &ctx), CENSUS_EINVAL);
  memcpy(b, example_trace, 29);
  b[1] = 1;
  assert_int_equal(census_trace_binary_decode(b, 29, &ctx), CENSUS_EINVAL);
  memcpy(b, example_trace, 29);
  b[18] = 2;
  assert_int_equal(census_trace_binary_decode(b, 29, &ctx), CENSUS_EINVAL);
  memcpy(b, example_trace, 29);
  memset(b + 2, 0, 16);
  assert_int_equal(census_trace_binary_decode(b, 29, &ctx), CENSUS_EINVAL);
  assert_false(census__context_ok(&ctx));
  memcpy(b, example_trace, 29);
  memset(b + 19, 0, 8);
  assert_int_equal(census_trace_binary_decode(b, 29, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_trace_binary_decode(NULL, 29, &ctx), CENSUS_EINVAL);
  assert_int_equal(census_trace_binary_decode(example_trace, 29, NULL), CENSUS_EINVAL);
}

/* ---- tag context --------------------------------------------------------------------------- */

/* Proves: method=GET,status=200 encodes to the spec bytes and decodes back; an empty map is the
 * version byte alone. */
static void test_tags_example(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key("method"), "GET"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("status"), "200"), CENSUS_OK);
  uint8_t out[64];
  size_t length = 0;
  assert_int_equal(census_tags_binary_encode(map, out, sizeof out, &length), CENSUS_OK);
  assert_int_equal(length, sizeof example_tags);
  assert_memory_equal(out, example_tags, sizeof example_tags);
  census_tag_map *back = census_tag_map_new();
  assert_int_equal(census_tags_binary_decode(out, length, back), CENSUS_OK);
  assert_int_equal(census_tag_map_size(back), 2);
  assert_string_equal(census_tag_map_get(back, key("method")), "GET");
  assert_string_equal(census_tag_map_get(back, key("status")), "200");
  census_tag_map_free(back);
  census_tag_map *empty = census_tag_map_new();
  assert_int_equal(census_tags_binary_encode(empty, out, sizeof out, &length), CENSUS_OK);
  assert_int_equal(length, 1);
  assert_int_equal(out[0], 0);
  assert_int_equal(census_tags_binary_decode(out, 1, empty), CENSUS_OK);
  assert_int_equal(census_tag_map_size(empty), 0);
  assert_int_equal(census_tags_binary_encode(map, out, 8, NULL), CENSUS_EINVAL);
  assert_int_equal(census_tags_binary_encode(NULL, out, 8, &length), CENSUS_EINVAL);
  census_tag_map_free(empty);
  census_tag_map_free(map);
}

/* Proves: a buffer one byte short is refused with the size needed, and nothing is claimed
 * written; the exact size works. */
static void test_tags_capacity(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key("method"), "GET"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("status"), "200"), CENSUS_OK);
  uint8_t out[64];
  size_t length = 99;
  assert_int_equal(census_tags_binary_encode(map, out, sizeof example_tags - 1, &length),
                   CENSUS_ELIMIT);
  assert_int_equal(length, sizeof example_tags);
  assert_int_equal(census_tags_binary_encode(map, out, 0, &length), CENSUS_ELIMIT);
  assert_int_equal(census_tags_binary_encode(map, out, sizeof example_tags, &length), CENSUS_OK);
  assert_int_equal(length, sizeof example_tags);
  census_tag_map_free(map);
}

/* Proves: lengths of 128 and more use two-byte varints (255 = ff 01, 200 = c8 01) and
 * round-trip; a 255-byte key and value (the census maximum) round-trip. */
static void test_tags_varint_lengths(void **state) {
  (void)state;
  char k[256], v[256];
  memset(k, 'k', 255);
  k[255] = '\0';
  memset(v, 'v', 200);
  v[200] = '\0';
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key(k), v), CENSUS_OK);
  uint8_t out[600];
  size_t length;
  assert_int_equal(census_tags_binary_encode(map, out, sizeof out, &length), CENSUS_OK);
  assert_int_equal(length, 1 + 1 + 2 + 255 + 2 + 200);
  assert_int_equal(out[2], 0xff);
  assert_int_equal(out[3], 0x01);
  assert_int_equal(out[4 + 255], 0xc8);
  assert_int_equal(out[5 + 255], 0x01);
  census_tag_map *back = census_tag_map_new();
  assert_int_equal(census_tags_binary_decode(out, length, back), CENSUS_OK);
  assert_string_equal(census_tag_map_get(back, key(k)), v);
  census_tag_map_free(back);
  census_tag_map_free(map);
}

/* Expects `bytes` to be refused whole, leaving a map with one prior tag untouched. */
static void expect_refused(const uint8_t *bytes, size_t n) {
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key("prior"), "1"), CENSUS_OK);
  assert_int_equal(census_tags_binary_decode(bytes, n, map), CENSUS_EINVAL);
  assert_int_equal(census_tag_map_size(map), 1);
  assert_string_equal(census_tag_map_get(map, key("prior")), "1");
  census_tag_map_free(map);
}

/* Proves: truncation anywhere, huge or overlong varints and wrong versions refuse the whole
 * buffer and change nothing. */
static void test_tags_hostile(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof example_tags; n++) {
    if (n == 1 || n == 13) {
      continue; /* version alone, or exactly one whole tag: valid */
    }
    expect_refused(example_tags, n);
  }
  const uint8_t version1[] = {0x01, 0x00, 0x01, 'a', 0x01, 'b'};
  expect_refused(version1, sizeof version1);
  const uint8_t huge[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
  expect_refused(huge, sizeof huge);
  const uint8_t over32[] = {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10, 'a'};
  expect_refused(over32, sizeof over32);
  const uint8_t six[] = {0x00, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a'};
  expect_refused(six, sizeof six);
  const uint8_t unterminated[] = {0x00, 0x00, 0x80};
  expect_refused(unterminated, sizeof unterminated);
  const uint8_t value_too_long[] = {0x00, 0x00, 0x01, 'a', 0x05, 'b'};
  expect_refused(value_too_long, sizeof value_too_long);
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tags_binary_decode(NULL, 3, map), CENSUS_EINVAL);
  assert_int_equal(census_tags_binary_decode(example_tags, sizeof example_tags, NULL),
                   CENSUS_EINVAL);
  census_tag_map_free(map);
}

/* Proves: a key or value census cannot hold refuses the whole buffer (OpenCensus: no partial
 * results), even when the other tags are fine. */
static void test_tags_bad_text(void **state) {
  (void)state;
  const uint8_t empty_key[] = {0x00, 0x00, 0x01, 'q', 0x01, 'r', 0x00, 0x00, 0x01, 'x'};
  expect_refused(empty_key, sizeof empty_key);
  const uint8_t control_key[] = {0x00, 0x00, 0x01, 0x01, 0x01, 'x'};
  expect_refused(control_key, sizeof control_key);
  const uint8_t high_value[] = {0x00, 0x00, 0x01, 'k', 0x01, 0x80};
  expect_refused(high_value, sizeof high_value);
  const uint8_t nul_value[] = {0x00, 0x00, 0x01, 'k', 0x03, 'a', 0x00, 'b'};
  expect_refused(nul_value, sizeof nul_value);
  /* A 256-byte value is well-formed on the wire but longer than a tag value may be. */
  uint8_t long_value[1 + 1 + 1 + 1 + 2 + 256];
  uint8_t *p = long_value;
  *p++ = 0x00;
  *p++ = 0x00;
  *p++ = 0x01;
  *p++ = 'L';
  *p++ = 0x80;
  *p++ = 0x02;
  memset(p, 'v', 256);
  expect_refused(long_value, sizeof long_value);
}

/* Proves: an unknown field id ends the tags without error (later bytes ignored); a padded varint
 * (0x81 0x00 = 1) is accepted; an empty value is a value; a repeated key keeps the last value. */
static void test_tags_unknown_and_edges(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  const uint8_t unknown[] = {0x00, 0x00, 0x01, 'a', 0x01, 'b', 0x05, 0xff, 0xff, 0xff};
  assert_int_equal(census_tags_binary_decode(unknown, sizeof unknown, map), CENSUS_OK);
  assert_int_equal(census_tag_map_size(map), 1);
  assert_string_equal(census_tag_map_get(map, key("a")), "b");
  census_tag_map_free(map);

  map = census_tag_map_new();
  const uint8_t edges[] = {0x00, 0x00, 0x81, 0x00, 'p', 0x00, /* padded varint, "" */
                           0x00, 0x01, 'q',  0x01, 'r',       /* q=r */
                           0x00, 0x01, 'q',  0x01, 's'};      /* q=s wins */
  assert_int_equal(census_tags_binary_decode(edges, sizeof edges, map), CENSUS_OK);
  assert_int_equal(census_tag_map_size(map), 2);
  assert_string_equal(census_tag_map_get(map, key("p")), "");
  assert_string_equal(census_tag_map_get(map, key("q")), "s");
  census_tag_map_free(map);
}

/* Builds a buffer of 40 tags of 100 + 100 bytes (8000) plus one of `k` + `k` bytes. */
static size_t build_big(uint8_t *buf, size_t k) {
  size_t n = 0;
  buf[n++] = 0;
  for (int i = 0; i <= 40; i++) {
    size_t len = i < 40 ? 100 : k;
    buf[n++] = 0;
    buf[n++] = (uint8_t)len;
    memset(buf + n, 'k', len);
    char id[8];
    snprintf(id, sizeof id, "%04d", i);
    memcpy(buf + n, id, 4);
    n += len;
    buf[n++] = (uint8_t)len;
    memset(buf + n, 'v', len);
    n += len;
  }
  return n;
}

/* Proves: keys and values totalling exactly 8192 bytes decode and encode; 8194 are refused both
 * ways; duplicates count towards the limit. */
static void test_tags_size_limit(void **state) {
  (void)state;
  uint8_t *buf = malloc(9000);
  uint8_t *out = malloc(9000);
  census_tag_map *map = census_tag_map_new();
  size_t n = build_big(buf, 96);
  assert_int_equal(census_tags_binary_decode(buf, n, map), CENSUS_OK);
  assert_int_equal(census_tag_map_size(map), 41);
  size_t length;
  assert_int_equal(census_tags_binary_encode(map, out, 9000, &length), CENSUS_OK);
  assert_int_equal(length, n);
  assert_memory_equal(out, buf, n);
  /* One more byte of key and value (8194): refused both ways. */
  assert_int_equal(census_tag_map_put(map, key("z"), "z"), CENSUS_OK);
  assert_int_equal(census_tags_binary_encode(map, out, 9000, &length), CENSUS_ELIMIT);
  assert_int_equal(length, 0);
  census_tag_map_free(map);
  n = build_big(buf, 97);
  expect_refused(buf, n);
  /* 2049 copies of the same 2 + 2 byte tag: one key in the end, but 8196 bytes on the wire. */
  uint8_t *dup = malloc(2049 * 7 + 1);
  size_t d = 0;
  dup[d++] = 0;
  for (int i = 0; i < 2049; i++) {
    const uint8_t tag[] = {0x00, 0x02, 'k', 'k', 0x02, 'v', 'v'};
    memcpy(dup + d, tag, sizeof tag);
    d += sizeof tag;
  }
  expect_refused(dup, d);
  census_tag_map *one = census_tag_map_new();
  assert_int_equal(census_tags_binary_decode(dup, 2048 * 7 + 1, one), CENSUS_OK); /* 8192 */
  assert_int_equal(census_tag_map_size(one), 1);
  census_tag_map_free(one);
  free(dup);
  free(out);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trace_round_trip),
      cmocka_unit_test(test_trace_truncation_and_extension),
      cmocka_unit_test(test_trace_refusals),
      cmocka_unit_test(test_tags_example),
      cmocka_unit_test(test_tags_capacity),
      cmocka_unit_test(test_tags_varint_lengths),
      cmocka_unit_test(test_tags_hostile),
      cmocka_unit_test(test_tags_bad_text),
      cmocka_unit_test(test_tags_unknown_and_edges),
      cmocka_unit_test(test_tags_size_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
