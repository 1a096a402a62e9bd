/* sampler.c - the samplers of OpenTelemetry's SDK: always on, always off, trace-id ratio and
 * parent-based.
 *
 * The ratio rule is the one OpenTelemetry SDKs share (Go, Java): take the trace id's lower 8
 * bytes as a big-endian integer, shift right by one, and sample if it is below ratio * 2^63. It
 * depends only on the trace id, so every process (and every SDK using the rule) decides alike.
 *
 * The global sampler is an immutable object swapped atomically; replaced ones are kept (a span
 * starting on another thread may still be using one), in a list so they stay reachable.
 */
#include "trace/sampler.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "census/census.h"
#include "core/run_state.h"
#include "core/alloc.h"

static census_sampler *sampler_new(enum census__sampler_kind kind) {
  census_sampler *s = census__calloc(1, sizeof *s);
  if (s) {
    s->kind = kind;
  }
  return s;
}

CENSUS_EXPORT census_sampler *census_sampler_always_on(void) {
  return sampler_new(SAMPLER_ALWAYS_ON);
}

CENSUS_EXPORT census_sampler *census_sampler_always_off(void) {
  return sampler_new(SAMPLER_ALWAYS_OFF);
}

CENSUS_EXPORT census_sampler *census_sampler_trace_id_ratio(double ratio, census_status *status) {
  if (!(ratio >= 0.0 && ratio <= 1.0)) {
    if (status) {
      *status = CENSUS_EINVAL;
    }
    return NULL;
  }
  census_sampler *s = sampler_new(SAMPLER_RATIO);
  if (s) {
    s->ratio = ratio;
    /* ratio 1 must sample every id: the shifted value is at most 2^63 - 1 < 2^63. */
    s->ratio_bound = ratio >= 1.0 ? (UINT64_C(1) << 63) : (uint64_t)(ratio * 0x1p63);
  }
  if (status) {
    *status = s ? CENSUS_OK : CENSUS_ENOMEM;
  }
  return s;
}

static census_sampler *sampler_copy(const census_sampler *src) {
  census_sampler *s = sampler_new(src->kind);
  if (!s) {
    return NULL;
  }
  *s = *src;
  s->root = NULL;
  if (src->root && !(s->root = sampler_copy(src->root))) {
    census__free(s);
    return NULL;
  }
  return s;
}

CENSUS_EXPORT census_sampler *census_sampler_parent_based(const census_sampler *root) {
  census_sampler *s = sampler_new(SAMPLER_PARENT_BASED);
  if (!s) {
    return NULL;
  }
  s->root = root ? sampler_copy(root) : sampler_new(SAMPLER_ALWAYS_ON);
  if (!s->root) {
    census__free(s);
    return NULL;
  }
  return s;
}

CENSUS_EXPORT void census_sampler_free(census_sampler *sampler) {
  if (sampler) {
    census_sampler_free(sampler->root);
    census__free(sampler);
  }
}

bool census__sampler_decide_any(const census_sampler *s, const census_trace_context *parent,
                                const uint8_t trace_id[16]) {
  switch (s->kind) {
  case SAMPLER_ALWAYS_ON:
    return true;
  case SAMPLER_ALWAYS_OFF:
    return false;
  case SAMPLER_RATIO: {
    uint64_t low = 0;
    for (int i = 8; i < 16; i++) {
      low = (low << 8) | trace_id[i];
    }
    return (low >> 1) < s->ratio_bound;
  }
  case SAMPLER_PARENT_BASED:
    if (parent) {
      return (parent->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) != 0;
    }
    return census__sampler_decide_any(s->root, NULL, trace_id);
  }
  return false;
}

static struct census_sampler default_root = {SAMPLER_ALWAYS_ON, 0, 0, NULL};
static struct census_sampler default_sampler = {SAMPLER_PARENT_BASED, 0, 0, &default_root};
static struct census__global_sampler default_global = {&default_sampler, NULL};
_Atomic(struct census__global_sampler *) census__sampler_globals = &default_global;

CENSUS_EXPORT census_status census_trace_set_sampler(const census_sampler *sampler) {
  if (!sampler) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  struct census__global_sampler *g = census__malloc(sizeof *g);
  census_sampler *copy = sampler_copy(sampler);
  if (!g || !copy) {
    census__free(g);
    census_sampler_free(copy);
    return CENSUS_ENOMEM;
  }
  g->sampler = copy;
  g->replaced = atomic_exchange_explicit(&census__sampler_globals, g, memory_order_acq_rel);
  return CENSUS_OK;
}
