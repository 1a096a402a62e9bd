/* fuzz_spool.c - libFuzzer target for the spool file parser (exporters/http/spool.c): a spool
 * file is outside input (another process, another version, a damaged disk, a person).
 *
 * The input is a whole file. Invariants: parsing never crashes or reads out of bounds (ASan);
 * a VALID file's header length plus body length is exactly its size and its strings lie inside
 * the header; re-encoding what was parsed gives back exactly the input bytes (so the parser
 * accepts nothing the writer would not write); parsing only the header from a prefix as long as
 * the header gives the same fields; every "why" message is NUL-terminated in its buffer.
 * Build: compile exporters/http/spool.c with this file, include exporters/http, link zlib.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/allocator.h"
#include "fuzz_common.h"
#include "spool.h"

/* A NUL-terminated copy of a header string. */
static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  FUZZ_CHECK(p != NULL);
  if (n > 0) {
    memcpy(p, s, n);
  }
  p[n] = '\0';
  return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_spool_header h;
  char why[96];
  memset(why, 'x', sizeof why);
  census_spool_check c = census__spool_parse(data, size, &h, why, sizeof why);
  FUZZ_CHECK(c == CENSUS_SPOOL_VALID || c == CENSUS_SPOOL_CORRUPT || c == CENSUS_SPOOL_NEWER);
  if (c != CENSUS_SPOOL_VALID) {
    FUZZ_CHECK(memchr(why, '\0', sizeof why) != NULL);
    return 0;
  }
  FUZZ_CHECK(h.header_len >= CENSUS_SPOOL_FIXED_HEADER && h.header_len <= CENSUS_SPOOL_MAX_HEADER);
  FUZZ_CHECK(h.header_len + h.body_len == size);
  const char *base = (const char *)data;
  FUZZ_CHECK(h.sender >= base + CENSUS_SPOOL_FIXED_HEADER);
  FUZZ_CHECK(h.content_encoding + h.content_encoding_len == base + h.header_len);

  census_spool_header h2;
  FUZZ_CHECK(census__spool_parse_header(data, h.header_len, size, &h2, why, sizeof why) ==
             CENSUS_SPOOL_VALID);
  FUZZ_CHECK(h2.created_ns == h.created_ns && h2.items == h.items && h2.body_len == h.body_len &&
             h2.identity == h.identity && h2.crc == h.crc);

  char *sender = dup_n(h.sender, h.sender_len);
  char *service = dup_n(h.service, h.service_len);
  char *ct = dup_n(h.content_type, h.content_type_len);
  char *enc = dup_n(h.content_encoding, h.content_encoding_len);
  census_spool_meta m = {h.created_ns, h.items, ct, enc};
  char *out = NULL;
  size_t out_len = 0;
  census_status st = census__spool_encode(&m, sender, service, h.identity, base + h.header_len,
                                          (size_t)h.body_len, &out, &out_len);
  FUZZ_CHECK(st == CENSUS_OK);
  FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0);
  census_allocator_free(out); /* census__spool_encode() allocated it */
  free(sender);
  free(service);
  free(ct);
  free(enc);
  return 0;
}
