/* exporter_registry.c - the list of stats exporters and the export step they share.
 *
 * Exporters are appended under this file's STATS_EXPORTERS lock and removed only while also
 * holding the collector's COLLECT. An export holds COLLECT throughout, so it can walk a copy of
 * the list without fearing that an exporter is freed under it, while registration
 * (STATS_EXPORTERS only) never waits for an export.
 */
#include "export/exporter_registry.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "export/flush.h"
#include "stats/collector.h"
#include "stats/shm.h"
#include "stats/shm_read.h"
#include "stats/view_data.h"
#include "core/alloc.h"

struct census__exporter {
  struct census__exporter *next;
  census_stats_exporter_ops ops;
  void *user;
};

static census__mutex exporters_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_STATS_EXPORTERS);
static struct census__exporter *registered; /* in registration order */

census_status census__stats_exporters_add(const census_stats_exporter_ops *ops, void *user) {
  struct census__exporter *e = census__calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  e->ops = *ops;
  e->user = user;
  census__mutex_lock(&exporters_mu);
  struct census__exporter **link = &registered;
  while (*link) {
    link = &(*link)->next;
  }
  *link = e;
  census__mutex_unlock(&exporters_mu);
  return CENSUS_OK;
}

/* Copies the exporter list (caller holds COLLECT, so no entry is freed meanwhile). */
static struct census__exporter **exporters_snapshot(size_t *count) {
  census__mutex_lock(&exporters_mu);
  size_t n = 0;
  for (struct census__exporter *e = registered; e; e = e->next) {
    n++;
  }
  struct census__exporter **list = census__malloc((n ? n : 1) * sizeof *list);
  n = 0;
  for (struct census__exporter *e = registered; list && e; e = e->next) {
    list[n++] = e;
  }
  census__mutex_unlock(&exporters_mu);
  *count = n;
  return list;
}

/* In shared-memory mode, the group's merged view when this process leads the group (CENSUS_OK,
 * or an error), or *follower set when another process does; CENSUS_ENOTFOUND when the mode is
 * off (the caller exports this process's views). */
static census_status group_views(census_view_data ***views, size_t *count, bool *follower) {
  char *dir = census__shm_dir();
  if (!dir) {
    return CENSUS_ENOTFOUND;
  }
  census_status status = CENSUS_OK;
  if (!census__shm_leader()) {
    *follower = true;
  } else {
    status = census__shm_read_dir(dir, census__shm_gauge_mode(), views, count);
  }
  census__free(dir);
  return status;
}

/* Exports one batch to the given exporters; see census__export_locked(). With `flushes` NULL and
 * `flush_here` set, flushes each exporter in turn afterwards (one exporter: unregistration). */
static census_status export_to(struct census__exporter **exporters, size_t count,
                               int64_t deadline_ns, census__flush_jobs *flushes, bool flush_here) {
  if (census__collect_locked() != CENSUS_OK) {
    return CENSUS_ENOMEM; /* nothing collected: it stays for the next export */
  }
  size_t view_count;
  census_view_data **views = NULL;
  bool follower = false;
  census_status shared = group_views(&views, &view_count, &follower);
  if (follower) {
    return CENSUS_OK; /* the group's leader pushes the group's view, this process's included */
  }
  if (shared == CENSUS_ENOTFOUND) {
    views = census__view_data_build_all(&view_count);
  }
  if (!views) {
    return shared == CENSUS_ENOTFOUND ? CENSUS_ENOMEM : shared;
  }
  census_status result = CENSUS_OK;
  for (size_t i = 0; i < count; i++) {
    census_status status = exporters[i]->ops.export_views(
        exporters[i]->user, (const census_view_data *const *)views, view_count);
    if (status != CENSUS_OK) {
      census__diag(status, "stats exporter failed: %s", census_status_str(status));
      result = CENSUS_EEXPORT;
    }
  }
  census__view_data_free_all(views, view_count);
  for (size_t i = 0; i < count; i++) {
    census__flush_fn flush = exporters[i]->ops.flush;
    if (!flush ||
        (flushes && census__flush_jobs_add(flushes, flush, exporters[i]->user) == CENSUS_OK)) {
      continue;
    }
    if (flushes || flush_here) {
      census_status status = flush(exporters[i]->user, census__ms_until(deadline_ns));
      if (status != CENSUS_OK) {
        result = census__status_merge(result, status == CENSUS_ETIMEDOUT ? CENSUS_ETIMEDOUT
                                                                         : CENSUS_EEXPORT);
      }
    }
  }
  return result;
}

