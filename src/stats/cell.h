/* cell.h - updating one half of a cell, shared by the unbound (recorder.c) and bound (bound.c)
 * record paths, which both write inside the record window (window.h). Single writer: plain
 * relaxed loads and stores. */
#ifndef CENSUS_STATS_CELL_H
#define CENSUS_STATS_CELL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>

#include "core/clock.h"
#include "stats/exemplar.h"
#include "stats/exp_histogram.h"
#include "stats/stats_internal.h"
#include "stats/window.h"

static inline uint64_t word_load(_Atomic uint64_t *w) {
  return atomic_load_explicit(w, memory_order_relaxed);
}

static inline void word_store(_Atomic uint64_t *w, uint64_t v) {
  atomic_store_explicit(w, v, memory_order_relaxed);
}

/* The moment words of distributions hold doubles, read and written with the same relaxed
 * discipline as every cell word (one writer, the collector reading a half nobody writes). GCC
 * (12) moves a relaxed atomic 64-bit word through an integer register, so each double costs two
 * extra moves (GPR <-> XMM) per load and per store, and a relaxed load and store of a count does
 * not become one add to memory. On x86-64 an aligned 8-byte SSE load or store, and each of the
 * load and the store of a non-locked add to memory, is single-copy atomic (Intel SDM vol. 3,
 * 9.1.1), which is all a relaxed access promises: the same accesses, written as one instruction
 * each. Volatile, so the compiler keeps them in place among the other atomic accesses. Sanitizer
 * builds (and other compilers or targets) take the plain atomic form, so that TSan and ASan see
 * every access. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define CENSUS__CELL_SSE_WORDS 1
#else
#define CENSUS__CELL_SSE_WORDS 0
#endif

static inline double dword_load(_Atomic uint64_t *w) {
#if CENSUS__CELL_SSE_WORDS
  double d;
  __asm__ __volatile__("movsd %1, %0" : "=x"(d) : "m"(*w));
  return d;
#else
  return census__double_of(word_load(w));
#endif
}

static inline void dword_store(_Atomic uint64_t *w, double d) {
#if CENSUS__CELL_SSE_WORDS
  __asm__ __volatile__("movsd %1, %0" : "=m"(*w) : "x"(d));
#else
  word_store(w, census__bits_of(d));
#endif
}

/* Adds one to a word that only the calling thread writes (a relaxed load and store). */
static inline void word_increment(_Atomic uint64_t *w) {
#if CENSUS__CELL_SSE_WORDS
  __asm__ __volatile__("addq $1, %0" : "+m"(*w));
#else
  word_store(w, word_load(w) + 1);
#endif
}

/* How many bounds a registered DISTRIBUTION view stores (view.c): its n bounds padded with +inf
 * to 15, or past 15 to 2k - 1 (k the largest power of two <= n), so that bucket_index() searches
 * in fixed halving steps. A +inf pad is never below a value (values are finite), so the index is
 * the same as in the n bounds alone. */
static inline size_t census__bounds_padded(size_t n) {
  return n <= 15 ? 15 : ((size_t)2 << (63 - __builtin_clzll((unsigned long long)n))) - 1;
}

/* Index of the bucket for x: the first i with x <= bounds[i], or n (upper-inclusive buckets),
 * i.e. the number of bounds below x (bounds sorted), in bounds padded as census__bounds_padded()
 * says (NaN is below nothing: 0). A branch-free binary search (the conditionals become cmovs):
 * in 2k - 1 padded bounds the answer is in [0, 2k - 1], and each step of k, k/2 .. 1 halves the
 * window with one compare (no length bookkeeping, no compare at the end). Up to 15 bounds (most
 * views) the four steps 8, 4, 2, 1 are written out: no loop and no log2 of n. */
static inline size_t bucket_index(const double *bounds, size_t n, double x) {
  size_t i = 0;
  if (__builtin_expect(n > 15, 0)) {
    for (size_t step = (size_t)1 << (63 - __builtin_clzll((unsigned long long)n)); step > 8;
         step >>= 1) {
      i = bounds[i + step - 1] < x ? i + step : i; /* now in [i, i + step] */
    }
  }
  i = bounds[i + 7] < x ? i + 8 : i;
  i = bounds[i + 3] < x ? i + 4 : i;
  i = bounds[i + 1] < x ? i + 2 : i;
  return bounds[i] < x ? i + 1 : i;
}

