/* bound.c - bound measures.
 *
 * census_measure_bind() resolves (measure, tag map) to one series per registered view of the
 * measure, once. Recording through the handle then needs no hashing and no lookup: it indexes the
 * handle's cells by the calling thread's small id (census__thread_state.tid) and updates them in
 * the thread's record window, exactly like the unbound path (cell.h).
 *
 * Layout. A handle has a current *generation*: the view list it was resolved against, the series
 * per view, a one-level table from thread id to a *block* (64-byte aligned, written only by
 * the thread holding that id) with one cell (two halves) per view, and the record functions of
 * its shape (enum bound_fast). When a view is registered later, the measure's view list changes
 * and census__bound_key moves; the next record notices (one compare of the generation's key) and
 * builds a new generation. Older generations are kept, and still harvested, until the handle is
 * freed, because they hold data not yet collected and a recorder may still be reading one.
 *
 * Thread ids are reused only after the collector has harvested both halves of the previous
 * holder's cells, so a block always has one writer at a time.
 *
 * Handles. This file keeps the list of live handles (under BOUND_LIST), which the collector walks
 * (census__bound_harvest()). census_bound_measure_free() does not wait for a collection: it moves
 * the handle to a list of retired handles, and the next collection harvests both halves of all
 * its cells (no thread records through a freed handle) and frees it, as it does for a thread that
 * exited. So freeing never blocks behind an export, and what was recorded through the handle is
 * in the next export like everything else.
 */
#include "stats/bound.h"

#include <stdlib.h>
#include <string.h>

#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "stats/cell.h"
#include "stats/harvest.h"
#include "stats/recorder.h"
#include "stats/series.h"
#include "stats/shm.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

/* A generation's blocks: one pointer per thread id below cap, grown (a new table, the old one kept
 * until the generation is freed, since a recorder may still read it) when a thread with a larger
 * id makes its block. One level, so that a record finds its block with one indexed load. */
struct bound_table {
  struct bound_table *older; /* tables this one replaced (freed with the generation) */
  uint32_t cap;
  _Atomic(_Atomic uint64_t *) blocks[];
};

/* What a record through a generation updates: one view with a COUNT aggregation, one view with
 * an int64 SUM (a counter's usual shape), one DISTRIBUTION view, one EXPONENTIAL view, each with
 * its own function (bound_int_fn) and no loop over views or switch on the aggregation, or anything
 * else (several views, other aggregations) through the general loop (bound_record_views()). */
enum bound_fast {
  BOUND_GENERAL,
  BOUND_ONE_COUNT,
  BOUND_ONE_INT_SUM,
  BOUND_ONE_DISTRIBUTION,
  BOUND_ONE_EXPONENTIAL
};

struct bound_gen;

/* A generation's record functions (struct bound_gen.record_int, record_double): the handle, the
 * value, the generation they were read from. The handle's entry points jump through them, so the
 * shape's dispatch is one indirect jump. */
typedef census_status (*bound_int_fn)(census_bound_measure *b, int64_t value,
                                      struct bound_gen *gen);
typedef census_status (*bound_double_fn)(census_bound_measure *b, double value,
                                         struct bound_gen *gen);

struct bound_gen {
  /* How a record through this generation goes: its shape's function (one COUNT view, one int64
   * SUM view, one DISTRIBUTION view, or the general loop) once resolved, the slow path before. */
  bound_int_fn record_int;
  bound_double_fn record_double;
  /* census__bound_key when this generation was found current (its list the measure's, and
   * shared-memory mode on exactly when `shm`); 0: never. The shape's functions take their fast path
   * only while it equals census__bound_key, which a view registration or the mode's enable or fork
   * moves. */
  _Atomic uint32_t key;
  _Atomic(struct bound_table *) table; /* no_blocks until the first block */
  struct bound_gen *older;
  struct census__view_list *list; /* NULL: resolve before use */
  struct census__series **series; /* one per view of list */
  size_t *offsets;                /* word offset of each view's cell in a block */
  size_t block_words;
  /* A view keeps exemplars: the generation gets no blocks and every record takes the unbound
   * path, which hands the handle's tags to the exemplar reservoirs (exemplar.h). */
  bool exemplars;
  /* Made while shared-memory mode was on: its record functions are the mode's (bound_shm_*),
   * which update each cell's shared cell too. A generation serves one mode: when the mode turns
   * on, bound_prepare() makes a new one (the old one's blocks are harvested as any older
   * generation's). */
  bool shm;
  enum bound_fast fast;
  /* BOUND_ONE_DISTRIBUTION and BOUND_ONE_EXPONENTIAL: the one view, and its cell words per half. */
  const struct census__rview *one_view;
  size_t one_words;
  /* BOUND_ONE_DISTRIBUTION: its bucket bounds padded with
   * +inf to a power of two minus one, at least 15 (dist_step the first halving step, half that
   * power), so that the bucket search is dist_step's log2 fixed steps with no length bookkeeping,
   * the last four unrolled. */
  size_t dist_step; /* >= 8 */
  double *dist_bounds;
};

struct census_bound_measure {
  /* census_bound_record_int64()'s one test for a plainly valid value of the measure: (uint64_t)
   * value < int_limit. 2^63 for an int64 measure (negatives refused, unless signed), UINT64_MAX
   * for a signed one (only -1 takes the other path, which accepts it), 0 for a double measure
   * (every value converted on the other path). Constant for the handle's life. */
  uint64_t int_limit;
  /* census_bound_record_double()'s, on the value's bits: bits < double_limit for a plainly valid
   * value. The bits of +inf for a double measure: below them are exactly +0 and the positive
   * finite values (negatives, -0 included, have the sign bit; NaNs lie above +inf). 0 for an
   * int64 measure: every value then takes the other path, which refuses it. */
  uint64_t double_limit;
  struct census_bound_measure *next; /* the live or the retired list */
  const census_measure *measure;
  census_tag_map *tags;
  census__mutex mu; /* BOUND: serialises generation changes and block creation */
  _Atomic(struct bound_gen *) gen;
};

_Atomic uint32_t census__bound_key = 1;

/* The table of a generation without blocks (capacity 0), so that a record needs no NULL test. */
static struct bound_table no_blocks;

/* The record functions of each shape (defined with the record path below). */
static census_status bound_slow_int(census_bound_measure *b, int64_t value, struct bound_gen *gen);
static census_status bound_slow_double(census_bound_measure *b, double value,
                                       struct bound_gen *gen);
