/* exporter_registry.c - the list of stats exporters and the export step they share.
 *
 * Exporters are appended under exporters_mu and removed only while also holding collect_mu. An
 * export holds collect_mu throughout, so it can walk a copy of the list without fearing that an
 * exporter is freed under it, while registration (exporters_mu only) never waits for an export.
 */
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/global.h"
#include "core/options.h"
#include "export/export.h"
#include "stats/collector.h"
#include "stats/view_data.h"

census_status census__collect_lock(int64_t deadline_ns) {
  if (deadline_ns == INT64_MAX) {
    pthread_mutex_lock(&census__g.collect_mu);
    return CENSUS_OK;
  }
  /* pthread_mutex_timedlock takes Unix time. pthread_mutex_clocklock would take the monotonic
   * deadline directly, but sanitizer runtimes do not intercept it, which breaks TSan runs. */
  int64_t unix_deadline = census__unix_ns() + (deadline_ns - census__monotonic_ns());
  struct timespec abs = {unix_deadline / 1000000000, unix_deadline % 1000000000};
  return pthread_mutex_timedlock(&census__g.collect_mu, &abs) == 0 ? CENSUS_OK : CENSUS_ETIMEDOUT;
}

CENSUS_EXPORT census_status census_stats_exporter_register(const census_stats_exporter_ops *given,
                                                           void *user) {
  if (!given) {
    return CENSUS_EINVAL;
  }
  census_stats_exporter_ops ops;
  census_status status =
      census__options_read(given, CENSUS__END_OF(census_stats_exporter_ops, shutdown), sizeof ops,
                           &ops, "census_stats_exporter_register", "census_stats_exporter_ops",
                           "CENSUS_STATS_EXPORTER_OPS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  if (!ops.export_views) {
    return CENSUS_EINVAL;
  }
  status = census__ensure_started();
  if (status != CENSUS_OK) {
    return status;
  }
  struct census__exporter *e = calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  e->ops = ops;
  e->user = user;
  pthread_mutex_lock(&census__g.exporters_mu);
  struct census__exporter **link = &census__g.exporters;
  while (*link) {
    link = &(*link)->next;
  }
  *link = e;
  pthread_mutex_unlock(&census__g.exporters_mu);
  return CENSUS_OK;
}

/* Copies the exporter list (caller holds collect_mu, so no entry is freed meanwhile). */
static struct census__exporter **exporters_snapshot(size_t *count) {
  pthread_mutex_lock(&census__g.exporters_mu);
  size_t n = 0;
  for (struct census__exporter *e = census__g.exporters; e; e = e->next) {
    n++;
  }
  struct census__exporter **list = malloc((n ? n : 1) * sizeof *list);
  n = 0;
  for (struct census__exporter *e = census__g.exporters; list && e; e = e->next) {
    list[n++] = e;
  }
  pthread_mutex_unlock(&census__g.exporters_mu);
  *count = n;
  return list;
}

/* Exports one batch to the given exporters; see census__export_locked(). With `flushes` NULL and
 * `flush_here` set, flushes each exporter in turn afterwards (one exporter: unregistration). */
static census_status export_to(struct census__exporter **exporters, size_t count,
                               int64_t deadline_ns, census__flush_jobs *flushes, bool flush_here) {
  census__collect_locked();
  size_t view_count;
  census_view_data **views = census__view_data_build_all(&view_count);
  if (!views) {
    return CENSUS_ENOMEM;
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
  free(exporters);
  return status;
}

/* Removes and returns the first exporter matching (user) or (fn), or NULL. Caller holds
 * collect_mu. */
static struct census__exporter *
exporter_take(void *user, census_status (*fn)(void *, const census_view_data *const *, size_t)) {
  pthread_mutex_lock(&census__g.exporters_mu);
  struct census__exporter **link = &census__g.exporters;
  while (*link && !(fn ? (*link)->ops.export_views == fn : (*link)->user == user)) {
    link = &(*link)->next;
  }
  struct census__exporter *e = *link;
  if (e) {
    *link = e->next;
  }
  pthread_mutex_unlock(&census__g.exporters_mu);
  return e;
}

/* Final export to `e` alone, then its flush and shutdown, then frees it. */
static census_status exporter_retire(struct census__exporter *e, int64_t deadline_ns) {
  census_status status = export_to(&e, 1, deadline_ns, NULL, true);
  if (e->ops.shutdown) {
    e->ops.shutdown(e->user, census__ms_until(deadline_ns));
  }
  free(e);
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
  census_status status = census__collect_lock(deadline);
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
  pthread_mutex_unlock(&census__g.collect_mu);
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
  pthread_mutex_lock(&census__g.exporters_mu);
  struct census__exporter *e = census__g.exporters;
  census__g.exporters = NULL;
  pthread_mutex_unlock(&census__g.exporters_mu);
  while (e) {
    struct census__exporter *next = e->next;
    if (e->ops.shutdown) {
      e->ops.shutdown(e->user, census__ms_until(deadline_ns));
    }
    free(e);
    e = next;
  }
}
