/* span_pool.c - the pool of span records (see span_pool.h). Only growing the pool allocates:
 * a chunk of CENSUS__SPAN_CHUNK_RECORDS records at a time, up to CENSUS__SPAN_MAX_CHUNKS.
 *
 * The global free records are kept mostly as whole batches of REFILL records, each already linked
 * through `next`, so a thread's refill takes one batch in O(1) (it used to move 64 records one by
 * one, about 24 instructions per span in span_sampled_start_end) and a spill or a returned batch
 * of REFILL records links in the same way. Batches are chained through their first record's
 * `previous_current`, a field a free record does not use (span_start() sets it before anything
 * reads it). Records that do not make a whole batch wait on a loose list. */
#include "trace/span_pool.h"

#include <stdlib.h>

#include "core/lock.h"
#include "core/alloc.h"

#define REFILL 64

_Atomic(struct census_span_data *) census__span_chunks[CENSUS__SPAN_MAX_CHUNKS];

/* The global free records and the chunk count, under pool_mu: whole batches of REFILL records
 * (global_batches) and the loose rest (global_free). */
static census__mutex pool_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_POOL);
static size_t chunk_count;
static struct census_span_data *global_free;
static struct census_span_data *global_batches;

/* The batch chained after `first` (see the file comment). */
static inline struct census_span_data *batch_next(const struct census_span_data *first) {
  return (struct census_span_data *)(uintptr_t)first->previous_current;
}

/* Pushes the batch of REFILL records starting at `first` (linked through `next`). Caller holds
 * pool_mu. */
static inline void batch_push(struct census_span_data *first) {
  first->previous_current = (census_span)(uintptr_t)global_batches;
  global_batches = first;
}

/* Adds a chunk's records to the global free records, as whole batches. Caller holds pool_mu. */
static void pool_grow(void) {
  struct census_span_data *chunk = census__calloc(CENSUS__SPAN_CHUNK_RECORDS, sizeof *chunk);
  if (!chunk) {
    return;
  }
  size_t c = chunk_count++;
  uint32_t base = (uint32_t)(c * CENSUS__SPAN_CHUNK_RECORDS);
  for (size_t i = 0; i < CENSUS__SPAN_CHUNK_RECORDS; i++) { /* one straight pass: the batches */
    chunk[i].index = base + (uint32_t)i;
    chunk[i].next = &chunk[i + 1];
  }
  size_t first = c == 0 ? 1 : 0; /* index 0 would make handle 0, "no span" */
  size_t end = CENSUS__SPAN_CHUNK_RECORDS;
  for (; end - first >= REFILL; end -= REFILL) {
    chunk[end - 1].next = NULL;
    batch_push(&chunk[end - REFILL]);
  }
  for (size_t i = first; i < end; i++) { /* chunk 0's short run */
    chunk[i].next = global_free;
    global_free = &chunk[i];
  }
  atomic_store_explicit(&census__span_chunks[c], chunk, memory_order_release);
}

bool census__span_pool_refill(struct census__span_free_list *list) {
  census__mutex_lock(&pool_mu);
  if (!global_batches && !global_free && chunk_count < CENSUS__SPAN_MAX_CHUNKS) {
    pool_grow();
  }
  if (global_batches && !list->free) {
    struct census_span_data *first = global_batches;
    global_batches = batch_next(first);
    list->free = first;
    list->count += REFILL;
  } else {
    for (int i = 0; i < REFILL && global_free; i++) {
      struct census_span_data *r = global_free;
      global_free = r->next;
      r->next = list->free;
      list->free = r;
      list->count++;
    }
    if (!list->free && global_batches) { /* a batch, but `list` was not empty: never so */
      struct census_span_data *first = global_batches;
      global_batches = batch_next(first);
      list->free = first;
      list->count += REFILL;
    }
  }
  census__mutex_unlock(&pool_mu);
  return list->free != NULL;
}

void census__span_pool_spill(struct census__span_free_list *list, size_t keep) {
  census__mutex_lock(&pool_mu);
  while (list->count >= keep + REFILL) { /* whole batches: cut REFILL records off the front */
    struct census_span_data *first = list->free, *last = first;
    for (int i = 1; i < REFILL; i++) {
      last = last->next;
    }
    list->free = last->next;
    last->next = NULL;
    list->count -= REFILL;
    batch_push(first);
  }
  while (list->count > keep) {
    struct census_span_data *x = list->free;
    list->free = x->next;
    x->next = global_free;
    global_free = x;
    list->count--;
  }
  census__mutex_unlock(&pool_mu);
}

void census__span_arena_reset(struct census__arena_block *keep) {
  struct census__arena_block *b = keep->next;
  while (b) {
    struct census__arena_block *next = b->next;
    census__free(b);
    b = next;
  }
  keep->next = NULL;
  keep->used = 0;
}

void census__span_record_clear(struct census_span_data *r) { census__span_record_reset(r); }

void census__span_release(struct census_span_data *r) { census__span_release_batch(&r, 1); }

void census__span_release_batch(struct census_span_data *const *records, size_t count) {
  for (size_t i = 0; i < count; i++) {
    census__span_record_clear(records[i]);
  }
  census__mutex_lock(&pool_mu);
  if (count == REFILL) { /* the export queue's batches: one whole batch */
    for (size_t i = 0; i + 1 < count; i++) {
      records[i]->next = records[i + 1];
    }
    records[count - 1]->next = NULL;
    batch_push(records[0]);
  } else {
    for (size_t i = 0; i < count; i++) {
      records[i]->next = global_free;
      global_free = records[i];
    }
  }
  census__mutex_unlock(&pool_mu);
}

void census__span_pool_fork_prepare(void) { census__mutex_lock(&pool_mu); }

void census__span_pool_fork_parent(void) { census__mutex_unlock(&pool_mu); }