static census_status bound_count_int(census_bound_measure *b, int64_t value, struct bound_gen *gen);
static census_status bound_count_double(census_bound_measure *b, double value,
                                        struct bound_gen *gen);
static census_status bound_int_sum_int(census_bound_measure *b, int64_t value,
                                       struct bound_gen *gen);
static census_status bound_distribution_int(census_bound_measure *b, int64_t value,
                                            struct bound_gen *gen);
static census_status bound_distribution_double(census_bound_measure *b, double value,
                                               struct bound_gen *gen);
static census_status bound_exponential_int(census_bound_measure *b, int64_t value,
                                           struct bound_gen *gen);
static census_status bound_exponential_double(census_bound_measure *b, double value,
                                              struct bound_gen *gen);
static census_status bound_views_int(census_bound_measure *b, int64_t value, struct bound_gen *gen);
static census_status bound_views_double(census_bound_measure *b, double value,
                                        struct bound_gen *gen);
static void gen_shm_shape(struct bound_gen *gen);

/* A generation not yet resolved (the handle's first, or after a fork or census_shutdown()):
 * every record takes the slow path. NULL on ENOMEM. */
static struct bound_gen *gen_unresolved(void) {
  struct bound_gen *gen = census__calloc(1, sizeof *gen);
  if (gen) {
    atomic_init(&gen->table, &no_blocks);
    gen->record_int = bound_slow_int;
    gen->record_double = bound_slow_double;
  }
  return gen;
}

/* Live handles, and freed ones waiting for the collection that harvests them (BOUND_LIST). */
static census__mutex list_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_BOUND_LIST);
static census_bound_measure *live, *retired;

static void gen_free(struct bound_gen *gen) {
  struct bound_table *table = atomic_load_explicit(&gen->table, memory_order_relaxed);
  for (size_t i = 0; i < table->cap; i++) {
    census__free((void *)atomic_load_explicit(&table->blocks[i], memory_order_relaxed));
  }
  while (table && table != &no_blocks) {
    struct bound_table *older = table->older;
    census__free(table);
    table = older;
  }
  census__free(gen->series);
  census__free(gen->offsets);
  census__free(gen->dist_bounds);
  census__free(gen);
}

/* Frees `gen` and every older generation. */
static void gens_free(struct bound_gen *gen) {
  while (gen) {
    struct bound_gen *older = gen->older;
    gen_free(gen);
    gen = older;
  }
}

/* A generation resolved against `list`: the series of each view for the handle's tags, and the
 * record functions of its shape, shared-memory mode's when `shm` (gen_shm_shape()). */
static struct bound_gen *gen_new(census_bound_measure *b, struct census__view_list *list,
                                 bool shm) {
  struct bound_gen *gen = gen_unresolved();
  if (!gen) {
    return NULL;
  }
  size_t n = list ? list->count : 0;
  gen->list = list;
  gen->series = census__calloc(n ? n : 1, sizeof *gen->series);
  gen->offsets = census__calloc(n ? n : 1, sizeof *gen->offsets);
  bool ok = gen->series && gen->offsets;
  for (size_t v = 0; ok && v < n; v++) {
    struct census__rview *view = list->views[v];
    gen->series[v] = census__series_get(view, b->tags, census__tuple_hash(view, b->tags));
    gen->offsets[v] = gen->block_words;
    gen->block_words += 2 * view->words;
    ok = gen->series[v] != NULL;
  }
  if (!ok) {
    gen_free(gen);
    return NULL;
  }
  for (size_t v = 0; v < n; v++) {
    gen->exemplars |= list->views[v]->exemplar_at != 0;
  }
  gen->record_int = bound_views_int;
  gen->record_double = bound_views_double;
  if (n == 1 && list->views[0]->def.aggregation.type == CENSUS_AGGREGATION_COUNT) {
    gen->fast = BOUND_ONE_COUNT;
    gen->record_int = bound_count_int;
    gen->record_double = bound_count_double;
  } else if (n == 1 && list->views[0]->def.aggregation.type == CENSUS_AGGREGATION_SUM &&
             list->views[0]->def.measure->type == CENSUS_MEASURE_INT64) {
    gen->fast = BOUND_ONE_INT_SUM; /* a double value never reaches an int64 measure's cells */
    gen->record_int = bound_int_sum_int;
  } else if (n == 1 && list->views[0]->record_type == CENSUS_AGGREGATION_DISTRIBUTION) {
    const struct census_aggregation *agg = &list->views[0]->def.aggregation;
    size_t padded = 16; /* 2^k - 1 slots, k >= 4: the search's four unrolled last steps */
    while (padded <= agg->bound_count) {
      padded *= 2;
    }
    gen->dist_bounds = census__malloc((padded - 1) * sizeof *gen->dist_bounds);
    if (gen->dist_bounds) { /* else the general loop: the same result */
      for (size_t i = 0; i < padded - 1; i++) {
        gen->dist_bounds[i] = i < agg->bound_count ? agg->bounds[i] : INFINITY;
      }
      gen->dist_step = padded / 2;
      gen->fast = BOUND_ONE_DISTRIBUTION;
      gen->record_int = bound_distribution_int;
      gen->record_double = bound_distribution_double;
    }
  } else if (n == 1 && list->views[0]->record_type == CENSUS_AGGREGATION_EXPONENTIAL) {
    gen->fast = BOUND_ONE_EXPONENTIAL;
    gen->record_int = bound_exponential_int;
    gen->record_double = bound_exponential_double;
  }
  if (n == 1) {
    gen->one_view = list->views[0];
    gen->one_words = list->views[0]->words;
  }
  gen->shm = shm;
  if (shm) {
    gen_shm_shape(gen);
  }
  if (gen->exemplars) { /* no blocks: every record goes unbound through the slow path */
    gen->record_int = bound_slow_int;
    gen->record_double = bound_slow_double;
  }
  return gen;
}

