/* tag_map.c - tag maps: small arrays of (key, value, value hash), at most one value per key.
 *
 * A put validates and copies the value before touching the map, so a failed put leaves the map
 * exactly as it was. The value's hash is computed here, once, for the record path, and every
 * change gives the map a new content id (tags_internal.h) for the record path's cache.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/text.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

CENSUS_EXPORT census_status census_tag_value_check(const char *value) {
  if (!value) {
    return CENSUS_EINVAL;
  }
  return census__text_is_printable(value, CENSUS_TAG_MAX_LENGTH, true, NULL) ? CENSUS_OK
                                                                             : CENSUS_EBADVALUE;
}

static _Atomic uint64_t last_map_id;

/* A new content id (see tags_internal.h): the n-th id is n times an odd constant, so ids are
 * distinct (multiplying by an odd number is a bijection modulo 2^64), never 0, and well mixed in
 * their top bits, which index the record path's cache of recent cells without hashing again. */
static uint64_t next_id(void) {
  return (atomic_fetch_add_explicit(&last_map_id, 1, memory_order_relaxed) + 1) *
         0x9e3779b97f4a7c15ULL;
}

CENSUS_EXPORT census_tag_map *census_tag_map_new(void) {
  census_tag_map *map = census__calloc(1, sizeof(census_tag_map));
  if (map) {
    map->id = next_id();
  }
  return map;
}

CENSUS_EXPORT void census_tag_map_free(census_tag_map *map) {
  if (!map) {
    return;
  }
  for (size_t i = 0; i < map->count; i++) {
    census__free(map->entries[i].value);
  }
  census__free(map->entries);
  census__free(map);
}

CENSUS_EXPORT census_tag_map *census_tag_map_copy(const census_tag_map *map) {
  if (!map) {
    return NULL;
  }
  census_tag_map *copy = census_tag_map_new();
  if (!copy) {
    return NULL;
  }
  for (size_t i = 0; i < map->count; i++) {
    if (census_tag_map_put(copy, map->entries[i].key, map->entries[i].value) != CENSUS_OK) {
      census_tag_map_free(copy);
      return NULL;
    }
  }
  return copy;
}

CENSUS_EXPORT census_status census_tag_map_put(census_tag_map *map, const census_tag_key *key,
                                               const char *value) {
  size_t length;
  if (!map || !key || !value) {
    return CENSUS_EINVAL;
  }
  if (!census__text_is_printable(value, CENSUS_TAG_MAX_LENGTH, true, &length)) {
    return CENSUS_EBADVALUE;
  }
  char *copy = census__malloc(length + 1);
  if (!copy) {
    return CENSUS_ENOMEM;
  }
  memcpy(copy, value, length + 1);
  struct census__tag_entry *entry = (struct census__tag_entry *)census__tag_map_find(map, key);
  if (!entry) {
    if (map->count == map->capacity) {
      size_t capacity = map->capacity ? map->capacity * 2 : 4;
      struct census__tag_entry *grown = census__realloc(map->entries, capacity * sizeof *grown);
      if (!grown) {
        census__free(copy);
        return CENSUS_ENOMEM;
      }
      map->entries = grown;
      map->capacity = capacity;
    }
    entry = &map->entries[map->count++];
    entry->key = key;
    entry->value = NULL;
  }
  census__free(entry->value);
  entry->value = copy;
  entry->length = (uint32_t)length;
  entry->hash = census__hash_bytes(copy, length);
  map->id = next_id();
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_tag_map_remove(census_tag_map *map, const census_tag_key *key) {
  if (!map || !key) {
    return CENSUS_EINVAL;
  }
  for (size_t i = 0; i < map->count; i++) {
    if (map->entries[i].key == key) {
      census__free(map->entries[i].value);
      memmove(&map->entries[i], &map->entries[i + 1],
              (map->count - i - 1) * sizeof map->entries[0]);
      map->count--;
      map->id = next_id();
      return CENSUS_OK;
    }
  }
  return CENSUS_ENOTFOUND;
}

CENSUS_EXPORT const char *census_tag_map_get(const census_tag_map *map, const census_tag_key *key) {
  const struct census__tag_entry *entry = census__tag_map_find(map, key);
  return entry ? entry->value : NULL;
}

CENSUS_EXPORT size_t census_tag_map_size(const census_tag_map *map) { return map ? map->count : 0; }

CENSUS_EXPORT census_status census_tag_map_at(const census_tag_map *map, size_t i,
                                              const census_tag_key **key, const char **value) {
  if (!map || !key || !value) {
    return CENSUS_EINVAL;
  }
  if (i >= map->count) {
    return CENSUS_ENOTFOUND;
  }
  *key = map->entries[i].key;
  *value = map->entries[i].value;
  return CENSUS_OK;
}
