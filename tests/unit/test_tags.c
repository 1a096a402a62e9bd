/* test_tags.c - tag keys, tag values and tag maps (census/tags.h).
 *
 * Validation boundaries come from the header: a key is 1..255 bytes of printable ASCII
 * (0x20..0x7e), a value 0..255 bytes of the same. Each boundary is tested on both sides.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

#include "census/tags.h"

/* (key, which creates a key that must be valid, is in support.h) */

/* A heap string of `len` copies of `c`, NUL-terminated. */
static char *repeat(char c, size_t len) {
  char *s = malloc(len + 1);
  assert_non_null(s);
  memset(s, c, len);
  s[len] = '\0';
  return s;
}

/* Expects census_tag_key_new(name) to fail with `want`, and to leave NULL. */
static void expect_bad_key(const char *name, census_status want) {
  census_status st = 1;
  assert_null(census_tag_key_new(name, &st));
  assert_int_equal(st, want);
  /* A NULL status pointer is allowed and must not crash. */
  assert_null(census_tag_key_new(name, NULL));
}

/* ---- keys -------------------------------------------------------------------------------- */

/* Proves: NULL name is EINVAL and the empty name (length 0, below the 1-byte minimum) is
 * EBADNAME. */
static void test_key_null_and_empty(void **state) {
  (void)state;
  expect_bad_key(NULL, CENSUS_EINVAL);
  expect_bad_key("", CENSUS_EBADNAME);
}

/* Proves: length 1 and 255 are accepted and the name reads back byte for byte; 256 is refused. */
static void test_key_length_boundaries(void **state) {
  (void)state;
  const census_tag_key *one = key("k");
  assert_string_equal(census_tag_key_name(one), "k");

  char *max = repeat('a', 255);
  const census_tag_key *k = key(max);
  assert_int_equal(strlen(census_tag_key_name(k)), 255);
  assert_string_equal(census_tag_key_name(k), max);

  char *over = repeat('b', 256);
  expect_bad_key(over, CENSUS_EBADNAME);
  free(max);
  free(over);
}

/* Proves: the printable range is exactly 0x20..0x7e: space and '~' are accepted; 0x1f, a tab,
 * a newline, DEL (0x7f), and bytes >= 0x80 (non-ASCII, e.g. UTF-8) are refused, including when
 * the bad byte is the last one of an otherwise valid name. */
static void test_key_printable_ascii(void **state) {
  (void)state;
  assert_string_equal(census_tag_key_name(key(" ")), " ");
  assert_string_equal(census_tag_key_name(key("~")), "~");
  assert_string_equal(census_tag_key_name(key("with space ~!")), "with space ~!");

  const char *bad[] = {"\x1f", "a\tb", "line\n", "\x7f", "x\x7f", "\x80", "caf\xc3\xa9", "\xff"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_bad_key(bad[i], CENSUS_EBADNAME);
  }
}

/* Proves: interning: the same name gives the same pointer (even from a different buffer),
 * different names give different pointers, and the name is copied (changing the caller's buffer
 * afterwards does not change the key). */
static void test_key_interning(void **state) {
  (void)state;
  char buf[16];
  strcpy(buf, "method");
  const census_tag_key *a = key(buf);
  const census_tag_key *b = key("method");
  assert_ptr_equal(a, b);

  const census_tag_key *c = key("methoD");
  assert_ptr_not_equal(a, c);

  strcpy(buf, "status");
  assert_string_equal(census_tag_key_name(a), "method");
  const census_tag_key *d = key(buf);
  assert_ptr_not_equal(a, d);
  assert_string_equal(census_tag_key_name(d), "status");
  /* A prefix is a different name. */
  assert_ptr_not_equal(key("meth"), a);
}

/* ---- values ------------------------------------------------------------------------------ */

/* Proves: value validation boundaries: NULL is EINVAL; "" (length 0) and 255 bytes are OK; 256
 * bytes, control characters, DEL and non-ASCII are EBADVALUE; space and '~' are OK. */
static void test_value_check(void **state) {
  (void)state;
  assert_int_equal(census_tag_value_check(NULL), CENSUS_EINVAL);
  assert_int_equal(census_tag_value_check(""), CENSUS_OK);
  assert_int_equal(census_tag_value_check(" "), CENSUS_OK);
  assert_int_equal(census_tag_value_check("~"), CENSUS_OK);
  char *max = repeat('v', 255);
  char *over = repeat('v', 256);
  assert_int_equal(census_tag_value_check(max), CENSUS_OK);
  assert_int_equal(census_tag_value_check(over), CENSUS_EBADVALUE);
  free(max);
  free(over);
  assert_int_equal(census_tag_value_check("\n"), CENSUS_EBADVALUE);
  assert_int_equal(census_tag_value_check("ok\r"), CENSUS_EBADVALUE);
  assert_int_equal(census_tag_value_check("\x7f"), CENSUS_EBADVALUE);
  assert_int_equal(census_tag_value_check("\xc3\xa9"), CENSUS_EBADVALUE);
}

