/* fuzz_tags.h - the tag-map round-trip check the tag fuzz targets share (fuzz_baggage.c,
 * fuzz_tags_binary.c): what was parsed, formatted and parsed again is the same map. */
#ifndef CENSUS_FUZZ_TAGS_H
#define CENSUS_FUZZ_TAGS_H

#include <string.h>

#include "census/tags.h"
#include "fuzz_common.h"

/* Aborts unless `again` holds exactly the tags of `map`: the same count, and every key of `map`
 * with the same value in `again`. */
static inline void fuzz_check_same_tags(const census_tag_map *map, const census_tag_map *again) {
  FUZZ_CHECK(census_tag_map_size(again) == census_tag_map_size(map));
  for (size_t i = 0; i < census_tag_map_size(map); i++) {
    const census_tag_key *key;
    const char *value;
    FUZZ_CHECK(census_tag_map_at(map, i, &key, &value) == CENSUS_OK);
    const char *back = census_tag_map_get(again, key);
    FUZZ_CHECK(back != NULL && strcmp(back, value) == 0);
  }
}

#endif
