/* series.h - a view's series table: tag-value tuples to series, with the cardinality limit. */
#ifndef CENSUS_STATS_SERIES_H
#define CENSUS_STATS_SERIES_H

#include "census/tags.h"
#include "stats/stats_internal.h"

/* Hash of the view's column values in `tags` (missing columns count as ""). No allocation. */
uint64_t census__tuple_hash(const struct census__rview *view, const census_tag_map *tags);

/* Whether `series` is the (non-overflow) series of the view's column values in `tags`. */
bool census__series_matches(const struct census__rview *view, const struct census__series *series,
                            const census_tag_map *tags);

/* The record path's form of the two calls above: the view's column entries are looked up in the
 * tag map once (`entries`, NULL for a missing column), then hashed and compared from there.
 * Views with more than CENSUS__GATHER_MAX columns use the tag-map forms. */
#define CENSUS__GATHER_MAX 16
struct census__tag_entry;
void census__tuple_gather(const struct census__rview *view, const census_tag_map *tags,
                          const struct census__tag_entry **entries);
uint64_t census__tuple_hash_entries(const struct census__rview *view,
                                    const struct census__tag_entry *const *entries);
bool census__series_matches_entries(const struct census__rview *view,
                                    const struct census__series *series,
                                    const struct census__tag_entry *const *entries);

/* Finds or creates the series for `tags`; past the view's limit, the overflow series. Takes
 * view->mu. Returns NULL only if memory is exhausted. */
struct census__series *census__series_get(struct census__rview *view, const census_tag_map *tags,
                                          uint64_t hash);

/* A view's table. init makes a new view's table, empty, with its lock (SERIES): CENSUS_OK or
 * CENSUS_ENOMEM. reset frees every series and makes the table empty again (the fork child,
 * holding the lock); free frees every series (shutdown). No recorder may run during either. */
census_status census__series_table_init(struct census__rview *view);
census_status census__series_table_reset(struct census__rview *view);
void census__series_table_free(struct census__rview *view);

/* Holds the table still (snapshots, fork prepare). */
void census__series_table_lock(struct census__rview *view);
void census__series_table_unlock(struct census__rview *view);

#endif
