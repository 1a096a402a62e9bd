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

/* A live cell in the file: the committed generation, the writer's own word and two slots of the
 * view's words. Each update of a COUNT, SUM or DISTRIBUTION cell adds exactly one to its count
 * and to gen, both starting at 0: the committed count is gen, so the writer stores gen + 1 as
 * the next count without loading the committed slot. */
struct census__shm_cell {
  _Atomic uint64_t gen;
  /* Readers skip it. SUM: the committed sum (the next one is computed from it, not from the
   * slot gen names); DISTRIBUTION: the bucket word the last update changed (0: none). */
  uint64_t own;
  _Atomic uint64_t slots[];
};

/* Attaches `cell` (the calling thread's cell of a series) to this process's file: sets
 * cell->shm to a new shared cell (NULL if shared-memory mode is off, or the file could not hold
 * it: reported once, counted in census_shm_stats()) and cell->shm_epoch. Cold; takes SHM. */
void census__shm_cell_attach(struct census__cell *cell);

/* A DISTRIBUTION slot `dst` made from the committed slot `src`, whose count is `n` - 1, plus one
 * value of a measure of type `is_double` and sign `is_signed`: the moment words (as
 * census__moments_add() computes them, read from src), the bucket word `b` (index of the word,
 * census__shm_distribution_bucket()), and the bucket word
 * `last` the previous update changed (0: none), which is the only other word in which dst, the
 * state before that update, differs from src. Returns b. */
static inline size_t census__shm_distribution_add(bool is_double, bool is_signed,
                                                  _Atomic uint64_t *src, _Atomic uint64_t *dst,
                                                  uint64_t n, size_t last, size_t b,
                                                  const struct census__measurement *m) {
  double x = m->double_value;
  double shift = dword_load(&src[WORD_SHIFT]); /* loaded either way: no branch */
  shift = n == 1 ? x : shift;
  double d = x - shift;
  double min = dword_load(&src[WORD_MIN]), max = dword_load(&src[WORD_MAX]);
  /* First, and with no test: `last` is 0 (the count word, stored next) until the first update
   * has named a bucket, so the copy is then overwritten, never wrong. */
  word_store(&dst[last], word_load(&src[last]));
  word_store(&dst[WORD_COUNT], n);
  if (is_double) { /* the double words one SSE move each (dword_load(), cell.h) */
    dword_store(&dst[WORD_SUM], dword_load(&src[WORD_SUM]) + x);
  } else {
    word_store(&dst[WORD_SUM], census__sum_add(false, is_signed, word_load(&src[WORD_SUM]), m));
  }
  dword_store(&dst[WORD_SHIFT], shift);
  dword_store(&dst[WORD_S1], dword_load(&src[WORD_S1]) + d);
  dword_store(&dst[WORD_S2], dword_load(&src[WORD_S2]) + d * d);
  dword_store(&dst[WORD_MIN], x < min ? x : min);
  dword_store(&dst[WORD_MAX], x > max ? x : max);
  word_store(&dst[b], word_load(&src[b]) + 1);
  return b;
}

/* The slot of a cell whose committed generation is `g` that the next update writes: slot
 * (g + 1) & 1 of `words` words. A mask, not a multiply, so that the address is ready a cycle
 * after g. */
static inline _Atomic uint64_t *census__shm_next_slot(struct census__shm_cell *c, uint64_t g,
                                                      size_t words) {
  return c->slots + (-((g + 1) & 1) & words);
}

/* The start and the end of an update of a shared cell: its committed generation g (the next
 * state goes to the slot g does not name), and the release fence that orders the previous gen
 * store before this update's slot stores; then g + 1 stored (release), which publishes the next
 * state. Single writer. On x86 both are plain moves. */
