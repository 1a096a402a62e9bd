/* worker.c - the export worker thread, and the export interval it keeps.
 *
 * It sleeps in poll() on the doorbell (core/wake.h) until the next export is due or a byte
 * arrives. Bytes are commands: CONFIG (re-read the interval or the stop flag), SPANS (a full
 * batch of spans waits) or a signal number passed on by the SIGTERM/SIGINT handler, which may do
 * nothing but write(2); the worker hands that to the lifecycle's callback. Stats exports run under
 * COLLECT, so they never overlap census_flush() or another export.
 *
 * The worker exists only once something needs it: the lifecycle starts it for the first exporter
 * registration or signal-flush installation (lifecycle.c). The interval is configuration, kept
 * here whether or not the worker runs: OTEL_METRIC_EXPORT_INTERVAL is read the first time it is
 * needed (not at load: a program may set it before its first call).
 */
#include "export/worker.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "census/census.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/run_state.h"
#include "core/wake.h"
#include "export/exporter_registry.h"
#include "trace/span_queue.h"

static _Atomic int64_t interval_ms = CENSUS_DEFAULT_EXPORT_INTERVAL_MS;
static pthread_once_t interval_once = PTHREAD_ONCE_INIT;

/* The thread; written by start, stop and the fork child, which the lifecycle serialises. */
static pthread_t worker;
static bool running;
static _Atomic bool stop_requested;
static void (*signal_callback)(int signo);

/* Reads OTEL_METRIC_EXPORT_INTERVAL (milliseconds); a malformed value is reported once and the
 * default kept. */
static void interval_from_environment(void) {
  int64_t ms = atomic_load(&interval_ms);
  if (census__env_positive("OTEL_METRIC_EXPORT_INTERVAL", INT64_MAX / 1000000, "milliseconds",
                           &ms)) {
    atomic_store(&interval_ms, ms);
  }
}

static int64_t interval(void) {
  pthread_once(&interval_once, interval_from_environment);
  return atomic_load(&interval_ms);
}

CENSUS_EXPORT census_status census_export_set_interval_ms(int64_t ms) {
  if (ms < 1) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  pthread_once(&interval_once, interval_from_environment); /* so it never overrides this value */
  atomic_store(&interval_ms, ms);
  census__wake_ring(CENSUS__WAKE_CONFIG);
  return CENSUS_OK;
}

CENSUS_EXPORT int64_t census_export_interval_ms(void) { return interval(); }

static void export_spans_now(void) {
  census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  census_trace_export_options(&o);
  census__spans_export_all(census__deadline_after_ms(o.export_timeout_ms), false);
}

/* Reads the doorbell's bytes; hands signal numbers to the lifecycle; true when a full batch of
 * spans waits. */
static bool read_doorbell(int fd) {
  unsigned char bytes[64];
  ssize_t n = read(fd, bytes, sizeof bytes);
  bool spans = false;
  for (ssize_t i = 0; i < n; i++) {
    if (bytes[i] == CENSUS__WAKE_SPANS) {
      spans = true;
    } else if (bytes[i] != CENSUS__WAKE_CONFIG && signal_callback) {
      signal_callback(bytes[i]);
    }
  }
  return spans;
}

/* Sleeps until the next stats export or span export is due, or a byte arrives. */
static void *worker_main(void *arg) {
  (void)arg;
  int64_t last_stats = census__monotonic_ns(), last_spans = last_stats;
  while (!atomic_load(&stop_requested)) {
    int64_t stats_due = last_stats + interval() * 1000000;
    int64_t spans_due = last_spans + census__span_schedule_delay_ms() * 1000000;
    int64_t due = stats_due < spans_due ? stats_due : spans_due;
    struct pollfd pfd = {census__wake_fd(), POLLIN, 0};
    if (poll(&pfd, 1, census__ms_until(due)) > 0) {
      if (read_doorbell(pfd.fd)) {
        export_spans_now();
        last_spans = census__monotonic_ns();
      }
      continue; /* re-evaluate the stop flag and the due times */
    }
    int64_t now = census__monotonic_ns();
    if (now >= spans_due) {
      export_spans_now();
      last_spans = census__monotonic_ns();
    }
    if (now >= stats_due) {
      census__export_stats(census__deadline_after_ms(interval()));
      last_stats = census__monotonic_ns();
    }
  }
  return NULL;
}

census_status census__worker_start(void (*on_signal)(int signo)) {
  signal_callback = on_signal;
  atomic_store(&stop_requested, false);
  sigset_t all, old;
  sigfillset(&all);
  /* The worker must never run the application's signal handlers: start it with all blocked. */
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&worker, NULL, worker_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  running = rc == 0;
  return rc == 0 ? CENSUS_OK : CENSUS_ESYSTEM;
}

void census__worker_stop(int64_t deadline_ns) {
  if (!running) {
    return;
  }
  atomic_store(&stop_requested, true);
  census__wake_ring(CENSUS__WAKE_CONFIG);
  if (pthread_equal(pthread_self(), worker)) {
    pthread_detach(worker); /* exit() called from an exporter: it ends with us */
  } else if (deadline_ns == INT64_MAX) {
    pthread_join(worker, NULL);
  } else {
    struct timespec abs;
    int64_t unix_deadline = census__unix_ns() + (deadline_ns - census__monotonic_ns());
    abs.tv_sec = unix_deadline / 1000000000;
    abs.tv_nsec = unix_deadline % 1000000000;
    if (pthread_timedjoin_np(worker, NULL, &abs) != 0) {
      pthread_detach(worker); /* stuck in an exporter: leave it, bounded shutdown */
    }
  }
  running = false;
}

void census__worker_fork_child(void) {
  if (running) {
    running = false; /* the parent's thread is not in the child */
    if (census__wake_open() == CENSUS_OK) {
      census__worker_start(signal_callback);
    }
  }
}
