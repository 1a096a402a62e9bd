/* flush.h - calling every exporter's flush callback at once against one deadline (flush.c), and
 * the rule that merges the statuses of a flush's parts. */
#ifndef CENSUS_EXPORT_FLUSH_H
#define CENSUS_EXPORT_FLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"

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

#endif
