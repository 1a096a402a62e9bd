/* recorder.c - the record path.
 *
 * Each recording thread owns a census__thread_state: a private open-addressing table from
 * (view, tuple hash) to its cells, and the cells themselves, carved from 64-byte-aligned chunks
 * that only this thread writes, so no two threads' cells share a cache line.
 *
 * A record call:
 *   1. stores seq odd (entering), then reads the global phase: which half of each cell to write;
 *   2. for each measurement and each registered view of its measure, hashes the view's column
 *      values from the tag values' precomputed hashes, finds its cell in the private table
 *      (first time only: the view's series table under view->mu, and a new cell), and updates
 *      the active half with plain relaxed loads and stores (single writer: no atomic RMW);
 *   3. stores seq even (leaving), with release, publishing the updates.
 * The collector flips the phase and waits until each thread has left any record that might have
 * read the old phase; see collector.c for why step 1 needs no fence when membarrier() exists.
 */
#include "stats/recorder.h"

#include <math.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/global.h"
#include "stats/series.h"

#define CHUNK_BYTES 16384

struct census__cell_slot {
  uint64_t hash;
  struct census__cell *cell;
};

struct census__cell_chunk {
  struct census__cell_chunk *next;
  size_t size;
  _Alignas(64) unsigned char bytes[];
};

static _Thread_local struct census__thread_state *this_thread;

static inline uint64_t word_load(_Atomic uint64_t *w) {
  return atomic_load_explicit(w, memory_order_relaxed);
}

static inline void word_store(_Atomic uint64_t *w, uint64_t v) {
  atomic_store_explicit(w, v, memory_order_relaxed);
}

/* Runs when a recording thread exits: the collector harvests both halves and frees the state. */
static void thread_state_exit(void *arg) {
  struct census__thread_state *ts = arg;
  free(ts->slots);
  ts->slots = NULL;
  if (this_thread == ts) {
    this_thread = NULL;
  }
  atomic_store_explicit(&ts->dead, true, memory_order_release);
}

int census__recorder_start(void) {
  return pthread_key_create(&census__g.thread_key, thread_state_exit);
}

void census__recorder_forget_thread(void) {
  this_thread = NULL;
  pthread_setspecific(census__g.thread_key, NULL);
}

static struct census__thread_state *thread_state_new(void) {
  struct census__thread_state *ts = calloc(1, sizeof *ts);
  if (!ts) {
    return NULL;
  }
  ts->slot_mask = 15;
  ts->slots = calloc(ts->slot_mask + 1, sizeof *ts->slots);
  if (!ts->slots) {
    free(ts);
    return NULL;
  }
  pthread_mutex_lock(&census__g.threads_mu);
  ts->next = census__g.threads;
  census__g.threads = ts;
  pthread_mutex_unlock(&census__g.threads_mu);
  pthread_setspecific(census__g.thread_key, ts);
  this_thread = ts;
  return ts;
}

void census__thread_state_free(struct census__thread_state *ts) {
  struct census__cell_chunk *chunk = ts->chunks;
  while (chunk) {
    struct census__cell_chunk *next = chunk->next;
    free(chunk);
    chunk = next;
  }
  free(ts->slots);
  free(ts);
}

/* Carves `size` bytes (8-aligned) from the thread's current chunk, starting a new one when full.
 * A cell larger than a chunk gets a chunk of its own. */
static void *chunk_carve(struct census__thread_state *ts, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (!ts->chunks || ts->chunk_used + size > ts->chunks->size) {
    size_t capacity = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    struct census__cell_chunk *chunk =
        aligned_alloc(64, (sizeof *chunk + capacity + 63) & ~(size_t)63);
    if (!chunk) {
      return NULL;
    }
    chunk->size = capacity;
    chunk->next = ts->chunks;
    ts->chunks = chunk;
    ts->chunk_used = 0;
  }
  void *p = ts->chunks->bytes + ts->chunk_used;
  ts->chunk_used += size;
  return p;
}

/* Doubles the private slot table; on ENOMEM keeps the old one (lookups still work, the table is
 * just fuller). */
