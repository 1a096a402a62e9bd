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
 *
 * Thread states. This file owns them: the list the collector walks (under THREADS), the small
 * thread ids bound measures index by, and the thread-exit key whose destructor marks a state
 * dead; the collector harvests a dead state whole and then frees it here
 * (census__threads_free_dead()).
 *
 * Drops. What the record path refuses (invalid values) or cannot keep (out of memory) is counted
 * by recording it into census/dropped_measurements, whose measure and view self_metrics.c
 * creates at load and hands over (census__recorder_count_drops_in()).
 */
#include "stats/recorder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "stats/cell.h"
#include "stats/measurement_map.h"
#include "stats/series.h"
#include "stats/shm.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

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

CENSUS__HOT_THREAD_LOCAL struct census__thread_state *census__this_thread;

/* The recording threads, newest first, their ids and the thread-exit key, under threads_mu. */
static census__mutex threads_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_THREADS);
static struct census__thread_state *threads;
static uint64_t tids_used[CENSUS__MAX_TIDS / 64];
static pthread_key_t thread_key;
static bool thread_key_made;

/* Where drops are counted (census__recorder_count_drops_in(); read-only afterwards). */
static const census_measure *dropped_measure;
static struct {
  const char *reason;
  census_tag_map *tags;
} drop_reasons[] = {{"invalid_value", NULL}, {"out_of_memory", NULL}, {"other", NULL}};
#define DROP_REASONS (sizeof drop_reasons / sizeof drop_reasons[0])

/* Runs when a recording thread exits: the collector harvests both halves and frees the state. */
static void thread_state_exit(void *arg) {
  struct census__thread_state *ts = arg;
  census__free(ts->slots);
  ts->slots = NULL;
  if (census__this_thread == ts) {
    census__this_thread = NULL;
  }
  atomic_store_explicit(&ts->dead, true, memory_order_release);
}

__attribute__((cold, noinline)) struct census__thread_state *census__thread_state_new(void) {
  struct census__thread_state *ts = census__calloc(1, sizeof *ts);
  if (!ts) {
    return NULL;
  }
  ts->slot_mask = 15;
  ts->slots = census__calloc(ts->slot_mask + 1, sizeof *ts->slots);
  if (!ts->slots) {
    census__free(ts);
    return NULL;
  }
  census__mutex_lock(&threads_mu);
  if (!thread_key_made) {
    thread_key_made = pthread_key_create(&thread_key, thread_state_exit) == 0;
  }
  ts->tid = CENSUS__NO_TID;
  for (uint32_t word = 0; word < CENSUS__MAX_TIDS / 64 && ts->tid == CENSUS__NO_TID; word++) {
    if (~tids_used[word]) {
      uint32_t bit = (uint32_t)__builtin_ctzll(~tids_used[word]);
      tids_used[word] |= 1ULL << bit;
      ts->tid = word * 64 + bit;
    }
  }
  ts->next = threads;
  threads = ts;
  if (thread_key_made) {
    pthread_setspecific(thread_key, ts);
  }
  census__mutex_unlock(&threads_mu);
  census__this_thread = ts;
  return ts;
}

/* Frees a state with its cells and releases its id. Caller holds THREADS. */
static void thread_state_free(struct census__thread_state *ts) {
  if (ts->tid != CENSUS__NO_TID) {
    tids_used[ts->tid / 64] &= ~(1ULL << (ts->tid % 64));
  }
  struct census__cell_chunk *chunk = ts->chunks;
  while (chunk) {
    struct census__cell_chunk *next = chunk->next;
    census__free(chunk);
    chunk = next;
  }
  census__free(ts->slots);
  census__free(ts);
}

/* Carves `size` bytes (8-aligned) from the thread's current chunk, starting a new one when full.
 * A cell larger than a chunk gets a chunk of its own. */
