/* collector.h - collection: moving what threads recorded into series totals, under the
 * collector's COLLECT lock. */
#ifndef CENSUS_STATS_COLLECTOR_H
#define CENSUS_STATS_COLLECTOR_H

#include <stdint.h>

#include "census/status.h"

/* COLLECT: one collection at a time, and series totals held still for whoever reads them
 * (snapshots, exports; registered views are not freed while it is held). lock_until takes it by
 * a monotonic deadline (INT64_MAX: no limit): CENSUS_OK or CENSUS_ETIMEDOUT. */
census_status census__collector_lock_until(int64_t deadline_ns);
void census__collector_lock(void);
void census__collector_unlock(void);

/* Moves everything recorded before this call into series totals. Caller holds COLLECT. Never
 * blocks recorders; waits (bounded) for a thread that is inside a record call. First runs the
 * observe hook (below), so what it records is in this collection. Returns CENSUS_OK, or
 * CENSUS_ENOMEM when the list of threads could not be allocated: nothing was collected (what was
 * recorded stays for the next collection), so the caller must not present the totals as current
 * (a snapshot would silently miss what was recorded). */
census_status census__collect_locked(void);

/* Sets the function every collection runs first, under COLLECT, on the collecting thread: the
 * observable instruments' callbacks (instruments/observable.c). The lifecycle sets it at load;
 * the collector depends on no module above stats. */
void census__collector_set_observe_hook(void (*hook)(void));

/* census_shutdown() (under COLLECT) and the fork child: forget per-collection state; the child
 * also re-creates COLLECT, which a thread of the parent may have held. */
void census__collector_shutdown(void);
void census__collector_fork_child(void);

#endif