/* ---- maps -------------------------------------------------------------------------------- */

/* Proves: a new map is empty; a value is copied on put and read back; put on an existing key
 * replaces without growing the map; the empty value is stored as "" (not as absent). */
static void test_map_put_get_replace(void **state) {
  (void)state;
  const census_tag_key *k1 = key("map.k1");
  const census_tag_key *k2 = key("map.k2");
  census_tag_map *m = census_tag_map_new();
  assert_non_null(m);
  assert_int_equal(census_tag_map_size(m), 0);
  assert_null(census_tag_map_get(m, k1));

  char buf[8];
  strcpy(buf, "GET");
  assert_int_equal(census_tag_map_put(m, k1, buf), CENSUS_OK);
  strcpy(buf, "XXX");
  assert_string_equal(census_tag_map_get(m, k1), "GET");
  assert_int_equal(census_tag_map_size(m), 1);

  assert_int_equal(census_tag_map_put(m, k1, "POST"), CENSUS_OK);
  assert_string_equal(census_tag_map_get(m, k1), "POST");
  assert_int_equal(census_tag_map_size(m), 1);

  assert_int_equal(census_tag_map_put(m, k2, ""), CENSUS_OK);
  assert_non_null(census_tag_map_get(m, k2));
  assert_string_equal(census_tag_map_get(m, k2), "");
  assert_int_equal(census_tag_map_size(m), 2);

  char *max = repeat('z', 255);
  assert_int_equal(census_tag_map_put(m, k2, max), CENSUS_OK);
  assert_string_equal(census_tag_map_get(m, k2), max);
  free(max);
  census_tag_map_free(m);
}

/* Proves: remove deletes the pair, a second remove (and removing a never-present key) is
 * ENOTFOUND, and NULL arguments are EINVAL. */
