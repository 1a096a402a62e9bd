/* recorder.h - the record path, the recording threads' state the collector reads, and the
 * counting of what the record path refuses or cannot keep. */
#ifndef CENSUS_STATS_RECORDER_H
#define CENSUS_STATS_RECORDER_H

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/stats.h"
#include "core/thread_local.h"
#include "stats/stats_internal.h"

struct census__cell_chunk;

/* A recording thread's state. `seq` is odd while the thread is inside a record call; `cells` is
 * the list of its cells (pushed by the owner with release, read by the collector with acquire).
 * The slot table and chunks are the owner's alone while it lives. */
struct census__thread_state {
  struct census__thread_state *next; /* recorder.c's list of threads, under THREADS */
  _Atomic uint64_t seq;
  _Atomic(struct census__cell *) cells;
  _Atomic bool dead;
  uint32_t tid; /* < CENSUS__MAX_TIDS, or CENSUS__NO_TID */
  struct census__cell_slot *slots;
  size_t slot_mask, slot_used;
  struct census__cell_chunk *chunks;
  size_t chunk_used;
  /* Recently used (tag map content id, view) -> cell: records that reuse a tag map skip hashing
   * and comparing its values. Direct-mapped, indexed by the top six bits of the map's id xor the
   * view's hash seed (recorder.c's recent_slot()); a miss falls back to the slot table. A view
   * with exemplars is kept under its address with bit 0 set (recorder.c's cell_miss()). */
  struct census__recent_cell {
    uint64_t map_id;
    const struct census__rview *view;
    struct census__cell *cell;
  } recent[64];
};

/* Recording threads get a small id, reused after the thread is gone, which indexes the per-thread
 * cells of bound measures. Threads beyond this many at once record bound measures through the
 * unbound path instead (correct, a little slower). */
#define CENSUS__MAX_TIDS 1024
#define CENSUS__NO_TID UINT32_MAX

/* The calling thread's state (recorder.c owns it; NULL until the thread first records, and again
 * after census_shutdown() or, in a fork child, after the fork). */
extern CENSUS__HOT_THREAD_LOCAL struct census__thread_state *census__this_thread;

/* Creates and registers the calling thread's state. NULL only on ENOMEM. Cold: once a thread. */
struct census__thread_state *census__thread_state_new(void);

/* The calling thread's state, created (and registered) on first use; NULL only on ENOMEM.
 * Inline: one thread-local load on every record. */
static inline struct census__thread_state *census__thread_state_get(void) {
  struct census__thread_state *ts = census__this_thread;
  return __builtin_expect(ts != NULL, 1) ? ts : census__thread_state_new();
}

/* Records `count` validated measurements against `tags`, atomically with respect to collection.
 * Returns CENSUS_OK or CENSUS_ENOMEM (a first-seen series or cell could not be allocated; those
 * measurements are counted as dropped). */
census_status census__record(const struct census__measurement *measurements, size_t count,
                             const census_tag_map *tags);

/* Validates one value for its measure: CENSUS_ENEGATIVE (a negative value for a measure that is
 * not signed), CENSUS_ENONFINITE or CENSUS_OK. Inline: every record and put calls it; the sign
 * flag is read only for a negative value. */
static inline census_status census__measurement_check(const struct census__measurement *m) {
  if (m->measure->type == CENSUS_MEASURE_INT64) {
    return m->int_value < 0 && !m->measure->signed_values ? CENSUS_ENEGATIVE : CENSUS_OK;
  }
  if (isnan(m->double_value) || isinf(m->double_value)) {
    return CENSUS_ENONFINITE;
  }
  return m->double_value < 0 && !m->measure->signed_values ? CENSUS_ENEGATIVE : CENSUS_OK;
}

/* True when `value` is finite and not negative (-0 aside): its bits, read as an unsigned integer,
 * are below +infinity's, since a set sign bit or an all-ones exponent (infinities, NaN) makes
 * them larger. One compare for census__measurement_check()'s three tests of a double; what it
 * leaves out (negatives, -0, NaN, infinities) takes the full check, so the two agree. */
static inline bool census__double_plainly_valid(double value) {
  return census__bits_of(value) < UINT64_C(0x7ff0000000000000);
}

/* Refuses `count` measurements of the measure named `measure_name` with `status`: counts them in
 * census/dropped_measurements (reason "invalid_value") and reports the refusal through the
 * diagnostics callback. Returns `status`. Cold. */
census_status census__refuse(census_status status, size_t count, const char *measure_name);

/* One value recorded into `measure` (non-NULL): validation (a refusal counted and reported),
 * then the record path of one measurement (census__record()'s), with its fast path inline.
 * census_record_int64() / _double() and the instruments' records call these, one call deep.
 * Returns as census__record(), or the refusal's status. */
census_status census__record_one_int64(const census_measure *measure, int64_t value,
                                       const census_tag_map *tags);
census_status census__record_one_double(const census_measure *measure, double value,
                                        const census_tag_map *tags);

/* Counts `count` measurements the record path refused or could not keep, under `reason`
 * ("invalid_value", "out_of_memory"; anything else counts as "other"), in the measure given to
 * census__recorder_count_drops_in(). Nothing before that. */
void census__count_dropped(const char *reason, int64_t count);

/* Makes census__count_dropped() record into `measure` (census/dropped_measurements, self_metrics.c)
 * with the tag reason_key=<reason>: builds one tag map per reason now, so that counting a drop
 * allocates nothing. CENSUS_OK or CENSUS_ENOMEM (drops then go uncounted, reported). */
census_status census__recorder_count_drops_in(const census_measure *measure,
                                              const census_tag_key *reason_key);

/* The collector's view of the recording threads (each takes THREADS). A copy of the list (free()
 * it), *count set; NULL on ENOMEM. */
struct census__thread_state **census__threads_snapshot(size_t *count);

/* Frees each of the `count` states in `list` (from a snapshot) that was marked dead before the
 * collection harvested it: unlinks it, releases its thread id, frees its cells. */
void census__threads_free_dead(struct census__thread_state **list, size_t count);

/* census_shutdown(), no recorder running: frees every thread state and forgets the thread-exit
 * key. Takes THREADS. */
void census__threads_shutdown(void);

/* fork(): prepare takes THREADS; parent releases it; child frees every thread state (they hold
 * the parent's cells), so each thread's next record starts afresh, and releases it. */
void census__threads_fork_prepare(void);
void census__threads_fork_parent(void);
void census__threads_fork_child(void);

#endif
