/* span_internal.h - the span record, shared by the span API (span.c), the pool (span_pool.c),
 * the export queue (span_queue.c) and the exporters' read-only view (span_data.c).
 *
 * A record is owned by whoever holds it: the pool (free), the thread using the span (live), the
 * export queue (ended, sampled), the export worker (while exporting, reading only), then the
 * thread that ended it again (span_queue.c's reclaim). Ownership moves under the pool mutex or
 * by the queue ring's release/acquire indices, which order everything written before. A live
 * record's `generation` matches its handle; ending a span bumps it, so later calls with that handle
 * find nothing.
 */
#ifndef CENSUS_TRACE_SPAN_INTERNAL_H
#define CENSUS_TRACE_SPAN_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/trace.h"

/* The calling thread's current span's context, read in place (census_span_context() copies it
 * with its 513-byte tracestate): for exemplars (stats/exemplar.c), which need only the ids and
 * flags on a record path. NULL when no span is current. The record stays the calling thread's
 * while its span is current, as with census_span_context(). Lock-free, no allocation. */
const census_trace_context *census__span_current_context(void);

/* Before a fork (span_queue.c's census__spans_fork_prepare()): draws the ids of the calling
 * thread's current spans if a fast start left them undrawn, so that parent and child agree on
 * them. No lock. */
void census__span_fork_prepare(void);

/* census_span_start() without its fast path (span.c): every case, for the tests that check the
 * fast path makes the same span from the same generator state. Same contract. */
census_span census__span_start_plain(const char *name, const census_span_options *o);

/* Bits of a record's ids_pending. */
enum {
  CENSUS__SPAN_IDS_SPAN = 1,  /* the span id is not drawn yet */
  CENSUS__SPAN_IDS_TRACE = 2, /* nor the trace id (a root's; only with CENSUS__SPAN_IDS_SPAN) */
  CENSUS__SPAN_IDS_BUSY = 4,  /* a thread is drawing them (span.c, span_ids_draw()) */
};

/* At most this many span observers at once (span_observer.c). */
#define CENSUS__SPAN_OBSERVERS_MAX 4

/* An attribute. An array's elements (and, for strings, each element's copy) are in the arena;
 * its count sits in what was the padding after `type`, so the record's attribute array keeps its
 * 24 bytes per attribute and the scalar setters' cost is unchanged. */
struct census__attr {
  const char *key;
  census_attribute_type type;
  uint32_t count; /* the array types' number of elements; 0 for scalars */
  union {
    const char *s;
    int64_t i;
    double d;
    bool b;
    const void *array; /* the array types: `count` elements, in the arena */
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
  /* Recording although the sampler refused it, because an observer asked for such spans
   * (span_observer.h): seen by observers, never exported. Set only then, cleared at the end. */
  bool record_only;
  /* Bits of the observer slots whose on_start saw this span; 0 in a free record (set only while
   * observers are registered, cleared when the span ends). */
  uint8_t observed;
  /* CENSUS__SPAN_IDS_* bits: ids a fast start left undrawn (span.c, span_ids_ready()); 0 once
   * drawn, and always 0 in a recording span. Every read of a live span's ids goes through
   * span_ids_ready(), which draws them on first use. */
  _Atomic uint8_t ids_pending;
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
  /* Per observer slot seen (bits of `observed`): the slot's registration generation at the start
   * and what its on_start returned. */
  uint32_t observer_gen[CENSUS__SPAN_OBSERVERS_MAX];
  uint64_t observer_cookie[CENSUS__SPAN_OBSERVERS_MAX];
};

#endif