/* a + b for a signed measure's int sum words (two's-complement int64), clamped to INT64_MIN ..
 * INT64_MAX; *clamped (if not NULL) is set when it had to be. */
static inline uint64_t census__signed_sum_add(uint64_t a, int64_t b, bool *clamped) {
  int64_t s;
  if (__builtin_add_overflow((int64_t)a, b, &s)) {
    s = b < 0 ? INT64_MIN : INT64_MAX;
    if (clamped) {
      *clamped = true;
    }
  }
  return (uint64_t)s;
}

/* The sum word after adding `m` (SUM and DISTRIBUTION keep it in WORD_SUM). Int sums saturate:
 * the word is at most CENSUS__SUM_SATURATED (2^63) and the value at most INT64_MAX, so the uint64
 * addition cannot wrap, and any result past INT64_MAX becomes (or stays) the sticky saturated
 * state: one compare and a conditional move, no branch. A signed measure's int sum is a
 * two's-complement int64, clamped (stats_internal.h). */
static inline uint64_t census__sum_add(bool is_double, bool is_signed, uint64_t sum,
                                       const struct census__measurement *m) {
  if (is_double) {
    return census__bits_of(census__double_of(sum) + m->double_value);
  }
  if (is_signed) {
    return census__signed_sum_add(sum, m->int_value, NULL);
  }
  uint64_t s = sum + (uint64_t)m->int_value;
  return s > (uint64_t)INT64_MAX ? CENSUS__SUM_SATURATED : s;
}

/* The words DISTRIBUTION and EXPONENTIAL share (count, sum, shift, s1, s2, min, max): shifted
 * sums (stats_internal.h), the half's first value the shift, so no divide. Each double word is
 * one SSE load and store (dword_load()); min and max are compared, and stored only when the value
 * passes them. */
static inline void census__moments_add(bool is_double, bool is_signed, _Atomic uint64_t *w,
                                       const struct census__measurement *m) {
  double x = m->double_value;
  double shift;
  if (__builtin_expect(word_load(&w[WORD_COUNT]) == 0, 0)) { /* the half's first value: */
    shift = x;                                               /* the shift from now on */
    dword_store(&w[WORD_SHIFT], shift);
  } else {
    shift = dword_load(&w[WORD_SHIFT]);
  }
  double d = x - shift;
  word_increment(&w[WORD_COUNT]);
  if (is_double) {
    dword_store(&w[WORD_SUM], dword_load(&w[WORD_SUM]) + x);
  } else {
    word_store(&w[WORD_SUM], census__sum_add(false, is_signed, word_load(&w[WORD_SUM]), m));
  }
  dword_store(&w[WORD_S1], dword_load(&w[WORD_S1]) + d);
  dword_store(&w[WORD_S2], dword_load(&w[WORD_S2]) + d * d);
  if (x < dword_load(&w[WORD_MIN])) {
    dword_store(&w[WORD_MIN], x);
  }
  if (x > dword_load(&w[WORD_MAX])) {
    dword_store(&w[WORD_MAX], x);
  }
}

/* census__moments_add() with the measure's type and sign read from `measure`: one test of the
 * type, and the sign read only for an int measure (it matters only to an int sum). */
static inline void census__moments_add_for(const census_measure *measure, _Atomic uint64_t *w,
                                           const struct census__measurement *m) {
  if (measure->type == CENSUS_MEASURE_DOUBLE) {
    census__moments_add(true, false, w, m);
  } else {
    census__moments_add(false, measure->signed_values, w, m);
  }
}

/* The bucket half of a DISTRIBUTION record: counts `m` in its bucket word of `w`; returns that
 * word's index (shared-memory cells copy only that bucket, shm.h). */
static inline size_t census__cell_bucket_add(const struct census__rview *view, _Atomic uint64_t *w,
                                             const struct census__measurement *m) {
  size_t b = WORD_BUCKETS + bucket_index(view->def.aggregation.bounds,
                                         view->def.aggregation.bound_count, m->double_value);
  word_increment(&w[b]);
  return b;
}