CENSUS_EXPORT census_bound_measure *census_measure_bind(const census_measure *measure,
                                                        const census_tag_map *tags,
                                                        census_status *status) {
  census_status result = !measure                 ? CENSUS_EINVAL
                         : census__is_shut_down() ? CENSUS_ESHUTDOWN
                                                  : CENSUS_OK;
  census_bound_measure *b = NULL;
  if (result == CENSUS_OK) {
    b = census__calloc(1, sizeof *b);
    struct bound_gen *unresolved = gen_unresolved();
    tags = census__tags_or_current(tags);
    census_tag_map *copy = tags ? census_tag_map_copy(tags) : census_tag_map_new();
    if (!b || !unresolved || !copy) {
      census__free(b);
      census__free(unresolved);
      census_tag_map_free(copy);
      b = NULL;
      result = CENSUS_ENOMEM;
    } else {
      b->measure = measure;
      b->int_limit = measure->type != CENSUS_MEASURE_INT64 ? 0
                     : measure->signed_values              ? UINT64_MAX
                                                           : (uint64_t)1 << 63;
      b->double_limit = measure->type == CENSUS_MEASURE_DOUBLE ? census__bits_of(INFINITY) : 0;
      b->tags = copy;
      census__mutex_init(&b->mu, CENSUS__LOCK_BOUND);
      atomic_init(&b->gen, unresolved);
      census__mutex_lock(&list_mu);
      b->next = live;
      live = b;
      census__mutex_unlock(&list_mu);
    }
  }
  if (status) {
    *status = result;
  }
  return b;
}

/* After a block's cells: their shared-memory cells (shm.h), one per view of the generation,
 * census__shm_epoch when they were attached (0: never), and `shape_epoch`, the same epoch when
 * the one-view shapes' functions (bound_shm_count_int() ...) may update cells[0] (its shared cell
 * was placed), else 0, so that they test one word. Written and read by the block's thread only;
 * the collector does not read them. */
struct bound_shm {
  uint32_t epoch;
  uint32_t shape_epoch;
  struct census__shm_cell *cells[];
};

/* The shared cells of a block of `block_words` words (struct bound_gen.block_words: a constant
 * in the one-view shapes). */
static inline struct bound_shm *block_shm_at(_Atomic uint64_t *block, size_t block_words) {
  return (struct bound_shm *)(void *)(block + block_words);
}

static struct bound_shm *block_shm(const struct bound_gen *gen, _Atomic uint64_t *block) {
  return block_shm_at(block, gen->block_words);
}

/* The block of thread id `tid` in `gen`, created (empty) if missing. Caller holds b->mu. */
static _Atomic uint64_t *block_get(struct bound_gen *gen, uint32_t tid) {
  struct bound_table *table = atomic_load_explicit(&gen->table, memory_order_acquire);
  if (tid >= table->cap) {
    /* A table for ids up to tid (at least 64, doubling): the old one's blocks copied, the old
     * one kept for recorders still reading it (freed with the generation). */
    uint32_t cap = table->cap ? table->cap : 64;
    while (cap <= tid) {
      cap *= 2;
    }
    struct bound_table *grown = census__calloc(1, sizeof *grown + cap * sizeof grown->blocks[0]);
    if (!grown) {
      return NULL;
    }
    grown->cap = cap;
    grown->older = table == &no_blocks ? NULL : table;
    for (uint32_t i = 0; i < table->cap; i++) {
      atomic_init(&grown->blocks[i], atomic_load_explicit(&table->blocks[i], memory_order_relaxed));
    }
    atomic_store_explicit(&gen->table, grown, memory_order_release);
    table = grown;
  }
  _Atomic uint64_t *block = atomic_load_explicit(&table->blocks[tid], memory_order_acquire);
  if (!block) {
    size_t bytes = gen->block_words * sizeof(uint64_t) + sizeof(struct bound_shm) +
                   gen->list->count * sizeof(struct census__shm_cell *);
    block = census__aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!block) {
      return NULL;
    }
    for (size_t v = 0; v < gen->list->count; v++) {
      census__cell_words_init(gen->list->views[v], block + gen->offsets[v]);
    }
    struct bound_shm *shared = block_shm(gen, block);
    shared->epoch = shared->shape_epoch = 0; /* attach at the first record in the mode */
    for (size_t v = 0; v < gen->list->count; v++) {
      shared->cells[v] = NULL;
    }
    atomic_store_explicit(&table->blocks[tid], block, memory_order_release);
  }
  return block;
}

/* The block of thread id `tid` (CENSUS__NO_TID too) in `gen`, or NULL if it has none yet. Any
 * thread, no lock: a table and a block, once published, stay until the generation is freed. */
static inline _Atomic uint64_t *gen_block(const struct bound_gen *gen, uint32_t tid) {
  struct bound_table *table = atomic_load_explicit(&gen->table, memory_order_acquire);
  if (__builtin_expect(tid >= table->cap, 0)) {
    return NULL;
  }
  /* blocks + tid, not &blocks[tid]: GCC then folds the array's offset into the load (one add less)
   */
  return atomic_load_explicit(table->blocks + (size_t)tid, memory_order_acquire);
}

/* The slow path: brings the generation up to date with the measure's views and makes this
 * thread's block. Returns the block, or NULL with *status set (ENOMEM, ESHUTDOWN, or
 * CENSUS_OK with *use_unbound when the thread has no id). */
static _Atomic uint64_t *bound_prepare(census_bound_measure *b, struct census__thread_state *ts,
                                       struct bound_gen **gen_out, census_status *status) {
  *status = CENSUS_OK;
  if (census__is_shut_down()) {
    *status = CENSUS_ESHUTDOWN;
    return NULL;
  }
  census__mutex_lock(&b->mu);
  /* The key before the view list and the mode: a registration or an enable after this load moves
   * the key past it (census__bound_key_move()), so the key stored below cannot vouch for a list
   * or a mode older than the ones read here. */
  uint32_t key = atomic_load_explicit(&census__bound_key, memory_order_acquire);
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_relaxed);
  struct census__view_list *list = atomic_load_explicit(&b->measure->views, memory_order_acquire);
  bool shm = atomic_load_explicit(&census__shm_epoch, memory_order_acquire) != 0;
  if (gen->list != list || gen->shm != shm) {
    struct bound_gen *fresh = gen_new(b, list, shm);
    if (fresh) {
      fresh->older = gen;
      atomic_store_explicit(&b->gen, fresh, memory_order_release);
      gen = fresh;
    }
  }
  if (gen->list == list && gen->exemplars) {
    census__mutex_unlock(&b->mu);
    *gen_out = gen;
    return NULL; /* the unbound path records it (bound_record_slow()) */
  }
  _Atomic uint64_t *block = gen->list == list ? block_get(gen, ts->tid) : NULL;
  if (block && gen->shm == shm) {
    atomic_store_explicit(&gen->key, key, memory_order_relaxed); /* the fast path may go */
  }
  census__mutex_unlock(&b->mu);
  if (!block) {
    *status = CENSUS_ENOMEM;
  }
  *gen_out = gen;
  return block;
}

