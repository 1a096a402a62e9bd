/* measurement_map.h - the layout of a measurement map, shared by measurement_map.c (everything
 * but recording it) and recorder.c (census_measurement_map_record(), with the record path's fast
 * path inline). */
#ifndef CENSUS_STATS_MEASUREMENT_MAP_H
#define CENSUS_STATS_MEASUREMENT_MAP_H

#include <stddef.h>

#include "census/stats.h"
#include "stats/stats_internal.h"

struct census_measurement_map {
  struct census__measurement *entries;
  size_t count, capacity;
  census_status refusal; /* the first put error, CENSUS_OK if none */
  size_t refused;        /* measurements refused by puts */
  const char *refused_measure;
  /* The one entry when the map holds exactly one measurement and no put was refused, else NULL:
   * census_measurement_map_record() tests this one word for its fast path. Kept by whatever
   * changes the count or the refusal (measurement_map.c's map_single_update()); a put that
   * replaces a value changes neither. */
  const struct census__measurement *single;
  /* The first entry's measure when it is a DOUBLE measure, else a sentinel no measure (and not
   * NULL) equals: census_measurement_map_put_double()'s fast path tests this one word in place of
   * the first entry's measure and its type. Kept with `single` (map_single_update()). */
  const census_measure *double_first;
};

#endif
