/* measurement_map.c - measurement maps and the direct record calls.
 *
 * A map is a small array of (measure, value), one entry per measure. OpenCensus semantics: a
 * value that may not be recorded (negative, NaN, infinite, a double for an int64 measure)
 * poisons the map; record then refuses the whole map, counts its measurements in the
 * self-metric and reports the refusal, so nothing is recorded half-way.
 */
#include <math.h>
#include <stdlib.h>

#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

struct census_measurement_map {
  struct census__measurement *entries;
  size_t count, capacity;
  census_status refusal; /* the first put error, CENSUS_OK if none */
  size_t refused;        /* measurements refused by puts */
  const char *refused_measure;
};

CENSUS_EXPORT census_measurement_map *census_measurement_map_new(void) {
  return census__calloc(1, sizeof(census_measurement_map));
}

CENSUS_EXPORT void census_measurement_map_free(census_measurement_map *map) {
  if (map) {
    census__free(map->entries);
    census__free(map);
  }
}

CENSUS_EXPORT void census_measurement_map_clear(census_measurement_map *map) {
  if (map) {
    map->count = 0;
    map->refusal = CENSUS_OK;
    map->refused = 0;
    map->refused_measure = NULL;
  }
}

/* A put refused (the map is poisoned: see the file comment). Cold. */
static __attribute__((cold, noinline)) census_status
map_refuse(census_measurement_map *map, const census_measure *measure, census_status status) {
  if (map->refusal == CENSUS_OK) {
    map->refusal = status;
    map->refused_measure = measure->name;
  }
  map->refused++;
  return status;
}

/* Appends `m` to a full map, growing it. Out of line: once per capacity doubling. */
static __attribute__((noinline)) census_status map_append_grow(census_measurement_map *map,
                                                               struct census__measurement m) {
  size_t capacity = map->capacity ? map->capacity * 2 : 4;
  struct census__measurement *grown = census__realloc(map->entries, capacity * sizeof *grown);
  if (!grown) {
    return CENSUS_ENOMEM;
  }
  map->entries = grown;
  map->capacity = capacity;
  map->entries[map->count++] = m;
  return CENSUS_OK;
}

/* Puts a validated-here value: replaces the measure's entry, or appends one. */
static inline census_status map_put(census_measurement_map *map, struct census__measurement m,
                                    census_status type_status) {
  census_status status = type_status != CENSUS_OK ? type_status : census__measurement_check(&m);
  if (__builtin_expect(status != CENSUS_OK, 0)) {
    return map_refuse(map, m.measure, status);
  }
  struct census__measurement *entry = map->entries, *end = entry + map->count;
  for (; entry < end; entry++) {
    if (entry->measure == m.measure) {
      *entry = m;
      return CENSUS_OK;
    }
  }
  if (__builtin_expect(map->count == map->capacity, 0)) {
    return map_append_grow(map, m);
  }
  map->entries[map->count++] = m;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_measurement_map_put_int64(census_measurement_map *map,
                                                             const census_measure *measure,
                                                             int64_t value) {
  if (!map || !measure) {
    return CENSUS_EINVAL;
  }
  struct census__measurement m = {measure, value, (double)value};
  return map_put(map, m, CENSUS_OK);
}

CENSUS_EXPORT census_status census_measurement_map_put_double(census_measurement_map *map,
                                                              const census_measure *measure,
                                                              double value) {
  if (!map || !measure) {
    return CENSUS_EINVAL;
  }
  struct census__measurement m = {measure, 0, value};
  return map_put(map, m, measure->type == CENSUS_MEASURE_INT64 ? CENSUS_ETYPE : CENSUS_OK);
}

CENSUS_EXPORT census_status census_measurement_map_record(const census_measurement_map *map,
                                                          const census_tag_map *tags) {
  if (!map) {
    return CENSUS_EINVAL;
  }
  if (map->refusal != CENSUS_OK) {
    return census__refuse(map->refusal, map->count + map->refused, map->refused_measure);
  }
  return census__record(map->entries, map->count, tags);
}

CENSUS_EXPORT census_status census_record_int64(const census_measure *measure, int64_t value,
                                                const census_tag_map *tags) {
  return measure ? census__record_one_int64(measure, value, tags) : CENSUS_EINVAL;
}

CENSUS_EXPORT census_status census_record_double(const census_measure *measure, double value,
                                                 const census_tag_map *tags) {
  return measure ? census__record_one_double(measure, value, tags) : CENSUS_EINVAL;
}
