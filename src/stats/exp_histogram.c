/* exp_histogram.c - the buckets of exponential histograms in cell words (see exp_histogram.h).
 *
 * A half holds a window of max_size consecutive bucket indexes at its scale: slot k counts index
 * base + k. The record path (cell.h) counts a value whose index falls in the window with one
 * increment; anything else comes here. The window then moves to hold the new index with the
 * buckets already counted, centred so that values on either side fit next time, or, when their
 * range is wider than max_size indexes, the scale goes down by the fewest steps r that make it
 * fit: index i at scale s is index i >> r at scale s - r (bucket i at scale s - 1 is buckets 2i
 * and 2i + 1 at scale s), so lowering the scale only adds neighbouring counts together. Relaying
 * works on one stack copy of the slots (at most CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT: 16 KB), so
 * neither path allocates. The record path's cold path runs on the half's only writer, its thread,
 * with relaxed loads and stores like the hot path; the collector merges halves into series totals
 * (plain words, under COLLECT) at the lower of the two scales, lowered further if their union does
 * not fit; counts saturate at INT64_MAX as every census count does.
 */
#include "stats/exp_histogram.h"

#include <math.h>
#include <string.h>

#include "census/stats.h"
#include "stats/aggregation.h"
#include "stats/cell.h"
#include "stats/exp_index.h"
#include "stats/stats_internal.h"

bool census__exp_used_range(const uint64_t *w, size_t max_size, size_t *first, size_t *last) {
  const uint64_t *slots = w + WORD_EXP_SLOTS;
  size_t i = 0;
  while (i < max_size && slots[i] == 0) {
    i++;
  }
  if (i == max_size) {
    return false;
  }
  size_t j = max_size - 1;
  while (slots[j] == 0) {
    j--;
  }
  *first = i;
  *last = j;
  return true;
}

void census__exp_reset(uint64_t *w, size_t max_size, int max_scale, bool keep_window) {
  w[WORD_EXP_ZERO] = 0;
  memset(w + WORD_EXP_SLOTS, 0, max_size * sizeof *w);
  if (!keep_window) {
    w[WORD_EXP_SCALE] = (uint64_t)(int64_t)max_scale;
    w[WORD_EXP_BASE] = 0;
    w[WORD_EXP_MEMO_X] = 0;
    w[WORD_EXP_MEMO_INDEX] = 0;
  }
}

/* Re-lays n slots that count indexes base + k at some scale to the scale r lower, from
 * `new_base`: every used index i must land in [new_base, new_base + n) as i >> r. */
static void relayout(uint64_t *slots, size_t n, int64_t base, int r, int64_t new_base,
                     bool *saturated) {
  if (r == 0 && base == new_base) {
    return;
  }
  uint64_t copy[CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT];
  memcpy(copy, slots, n * sizeof *slots);
  memset(slots, 0, n * sizeof *slots);
  for (size_t k = 0; k < n; k++) {
    if (copy[k] != 0) {
      int64_t i = ((base + (int64_t)k) >> r) - new_base;
      slots[i] = census__count_add(slots[i], copy[k], saturated);
    }
  }
}

/* The fewest scale steps r that make [lo, hi] fit n slots (lo and hi become the range at the
 * lower scale), never below the lowest scale. */
static int fit(int64_t *lo, int64_t *hi, size_t n, int scale) {
  int r = 0;
  while (*hi - *lo + 1 > (int64_t)n && scale - r > CENSUS__EXP_MIN_SCALE) {
    *lo >>= 1;
    *hi >>= 1;
    r++;
  }
  return r;
}

void census__exp_cell_place(const struct census__rview *view, _Atomic uint64_t *w, double x) {
  size_t n = view->def.aggregation.max_size;
  /* The slots as they are (with the words before them, for census__exp_used_range()), then
   * written back re-laid: the only copy, 8 bytes per slot of stack. */
  uint64_t old[WORD_EXP_SLOTS + CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT];
  for (size_t i = 0; i < n; i++) {
    old[WORD_EXP_SLOTS + i] = atomic_load_explicit(&w[WORD_EXP_SLOTS + i], memory_order_relaxed);
  }
  int scale = (int)(int64_t)atomic_load_explicit(&w[WORD_EXP_SCALE], memory_order_relaxed);
  int64_t base = (int64_t)atomic_load_explicit(&w[WORD_EXP_BASE], memory_order_relaxed);
  int64_t index = census__exp_index(x, scale);
  int64_t lo = index, hi = index;
  size_t first = 0, last = 0;
  bool any = census__exp_used_range(old, n, &first, &last);
  if (any) {
    lo = base + (int64_t)first < lo ? base + (int64_t)first : lo;
    hi = base + (int64_t)last > hi ? base + (int64_t)last : hi;
  }
  int r = fit(&lo, &hi, n, scale);
  /* Centre the used range in the window, so that the next values on either side fit too. */
  int64_t new_base = lo - ((int64_t)n - (hi - lo + 1)) / 2;
  bool saturated = false;
  uint64_t *slots = old + WORD_EXP_SLOTS;
  for (size_t i = 0; i < n; i++) {
    atomic_store_explicit(&w[WORD_EXP_SLOTS + i], 0, memory_order_relaxed);
  }
  for (size_t k = first; any && k <= last; k++) {
    if (slots[k] != 0) {
      _Atomic uint64_t *to = &w[WORD_EXP_SLOTS + (((base + (int64_t)k) >> r) - new_base)];
      uint64_t sum =
          census__count_add(atomic_load_explicit(to, memory_order_relaxed), slots[k], &saturated);
      atomic_store_explicit(to, sum, memory_order_relaxed);
    }
  }
  _Atomic uint64_t *to = &w[WORD_EXP_SLOTS + ((index >> r) - new_base)];
  atomic_store_explicit(
      to, census__count_add(atomic_load_explicit(to, memory_order_relaxed), 1, &saturated),
      memory_order_relaxed);
  atomic_store_explicit(&w[WORD_EXP_SCALE], (uint64_t)(int64_t)(scale - r), memory_order_relaxed);
  if (r != 0) {
    atomic_store_explicit(&w[WORD_EXP_MEMO_X], 0, memory_order_relaxed); /* another scale */
  }
  atomic_store_explicit(&w[WORD_EXP_BASE], (uint64_t)new_base, memory_order_relaxed);
}