census_status census__export_locked(int64_t deadline_ns, census__flush_jobs *flushes) {
  size_t count;
  struct census__exporter **exporters = exporters_snapshot(&count);
  if (!exporters) {
    return CENSUS_ENOMEM;
  }
  census_status status = export_to(exporters, count, deadline_ns, flushes, false);
  census__free(exporters);
  return status;
}

void census__export_stats(int64_t deadline_ns) {
  if (census__collector_lock_until(deadline_ns) == CENSUS_OK) {
    census__export_locked(deadline_ns, NULL);
    census__collector_unlock();
  }
}

/* Removes and returns the first exporter matching (user) or (fn), or NULL. Caller holds
 * COLLECT. */
static struct census__exporter *
exporter_take(void *user, census_status (*fn)(void *, const census_view_data *const *, size_t)) {
  census__mutex_lock(&exporters_mu);
  struct census__exporter **link = &registered;
  while (*link && !(fn ? (*link)->ops.export_views == fn : (*link)->user == user)) {
    link = &(*link)->next;
  }
  struct census__exporter *e = *link;
  if (e) {
    *link = e->next;
  }
  census__mutex_unlock(&exporters_mu);
  return e;
}

/* Final export to `e` alone, then its flush and shutdown, then frees it. */
static census_status exporter_retire(struct census__exporter *e, int64_t deadline_ns) {
  census_status status = export_to(&e, 1, deadline_ns, NULL, true);
  if (e->ops.shutdown) {
    e->ops.shutdown(e->user, census__ms_until(deadline_ns));
  }
  census__free(e);
  return status;
}

static census_status
unregister_matching(void *user,
                    census_status (*fn)(void *, const census_view_data *const *, size_t),
                    int64_t timeout_ms) {
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  int64_t deadline = census__deadline_after_ms(timeout_ms);
  census_status status = census__collector_lock_until(deadline);
  if (status != CENSUS_OK) {
    return status;
  }
  bool found = false;
  struct census__exporter *e;
  while ((e = exporter_take(user, fn)) != NULL) {
    found = true;
    status = census__status_merge(status, exporter_retire(e, deadline));
    if (!fn) {
      break;
    }
  }
  census__collector_unlock();
  return found ? status : CENSUS_ENOTFOUND;
}

CENSUS_EXPORT census_status census_stats_exporter_unregister(void *user, int64_t timeout_ms) {
  return unregister_matching(user, NULL, timeout_ms);
}

census_status census__stats_exporter_unregister_matching(
    census_status (*fn)(void *, const census_view_data *const *, size_t), int64_t timeout_ms) {
  return unregister_matching(NULL, fn, timeout_ms);
}

void census__exporters_shutdown(int64_t deadline_ns) {
  census__mutex_lock(&exporters_mu);
  struct census__exporter *e = registered;
  registered = NULL;
  census__mutex_unlock(&exporters_mu);
  while (e) {
    struct census__exporter *next = e->next;
    if (e->ops.shutdown) {
      e->ops.shutdown(e->user, census__ms_until(deadline_ns));
    }
    census__free(e);
    e = next;
  }
}

void census__exporters_fork_prepare(void) { census__mutex_lock(&exporters_mu); }

void census__exporters_fork_parent(void) { census__mutex_unlock(&exporters_mu); }