/* The measurement of a value passed as (int_value, double_value): an int64 measure's value is
 * int_value (double_value is ignored and derived here, off the fast path), a double measure's is
 * double_value. */
static inline struct census__measurement bound_measurement(const census_measure *measure,
                                                           int64_t int_value, double double_value) {
  struct census__measurement m = {measure, int_value, double_value};
  if (measure->type == CENSUS_MEASURE_INT64) {
    m.double_value = (double)int_value;
  }
  return m;
}

/* Records into the cells of every view of `gen` in `block`, inside the thread's record window
 * (the value as for bound_measurement()). Out of line, with the measurement built here from
 * scalars, so that the shapes' functions make only tail calls. */
static __attribute__((noinline, flatten)) census_status
bound_record_views(const struct bound_gen *gen, _Atomic uint64_t *block,
                   struct census__thread_state *ts, const census_measure *measure,
                   int64_t int_value, double double_value) {
  struct census__measurement m = bound_measurement(measure, int_value, double_value);
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  for (size_t v = 0; v < gen->list->count; v++) {
    const struct census__rview *view = gen->list->views[v];
    if (view->record_type == CENSUS__AGGREGATION_EXEMPLARS) {
      __builtin_unreachable(); /* such generations record unbound (bound_gen.exemplars) */
    }
    census__cell_update(view, block + gen->offsets[v] + phase * view->words, &m);
  }
  census__window_leave(&ts->seq, seq);
  return CENSUS_OK;
}

/* Attaches each view's shared cell of `block` (this thread's, in `gen`) to this process's file
 * (census__shm_cell_attach(), which takes SHM: no other lock is held here). A cell that cannot
 * be placed stays NULL (reported and counted there) and records in process only. Cold. */
static __attribute__((cold, noinline)) void block_shm_attach(const struct bound_gen *gen,
                                                             _Atomic uint64_t *block) {
  struct bound_shm *shared = block_shm(gen, block);
  uint32_t epoch = atomic_load_explicit(&census__shm_epoch, memory_order_relaxed);
  for (size_t v = 0; v < gen->list->count; v++) {
    struct census__cell cell = {.series = gen->series[v], .view = gen->list->views[v]};
    census__shm_cell_attach(&cell);
    shared->cells[v] = cell.shm;
    if (cell.shm_epoch != epoch) {
      epoch = 0; /* the epoch moved meanwhile (a fork, shutdown): attach again next time */
    }
  }
  shared->shape_epoch = shared->cells[0] ? epoch : 0; /* else the one-view shapes go slow */
  shared->epoch = epoch;
}

/* Records one value (as for bound_measurement()) into `block`, this thread's block of `gen`, as
 * the mode records: each view's shared cell (struct bound_shm) only, or its in-process cell when
 * the file could not hold a shared cell (shm.h, census__shm_record()), inside the thread's record
 * window (for those). The caller attached the shared cells for the current epoch. Out of line,
 * so that bound_record_shm()'s one-COUNT case keeps a small frame. */
static __attribute__((noinline)) census_status
bound_shm_update(const struct bound_gen *gen, _Atomic uint64_t *block,
                 struct census__thread_state *ts, const census_measure *measure, int64_t int_value,
                 double double_value) {
  struct bound_shm *shared = block_shm(gen, block);
  struct census__measurement m = bound_measurement(measure, int_value, double_value);
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  for (size_t v = 0; v < gen->list->count; v++) {
    const struct census__rview *view = gen->list->views[v];
    if (view->record_type == CENSUS__AGGREGATION_EXEMPLARS) {
      __builtin_unreachable(); /* such generations record unbound (bound_gen.exemplars) */
    }
    if (__builtin_expect(shared->cells[v] != NULL, 1)) {
      census__shm_cell_update(view, shared->cells[v], &m);
    } else { /* a cell the file could not hold: the collector carries it into the file */
      census__cell_update(view, block + gen->offsets[v] + phase * view->words, &m);
    }
  }
  census__window_leave(&ts->seq, seq);
  return CENSUS_OK;
}

/* The slow paths' common part: the calling thread's block of `b`'s current generation (made by
 * bound_prepare(), *gen set to that generation), or NULL with *result the record's status when
 * there is no block to record into: a thread without a state or an id, or a generation whose views
 * keep exemplars (which take the recording's tags, exemplar.h), records the value unbound (exact,
 * without b->mu: such a generation never gets blocks); an allocation failure is counted as a
 * dropped measurement; after census_shutdown() the record is refused as every record then is. */
static _Atomic uint64_t *bound_block_or_record(census_bound_measure *b,
                                               struct census__thread_state *ts,
                                               struct bound_gen **gen, int64_t int_value,
                                               double double_value, census_status *result) {
  *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  if (!ts || ts->tid == CENSUS__NO_TID ||
      ((*gen)->exemplars &&
       (*gen)->list == atomic_load_explicit(&b->measure->views, memory_order_acquire))) {
    struct census__measurement m = bound_measurement(b->measure, int_value, double_value);
    *result = census__record(&m, 1, b->tags);
    return NULL;
  }
  census_status status;
  _Atomic uint64_t *block = bound_prepare(b, ts, gen, &status);
  if (!block && status == CENSUS_OK && (*gen)->exemplars) {
    struct census__measurement m = bound_measurement(b->measure, int_value, double_value);
    *result = census__record(&m, 1, b->tags);
    return NULL;
  }
  if (!block) {
    if (status == CENSUS_ENOMEM) {
      census__count_dropped("out_of_memory", 1);
    }
    *result = status == CENSUS_ESHUTDOWN ? census__record_after_shutdown() : status;
  }
  return block;
}

/* A record through a handle in shared-memory mode when bound_record_shm() found no block or its
 * shared cells attached to an older epoch: a generation with exemplars, or a thread without an
 * id, records unbound (as outside the mode); else the generation is brought up to date and the
 * thread's block made (bound_prepare()), its shared cells attached, and the value recorded. */
static __attribute__((cold, noinline)) census_status
bound_record_shm_slow(census_bound_measure *b, struct census__thread_state *ts, int64_t int_value,
                      double double_value) {
  struct bound_gen *gen;
  census_status status;
  _Atomic uint64_t *block = bound_block_or_record(b, ts, &gen, int_value, double_value, &status);
  if (!block) {
    return status;
  }
  if (block_shm(gen, block)->epoch !=
      atomic_load_explicit(&census__shm_epoch, memory_order_relaxed)) {
    block_shm_attach(gen, block);
  }
  return bound_shm_update(gen, block, ts, b->measure, int_value, double_value);
}

