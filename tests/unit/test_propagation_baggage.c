/* test_propagation_baggage.c - W3C Baggage <-> census tag maps (census/propagation.h).
 *
 * Proves percent-encoding both ways (the W3C example "DF%2028" <-> "DF 28"), that properties are
 * dropped, that members a tag map cannot hold are skipped and counted while the rest go through,
 * the 64-member and 8192-byte limits on both sides (N and N+1), and inject/extract round trips.
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

static const census_tag_key *key(const char *name) {
  const census_tag_key *k = census_tag_key_new(name, NULL);
  assert_non_null(k);
  return k;
}

static const char *get(const census_tag_map *map, const char *name) {
  return census_tag_map_get(map, key(name));
}

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

/* Parses `s` into a new map and checks the skipped count. */
static census_tag_map *parse(const char *s, size_t want_skipped) {
  census_tag_map *map = census_tag_map_new();
  assert_non_null(map);
  size_t skipped = 99;
  assert_int_equal(census_baggage_parse(s, strlen(s), map, &skipped), CENSUS_OK);
  assert_int_equal(skipped, want_skipped);
  return map;
}

/* ---- parse --------------------------------------------------------------------------------- */

/* Proves: the W3C examples decode; OWS around members and '=' is tolerated; properties dropped. */
static void test_parse_examples(void **state) {
  (void)state;
  census_tag_map *map =
      parse("userId=alice, serverNode=DF%2028;p=1 ,isProduction = false\t;a;b=c,,", 0);
  assert_int_equal(census_tag_map_size(map), 3);
  assert_string_equal(get(map, "userId"), "alice");
  assert_string_equal(get(map, "serverNode"), "DF 28");
  assert_string_equal(get(map, "isProduction"), "false");
  census_tag_map_free(map);
  map = parse("k=v=w,e=,t=%41%62%7e%7E", 0); /* '=' is a baggage-octet; empty value allowed */
  assert_string_equal(get(map, "k"), "v=w");
  assert_string_equal(get(map, "e"), "");
  assert_string_equal(get(map, "t"), "Ab~~");
  census_tag_map_free(map);
  map = parse("", 0);
  assert_int_equal(census_tag_map_size(map), 0);
  census_tag_map_free(map);
}

/* Proves: each malformed member is skipped and counted; the good ones around it survive. */
static void test_parse_skips_bad_members(void **state) {
  (void)state;
  census_tag_map *map = parse("good1=1,noequals,=v,k y=v,k=%zz,k=%4,k=a b,k=\"q\",k=a\\b,"
                              "k=%C3%A9,k=%00,k=%7F,k\x01=v,good2=2,k(=v",
                              13);
  assert_int_equal(census_tag_map_size(map), 2);
  assert_string_equal(get(map, "good1"), "1");
  assert_string_equal(get(map, "good2"), "2");
  census_tag_map_free(map);
}

/* Proves: key and decoded value lengths follow census tag rules: 255 taken, 256 skipped; a
 * percent-encoded 255-byte value (765 bytes on the wire) is taken. */
static void test_parse_lengths(void **state) {
  (void)state;
  char *k255 = repeat('k', 255), *k256 = repeat('k', 256);
  char *v255 = repeat('v', 255), *v256 = repeat('v', 256);
  char buf[2000];
  snprintf(buf, sizeof buf, "%s=1,%s=2,a=%s,b=%s", k255, k256, v255, v256);
  census_tag_map *map = parse(buf, 2);
  assert_int_equal(census_tag_map_size(map), 2);
  assert_string_equal(get(map, k255), "1");
  assert_string_equal(get(map, "a"), v255);
  census_tag_map_free(map);
  char enc[800] = "e=";
  for (int i = 0; i < 255; i++) {
    strcat(enc, "%20");
  }
  map = parse(enc, 0);
  assert_int_equal(strlen(get(map, "e")), 255);
  census_tag_map_free(map);
  free(k255);
  free(k256);
  free(v255);
  free(v256);
}

/* Proves: 64 members are taken, the 65th is skipped; a member starting at byte 8192 or later is
 * skipped while one starting before is taken. */
