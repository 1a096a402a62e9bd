/* harvest.c - see harvest.h. A half is copied to scratch words (plain memory: the merge reads
 * each word once), merged into the totals and reset; a half with no data (word 0 is the count, or
 * the last-value time, of every layout) is only read, so idle cells stay in their thread's
 * cache. Views whose rows saturate in a collection are queued on their saturated_next links, for
 * the collector to report after harvesting. In shared-memory mode, each series whose totals a
 * merge changed is queued once (its carry_queued flag) in the carry queue, an array this file
 * owns: the collector then carries those totals, and only those, into this process's file
 * (collector.c). A series that cannot be queued (no memory) sets carry_lost, and the collector
 * then carries every series. */
#include "stats/harvest.h"

#include <stdbool.h>
#include <stdlib.h>

#include "stats/aggregation.h"
#include "stats/shm.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

static uint64_t *scratch;
static size_t scratch_words;
static struct census__rview *saturated_views;
static struct census__carry_item *carry_queue;
static size_t carry_count, carry_cap;
static bool carry_lost;

void census__harvest_words(struct census__rview *view, struct census__series *series,
                           _Atomic uint64_t *w) {
  if (atomic_load_explicit(&w[0], memory_order_relaxed) == 0) {
    return;
  }
  if (scratch_words < view->words) {
    uint64_t *grown = census__realloc(scratch, 2 * view->words * sizeof *grown);
    if (!grown) {
      return; /* left in place: a later collection takes it */
    }
    scratch = grown;
    scratch_words = 2 * view->words;
  }
  for (size_t i = 0; i < view->words; i++) {
    scratch[i] = atomic_load_explicit(&w[i], memory_order_relaxed);
  }
  if (census__words_merge(view, series->totals, scratch) && !series->saturated) {
    series->saturated = true;
    if (view->saturated_pending++ == 0) {
      view->saturated_next = saturated_views;
      saturated_views = view;
    }
  }
  census__words_reset(view, scratch);
  for (size_t i = 0; i < view->words; i++) {
    atomic_store_explicit(&w[i], scratch[i], memory_order_relaxed);
  }
  if (atomic_load_explicit(&census__shm_epoch, memory_order_relaxed)) {
    census__harvest_carry_add(view, series); /* the collector decides what it carries */
  }
}

void census__harvest_carry_add(struct census__rview *view, struct census__series *series) {
  if (series->carry_queued) {
    return;
  }
  if (carry_count == carry_cap) {
    size_t cap = carry_cap ? 2 * carry_cap : 64;
    struct census__carry_item *grown = census__realloc(carry_queue, cap * sizeof *grown);
    if (!grown) {
      carry_lost = true; /* the collector carries every series instead */
      return;
    }
    carry_queue = grown;
    carry_cap = cap;
  }
  series->carry_queued = true;
  carry_queue[carry_count++] = (struct census__carry_item){view, series};
}

void census__harvest_carry_lost(void) { carry_lost = true; }

struct census__carry_item *census__harvest_carry_take(size_t *count, bool *lost) {
  struct census__carry_item *taken = carry_queue;
  *count = carry_count;
  *lost = carry_lost;
  for (size_t i = 0; i < carry_count; i++) {
    carry_queue[i].series->carry_queued = false;
  }
  carry_queue = NULL;
  carry_count = carry_cap = 0;
  carry_lost = false;
  return taken;
}

struct census__rview *census__harvest_take_saturated(void) {
  struct census__rview *view = saturated_views;
  if (view) {
    saturated_views = view->saturated_next;
    view->saturated_next = NULL;
  }
  return view;
}

void census__harvest_reset(void) {
  census__free(scratch);
  scratch = NULL;
  scratch_words = 0;
  saturated_views = NULL; /* a fork child of a collection in progress: its series are reset */
  census__free(carry_queue);
  carry_queue = NULL;
  carry_count = carry_cap = 0;
  carry_lost = false;
}
