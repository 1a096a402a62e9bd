/* propagation_carrier.h - a tiny header carrier for the propagation tests: up to 16 headers,
 * names matched without regard to case (as census_header_get_fn requires), values copied. */
#ifndef CENSUS_TEST_PROPAGATION_CARRIER_H
#define CENSUS_TEST_PROPAGATION_CARRIER_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/propagation.h"
#include "propagation/hex.h"

#define TEST_CARRIER_MAX 16

struct test_carrier {
  char *names[TEST_CARRIER_MAX];
  char *values[TEST_CARRIER_MAX];
  size_t count;
  size_t gets; /* number of get calls, to prove what was read */
  size_t sets;
};

static inline const char *test_carrier_get(void *carrier, const char *name) {
  struct test_carrier *c = carrier;
  c->gets++;
  for (size_t i = 0; i < c->count; i++) {
    if (strcasecmp(c->names[i], name) == 0) {
      return c->values[i];
    }
  }
  return NULL;
}

static inline void test_carrier_set(void *carrier, const char *name, const char *value) {
  struct test_carrier *c = carrier;
  c->sets++;
  for (size_t i = 0; i < c->count; i++) {
    if (strcasecmp(c->names[i], name) == 0) {
      free(c->values[i]);
      c->values[i] = strdup(value);
      return;
    }
  }
  if (c->count < TEST_CARRIER_MAX) {
    c->names[c->count] = strdup(name);
    c->values[c->count] = strdup(value);
    c->count++;
  }
}

static inline void test_carrier_clear(struct test_carrier *c) {
  for (size_t i = 0; i < c->count; i++) {
    free(c->names[i]);
    free(c->values[i]);
  }
  memset(c, 0, sizeof *c);
}

/* A context with the W3C example ids 4bf92f3577b34da6a3ce929d0e0e4736 / 00f067aa0ba902b7. */
static inline census_trace_context test_example_context(uint8_t flags) {
  static const uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                       0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  static const uint8_t span_id[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  census_trace_context context;
  memset(&context, 0, sizeof context);
  memcpy(context.trace_id, trace_id, 16);
  memcpy(context.span_id, span_id, 8);
  context.trace_flags = flags;
  return context;
}

#endif
