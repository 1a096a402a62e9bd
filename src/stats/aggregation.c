/* aggregation.c - aggregation definitions and the arithmetic on cell words.
 *
 * Distribution statistics are kept as shifted sums (count, K, sum of x - K, sum of (x - K)^2, K
 * the first value: no divide per value, stats_internal.h); a half merges into the totals after
 * its sums are moved to the totals' shift, so the sum of squared deviation stays accurate for
 * large values with small spread (the naive sum-of-squares minus square-of-sum cancels
 * catastrophically there). The sum is kept beside them, exactly (see stats_internal.h): an int
 * sum is merged as an integer, saturating at INT64_MAX (a signed measure's clamped to
 * INT64_MIN .. INT64_MAX), a double sum by one addition. Counts and bucket counts saturate at
 * INT64_MAX too, so no total of a measure that refuses negative values ever goes backwards.
 */
#include "stats/aggregation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/cell.h"
#include "stats/exp_histogram.h"
#include "stats/exp_index.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

static census_aggregation *aggregation_new(census_aggregation_type type) {
  census_aggregation *a = census__calloc(1, sizeof *a);
  if (a) {
    a->type = type;
  }
  return a;
}

CENSUS_EXPORT census_aggregation *census_aggregation_count_new(void) {
  return aggregation_new(CENSUS_AGGREGATION_COUNT);
}
CENSUS_EXPORT census_aggregation *census_aggregation_sum_new(void) {
  return aggregation_new(CENSUS_AGGREGATION_SUM);
}
CENSUS_EXPORT census_aggregation *census_aggregation_last_value_new(void) {
  return aggregation_new(CENSUS_AGGREGATION_LAST_VALUE);
}

census_aggregation *census__aggregation_observed_sum_new(void) {
  return aggregation_new(CENSUS__AGGREGATION_OBSERVED_SUM);
}

CENSUS_EXPORT census_aggregation *
census_aggregation_distribution_new(const double *bounds, size_t count, census_status *status) {
  census_status result = CENSUS_OK;
  if (!bounds && count > 0) {
    result = CENSUS_EINVAL;
  }
  for (size_t i = 0; result == CENSUS_OK && i < count; i++) {
    if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      result = CENSUS_EBADBOUNDS;
    }
  }
  census_aggregation *a = NULL;
  if (result == CENSUS_OK) {
    a = aggregation_new(CENSUS_AGGREGATION_DISTRIBUTION);
    double *copy = count ? census__malloc(count * sizeof *copy) : NULL;
    if (!a || (count && !copy)) {
      census__free(a);
      census__free(copy);
      a = NULL;
      result = CENSUS_ENOMEM;
    } else {
      if (count) {
        memcpy(copy, bounds, count * sizeof *copy);
      }
      a->bounds = copy;
      a->bound_count = count;
    }
  }
  if (status) {
    *status = result;
  }
  return a;
}

CENSUS_EXPORT census_aggregation *census_aggregation_exponential_new(size_t max_size, int max_scale,
                                                                     census_status *status) {
  if (max_size == 0) {
    max_size = CENSUS_EXPONENTIAL_DEFAULT_MAX_SIZE;
  }
  census_aggregation *a = NULL;
  census_status result = CENSUS_OK;
  /* At least 4 buckets: at the lowest scale (-10) every positive double fits in 3. */
  if (max_size < 4 || max_size > CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT ||
      max_scale < CENSUS__EXP_MIN_SCALE || max_scale > CENSUS__EXP_MAX_SCALE) {
    result = CENSUS_EINVAL;
  } else if (!(a = aggregation_new(CENSUS_AGGREGATION_EXPONENTIAL))) {
    result = CENSUS_ENOMEM;
  } else {
    a->max_size = max_size;
    a->max_scale = max_scale;
  }
  if (status) {
    *status = result;
  }
  return a;
}

CENSUS_EXPORT void census_aggregation_free(census_aggregation *a) {
  if (a) {
    census__free(a->bounds);
    census__free(a);
  }
}

CENSUS_EXPORT census_aggregation_type census_aggregation_kind(const census_aggregation *a) {
  return a ? a->type : (census_aggregation_type)0;
}

size_t census__aggregation_words(const struct census_aggregation *a) {
  switch ((int)a->type) {
  case CENSUS_AGGREGATION_COUNT:
    return 1;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_LAST_VALUE:
  case CENSUS__AGGREGATION_OBSERVED_SUM:
  case CENSUS__AGGREGATION_SIGNED_SUM:
    return 2;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return WORD_BUCKETS + a->bound_count + 1;
  case CENSUS_AGGREGATION_EXPONENTIAL:
    return WORD_EXP_SLOTS + a->max_size;
  }
  return 1;
}

/* The empty state; an exponential half being reset keeps its window when `keep_window`. */
static void words_empty(const struct census__rview *view, uint64_t *words, bool keep_window) {
  const struct census_aggregation *a = &view->def.aggregation;
  if (a->type == CENSUS_AGGREGATION_EXPONENTIAL) {
    memset(words, 0, WORD_EXP_ZERO * sizeof *words);
    census__exp_reset(words, a->max_size, a->max_scale, keep_window);
    if (view->exemplar_at) { /* the reservoir after the slots (exemplar.h) */
      memset(words + view->exemplar_at, 0, (view->words - view->exemplar_at) * sizeof *words);
    }
  } else {
    memset(words, 0, view->words * sizeof *words);
  }
  if (a->type == CENSUS_AGGREGATION_DISTRIBUTION || a->type == CENSUS_AGGREGATION_EXPONENTIAL) {
    words[WORD_MIN] = census__bits_of(INFINITY);
    words[WORD_MAX] = census__bits_of(-INFINITY);
  }
}

