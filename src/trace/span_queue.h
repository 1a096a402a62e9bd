/* span_queue.h - the batch span processor (span_queue.c): the bounded queue of ended sampled
 * spans, the span exporters, and the span exports the worker and the lifecycle run. */
#ifndef CENSUS_TRACE_SPAN_QUEUE_H
#define CENSUS_TRACE_SPAN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"
#include "trace/span_internal.h"
#include "trace/span_pool.h"

struct census__flush_jobs;

/* Queues an ended sampled span for export. False when it is not queued: no span exporter is
 * registered (nothing to export it to), or it was dropped and counted (queue full, or after
 * census_shutdown()); the caller then gives the record back to the pool. Never blocks. The record
 * comes back to the calling thread once exported (census__span_queue_reclaim()); when the calling
 * thread's ring is full of such records, some are moved to its free list
 * (census__span_local_list()) here. */
bool census__span_queue_push(struct census_span_data *record);

/* Moves up to `max` records that the calling thread queued and that were exported since to
 * `list` (the calling thread's), cleared for reuse; returns how many. No lock: one acquire load
 * of what the exporter published once per batch. */
size_t census__span_queue_reclaim(struct census__span_free_list *list, size_t max);

/* The end of the range of exported slots a ring's owner may take back: from `at` (its reclaim
 * index) up to `done` (how far the export got), at most `max`. `at` past `done` (a stale done,
 * which the load order in ring_reclaim() rules out) gives an empty range rather than a range
 * that wrapped: slots past done hold spans still queued or records already reused. */
static inline size_t census__span_reclaim_end(size_t at, size_t done, size_t max) {
  size_t ready = done - at;
  if (ready > (SIZE_MAX >> 1)) {
    return at; /* at is past done */
  }
  return ready > max ? at + max : done;
}

/* Appends a span exporter (registration; lifecycle.c starts the worker first). CENSUS_OK or
 * CENSUS_ENOMEM. */
census_status census__span_exporters_add(const census_span_exporter_ops *ops, void *user);

/* Exports every queued span (in batches) before the deadline; flush_exporters also calls the
 * span exporters' flush callbacks, all at once (census__flush_run()). Takes SPAN_EXPORT. Returns
 * CENSUS_OK, CENSUS_EEXPORT, CENSUS_ENOMEM or CENSUS_ETIMEDOUT (census__status_merge()). */
census_status census__spans_export_all(int64_t deadline_ns, bool flush_exporters);

/* SPAN_EXPORT, which makes span exports one at a time (inside COLLECT when both are held), taken
 * by a monotonic deadline: CENSUS_OK or CENSUS_ETIMEDOUT. */
census_status census__spans_lock(int64_t deadline_ns);
void census__spans_unlock(void);

/* With SPAN_EXPORT held: exports every queued span to every span exporter before the deadline
 * and, with `flushes` not NULL, appends each exporter's flush callback to it (a flush that cannot
 * be appended is called here). The caller keeps the lock until the appended flushes have run.
 * Returns as census__spans_export_all(). */
census_status census__spans_export_locked(int64_t deadline_ns, struct census__flush_jobs *flushes);

/* With SPAN_EXPORT held, at the exit deadline: takes every span still queued out of the queue,
 * returns it to the pool and counts it as dropped (census_trace_dropped_spans(),
 * census/dropped_spans); returns how many. They would never be exported: the process is ending. */
size_t census__spans_drop_queued_locked(void);

/* Milliseconds between scheduled span exports (the worker). */
int64_t census__span_schedule_delay_ms(void);

/* census_shutdown(): exports what is queued, flushes, then calls every span exporter's shutdown
 * and forgets them. */
void census__spans_shutdown(int64_t deadline_ns);

/* fork(): prepare takes SPAN_EXPORTERS, SPAN_OPTIONS and SPAN_RINGS; parent releases them; child
 * gives the queued spans back to the pool (they are the parent's to export), re-creates
 * SPAN_EXPORT (a parent's thread may have held it) and releases them. */
void census__spans_fork_prepare(void);
void census__spans_fork_parent(void);
void census__spans_fork_child(void);

#endif
