/* tags_internal.h - the layout of tag keys and tag maps, shared with the record path. */
#ifndef CENSUS_TAGS_INTERNAL_H
#define CENSUS_TAGS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "census/tags.h"
#include "core/thread_local.h"

struct census_tag_key {
  char *name;
  size_t length;
};

/* One pair; the value's hash is computed once at put so that recording never hashes strings. */
struct census__tag_entry {
  const census_tag_key *key;
  char *value;
  uint32_t length;
  uint64_t hash;
};

/* A small array of pairs in insertion order; maps hold a handful of tags, so a linear scan by key
 * address beats any index. */
struct census_tag_map {
  struct census__tag_entry *entries;
  size_t count, capacity;
  /* Names this content: a fresh process-unique value on creation and on every change, so the
   * record path can cache "this map's series" per thread and know when the cache is stale.
   * 0 is reserved for "no tags". Its top bits are well mixed (tag_map.c's next_id()): the record
   * path indexes its cache with them. */
  uint64_t id;
};

/* The id of `tags` (0 for NULL: no tags). */
static inline uint64_t census__tag_map_id(const census_tag_map *tags) {
  return tags ? tags->id : 0;
}

/* The entry for `key`, or NULL. */
static inline const struct census__tag_entry *census__tag_map_find(const census_tag_map *map,
                                                                   const census_tag_key *key) {
  if (!map) {
    return NULL;
  }
  for (size_t i = 0; i < map->count; i++) {
    if (map->entries[i].key == key) {
      return &map->entries[i];
    }
  }
  return NULL;
}

/* The calling thread's current tag map (tag_context.c), or NULL. Initial-exec, like the other
 * hot thread-locals (core/thread_local.h): a record with NULL tags reads it inline. */
extern CENSUS__HOT_THREAD_LOCAL const census_tag_map *census__tag_current;

/* `tags`, or the current tag map when `tags` is NULL: what a record call with these tags uses. */
static inline const census_tag_map *census__tags_or_current(const census_tag_map *tags) {
  return tags ? tags : census__tag_current;
}

#endif
