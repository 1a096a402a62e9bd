/* collector.h - collection: moving what threads recorded into series totals. */
#ifndef CENSUS_STATS_COLLECTOR_H
#define CENSUS_STATS_COLLECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/status.h"

/* Sets up the asymmetric barrier (membarrier) or falls back to fences on the record path. */
void census__collector_start(void);

/* Moves everything recorded before this call into series totals. Caller holds collect_mu.
 * Never blocks recorders; waits (bounded) for a thread that is inside a record call. */
void census__collect_locked(void);

struct census__rview;
struct census__series;

/* Adds one cell half into a series' totals and resets it (caller holds collect_mu, the writer of
 * that half is quiescent). A total that saturates is reported at the end of the collection. */
void census__harvest_words(struct census__rview *view, struct census__series *series,
                           _Atomic uint64_t *words);

enum { CENSUS__HARVEST_SKIP = 0, CENSUS__HARVEST_OLD = 1, CENSUS__HARVEST_BOTH = 2 };

/* Frees every thread state (fork child, shutdown); caller guarantees no recorder runs. */
void census__collector_drop_threads(void);

#endif