static void test_map_remove(void **state) {
  (void)state;
  const census_tag_key *k1 = key("rm.k1");
  const census_tag_key *k2 = key("rm.k2");
  census_tag_map *m = census_tag_map_new();
  assert_int_equal(census_tag_map_put(m, k1, "a"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(m, k2, "b"), CENSUS_OK);
  assert_int_equal(census_tag_map_remove(m, k1), CENSUS_OK);
  assert_null(census_tag_map_get(m, k1));
  assert_string_equal(census_tag_map_get(m, k2), "b");
  assert_int_equal(census_tag_map_size(m), 1);
  assert_int_equal(census_tag_map_remove(m, k1), CENSUS_ENOTFOUND);
  assert_int_equal(census_tag_map_remove(m, key("rm.never")), CENSUS_ENOTFOUND);
  assert_int_equal(census_tag_map_remove(NULL, k1), CENSUS_EINVAL);
  assert_int_equal(census_tag_map_remove(m, NULL), CENSUS_EINVAL);
  assert_int_equal(census_tag_map_size(m), 1);
  /* Put after remove works again. */
  assert_int_equal(census_tag_map_put(m, k1, "c"), CENSUS_OK);
  assert_string_equal(census_tag_map_get(m, k1), "c");
  assert_int_equal(census_tag_map_size(m), 2);
  census_tag_map_free(m);
}

/* Proves: census_tag_map_at() visits every pair exactly once for i in [0, size) with the values
 * that were put, and i == size (N+1-th) is ENOTFOUND. */
static void test_map_at_iterates_all(void **state) {
  (void)state;
  enum { N = 20 };
  const census_tag_key *keys[N];
  char values[N][8];
  census_tag_map *m = census_tag_map_new();
  for (int i = 0; i < N; i++) {
    char name[16];
    snprintf(name, sizeof name, "at.k%d", i);
    keys[i] = key(name);
    snprintf(values[i], sizeof values[i], "v%d", i * 7);
    assert_int_equal(census_tag_map_put(m, keys[i], values[i]), CENSUS_OK);
  }
  assert_int_equal(census_tag_map_size(m), N);
  bool seen[N] = {false};
  for (size_t i = 0; i < N; i++) {
    const census_tag_key *k = NULL;
    const char *v = NULL;
    assert_int_equal(census_tag_map_at(m, i, &k, &v), CENSUS_OK);
    int found = -1;
    for (int j = 0; j < N; j++) {
      if (keys[j] == k) {
        found = j;
      }
    }
    assert_true(found >= 0);
    assert_false(seen[found]);
    seen[found] = true;
    assert_string_equal(v, values[found]);
  }
  const census_tag_key *k = NULL;
  const char *v = NULL;
  assert_int_equal(census_tag_map_at(m, N, &k, &v), CENSUS_ENOTFOUND);
  census_tag_map_free(m);

  census_tag_map *empty = census_tag_map_new();
  assert_int_equal(census_tag_map_at(empty, 0, &k, &v), CENSUS_ENOTFOUND);
  census_tag_map_free(empty);
}

/* Proves: the copy is deep: it has the same pairs; changing, removing or adding in the copy
 * leaves the original as it was, and the copy survives freeing the original. */
static void test_map_copy_is_deep(void **state) {
  (void)state;
  const census_tag_key *k1 = key("cp.k1");
  const census_tag_key *k2 = key("cp.k2");
  const census_tag_key *k3 = key("cp.k3");
  census_tag_map *orig = census_tag_map_new();
  assert_int_equal(census_tag_map_put(orig, k1, "one"), CENSUS_OK);
  assert_int_equal(census_tag_map_put(orig, k2, "two"), CENSUS_OK);

  census_tag_map *copy = census_tag_map_copy(orig);
  assert_non_null(copy);
  assert_int_equal(census_tag_map_size(copy), 2);
  assert_string_equal(census_tag_map_get(copy, k1), "one");
  assert_string_equal(census_tag_map_get(copy, k2), "two");

  assert_int_equal(census_tag_map_put(copy, k1, "uno"), CENSUS_OK);
  assert_int_equal(census_tag_map_remove(copy, k2), CENSUS_OK);
  assert_int_equal(census_tag_map_put(copy, k3, "tres"), CENSUS_OK);

  assert_int_equal(census_tag_map_size(orig), 2);
  assert_string_equal(census_tag_map_get(orig, k1), "one");
  assert_string_equal(census_tag_map_get(orig, k2), "two");
  assert_null(census_tag_map_get(orig, k3));

  /* And the other way round: changing the original leaves the copy. */
  assert_int_equal(census_tag_map_put(orig, k3, "drei"), CENSUS_OK);
  assert_string_equal(census_tag_map_get(copy, k3), "tres");

  census_tag_map_free(orig);
  assert_string_equal(census_tag_map_get(copy, k1), "uno");
  assert_int_equal(census_tag_map_size(copy), 2);
  census_tag_map_free(copy);

  census_tag_map *empty = census_tag_map_new();
  census_tag_map *empty_copy = census_tag_map_copy(empty);
  assert_non_null(empty_copy);
  assert_int_equal(census_tag_map_size(empty_copy), 0);
  census_tag_map_free(empty);
  census_tag_map_free(empty_copy);
}

/* Proves: a refused put (bad value, 256 bytes, NULL arguments) returns the documented status and
 * leaves both the replaced pair and the size unchanged. */
static void test_map_bad_put_leaves_map_unchanged(void **state) {
  (void)state;
  const census_tag_key *k1 = key("bad.k1");
  const census_tag_key *k2 = key("bad.k2");
  census_tag_map *m = census_tag_map_new();
  assert_int_equal(census_tag_map_put(m, k1, "good"), CENSUS_OK);

  assert_int_equal(census_tag_map_put(m, k1, "bad\n"), CENSUS_EBADVALUE);
  char *over = repeat('q', 256);
  assert_int_equal(census_tag_map_put(m, k1, over), CENSUS_EBADVALUE);
  assert_int_equal(census_tag_map_put(m, k2, over), CENSUS_EBADVALUE);
  free(over);
  assert_int_equal(census_tag_map_put(m, k2, "\x80"), CENSUS_EBADVALUE);
  assert_int_equal(census_tag_map_put(m, k1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_tag_map_put(m, NULL, "x"), CENSUS_EINVAL);
  assert_int_equal(census_tag_map_put(NULL, k1, "x"), CENSUS_EINVAL);

  assert_int_equal(census_tag_map_size(m), 1);
  assert_string_equal(census_tag_map_get(m, k1), "good");
  assert_null(census_tag_map_get(m, k2));
  census_tag_map_free(m);
}

/* Proves: NULL handling documented in the header: size(NULL) is 0, copy(NULL) is NULL,
 * free(NULL) is a no-op. */
static void test_map_null_handling(void **state) {
  (void)state;
  assert_int_equal(census_tag_map_size(NULL), 0);
  assert_null(census_tag_map_copy(NULL));
  census_tag_map_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_null_and_empty),
      cmocka_unit_test(test_key_length_boundaries),
      cmocka_unit_test(test_key_printable_ascii),
      cmocka_unit_test(test_key_interning),
      cmocka_unit_test(test_value_check),
      cmocka_unit_test(test_map_put_get_replace),
      cmocka_unit_test(test_map_remove),
      cmocka_unit_test(test_map_at_iterates_all),
      cmocka_unit_test(test_map_copy_is_deep),
      cmocka_unit_test(test_map_bad_put_leaves_map_unchanged),
      cmocka_unit_test(test_map_null_handling),
  };
  return cmocka_run_group_tests_name("tags", tests, NULL, NULL);
}
