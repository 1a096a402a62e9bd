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
#include <stdbool.h>
#include <stdlib.h>

#include "stats/measurement_map.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

/* The entries of a map that never held one: one entry, outside the capacity (0), whose measure is
 * no measure's address. A map's entries[0].measure is always readable and equals a real measure
 * only when that measure is the map's first entry (census_measurement_map_clear() sets it back to
 * this sentinel), so a put's fast path (map_store()) tests it without testing the count, and a
 * NULL measure never passes it. */
static const char no_measure;
#define NO_MEASURE ((const census_measure *)(const void *)&no_measure)
static struct census__measurement no_entries[1] = {{NO_MEASURE, 0, 0}};

/* Sets map->single (measurement_map.h) from the count and the refusal, after either changed. */
static void map_single_update(census_measurement_map *map) {
  map->single = map->count == 1 && map->refusal == CENSUS_OK ? map->entries : NULL;
  map->double_first = map->count && map->entries[0].measure->type == CENSUS_MEASURE_DOUBLE
                          ? map->entries[0].measure
                          : NO_MEASURE;
}

CENSUS_EXPORT census_measurement_map *census_measurement_map_new(void) {
  census_measurement_map *map = census__calloc(1, sizeof(census_measurement_map));
  if (map) {
    map->entries = no_entries; /* read only: capacity 0, so the first append allocates */
    map->double_first = NO_MEASURE;
  }
  return map;
}

CENSUS_EXPORT void census_measurement_map_free(census_measurement_map *map) {
  if (map) {
    if (map->capacity) {
      census__free(map->entries);
    }
    census__free(map);
  }
}

CENSUS_EXPORT void census_measurement_map_clear(census_measurement_map *map) {
  if (map) {
    if (map->count) {
      map->entries[0].measure = NO_MEASURE; /* see no_entries: the put's fast path */
    }
    map->count = 0;
    map->refusal = CENSUS_OK;
    map->refused = 0;
    map->refused_measure = NULL;
    map->single = NULL;
    map->double_first = NO_MEASURE;
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
  map_single_update(map);
  return status;
}

/* Appends `m` to a full map, growing it. Out of line: once per capacity doubling. */
static __attribute__((noinline)) census_status map_append_grow(census_measurement_map *map,
                                                               struct census__measurement m) {
  size_t capacity = map->capacity ? map->capacity * 2 : 4;
  struct census__measurement *grown =
      census__realloc(map->capacity ? map->entries : NULL, capacity * sizeof *grown);
  if (!grown) {
    return CENSUS_ENOMEM;
  }
  map->entries = grown;
  map->capacity = capacity;
  map->entries[map->count++] = m;
  map_single_update(map);
  return CENSUS_OK;
}

/* Stores `m` (validated, m.measure not NULL): replaces the measure's entry, or appends one. Out of
 * line: the puts' inline fast path handles a measure already in the first entry. */
static __attribute__((noinline)) census_status map_store(census_measurement_map *map,
                                                         struct census__measurement m) {
  struct census__measurement *entries = map->entries;
  size_t count = map->count;
  for (size_t i = 0; i < count; i++) {
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
  map_single_update(map);
  return CENSUS_OK;
}

/* The first entry's values, when `measure` is the map's first entry (a map reused for one
 * measure: put, record, put again); false otherwise (the caller checks `measure` and calls
 * map_store()). entries[0] is always readable and holds a real measure only while the map has it
 * (no_entries), so equality needs no count test and implies `measure` is not NULL. */
static inline bool map_store_first(census_measurement_map *map, const census_measure *measure,
                                   int64_t int_value, double double_value) {
  struct census__measurement *first = map->entries;
  if (__builtin_expect(first->measure != measure, 0)) {
    return false;
  }
  first->int_value = int_value;
  first->double_value = double_value;
  return true;
}

CENSUS_EXPORT census_status census_measurement_map_put_int64(census_measurement_map *map,
                                                             const census_measure *measure,
                                                             int64_t value) {
  if (!map) {
    return CENSUS_EINVAL;
  }
  /* census__measurement_check() for an int64 value, whatever the measure's type: a double
   * measure's value (double)value is finite and negative exactly when value is. */
  if (__builtin_expect(value >= 0, 1) && map_store_first(map, measure, value, (double)value)) {
    return CENSUS_OK;
  }
  if (!measure) {
    return CENSUS_EINVAL;
  }
  if (value < 0 && !measure->signed_values) {
    return map_refuse(map, measure, CENSUS_ENEGATIVE);
  }
  struct census__measurement m = {measure, value, (double)value};
  return map_store(map, m);
}

CENSUS_EXPORT census_status census_measurement_map_put_double(census_measurement_map *map,
                                                              const census_measure *measure,
                                                              double value) {
  if (!map) {
    return CENSUS_EINVAL;
  }
  /* A plainly valid value (recorder.h) is valid for any double measure, and double_first is the
   * first entry's measure when that is one (never NULL: a NULL measure does not pass). */
  if (__builtin_expect(census__double_plainly_valid(value) && map->double_first == measure, 1)) {
    struct census__measurement *first = map->entries;
    first->int_value = 0;
    first->double_value = value;
    return CENSUS_OK;
  }
  if (!measure) {
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