/* A record through a handle in shared-memory mode that its generation's function declined (or
 * that reached bound_record_slow() another way): when the generation is the mode's and vouched
 * for by the current key, and the thread's block has its shared cells attached for the current
 * epoch, the general update (bound_shm_update(): the one-view shapes come here only when their
 * shared cell could not be placed); anything else (an in-process generation, a view registered
 * since or another key move, no block yet, no id, exemplars, shared cells of an older epoch) goes
 * to bound_record_shm_slow(), which makes the mode's generation and the block, and vouches. */
static __attribute__((noinline)) census_status bound_record_shm(census_bound_measure *b,
                                                                struct census__thread_state *ts,
                                                                int64_t int_value,
                                                                double double_value) {
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  _Atomic uint64_t *block =
      gen->shm && atomic_load_explicit(&gen->key, memory_order_relaxed) ==
                      atomic_load_explicit(&census__bound_key, memory_order_relaxed)
          ? gen_block(gen, ts->tid)
          : NULL;
  if (__builtin_expect(!block || block_shm(gen, block)->epoch !=
                                     atomic_load_explicit(&census__shm_epoch, memory_order_relaxed),
                       0)) {
    return bound_record_shm_slow(b, ts, int_value, double_value);
  }
  return bound_shm_update(gen, block, ts, b->measure, int_value, double_value);
}

static census_status bound_record_other(census_bound_measure *b, int64_t int_value,
                                        double double_value);

/* Everything but the fast path (the shapes' functions come here): shared-memory mode
 * for a thread with a state goes to bound_record_shm(), the rest to bound_record_other(). Both
 * are tail calls, so this adds no frame. */
static __attribute__((noinline)) census_status
bound_record_slow(census_bound_measure *b, int64_t int_value, double double_value) {
  struct census__thread_state *ts = census__this_thread;
  if (ts && atomic_load_explicit(&census__shm_epoch, memory_order_relaxed)) {
    return bound_record_shm(b, ts, int_value, double_value);
  }
  return bound_record_other(b, int_value, double_value);
}

/* Everything but the common case and shared-memory mode, out of line so that the fast path below
 * keeps a small frame: the handle's first record (or the first after a fork or census_shutdown()),
 * a view registered since the generation was made, the thread's first record through this handle, a
 * thread with no state or no id. Then records through the general loop. */
static __attribute__((cold, noinline)) census_status
bound_record_other(census_bound_measure *b, int64_t int_value, double double_value) {
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  /* An unresolved generation: the handle's first record, or the first after a fork or
   * census_shutdown(). After shutdown the thread states are freed, so this must come before the
   * thread state is read. */
  if (!gen->list && census__is_shut_down()) {
    return census__record_after_shutdown();
  }
  struct census__thread_state *ts = census__thread_state_get();
  /* Shared-memory mode (turned on since bound_record_slow() looked, or the thread's first
   * record): the bound path with the block's shared cells. */
  if (ts && atomic_load_explicit(&census__shm_epoch, memory_order_relaxed)) {
    return bound_record_shm_slow(b, ts, int_value, double_value);
  }
  /* The thread's block, made if need be (or the record taken unbound: no id, exemplars). */
  census_status status;
  _Atomic uint64_t *block = bound_block_or_record(b, ts, &gen, int_value, double_value, &status);
  if (!block) {
    return status;
  }
  return bound_record_views(gen, block, ts, b->measure, int_value, double_value);
}

/* The block of the calling thread in `gen` for a record on the fast path (*ts set to the thread's
 * state), or NULL when the record must take the slow path: the generation is not vouched for by
 * the current key (never resolved, a view registered since, shared-memory mode on: one compare
 * covers the three), or the thread has no state, no id or no block yet. The key is compared before
 * the thread state is read, because after census_shutdown() (every generation unresolved, key 0)
 * the states are freed. */
static inline _Atomic uint64_t *bound_fast_block(const struct bound_gen *gen,
                                                 struct census__thread_state **ts) {
  if (__builtin_expect(atomic_load_explicit(&gen->key, memory_order_relaxed) !=
                           atomic_load_explicit(&census__bound_key, memory_order_relaxed),
                       0)) {
    return NULL;
  }
  *ts = census__this_thread;
  if (__builtin_expect(!*ts, 0)) {
    return NULL;
  }
  return gen_block(gen, (*ts)->tid);
}

/* The shapes' record functions (struct bound_gen.record_int/record_double). Each is one line: the
 * shape and the value's type, constants to bound_shape_record(), which holds the one body. The
 * int64 ones serve int64 measures only, the double ones double measures only (bound_record()). */

static census_status bound_slow_int(census_bound_measure *b, int64_t value, struct bound_gen *gen) {
  (void)gen;
  return bound_record_slow(b, value, 0);
}

static census_status bound_slow_double(census_bound_measure *b, double value,
                                       struct bound_gen *gen) {
  (void)gen;
  return bound_record_slow(b, 0, value);
}

/* One step of bound_distribution_update()'s search: i + step if the last bound of the next step's
 * window is below x, else i. The empty asm hides i + step from GCC, which otherwise turns the
 * unrolled steps' selects into branches (mispredicted on varying values); so each stays a lea, a
 * compare and a cmov. */
static inline __attribute__((always_inline)) size_t
bound_search_step(const double *bounds, double x, size_t i, size_t step) {
  size_t next = i + step;
  __asm__("" : "+r"(next));
  return bounds[next - 1] < x ? next : i;
}

/* One DISTRIBUTION view (its cell at offset 0): the moments as census__cell_distribution_update()
 * adds them; the bucket found in the padded bounds (struct bound_gen.dist_bounds): the number of
 * bounds below the value, as bucket_index() counts it (+inf pads are never below a value, NaN is
 * below nothing), in fixed halving steps. */
static inline __attribute__((always_inline)) size_t
bound_distribution_bucket(const struct bound_gen *gen, double x) {
  const double *bounds = gen->dist_bounds;
  size_t i = 0;
  /* Past 15 bounds, the steps down to 16 in a loop; then (for up to 15 bounds, only) the last
   * four steps unrolled, each a lea, a compare and a cmov (the loop's 5 instructions per step
   * for 4 steps: 20; this, 2 + 12). */
  size_t step = gen->dist_step;
  if (__builtin_expect(step > 8, 0)) {
    do {
      i = bounds[i + step - 1] < x ? i + step : i;
      step >>= 1;
    } while (step > 8);
  }
  i = bound_search_step(bounds, x, i, 8);
  i = bound_search_step(bounds, x, i, 4);
  i = bound_search_step(bounds, x, i, 2);
  i = bound_search_step(bounds, x, i, 1);
  return i;
}

