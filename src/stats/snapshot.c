/* snapshot.c - the public snapshot entry points: census_view_data_get() and
 * census_view_data_get_all(). Each collects under COLLECT and builds snapshots of this process's
 * views (view_data.c); in shared-memory mode they show the group instead: every process's file
 * merged (shm_read.c), this process's records included (its cells are in its file).
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/run_state.h"
#include "stats/collector.h"
#include "stats/shm.h"
#include "stats/shm_read.h"
#include "stats/view.h"
#include "stats/view_data.h"
#include "core/alloc.h"

/* The group's merged view, in shared-memory mode: CENSUS_OK with *views set, or
 * CENSUS_ENOTFOUND when the mode is off (then the caller builds this process's). */
static census_status group_views(census_view_data ***views, size_t *count) {
  char *dir = census__shm_dir();
  if (!dir) {
    return CENSUS_ENOTFOUND;
  }
  census_status status = census__shm_read_dir(dir, census__shm_gauge_mode(), views, count);
  census__free(dir);
  return status;
}

/* The snapshot of view `name`: the group's in shared-memory mode, else this process's. Caller
 * holds COLLECT (views are freed only by shutdown, which needs it). */
static census_view_data *view_get_locked(const char *name, census_status *result) {
  census_view_data **group, *d = NULL;
  size_t group_count;
  census_status shared = group_views(&group, &group_count);
  if (shared == CENSUS_ENOTFOUND) {
    struct census__rview *view = census__view_find(name);
    d = view ? census__view_data_build(view, census__unix_ns()) : NULL;
    *result = !view ? CENSUS_ENOTFOUND : d ? CENSUS_OK : CENSUS_ENOMEM;
    return d;
  }
  for (size_t i = 0; shared == CENSUS_OK && i < group_count && !d; i++) {
    if (strcmp(census_view_data_name(group[i]), name) == 0) {
      d = group[i];
      group[i] = NULL;
    }
  }
  if (shared == CENSUS_OK) {
    census__view_data_free_all(group, group_count);
  }
  *result = shared != CENSUS_OK ? shared : d ? CENSUS_OK : CENSUS_ENOTFOUND;
  return d;
}

CENSUS_EXPORT census_view_data *census_view_data_get(const char *name, census_status *status) {
  census_status result = !name                    ? CENSUS_EINVAL
                         : census__is_shut_down() ? CENSUS_ESHUTDOWN
                                                  : CENSUS_OK;
  census_view_data *d = NULL;
  if (result == CENSUS_OK) {
    census__collector_lock();
    result = census__collect_locked();
    if (result == CENSUS_OK) {
      d = view_get_locked(name, &result);
    }
    census__collector_unlock();
  }
  if (status) {
    *status = result;
  }
  return d;
}

CENSUS_EXPORT census_status census_view_data_get_all(census_view_data ***views, size_t *count) {
  if (!views || !count) {
    return CENSUS_EINVAL;
  }
  *views = NULL;
  *count = 0;
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  census__collector_lock();
  if (census__collect_locked() != CENSUS_OK) {
    census__collector_unlock();
    return CENSUS_ENOMEM;
  }
  census_status status = group_views(views, count);
  if (status == CENSUS_ENOTFOUND) {
    *views = census__view_data_build_all(count);
    status = *views ? CENSUS_OK : CENSUS_ENOMEM;
  }
  census__collector_unlock();
  return status;
}
