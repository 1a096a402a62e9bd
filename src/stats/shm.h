/* shm.h - shared-memory mode, the writing side: this process's file of cells (shm_format.h), the
 * record path's update of a shared cell, the leader of the group, and the lifecycle hooks. */
#ifndef CENSUS_STATS_SHM_H
#define CENSUS_STATS_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stats/cell.h"
#include "stats/stats_internal.h"

/* 0 while shared-memory mode is off; otherwise bumped whenever this process's file changes
 * (enabled, a fork child), so that each cell attaches to the current file on its next record.
 * Read (relaxed) by the record path: a line written once per enable or fork. Declared hidden so
 * that position-independent code reads it directly (a load, a test and a branch), not through
 * the GOT. */
extern __attribute__((visibility("hidden"))) _Atomic uint32_t census__shm_epoch;

/* A live cell in the file: the committed generation and two slots of the view's words. */
struct census__shm_cell {
  _Atomic uint64_t gen;
  uint64_t last_bucket; /* DISTRIBUTION: the bucket word the last update changed (0: none) */
  _Atomic uint64_t slots[];
};

/* Attaches `cell` (the calling thread's cell of a series) to this process's file: sets
 * cell->shm to a new shared cell (NULL if shared-memory mode is off, or the file could not hold
 * it: reported once, counted in census_shm_stats()) and cell->shm_epoch. Cold; takes SHM. */
void census__shm_cell_attach(struct census__cell *cell);

/* Adds one measurement into a shared cell: computes the next state into the slot `gen` does not
 * name (copying into it only what differs from the committed slot), then publishes it by
 * storing gen + 1 (release). Single writer: plain loads and stores;
 * the release fence orders the previous gen store before this record's slot stores (a reader
 * that sees any of them sees gen move). On x86 both fences are compiler barriers. */
static inline void census__shm_cell_update(const struct census__rview *view,
                                           struct census__shm_cell *c,
                                           const struct census__measurement *m) {
  uint64_t g = atomic_load_explicit(&c->gen, memory_order_relaxed);
  size_t words = view->layout_words; /* shared cells carry no exemplars */
  _Atomic uint64_t *src = c->slots + (g & 1) * words, *dst = c->slots + ((g + 1) & 1) * words;
  atomic_thread_fence(memory_order_release);
  if (view->def.aggregation.type != CENSUS_AGGREGATION_DISTRIBUTION) {
    for (size_t i = 0; i < words; i++) {
      word_store(&dst[i], word_load(&src[i]));
    }
    census__cell_update(view->plain, dst, m); /* shared cells carry no exemplars */
  } else {
    /* dst is the state before the last update: it differs from src in the head words and the
     * bucket that update changed, nothing else. */
    for (size_t i = 0; i < WORD_BUCKETS; i++) {
      word_store(&dst[i], word_load(&src[i]));
    }
    if (c->last_bucket) {
      word_store(&dst[c->last_bucket], word_load(&src[c->last_bucket]));
    }
    c->last_bucket = census__cell_distribution_update(view, dst, m);
  }
  atomic_store_explicit(&c->gen, g + 1, memory_order_release);
}

/* The record path's step after updating a cell: attach it when the epoch moved, then update its
 * shared cell if it has one. */
static inline void census__shm_record(struct census__cell *cell, const struct census__rview *view,
                                      const struct census__measurement *m) {
  uint32_t epoch = atomic_load_explicit(&census__shm_epoch, memory_order_relaxed);
  if (__builtin_expect(cell->shm_epoch != epoch, 0)) {
    census__shm_cell_attach(cell);
  }
  if (cell->shm) {
    census__shm_cell_update(view, cell->shm, m);
  }
}

/* Turns shared-memory mode on from CENSUS_SHM_DIR (and CENSUS_SHM_GAUGE) when set and the mode
 * is still off; a bad value is reported once. Called where census already takes a slow path (a
 * new cell, a collection). */
void census__shm_env_poll(void);

/* The directory of the group (a copy, free() it), or NULL when the mode is off. */
char *census__shm_dir(void);

/* Whether this process is the group's leader, the one that pushes the group's merged view to
 * push exporters: it holds an exclusive flock() on <dir>/census-leader.lock, taken here when
 * free (one non-blocking try per call), held until exit, shutdown or a fork (the child is never
 * leader; the kernel releases a dead leader's lock, so another process takes over at its next
 * export). False when the mode is off. Caller holds COLLECT. */
bool census__shm_leader(void);

/* The gauge mode set by census_shm_gauge_mode_set() or CENSUS_SHM_GAUGE. */
int census__shm_gauge_mode(void);

/* Lifecycle: fork child (the parent's file, mappings and leader lock are the parent's: closed
 * here, and the epoch moves so the child's cells attach to a file of its own); shutdown (unmaps
 * and closes; the file stays for the group to read). Called with no census lock held by the
 * caller that SHM would invert. */
void census__shm_fork_prepare(void);
void census__shm_fork_parent(void);
void census__shm_fork_child(void);
void census__shm_shutdown(void);

#endif