static inline __attribute__((always_inline)) void
bound_distribution_update(const struct bound_gen *gen, _Atomic uint64_t *block,
                          struct census__thread_state *ts, const struct census__measurement *m,
                          bool is_double) {
  size_t i = bound_distribution_bucket(gen, m->double_value);
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  _Atomic uint64_t *w = block + phase * gen->one_words;
  census__moments_add(is_double, !is_double && m->measure->signed_values, w, m);
  census__window_own_add(&w[WORD_BUCKETS + i], 1);
  census__window_leave(&ts->seq, seq);
}

/* A record through a generation of shape `shape` (a constant in each caller, as is_double, the
 * measure's type): the fast path as bound_fast_block() allows it, the cells updated inside the
 * record window without a loop over views or a switch on the aggregation (the switch below folds
 * away), or the general loop (BOUND_GENERAL); else the slow path (a tail call). The value as for
 * bound_measurement(): int_value for an int64 measure, double_value for a double one. */
static inline __attribute__((always_inline)) census_status
bound_shape_record(census_bound_measure *b, int64_t int_value, double double_value,
                   struct bound_gen *gen, enum bound_fast shape, bool is_double) {
  struct census__thread_state *ts;
  _Atomic uint64_t *block = bound_fast_block(gen, &ts);
  if (__builtin_expect(!block, 0)) {
    return bound_record_slow(b, int_value, double_value);
  }
  struct census__measurement m = {b->measure, int_value,
                                  is_double ? double_value : (double)int_value};
  uint64_t seq;
  unsigned phase;
  _Atomic uint64_t *w;
  switch (shape) {
  case BOUND_ONE_COUNT: /* words: [count] */
    phase = census__window_enter(&ts->seq, &seq);
    census__window_own_add(&block[phase + WORD_COUNT], 1);
    census__window_leave(&ts->seq, seq);
    return CENSUS_OK;
  case BOUND_ONE_INT_SUM: /* int64 (non-negative) measures only; words: [count, sum] */
    phase = census__window_enter(&ts->seq, &seq);
    w = block + 2 * (size_t)phase;
    census__window_own_add(&w[WORD_COUNT], 1);
    /* census__sum_add()'s saturation (the word at most 2^63 and the value at most INT64_MAX, so
     * no wrap), tested after the add: past INT64_MAX becomes (or stays) saturated. */
    if (__builtin_expect((int64_t)census__window_own_add(&w[WORD_SUM], (uint64_t)int_value) < 0,
                         0)) {
      word_store(&w[WORD_SUM], CENSUS__SUM_SATURATED);
    }
    census__window_leave(&ts->seq, seq);
    return CENSUS_OK;
  case BOUND_ONE_DISTRIBUTION:
    bound_distribution_update(gen, block, ts, &m, is_double);
    return CENSUS_OK;
  case BOUND_ONE_EXPONENTIAL: /* out of line (exp_histogram.c), as the unbound path calls it */
    phase = census__window_enter(&ts->seq, &seq);
    census__exp_record(gen->one_view, block + phase * gen->one_words, &m);
    census__window_leave(&ts->seq, seq);
    return CENSUS_OK;
  case BOUND_GENERAL:
    break;
  }
  return bound_record_views(gen, block, ts, b->measure, int_value, double_value);
}

static census_status bound_count_int(census_bound_measure *b, int64_t value,
                                     struct bound_gen *gen) {
  return bound_shape_record(b, value, 0, gen, BOUND_ONE_COUNT, false);
}

static census_status bound_count_double(census_bound_measure *b, double value,
                                        struct bound_gen *gen) {
  return bound_shape_record(b, 0, value, gen, BOUND_ONE_COUNT, true);
}

static census_status bound_int_sum_int(census_bound_measure *b, int64_t value,
                                       struct bound_gen *gen) {
  return bound_shape_record(b, value, 0, gen, BOUND_ONE_INT_SUM, false);
}

static census_status bound_distribution_int(census_bound_measure *b, int64_t value,
                                            struct bound_gen *gen) {
  return bound_shape_record(b, value, 0, gen, BOUND_ONE_DISTRIBUTION, false);
}

static census_status bound_distribution_double(census_bound_measure *b, double value,
                                               struct bound_gen *gen) {
  return bound_shape_record(b, 0, value, gen, BOUND_ONE_DISTRIBUTION, true);
}

static census_status bound_exponential_int(census_bound_measure *b, int64_t value,
                                           struct bound_gen *gen) {
  return bound_shape_record(b, value, 0, gen, BOUND_ONE_EXPONENTIAL, false);
}

static census_status bound_exponential_double(census_bound_measure *b, double value,
                                              struct bound_gen *gen) {
  return bound_shape_record(b, 0, value, gen, BOUND_ONE_EXPONENTIAL, true);
}

static census_status bound_views_int(census_bound_measure *b, int64_t value,
                                     struct bound_gen *gen) {
  return bound_shape_record(b, value, 0, gen, BOUND_GENERAL, false);
}

static census_status bound_views_double(census_bound_measure *b, double value,
                                        struct bound_gen *gen) {
  return bound_shape_record(b, 0, value, gen, BOUND_GENERAL, true);
}

/* ---- the shapes in shared-memory mode --------------------------------------------------- */

/* The mode's record functions (gen_shm_shape() installs them in a generation made while the mode
 * is on): each shape's update of its shared cell (shm.h), the pointer cached in the block (struct
 * bound_shm), with no second dispatch and no record window (in the mode a record goes to its
 * shared cell only, census__shm_record(); the block's in-process words stay empty); else
 * bound_record_slow() (a tail call), which reaches bound_record_shm(). */

/* The calling thread's block of `gen` (a generation of the mode, one view, `block_words` words)
 * when a one-view shape may record into it and its shared cell: the generation vouched for by the
 * current key (bound_fast_block(): the list current, the mode on) and the block's shared cell
 * attached for the current epoch (shape_epoch); *ts and *cell set. NULL: the slow path. */