static void test_parse_limits(void **state) {
  (void)state;
  char buf[1200] = "";
  for (int i = 0; i < 65; i++) {
    char m[16];
    snprintf(m, sizeof m, "%sk%d=%d", i ? "," : "", i, i);
    strcat(buf, m);
  }
  census_tag_map *map = parse(buf, 1);
  assert_int_equal(census_tag_map_size(map), 64);
  assert_non_null(get(map, "k63"));
  assert_null(census_tag_map_get(map, key("k64")));
  census_tag_map_free(map);
  /* "f=" + 8188 x's + "," puts the next member at 8191 (taken), then one at 8195 (skipped). */
  size_t filler = 8188;
  char *big = malloc(filler + 64);
  assert_non_null(big);
  strcpy(big, "a=");
  memset(big + 2, ';', 1); /* properties are free-form to the parser: 'a=' + ';' + x... */
  memset(big + 3, 'x', filler - 1);
  strcpy(big + 2 + filler, ",b=1,c=2");
  map = parse(big, 1);
  assert_string_equal(get(map, "a"), "");
  assert_string_equal(get(map, "b"), "1");
  assert_null(census_tag_map_get(map, key("c")));
  census_tag_map_free(map);
  free(big);
}

/* Proves: a later member wins over an earlier one, existing tags are kept, and an embedded NUL
 * (explicit length) spoils only its member. */
static void test_parse_merge_and_nul(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key("old"), "x"), CENSUS_OK);
  size_t skipped;
  const char s[] = "k=1,k=2,n=a\0b,z=9";
  assert_int_equal(census_baggage_parse(s, sizeof s - 1, map, &skipped), CENSUS_OK);
  assert_int_equal(skipped, 1);
  assert_string_equal(get(map, "old"), "x");
  assert_string_equal(get(map, "k"), "2");
  assert_string_equal(get(map, "z"), "9");
  assert_null(census_tag_map_get(map, key("n")));
  assert_int_equal(census_baggage_parse(NULL, 0, map, &skipped), CENSUS_EINVAL);
  assert_int_equal(census_baggage_parse("a=1", 3, NULL, NULL), CENSUS_EINVAL);
  census_tag_map_free(map);
}

/* ---- format -------------------------------------------------------------------------------- */

/* Proves: values are percent-encoded exactly where baggage-octet requires (and '%'), keys that
 * are not tokens are skipped and counted, an empty map gives "". */
static void test_format_encoding(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  char out[256];
  size_t length = 99, skipped = 99;
  assert_int_equal(census_baggage_format(map, out, sizeof out, &length, &skipped), CENSUS_OK);
  assert_string_equal(out, "");
  assert_int_equal(length, 0);
  assert_int_equal(skipped, 0);
  assert_int_equal(census_tag_map_put(map, key("serverNode"), "DF 28"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("my key"), "v"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("s"), "a,b;c%d\"e\\f=g~"), CENSUS_OK);
  assert_int_equal(census_baggage_format(map, out, sizeof out, &length, &skipped), CENSUS_OK);
  assert_string_equal(out, "serverNode=DF%2028,s=a%2Cb%3Bc%25d%22e%5Cf=g~");
  assert_int_equal(length, strlen(out));
  assert_int_equal(skipped, 1);
  assert_int_equal(census_baggage_format(NULL, out, sizeof out, NULL, NULL), CENSUS_EINVAL);
  assert_int_equal(census_baggage_format(map, out, 0, NULL, NULL), CENSUS_EINVAL);
  census_tag_map_free(map);
}

