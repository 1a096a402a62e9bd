/* lock.c - the lock-order checker of debug builds, and the mutex helpers (see lock.h).
 *
 * The checker keeps, per thread, how many census mutexes of each rank the thread holds. Taking a
 * mutex checks that no rank above it is held, nor its own rank (SERIES excepted); a violation is
 * a bug in census, so it is reported on stderr (not through the diagnostics callback, which user
 * code may have replaced with one that takes locks of its own) and the process aborts, which the
 * sanitizer test runs turn into a failed test with a stack trace.
 */
#include "core/lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

void census__mutex_init(census__mutex *m, enum census__lock_rank rank) {
  pthread_mutex_init(&m->mu, NULL);
  m->rank = rank;
}

census_status census__mutex_lock_until(census__mutex *m, int64_t deadline_ns) {
  census__lock_order_check(m->rank);
  if (deadline_ns == INT64_MAX) {
    pthread_mutex_lock(&m->mu);
    census__lock_order_count(m->rank, 1);
    return CENSUS_OK;
  }
  /* pthread_mutex_timedlock takes Unix time. pthread_mutex_clocklock would take the monotonic
   * deadline directly, but sanitizer runtimes do not intercept it, which breaks TSan runs. */
  int64_t unix_deadline = census__unix_ns() + (deadline_ns - census__monotonic_ns());
  struct timespec abs = {unix_deadline / 1000000000, unix_deadline % 1000000000};
  if (pthread_mutex_timedlock(&m->mu, &abs) != 0) {
    return CENSUS_ETIMEDOUT;
  }
  census__lock_order_count(m->rank, 1);
  return CENSUS_OK;
}

#ifdef CENSUS_LOCK_ORDER_CHECK

static const char *const rank_names[CENSUS__LOCK_RANKS] = {
    [CENSUS__LOCK_START] = "START (lifecycle.c)",
    [CENSUS__LOCK_LIFECYCLE] = "LIFECYCLE (lifecycle.c)",
    [CENSUS__LOCK_COLLECT] = "COLLECT (collector.c)",
    [CENSUS__LOCK_SPAN_EXPORT] = "SPAN_EXPORT (span_queue.c)",
    [CENSUS__LOCK_STATS_EXPORTERS] = "STATS_EXPORTERS (exporter_registry.c)",
    [CENSUS__LOCK_INSTRUMENTS] = "INSTRUMENTS (instrument.c)",
    [CENSUS__LOCK_SPAN_EXPORTERS] = "SPAN_EXPORTERS (span_queue.c)",
    [CENSUS__LOCK_BOUND_LIST] = "BOUND_LIST (bound.c)",
    [CENSUS__LOCK_VIEWS] = "VIEWS (view.c)",
    [CENSUS__LOCK_BOUND] = "BOUND (bound.c)",
    [CENSUS__LOCK_SERIES] = "SERIES (series.c)",
    [CENSUS__LOCK_MEASURES] = "MEASURES (measure.c)",
    [CENSUS__LOCK_TAG_KEYS] = "TAG_KEYS (tag_key.c)",
    [CENSUS__LOCK_THREADS] = "THREADS (recorder.c)",
    [CENSUS__LOCK_SHM] = "SHM (shm.c, shm_read.c)",
    [CENSUS__LOCK_SPAN_OPTIONS] = "SPAN_OPTIONS (span_queue.c)",
    [CENSUS__LOCK_SPAN_RINGS] = "SPAN_RINGS (span_queue.c)",
    [CENSUS__LOCK_SPAN_POOL] = "SPAN_POOL (span_pool.c)",
    [CENSUS__LOCK_SPAN_OBSERVERS] = "SPAN_OBSERVERS (span_observer.c)",
    [CENSUS__LOCK_EXPORTER_STATUS] = "EXPORTER_STATUS (exporter_status.c)",
};

static _Thread_local unsigned held[CENSUS__LOCK_RANKS];

__attribute__((noreturn)) static void inversion(enum census__lock_rank taking,
                                                enum census__lock_rank holding) {
  char line[320];
  int n = snprintf(line, sizeof line,
                   "census: lock order violated: taking %s while holding %s (the order is in "
                   "src/core/lock.h)\n",
                   rank_names[taking], rank_names[holding]);
  if (n > 0) {
    ssize_t ignored =
        write(STDERR_FILENO, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
  abort();
}

void census__lock_order_check(enum census__lock_rank rank) {
  for (int r = CENSUS__LOCK_RANKS - 1; r > (int)rank; r--) {
    if (held[r]) {
      inversion(rank, (enum census__lock_rank)r);
    }
  }
  if (held[rank] && rank != CENSUS__LOCK_SERIES) {
    inversion(rank, rank);
  }
}

void census__lock_order_count(enum census__lock_rank rank, int delta) {
  held[rank] += (unsigned)delta;
}

#endif