static inline __attribute__((always_inline)) _Atomic uint64_t *
bound_shm_block(const struct bound_gen *gen, size_t block_words, struct census__thread_state **ts,
                struct census__shm_cell **cell) {
  _Atomic uint64_t *block = bound_fast_block(gen, ts);
  if (__builtin_expect(!block, 0)) {
    return NULL;
  }
  struct bound_shm *shared = block_shm_at(block, block_words);
  if (__builtin_expect(shared->shape_epoch !=
                           atomic_load_explicit(&census__shm_epoch, memory_order_relaxed),
                       0)) {
    return NULL;
  }
  *cell = shared->cells[0];
  return block;
}

/* One COUNT view: block words [count, count]. The value (int64 or double, as for
 * bound_measurement()) only goes on to the slow path. */
static inline __attribute__((always_inline)) census_status bound_shm_count(census_bound_measure *b,
                                                                           struct bound_gen *gen,
                                                                           int64_t int_value,
                                                                           double double_value) {
  struct census__thread_state *ts;
  struct census__shm_cell *cell;
  _Atomic uint64_t *block = bound_shm_block(gen, 2, &ts, &cell);
  if (__builtin_expect(!block, 0)) {
    return bound_record_slow(b, int_value, double_value);
  }
  census__shm_count_record(cell);
  return CENSUS_OK;
}

static census_status bound_shm_count_int(census_bound_measure *b, int64_t value,
                                         struct bound_gen *gen) {
  return bound_shm_count(b, gen, value, 0);
}

static census_status bound_shm_count_double(census_bound_measure *b, double value,
                                            struct bound_gen *gen) {
  return bound_shm_count(b, gen, 0, value);
}

/* One SUM view of an int64 (non-negative) measure: block words [count, sum] twice. */
static census_status bound_shm_int_sum_int(census_bound_measure *b, int64_t value,
                                           struct bound_gen *gen) {
  struct census__thread_state *ts;
  struct census__shm_cell *cell;
  _Atomic uint64_t *block = bound_shm_block(gen, 4, &ts, &cell);
  if (__builtin_expect(!block, 0)) {
    return bound_record_slow(b, value, 0);
  }
  struct census__measurement m = {b->measure, value, 0};
  census__shm_sum_record(cell, false, false, &m);
  return CENSUS_OK;
}

/* One DISTRIBUTION view: the bucket found as bound_distribution_update() finds it (the padded
 * bounds' search), then the shared cell's update. */
static inline __attribute__((always_inline)) census_status
bound_shm_distribution(census_bound_measure *b, struct bound_gen *gen, int64_t int_value,
                       double double_value, bool is_double) {
  struct census__thread_state *ts;
  struct census__shm_cell *cell;
  _Atomic uint64_t *block = bound_shm_block(gen, 2 * gen->one_words, &ts, &cell);
  if (__builtin_expect(!block, 0)) {
    return bound_record_slow(b, int_value, double_value);
  }
  struct census__measurement m = {b->measure, int_value, double_value};
  bool is_signed = !is_double && m.measure->signed_values;
  size_t bucket = WORD_BUCKETS + bound_distribution_bucket(gen, double_value);
  census__shm_distribution_record(gen->one_words, cell, is_double, is_signed, bucket, &m);
  return CENSUS_OK;
}

static census_status bound_shm_distribution_int(census_bound_measure *b, int64_t value,
                                                struct bound_gen *gen) {
  return bound_shm_distribution(b, gen, value, (double)value, false);
}

static census_status bound_shm_distribution_double(census_bound_measure *b, double value,
                                                   struct bound_gen *gen) {
  return bound_shm_distribution(b, gen, 0, value, true);
}

/* Anything else (several views, other aggregations): bound_shm_update()'s loop, once the
 * generation is vouched for and the block's shared cells are attached for the current epoch
 * (a view whose shared cell could not be placed records in process only there). */
static inline __attribute__((always_inline)) census_status bound_shm_views(census_bound_measure *b,
                                                                           struct bound_gen *gen,
                                                                           int64_t int_value,
                                                                           double double_value) {
  struct census__thread_state *ts;
  _Atomic uint64_t *block = bound_fast_block(gen, &ts);
  if (__builtin_expect(!block || block_shm(gen, block)->epoch !=
                                     atomic_load_explicit(&census__shm_epoch, memory_order_relaxed),
                       0)) {
    return bound_record_slow(b, int_value, double_value);
  }
  return bound_shm_update(gen, block, ts, b->measure, int_value, double_value);
}

static census_status bound_shm_views_int(census_bound_measure *b, int64_t value,
                                         struct bound_gen *gen) {
  return bound_shm_views(b, gen, value, 0);
}

static census_status bound_shm_views_double(census_bound_measure *b, double value,
                                            struct bound_gen *gen) {
  return bound_shm_views(b, gen, 0, value);
}

/* Installs the mode's record functions for the generation's shape (gen_new(), before its
 * exemplar case, which replaces them). The one-COUNT and one-SUM functions find the block's
 * shared cells after 2 and 4 words (a COUNT cell's 1 word, a SUM cell's 2, per half): a
 * generation whose layout differs (none today) takes the general function. */
static void gen_shm_shape(struct bound_gen *gen) {
  gen->record_int = bound_shm_views_int;
  gen->record_double = bound_shm_views_double;
  if (gen->fast == BOUND_ONE_COUNT && gen->block_words == 2) {
    gen->record_int = bound_shm_count_int;
    gen->record_double = bound_shm_count_double;
  } else if (gen->fast == BOUND_ONE_INT_SUM && gen->block_words == 4) {
    gen->record_int = bound_shm_int_sum_int;
  } else if (gen->fast == BOUND_ONE_DISTRIBUTION) {
    gen->record_int = bound_shm_distribution_int;
    gen->record_double = bound_shm_distribution_double;
  }
}

/* Records one validated value (as for bound_measurement()) through the current generation's
 * function for the measure's type. For the entry points' other paths. */
static census_status bound_record(census_bound_measure *b, int64_t int_value, double double_value) {
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  return b->measure->type == CENSUS_MEASURE_INT64 ? gen->record_int(b, int_value, gen)
                                                  : gen->record_double(b, double_value, gen);
}

/* An int64 value for a double measure (converted), a negative one (refused, unless a measure may
 * take negative values), out of line. */
static __attribute__((cold, noinline)) census_status
bound_record_int64_other(census_bound_measure *b, int64_t value) {
  struct census__measurement m = {b->measure, value, (double)value};
  census_status status = census__measurement_check(&m);
  if (status != CENSUS_OK) {
    return census__refuse(status, 1, b->measure->name); /* counted and reported, as unbound */
  }
  return bound_record(b, value, (double)value); /* either form serves (bound_measurement()) */
}

