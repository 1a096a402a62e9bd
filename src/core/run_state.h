/* run_state.h - whether census_shutdown() has run: the one piece of lifecycle state every module
 * reads. Only the lifecycle (lifecycle.c) sets it; it never goes back. */
#ifndef CENSUS_CORE_RUN_STATE_H
#define CENSUS_CORE_RUN_STATE_H

#include <stdatomic.h>
#include <stdbool.h>

extern _Atomic bool census__shut_down;

/* True once census_shutdown() has begun tearing down (after its final flush). */
static inline bool census__is_shut_down(void) {
  return atomic_load_explicit(&census__shut_down, memory_order_acquire);
}

/* Marks census shut down, for good (lifecycle.c). */
void census__run_state_shut_down(void);

#endif
