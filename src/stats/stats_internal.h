/* stats_internal.h - the layout of measures, aggregations, views, series and cells.
 *
 * Data flow: a record call finds, for each registered view of the measure, the calling thread's
 * cell for the series named by the tag values, and adds the value into the cell's active half.
 * A collection flips which half is active, waits until no thread is still writing the old half
 * (see collector.c), adds each old half into its series' totals and zeroes it. Series totals are
 * touched only by the collector; cells only by their thread and, for the inactive half, the
 * collector. So recording shares no written cache line and takes no lock in the common case.
 *
 * Cell words. Each aggregation keeps a fixed number of 64-bit words per half ("words"):
 *   COUNT         [count]
 *   SUM           [count, sum]            sum: an int sum or double bits, as the measure
 *   LAST_VALUE    [time_ns, value]        time 0 means unset
 *   DISTRIBUTION  [count, sum, shift, s1, s2, min, max, bucket 0 .. bucket n]
 *                                         sum as for SUM; the others double bits
 *   EXPONENTIAL   [count, sum, shift, s1, s2, min, max, zero count, scale, base, memo x,
 *                  memo index, slot 0 .. max_size-1]
 *                                         as DISTRIBUTION for the first seven; slot k counts
 *                                         bucket index base + k at `scale` (both int64 as words);
 *                                         a half keeps its scale and base when reset, so a thread
 *                                         records at the scale its values need (exp_histogram.c);
 *                                         above scale 10 the last value's bits and index are
 *                                         remembered (0: none), so a constant value costs no
 *                                         index computation
 * A view registered with exemplars appends its exemplar reservoir to each half's words, after
 * the aggregation's own (census__rview.exemplar_at, exemplar.h); `words` counts both.
 * Series totals use the same layout.
 *
 * Distributions keep shifted sums: shift K is the first value the cell half (or the series'
 * totals) received, s1 = sum of (x - K), s2 = sum of (x - K)^2. The record path adds without a
 * divide (Welford's update divides per value). The collector merges a half into the totals by
 * moving its sums to the totals' shift (d = K_half - K_totals: s1 + n d, s2 + 2 d s1 + n d^2),
 * and a snapshot turns the totals into mean = K + s1/n and m2 = s2 - s1^2/n (view_data.c). With K
 * a value of the data, x - K is exact for values within a factor of two of K and s1 stays small,
 * so large values close together (1e9 + noise) keep their spread, where the plain sum-of-squares
 * formula cancels it away. What bounds the error is how far the data's mean moves from K
 * relative to its spread: a relative error of about 1e-16 (|mean - K| / sd)^2.
 *
 * Sums are exact running sums, kept beside (not derived from) the distribution's mean, so that
 * integer inputs give integer sums and a sum never decreases. Values are never negative (the
 * record calls refuse them), so an int sum only grows: it is held as 0 .. INT64_MAX, or
 * CENSUS__SUM_SATURATED once it would have passed INT64_MAX. That state is sticky (adding any
 * value <= INT64_MAX to it stays above INT64_MAX without wrapping a uint64), costs one compare
 * and conditional move per record, and is exported as INT64_MAX; the collector reports a row the
 * first time one of its totals saturates. Counts and bucket counts grow by one per measurement
 * and cannot pass INT64_MAX inside one collection interval; the collector's merge saturates them
 * at INT64_MAX. A double sum is plain IEEE addition: non-negative terms never make it smaller,
 * and it becomes +Inf (and stays there) past DBL_MAX.
 *
 * Signed measures (census_measure_options.signed_values: up-down counters, gauges) accept
 * negative values, so their sums may go down. A Sum view of one is registered as SIGNED_SUM
 * (below), its own case in the record path. Their int sum word is a two's-complement int64
 * clamped to INT64_MIN .. INT64_MAX on every addition (no sticky state: a clamped sum moves
 * again when the values turn), and the collector reports a row whose total was clamped as it
 * reports a saturated one. A double sum of a signed measure is plain IEEE addition.
 *
 * OBSERVED_SUM (internal, CENSUS__AGGREGATION_OBSERVED_SUM) is the aggregation of an observable
 * counter or up-down counter: its callback reports the total itself, so the cell keeps
 * [count, value] with the value replaced, not added, on each observation, and the merge keeps the
 * newer half's value. Snapshots present it as a SUM.
 */
#ifndef CENSUS_STATS_INTERNAL_H
#define CENSUS_STATS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "census/stats.h"
#include "core/lock.h"

#define CENSUS__NAME_MAX 255

enum { WORD_COUNT = 0, WORD_SUM = 1, WORD_TIME = 0, WORD_VALUE = 1 };
enum { WORD_SHIFT = 2, WORD_S1 = 3, WORD_S2 = 4, WORD_MIN = 5, WORD_MAX = 6, WORD_BUCKETS = 7 };
enum {
  WORD_EXP_ZERO = 7,
  WORD_EXP_SCALE = 8,
  WORD_EXP_BASE = 9,
  WORD_EXP_MEMO_X = 10,
  WORD_EXP_MEMO_INDEX = 11,
  WORD_EXP_SLOTS = 12
};

/* What a view registered with exemplars records as (rview.record_type): its own case in the
 * record path's switch, so the other cases pay nothing for exemplars (exemplar.h). */
#define CENSUS__AGGREGATION_EXEMPLARS ((census_aggregation_type)18)

/* An int sum word that passed INT64_MAX (see the file comment). */
#define CENSUS__SUM_SATURATED ((uint64_t)1 << 63)

