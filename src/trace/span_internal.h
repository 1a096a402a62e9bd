/* span_internal.h - the span record, shared by the span API (span.c), the export queue
 * (span_queue.c) and the exporters' read-only view (span_data.c).
 *
 * A record is owned by whoever holds it: the pool (free), the thread using the span (live), the
 * export queue (ended, sampled), the export worker (while exporting). Ownership moves under the
 * pool or queue mutex, which orders everything written before. A live record's `generation`
 * matches its handle; ending a span bumps it, so later calls with that handle find nothing.
 */
#ifndef CENSUS_TRACE_SPAN_INTERNAL_H
#define CENSUS_TRACE_SPAN_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/trace.h"

struct census__attr {
  const char *key;
  census_attribute_type type;
  union {
    const char *s;
    int64_t i;
    double d;
    bool b;
  } value;
};

struct census__event {
  const char *name;
  int64_t time_ns;
  struct census__attr *attrs; /* in the arena */
  uint32_t attr_count;
};

struct census__link {
  uint8_t trace_id[CENSUS_TRACE_ID_SIZE];
  uint8_t span_id[CENSUS_SPAN_ID_SIZE];
  uint8_t trace_flags;
  const char *tracestate; /* in the arena */
};

/* Bump allocator for a span's strings; blocks are kept across reuse of the record. */
struct census__arena_block {
  struct census__arena_block *next;
  size_t capacity, used;
  char data[];
};

struct census_span_data {
  _Atomic uint32_t generation;
  uint32_t index;
  struct census_span_data *next; /* free list or export queue overflow */
  bool sampled, has_parent, parent_remote;
  census_trace_context context;
  uint8_t parent_span_id[CENSUS_SPAN_ID_SIZE];
  census_span_kind kind;
  int64_t start_ns, end_ns;
  census_span previous_current; /* restored when it ends, if it is still current */
  const char *name;             /* name_inline, or a copy in the arena when longer */
  char name_inline[40];         /* most names fit: the arena (another cache line) stays cold */
  struct census__attr *attrs;
  uint32_t attr_count, attr_capacity, dropped_attrs;
  struct census__event *events;
  uint32_t event_count, event_capacity, dropped_events;
  struct census__link *links;
  uint32_t link_count, link_capacity, dropped_links;
  census_span_status_code status;
  const char *status_message;
  census_span_limits limits;
  struct census__arena_block *arena;
};

/* Gives an ended sampled record back to the pool (export queue, after export or a drop). */
void census__span_release(struct census_span_data *record);
/* The same for a batch, under one lock (after an export). */
void census__span_release_batch(struct census_span_data *const *records, size_t count);

/* In a fork child: re-creates the pool's lock. */
void census__span_pool_fork_child(void);

/* Export queue (span_queue.c). */
bool census__span_queue_push(struct census_span_data *record);
void census__span_queue_start(void);
/* Exports every queued span (in batches) before the deadline; flush_exporters also calls the
 * span exporters' flush callbacks, all at once (census__flush_run()). Returns CENSUS_OK,
 * CENSUS_EEXPORT, CENSUS_ENOMEM or CENSUS_ETIMEDOUT (census__status_merge()). */
census_status census__spans_export_all(int64_t deadline_ns, bool flush_exporters);
/* The lock that makes span exports one at a time (nested inside collect_mu when both are held),
 * taken by a monotonic deadline: CENSUS_OK or CENSUS_ETIMEDOUT. */
census_status census__spans_lock(int64_t deadline_ns);
void census__spans_unlock(void);
/* With census__spans_lock() held: exports every queued span to every span exporter before the
 * deadline and, with `flushes` not NULL, appends each exporter's flush callback to it (a flush
 * that cannot be appended is called here). The caller keeps the lock until the appended flushes
 * have run. Returns as census__spans_export_all(). */
struct census__flush_jobs;
census_status census__spans_export_locked(int64_t deadline_ns, struct census__flush_jobs *flushes);
/* With census__spans_lock() held, at the exit deadline: takes every span still queued out of the
 * queue, returns it to the pool and counts it as dropped (census_trace_dropped_spans(),
 * census/dropped_spans); returns how many. They would never be exported: the process is ending. */
size_t census__spans_drop_queued_locked(void);
/* Milliseconds between scheduled span exports, and whether a full batch is waiting. */
int64_t census__span_schedule_delay_ms(void);
void census__spans_shutdown(int64_t deadline_ns);
void census__spans_fork_child(void);

/* Tracing start-up: environment (OTEL_BSP_*, OTEL_SPAN_*_LIMIT) and the queue. */
void census__trace_start(void);

/* Counts spans dropped by a full queue in census/dropped_spans. */
void census__count_dropped_spans(int64_t count);

#endif
