/* lifecycle.c - the order of census's life: load, start, flush, exit, signals, fork, shutdown.
 *
 * This is the one file that knows every module: it alone calls their lifecycle hooks, in the
 * orders below, and no module calls it (dependencies point from here down; docs/design.md draws
 * the map). Each module keeps its own state behind its own functions.
 *
 * Load. When the library is loaded (an ELF constructor; static links name it with -u, see
 * CMakeLists.txt), census registers its fork handlers and its own views (the self-metrics), and
 * registers for membarrier: no thread, no environment read, nothing that could surprise a
 * program that links census and never calls it. Tag keys, measures, views and records need
 * nothing more.
 *
 * Start. The export worker (worker.c) is the only thing census starts, and only for the entry
 * points that need it: registering a stats or span exporter, installing the signal flush. Start
 * opens the worker's doorbell, starts the worker and registers the flush at exit (atexit).
 *
 * Exit. Nothing is lost at exit: returning from main or calling exit() exports everything
 * recorded, bounded by the exit flush timeout. At exit census only flushes and stops its worker;
 * it frees nothing, because other threads may still be running and recording.
 *
 * Signals. The handler rings the worker's doorbell with the signal number (async-signal-safe)
 * and returns. The worker hands it back here: flush, restore the previous disposition and
 * re-raise the signal, so the process then does what it would have done without census (by
 * default, ends by that signal).
 *
 * fork(). prepare takes every short lock in the lock order of core/lock.h, module by module;
 * parent releases them in reverse; child re-creates the long locks (which a thread that does not
 * exist in the child may hold), lets each module reset what is the parent's (series, thread
 * cells, queued spans) and release its locks, in reverse, and restarts the worker if the parent
 * had one.
 *
 * Shutdown. One at a time (LIFECYCLE): signals restored, worker stopped, a final flush, the span
 * and stats exporters' shutdown, then census is marked shut down (run_state.h) and, under
 * COLLECT, each stats module frees its data: measures' view lists, views and series, bound
 * measures' cells, thread states, the collector's scratch.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/options.h"
#include "core/run_state.h"
#include "core/wake.h"
#include "export/exporter_status.h"
#include "export/exporter_registry.h"
#include "export/flush.h"
#include "export/worker.h"
#include "instruments/instrument.h"
#include "instruments/observable.h"
#include "stats/bound.h"
#include "stats/collector.h"
#include "stats/measure.h"
#include "stats/recorder.h"
#include "stats/self_metrics.h"
#include "stats/shm.h"
#include "stats/view.h"
#include "stats/window.h"
#include "tags/tag_key.h"
#include "trace/ids.h"
#include "trace/span_observer.h"
#include "trace/span_pool.h"
#include "trace/span_queue.h"

static census__mutex lifecycle_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_LIFECYCLE);
static census__mutex start_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_START);
static _Atomic bool started; /* the worker was started (and the exit flush registered) */
static _Atomic int64_t exit_flush_timeout_ms = 5000;

static const int flush_signals[] = {SIGTERM, SIGINT};
#define FLUSH_SIGNALS (sizeof flush_signals / sizeof flush_signals[0])
static struct sigaction previous[FLUSH_SIGNALS];
static _Atomic bool signals_installed;

CENSUS_EXPORT const char *census_version(void) { return CENSUS_VERSION_STRING; }

/* ---- fork ---------------------------------------------------------------------------------- */

static void fork_prepare(void) {
  census__exporters_fork_prepare();
  census__instruments_fork_prepare();
  census__bound_fork_prepare();
  census__views_fork_prepare();
  census__measures_fork_prepare();
  census__tag_keys_fork_prepare();
  census__threads_fork_prepare();
  census__shm_fork_prepare();
  census__spans_fork_prepare();
  census__span_pool_fork_prepare();
  census__span_observers_fork_prepare();
  census__exporter_status_fork_prepare();
}

static void fork_parent(void) {
  census__exporter_status_fork_parent();
  census__span_observers_fork_parent();
  census__span_pool_fork_parent();
  census__spans_fork_parent();
  census__shm_fork_parent();
  census__threads_fork_parent();
  census__tag_keys_fork_parent();
  census__measures_fork_parent();
  census__views_fork_parent();
  census__bound_fork_parent();
  census__instruments_fork_parent();
  census__exporters_fork_parent();
}

static void fork_child(void) {
  census__mutex_init(&lifecycle_mu, CENSUS__LOCK_LIFECYCLE);
  census__mutex_init(&start_mu, CENSUS__LOCK_START);
  census__collector_fork_child();
  census__exporter_status_fork_parent();
  census__span_observers_fork_child();
  census__span_pool_fork_parent(); /* before the queue gives its spans back to the pool */
  census__spans_fork_child();
  census__shm_fork_child();
  census__threads_fork_child();
  census__tag_keys_fork_parent();
  census__measures_fork_parent();
  census__views_fork_child();
  census__bound_fork_child();
  census__instruments_fork_parent();
  census__exporters_fork_parent();
  census__ids_reseed_all();
  census__worker_fork_child();
}

