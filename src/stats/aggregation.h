/* aggregation.h - the cell word layouts of the aggregations (see stats_internal.h): their size,
 * empty state, whether they hold data, and the merge the collector applies. */
#ifndef CENSUS_STATS_AGGREGATION_H
#define CENSUS_STATS_AGGREGATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct census_aggregation;
struct census__rview;

/* A new OBSERVED_SUM aggregation (stats_internal.h), the default view's of observable counters
 * and up-down counters; owned by the caller (census_aggregation_free()); NULL on ENOMEM. */
struct census_aggregation *census__aggregation_observed_sum_new(void);

/* Words per half for an aggregation. */
size_t census__aggregation_words(const struct census_aggregation *aggregation);

/* Sets fresh `words` to the empty state of the aggregation (distribution min=+inf, max=-inf;
 * exponential at its max_scale). */
void census__words_init(const struct census__rview *view, uint64_t *words);

/* The same for a harvested half, except that an exponential one keeps its scale and window. */
void census__words_reset(const struct census__rview *view, uint64_t *words);

/* Whether a half/totals holds at least one measurement. */
bool census__words_populated(const struct census__rview *view, const uint64_t *words);

/* a + b for a count (a <= INT64_MAX, b any cell count): saturates at INT64_MAX and says so. */
static inline uint64_t census__count_add(uint64_t a, uint64_t b, bool *saturated) {
  uint64_t s = a + b;
  if (s < a || s > (uint64_t)INT64_MAX) {
    *saturated = true;
    return (uint64_t)INT64_MAX;
  }
  return s;
}

/* Adds the `from` half into `into` (both plain word arrays of the view's layout). Returns true
 * when a total of `into` is saturated after the merge (a count or an int sum at its limit because
 * it would have passed INT64_MAX, see stats_internal.h). */
bool census__words_merge(const struct census__rview *view, uint64_t *into, const uint64_t *from);

#endif