static void slots_grow(struct census__thread_state *ts) {
  size_t mask = ts->slot_mask * 2 + 1;
  struct census__cell_slot *slots = calloc(mask + 1, sizeof *slots);
  if (!slots) {
    return;
  }
  for (size_t i = 0; i <= ts->slot_mask; i++) {
    if (ts->slots[i].cell) {
      size_t j = ts->slots[i].hash & mask;
      while (slots[j].cell) {
        j = (j + 1) & mask;
      }
      slots[j] = ts->slots[i];
    }
  }
  free(ts->slots);
  ts->slots = slots;
  ts->slot_mask = mask;
}

/* The thread's cell for `series`, created (both halves empty) and published if new. Overflow
 * series cells are found by series pointer; normal ones were looked up by the caller already. */
static struct census__cell *cell_new(struct census__thread_state *ts, struct census__rview *view,
                                     struct census__series *series) {
  struct census__cell *cell =
      chunk_carve(ts, sizeof *cell + 2 * view->words * sizeof(cell->words[0]));
  if (!cell) {
    return NULL;
  }
  cell->series = series;
  cell->view = view;
  bool distribution = view->def.aggregation.type == CENSUS_AGGREGATION_DISTRIBUTION;
  for (size_t i = 0; i < 2 * view->words; i++) {
    size_t word = i % view->words;
    uint64_t v = 0;
    if (distribution && word == WORD_MIN) {
      v = census__bits_of(INFINITY);
    } else if (distribution && word == WORD_MAX) {
      v = census__bits_of(-INFINITY);
    }
    atomic_init(&cell->words[i], v);
  }
  cell->next = atomic_load_explicit(&ts->cells, memory_order_relaxed);
  atomic_store_explicit(&ts->cells, cell, memory_order_release);
  return cell;
}

/* Remembers `cell` under `hash` in the private table (the caller found no entry for it). */
static void slot_insert(struct census__thread_state *ts, uint64_t hash, struct census__cell *cell) {
  size_t i = hash & ts->slot_mask;
  while (ts->slots[i].cell) {
    i = (i + 1) & ts->slot_mask;
  }
  ts->slots[i].hash = hash;
  ts->slots[i].cell = cell;
  if (++ts->slot_used * 2 > ts->slot_mask) {
    slots_grow(ts);
  }
}

/* The thread's cell for a view's overflow series. It is cached under a key of its own, because
 * caching each overflowing tuple would grow the table without bound under a flood of them. */
static struct census__cell *overflow_cell_for(struct census__thread_state *ts,
                                              struct census__rview *view,
                                              struct census__series *series) {
  uint64_t hash = view->hash_seed ^ 0x6f766572666c6f77ULL; /* "overflow" */
  for (size_t i = hash & ts->slot_mask; ts->slots[i].cell; i = (i + 1) & ts->slot_mask) {
    if (ts->slots[i].hash == hash && ts->slots[i].cell->series == series) {
      return ts->slots[i].cell;
    }
  }
  struct census__cell *cell = cell_new(ts, view, series);
  if (cell) {
    slot_insert(ts, hash, cell);
  }
  return cell;
}

/* Finds or makes the thread's cell for the view's tuple in `tags`. NULL only on ENOMEM. */
static struct census__cell *cell_for(struct census__thread_state *ts, struct census__rview *view,
                                     const census_tag_map *tags) {
  uint64_t hash = census__tuple_hash(view, tags);
  for (size_t i = hash & ts->slot_mask; ts->slots[i].cell; i = (i + 1) & ts->slot_mask) {
    struct census__cell *cell = ts->slots[i].cell;
    if (ts->slots[i].hash == hash && cell->view == view &&
        census__series_matches(view, cell->series, tags)) {
      return cell;
    }
  }
  struct census__series *series = census__series_get(view, tags, hash);
  if (!series) {
    return NULL;
  }
  if (series->overflow) {
    return overflow_cell_for(ts, view, series);
  }
  struct census__cell *cell = cell_new(ts, view, series);
  if (cell) {
    slot_insert(ts, hash, cell);
  }
  return cell;
}

/* Index of the bucket for x: the first i with x <= bounds[i], or n (upper-inclusive buckets).
 * A branch-free lower-bound search: the compiler turns the conditional into a cmov. */
static inline size_t bucket_index(const double *bounds, size_t n, double x) {
  if (n == 0) {
    return 0;
  }
  const double *base = bounds;
  while (n > 1) {
    size_t half = n / 2;
    base = (base[half] < x) ? base + half : base;
    n -= half;
  }
  return (size_t)(base - bounds) + (*base < x);
}

