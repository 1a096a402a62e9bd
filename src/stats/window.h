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

/* The phase and the barrier choice in one word, so that entering the window reads both with one
 * load: bit 0 the phase (which half of every cell recorders write; flipped per collection),
 * CENSUS__WINDOW_FENCE set unless membarrier() was registered at load (recorders then issue a full
 * fence themselves). Starts with the flag (safe); census__window_load() clears it once. The flag
 * is the sign bit, so that the common case (no flag) is the phase itself after one sign test. */
#define CENSUS__WINDOW_FENCE 0x80000000u

struct census__window_state {
  _Atomic unsigned word; /* phase | CENSUS__WINDOW_FENCE */
};

/* Hidden, so that code in the library addresses it directly (%rip-relative), not through the
 * GOT: one instruction less on every record path. */
extern __attribute__((visibility("hidden"))) struct census__window_state census__window;

/* How the owner moves its `seq` counter. Only the owner writes it (the collector reads it), so
 * the odd store of census__window_enter() and the even store of census__window_leave() are each
 * the counter plus one: on x86-64 a plain `add` to memory, one instruction where a load, an
 * increment and a store are three (enter) and two (leave, from the value enter saved). Its store
 * is an ordinary x86 store, single-copy atomic for an aligned 8-byte word (Intel SDM vol. 3,
 * 9.1.1) and ordered after the thread's earlier stores (TSO): what a release store promises. The
 * "memory" clobber keeps the compiler from moving the window's other accesses across it.
 * Sanitizer builds (and other compilers or targets) take the atomic form, so that TSan sees every
 * access (the same choice as cell.h's CENSUS__CELL_SSE_WORDS). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define CENSUS__WINDOW_SEQ_ADD 1
#else
#define CENSUS__WINDOW_SEQ_ADD 0
#endif

/* Enters the calling thread's window (its `seq` counter) and returns the phase: the half to
 * write. *saved receives what census__window_leave() needs (the counter's value; nothing with
 * CENSUS__WINDOW_SEQ_ADD).
 *
 * The phase is read after seq is stored odd: with membarrier the compiler barrier suffices (the
 * collector's membarrier pairs with it), so the one load of the word gives the flag and the phase.
 * With the flag, that load came before the fence and only says "fence": the phase is read again
 * after it. The phase load acquires, pairing with the flip's store: what the collector did to a
 * half before flipping to it (harvest, reset) happens before this thread writes it, which is what
 * lets the owner update words with plain adds (census__window_own_add()). Free on x86 (a plain
 * mov); one ldar on AArch64. */
static inline unsigned census__window_enter(_Atomic uint64_t *seq, uint64_t *saved) {
#if CENSUS__WINDOW_SEQ_ADD
  *saved = 0; /* unused: census__window_leave() adds one again */
  __asm__ __volatile__("addq $1, %0" : "+m"(*seq) : : "memory");
#else
  *saved = atomic_load_explicit(seq, memory_order_relaxed);
  atomic_store_explicit(seq, *saved + 1, memory_order_release);
#endif
  atomic_signal_fence(memory_order_seq_cst); /* the collector's membarrier pairs with this */
  unsigned word = atomic_load_explicit(&census__window.word, memory_order_acquire);
  if (__builtin_expect(word & CENSUS__WINDOW_FENCE, 0)) {
    atomic_thread_fence(memory_order_seq_cst);
    word = atomic_load_explicit(&census__window.word, memory_order_acquire) & 1;
  }
  return word;
}

/* Adds n to a cell word `w` of the calling thread's active half, inside its window, and returns
 * the sum: a plain (non-atomic) read-modify-write, one `add` to memory on x86, where relaxed
 * atomic loads and stores cost a load, an add and a store (compilers do not fuse atomics).
 *
 * Why no atomic is needed: the thread is the half's only writer, and every access of another
 * thread to it is ordered with this one by the window. The collector reads and resets a half
 * only after flipping away from it and seeing the writer leave every window entered before the
 * flip (census__window_wait_quiescent() acquires what census__window_leave() released), or
 * skips it; a writer that enters after a flip acquires the flip's store in
 * census__window_enter(), so the collector's last harvest and reset of that half happen before
 * its writes (with a relaxed phase load, TSan reports exactly that pair as a race:
 * test_bound_threads_with_concurrent_collection). Exited threads' and freed handles' cells are
 * read after their owner stopped, through a lock. The word stays an _Atomic uint64_t for those
 * readers: the plain access goes through the same 8 aligned bytes, and _Atomic uint64_t has
 * uint64_t's representation on every target census builds for. */
static inline uint64_t census__window_own_add(_Atomic uint64_t *w, uint64_t n) {
  return *(uint64_t *)w += n;
}

/* Leaves the window, publishing the writes made in it to the collector. */
static inline void census__window_leave(_Atomic uint64_t *seq, uint64_t saved) {
#if CENSUS__WINDOW_SEQ_ADD
  (void)saved;
  __asm__ __volatile__("addq $1, %0" : "+m"(*seq) : : "memory");
#else
  atomic_store_explicit(seq, saved + 2, memory_order_release);
#endif
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