/* ---- load ---------------------------------------------------------------------------------- */

/* Runs when the library is loaded (see the file comment). Not static: a static link forces this
 * object in by naming it (-Wl,--undefined=census__lifecycle_load). */
__attribute__((constructor(101))) void census__lifecycle_load(void) {
  census__window_load();
  census__collector_set_observe_hook(census__observables_run);
  census_status status = census__self_metrics_load();
  if (status != CENSUS_OK) {
    census__diag(status, "census could not create its self-metrics (census/...): %s",
                 census_status_str(status));
  }
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  census__alloc_load_done(); /* from here, census's first allocation fixes its allocator */
}

/* ---- flush --------------------------------------------------------------------------------- */

/* Flushes everything by `deadline`, in two steps (docs/lifecycle.md, "Flush: every exporter gets
 * the whole deadline"):
 *   1. hand everything over: collect and pass the snapshot of every view to each stats exporter
 *      (under COLLECT), then the queued spans to each span exporter (under SPAN_EXPORT). Push
 *      exporters only encode and queue here; they never wait on the network;
 *   2. call every exporter's flush callback at once, each on a thread of its own and each with the
 *      time left before the one deadline (census__flush_run()), and wait for all of them.
 * So a dead or hung backend costs only its own exporter: each other exporter has until the same
 * deadline to deliver. Both locks are held through step 2, so no export, unregistration or other
 * flush overlaps a flush callback. A lock that cannot be had by the deadline (an export stuck in a
 * third-party exporter) leaves its side unflushed (CENSUS_ETIMEDOUT); the other side still is.
 * at_exit: the flush at exit or on a signal, after which push exporters count what they still
 * hold as dropped (census_exporter_is_flushing_at_exit()), and so does census for spans the
 * deadline kept in the queue. Returns census__status_merge() of all parts: CENSUS_ETIMEDOUT if the
 * deadline cut anything short, else CENSUS_ENOMEM, else CENSUS_EEXPORT if an exporter failed,
 * else CENSUS_OK. */
static census_status flush_until(int64_t deadline, bool at_exit) {
  census__flush_jobs flushes = {0};
  census_status status = census__collector_lock_until(deadline);
  bool stats_locked = status == CENSUS_OK;
  if (stats_locked) {
    status = census__export_locked(deadline, &flushes);
  } else if (at_exit) {
    census__diag(CENSUS_ETIMEDOUT, "exit deadline reached while an export held census's collection "
                                   "lock; what was recorded since the last export is not exported");
  }
  census_status spans = census__spans_lock(deadline);
  if (spans == CENSUS_OK) {
    status = census__status_merge(status, census__spans_export_locked(deadline, &flushes));
  } else {
    status = census__status_merge(status, spans);
    if (at_exit) {
      census__diag(CENSUS_ETIMEDOUT, "exit deadline reached while a span export held the span "
                                     "queue; the spans still queued are not exported");
    }
  }
  /* At exit, spans the deadline kept from the exporters (a span exporter slow to take them) will
   * never go: counted, not left silently in the queue. */
  size_t left = at_exit && spans == CENSUS_OK ? census__spans_drop_queued_locked() : 0;
  if (left > 0) {
    census__diag(CENSUS_ETIMEDOUT,
                 "exit deadline reached before %zu ended spans were handed to the span exporters; "
                 "dropped (census/dropped_spans)",
                 left);
  }
  status = census__status_merge(status, census__flush_run(&flushes, deadline, at_exit));
  census__flush_jobs_free(&flushes);
  if (spans == CENSUS_OK) {
    census__spans_unlock();
  }
  if (stats_locked) {
    census__collector_unlock();
  }
  return status;
}

CENSUS_EXPORT census_status census_flush(int64_t timeout_ms) {
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  return flush_until(census__deadline_after_ms(timeout_ms), false);
}

CENSUS_EXPORT census_status census_exit_flush_set_timeout_ms(int64_t timeout_ms) {
  if (timeout_ms < 0) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN; /* nothing is flushed at exit after shutdown */
  }
  atomic_store(&exit_flush_timeout_ms, timeout_ms);
  return CENSUS_OK;
}

/* The flush at exit (atexit, registered by start()). */
static void at_exit(void) {
  if (census__is_shut_down()) {
    return;
  }
  int64_t deadline = census__deadline_after_ms(atomic_load(&exit_flush_timeout_ms));
  flush_until(deadline, true);
  census__worker_stop(deadline);
}

/* ---- signals ------------------------------------------------------------------------------- */

/* Async-signal-safe: only write(2), via the worker's doorbell. */
static void on_flush_signal(int signo) { census__wake_ring((unsigned char)signo); }

static void restore_signal(int signo) {
  for (size_t i = 0; i < FLUSH_SIGNALS; i++) {
    if (flush_signals[i] == signo) {
      sigaction(signo, &previous[i], NULL);
    }
  }
}

