/* collector.h - collection: moving what threads recorded into series totals. */
#ifndef CENSUS_STATS_COLLECTOR_H
#define CENSUS_STATS_COLLECTOR_H

#include <stdbool.h>

#include "census/status.h"

/* Sets up the asymmetric barrier (membarrier) or falls back to fences on the record path. */
void census__collector_start(void);

/* Moves everything recorded before this call into series totals. Caller holds collect_mu.
 * Never blocks recorders; waits (bounded) for a thread that is inside a record call. */
void census__collect_locked(void);

/* Frees every thread state (fork child, shutdown); caller guarantees no recorder runs. */
void census__collector_drop_threads(void);

#endif
