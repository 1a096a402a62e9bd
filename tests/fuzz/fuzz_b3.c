/* fuzz_b3.c - libFuzzer target for B3, single and multi header.
 *
 * The whole input is parsed as a single b3 value (explicit length). Then it is split at '\n'
 * into up to six header values (b3, x-b3-traceid, x-b3-spanid, x-b3-parentspanid, x-b3-sampled,
 * x-b3-flags; NUL-terminated copies, as a carrier would hand them over) and extracted through a
 * getter. Invariants: OK means a valid context that formats and re-parses to itself, with no
 * flag but sampled (B3 cannot carry the W3C random flag); any other result leaves the context
 * invalid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/propagation.h"
#include "fuzz_common.h"

static const char *const names[] = {
    "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"};
#define NAMES (sizeof names / sizeof names[0])

struct headers {
  char *values[NAMES];
};

static const char *get(void *carrier, const char *name) {
  struct headers *h = carrier;
  for (size_t i = 0; i < NAMES; i++) {
    if (strcmp(names[i], name) == 0) {
      return h->values[i];
    }
  }
  return NULL;
}

static bool valid(const census_trace_context *c) {
  uint8_t t = 0, s = 0;
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    t |= c->trace_id[i];
  }
  for (int i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    s |= c->span_id[i];
  }
  return t && s;
}

static void check(census_status status, const census_trace_context *ctx) {
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL || status == CENSUS_ENOTFOUND);
  FUZZ_CHECK(valid(ctx) == (status == CENSUS_OK));
  FUZZ_CHECK((ctx->trace_flags & ~CENSUS_TRACE_FLAG_SAMPLED) == 0); /* B3 has no random flag */
  if (status == CENSUS_OK) {
    char out[CENSUS_B3_MAX_LENGTH + 1];
    FUZZ_CHECK(census_b3_format(ctx, out) == CENSUS_OK);
    census_trace_context again;
    FUZZ_CHECK(census_b3_parse(out, strlen(out), &again, NULL) == CENSUS_OK);
    FUZZ_CHECK(memcmp(&again.trace_id, ctx->trace_id, CENSUS_TRACE_ID_SIZE) == 0);
    FUZZ_CHECK(memcmp(&again.span_id, ctx->span_id, CENSUS_SPAN_ID_SIZE) == 0);
    FUZZ_CHECK(again.trace_flags == ctx->trace_flags);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_trace_context ctx;
  census_b3_sampling sampling;
  check(census_b3_parse((const char *)data, size, &ctx, &sampling), &ctx);
  FUZZ_CHECK(sampling >= CENSUS_B3_SAMPLING_UNSET && sampling <= CENSUS_B3_SAMPLING_DEBUG);

  struct headers h = {{NULL}};
  size_t start = 0;
  for (size_t i = 0; i < NAMES && start <= size; i++) {
    const uint8_t *nl = memchr(data + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - data) : size;
    if (end > start || nl) {
      h.values[i] = malloc(end - start + 1);
      memcpy(h.values[i], data + start, end - start);
      h.values[i][end - start] = '\0';
      /* An empty line leaves the header absent, so absence is explored too. */
      if (end == start) {
        free(h.values[i]);
        h.values[i] = NULL;
      }
    }
    start = end + 1;
  }
  check(census_b3_extract(get, &h, &ctx, &sampling), &ctx);
  for (size_t i = 0; i < NAMES; i++) {
    free(h.values[i]);
  }
  return 0;
}