/* Adds one measurement into the active half `w` of a cell. Single writer: plain loads/stores. */
static inline void cell_update(const struct census__rview *view, _Atomic uint64_t *w,
                               const struct census__measurement *m) {
  bool is_double = view->def.measure->type == CENSUS_MEASURE_DOUBLE;
  switch (view->def.aggregation.type) {
  case CENSUS_AGGREGATION_COUNT:
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    break;
  case CENSUS_AGGREGATION_SUM:
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    if (is_double) {
      word_store(&w[WORD_SUM], census__bits_of(census__double_of(word_load(&w[WORD_SUM])) +
                                               m->double_value));
    } else {
      word_store(&w[WORD_SUM], word_load(&w[WORD_SUM]) + (uint64_t)m->int_value);
    }
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    word_store(&w[WORD_VALUE],
               is_double ? census__bits_of(m->double_value) : (uint64_t)m->int_value);
    word_store(&w[WORD_TIME], (uint64_t)census__unix_ns());
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION: {
    double x = m->double_value;
    uint64_t n = word_load(&w[WORD_COUNT]) + 1;
    double mean = census__double_of(word_load(&w[WORD_MEAN]));
    double delta = x - mean;
    mean += delta / (double)n;
    double m2 = census__double_of(word_load(&w[WORD_M2])) + delta * (x - mean);
    word_store(&w[WORD_COUNT], n);
    word_store(&w[WORD_MEAN], census__bits_of(mean));
    word_store(&w[WORD_M2], census__bits_of(m2));
    if (x < census__double_of(word_load(&w[WORD_MIN]))) {
      word_store(&w[WORD_MIN], census__bits_of(x));
    }
    if (x > census__double_of(word_load(&w[WORD_MAX]))) {
      word_store(&w[WORD_MAX], census__bits_of(x));
    }
    size_t b = WORD_BUCKETS + bucket_index(view->def.aggregation.bounds,
                                           view->def.aggregation.bound_count, x);
    word_store(&w[b], word_load(&w[b]) + 1);
    break;
  }
  }
}

census_status census__measurement_check(const struct census__measurement *m) {
  if (m->measure->type == CENSUS_MEASURE_INT64) {
    return m->int_value < 0 ? CENSUS_ENEGATIVE : CENSUS_OK;
  }
  if (isnan(m->double_value) || isinf(m->double_value)) {
    return CENSUS_ENONFINITE;
  }
  return m->double_value < 0 ? CENSUS_ENEGATIVE : CENSUS_OK;
}

census_status census__record(const struct census__measurement *measurements, size_t count,
                             const census_tag_map *tags) {
  bool any_view = false;
  for (size_t i = 0; i < count && !any_view; i++) {
    any_view = atomic_load_explicit(&measurements[i].measure->views, memory_order_acquire)->count;
  }
  if (!any_view) {
    return CENSUS_OK; /* nothing registered (or shut down): nothing to do, nothing to touch */
  }
  struct census__thread_state *ts = this_thread ? this_thread : thread_state_new();
  if (!ts) {
    census__count_dropped("out_of_memory", (int64_t)count);
    return CENSUS_ENOMEM;
  }
  uint64_t seq = atomic_load_explicit(&ts->seq, memory_order_relaxed);
  atomic_store_explicit(&ts->seq, seq + 1, memory_order_release);
  if (census__g.recorders_fence) {
    atomic_thread_fence(memory_order_seq_cst);
  } else {
    atomic_signal_fence(memory_order_seq_cst); /* the collector's membarrier() does the rest */
  }
  unsigned phase = atomic_load_explicit(&census__g.phase, memory_order_relaxed);
  int64_t failed = 0;
  for (size_t i = 0; i < count; i++) {
    struct census__view_list *list =
        atomic_load_explicit(&measurements[i].measure->views, memory_order_acquire);
    for (size_t v = 0; v < list->count; v++) {
      struct census__rview *view = list->views[v];
      struct census__cell *cell = cell_for(ts, view, tags);
      if (cell) {
        cell_update(view, cell->words + phase * view->words, &measurements[i]);
      } else {
        failed++;
      }
    }
  }
  atomic_store_explicit(&ts->seq, seq + 2, memory_order_release);
  if (failed) {
    census__count_dropped("out_of_memory", failed);
    return CENSUS_ENOMEM;
  }
  return CENSUS_OK;
}
