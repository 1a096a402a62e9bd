/* bound.h - bound measures: a (measure, tag map) resolved once for the fastest record path. The
 * collector's and the lifecycle's side. */
#ifndef CENSUS_STATS_BOUND_H
#define CENSUS_STATS_BOUND_H

#include <stdatomic.h>
#include <stdint.h>

/* Harvests every live bound measure's cells (per thread id, tid_mode says skip, old half or both
 * halves: harvest.h), then every freed one's whole, and frees those. Caller holds COLLECT; takes
 * BOUND_LIST. */
void census__bound_harvest(const unsigned char *tid_mode, unsigned old_phase);

/* Moves the key that vouches for bound handles' fast paths (bound.c's struct bound_gen.key), so
 * that each handle's next record re-checks its generation. Called after a measure's view list
 * changes (measure.c) and after shared-memory mode is turned on or its epoch moves at a fork
 * (shm.c), each after its own store. No lock; concurrent calls may merge, which is harmless (any
 * move invalidates). */
extern __attribute__((visibility("hidden"))) _Atomic uint32_t census__bound_key;
void census__bound_key_move(void);

/* census_shutdown() (no recorder running): every handle forgets its resolved series and cells
 * (their series are being freed); handles stay valid, their records then refuse; freed handles
 * not yet collected are freed. Takes BOUND_LIST. */
void census__bound_shutdown(void);

/* fork(): prepare takes BOUND_LIST; parent releases it; child resets every handle as shutdown
 * does (the parent's data are the parent's), so their next record re-resolves, and releases it. */
void census__bound_fork_prepare(void);
void census__bound_fork_parent(void);
void census__bound_fork_child(void);

#endif
