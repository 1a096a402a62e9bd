/* harvest.h - moving one half of a cell into its series' totals: the step the collector applies
 * to every thread's cells and every bound measure's, and the bookkeeping of totals that
 * saturate. Caller holds COLLECT, which makes it the only writer of series totals. */
#ifndef CENSUS_STATS_HARVEST_H
#define CENSUS_STATS_HARVEST_H

#include <stdatomic.h>
#include <stdint.h>

struct census__rview;
struct census__series;

/* What to take from one thread id's cells (bound measures index them by thread id): nothing (its
 * thread is inside a record), the old half, or both halves (its thread exited). */
enum { CENSUS__HARVEST_SKIP = 0, CENSUS__HARVEST_OLD = 1, CENSUS__HARVEST_BOTH = 2 };

/* Adds one cell half into a series' totals and resets it, if it holds data (its writer is
 * quiescent). A total that saturates marks the series and queues its view, once. */
void census__harvest_words(struct census__rview *view, struct census__series *series,
                           _Atomic uint64_t *words);

/* Takes the next view queued by a saturation in this collection (its saturated_pending rows), or
 * NULL when there is none left. */
struct census__rview *census__harvest_take_saturated(void);

/* Forgets the queue and frees the scratch space (fork child, shutdown). */
void census__harvest_reset(void);

#endif
