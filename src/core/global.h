/* global.h - all of census's process-wide state, in one struct (census__g).
 *
 * Locks, in the order they may nest (outer first):
 *   lifecycle_mu  flush/shutdown/unregister, so that only one runs at a time
 *   collect_mu    one collection + export at a time; guards series totals and exporter calls
 *   span export_mu  (trace/span_queue.c) one span export at a time; a flush holds it inside
 *                 collect_mu while every exporter's flush callback runs (export/flush.c)
 *   exporters_mu  the exporter list (short holds)
 *   registry_mu   tag keys, measures, registered views (short holds)
 *   view->mu      one view's series table (see stats/view.h)
 *   threads_mu    the list of recording-thread states (short holds)
 * Recording threads take none of these except on a first-seen series (view->mu) and their first
 * record (threads_mu). fork() handlers take registry_mu, every view->mu and threads_mu around the
 * fork so the child never inherits one locked; collect_mu is re-created in the child.
 */
#ifndef CENSUS_CORE_GLOBAL_H
#define CENSUS_CORE_GLOBAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/census.h"

struct census_measure;
struct census__rview;
struct census__thread_state;
struct census__exporter;
struct census_tag_key;
struct census_bound_measure;

/* Recording threads get a small id, reused after the thread is gone, which indexes the per-thread
 * cells of bound measures. Threads beyond this many at once record bound measures through the
 * unbound path instead (correct, a little slower). */
#define CENSUS__MAX_TIDS 1024

struct census__global {
  pthread_mutex_t lifecycle_mu;
  pthread_mutex_t collect_mu;
  pthread_mutex_t exporters_mu;
  pthread_mutex_t registry_mu;
  pthread_mutex_t threads_mu;

  /* registry_mu */
  struct census_tag_key **tag_keys;
  size_t tag_key_count, tag_key_cap;
  struct census_measure *measures; /* singly linked, newest first */
  struct census__rview **views;
  size_t view_count, view_cap;

  /* threads_mu */
  struct census__thread_state *threads;
  pthread_key_t thread_key; /* its destructor marks a state dead when its thread exits */
  uint64_t tids_used[CENSUS__MAX_TIDS / 64];

  /* registry_mu (list links); removal also needs collect_mu */
  struct census_bound_measure *bound_measures;

  /* Which half of every cell recorders write; flipped by each collection. */
  _Atomic unsigned phase;
  /* True when membarrier() is unavailable: recorders then issue a full fence themselves. */
  bool recorders_fence;

  /* exporters_mu */
  struct census__exporter *exporters;

  _Atomic int64_t export_interval_ms;
  _Atomic int64_t exit_flush_timeout_ms;
  _Atomic bool shut_down;

  /* The export worker (export/worker.c). */
  pthread_t worker;
  bool worker_running;
  int wake_pipe[2]; /* read end: worker; write end: wake-ups and signal numbers */
  _Atomic bool worker_stop;
};

extern struct census__global census__g;

/* Starts the library once (idempotent, thread-safe): locks, self-metrics, the export worker, the
 * exit and fork handlers. Returns CENSUS_OK, or CENSUS_ESHUTDOWN after census_shutdown(). */
census_status census__ensure_started(void);

static inline bool census__is_shut_down(void) {
  return atomic_load_explicit(&census__g.shut_down, memory_order_acquire);
}

#endif
