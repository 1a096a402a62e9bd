/* fuzz_tags_binary.c - libFuzzer target for the OpenCensus binary tag context.
 *
 * Invariants: decoding returns only CENSUS_OK, CENSUS_EINVAL (map untouched), CENSUS_ENOMEM or
 * CENSUS_ELIMIT (the fuzzer's ever-new keys reach CENSUS_TAG_MAX_KEYS: the cap that keeps a
 * hostile peer from growing the key table without bound);
 * a decoded map re-encodes (every tag census took fits the 8192 limit it was checked against),
 * first reporting the exact size needed when given no room, and decodes again to the same tags.
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
  census_status status = census_tags_binary_decode(data, size, map);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL || status == CENSUS_ENOMEM ||
             status == CENSUS_ELIMIT);
  if (status == CENSUS_EINVAL) {
    FUZZ_CHECK(census_tag_map_size(map) == 0);
  }
  uint8_t probe;
  size_t capacity = 0;
  census_status sized = census_tags_binary_encode(map, &probe, 0, &capacity);
  FUZZ_CHECK(sized == CENSUS_ELIMIT && capacity >= 1);
  uint8_t *out = malloc(capacity);
  size_t length;
  FUZZ_CHECK(census_tags_binary_encode(map, out, capacity, &length) == CENSUS_OK);
  FUZZ_CHECK(length == capacity);
  census_tag_map *again = census_tag_map_new();
  FUZZ_CHECK(census_tags_binary_decode(out, length, again) == CENSUS_OK);
  fuzz_check_same_tags(map, again);
  census_tag_map_free(again);
  census_tag_map_free(map);
  free(out);
  return 0;
}
