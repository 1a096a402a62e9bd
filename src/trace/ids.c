/* ids.c - trace and span ids.
 *
 * Each thread runs its own xoshiro256** generator (no shared state, no lock; the steps are inline
 * in ids.h, the seeding is here), seeded from the
 * kernel's getrandom(). A fork child would otherwise continue its parent's sequence and draw the
 * same ids, so a process-wide epoch, bumped in the child, makes each thread reseed on its next id.
 * Ids are never all zero (W3C: all-zero ids are invalid).
 *
 * The W3C random-trace-id flag (Level 2, 3.2.2.5.2) that span.c sets on every root trace rests
 * on this file: it promises that at least the right-most 7 bytes of the trace id (id[9..15]) are
 * pseudo-random with uniform distribution over [0, 2^56). They are: id[8..15] are the bytes of
 * one xoshiro256** output, whose 64 bits are all equidistributed (the generator is
 * 4-dimensionally equidistributed over 64-bit words), and nothing here sets, clears, sorts or
 * timestamps any byte. The only rejection is of the all-zero 128-bit id (probability 2^-128),
 * which does not measurably bias the low bytes. Anyone changing this file (a time-ordered id, a
 * caller-supplied generator) must keep id[9..15] random or stop span.c setting the flag.
 */
#include "trace/ids.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

CENSUS__HOT_THREAD_LOCAL struct census__id_generator census__id_generator_tls;
atomic_uint census__ids_seed_epoch = 1;

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Seeds from getrandom(); if the kernel refuses (seccomp, very old kernels), from the clock, pid
 * and the generator's address, mixed by splitmix64: unpredictable enough for ids, which are not
 * secrets. */
__attribute__((cold, noinline)) void census__ids_seed(struct census__id_generator *g) {
  if (getrandom(g->s, sizeof g->s, GRND_NONBLOCK) != (ssize_t)sizeof g->s) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16) ^
                 (uint64_t)(uintptr_t)g;
    for (int i = 0; i < 4; i++) {
      g->s[i] = splitmix(&x);
    }
  }
  if ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0) {
    g->s[0] = 1;
  }
  g->epoch = atomic_load_explicit(&census__ids_seed_epoch, memory_order_relaxed);
}

void census__ids_reseed_all(void) {
  atomic_fetch_add_explicit(&census__ids_seed_epoch, 1, memory_order_relaxed);
}