/* Adds one value into a DISTRIBUTION half `w` (the moment words, then its bucket); returns the
 * index of the bucket word it counted in. Single writer: plain loads/stores. (bound.c's
 * one-distribution shape, which knows the measure's type, calls census__moments_add() with
 * constants and finds the bucket in padded bounds.) */
static inline size_t census__cell_distribution_update(const struct census__rview *view,
                                                      _Atomic uint64_t *w,
                                                      const struct census__measurement *m) {
  census__moments_add_for(view->def.measure, w, m);
  return census__cell_bucket_add(view, w, m);
}

/* As census__cell_distribution_update(), with the measure's type and sign given (the
 * shared-memory update reads them once for both halves, shm.h). */
static inline size_t census__cell_distribution_update_as(const struct census__rview *view,
                                                         _Atomic uint64_t *w,
                                                         const struct census__measurement *m,
                                                         bool is_double, bool is_signed) {
  census__moments_add(is_double, is_signed, w, m);
  return census__cell_bucket_add(view, w, m);
}

/* Adds one measurement into the active half `w` of a cell, as its view records (record_type:
 * a view with exemplars takes its own case, out of line, so the others pay nothing).
 * Single writer: plain loads/stores. */
static inline void census__cell_update(const struct census__rview *view, _Atomic uint64_t *w,
                                       const struct census__measurement *m) {
  const census_measure *measure = view->def.measure;
  bool is_double = measure->type == CENSUS_MEASURE_DOUBLE;
  switch ((int)view->record_type) {
  case CENSUS_AGGREGATION_COUNT:
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    break;
  case CENSUS_AGGREGATION_SUM:
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    word_store(&w[WORD_SUM], census__sum_add(is_double, false, word_load(&w[WORD_SUM]), m));
    break;
  case CENSUS__AGGREGATION_SIGNED_SUM:
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    word_store(&w[WORD_SUM], census__sum_add(is_double, true, word_load(&w[WORD_SUM]), m));
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    word_store(&w[WORD_VALUE],
               is_double ? census__bits_of(m->double_value) : (uint64_t)m->int_value);
    word_store(&w[WORD_TIME], (uint64_t)census__unix_ns());
    break;
  case CENSUS__AGGREGATION_OBSERVED_SUM:
    /* The callback reports the total: it replaces the value (stats_internal.h). */
    word_store(&w[WORD_COUNT], word_load(&w[WORD_COUNT]) + 1);
    word_store(&w[WORD_SUM], is_double ? census__bits_of(m->double_value) : (uint64_t)m->int_value);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    census__cell_distribution_update(view, w, m);
    break;
  case CENSUS_AGGREGATION_EXPONENTIAL:
    census__exp_record(view, w, m); /* out of line: exp_histogram.c */
    break;
  case CENSUS__AGGREGATION_EXEMPLARS:
    census__exemplar_record(view, w, m); /* out of line: exemplar.c */
    break;
  }
}

/* Sets both halves of a cell's words to the empty state of the view's aggregation (as
 * census__words_init() does for plain words): min +inf and max -inf for DISTRIBUTION and
 * EXPONENTIAL, an exponential half's scale max_scale, everything else 0. */
static inline void census__cell_words_init(const struct census__rview *view,
                                           _Atomic uint64_t *words) {
  bool exponential = view->def.aggregation.type == CENSUS_AGGREGATION_EXPONENTIAL;
  bool moments = exponential || view->def.aggregation.type == CENSUS_AGGREGATION_DISTRIBUTION;
  for (size_t i = 0; i < 2 * view->words; i++) {
    size_t word = i % view->words;
    uint64_t v = 0;
    if (moments && word == WORD_MIN) {
      v = census__bits_of(INFINITY);
    } else if (moments && word == WORD_MAX) {
      v = census__bits_of(-INFINITY);
    } else if (exponential && word == WORD_EXP_SCALE) {
      v = (uint64_t)(int64_t)view->def.aggregation.max_scale;
    }
    atomic_init(&words[i], v);
  }
}

#endif
