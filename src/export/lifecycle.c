/* lifecycle.c - flush, shutdown, the flush at exit and the opt-in flush on SIGTERM/SIGINT.
 *
 * Nothing is lost at exit: census__ensure_started() registers census__at_exit with atexit(), so
 * returning from main or calling exit() exports everything recorded, bounded by the exit flush
 * timeout. At exit census only flushes and stops its worker; it frees nothing, because other
 * threads may still be running and recording.
 *
 * Signals: the handler writes the signal number into the worker's pipe (async-signal-safe) and
 * returns. The worker flushes, restores the previous disposition and re-raises the signal, so the
 * process then does what it would have done without census (by default, ends by that signal).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/global.h"
#include "export/export.h"
#include "stats/bound.h"
#include "stats/collector.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "trace/span_internal.h"

static const int flush_signals[] = {SIGTERM, SIGINT};
static struct sigaction previous[sizeof flush_signals / sizeof flush_signals[0]];
static _Atomic bool signals_installed;

CENSUS_EXPORT const char *census_version(void) { return CENSUS_VERSION_STRING; }

CENSUS_EXPORT census_status census_export_set_interval_ms(int64_t interval_ms) {
  if (interval_ms < 1) {
    return CENSUS_EINVAL;
  }
  census_status status = census__ensure_started();
  if (status != CENSUS_OK) {
    return status;
  }
  atomic_store(&census__g.export_interval_ms, interval_ms);
  census__worker_wake();
  return CENSUS_OK;
}

CENSUS_EXPORT int64_t census_export_interval_ms(void) {
  census__ensure_started();
  return atomic_load(&census__g.export_interval_ms);
}

CENSUS_EXPORT census_status census_exit_flush_set_timeout_ms(int64_t timeout_ms) {
  if (timeout_ms < 0) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN; /* nothing is flushed at exit after shutdown */
  }
  atomic_store(&census__g.exit_flush_timeout_ms, timeout_ms);
  return CENSUS_OK;
}

/* Flushes everything by `deadline`, in two steps (docs/lifecycle.md, "Flush: every exporter gets
 * the whole deadline"):
 *   1. hand everything over: collect and pass the snapshot of every view to each stats exporter
 *      (under collect_mu), then the queued spans to each span exporter (under the span export
 *      lock). Push exporters only encode and queue here; they never wait on the network;
 *   2. call every exporter's flush callback at once, each on a thread of its own and each with the
 *      time left before the one deadline (census__flush_run()), and wait for all of them.
 * So a dead or hung backend costs only its own exporter: each other exporter has until the same
 * deadline to deliver. Both locks are held through step 2, so no export, unregistration or other
 * flush overlaps a flush callback. A lock that cannot be had by the deadline (an export stuck in a
 * third-party exporter) leaves its side unflushed (CENSUS_ETIMEDOUT); the other side still is.
 * at_exit: the flush at exit or on a signal, after which push exporters count what they still
 * hold as dropped (census_exporter_is_flushing_at_exit()). Returns census__status_merge() of all
 * parts: CENSUS_ETIMEDOUT if the deadline cut anything short, else CENSUS_ENOMEM, else
 * CENSUS_EEXPORT if an exporter failed, else CENSUS_OK. */
static census_status flush_until(int64_t deadline, bool at_exit) {
  census__flush_jobs flushes = {0};
  census_status status = census__collect_lock(deadline);
  bool stats_locked = status == CENSUS_OK;
  if (stats_locked) {
    status = census__export_locked(deadline, &flushes);
  }
  census_status spans = census__spans_lock(deadline);
  if (spans == CENSUS_OK) {
    status = census__status_merge(status, census__spans_export_locked(deadline, &flushes));
    /* At exit, spans the deadline kept from the exporters (a span exporter slow to take them)
     * will never go: counted, not left silently in the queue. */
    size_t left = at_exit ? census__spans_drop_queued_locked() : 0;
    if (left > 0) {
      census__diag(CENSUS_ETIMEDOUT,
                   "exit deadline reached before %zu ended spans were handed to the span "
                   "exporters; dropped (census/dropped_spans)",
                   left);
    }
  } else {
    status = census__status_merge(status, spans);
  }
  if (at_exit && !stats_locked) {
    census__diag(CENSUS_ETIMEDOUT, "exit deadline reached while an export held census's collection "
                                   "lock; what was recorded since the last export is not exported");
  }
  if (at_exit && spans != CENSUS_OK) {
    census__diag(CENSUS_ETIMEDOUT, "exit deadline reached while a span export held the span queue; "
                                   "the spans still queued are not exported");
  }
  status = census__status_merge(status, census__flush_run(&flushes, deadline, at_exit));
  census__flush_jobs_free(&flushes);
  if (spans == CENSUS_OK) {
    census__spans_unlock();
  }
  if (stats_locked) {
    pthread_mutex_unlock(&census__g.collect_mu);
  }
  return status;
}

