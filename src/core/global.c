/* global.c - census's process-wide state, its one-time start-up and its fork handling.
 *
 * Start-up runs once, on the first call that creates something: it prepares the collector's
 * barrier, the thread-exit key, the self-metrics, the configuration from the environment, the
 * worker's pipe and thread, and registers the exit and fork handlers. Calls made by start-up
 * itself (the self-metrics create a measure and a view) see `starting_here` and pass through.
 *
 * fork(): the prepare handler takes the short locks (exporters, registry, every view's table,
 * threads) so the child never inherits one mid-update; the child then drops every series and
 * every thread's cells (they hold the parent's data, which the parent exports), resets view
 * start times to the fork, makes a new worker pipe (the old one is shared with the parent) and
 * starts its own worker. collect_mu and lifecycle_mu may be held by a parent thread that does not
 * exist in the child, so the child re-creates them.
 */
#include "core/global.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diagnostics.h"
#include "core/env.h"
#include "core/wake.h"
#include "export/export.h"
#include "stats/bound.h"
#include "stats/collector.h"
#include "stats/measure.h"
#include "stats/recorder.h"
#include "stats/self_metrics.h"
#include "stats/view.h"
#include "stats/window.h"
#include "tags/tag_key.h"
#include "trace/ids.h"
#include "trace/span_internal.h"

struct census__global census__g = {
    .lifecycle_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_LIFECYCLE),
    .export_interval_ms = CENSUS_DEFAULT_EXPORT_INTERVAL_MS,
    .exit_flush_timeout_ms = 5000,
};

static census__mutex start_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_START);
static _Atomic int started; /* 0 not yet, 1 done */
static _Thread_local bool starting_here;

void census__at_exit(void);

/* Reads OTEL_METRIC_EXPORT_INTERVAL (milliseconds); a malformed value is reported once and the
 * default kept. */
static void read_environment(void) {
  int64_t ms = atomic_load(&census__g.export_interval_ms);
  if (census__env_positive("OTEL_METRIC_EXPORT_INTERVAL", INT64_MAX / 1000000, "milliseconds",
                           &ms)) {
    atomic_store(&census__g.export_interval_ms, ms);
  }
}

/* fork(): the short locks, in lock order (core/lock.h). */
static void fork_prepare(void) {
  census__exporters_fork_prepare();
  census__bound_fork_prepare();
  census__views_fork_prepare();
  census__measures_fork_prepare();
  census__tag_keys_fork_prepare();
  census__threads_fork_prepare();
}

static void fork_parent(void) {
  census__threads_fork_parent();
  census__tag_keys_fork_parent();
  census__measures_fork_parent();
  census__views_fork_parent();
  census__bound_fork_parent();
  census__exporters_fork_parent();
}

static void fork_child(void) {
  census__collector_fork_child();
  census__mutex_init(&census__g.lifecycle_mu, CENSUS__LOCK_LIFECYCLE);
  census__threads_fork_child();
  census__tag_keys_fork_parent();
  census__measures_fork_parent();
  census__views_fork_child();
  census__bound_fork_child();
  census__exporters_fork_parent();
  census__spans_fork_child();
  census__ids_reseed_all();
  census__g.worker_running = false;
  if (!census__is_shut_down() && census__wake_open() == CENSUS_OK) {
    census__worker_start();
  }
}

/* The body of start-up; see the file comment. */
static census_status start_once(void) {
  census__window_load();
  if (census__wake_open() != CENSUS_OK) {
    return CENSUS_ESYSTEM;
  }
  read_environment();
  census__trace_start();
  census_status status = census__self_metrics_load();
  if (status != CENSUS_OK) {
    return status;
  }
  status = census__worker_start();
  if (status != CENSUS_OK) {
    return status;
  }
  atexit(census__at_exit);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  return CENSUS_OK;
}

census_status census__ensure_started(void) {
  if (atomic_load_explicit(&started, memory_order_acquire) || starting_here) {
    return census__is_shut_down() ? CENSUS_ESHUTDOWN : CENSUS_OK;
  }
  census__mutex_lock(&start_mu);
  census_status status = CENSUS_OK;
  if (!atomic_load_explicit(&started, memory_order_relaxed)) {
    starting_here = true;
    status = start_once();
    starting_here = false;
    if (status == CENSUS_OK) {
      atomic_store_explicit(&started, 1, memory_order_release);
    } else {
      census__diag(status, "census failed to start: %s", census_status_str(status));
    }
  }
  census__mutex_unlock(&start_mu);
  return status == CENSUS_OK && census__is_shut_down() ? CENSUS_ESHUTDOWN : status;
}
