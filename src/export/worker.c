/* worker.c - the export worker thread.
 *
 * It sleeps in poll() on the read end of census__g.wake_pipe until the next export is due or a
 * byte arrives. Bytes are commands: WAKE (re-read the interval or the stop flag) or a signal
 * number passed on by the SIGTERM/SIGINT handler, which may do nothing but write(2). Exports run
 * under collect_mu, so they never overlap census_flush() or another export.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/global.h"
#include "export/export.h"
#include "trace/span_internal.h"

#define WAKE_BYTE 0x77  /* above every signal number */
#define SPANS_BYTE 0x78 /* a full batch of spans is waiting */

static void export_now(void) {
  int64_t interval = atomic_load(&census__g.export_interval_ms);
  int64_t deadline = census__deadline_after_ms(interval);
  if (census__collect_lock(deadline) == CENSUS_OK) {
    census__export_locked(deadline, NULL);
    pthread_mutex_unlock(&census__g.collect_mu);
  }
}

static void export_spans_now(void) {
  census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  census_trace_export_options(&o);
  census__spans_export_all(census__deadline_after_ms(o.export_timeout_ms), false);
}

/* Sleeps until the next stats export or span export is due, or a byte arrives. */
static void *worker_main(void *arg) {
  (void)arg;
  int64_t last_stats = census__monotonic_ns(), last_spans = last_stats;
  while (!atomic_load(&census__g.worker_stop)) {
    int64_t stats_due = last_stats + atomic_load(&census__g.export_interval_ms) * 1000000;
    int64_t spans_due = last_spans + census__span_schedule_delay_ms() * 1000000;
    int64_t due = stats_due < spans_due ? stats_due : spans_due;
    struct pollfd pfd = {census__g.wake_pipe[0], POLLIN, 0};
    int ready = poll(&pfd, 1, census__ms_until(due));
    if (ready > 0) {
      unsigned char bytes[64];
      ssize_t n = read(census__g.wake_pipe[0], bytes, sizeof bytes);
      bool spans = false;
      for (ssize_t i = 0; i < n; i++) {
        if (bytes[i] == SPANS_BYTE) {
          spans = true;
        } else if (bytes[i] != WAKE_BYTE) {
          census__signal_deliver(bytes[i]);
        }
      }
      if (spans) {
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
      export_now();
      last_stats = census__monotonic_ns();
    }
  }
  return NULL;
}

census_status census__worker_start(void) {
  atomic_store(&census__g.worker_stop, false);
  sigset_t all, old;
  sigfillset(&all);
  /* The worker must never run the application's signal handlers: start it with all blocked. */
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&census__g.worker, NULL, worker_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  census__g.worker_running = rc == 0;
  return rc == 0 ? CENSUS_OK : CENSUS_ESYSTEM;
}

static void worker_send(unsigned char byte) {
  int saved = errno;
  ssize_t ignored = write(census__g.wake_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

void census__worker_wake(void) { worker_send(WAKE_BYTE); }

void census__worker_wake_spans(void) { worker_send(SPANS_BYTE); }

void census__worker_stop(int64_t deadline_ns) {
  if (!census__g.worker_running) {
    return;
  }
  atomic_store(&census__g.worker_stop, true);
  census__worker_wake();
  if (pthread_equal(pthread_self(), census__g.worker)) {
    pthread_detach(census__g.worker); /* exit() called from an exporter: it ends with us */
  } else if (deadline_ns == INT64_MAX) {
    pthread_join(census__g.worker, NULL);
  } else {
    struct timespec abs;
    int64_t unix_deadline = census__unix_ns() + (deadline_ns - census__monotonic_ns());
    abs.tv_sec = unix_deadline / 1000000000;
    abs.tv_nsec = unix_deadline % 1000000000;
    if (pthread_timedjoin_np(census__g.worker, NULL, &abs) != 0) {
      pthread_detach(census__g.worker); /* stuck in an exporter: leave it, bounded shutdown */
    }
  }
  census__g.worker_running = false;
}