/* Proves: a small buffer skips members that do not fit (whole), 64 members max, 8192 bytes max. */
static void test_format_limits(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  assert_int_equal(census_tag_map_put(map, key("a"), "1"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("bbbbbbbb"), "2"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("c"), "3"), CENSUS_OK);
  char small[8];
  size_t length, skipped;
  assert_int_equal(census_baggage_format(map, small, sizeof small, &length, &skipped), CENSUS_OK);
  assert_string_equal(small, "a=1,c=3"); /* 7 characters + NUL exactly */
  assert_int_equal(skipped, 1);
  census_tag_map_free(map);

  map = census_tag_map_new();
  for (int i = 0; i < 65; i++) {
    char name[16];
    snprintf(name, sizeof name, "k%d", i);
    assert_int_equal(census_tag_map_put(map, key(name), "v"), CENSUS_OK);
  }
  char *out = malloc(CENSUS_BAGGAGE_MAX_LENGTH + 100);
  assert_int_equal(
      census_baggage_format(map, out, CENSUS_BAGGAGE_MAX_LENGTH + 100, &length, &skipped),
      CENSUS_OK);
  assert_int_equal(skipped, 1);
  census_tag_map_free(map);

  /* 40 members of 255 bytes = 40 * 255 + 39 > 8192: 32 fit (32 * 255 + 31 = 8191). */
  map = census_tag_map_new();
  char *v = repeat('v', 251);
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "k%02d", i);
    assert_int_equal(census_tag_map_put(map, key(name), v), CENSUS_OK);
  }
  assert_int_equal(
      census_baggage_format(map, out, CENSUS_BAGGAGE_MAX_LENGTH + 100, &length, &skipped),
      CENSUS_OK);
  assert_int_equal(length, 8191);
  assert_int_equal(skipped, 8);
  assert_true(length <= CENSUS_BAGGAGE_MAX_LENGTH);
  census_tag_map_free(map);
  free(v);
  free(out);
}

/* ---- inject / extract ---------------------------------------------------------------------- */

/* Proves: every printable-ASCII value survives inject -> extract unchanged. */
static void test_round_trip(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  char all[96];
  for (int c = 0x20; c <= 0x7e; c++) {
    all[c - 0x20] = (char)c;
  }
  all[95] = '\0';
  assert_int_equal(census_tag_map_put(map, key("all"), all), CENSUS_OK);
  assert_int_equal(census_tag_map_put(map, key("!#$%&'*+-.^_`|~"), ""), CENSUS_OK);
  struct test_carrier carrier = {0};
  size_t skipped = 99;
  assert_int_equal(census_baggage_inject(map, test_carrier_set, &carrier, &skipped), CENSUS_OK);
  assert_int_equal(skipped, 0);
  census_tag_map *back = census_tag_map_new();
  assert_int_equal(census_baggage_extract(test_carrier_get, &carrier, back, &skipped), CENSUS_OK);
  assert_int_equal(skipped, 0);
  assert_int_equal(census_tag_map_size(back), 2);
  assert_string_equal(get(back, "all"), all);
  assert_string_equal(get(back, "!#$%&'*+-.^_`|~"), "");
  census_tag_map_free(back);
  census_tag_map_free(map);
  test_carrier_clear(&carrier);
}

/* Proves: an empty map writes no header; a missing header is ENOTFOUND; NULLs are EINVAL. */
static void test_inject_extract_edges(void **state) {
  (void)state;
  census_tag_map *map = census_tag_map_new();
  struct test_carrier carrier = {0};
  assert_int_equal(census_baggage_inject(map, test_carrier_set, &carrier, NULL), CENSUS_OK);
  assert_int_equal(carrier.sets, 0);
  assert_int_equal(census_baggage_extract(test_carrier_get, &carrier, map, NULL), CENSUS_ENOTFOUND);
  assert_int_equal(census_baggage_inject(NULL, test_carrier_set, &carrier, NULL), CENSUS_EINVAL);
  assert_int_equal(census_baggage_inject(map, NULL, &carrier, NULL), CENSUS_EINVAL);
  assert_int_equal(census_baggage_extract(NULL, &carrier, map, NULL), CENSUS_EINVAL);
  assert_int_equal(census_baggage_extract(test_carrier_get, &carrier, NULL, NULL), CENSUS_EINVAL);
  census_tag_map_free(map);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_examples),       cmocka_unit_test(test_parse_skips_bad_members),
      cmocka_unit_test(test_parse_lengths),        cmocka_unit_test(test_parse_limits),
      cmocka_unit_test(test_parse_merge_and_nul),  cmocka_unit_test(test_format_encoding),
      cmocka_unit_test(test_format_limits),        cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_inject_extract_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