void census__words_init(const struct census__rview *view, uint64_t *words) {
  words_empty(view, words, false);
}

void census__words_reset(const struct census__rview *view, uint64_t *words) {
  /* A harvested exponential half keeps its window: the scale its thread's values needed. */
  words_empty(view, words, true);
}

bool census__words_populated(const struct census__rview *view, const uint64_t *words) {
  /* COUNT, SUM and DISTRIBUTION keep a count in word 0; LAST_VALUE a non-zero time. */
  return words[0] != 0;
}

/* a + b for int sum words (each 0 .. INT64_MAX or CENSUS__SUM_SATURATED): saturated if either
 * is, or if the sum passes INT64_MAX. Checked before adding: 2^63 + 2^63 would wrap to 0. */
static uint64_t int_sum_add(uint64_t a, uint64_t b, bool *saturated) {
  if (a > (uint64_t)INT64_MAX || b > (uint64_t)INT64_MAX || a + b > (uint64_t)INT64_MAX) {
    *saturated = true;
    return CENSUS__SUM_SATURATED;
  }
  return a + b;
}

/* a + b for sum words of the view's measure: double, signed int (clamped, cell.h) or int. */
static uint64_t sum_merge(const census_measure *measure, uint64_t a, uint64_t b, bool *saturated) {
  if (measure->type == CENSUS_MEASURE_DOUBLE) {
    return census__bits_of(census__double_of(a) + census__double_of(b));
  }
  if (measure->signed_values) {
    /* A half at a limit was clamped by the record path (cell.h), which cannot report it. */
    if ((int64_t)b == INT64_MIN || (int64_t)b == INT64_MAX) {
      *saturated = true;
    }
    return census__signed_sum_add(a, (int64_t)b, saturated);
  }
  return int_sum_add(a, b, saturated);
}

/* The first seven words of DISTRIBUTION and EXPONENTIAL: count, sum, the shifted sums (the
 * half's moved to the totals' shift, stats_internal.h), min, max. Nothing when `from` is empty. */
static void moments_merge(const census_measure *measure, uint64_t *into, const uint64_t *from,
                          bool *saturated) {
  uint64_t nb = from[WORD_COUNT];
  if (nb == 0) {
    return;
  }
  double s1 = census__double_of(from[WORD_S1]), s2 = census__double_of(from[WORD_S2]);
  if (into[WORD_COUNT] == 0) {
    into[WORD_SHIFT] = from[WORD_SHIFT]; /* the totals' shift: the first half's */
  } else {
    /* The half's sums moved to the totals' shift K: x - K = (x - K_half) + d. */
    double d = census__double_of(from[WORD_SHIFT]) - census__double_of(into[WORD_SHIFT]);
    double nd = (double)nb * d;
    s2 += d * (2 * s1 + nd);
    s1 += nd;
  }
  into[WORD_COUNT] = census__count_add(into[WORD_COUNT], nb, saturated);
  into[WORD_SUM] = sum_merge(measure, into[WORD_SUM], from[WORD_SUM], saturated);
  into[WORD_S1] = census__bits_of(census__double_of(into[WORD_S1]) + s1);
  into[WORD_S2] = census__bits_of(census__double_of(into[WORD_S2]) + s2);
  into[WORD_MIN] =
      census__bits_of(fmin(census__double_of(into[WORD_MIN]), census__double_of(from[WORD_MIN])));
  into[WORD_MAX] =
      census__bits_of(fmax(census__double_of(into[WORD_MAX]), census__double_of(from[WORD_MAX])));
}

bool census__words_merge(const struct census__rview *view, uint64_t *into, const uint64_t *from) {
  const census_measure *measure = view->def.measure;
  bool saturated = false;
  switch ((int)view->def.aggregation.type) {
  case CENSUS_AGGREGATION_COUNT:
    into[WORD_COUNT] = census__count_add(into[WORD_COUNT], from[WORD_COUNT], &saturated);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS__AGGREGATION_SIGNED_SUM:
    into[WORD_COUNT] = census__count_add(into[WORD_COUNT], from[WORD_COUNT], &saturated);
    into[WORD_SUM] = sum_merge(measure, into[WORD_SUM], from[WORD_SUM], &saturated);
    break;
  case CENSUS__AGGREGATION_OBSERVED_SUM:
    /* The newer half holds the latest observation (halves are merged oldest first). */
    if (from[WORD_COUNT] != 0) {
      into[WORD_COUNT] = census__count_add(into[WORD_COUNT], from[WORD_COUNT], &saturated);
      into[WORD_SUM] = from[WORD_SUM];
    }
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    if (from[WORD_TIME] != 0 && from[WORD_TIME] >= into[WORD_TIME]) {
      into[WORD_TIME] = from[WORD_TIME];
      into[WORD_VALUE] = from[WORD_VALUE];
    }
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    moments_merge(measure, into, from, &saturated);
    for (size_t i = WORD_BUCKETS;
         from[WORD_COUNT] != 0 && i <= WORD_BUCKETS + view->def.aggregation.bound_count; i++) {
      into[i] = census__count_add(into[i], from[i], &saturated);
    }
    break;
  case CENSUS_AGGREGATION_EXPONENTIAL:
    if (from[WORD_COUNT] != 0) {
      moments_merge(measure, into, from, &saturated);
      saturated |= census__exp_merge(view, into, from);
    }
    break;
  }
  if (view->exemplar_at) {
    census__exemplar_merge(view, into + view->exemplar_at, from + view->exemplar_at);
  }
  return saturated;
}