/* The internal aggregation of observable counters (see the file comment): never part of the
 * public census_aggregation_type, which snapshots report as CENSUS_AGGREGATION_SUM. */
#define CENSUS__AGGREGATION_OBSERVED_SUM ((census_aggregation_type)16)

/* What a registered Sum view of a signed measure becomes (view.c, at registration): its own case
 * in the record path's switch, so that the unsigned Sum's case pays nothing for signed sums.
 * Reported as CENSUS_AGGREGATION_SUM everywhere else (definitions, snapshots, conflicts). */
#define CENSUS__AGGREGATION_SIGNED_SUM ((census_aggregation_type)17)

struct census__view_list {
  struct census__view_list *older; /* the list this one replaced, freed at shutdown */
  size_t count;
  struct census__rview *views[];
};

struct census_measure {
  struct census_measure *next; /* registry list */
  char *name, *description, *unit;
  census_measure_type type;
  bool signed_values; /* accepts negative values; beside `type`: the record path reads both */
  /* The registered views of this measure: an immutable array replaced whole (copy on write)
   * when a view is registered; replaced arrays are kept until shutdown because a recorder may
   * still be reading one. */
  _Atomic(struct census__view_list *) views;
  /* The list's one view while the measure has exactly one registered view, else NULL: what the
   * record path's fast path reads (recorder.c's record_one_fast()), one load in place of the
   * list's count and first entry. Stored after `views` by each change of it (measure.c). */
  _Atomic(struct census__rview *) one_view;
};

struct census_aggregation {
  census_aggregation_type type;
  size_t bound_count;
  /* bound_count bounds; a view definition's (view.c) padded after them with +inf to
   * census__bounds_padded(bound_count) for the record path's bucket search (cell.h) */
  double *bounds;
  size_t max_size; /* EXPONENTIAL: buckets */
  int max_scale;   /* EXPONENTIAL: the scale recording starts at */
};

/* A view definition, as built by census_view_new(). */
struct census_view {
  char *name, *description;
  const census_measure *measure;
  const census_tag_key **columns;
  size_t column_count;
  struct census_aggregation aggregation;
  size_t max_series;
  char *prometheus_name; /* census_view_set_prometheus_name(); NULL: none */
};

struct census__series;
struct census__shm_cell;

/* A registered view: its definition, the series table and the cell layout. */
struct census__rview {
  struct census_view def;
  /* What the record path's switch reads (cell.h): def.aggregation.type, or
   * CENSUS__AGGREGATION_EXEMPLARS for a view registered with exemplars (exemplar.h). */
  census_aggregation_type record_type;
  /* Exemplars (exemplar.h): 0 when the view keeps none, else the word of a half where its
   * reservoir starts (the aggregation's own words come first, `words` counts both) and the
   * reservoir's number of exemplar slots. */
  size_t exemplar_at, exemplar_slots;
  size_t layout_words; /* the aggregation's own words per half: `words` without the reservoir */
  /* The view as it records without exemplars: itself, or for a view with exemplars a shallow
   * copy of it whose record_type is the aggregation's (exemplar.c), which the exemplar case and
   * shared-memory cells update through. */
  const struct census__rview *plain;
  int64_t start_ns;   /* Unix time collection started (registration, or fork in a child) */
  uint64_t hash_seed; /* makes tuple hashes differ between views */
  size_t words;       /* 64-bit words per cell half, see the file comment */
  census__mutex mu;   /* guards the series table (series.c) */
  struct census__series **buckets;
  size_t bucket_count;                 /* power of two */
  size_t series_count;                 /* normal series, at most def.max_series */
  struct census__series *first, *last; /* all series in creation order, overflow included */
  struct census__series *overflow;
  uint64_t overflowed_records_reported; /* diagnostics: limit reported once */
  /* Saturated totals (collector-owned, under COLLECT): rows that saturated in the current
   * collection, the link of the collector's list of such views, and whether the view's first
   * saturation was reported through diagnostics (once per series table). */
  uint64_t saturated_pending;
  struct census__rview *saturated_next;
  bool saturation_reported;
};

/* One row of a view: its column values and (collector-owned) totals. */
struct census__series {
  struct census__series *chain; /* hash bucket */
  struct census__series *next;  /* creation order */
  uint64_t hash;
  bool overflow;
  bool saturated; /* a total reached its limit (collector-owned); counted once */
  /* Shared-memory mode's carry (collector-owned, under COLLECT; collector.c): the series is
   * queued for its totals to be carried into this process's file, and its last carry failed
   * (counted once in census_shm_stats() until one succeeds). */
  bool carry_queued, carry_failed;
  const char **values; /* column_count strings, stored after the totals */
  uint32_t *lengths;
  uint64_t totals[]; /* rview->words */
};

/* One measurement: the measure and its value in both forms (int_value is meaningful for int64
 * measures only). */
struct census__measurement {
  const census_measure *measure;
  int64_t int_value;
  double double_value;
};

/* A thread's cell for one series: two halves of rview->words words each. */
struct census__cell {
  struct census__cell *next; /* the owning thread's list, newest first */
  struct census__series *series;
  struct census__rview *view;
  struct census__shm_cell *shm; /* its shared-memory cell (shm.h), or NULL */
  uint32_t shm_epoch;           /* census__shm_epoch when shm was set */
  _Atomic uint64_t words[];
};

static inline uint64_t census__bits_of(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static inline double census__double_of(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

#endif
