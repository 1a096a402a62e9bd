/* span_pool.c - the pool of span records (see span_pool.h). Only growing the pool allocates:
 * a chunk of CENSUS__SPAN_CHUNK_RECORDS records at a time, up to CENSUS__SPAN_MAX_CHUNKS. */
#include "trace/span_pool.h"

#include <stdlib.h>

#include "core/lock.h"
#include "core/alloc.h"

#define REFILL 64

_Atomic(struct census_span_data *) census__span_chunks[CENSUS__SPAN_MAX_CHUNKS];

/* The global free list and the chunk count, under pool_mu. */
static census__mutex pool_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_POOL);
static size_t chunk_count;
static struct census_span_data *global_free;

/* Adds a chunk's records to the global list. Caller holds pool_mu. */
static void pool_grow(void) {
  struct census_span_data *chunk = census__calloc(CENSUS__SPAN_CHUNK_RECORDS, sizeof *chunk);
  if (!chunk) {
    return;
  }
  size_t c = chunk_count++;
  for (size_t i = CENSUS__SPAN_CHUNK_RECORDS; i-- > 0;) {
    chunk[i].index = (uint32_t)(c * CENSUS__SPAN_CHUNK_RECORDS + i);
    if (chunk[i].index != 0) { /* index 0 would make handle 0, "no span" */
      chunk[i].next = global_free;
      global_free = &chunk[i];
    }
  }
  atomic_store_explicit(&census__span_chunks[c], chunk, memory_order_release);
}

bool census__span_pool_refill(struct census__span_free_list *list) {
  census__mutex_lock(&pool_mu);
  if (!global_free && chunk_count < CENSUS__SPAN_MAX_CHUNKS) {
    pool_grow();
  }
  for (int i = 0; i < REFILL && global_free; i++) {
    struct census_span_data *r = global_free;
    global_free = r->next;
    r->next = list->free;
    list->free = r;
    list->count++;
  }
  census__mutex_unlock(&pool_mu);
  return list->free != NULL;
}

void census__span_pool_spill(struct census__span_free_list *list, size_t keep) {
  census__mutex_lock(&pool_mu);
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
  for (size_t i = 0; i < count; i++) {
    records[i]->next = global_free;
    global_free = records[i];
  }
  census__mutex_unlock(&pool_mu);
}

void census__span_pool_fork_prepare(void) { census__mutex_lock(&pool_mu); }

void census__span_pool_fork_parent(void) { census__mutex_unlock(&pool_mu); }
