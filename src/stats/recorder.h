/* recorder.h - the record path and the per-thread state the collector reads. */
#ifndef CENSUS_STATS_RECORDER_H
#define CENSUS_STATS_RECORDER_H

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/stats.h"
#include "stats/stats_internal.h"

/* One measurement: the measure and its value in both forms (int_value is meaningful for int64
 * measures only). */
struct census__measurement {
  const census_measure *measure;
  int64_t int_value;
  double double_value;
};

struct census__cell_chunk;

/* A recording thread's state. `seq` is odd while the thread is inside a record call; `cells` is
 * the list of its cells (pushed by the owner with release, read by the collector with acquire).
 * The slot table and chunks are the owner's alone while it lives. */
struct census__thread_state {
  struct census__thread_state *next; /* census__g.threads, under threads_mu */
  _Atomic uint64_t seq;
  _Atomic(struct census__cell *) cells;
  _Atomic bool dead;
  uint32_t tid; /* < CENSUS__MAX_TIDS, or CENSUS__NO_TID */
  struct census__cell_slot *slots;
  size_t slot_mask, slot_used;
  struct census__cell_chunk *chunks;
  size_t chunk_used;
  /* Recently used (tag map content id, view) -> cell: records that reuse a tag map skip hashing
   * and comparing its values. Direct-mapped; a miss falls back to the slot table. */
  struct census__recent_cell {
    uint64_t map_id;
    const struct census__rview *view;
    struct census__cell *cell;
  } recent[64];
};

#define CENSUS__NO_TID UINT32_MAX

/* The calling thread's state, created (and registered) on first use; NULL only on ENOMEM. */
struct census__thread_state *census__thread_state_get(void);

/* Records `count` validated measurements against `tags`, atomically with respect to collection.
 * Returns CENSUS_OK or CENSUS_ENOMEM (a first-seen series or cell could not be allocated; those
 * measurements are counted as dropped). */
census_status census__record(const struct census__measurement *measurements, size_t count,
                             const census_tag_map *tags);

/* Validates one value for its measure: CENSUS_ENEGATIVE, CENSUS_ENONFINITE or CENSUS_OK.
 * Inline: every record and put calls it. */
static inline census_status census__measurement_check(const struct census__measurement *m) {
  if (m->measure->type == CENSUS_MEASURE_INT64) {
    return m->int_value < 0 ? CENSUS_ENEGATIVE : CENSUS_OK;
  }
  if (isnan(m->double_value) || isinf(m->double_value)) {
    return CENSUS_ENONFINITE;
  }
  return m->double_value < 0 ? CENSUS_ENEGATIVE : CENSUS_OK;
}

/* Refuses `count` measurements of the measure named `measure_name` with `status`: counts them in
 * census/dropped_measurements (reason "invalid_value") and reports the refusal through the
 * diagnostics callback. Returns `status`. */
census_status census__refuse(census_status status, size_t count, const char *measure_name);

/* Frees a dead thread's state with its cells and releases its id (collector, after harvesting
 * it; caller holds threads_mu). */
void census__thread_state_free(struct census__thread_state *ts);

/* Creates the thread-exit key; called once at start-up. */
int census__recorder_start(void);

/* In a fork child: forgets the forking thread's state (its memory is freed with every other
 * thread's by the caller), so its next record starts afresh. */
void census__recorder_forget_thread(void);

#endif
