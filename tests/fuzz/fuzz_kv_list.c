/* fuzz_kv_list.c - libFuzzer target for census__kv_list_parse(), the parser of
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS.
 *
 * The input (cut at its first NUL, as an environment variable would be) is parsed with a callback
 * that checks every pair. Invariants: the parser never crashes or reads out of bounds (ASan);
 * on CENSUS_OK every key is non-empty, neither key nor value has leading or trailing spaces or
 * tabs (unless the input has percent escapes, which may encode them) or a control character
 * other than tab inside (CR/LF would split HTTP headers), and there
 * are no more pairs than commas plus one; on CENSUS_ECONFIG no callback ran (all-or-nothing) and
 * a reason was written; a second parse of the same input gives the same status and pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env_config.h"
#include "fuzz_common.h"

typedef struct seen {
  bool encoded; /* the input has a '%' */
  size_t calls;
  uint64_t hash; /* of every key and value, in order */
} seen;

static uint64_t mix(uint64_t h, const char *s) {
  for (; *s != '\0'; s++) {
    h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
  }
  return (h ^ 0xff) * 0x100000001b3ULL;
}

static bool check_pair(void *user, const char *key, const char *value) {
  seen *s = user;
  size_t klen = strlen(key), vlen = strlen(value);
  FUZZ_CHECK(klen > 0);
  if (!s->encoded) { /* "%20" may legitimately decode to an edge space */
    FUZZ_CHECK(key[0] != ' ' && key[0] != '\t' && key[klen - 1] != ' ' && key[klen - 1] != '\t');
    if (vlen > 0) {
      FUZZ_CHECK(value[0] != ' ' && value[0] != '\t');
      FUZZ_CHECK(value[vlen - 1] != ' ' && value[vlen - 1] != '\t');
    }
  }
  for (const char *p = key; *p != '\0'; p++) {
    FUZZ_CHECK(((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f);
  }
  for (const char *p = value; *p != '\0'; p++) {
    FUZZ_CHECK(((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f);
  }
  s->calls++;
  s->hash = mix(mix(s->hash, key), value);
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data, size);
  text[size] = '\0';
  size_t commas = 0;
  for (const char *p = text; *p != '\0'; p++) {
    commas += *p == ',';
  }
  bool encoded = strchr(text, '%') != NULL;
  seen a = {encoded, 0, 0}, b = {encoded, 0, 0};
  char why[128], why2[128];
  census_status st = census__kv_list_parse(text, check_pair, &a, why, sizeof why);
  FUZZ_CHECK(st == CENSUS_OK || st == CENSUS_ECONFIG || st == CENSUS_ENOMEM);
  if (st == CENSUS_OK) {
    FUZZ_CHECK(a.calls <= commas + 1);
    FUZZ_CHECK(why[0] == '\0');
  } else if (st == CENSUS_ECONFIG) {
    FUZZ_CHECK(a.calls == 0);
    FUZZ_CHECK(why[0] != '\0');
  }
  census_status st2 = census__kv_list_parse(text, check_pair, &b, why2, sizeof why2);
  if (st != CENSUS_ENOMEM && st2 != CENSUS_ENOMEM) {
    FUZZ_CHECK(st == st2 && a.calls == b.calls && a.hash == b.hash);
  }
  /* A tiny message buffer must still be NUL-terminated and never overrun. */
  char tiny[4];
  census__kv_list_parse(text, NULL, NULL, tiny, sizeof tiny);
  FUZZ_CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
  free(text);
  return 0;
}
