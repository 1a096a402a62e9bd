/* shm_read.h - shared-memory mode, the reading side: parsing one file (shm_format.h) robustly,
 * merging a group's files, compacting dead processes' files into the archive. */
#ifndef CENSUS_STATS_SHM_READ_H
#define CENSUS_STATS_SHM_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"

struct census__shm_merge;

/* An empty merge (NULL on ENOMEM); census__shm_merge_free() frees it (NULL is a no-op). */
struct census__shm_merge *census__shm_merge_new(void);
void census__shm_merge_free(struct census__shm_merge *m);

/* Adds the records of one file image of `size` bytes to `m`. `live`: the file's writer is alive
 * (its LAST_VALUE cells count as live for the gauge modes). Returns NULL, or the first problem
 * met (a static string): the file, or the rest of it from a damaged chunk on, is left out; what
 * was read before the problem stays. Reads a live writer's cells with the gen protocol of
 * shm_format.h, so `data` may be a mapping another process writes; never reads outside
 * [data, data + size). Not thread-safe on one merge. */
const char *census__shm_merge_file(struct census__shm_merge *m, const unsigned char *data,
                                   size_t size, bool live);

/* Builds the merged view from `m` (snapshots as census_shm_view_data_get_all() returns them)
 * with the gauge mode `gauge_mode`: CENSUS_OK, CENSUS_ENOMEM. */
census_status census__shm_merge_views(struct census__shm_merge *m, int gauge_mode,
                                      census_view_data ***views, size_t *count);

/* Reads the group in `dir`, compacting first when it can take the directory's compaction lock:
 * see census_shm_view_data_get_all(). */
census_status census__shm_read_dir(const char *dir, int gauge_mode, census_view_data ***views,
                                   size_t *count);

#endif
