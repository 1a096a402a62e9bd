/* exporter_registry.h - the stats exporters (exporter_registry.c) and the export step they
 * share. */
#ifndef CENSUS_EXPORT_EXPORTER_REGISTRY_H
#define CENSUS_EXPORT_EXPORTER_REGISTRY_H

#include <stdint.h>

#include "census/exporter.h"

struct census__flush_jobs;

/* Appends a stats exporter (registration; lifecycle.c starts the worker first). CENSUS_OK or
 * CENSUS_ENOMEM. */
census_status census__stats_exporters_add(const census_stats_exporter_ops *ops, void *user);

/* Collects, snapshots every view and passes the batch to every stats exporter. With `flushes`
 * not NULL, also appends each exporter's flush callback to it (a flush callback that cannot be
 * appended is called here, in turn). Caller holds COLLECT, and keeps it until the appended
 * flushes have run (no exporter is unregistered meanwhile). CENSUS_OK, CENSUS_EEXPORT (at least
 * one exporter failed; all were called), CENSUS_ETIMEDOUT (from a flush called here) or
 * CENSUS_ENOMEM. */
census_status census__export_locked(int64_t deadline_ns, struct census__flush_jobs *flushes);

/* The worker's periodic export: COLLECT by the deadline, then census__export_locked(). */
void census__export_stats(int64_t deadline_ns);

/* Unregisters every exporter whose export_views is `fn` (after a final export to each). */
census_status census__stats_exporter_unregister_matching(
    census_status (*fn)(void *, const census_view_data *const *, size_t), int64_t timeout_ms);

/* census_shutdown(): calls every exporter's shutdown and forgets them. */
void census__exporters_shutdown(int64_t deadline_ns);

/* fork(): prepare takes STATS_EXPORTERS; parent (and child: exporters are inherited) release it. */
void census__exporters_fork_prepare(void);
void census__exporters_fork_parent(void);

#endif
