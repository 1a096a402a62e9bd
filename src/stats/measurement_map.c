/* measurement_map.c - measurement maps and the direct record calls.
 *
 * A map is a small array of (measure, value), one entry per measure. OpenCensus semantics: a
 * value that may not be recorded (negative, NaN, infinite, a double for an int64 measure)
 * poisons the map; record then refuses the whole map, counts its measurements in the
 * self-metric and reports the refusal, so nothing is recorded half-way.
 *
 * census_measurement_map_record() is in recorder.c, with the record path's fast path inline.
 */
#include <math.h>
#include <stdlib.h>

#include "stats/measurement_map.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

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

/* Stores `m` (validated): replaces the measure's entry, or appends one. The first entry is
 * tested before the loop: a map reused for one measure (put, record, put again) finds it there. */
static inline census_status map_store(census_measurement_map *map, struct census__measurement m) {
  struct census__measurement *entries = map->entries;
  size_t count = map->count;
  if (__builtin_expect(count != 0 && entries[0].measure == m.measure, 1)) {
    entries[0].int_value = m.int_value; /* the measure is the same */
    entries[0].double_value = m.double_value;
    return CENSUS_OK;
  }
  for (size_t i = 1; i < count; i++) {
    if (entries[i].measure == m.measure) {
      entries[i] = m;
      return CENSUS_OK;
    }
  }
  if (__builtin_expect(count == map->capacity, 0)) {
    return map_append_grow(map, m);
  }
  entries[count] = m;
  map->count = count + 1;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_measurement_map_put_int64(census_measurement_map *map,
                                                             const census_measure *measure,
                                                             int64_t value) {
  if (!map || !measure) {
    return CENSUS_EINVAL;
  }
  /* census__measurement_check() for an int64 value, whatever the measure's type: a double
   * measure's value (double)value is finite and negative exactly when value is. */
  if (__builtin_expect(value < 0, 0) && !measure->signed_values) {
    return map_refuse(map, measure, CENSUS_ENEGATIVE);
  }
  struct census__measurement m = {measure, value, (double)value};
  return map_store(map, m);
}

CENSUS_EXPORT census_status census_measurement_map_put_double(census_measurement_map *map,
                                                              const census_measure *measure,
                                                              double value) {
  if (!map || !measure) {
    return CENSUS_EINVAL;
  }
  struct census__measurement m = {measure, 0, value};
  census_status status =
      measure->type == CENSUS_MEASURE_INT64 ? CENSUS_ETYPE : census__measurement_check(&m);
  if (__builtin_expect(status != CENSUS_OK, 0)) {
    return map_refuse(map, measure, status);
  }
  return map_store(map, m);
}

CENSUS_EXPORT census_status census_record_int64(const census_measure *measure, int64_t value,
                                                const census_tag_map *tags) {
  return measure ? census__record_one_int64(measure, value, tags) : CENSUS_EINVAL;
}

CENSUS_EXPORT census_status census_record_double(const census_measure *measure, double value,
                                                 const census_tag_map *tags) {
  return measure ? census__record_one_double(measure, value, tags) : CENSUS_EINVAL;
}
