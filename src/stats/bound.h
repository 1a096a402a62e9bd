/* bound.h - bound measures: a (measure, tag map) resolved once for the fastest record path. */
#ifndef CENSUS_STATS_BOUND_H
#define CENSUS_STATS_BOUND_H

/* Harvests every bound measure's cells: per thread id, tid_mode says skip, old half or both
 * halves (see collector.h). Caller holds collect_mu. */
void census__bound_harvest(const unsigned char *tid_mode, unsigned old_phase);

/* Forgets every bound measure's resolved series and cells (their series are being freed: fork
 * child, shutdown). Handles stay valid; their next record re-resolves (or, after shutdown, does
 * nothing). Caller holds collect_mu and registry_mu, and no recorder runs. */
void census__bound_reset_all(void);

#endif