/* On the worker, for a signal the handler passed on: the flush at exit, then the signal's
 * previous disposition. */
static void signal_deliver(int signo) {
  if (!census__is_shut_down()) {
    flush_until(census__deadline_after_ms(atomic_load(&exit_flush_timeout_ms)), true);
  }
  restore_signal(signo);
  kill(getpid(), signo); /* the previous disposition now takes effect */
}

/* ---- start --------------------------------------------------------------------------------- */

/* Starts the export worker and the flush at exit, once (see the file comment). CENSUS_OK,
 * CENSUS_ESHUTDOWN after census_shutdown(), or CENSUS_ESYSTEM (reported). */
static census_status start(void) {
  if (atomic_load_explicit(&started, memory_order_acquire)) {
    return census__is_shut_down() ? CENSUS_ESHUTDOWN : CENSUS_OK;
  }
  census__mutex_lock(&start_mu);
  census_status status = CENSUS_OK;
  if (census__is_shut_down()) {
    status = CENSUS_ESHUTDOWN;
  } else if (!atomic_load_explicit(&started, memory_order_relaxed)) {
    status = census__wake_open();
    if (status == CENSUS_OK) {
      status = census__worker_start(signal_deliver);
    }
    if (status == CENSUS_OK) {
      atexit(at_exit);
      atomic_store_explicit(&started, true, memory_order_release);
    } else {
      census__wake_close();
      census__diag(status, "census could not start its export worker: %s",
                   census_status_str(status));
    }
  }
  census__mutex_unlock(&start_mu);
  return status;
}

/* The ops tables follow the options-struct convention (core/options.h): read at their size. */
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
  if (status != CENSUS_OK || !ops.export_views) {
    return status != CENSUS_OK ? status : CENSUS_EINVAL;
  }
  status = start();
  return status == CENSUS_OK ? census__stats_exporters_add(&ops, user) : status;
}

CENSUS_EXPORT census_status census_span_exporter_register(const census_span_exporter_ops *given,
                                                          void *user) {
  if (!given) {
    return CENSUS_EINVAL;
  }
  census_span_exporter_ops ops;
  census_status status = census__options_read(
      given, CENSUS__END_OF(census_span_exporter_ops, shutdown), sizeof ops, &ops,
      "census_span_exporter_register", "census_span_exporter_ops", "CENSUS_SPAN_EXPORTER_OPS_INIT");
  if (status != CENSUS_OK || !ops.export_spans) {
    return status != CENSUS_OK ? status : CENSUS_EINVAL;
  }
  status = start();
  return status == CENSUS_OK ? census__span_exporters_add(&ops, user) : status;
}

CENSUS_EXPORT census_status census_signal_flush_install(void) {
  census_status status = start();
  if (status != CENSUS_OK) {
    return status;
  }
  census__mutex_lock(&lifecycle_mu);
  if (!atomic_load(&signals_installed)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_flush_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < FLUSH_SIGNALS; i++) {
      /* A signal the process ignores (a shell starts background jobs with SIGINT ignored) stays
       * ignored: census does not make it end the process. */
      if (sigaction(flush_signals[i], NULL, &previous[i]) != 0) {
        status = CENSUS_ESYSTEM;
      } else if (previous[i].sa_handler != SIG_IGN &&
                 sigaction(flush_signals[i], &action, NULL) != 0) {
        status = CENSUS_ESYSTEM;
      }
    }
    atomic_store(&signals_installed, status == CENSUS_OK);
  }
  census__mutex_unlock(&lifecycle_mu);
  return status;
}

/* ---- shutdown ------------------------------------------------------------------------------ */

CENSUS_EXPORT census_status census_shutdown(int64_t timeout_ms) {
  int64_t deadline = census__deadline_after_ms(timeout_ms);
  census__mutex_lock(&lifecycle_mu);
  if (census__is_shut_down()) {
    census__mutex_unlock(&lifecycle_mu);
    return CENSUS_OK;
  }
  if (atomic_exchange(&signals_installed, false)) {
    for (size_t i = 0; i < FLUSH_SIGNALS; i++) {
      restore_signal(flush_signals[i]);
    }
  }
  census__mutex_lock(&start_mu);
  census__worker_stop(deadline);
  census__mutex_unlock(&start_mu);
  census_status status = flush_until(deadline, false);
  census__spans_shutdown(deadline);
  census__exporters_shutdown(deadline);
  /* From here constructors refuse and recording finds no views. */
  census__run_state_shut_down();
  if (census__collector_lock_until(deadline) == CENSUS_OK) {
    census__measures_shutdown();
    census__views_shutdown();
    census__bound_shutdown();
    census__threads_shutdown();
    census__shm_shutdown();
    census__collector_shutdown();
    census__collector_unlock();
  } else {
    status = CENSUS_ETIMEDOUT; /* data stay allocated: something is still exporting */
  }
  census__wake_close();
  census__mutex_unlock(&lifecycle_mu);
  return status;
}
