/* census/tags.h - tag keys, tag values and tag maps: the key/value context of a measurement.
 *
 * Validation follows OpenCensus: a key is 1 to 255 bytes of printable ASCII (0x20..0x7e); a value
 * is 0 to 255 bytes of printable ASCII. Invalid input is refused with a status and changes nothing.
 */
#ifndef CENSUS_TAGS_H
#define CENSUS_TAGS_H

#include <stddef.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_TAG_MAX_LENGTH 255
/* At most this many distinct tag keys exist in a process (keys are never freed; the cap keeps
 * keys arriving from outside, in baggage or grpc-tags-bin, from growing memory without bound). */
#define CENSUS_TAG_MAX_KEYS 10000

/* An interned tag key. The same name always yields the same pointer, so keys compare by address.
 * Keys live until the process exits and are never freed by the caller.
 * Thread-safety: immutable, safe to share. */
typedef struct census_tag_key census_tag_key;

/* A set of (key, value) pairs, at most one value per key. Tag maps belong to the caller and
 * touch no census state: every tag map function works after census_shutdown() too.
 * Thread-safety: one writer at a time; any number of concurrent readers (record calls) while no
 * thread writes it. */
typedef struct census_tag_map census_tag_map;

/* Interns a tag key named `name` (copied). Returns the key, or NULL with *status (if status is not
 * NULL) set to CENSUS_EINVAL (name NULL), CENSUS_EBADNAME, CENSUS_ELIMIT (CENSUS_TAG_MAX_KEYS
 * keys exist already and this name is new), CENSUS_ENOMEM or CENSUS_ESHUTDOWN (after
 * census_shutdown(), even for a name that exists: keys handed out before stay valid).
 * Thread-safe. */
CENSUS_EXPORT const census_tag_key *census_tag_key_new(const char *name, census_status *status);

/* The key's name; borrowed, valid as long as the key (until exit). NULL for a NULL key.
 * Thread-safe. */
CENSUS_EXPORT const char *census_tag_key_name(const census_tag_key *key);

/* Checks a tag value without storing it (`value` is only read during the call): CENSUS_OK,
 * CENSUS_EINVAL (NULL) or CENSUS_EBADVALUE. Thread-safe. */
CENSUS_EXPORT census_status census_tag_value_check(const char *value);

/* A new empty tag map, or NULL if memory is exhausted. Free with census_tag_map_free().
 * Thread-safe. */
CENSUS_EXPORT census_tag_map *census_tag_map_new(void);

/* A deep copy of `map`, or NULL if `map` is NULL or memory is exhausted. Thread-safe with respect
 * to concurrent readers of `map`. */
CENSUS_EXPORT census_tag_map *census_tag_map_copy(const census_tag_map *map);

/* Frees the map and its values. NULL is a no-op. The caller must ensure no other thread uses it. */
CENSUS_EXPORT void census_tag_map_free(census_tag_map *map);

/* Sets `key` to `value` (copied), replacing any previous value. Errors: CENSUS_EINVAL (NULL map,
 * key or value), CENSUS_EBADVALUE, CENSUS_ENOMEM; on error the map is unchanged.
 * Thread-safety: one writer at a time, no concurrent readers. */
CENSUS_EXPORT census_status census_tag_map_put(census_tag_map *map, const census_tag_key *key,
                                               const char *value);

/* Removes `key` and frees the map's copy of its value (a value census_tag_map_get() returned is
 * invalid afterwards). CENSUS_ENOTFOUND if it was absent, CENSUS_EINVAL for NULL arguments.
 * Thread-safety: as census_tag_map_put(). */
CENSUS_EXPORT census_status census_tag_map_remove(census_tag_map *map, const census_tag_key *key);

/* The value of `key`, borrowed until the map is next changed or freed; NULL if absent or if an
 * argument is NULL. Thread-safety: concurrent readers are safe while no thread writes the map. */
CENSUS_EXPORT const char *census_tag_map_get(const census_tag_map *map, const census_tag_key *key);

/* The number of pairs in the map (0 for NULL); `map` is only read. Thread-safety: as
 * census_tag_map_get(). */
CENSUS_EXPORT size_t census_tag_map_size(const census_tag_map *map);

/* The i-th pair in the map's internal order, for iteration: sets *key and *value (borrowed) and
 * returns CENSUS_OK, CENSUS_ENOTFOUND when i >= size, or CENSUS_EINVAL for a NULL argument. The
 * key lives until exit; the value is borrowed as for census_tag_map_get(). Thread-safety: as
 * census_tag_map_get(). */
CENSUS_EXPORT census_status census_tag_map_at(const census_tag_map *map, size_t i,
                                              const census_tag_key **key, const char **value);

/* Makes `tags` the calling thread's current tag map and returns the previous one (NULL if none).
 * Record calls given NULL tags use the current tag map (OpenCensus's tag context), so code deep in
 * a request records with the request's tags without passing them along. `tags` is borrowed: keep
 * it alive and unchanged while it is current; pass NULL to clear. Thread-safe (affects the
 * calling thread only). */
CENSUS_EXPORT const census_tag_map *census_tag_map_set_current(const census_tag_map *tags);

/* The calling thread's current tag map, or NULL if none is set: the pointer given to
 * census_tag_map_set_current(), still owned by the caller. Never fails. Thread-safe (reads the
 * calling thread's own setting). */
CENSUS_EXPORT const census_tag_map *census_tag_map_current(void);

#ifdef __cplusplus
}
#endif
#endif
