/* span_pool.h - the pool of span records: where span.c takes a record to start a span and where
 * an ended one goes back (span.c for an unsampled span, the export queue after export).
 *
 * Records live in chunks that are never freed, so looking a handle up is always memory-safe:
 * handle = index << 32 | generation, and a record answers only while its generation matches
 * (census__span_lookup(), inline: every span call does it). Free records wait on a global list
 * under SPAN_POOL (as whole linked batches of 64, span_pool.c); each thread keeps a private list of
 * them (span.c's) that it refills from, and spills to, the global one in batches, so starting and
 * ending a span takes no lock. An exported
 * sampled record goes back to the thread that ended it (span_queue.c), not to the global list,
 * except when that thread has exited.
 */
#ifndef CENSUS_TRACE_SPAN_POOL_H
#define CENSUS_TRACE_SPAN_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/trace.h"
#include "trace/span_internal.h"

#define CENSUS__SPAN_CHUNK_RECORDS 256
#define CENSUS__SPAN_MAX_CHUNKS 4096

/* The chunks made so far (span_pool.c); NULL beyond. */
extern __attribute__((visibility(
    "hidden"))) _Atomic(struct census_span_data *) census__span_chunks[CENSUS__SPAN_MAX_CHUNKS];

/* A thread's private list of free records holds at most about this many: beyond, half of them go
 * back to the global list. */
#define CENSUS__SPAN_LOCAL_MAX 512

/* A thread's private list of free records. */
struct census__span_free_list {
  struct census_span_data *free;
  size_t count;
};

/* The calling thread's list (span.c), for the export queue's rare paths that fill it. */
struct census__span_free_list *census__span_local_list(void);

/* Moves a batch of free records from the global list to `list`, growing the pool by a chunk when
 * the global list is empty. False only when memory is exhausted and `list` is still empty. O(1)
 * when `list` is empty (span_start()'s case): one whole batch is taken. Takes SPAN_POOL. */
bool census__span_pool_refill(struct census__span_free_list *list);

/* Moves records from `list` to the global list until `keep` are left. */
void census__span_pool_spill(struct census__span_free_list *list, size_t keep);

/* Resets what an ended sampled record holds (its attributes, events, links, its arena beyond the
 * first block), keeping capacity, so it can start another span. */
void census__span_record_clear(struct census_span_data *record);

/* Frees an arena's blocks beyond `keep`, the first, and empties it. */
void census__span_arena_reset(struct census__arena_block *keep);

/* census__span_record_clear(), inline: the arena (another cache line) is written only when the
 * span used it. */
static inline void census__span_record_reset(struct census_span_data *r) {
  struct census__arena_block *keep = r->arena;
  if (keep && (keep->next || keep->used)) {
    census__span_arena_reset(keep);
  }
  r->attr_count = r->dropped_attrs = 0;
  r->event_count = r->dropped_events = 0;
  r->link_count = r->dropped_links = 0;
  r->status = CENSUS_SPAN_STATUS_UNSET;
  r->status_message = "";
  r->name = "";
}

/* Clears ended sampled records and gives them back to the global list under one lock (the export
 * queue: the records of exited threads, and a forked child's inherited queue). */
void census__span_release_batch(struct census_span_data *const *records, size_t count);
void census__span_release(struct census_span_data *record);

/* The live record `span` names, or NULL (0, a stale handle, an index never made). */
static inline struct census_span_data *census__span_lookup(census_span span) {
  uint32_t index = (uint32_t)(span >> 32);
  if (index == 0 || index / CENSUS__SPAN_CHUNK_RECORDS >= CENSUS__SPAN_MAX_CHUNKS) {
    return NULL;
  }
  struct census_span_data *chunk = atomic_load_explicit(
      &census__span_chunks[index / CENSUS__SPAN_CHUNK_RECORDS], memory_order_acquire);
  if (!chunk) {
    return NULL;
  }
  struct census_span_data *r = &chunk[index % CENSUS__SPAN_CHUNK_RECORDS];
  return atomic_load_explicit(&r->generation, memory_order_relaxed) == (uint32_t)span ? r : NULL;
}

/* The handle naming `r` in its current generation. */
static inline census_span census__span_handle(struct census_span_data *r) {
  return (uint64_t)r->index << 32 | atomic_load_explicit(&r->generation, memory_order_relaxed);
}

/* fork(): prepare takes SPAN_POOL; parent and child release it (the pool is inherited whole). */
void census__span_pool_fork_prepare(void);
void census__span_pool_fork_parent(void);

#endif
