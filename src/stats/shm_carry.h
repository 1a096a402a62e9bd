/* shm_carry.h - shared-memory mode's carry: writing a series' in-process totals into a cell of
 * this process's file, so that the group's view (read from the files only) includes what reached
 * the totals and no shared cell: records made before the mode was on, and records whose cell the
 * file could not hold (shm.c's file comment; collector.c drives it after each collection). */
#ifndef CENSUS_STATS_SHM_CARRY_H
#define CENSUS_STATS_SHM_CARRY_H

#include <stdbool.h>

struct census__rview;
struct census__series;

/* Begins a carry round: false when shared-memory mode is off (nothing to carry). Sets *sweep
 * when this process has no file yet or one that the last sweep did not write into (the mode just
 * turned on, a fork child's new file, a file that could not be opened last time): then every
 * populated series must be carried, not only the changed ones. Caller holds COLLECT, and ends
 * the round with census__shm_carry_end(). Takes SHM. */
bool census__shm_carry_begin(bool *sweep);

/* Writes the first layout_words words of series->totals (the view's own words: exemplars stay
 * in the process) as the next state of the series' carry cell, placing that cell in this
 * process's file on first use (the description of any cell of the series), and opening the file
 * if the process has none yet (once per round: a failed opening is this round's answer to every
 * later call). Returns 0, or an errno when the file or the cell could not be made (full disk, no
 * memory, the directory gone); the totals are untouched either way. Not for an observable
 * counter's view (its cell is the same table's observed cell). Caller holds COLLECT (one writer
 * at a time) between census__shm_carry_begin() and _end(), maybe the view's series table. Takes
 * SHM. */
int census__shm_carry(const struct census__rview *view, const struct census__series *series);

/* Ends a carry round: after a sweep into an open file, the next rounds carry only the series
 * queued for them. Caller holds COLLECT. Takes SHM. */
void census__shm_carry_end(void);

/* Counts one series whose totals could not be carried (census_shm_stats(): uncarried_series). */
void census__shm_carry_failed(void);

#endif
