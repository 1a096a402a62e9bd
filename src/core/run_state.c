/* run_state.c - see run_state.h. */
#include "core/run_state.h"

_Atomic bool census__shut_down;

void census__run_state_shut_down(void) {
  atomic_store_explicit(&census__shut_down, true, memory_order_release);
}
