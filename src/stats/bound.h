/* bound.h - bound measures: a (measure, tag map) resolved once for the fastest record path. The
 * collector's and the lifecycle's side. */
#ifndef CENSUS_STATS_BOUND_H
#define CENSUS_STATS_BOUND_H

/* Harvests every live bound measure's cells (per thread id, tid_mode says skip, old half or both
 * halves: harvest.h), then every freed one's whole, and frees those. Caller holds COLLECT; takes
 * BOUND_LIST. */
void census__bound_harvest(const unsigned char *tid_mode, unsigned old_phase);

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
