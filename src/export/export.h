/* export.h - the exporter registry, the export worker and the shared export step. */
#ifndef CENSUS_EXPORT_EXPORT_H
#define CENSUS_EXPORT_EXPORT_H

#include <stdint.h>

#include "census/exporter.h"

struct census__exporter {
  struct census__exporter *next;
  census_stats_exporter_ops ops;
  void *user;
};

/* Locks collect_mu by a monotonic deadline: CENSUS_OK or CENSUS_ETIMEDOUT. */
census_status census__collect_lock(int64_t deadline_ns);

/* Collects, snapshots every view, passes the batch to every exporter, then calls their flush
 * callbacks with the time left. Caller holds collect_mu. CENSUS_OK, CENSUS_EEXPORT (at least one
 * exporter failed; all were called) or CENSUS_ENOMEM. */
census_status census__export_locked(int64_t deadline_ns, bool flush_exporters);

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

/* A flush of everything with the exit timeout, used at exit and on a signal. */
void census__flush_for_exit(void);

#endif