CENSUS_EXPORT census_status census_flush(int64_t timeout_ms) {
  census_status status = census__ensure_started();
  if (status != CENSUS_OK) {
    return status;
  }
  return flush_until(census__deadline_after_ms(timeout_ms), false);
}

void census__flush_for_exit(void) {
  if (!census__is_shut_down()) {
    flush_until(census__deadline_after_ms(atomic_load(&census__g.exit_flush_timeout_ms)), true);
  }
}

/* Async-signal-safe: only write(2), via the worker's pipe. */
static void on_flush_signal(int signo) {
  int saved = errno;
  unsigned char byte = (unsigned char)signo;
  ssize_t ignored = write(census__g.wake_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

CENSUS_EXPORT census_status census_signal_flush_install(void) {
  census_status status = census__ensure_started();
  if (status != CENSUS_OK) {
    return status;
  }
  pthread_mutex_lock(&census__g.lifecycle_mu);
  if (!atomic_load(&signals_installed)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_flush_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof flush_signals / sizeof flush_signals[0]; i++) {
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
  pthread_mutex_unlock(&census__g.lifecycle_mu);
  return status;
}

static void restore_signal(int signo) {
  for (size_t i = 0; i < sizeof flush_signals / sizeof flush_signals[0]; i++) {
    if (flush_signals[i] == signo) {
      sigaction(signo, &previous[i], NULL);
    }
  }
}

void census__signal_uninstall(void) {
  if (atomic_exchange(&signals_installed, false)) {
    for (size_t i = 0; i < sizeof flush_signals / sizeof flush_signals[0]; i++) {
      restore_signal(flush_signals[i]);
    }
  }
}

void census__signal_deliver(int signo) {
  census__flush_for_exit();
  restore_signal(signo);
  kill(getpid(), signo); /* the previous disposition now takes effect */
}

void census__at_exit(void) {
  if (census__is_shut_down()) {
    return;
  }
  int64_t deadline = census__deadline_after_ms(atomic_load(&census__g.exit_flush_timeout_ms));
  flush_until(deadline, true);
  census__worker_stop(deadline);
}

CENSUS_EXPORT census_status census_shutdown(int64_t timeout_ms) {
  census_status status = census__ensure_started();
  if (status == CENSUS_ESHUTDOWN) {
    return CENSUS_OK;
  }
  int64_t deadline = census__deadline_after_ms(timeout_ms);
  pthread_mutex_lock(&census__g.lifecycle_mu);
  if (census__is_shut_down()) {
    pthread_mutex_unlock(&census__g.lifecycle_mu);
    return CENSUS_OK;
  }
  census__signal_uninstall();
  census__worker_stop(deadline);
  status = flush_until(deadline, false);
  census__spans_shutdown(deadline);
  census__exporters_shutdown(deadline);
  /* From here constructors refuse and recording finds no views. */
  atomic_store_explicit(&census__g.shut_down, true, memory_order_release);
  if (census__collect_lock(deadline) == CENSUS_OK) {
    pthread_mutex_lock(&census__g.registry_mu);
    census__views_reset_series(true);
    census__bound_reset_all();
    pthread_mutex_unlock(&census__g.registry_mu);
    pthread_mutex_lock(&census__g.threads_mu);
    pthread_key_delete(census__g.thread_key);
    census__collector_drop_threads();
    pthread_mutex_unlock(&census__g.threads_mu);
    pthread_mutex_unlock(&census__g.collect_mu);
  } else {
    status = CENSUS_ETIMEDOUT; /* data stay allocated: something is still exporting */
  }
  close(census__g.wake_pipe[0]);
  close(census__g.wake_pipe[1]);
  pthread_mutex_unlock(&census__g.lifecycle_mu);
  return status;
}
