/* instrument.h - the registry of instruments (instrument.c), which every kind lives in, and its
 * fork hooks. The observable instruments' callbacks are observable.h's. */
#ifndef CENSUS_INSTRUMENTS_INSTRUMENT_H
#define CENSUS_INSTRUMENTS_INSTRUMENT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "census/instruments.h"

/* The kinds of instruments: each makes its measure signed or not, and its default view's
 * aggregation (see the table in census/instruments.h). */
enum census__instrument_kind {
  CENSUS__COUNTER,
  CENSUS__UPDOWN_COUNTER,
  CENSUS__HISTOGRAM,
  CENSUS__GAUGE,
  CENSUS__OBSERVABLE_COUNTER,
  CENSUS__OBSERVABLE_UPDOWN_COUNTER,
  CENSUS__OBSERVABLE_GAUGE,
};

/* One instrument: what its name was made as, and its measure. The public handle types
 * (census_counter, ...) point at one. Never freed (like a measure), so handles stay valid. */
struct census__instrument {
  struct census__instrument *next; /* the registry, under INSTRUMENTS */
  enum census__instrument_kind kind;
  const census_measure *measure; /* its value type is the instrument's */
  /* Histograms: nanoseconds per unit of the histogram's unit (1e9 for "s", 1e6 for "ms", ...),
   * or 0 when it is not a time unit (census_timer_stop() refuses it, reported once). */
  int64_t ns_per_unit;
  atomic_bool timer_unit_reported;
};

/* Finds or makes the instrument `name` of `kind` and `type` with `options` (NULL: defaults):
 * its measure and default view are (re)made, so a definition that differs is CENSUS_ECONFLICT
 * from them; a name taken by another kind or type is CENSUS_ECONFLICT, reported naming
 * `function`. NULL with *status set on error (never NULL status here). Takes INSTRUMENTS. */
struct census__instrument *census__instrument_get(enum census__instrument_kind kind,
                                                  census_measure_type type, const char *name,
                                                  const census_instrument_options *options,
                                                  const char *function, census_status *status);

/* fork(): prepare takes INSTRUMENTS, parent and child release it (nothing is the parent's). */
void census__instruments_fork_prepare(void);
void census__instruments_fork_parent(void);

#endif
