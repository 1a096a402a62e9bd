/* harvest.h - moving one half of a cell into its series' totals: the step the collector applies
 * to every thread's cells and every bound measure's, and the bookkeeping of totals that
 * saturate. Caller holds COLLECT, which makes it the only writer of series totals. */
#ifndef CENSUS_STATS_HARVEST_H
#define CENSUS_STATS_HARVEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct census__rview;
struct census__series;

/* What to take from one thread id's cells (bound measures index them by thread id): nothing (its
 * thread is inside a record), the old half, or both halves (its thread exited). */
enum { CENSUS__HARVEST_SKIP = 0, CENSUS__HARVEST_OLD = 1, CENSUS__HARVEST_BOTH = 2 };

/* Adds one cell half into a series' totals and resets it, if it holds data (its writer is
 * quiescent). A total that saturates marks the series and queues its view, once. In
 * shared-memory mode, a series whose totals changed is queued for the carry, once
 * (census__harvest_carry_add()). */
void census__harvest_words(struct census__rview *view, struct census__series *series,
                           _Atomic uint64_t *words);

/* Takes the next view queued by a saturation in this collection (its saturated_pending rows), or
 * NULL when there is none left. */
struct census__rview *census__harvest_take_saturated(void);

/* The carry queue (shared-memory mode): series whose totals changed since the collector last
 * carried them into this process's file (collector.c). */
struct census__carry_item {
  struct census__rview *view;
  struct census__series *series;
};

/* Queues `series` of `view` for the carry unless it is queued already (its carry_queued flag).
 * No memory: nothing queued, and the next census__harvest_carry_take() says *lost. */
void census__harvest_carry_add(struct census__rview *view, struct census__series *series);

/* Marks the queue as having lost a series: the next census__harvest_carry_take() says *lost. */
void census__harvest_carry_lost(void);

/* Takes the queue: returns its items (*count of them; free() the array, which may be NULL) and
 * clears their carry_queued flags; *lost tells that a series could not be queued since the last
 * take (the caller then carries every series). The queue starts over empty. */
struct census__carry_item *census__harvest_carry_take(size_t *count, bool *lost);

/* Forgets the queues and frees the scratch space (fork child, shutdown). */
void census__harvest_reset(void);

#endif
