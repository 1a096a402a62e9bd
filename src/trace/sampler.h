/* sampler.h - sampling decisions. */
#ifndef CENSUS_TRACE_SAMPLER_H
#define CENSUS_TRACE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

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

/* The global sampler (never NULL once tracing started). */
const census_sampler *census__sampler_global(void);

#endif
