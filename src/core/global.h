/* global.h - census's start-up and the state of its export worker and lifecycle (transitional:
 * every other module keeps its own state). The lock order is in core/lock.h. */
#ifndef CENSUS_CORE_GLOBAL_H
#define CENSUS_CORE_GLOBAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/census.h"
#include "core/lock.h"
#include "core/run_state.h"

struct census__global {
  census__mutex lifecycle_mu;

  _Atomic int64_t export_interval_ms;
  _Atomic int64_t exit_flush_timeout_ms;

  /* The export worker (export/worker.c). */
  pthread_t worker;
  bool worker_running;
  _Atomic bool worker_stop;
};

extern struct census__global census__g;

/* Starts the library once (idempotent, thread-safe): locks, self-metrics, the export worker, the
 * exit and fork handlers. Returns CENSUS_OK, or CENSUS_ESHUTDOWN after census_shutdown(). */
census_status census__ensure_started(void);

#endif