static inline uint64_t census__shm_begin(struct census__shm_cell *c) {
  uint64_t g = atomic_load_explicit(&c->gen, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  return g;
}

static inline void census__shm_publish(struct census__shm_cell *c, uint64_t g) {
  atomic_store_explicit(&c->gen, g + 1, memory_order_release);
}

/* The next state of a COUNT shared cell whose committed generation is `g`: its count is g + 1
 * (struct census__shm_cell), so no slot is loaded. */
static inline void census__shm_count_next(struct census__shm_cell *c, uint64_t g) {
  word_store(census__shm_next_slot(c, g, 1), g + 1);
}

/* The next state of a SUM shared cell (words: count, sum) whose committed generation is `g`:
 * count g + 1, the sum the writer's own word plus m (kept there, so no slot is loaded). */
static inline void census__shm_sum_next(struct census__shm_cell *c, uint64_t g, bool is_double,
                                        bool is_signed, const struct census__measurement *m) {
  uint64_t sum = census__sum_add(is_double, is_signed, c->own, m);
  _Atomic uint64_t *dst = census__shm_next_slot(c, g, 2);
  c->own = sum;
  word_store(&dst[WORD_COUNT], g + 1);
  word_store(&dst[WORD_SUM], sum);
}

/* The bucket word of a DISTRIBUTION view's cell that counts `x` (the view's padded bounds,
 * bucket_index()). */
static inline size_t census__shm_distribution_bucket(const struct census__rview *view, double x) {
  return WORD_BUCKETS +
         bucket_index(view->def.aggregation.bounds, view->def.aggregation.bound_count, x);
}

/* Adds one measurement into a shared cell: writes the next state into the slot `gen` does not
 * name, then publishes it by storing gen + 1 (release). COUNT and SUM write the next state from
 * gen and the writer's own word alone (census__shm_count_next(), census__shm_sum_next()), so
 * the update loads no slot and its chains through memory (gen, the sum) do not wait for each
 * other; a DISTRIBUTION writes its moment words and the two bucket
 * words that can differ (census__shm_distribution_add()); other aggregations copy the committed
 * slot and update the copy. Single writer: plain loads and stores; the release fence orders the
 * previous gen store before this record's slot stores (a reader that sees any of them sees gen
 * move). On x86 both fences are compiler barriers. */
static inline void census__shm_cell_update(const struct census__rview *view,
                                           struct census__shm_cell *c,
                                           const struct census__measurement *m) {
  const struct census__rview *plain = view->plain; /* shared cells carry no exemplars */
  uint64_t g = census__shm_begin(c);
  size_t words = plain->layout_words;
  _Atomic uint64_t *dst = census__shm_next_slot(c, g, words), *src = c->slots + (words & -(g & 1));
  switch ((int)plain->record_type) {
  case CENSUS_AGGREGATION_COUNT:
    census__shm_count_next(c, g);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS__AGGREGATION_SIGNED_SUM:
    census__shm_sum_next(c, g, plain->def.measure->type == CENSUS_MEASURE_DOUBLE,
                         plain->record_type == CENSUS__AGGREGATION_SIGNED_SUM, m);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    c->own = census__shm_distribution_add(
        plain->def.measure->type == CENSUS_MEASURE_DOUBLE, plain->def.measure->signed_values, src,
        dst, g + 1, c->own, census__shm_distribution_bucket(plain, m->double_value), m);
    break;
  default:
    for (size_t i = 0; i < words; i++) {
      word_store(&dst[i], word_load(&src[i]));
    }
    census__cell_update(plain, dst, m);
    break;
  }
  census__shm_publish(c, g);
}

/* One record into a COUNT shared cell `c`: the record paths' one-COUNT shapes (recorder.c,
 * bound.c). In the mode a record goes to its shared cell only (census__shm_record()). */
static inline __attribute__((always_inline)) void
census__shm_count_record(struct census__shm_cell *c) {
  uint64_t g = census__shm_begin(c);
  census__shm_count_next(c, g);
  census__shm_publish(c, g);
}

/* One record of `m` into a SUM shared cell `c`, the measure's type and sign given (constants in
 * the shapes that know them). */
static inline __attribute__((always_inline)) void
census__shm_sum_record(struct census__shm_cell *c, bool is_double, bool is_signed,
                       const struct census__measurement *m) {
  uint64_t g = census__shm_begin(c);
  census__shm_sum_next(c, g, is_double, is_signed, m);
  census__shm_publish(c, g);
}

/* One record of `m` into a DISTRIBUTION shared cell `c` (`words` words per slot), counted in
 * bucket word `b` (census__shm_distribution_bucket()). The committed slot is slot 0 or slot 1 as
 * g is even or odd, the next one the other: two addresses chosen by g's low bit, fewer
 * instructions than offsets computed from it (and GCC then knows that the shift's first-value
 * test only matters for an even g). */
static inline __attribute__((always_inline)) void
census__shm_distribution_record(size_t words, struct census__shm_cell *c, bool is_double,
                                bool is_signed, size_t b, const struct census__measurement *m) {
  uint64_t g = census__shm_begin(c);
  _Atomic uint64_t *s0 = c->slots, *s1 = c->slots + words;
  bool odd = g & 1;
  c->own = census__shm_distribution_add(is_double, is_signed, odd ? s1 : s0, odd ? s0 : s1, g + 1,
                                        c->own, b, m);
  census__shm_publish(c, g);
}

/* One record of `m` into `cell` of `view` in shared-memory mode: into its shared cell only
 * (attached first when the epoch moved), which is this process's record of the series in the
 * mode; into the in-process half `w` only when the file could not hold a shared cell (or the
 * mode went off), whence the collector carries it into the file. Never both: each record is
 * counted once in the group's view. The record paths' general step (recorder.c, bound.c). */
static inline void census__shm_record(struct census__cell *cell, const struct census__rview *view,
                                      _Atomic uint64_t *w, const struct census__measurement *m) {
  uint32_t epoch = atomic_load_explicit(&census__shm_epoch, memory_order_relaxed);
  if (__builtin_expect(cell->shm_epoch != epoch, 0)) {
    census__shm_cell_attach(cell);
  }
  if (__builtin_expect(cell->shm != NULL, 1)) {
    census__shm_cell_update(view, cell->shm, m);
  } else {
    census__cell_update(view, w, m);
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
