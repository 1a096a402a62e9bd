/* ids.h - random trace and span ids from a fast per-thread generator (see ids.c for the
 * randomness argument the W3C random flag rests on).
 *
 * Inline: a span draws two or three 64-bit words, about a dozen instructions each; a call per id
 * and a reseed check per id cost as much again. span.c takes the generator once per span
 * (census__ids_generator(): the one check for a new thread or a fork) and draws from it. */
#ifndef CENSUS_TRACE_IDS_H
#define CENSUS_TRACE_IDS_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "core/thread_local.h"

/* One thread's xoshiro256** state; epoch is the seed epoch it was seeded in (0, a new thread's,
 * never matches: the epoch starts at 1 and a wrap past 0 takes 2^32 forks). */
struct census__id_generator {
  uint64_t s[4];
  unsigned epoch;
};

extern CENSUS__HOT_THREAD_LOCAL struct census__id_generator census__id_generator_tls
    __attribute__((visibility("hidden")));
extern atomic_uint census__ids_seed_epoch __attribute__((visibility("hidden")));

/* Seeds the generator (ids.c; cold: once per thread and after a fork). */
void census__ids_seed(struct census__id_generator *g);

/* The calling thread's generator, (re)seeded first if it is new or the process forked since. */
static inline struct census__id_generator *census__ids_generator(void) {
  struct census__id_generator *g = &census__id_generator_tls;
  if (__builtin_expect(
          g->epoch != atomic_load_explicit(&census__ids_seed_epoch, memory_order_relaxed), 0)) {
    census__ids_seed(g);
  }
  return g;
}

static inline uint64_t census__ids_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* One xoshiro256** step. */
static inline uint64_t census__ids_next(struct census__id_generator *g) {
  uint64_t *s = g->s;
  uint64_t result = census__ids_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = census__ids_rotl(s[3], 45);
  return result;
}

/* Fills a 16-byte trace id / 8-byte span id from g with random bytes, never all zero. Every byte
 * of a trace id is pseudo-random and uniform, which is what lets span.c set the W3C random-trace-id
 * flag on new root traces (see ids.c). */
static inline void census__trace_id_draw(struct census__id_generator *g, uint8_t id[16]) {
  uint64_t hi, lo;
  do {
    hi = census__ids_next(g);
    lo = census__ids_next(g);
  } while ((hi | lo) == 0);
  memcpy(id, &hi, 8);
  memcpy(id + 8, &lo, 8);
}

static inline void census__span_id_draw(struct census__id_generator *g, uint8_t id[8]) {
  uint64_t v;
  do {
    v = census__ids_next(g);
  } while (v == 0);
  memcpy(id, &v, 8);
}

/* The same from the calling thread's generator. */
static inline void census__trace_id_new(uint8_t id[16]) {
  census__trace_id_draw(census__ids_generator(), id);
}
static inline void census__span_id_new(uint8_t id[8]) {
  census__span_id_draw(census__ids_generator(), id);
}

/* Makes every thread reseed before its next id (called in a fork child, so that parent and child
 * never draw the same ids). */
void census__ids_reseed_all(void);

#endif
