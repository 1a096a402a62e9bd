/* sampler.h - sampling decisions. */
#ifndef CENSUS_TRACE_SAMPLER_H
#define CENSUS_TRACE_SAMPLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "census/trace.h"

enum census__sampler_kind {
  SAMPLER_ALWAYS_ON,
  SAMPLER_ALWAYS_OFF,
  SAMPLER_RATIO,
  SAMPLER_PARENT_BASED,
};

struct census_sampler {
  enum census__sampler_kind kind;
  uint64_t ratio_bound; /* RATIO: sample when (low 8 bytes BE) >> 1 < bound */
  double ratio;
  struct census_sampler *root; /* PARENT_BASED: the sampler for root spans (owned) */
};

/* The decision for a span of `trace_id`; `parent` is NULL for a root span (sampler.c: every
 * case, recursively). */
bool census__sampler_decide_any(const census_sampler *sampler, const census_trace_context *parent,
                                const uint8_t trace_id[16]);

/* The same, inline for what a span start meets: always on or off, and parent-based (the default)
 * over one of those; anything else goes to census__sampler_decide_any(). */
static inline bool census__sampler_decide(const census_sampler *s,
                                          const census_trace_context *parent,
                                          const uint8_t trace_id[16]) {
  if (s->kind == SAMPLER_PARENT_BASED) {
    if (parent) {
      return (parent->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) != 0;
    }
    s = s->root;
  }
  if (s->kind == SAMPLER_ALWAYS_ON || s->kind == SAMPLER_ALWAYS_OFF) {
    return s->kind == SAMPLER_ALWAYS_ON;
  }
  return census__sampler_decide_any(s, parent, trace_id);
}

/* The ratio rule of census__sampler_decide_any(): the trace id's lower 8 bytes as a big-endian
 * integer, shifted right by one, below the bound. */
static inline bool census__sampler_ratio(const census_sampler *s, const uint8_t trace_id[16]) {
  uint64_t low;
  memcpy(&low, trace_id + 8, sizeof low);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  low = __builtin_bswap64(low);
#endif
  return (low >> 1) < s->ratio_bound;
}

/* The global sampler and the ones it replaced (kept: a span starting on another thread may still
 * be using one), newest first. */
struct census__global_sampler {
  census_sampler *sampler;
  struct census__global_sampler *replaced;
};
extern __attribute__((
    visibility("hidden"))) _Atomic(struct census__global_sampler *) census__sampler_globals;

/* The global sampler (never NULL). Inline: a call here was the one call left on an unsampled
 * span's start, and made the compiler save six registers for it. */
static inline const census_sampler *census__sampler_global(void) {
  return atomic_load_explicit(&census__sampler_globals, memory_order_acquire)->sampler;
}

#endif
