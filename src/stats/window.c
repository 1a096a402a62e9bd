/* window.c - the collector's side of the record window (see window.h and collector.c). */
#include "stats/window.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"

#define QUIESCE_WAIT_NS (200 * 1000000LL)

struct census__window_state census__window = {.word = CENSUS__WINDOW_FENCE};

void census__window_load(void) {
  long registered = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
  if (registered == 0) {
    atomic_fetch_and_explicit(&census__window.word, ~CENSUS__WINDOW_FENCE, memory_order_seq_cst);
  }
}

unsigned census__window_flip(void) {
  unsigned word = atomic_fetch_xor_explicit(&census__window.word, 1, memory_order_seq_cst);
  unsigned old = word & 1;
  if (word & CENSUS__WINDOW_FENCE) {
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the recorders' own fence */
  } else {
    /* Registered at load, so this cannot fail with EPERM; the fence keeps the compiler from
     * moving the phase store past it. */
    atomic_thread_fence(memory_order_seq_cst);
    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  }
  return old;
}

void census__window_unflip(unsigned old_phase) {
  unsigned word = atomic_load_explicit(&census__window.word, memory_order_relaxed);
  atomic_store_explicit(&census__window.word, (word & ~1u) | old_phase, memory_order_seq_cst);
}

bool census__window_wait_quiescent(_Atomic uint64_t *seq) {
  uint64_t seen = atomic_load_explicit(seq, memory_order_acquire);
  if ((seen & 1) == 0) {
    return true;
  }
  int64_t deadline = census__monotonic_ns() + QUIESCE_WAIT_NS;
  for (unsigned spins = 0;; spins++) {
    if (atomic_load_explicit(seq, memory_order_acquire) != seen) {
      return true;
    }
    if (spins > 64) {
      if (census__monotonic_ns() > deadline) {
        return false;
      }
      sched_yield();
    }
  }
}
