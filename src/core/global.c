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
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diagnostics.h"
#include "export/export.h"
#include "stats/bound.h"
#include "stats/collector.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "trace/ids.h"
#include "trace/span_internal.h"

struct census__global census__g = {
    .lifecycle_mu = PTHREAD_MUTEX_INITIALIZER,
    .collect_mu = PTHREAD_MUTEX_INITIALIZER,
    .exporters_mu = PTHREAD_MUTEX_INITIALIZER,
    .registry_mu = PTHREAD_MUTEX_INITIALIZER,
    .threads_mu = PTHREAD_MUTEX_INITIALIZER,
    .export_interval_ms = CENSUS_DEFAULT_EXPORT_INTERVAL_MS,
    .exit_flush_timeout_ms = 5000,
    .wake_pipe = {-1, -1},
};

static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int started; /* 0 not yet, 1 done */
static _Thread_local bool starting_here;

void census__at_exit(void);

/* Reads OTEL_METRIC_EXPORT_INTERVAL (milliseconds); a malformed value is reported once and the
 * default kept. */
static void read_environment(void) {
  const char *text = getenv("OTEL_METRIC_EXPORT_INTERVAL");
  if (!text || !*text) {
    return;
  }
  char *end;
  errno = 0;
  long long ms = strtoll(text, &end, 10);
  while (*end == ' ' || *end == '\t') {
    end++;
  }
  if (errno || *end || ms < 1) {
    census__diag(CENSUS_ECONFIG,
                 "OTEL_METRIC_EXPORT_INTERVAL=\"%.64s\" is not a positive integer number of "
                 "milliseconds; using %lld ms",
                 text, (long long)atomic_load(&census__g.export_interval_ms));
    return;
  }
  atomic_store(&census__g.export_interval_ms, (int64_t)ms);
}

static int make_wake_pipe(void) {
  if (pipe2(census__g.wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    census__g.wake_pipe[0] = census__g.wake_pipe[1] = -1;
    return -1;
  }
  return 0;
}

static void fork_prepare(void) {
  pthread_mutex_lock(&census__g.exporters_mu);
  pthread_mutex_lock(&census__g.registry_mu);
  for (size_t i = 0; i < census__g.view_count; i++) {
    pthread_mutex_lock(&census__g.views[i]->mu);
  }
  pthread_mutex_lock(&census__g.threads_mu);
}

static void fork_parent(void) {
  pthread_mutex_unlock(&census__g.threads_mu);
  for (size_t i = census__g.view_count; i-- > 0;) {
    pthread_mutex_unlock(&census__g.views[i]->mu);
  }
  pthread_mutex_unlock(&census__g.registry_mu);
  pthread_mutex_unlock(&census__g.exporters_mu);
}

static void fork_child(void) {
  pthread_mutex_init(&census__g.collect_mu, NULL);
  pthread_mutex_init(&census__g.lifecycle_mu, NULL);
  if (!census__is_shut_down()) {
    census__views_reset_series(false);
    census__bound_reset_all();
    census__collector_drop_threads();
    census__recorder_forget_thread();
    census__spans_fork_child();
    census__ids_reseed_all();
  }
  fork_parent(); /* the child's only thread is the one that took the locks */
  if (census__is_shut_down()) {
    return;
  }
  close(census__g.wake_pipe[0]);
  close(census__g.wake_pipe[1]);
  census__g.worker_running = false;
  if (make_wake_pipe() == 0) {
    census__worker_start();
  }
}

/* The body of start-up; see the file comment. */
static census_status start_once(void) {
  census__collector_start();
  if (census__recorder_start() != 0 || make_wake_pipe() != 0) {
    return CENSUS_ESYSTEM;
  }
  read_environment();
  census__trace_start();
  census_status status = census__self_metrics_start();
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
  pthread_mutex_lock(&start_mu);
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
  pthread_mutex_unlock(&start_mu);
  return status == CENSUS_OK && census__is_shut_down() ? CENSUS_ESHUTDOWN : status;
}
