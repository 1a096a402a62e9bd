/* view_data.h - building snapshots of registered views. */
#ifndef CENSUS_STATS_VIEW_DATA_H
#define CENSUS_STATS_VIEW_DATA_H

#include "census/stats.h"
#include "stats/stats_internal.h"

/* A snapshot of `view`'s populated series (caller holds COLLECT, which keeps totals still).
 * NULL if memory is exhausted. */
census_view_data *census__view_data_build(struct census__rview *view, int64_t end_ns);

/* Snapshots of every registered view (caller holds COLLECT). Sets *count; NULL with *count 0
 * when memory ran out for any of them (all or nothing). Free with census__view_data_free_all(). */
census_view_data **census__view_data_build_all(size_t *count);
void census__view_data_free_all(census_view_data **all, size_t count);

/* A snapshot of rows merged from elsewhere (shm_read.c): the definition's strings, `columns`
 * (process-lifetime names, borrowed), bounds and the rows are copied. `values` holds row_count x
 * column_count NUL-terminated strings, `totals` row_count x words words (stats_internal.h's
 * layout), `overflow` one flag per row. NULL on ENOMEM. */
struct census__view_data_rows {
  const char *name, *description;
  const census_measure *measure;
  census_aggregation_type aggregation;
  const char *const *columns;
  size_t column_count;
  const double *bounds;
  size_t bound_count, words;
  size_t max_size; /* EXPONENTIAL: slots per row (else 0) */
  int64_t start_ns, end_ns;
  size_t row_count;
  const char *const *values;
  const uint64_t *totals;
  const bool *overflow;
};
census_view_data *census__view_data_from_rows(const struct census__view_data_rows *r);

#endif
