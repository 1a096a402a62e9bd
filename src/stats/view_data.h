/* view_data.h - building snapshots of registered views. */
#ifndef CENSUS_STATS_VIEW_DATA_H
#define CENSUS_STATS_VIEW_DATA_H

#include "census/stats.h"
#include "stats/stats_internal.h"

/* A snapshot of `view`'s populated series (caller holds COLLECT, which keeps totals still).
 * NULL if memory is exhausted. */
census_view_data *census__view_data_build(struct census__rview *view, int64_t end_ns);

/* Snapshots of every registered view (caller holds COLLECT). Sets *count; NULL with *count 0
 * when there are none or memory ran out. Free with census__view_data_free_all(). */
census_view_data **census__view_data_build_all(size_t *count);
void census__view_data_free_all(census_view_data **all, size_t count);

#endif