/* The common case: a handle, a plainly valid value (b->int_limit), then the generation's function
 * (one indirect jump: the shape's dispatch). */
CENSUS_EXPORT census_status census_bound_record_int64(census_bound_measure *b, int64_t value) {
  if (!b) {
    return CENSUS_EINVAL;
  }
  if (__builtin_expect((uint64_t)value >= b->int_limit, 0)) {
    return bound_record_int64_other(b, value);
  }
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  return gen->record_int(b, value, gen);
}

/* A double value that is not plainly valid (negative, NaN, infinite), or for an int64 measure:
 * the full check, out of line. */
static __attribute__((cold, noinline)) census_status
bound_record_double_other(census_bound_measure *b, double value) {
  struct census__measurement m = {b->measure, 0, value};
  census_status status =
      b->measure->type == CENSUS_MEASURE_INT64 ? CENSUS_ETYPE : census__measurement_check(&m);
  if (status != CENSUS_OK) {
    return census__refuse(status, 1, b->measure->name);
  }
  return bound_record(b, 0, value);
}

CENSUS_EXPORT census_status census_bound_record_double(census_bound_measure *b, double value) {
  if (!b) {
    return CENSUS_EINVAL;
  }
  /* One integer compare of the value's bits accepts the common case (b->double_limit); NaN,
   * +-Inf, negatives, -0 and any value for an int64 measure go to census__measurement_check() and
   * the measure's type (-0 is then accepted: the same record). Two float compares cost 3
   * instructions more. */
  if (__builtin_expect(census__bits_of(value) >= b->double_limit, 0)) {
    return bound_record_double_other(b, value);
  }
  struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire);
  return gen->record_double(b, value, gen);
}

/* Harvests one generation's blocks; tid_mode NULL takes both halves of every block (a retired
 * handle: no thread writes it any more). */
static void gen_harvest(struct bound_gen *gen, const unsigned char *tid_mode, unsigned old) {
  if (!gen->list) {
    return;
  }
  struct bound_table *table = atomic_load_explicit(&gen->table, memory_order_acquire);
  for (size_t i = 0; i < table->cap; i++) {
    _Atomic uint64_t *block = atomic_load_explicit(&table->blocks[i], memory_order_acquire);
    unsigned char mode = tid_mode ? tid_mode[i] : CENSUS__HARVEST_BOTH;
    if (!block || mode == CENSUS__HARVEST_SKIP) {
      continue;
    }
    for (size_t v = 0; v < gen->list->count; v++) {
      struct census__rview *view = gen->list->views[v];
      _Atomic uint64_t *cell = block + gen->offsets[v];
      census__harvest_words(view, gen->series[v], cell + old * view->words);
      if (mode == CENSUS__HARVEST_BOTH) {
        census__harvest_words(view, gen->series[v], cell + (old ^ 1) * view->words);
      }
    }
  }
}

/* Frees a handle's generations, its tag map and the handle. */
static void bound_destroy(census_bound_measure *b) {
  gens_free(atomic_load_explicit(&b->gen, memory_order_relaxed));
  census_tag_map_free(b->tags);
  pthread_mutex_destroy(&b->mu.mu);
  census__free(b);
}

void census__bound_harvest(const unsigned char *tid_mode, unsigned old_phase) {
  /* BOUND_LIST is held throughout, so no handle leaves the live list (census_bound_measure_free)
   * while it is walked; generations are only freed under COLLECT, which the caller holds. */
  census__mutex_lock(&list_mu);
  for (census_bound_measure *b = live; b; b = b->next) {
    for (struct bound_gen *gen = atomic_load_explicit(&b->gen, memory_order_acquire); gen;
         gen = gen->older) {
      gen_harvest(gen, tid_mode, old_phase);
    }
  }
  census_bound_measure *done = retired;
  retired = NULL;
  census__mutex_unlock(&list_mu);
  while (done) {
    census_bound_measure *next = done->next;
    for (struct bound_gen *gen = atomic_load_explicit(&done->gen, memory_order_acquire); gen;
         gen = gen->older) {
      gen_harvest(gen, NULL, old_phase);
    }
    bound_destroy(done);
    done = next;
  }
}

/* Replaces a handle's generations by one unresolved generation. */
static void bound_reset(census_bound_measure *b) {
  struct bound_gen *unresolved = gen_unresolved();
  if (!unresolved) {
    return; /* keep the old ones: harmless, only memory */
  }
  gens_free(atomic_exchange_explicit(&b->gen, unresolved, memory_order_acq_rel));
}

/* Forgets every live handle's resolved series and cells, and frees the retired handles (their
 * series are being freed and their data will not be exported). Caller holds BOUND_LIST. */
static void bound_reset_all(void) {
  census__bound_key_move(); /* a generation kept (no memory for its replacement) goes slow */
  for (census_bound_measure *b = live; b; b = b->next) {
    census__mutex_init(&b->mu, CENSUS__LOCK_BOUND); /* a fork child may inherit it locked */
    bound_reset(b);
  }
  while (retired) {
    census_bound_measure *next = retired->next;
    bound_destroy(retired);
    retired = next;
  }
}

void census__bound_key_move(void) {
  uint32_t key = atomic_load_explicit(&census__bound_key, memory_order_relaxed) + 1;
  /* seq_cst: after the caller's change (a view list, the mode's epoch) in every thread's view. 0
   * stays "never" (wraps after 2^32 moves). */
  atomic_store_explicit(&census__bound_key, key ? key : 1, memory_order_seq_cst);
}

void census__bound_shutdown(void) {
  census__mutex_lock(&list_mu);
  bound_reset_all();
  census__mutex_unlock(&list_mu);
}

void census__bound_fork_prepare(void) { census__mutex_lock(&list_mu); }

void census__bound_fork_parent(void) { census__mutex_unlock(&list_mu); }

void census__bound_fork_child(void) {
  bound_reset_all();
  census__mutex_unlock(&list_mu);
}

CENSUS_EXPORT void census_bound_measure_free(census_bound_measure *b) {
  if (!b) {
    return;
  }
  census__mutex_lock(&list_mu);
  census_bound_measure **link = &live;
  while (*link && *link != b) {
    link = &(*link)->next;
  }
  if (*link) {
    *link = b->next;
  }
  bool keep = !census__is_shut_down();
  if (keep) {
    b->next = retired; /* the next collection harvests and frees it */
    retired = b;
  }
  census__mutex_unlock(&list_mu);
  if (!keep) {
    bound_destroy(b); /* after census_shutdown(): nothing left to collect */
  }
}