bool census__exp_merge(const struct census__rview *view, uint64_t *into, const uint64_t *from) {
  size_t n = view->def.aggregation.max_size;
  bool saturated = false;
  into[WORD_EXP_ZERO] = census__count_add(into[WORD_EXP_ZERO], from[WORD_EXP_ZERO], &saturated);
  size_t ff, fl, inf, inl;
  if (!census__exp_used_range(from, n, &ff, &fl)) {
    return saturated;
  }
  int fs = (int)(int64_t)from[WORD_EXP_SCALE];
  int64_t fb = (int64_t)from[WORD_EXP_BASE];
  bool into_any = census__exp_used_range(into, n, &inf, &inl);
  int is = into_any ? (int)(int64_t)into[WORD_EXP_SCALE] : fs;
  int64_t ib = (int64_t)into[WORD_EXP_BASE];
  int t = is < fs ? is : fs;
  int64_t lo = (fb + (int64_t)ff) >> (fs - t), hi = (fb + (int64_t)fl) >> (fs - t);
  if (into_any) {
    int64_t a = (ib + (int64_t)inf) >> (is - t), b = (ib + (int64_t)inl) >> (is - t);
    lo = a < lo ? a : lo;
    hi = b > hi ? b : hi;
  }
  t -= fit(&lo, &hi, n, t);
  if (into_any) {
    relayout(into + WORD_EXP_SLOTS, n, ib, is - t, lo, &saturated);
  }
  into[WORD_EXP_SCALE] = (uint64_t)(int64_t)t;
  into[WORD_EXP_BASE] = (uint64_t)lo;
  for (size_t k = ff; k <= fl; k++) {
    if (from[WORD_EXP_SLOTS + k] != 0) {
      size_t slot = (size_t)(((fb + (int64_t)k) >> (fs - t)) - lo);
      into[WORD_EXP_SLOTS + slot] =
          census__count_add(into[WORD_EXP_SLOTS + slot], from[WORD_EXP_SLOTS + k], &saturated);
    }
  }
  return saturated;
}

/* Counts index `index` of x in its slot, or moves the window (census__exp_cell_place()) when the
 * slot is outside it. */
static inline void slot_add(const struct census__rview *view, _Atomic uint64_t *w, double x,
                            int64_t index) {
  uint64_t slot = (uint64_t)(index - (int64_t)word_load(&w[WORD_EXP_BASE]));
  if (__builtin_expect(slot < view->def.aggregation.max_size, 1)) {
    word_increment(&w[WORD_EXP_SLOTS + slot]);
  } else {
    census__exp_cell_place(view, w, x);
  }
}

/* bucket_update()'s rare cases: a zero (the zero count), a subnormal value, and scales above 10.
 * Out of line and reached by a tail call, so that the common case keeps no frame. */
static __attribute__((noinline)) void bucket_update_rare(const struct census__rview *view,
                                                         _Atomic uint64_t *w, double x, int scale) {
  if (x == 0) {
    word_increment(&w[WORD_EXP_ZERO]);
    return;
  }
  int64_t index;
  if (scale <= 10) {
    index = census__exp_index_slow(x, scale); /* subnormal */
  } else {
    /* Only values within a factor of about 2^(max_size/1024) of each other keep such a scale: a
     * constant value, mostly; remember the last one's index rather than refining it again. */
    uint64_t bits = census__bits_of(x);
    if (bits == word_load(&w[WORD_EXP_MEMO_X])) {
      index = (int64_t)word_load(&w[WORD_EXP_MEMO_INDEX]);
    } else {
      index = census__exp_index_slow(x, scale);
      word_store(&w[WORD_EXP_MEMO_X], bits);
      word_store(&w[WORD_EXP_MEMO_INDEX], (uint64_t)index);
    }
  }
  slot_add(view, w, x, index);
}

/* The bucket of x >= 0 (see census__exp_record()): a normal value at a scale <= 10 takes the
 * table path (exp_index.h); a zero (biased exponent 0, as a subnormal's) and the rest go out of
 * line. */
static inline void bucket_update(const struct census__rview *view, _Atomic uint64_t *w, double x) {
  uint64_t bits = census__bits_of(x);
  int scale = (int)(int64_t)word_load(&w[WORD_EXP_SCALE]);
  if (__builtin_expect(((bits >> 52) & 0x7ff) == 0 || scale > 10, 0)) {
    bucket_update_rare(view, w, x, scale);
    return;
  }
  slot_add(view, w, x, census__exp_index_normal(bits, scale));
}

void census__exp_record(const struct census__rview *view, _Atomic uint64_t *w,
                        const struct census__measurement *m) {
  census__moments_add_for(view->def.measure, w, m);
  bucket_update(view, w, m->double_value);
}