static void *chunk_carve(struct census__thread_state *ts, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (!ts->chunks || ts->chunk_used + size > ts->chunks->size) {
    size_t capacity = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    struct census__cell_chunk *chunk =
        census__aligned_alloc(64, (sizeof *chunk + capacity + 63) & ~(size_t)63);
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
  struct census__cell_slot *slots = census__calloc(mask + 1, sizeof *slots);
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
  census__free(ts->slots);
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
  cell->shm = NULL;
  cell->shm_epoch = 0;
  census__shm_env_poll();
  census__cell_words_init(view, cell->words);
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

/* Finds or makes the thread's cell for the view's tuple in `tags`. NULL only on ENOMEM.
 * The view's column values are looked up in the tag map once, hashed from their stored hashes
 * and compared against the candidate series without touching the tag map again. Out of line: the
 * record path reaches it only when its cache of recent cells misses, and its gathered entries
 * would otherwise enlarge the record path's frame. */
static __attribute__((noinline)) struct census__cell *cell_lookup(struct census__thread_state *ts,
                                                                  struct census__rview *view,
                                                                  const census_tag_map *tags) {
  const struct census__tag_entry *entries[CENSUS__GATHER_MAX];
  bool gathered = view->def.column_count <= CENSUS__GATHER_MAX;
  uint64_t hash;
  if (gathered) {
    census__tuple_gather(view, tags, entries);
    hash = census__tuple_hash_entries(view, entries);
  } else {
    hash = census__tuple_hash(view, tags);
  }
  for (size_t i = hash & ts->slot_mask; ts->slots[i].cell; i = (i + 1) & ts->slot_mask) {
    struct census__cell *cell = ts->slots[i].cell;
    if (ts->slots[i].hash == hash && cell->view == view &&
        (gathered ? census__series_matches_entries(view, cell->series, entries)
                  : census__series_matches(view, cell->series, tags))) {
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

/* The key a view with exemplars' cell is cached under (cell_miss()). */
static inline const struct census__rview *exemplar_key(const struct census__rview *view) {
  return (const struct census__rview *)((uintptr_t)view | 1);
}

/* A miss in the cache of recent cells: the slot table (cell_lookup()), then the cache entry
 * `recent` remembers the cell. Out of line, so the record path keeps few live registers. Views
 * with exemplars always come here (see below). (A record that saw shared-memory mode off though
 * this new cell turned it on, CENSUS_SHM_DIR noticed here, goes to the in-process cell, as every
 * record made before the mode: the collector carries it into the file.) */
static __attribute__((noinline)) struct census__cell *
cell_miss(struct census__thread_state *ts, struct census__recent_cell *recent,
          struct census__rview *view, const census_tag_map *tags, uint64_t map_id) {
  /* A view with exemplars is cached under its address with bit 0 set, which the inline check of
   * cell_for() never matches: each of its records comes here and hands its tags to the cell
   * update's exemplar case (exemplar.h), and a repeat finds its cell without the lookup. */
  const struct census__rview *key = view->exemplar_at ? exemplar_key(view) : view;
  if (view->exemplar_at && recent->map_id == map_id && recent->view == key) {
    census__exemplar_tags = tags;
    return recent->cell;
  }
  struct census__cell *cell = cell_lookup(ts, view, tags);
  if (cell) {
    census__exemplar_tags = tags;
    recent->map_id = map_id;
    recent->view = key;
    recent->cell = cell;
  }
  return cell;
}

/* The entry of the thread's cache of recent cells for (tag map content `map_id`, view): the top
 * six bits of the map's id (well mixed: tag_map.c) xor the view's hash seed (a hash of its
 * name), so the views recorded with one tag map take different entries. */
static inline struct census__recent_cell *
recent_slot(struct census__thread_state *ts, const struct census__rview *view, uint64_t map_id) {
  return &ts->recent[(map_id ^ view->hash_seed) >> 58];
}

/* The thread's cell for the view's tuple in `tags` (whose content id is `map_id`), through the
 * thread's cache of recent (tag map content, view) pairs first. NULL only on ENOMEM. */
static inline struct census__cell *cell_for(struct census__thread_state *ts,
                                            struct census__rview *view, const census_tag_map *tags,
                                            uint64_t map_id) {
  struct census__recent_cell *recent = recent_slot(ts, view, map_id);
  if (__builtin_expect(recent->map_id == map_id && recent->view == view, 1)) {
    return recent->cell;
  }
  return cell_miss(ts, recent, view, tags, map_id);
}

/* What census__record() does when something failed: `failed` measurements had no cell (out of
 * memory), or (ts NULL) the thread state could not be made for all `failed` of them. Cold. */
static __attribute__((cold, noinline)) census_status record_failed(int64_t failed) {
  census__count_dropped("out_of_memory", failed);
  return CENSUS_ENOMEM;
}

/* A record that found no registered view: nothing registered, or shut down (which empties every
 * view list). Out of line. */
static __attribute__((noinline)) census_status record_no_view(void) {
  return census__is_shut_down() ? census__record_after_shutdown() : CENSUS_OK;
}

/* Several measurements: one pass; the thread state is read, and the record window entered, at
 * the first measurement with a registered view. Out of line (a map of several measures). */
static __attribute__((noinline)) census_status
record_many(const struct census__measurement *ms, size_t count, const census_tag_map *tags) {
  struct census__thread_state *ts = NULL;
  uint64_t seq = 0;
  unsigned phase = 0;
  int64_t failed = 0;
  uint64_t map_id = census__tag_map_id(tags);
  for (size_t i = 0; i < count; i++) {
    struct census__view_list *list =
        atomic_load_explicit(&ms[i].measure->views, memory_order_acquire);
    if (list->count == 0) {
      continue;
    }
    if (!ts) {
      ts = census__thread_state_get();
      if (!ts) {
        return record_failed((int64_t)count); /* nothing recorded yet */
      }
      phase = census__window_enter(&ts->seq, &seq);
    }
    for (size_t v = 0; v < list->count; v++) {
      struct census__rview *view = list->views[v];
      struct census__cell *cell = cell_for(ts, view, tags, map_id);
      if (cell) {
        /* Outside the mode the cell's shm stays NULL: its in-process half takes the record. */
        census__shm_record(cell, view, cell->words + phase * view->words, &ms[i]);
      } else {
        failed++;
      }
    }
  }
  if (!ts) {
    return record_no_view();
  }
  census__window_leave(&ts->seq, seq);
  return failed ? record_failed(failed) : CENSUS_OK;
}

/* One measurement in shared-memory mode, for a thread with a state: census__record()'s path, each
 * view's cell then recorded as the mode records (census__shm_record(): its shared cell, attached
 * first if the epoch moved; its in-process half only when the file could not hold one, which is
 * why the record window is entered). Out of line, so that the in-process path pays only the
 * branch here. */
static __attribute__((noinline, flatten)) census_status
record_one_shm(const struct census__measurement *m, struct census__view_list *list,
               struct census__thread_state *ts, const census_tag_map *tags) {
  uint64_t map_id = census__tag_map_id(tags);
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  int64_t failed = 0;
  for (size_t v = 0; v < list->count; v++) {
    struct census__rview *view = list->views[v];
    struct census__cell *cell = cell_for(ts, view, tags, map_id);
    if (__builtin_expect(cell == NULL, 0)) {
      failed++;
      continue;
    }
    census__shm_record(cell, view, cell->words + phase * view->words, m);
  }
  census__window_leave(&ts->seq, seq);
  return __builtin_expect(failed != 0, 0) ? record_failed(failed) : CENSUS_OK;
}

/* What a record with no tags (NULL, and no current tag map) uses in place of NULL: an empty map
 * with NULL's id, 0. Every lookup reads it as it reads NULL (no entries). */
static const census_tag_map no_tags = {NULL, 0, 0, 0};

/* record_one_shm() for a measurement given as its parts: record_shm()'s way out. */
static __attribute__((noinline)) census_status
record_one_shm_parts(const census_measure *measure, int64_t int_value, double double_value,
                     const census_tag_map *tags, struct census__view_list *list,
                     struct census__thread_state *ts) {
  struct census__measurement m = {measure, int_value, double_value};
  return record_one_shm(&m, list, ts, tags);
}

/* record_shm() for the aggregations it does not spell out (signed sums, last values, exponential
 * histograms, ...): census__shm_cell_update()'s switch. Out of line and reached by a tail call, so
 * that record_shm() keeps a frame without saved registers. */
static __attribute__((noinline)) census_status
record_shm_cached(const struct census__rview *view, struct census__cell *cell,
                  const census_measure *measure, int64_t int_value, double double_value) {
  struct census__measurement m = {measure, int_value, double_value};
  census__shm_cell_update(view, cell->shm, &m);
  return CENSUS_OK;
}

/* record_shm() for a DISTRIBUTION, reached by a tail call, as record_cached_distribution() is
 * outside the mode: the bucket search and the shared cell's update (census__shm_cell_update()'s
 * DISTRIBUTION case without its dispatch), written out once per measure type so that each is
 * straight code with the type and sign constants: the shared min and max are one SSE min and max
 * each. The update is inline and calls nothing, so this function needs no frame. */
static __attribute__((noinline)) census_status
record_shm_distribution(const struct census__rview *view, struct census__cell *cell,
                        const census_measure *measure, int64_t int_value, double double_value) {
  struct census__measurement m = {measure, int_value, double_value};
  size_t b = census__shm_distribution_bucket(view, double_value);
  if (measure->type == CENSUS_MEASURE_DOUBLE) {
    census__shm_distribution_record(view->layout_words, cell->shm, true, false, b, &m);
  } else {
    census__shm_distribution_record(view->layout_words, cell->shm, false, measure->signed_values, b,
                                    &m);
  }
  return CENSUS_OK;
}

/* Shared-memory mode's entry for one measurement (record_one_fast() comes here when the mode is
 * on, the measure has one view and the thread a state; the value as record_one_fast() passes
 * it). In the mode a record goes to its cell's shared cell only (shm.h, census__shm_record()),
 * so the common case, the view's cell in the cache of recent cells with its shared cell attached
 * for the current epoch, needs no record window: a COUNT or SUM shared cell's next state is
 * written from its gen and writer word and published by one release store; a DISTRIBUTION goes
 * to record_shm_distribution(), other aggregations to record_shm_cached(). Anything else (a
 * miss, a view with exemplars, which the cache keeps under another key, a cell not attached for
 * this epoch or that the file could not hold) goes to record_one_shm(), which records the same
 * way through the general lookup. Only tail calls, so no frame. Inlined in record_shm_parts() and
 * record_shm_given(). */
static inline __attribute__((always_inline)) census_status
record_shm(const census_measure *measure, int64_t int_value, double double_value,
           const census_tag_map *tags, struct census__view_list *list,
           struct census__thread_state *ts) {
  struct census__rview *view = list->views[0];
  struct census__recent_cell *recent = recent_slot(ts, view, tags->id);
  struct census__cell *cell = recent->cell;
  if (__builtin_expect(recent->map_id != tags->id || recent->view != view || !cell->shm ||
                           cell->shm_epoch !=
                               atomic_load_explicit(&census__shm_epoch, memory_order_relaxed),
                       0)) {
    return record_one_shm_parts(measure, int_value, double_value, tags, list, ts);
  }
  census_aggregation_type type = view->record_type;
  if (type == CENSUS_AGGREGATION_COUNT) {
    census__shm_count_record(cell->shm);
  } else if (type == CENSUS_AGGREGATION_SUM) {
    struct census__measurement m = {measure, int_value, double_value};
    census__shm_sum_record(cell->shm, measure->type == CENSUS_MEASURE_DOUBLE, false, &m);
  } else if (type == CENSUS_AGGREGATION_DISTRIBUTION) {
    return record_shm_distribution(view, cell, measure, int_value, double_value);
  } else {
    return record_shm_cached(view, cell, measure, int_value, double_value);
  }
  return CENSUS_OK;
}

/* record_shm() for a value given as its parts (a direct record). */
static __attribute__((noinline)) census_status
record_shm_parts(const census_measure *measure, int64_t int_value, double double_value,
                 const census_tag_map *tags, struct census__view_list *list,
                 struct census__thread_state *ts) {
  return record_shm(measure, int_value, double_value, tags, list, ts);
}

/* record_shm() for a measurement the caller holds (a map's entry, census__record()): passed as
 * one pointer, so that record_one_fast() keeps no more values live for this way out than for
 * its others. */
static __attribute__((noinline)) census_status record_shm_given(const struct census__measurement *m,
                                                                const census_tag_map *tags,
                                                                struct census__view_list *list,
                                                                struct census__thread_state *ts) {
  return record_shm(m->measure, m->int_value, m->double_value, tags, list, ts);
}

/* One measurement into each view of `list` (the thread has a state, shared-memory mode is off):
 * each view's cell found through the cache of recent cells (the slot table on a miss) and
 * updated inside the record window. Out of line: record_one()'s general case. */
static __attribute__((noinline)) census_status record_views(const struct census__measurement *m,
                                                            const census_tag_map *tags,
                                                            struct census__view_list *list,
                                                            struct census__thread_state *ts) {
  uint64_t map_id = census__tag_map_id(tags);
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  int64_t failed = 0;
  for (size_t v = 0; v < list->count; v++) {
    struct census__rview *view = list->views[v];
    struct census__cell *cell = cell_for(ts, view, tags, map_id);
    if (__builtin_expect(cell != NULL, 1)) {
      census__cell_update(view, cell->words + phase * view->words, m);
    } else {
      failed++;
    }
  }
  census__window_leave(&ts->seq, seq);
  return __builtin_expect(failed != 0, 0) ? record_failed(failed) : CENSUS_OK;
}

/* record_one_fast() for the aggregations it does not spell out but DISTRIBUTION (last values,
 * exponential histograms, signed sums, exemplars, ...): the record window around
 * census__cell_update(), out of line and reached by a tail call. */
static __attribute__((noinline)) census_status
record_cached(struct census__thread_state *ts, const struct census__rview *view,
              struct census__cell *cell, const census_measure *measure, int64_t int_value,
              double double_value) {
  struct census__measurement m = {measure, int_value, double_value};
  uint64_t seq;
  unsigned phase = census__window_enter(&ts->seq, &seq);
  census__cell_update(view, cell->words + phase * view->words, &m);
  census__window_leave(&ts->seq, seq);
  return CENSUS_OK;
}

/* record_one_fast() for a DISTRIBUTION, reached by a tail call, so that the fast path keeps a
 * frame without saved registers and its COUNT and SUM cases stay a few instructions. The update is
 * inline and calls nothing, so this function needs no frame either (no saved registers, the
 * measurement kept in registers: record_cached_other()'s call of census__cell_update() would
 * need both). */
static __attribute__((noinline)) census_status
record_cached_distribution(struct census__thread_state *ts, const struct census__rview *view,
                           struct census__cell *cell, const census_measure *measure,
                           int64_t int_value, double double_value) {
  struct census__measurement m = {measure, int_value, double_value};
  /* census__cell_distribution_update()'s two halves, with the measure the caller holds (not the
   * view's copy of it: one load less). */
  uint64_t seq;
  _Atomic uint64_t *w = cell->words + census__window_enter(&ts->seq, &seq) * view->words;
  census__moments_add_for(measure, w, &m);
  /* census__cell_bucket_add() with the search's bound count a constant up to 15 (bounds padded
   * to 15, cell.h): four compares from the first bound, without the join of the longer search. */
  const double *bounds = view->def.aggregation.bounds;
  size_t n = view->def.aggregation.bound_count;
  size_t b = __builtin_expect(n <= 15, 1) ? bucket_index(bounds, 15, double_value)
                                          : bucket_index(bounds, n, double_value);
  census__window_own_add(&w[WORD_BUCKETS + b], 1);
  census__window_leave(&ts->seq, seq);
  return CENSUS_OK;
}

/* record_cached() for a view with exemplars, whose cell the cache of recent cells keeps under
 * the view's address with bit 0 set (cell_miss()): the exemplar case of the update reads the
 * recording's tags from census__exemplar_tags (exemplar.h), set here as cell_miss() sets it. */
static __attribute__((noinline)) census_status
record_cached_exemplar(struct census__thread_state *ts, const struct census__rview *view,
                       struct census__cell *cell, const census_measure *measure, int64_t int_value,
                       double double_value, const census_tag_map *tags) {
  census__exemplar_tags = tags;
  return record_cached(ts, view, cell, measure, int_value, double_value);
}

/* One measurement (a direct record, a map of one measure), the general way: what
 * record_one_fast() hands over when its conditions do not hold (several views or none, no thread
 * state yet, shared-memory mode with several views, a miss in the cache of recent cells, a view
 * with exemplars; shared-memory mode with one view goes to record_shm_parts() or
 * record_shm_given(), whose misses come back through record_one_shm()), with
 * the view list and thread state it read. `tags` is resolved already (never NULL: no_tags). Each
 * way is a call of its own (tail calls), so that this dispatch costs no frame. */
static inline __attribute__((always_inline)) census_status
record_one(const struct census__measurement *m, const census_tag_map *tags,
           struct census__view_list *list, struct census__thread_state *ts, bool after_miss) {
  if (__builtin_expect(list->count == 0, 0)) {
    return record_no_view();
  }
  /* record_many() makes the thread state; record_one_shm() keeps shared-memory mode's cells
   * (shm.h): one relaxed load of a line written once per enable or fork, a test and a branch. */
  if (__builtin_expect(!ts, 0)) {
    return record_many(m, 1, tags);
  }
  if (__builtin_expect(atomic_load_explicit(&census__shm_epoch, memory_order_relaxed) != 0, 0)) {
    return record_one_shm(m, list, ts, tags);
  }
  if (after_miss && list->count == 1) {
    /* A view with exemplars whose cell is cached (under its key, see cell_miss()). */
    struct census__rview *view = list->views[0];
    struct census__recent_cell *recent = recent_slot(ts, view, tags->id);
    if (recent->map_id == tags->id && recent->view == exemplar_key(view)) {
      return record_cached_exemplar(ts, view, recent->cell, m->measure, m->int_value,
                                    m->double_value, tags);
    }
  }
  return record_views(m, tags, list, ts);
}

/* record_one() after a miss in the cache of recent cells, for a measurement the caller holds (a
 * map's entry). Out of line, without a frame. */
static __attribute__((noinline)) census_status
record_one_given_miss(const struct census__measurement *m, const census_tag_map *tags,
                      struct census__view_list *list, struct census__thread_state *ts) {
  return record_one(m, tags, list, ts, true);
}

/* record_one() for a measurement given as its parts (a direct record's). Out of line. */
static __attribute__((noinline)) census_status
record_one_parts(const census_measure *measure, int64_t int_value, double double_value,
                 const census_tag_map *tags, struct census__view_list *list,
                 struct census__thread_state *ts) {
  struct census__measurement m = {measure, int_value, double_value};
  return record_one(&m, tags, list, ts, false);
}

/* record_one_parts() after a miss in the cache of recent cells (one view, a thread state,
 * shared-memory mode off): first a view with exemplars whose cell is cached (see record_one()),
 * whose way on is then a tail call. Out of line, without a frame. */
static __attribute__((noinline)) census_status
record_one_parts_miss(const census_measure *measure, int64_t int_value, double double_value,
                      const census_tag_map *tags, struct census__view_list *list,
                      struct census__thread_state *ts) {
  struct census__rview *view = list->views[0];
  struct census__recent_cell *recent = recent_slot(ts, view, tags->id);
  if (recent->map_id == tags->id && recent->view == exemplar_key(view)) {
    return record_cached_exemplar(ts, view, recent->cell, measure, int_value, double_value, tags);
  }
  return record_one_parts(measure, int_value, double_value, tags, list, ts);
}

/* The record path of one measurement into a measure with one registered view whose cell for
 * this tag map is in the thread's cache of recent cells: the common case, and the one the bench
 * counts (bench/ops_callgrind.c). One view list load, one cache probe, the record window and the
 * update, in one frame without saved registers; every other case leaves through a tail call
 * before it enters the window (record_one() for the general path, record_cached_distribution()
 * for a DISTRIBUTION, record_cached() for the other aggregations), so exactly one path records
 * each value. Its COUNT and SUM updates are
 * census__cell_update()'s cases (cell.h) written out: the same words, the same saturation
 * (census__sum_add()); test_record.c's test_fast_path_matches_plain_path checks every
 * aggregation against the general path. `from_int`: the caller recorded an int64, and
 * double_value is made from int_value only where an update or a way out needs it. `given`: the
 * measurement as the caller holds it (census__record()), read where a value is needed (the
 * values' parameters are then unused) and taken by the general path without a copy; NULL for a
 * direct record (the general path makes one). */
static inline __attribute__((always_inline)) census_status
record_one_fast(const census_measure *measure, int64_t int_value, double double_value,
                const census_tag_map *tags, bool from_int,
                const struct census__measurement *given) {
#define INT_VALUE (given ? given->int_value : int_value)
#define DOUBLE_VALUE (given ? given->double_value : from_int ? (double)int_value : double_value)
#define RECORD_ONE(after_miss)                                                                          \
  (!given       ? (after_miss ? record_one_parts_miss : record_one_parts)(measure, INT_VALUE,           \
                                                                    DOUBLE_VALUE, tags, list, ts) \
   : after_miss ? record_one_given_miss(given, tags, list, ts)                                          \
                : record_one(given, tags, list, ts, false))
  if (!tags) {
    tags = census__tag_current;
    if (!tags) {
      tags = &no_tags; /* as NULL everywhere, with the id 0 NULL has: no test for NULL below */
    }
  }
  /* The measure's one view (NULL unless it has exactly one), read in place of its view list,
   * which only the ways out load. */
  struct census__rview *view = atomic_load_explicit(&measure->one_view, memory_order_acquire);
  struct census__thread_state *ts = census__this_thread;
  struct census__view_list *list;
  /* Not one view, shared-memory mode on (an epoch is 0 while the mode is off), or no state. */
  if (__builtin_expect(
          !view || atomic_load_explicit(&census__shm_epoch, memory_order_relaxed) != 0 || !ts, 0)) {
    list = atomic_load_explicit(&measure->views, memory_order_acquire);
    if (view && ts && list->count == 1) {
      /* One view and a state, so shared-memory mode is on: its own entry. (The list is tested
       * too: a registration or a shutdown since one_view was read may have changed it.) */
      return given ? record_shm_given(given, tags, list, ts)
                   : record_shm_parts(measure, int_value, DOUBLE_VALUE, tags, list, ts);
    }
    return RECORD_ONE(false);
  }
  uint64_t map_id = tags->id;
  struct census__recent_cell *recent = recent_slot(ts, view, map_id);
  if (__builtin_expect(recent->map_id != map_id || recent->view != view, 0)) {
    /* The ways after a miss take a list of one view (a registration since one_view was read may
     * have made it several). */
    list = atomic_load_explicit(&measure->views, memory_order_acquire);
    return list->count == 1 ? RECORD_ONE(true) : RECORD_ONE(false);
  }
  struct census__cell *cell = recent->cell;
  census_aggregation_type type = view->record_type;
  uint64_t seq;
  /* The count is the owner's plain add inside the window (census__window_own_add()): one add to
   * memory where a relaxed load and store are three instructions. */
  if (__builtin_expect(type == CENSUS_AGGREGATION_COUNT, 1)) {
    census__window_own_add(
        &cell->words[census__window_enter(&ts->seq, &seq) * view->words + WORD_COUNT], 1);
    census__window_leave(&ts->seq, seq); /* in each case: no register kept for a shared leave */
    return CENSUS_OK;
  } else if (type == CENSUS_AGGREGATION_DISTRIBUTION) { /* before SUM: its path is the longer */
    return record_cached_distribution(ts, view, cell, measure, INT_VALUE, DOUBLE_VALUE);
  } else if (type == CENSUS_AGGREGATION_SUM) {
    _Atomic uint64_t *w = cell->words + census__window_enter(&ts->seq, &seq) * view->words;
    census__window_own_add(&w[WORD_COUNT], 1);
    if (measure->type == CENSUS_MEASURE_DOUBLE) {
      struct census__measurement m = {measure, INT_VALUE, DOUBLE_VALUE};
      word_store(&w[WORD_SUM], census__sum_add(true, false, word_load(&w[WORD_SUM]), &m));
    } else if (__builtin_expect(
                   (int64_t)census__window_own_add(&w[WORD_SUM], (uint64_t)INT_VALUE) < 0, 0)) {
      /* census__sum_add()'s saturation (the word at most 2^63 and the value, of a measure
       * without negative values, at most INT64_MAX: no wrap), tested after the add as bound.c
       * does: past INT64_MAX becomes (or stays) saturated. */
      word_store(&w[WORD_SUM], CENSUS__SUM_SATURATED);
    }
  } else {
    return record_cached(ts, view, cell, measure, INT_VALUE, DOUBLE_VALUE);
  }
  census__window_leave(&ts->seq, seq);
  return CENSUS_OK;
#undef RECORD_ONE
#undef INT_VALUE
#undef DOUBLE_VALUE
}

census_status census__record(const struct census__measurement *measurements, size_t count,
                             const census_tag_map *tags) {
  if (__builtin_expect(count != 1, 0)) {
    return record_many(measurements, count, census__tags_or_current(tags));
  }
  return record_one_fast(measurements->measure, 0, 0, tags, false, measurements);
}

/* census_measurement_map_record() for a map that does not hold exactly one valid measurement:
 * a refused put poisons the whole map (measurement_map.c), else every entry is recorded. Out of
 * line: the public function keeps the one-measurement case inline. */
static __attribute__((noinline)) census_status map_record_other(const census_measurement_map *map,
                                                                const census_tag_map *tags) {
  if (map->refusal != CENSUS_OK) {
    return census__refuse(map->refusal, map->count + map->refused, map->refused_measure);
  }
  return record_many(map->entries, map->count, census__tags_or_current(tags));
}

CENSUS_EXPORT census_status census_measurement_map_record(const census_measurement_map *map,
                                                          const census_tag_map *tags) {
  if (!map) {
    return CENSUS_EINVAL;
  }
  const struct census__measurement *one = map->single; /* one entry, no refusal (or NULL) */
  if (__builtin_expect(one == NULL, 0)) {
    return map_record_other(map, tags);
  }
  return record_one_fast(one->measure, 0, 0, tags, false, one);
}

census_status census__record_one_int64(const census_measure *measure, int64_t value,
                                       const census_tag_map *tags) {
  if (__builtin_expect(value < 0, 0) && !measure->signed_values) {
    return census__refuse(CENSUS_ENEGATIVE, 1, measure->name);
  }
  return record_one_fast(measure, value, 0, tags, true, NULL);
}

census_status census__record_one_double(const census_measure *measure, double value,
                                        const census_tag_map *tags) {
  if (__builtin_expect(
          measure->type == CENSUS_MEASURE_INT64 || !census__double_plainly_valid(value), 0)) {
    struct census__measurement m = {measure, 0, value};
    census_status status =
        measure->type == CENSUS_MEASURE_INT64 ? CENSUS_ETYPE : census__measurement_check(&m);
    if (status != CENSUS_OK) {
      return census__refuse(status, 1, measure->name);
    }
  }
  return record_one_fast(measure, 0, value, tags, false, NULL);
}

/* ---- drops ------------------------------------------------------------------------------- */

census_status census__recorder_count_drops_in(const census_measure *measure,
                                              const census_tag_key *reason_key) {
  for (size_t i = 0; i < DROP_REASONS; i++) {
    drop_reasons[i].tags = census_tag_map_new();
    if (!drop_reasons[i].tags ||
        census_tag_map_put(drop_reasons[i].tags, reason_key, drop_reasons[i].reason) != CENSUS_OK) {
      return CENSUS_ENOMEM;
    }
  }
  dropped_measure = measure;
  return CENSUS_OK;
}

void census__count_dropped(const char *reason, int64_t count) {
  if (!dropped_measure || count <= 0) {
    return;
  }
  const census_tag_map *tags = drop_reasons[DROP_REASONS - 1].tags;
  for (size_t i = 0; i < DROP_REASONS; i++) {
    if (strcmp(drop_reasons[i].reason, reason) == 0) {
      tags = drop_reasons[i].tags;
    }
  }
  struct census__measurement m = {dropped_measure, count, (double)count};
  census__record(&m, 1, tags);
}

/* Shared by every record call (maps, direct, bound measures), so all refusals read the same: one
 * diagnostic line per refused call. Out of line: never on the path of a valid value. */
__attribute__((cold, noinline)) census_status census__refuse(census_status status, size_t count,
                                                             const char *measure_name) {
  census__count_dropped("invalid_value", (int64_t)count);
  census__diag(status, "refused %zu measurement(s) (measure \"%s\"): %s", count, measure_name,
               census_status_str(status));
  return status;
}

/* ---- the collector's and the lifecycle's view of the threads ------------------------------- */

struct census__thread_state **census__threads_snapshot(size_t *count) {
  census__mutex_lock(&threads_mu);
  size_t n = 0;
  for (struct census__thread_state *t = threads; t; t = t->next) {
    n++;
  }
  struct census__thread_state **list = census__malloc((n ? n : 1) * sizeof *list);
  n = 0;
  for (struct census__thread_state *t = threads; list && t; t = t->next) {
    list[n++] = t;
  }
  census__mutex_unlock(&threads_mu);
  *count = n;
  return list;
}

void census__threads_free_dead(struct census__thread_state **list, size_t count) {
  census__mutex_lock(&threads_mu);
  struct census__thread_state **link = &threads;
  while (*link) {
    struct census__thread_state *t = *link;
    bool harvested_dead = false;
    for (size_t i = 0; i < count && !harvested_dead; i++) {
      harvested_dead = list[i] == t && atomic_load_explicit(&t->dead, memory_order_acquire);
    }
    if (harvested_dead) {
      *link = t->next;
      thread_state_free(t);
    } else {
      link = &t->next;
    }
  }
  census__mutex_unlock(&threads_mu);
}

/* Frees every state (no recorder runs). Caller holds THREADS. */
static void threads_drop_all(void) {
  while (threads) {
    struct census__thread_state *next = threads->next;
    thread_state_free(threads);
    threads = next;
  }
  memset(tids_used, 0, sizeof tids_used);
}

void census__threads_shutdown(void) {
  census__mutex_lock(&threads_mu);
  if (thread_key_made) {
    pthread_key_delete(thread_key);
    thread_key_made = false;
  }
  threads_drop_all();
  census__this_thread = NULL;
  census__mutex_unlock(&threads_mu);
}

void census__threads_fork_prepare(void) { census__mutex_lock(&threads_mu); }

void census__threads_fork_parent(void) { census__mutex_unlock(&threads_mu); }

void census__threads_fork_child(void) {
  threads_drop_all();
  census__this_thread = NULL;
  if (thread_key_made) {
    pthread_setspecific(thread_key, NULL);
  }
  census__mutex_unlock(&threads_mu);
}
