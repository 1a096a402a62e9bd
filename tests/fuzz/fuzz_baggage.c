/* fuzz_baggage.c - libFuzzer target for W3C baggage parsing and formatting.
 *
 * Invariants: parsing never fails on content (only CENSUS_OK, or CENSUS_ENOMEM); at most
 * CENSUS_BAGGAGE_MAX_MEMBERS tags are taken; formatting the map gives at most 8192 bytes and
 * parsing that again gives the same tags (when nothing was skipped by the formatter).
 *
 * Tag keys are interned for the life of the process, so inputs with fresh keys grow memory; the
 * target runs for a bounded time and the growth is what an untrusted peer could cause too (see
 * docs/propagation.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/propagation.h"
#include "fuzz_common.h"
#include "fuzz_tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_tag_map *map = census_tag_map_new();
  FUZZ_CHECK(map != NULL);
  size_t skipped;
  census_status status = census_baggage_parse((const char *)data, size, map, &skipped);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_ENOMEM);
  FUZZ_CHECK(census_tag_map_size(map) <= CENSUS_BAGGAGE_MAX_MEMBERS);
  char *out = malloc(CENSUS_BAGGAGE_MAX_LENGTH + 1);
  size_t length, format_skipped;
  FUZZ_CHECK(census_baggage_format(map, out, CENSUS_BAGGAGE_MAX_LENGTH + 1, &length,
                                   &format_skipped) == CENSUS_OK);
  FUZZ_CHECK(length <= CENSUS_BAGGAGE_MAX_LENGTH && strlen(out) == length);
  census_tag_map *again = census_tag_map_new();
  FUZZ_CHECK(census_baggage_parse(out, length, again, &skipped) == CENSUS_OK);
  FUZZ_CHECK(skipped == 0);
  if (format_skipped == 0) {
    fuzz_check_same_tags(map, again);
  }
  census_tag_map_free(again);
  census_tag_map_free(map);
  free(out);
  return 0;
}
