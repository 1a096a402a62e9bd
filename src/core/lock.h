/* lock.h - census's mutexes: the one place that lists the order in which they nest, and the
 * debug-build check that every thread takes them in that order.
 *
 * Every mutex of the core is a census__mutex with a rank. A thread may take a mutex only while
 * every mutex it already holds has a lower rank: the enum below lists them outer first. The one
 * exception is CENSUS__LOCK_SERIES, of which a thread may hold several (the fork handler takes
 * every view's series table, in registration order). Each module owns its mutexes (the file named
 * beside each rank) and never takes another module's directly; a module's function that takes
 * its own lock says so, and callers that hold a lock call only functions whose locks rank higher.
 *
 * Long holds: LIFECYCLE, COLLECT and SPAN_EXPORT are held across exporter callbacks (an export,
 * a flush), and START across the worker's start and stop, so the fork handler never takes them (a
 * fork does not wait for an export): the fork child re-creates them instead, as it does each
 * bound measure's BOUND. Every other lock is held briefly, and the fork handler
 * (src/lifecycle/lifecycle.c) takes all of them, in this order, so the child never inherits one
 * held mid-update.
 * Recording threads take none except on a thread's first record (THREADS), its first record into
 * a series or any record into an overflowing view (SERIES, after BOUND on a bound measure's first
 * record or after a view was registered).
 *
 * Checking. Built with CENSUS_LOCK_ORDER_CHECK (every Debug build: the ASan+UBSan suite of
 * `make test` runs with it), each thread counts the census mutexes it holds per rank, and taking
 * one whose rank is not above every rank held (SERIES excepted: above or equal) prints both
 * locks' names to stderr and aborts: an inversion is caught the first time its path runs, in one
 * thread, without needing the other thread that would deadlock with it. tests/unit/test_lock.c
 * shows it catching one. Release builds compile the wrappers to the bare pthread calls.
 */
#ifndef CENSUS_CORE_LOCK_H
#define CENSUS_CORE_LOCK_H

#include <pthread.h>
#include <stdint.h>

#include "census/status.h"

/* The lock order, outer first (see the file comment). */
enum census__lock_rank {
  CENSUS__LOCK_LIFECYCLE,       /* lifecycle.c: census_shutdown(), signal install: one at a time */
  CENSUS__LOCK_START,           /* lifecycle.c: starting (and stopping) the export worker */
  CENSUS__LOCK_COLLECT,         /* collector.c: one collection (and stats export) at a time */
  CENSUS__LOCK_SPAN_EXPORT,     /* span_queue.c: one span export at a time; inside COLLECT */
  CENSUS__LOCK_STATS_EXPORTERS, /* exporter_registry.c: the stats exporter list */
  CENSUS__LOCK_INSTRUMENTS,     /* instrument.c: the instrument registry; held while it makes an
                                   instrument's measure and view */
  CENSUS__LOCK_BOUND_LIST,      /* bound.c: the list of bound measures */
  CENSUS__LOCK_VIEWS,           /* view.c: the registered views; measures' view lists change */
  CENSUS__LOCK_BOUND,           /* bound.c: one bound measure's generations and blocks */
  CENSUS__LOCK_SERIES,          /* series.c: one view's series table (rview->mu) */
  CENSUS__LOCK_MEASURES,        /* measure.c: the measure registry */
  CENSUS__LOCK_TAG_KEYS,        /* tag_key.c: the interned tag keys */
  CENSUS__LOCK_THREADS,         /* recorder.c: the recording threads and their ids */
  CENSUS__LOCK_SHM,             /* shm.c: this process's shared-memory file; shm_read.c's log */
  CENSUS__LOCK_SPAN_EXPORTERS,  /* span_queue.c: the span exporter list */
  CENSUS__LOCK_SPAN_OPTIONS,    /* span_queue.c: the batch span processor's options */
  CENSUS__LOCK_SPAN_RINGS,      /* span_queue.c: the list of per-thread span rings */
  CENSUS__LOCK_SPAN_POOL,       /* span_pool.c: the global list of free span records */
  CENSUS__LOCK_SPAN_OBSERVERS,  /* span_observer.c: registering and unregistering observers */
  CENSUS__LOCK_EXPORTER_STATUS, /* exporter_status.c: the exporter status registry */
  CENSUS__LOCK_RANKS
};

typedef struct census__mutex {
  pthread_mutex_t mu;
  enum census__lock_rank rank;
} census__mutex;

#define CENSUS__MUTEX_INIT(r)                                                                      \
  { PTHREAD_MUTEX_INITIALIZER, (r) }

/* (Re-)initialises a mutex, unlocked (run-time creation, and the fork child's re-creation of a
 * mutex a vanished thread may have held). */
void census__mutex_init(census__mutex *m, enum census__lock_rank rank);

#ifdef CENSUS_LOCK_ORDER_CHECK
/* The checker (lock.c): before taking a lock of `rank` (aborts on an inversion), and after taking
 * or releasing one. */
void census__lock_order_check(enum census__lock_rank rank);
void census__lock_order_count(enum census__lock_rank rank, int delta);
#else
static inline void census__lock_order_check(enum census__lock_rank rank) { (void)rank; }
static inline void census__lock_order_count(enum census__lock_rank rank, int delta) {
  (void)rank;
  (void)delta;
}
#endif

static inline void census__mutex_lock(census__mutex *m) {
  census__lock_order_check(m->rank);
  pthread_mutex_lock(&m->mu);
  census__lock_order_count(m->rank, 1);
}

static inline void census__mutex_unlock(census__mutex *m) {
  census__lock_order_count(m->rank, -1);
  pthread_mutex_unlock(&m->mu);
}

/* Locks `m` by a monotonic deadline (INT64_MAX: wait as long as it takes): CENSUS_OK, or
 * CENSUS_ETIMEDOUT with the mutex not taken. */
census_status census__mutex_lock_until(census__mutex *m, int64_t deadline_ns);

#endif
