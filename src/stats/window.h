/* window.h - the record window: how recorders and the collector agree, without a lock, on which
 * half of every cell recorders write (the protocol is explained in collector.c).
 *
 * A recorder enters its window (stores its seq odd, then reads the phase: the half to write),
 * writes, and leaves (stores seq even, with release). The collector flips the phase, makes the
 * flip visible to every running thread (membarrier, or a fence each recorder issues itself),
 * then waits until each thread has left any window entered before the flip. This file owns the
 * phase and that choice of barrier; the collector owns when to flip.
 */
#ifndef CENSUS_STATS_WINDOW_H
#define CENSUS_STATS_WINDOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct census__window_state {
  _Atomic unsigned phase; /* which half of every cell recorders write; flipped per collection */
  /* True unless membarrier() was registered at load: recorders then issue a full fence
   * themselves. Starts true (safe), set once by census__window_load(). */
  bool recorders_fence;
};

extern struct census__window_state census__window;

/* Enters the calling thread's window (its `seq` counter) and returns the phase: the half to
 * write. *saved receives the counter's value for census__window_leave(). */
static inline unsigned census__window_enter(_Atomic uint64_t *seq, uint64_t *saved) {
  *saved = atomic_load_explicit(seq, memory_order_relaxed);
  atomic_store_explicit(seq, *saved + 1, memory_order_release);
  /* Hinted: membarrier() is registered on every kernel since 4.14, so the fence is the rare case;
   * the hint keeps the common one in line in every record path's layout. */
  if (__builtin_expect(census__window.recorders_fence, 0)) {
    atomic_thread_fence(memory_order_seq_cst);
  } else {
    atomic_signal_fence(memory_order_seq_cst); /* the collector's membarrier pairs with this */
  }
  return atomic_load_explicit(&census__window.phase, memory_order_relaxed);
}

/* Leaves the window, publishing the writes made in it to the collector. */
static inline void census__window_leave(_Atomic uint64_t *seq, uint64_t saved) {
  atomic_store_explicit(seq, saved + 2, memory_order_release);
}

/* At load (lifecycle.c): registers for membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), so that
 * recorders need no fence; without it they keep fencing. */
void census__window_load(void);

/* Collector side (caller holds COLLECT). Flips the phase and makes the flip visible to every
 * running thread; returns the old phase, the half to harvest. */
unsigned census__window_flip(void);

/* Undoes a flip whose collection could not go on (out of memory). */
void census__window_unflip(unsigned old_phase);

/* Waits until the thread whose counter is `seq` is outside any window entered before the flip:
 * true, or false when it stayed inside longer than 200 ms (stopped in a debugger, say; its old
 * half keeps its data for a later collection). */
bool census__window_wait_quiescent(_Atomic uint64_t *seq);

#endif
