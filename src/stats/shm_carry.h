/* shm_carry.h - shared-memory mode's carry: writing a series' in-process totals into a cell of
 * this process's file, so that the group's view (read from the files only) includes what reached
 * the totals and no shared cell: records made before the mode was on, and records whose cell the
 * file could not hold (shm.c's file comment; collector.c drives it after each collection). */
#ifndef CENSUS_STATS_SHM_CARRY_H
#define CENSUS_STATS_SHM_CARRY_H

#include <stdbool.h>

struct census__rview;
struct census__series;

/* Begins a carry round: false when shared-memory mode is off (nothing to carry). Opens this
 * process's file if it has none yet (its opening's error, if any, is what each
 * census__shm_carry() of the round returns). Sets *sweep when the file is new since the last
 * round that opened it (the mode just turned on, a fork child's file, one that could not be
 * opened last time): then every populated series must be carried, not only the changed ones.
 * Caller holds COLLECT. Takes SHM. */
bool census__shm_carry_begin(bool *sweep);

/* Writes the first layout_words words of series->totals (the view's own words: exemplars stay
 * in the process) as the next state of the series' carry cell, placing that cell in this
 * process's file on first use (the description of any cell of the series). Returns 0, or an
 * errno when the cell could not be placed (full disk, no memory) or the file is not open; the
 * totals are untouched either way. Not for an observable counter's view (its cell is the same
 * table's observed cell). Caller holds COLLECT (one writer at a time), maybe the view's series
 * table. Takes SHM. */
int census__shm_carry(const struct census__rview *view, const struct census__series *series);

/* Counts one series whose totals could not be carried (census_shm_stats(): uncarried_series). */
void census__shm_carry_failed(void);

#endif
