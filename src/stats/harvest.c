/* harvest.c - see harvest.h. A half is copied to scratch words (plain memory: the merge reads
 * each word once), merged into the totals and reset; a half with no data (word 0 is the count, or
 * the last-value time, of every layout) is only read, so idle cells stay in their thread's
 * cache. Views whose rows saturate in a collection are queued on their saturated_next links, for
 * the collector to report after harvesting. */
#include "stats/harvest.h"

#include <stdbool.h>
#include <stdlib.h>

#include "stats/aggregation.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

static uint64_t *scratch;
static size_t scratch_words;
static struct census__rview *saturated_views;

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
}
