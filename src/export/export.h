/* export.h - the exporter registry, the export worker and the shared export step. */
#ifndef CENSUS_EXPORT_EXPORT_H
#define CENSUS_EXPORT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"

struct census__exporter {
  struct census__exporter *next;
  census_stats_exporter_ops ops;
  void *user;
};

/* ---- Flushing every exporter at once (flush.c) -------------------------------------------- */

typedef census_status (*census__flush_fn)(void *user, int64_t timeout_ms);

/* One exporter's flush callback to call; `result` is what it returned. */
typedef struct census__flush_job {
  census__flush_fn flush;
  void *user;
  census_status result;
  size_t group; /* census__flush_run()'s: the first job with the same user */
} census__flush_job;

/* A growable list of flush jobs; zero-initialise it ({0}). */
typedef struct census__flush_jobs {
  census__flush_job *jobs;
  size_t count, cap;
} census__flush_jobs;

/* Appends a job. CENSUS_OK or CENSUS_ENOMEM (the caller then calls the flush itself). */
census_status census__flush_jobs_add(census__flush_jobs *list, census__flush_fn flush, void *user);
void census__flush_jobs_free(census__flush_jobs *list);

/* Calls every job's flush concurrently (one thread per exporter, see flush.c), each with the time
 * left before deadline_ns, and waits for all. at_exit: census_exporter_is_flushing_at_exit() is
 * true inside the callbacks. Returns CENSUS_ETIMEDOUT if any flush returned it, else CENSUS_EEXPORT
 * if any returned another error, else CENSUS_OK. */
census_status census__flush_run(census__flush_jobs *list, int64_t deadline_ns, bool at_exit);

/* The status of a flush made of two parts: CENSUS_ETIMEDOUT wins (the outcome is not known
 * yet), then CENSUS_ENOMEM (census could not build what to export), then CENSUS_EEXPORT (any
 * other error: an exporter failed), then CENSUS_OK. */
census_status census__status_merge(census_status a, census_status b);

/* ---- Stats exporters (exporter_registry.c) ------------------------------------------------- */

/* Locks collect_mu by a monotonic deadline: CENSUS_OK or CENSUS_ETIMEDOUT. */
census_status census__collect_lock(int64_t deadline_ns);

/* Collects, snapshots every view and passes the batch to every stats exporter. With `flushes`
 * not NULL, also appends each exporter's flush callback to it (a flush callback that cannot be
 * appended is called here, in turn). Caller holds collect_mu, and keeps it until the appended
 * flushes have run (no exporter is unregistered meanwhile). CENSUS_OK, CENSUS_EEXPORT (at least
 * one exporter failed; all were called), CENSUS_ETIMEDOUT (from a flush called here) or
 * CENSUS_ENOMEM. */
census_status census__export_locked(int64_t deadline_ns, census__flush_jobs *flushes);

/* Unregisters every exporter whose export_views is `fn` (after a final export to each). */
census_status census__stats_exporter_unregister_matching(
    census_status (*fn)(void *, const census_view_data *const *, size_t), int64_t timeout_ms);

/* Calls every exporter's shutdown and frees the list (census_shutdown). */
void census__exporters_shutdown(int64_t deadline_ns);

/* The export worker. start: CENSUS_OK or CENSUS_ESYSTEM. stop: joins within the deadline. */
census_status census__worker_start(void);
void census__worker_stop(int64_t deadline_ns);
/* Wakes the worker to re-read its interval (async-signal-safe). */
void census__worker_wake(void);
/* Wakes the worker to export a full batch of spans. */
void census__worker_wake_spans(void);

/* Handles SIGTERM/SIGINT on the worker after the handler passed the signal number on. */
void census__signal_deliver(int signo);
/* Restores the handlers census_signal_flush_install() replaced (shutdown). */
void census__signal_uninstall(void);

/* A flush of everything with the exit timeout, used at exit and on a signal: what push exporters
 * still hold at its deadline is counted as dropped (census_exporter_is_flushing_at_exit()). */
void census__flush_for_exit(void);

#endif
