/* shm_desc.h - a record's description (shm_format.h): the view and the row a shared cell belongs
 * to, encoded by the writer and decoded, with every length checked, by the reader. */
#ifndef CENSUS_STATS_SHM_DESC_H
#define CENSUS_STATS_SHM_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats_internal.h"

#define CENSUS__SHM_MAX_COLUMNS 64
#define CENSUS__SHM_MAX_BOUNDS 4096

/* A string inside the description (not NUL-terminated). */
struct census__shm_str {
  const char *bytes;
  uint32_t length;
};

/* The description's flags byte (shm_format.h): the measure is signed (it takes negative values;
 * its int sums are two's-complement, clamped, stats_internal.h). */
#define CENSUS__SHM_DESC_SIGNED 1u

struct census__shm_desc {
  unsigned aggregation, measure_type; /* the public enums' values */
  bool signed_values;                 /* the measure's census_measure_is_signed() */
  uint32_t column_count, bound_count;
  uint32_t max_size; /* EXPONENTIAL: the view's slot count (else 0) */
  int max_scale;     /* EXPONENTIAL: the scale recording starts at (else 0) */
  struct census__shm_str view_name, view_description, measure_name, measure_description, unit;
  struct census__shm_str columns[CENSUS__SHM_MAX_COLUMNS];
  const unsigned char *bounds; /* bound_count f64, possibly unaligned: read with memcpy */
  size_t view_part;            /* bytes of the description naming the view */
  struct census__shm_str values[CENSUS__SHM_MAX_COLUMNS];
  bool overflow;
};

/* Encodes the description of `series` of `view`: *desc (malloc'd, free() it) and *size. False
 * on ENOMEM. */
bool census__shm_desc_encode(const struct census__rview *view, const struct census__series *series,
                             unsigned char **desc, size_t *size);

/* Decodes `size` bytes of a file of format `version` (shm_format.h): true, or false with
 * *problem naming what is wrong (a length past the end, an unknown aggregation, measure type or
 * flag, an aggregation the version does not have, too many columns or bounds, an exponential
 * histogram's size or scale out of range, bytes left over). Never reads outside
 * [desc, desc + size). */
bool census__shm_desc_decode(const unsigned char *desc, size_t size, unsigned version,
                             struct census__shm_desc *out, const char **problem);

/* The gauge mode named `text` (CENSUS_SHM_GAUGE's values), or -1. */
int census__shm_gauge_mode_parse(const char *text);

#endif
