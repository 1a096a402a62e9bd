/* fuzz_traceparent.c - libFuzzer target for the W3C Trace Context parsers.
 *
 * The input is split at its first '\n': the part before is parsed as traceparent, the part after
 * as tracestate, both with explicit lengths (so NULs and bytes past a NUL are seen). Invariants:
 * a parse either succeeds with a valid context or fails with an invalid one; what parses formats
 * and re-parses to the same context; a canonical tracestate is a fixed point of the parser and
 * fits its buffer.
 */
#include <stdint.h>
#include <string.h>

#include "census/propagation.h"
#include "fuzz_common.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *newline = memchr(text, '\n', size);
  size_t tp_length = newline ? (size_t)(newline - text) : size;

  census_trace_context ctx;
  census_status status = census_traceparent_parse(text, tp_length, &ctx);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
  FUZZ_CHECK(valid(&ctx) == (status == CENSUS_OK));
  if (status == CENSUS_OK) {
    char out[CENSUS_TRACEPARENT_LENGTH + 1];
    FUZZ_CHECK(census_traceparent_format(&ctx, out) == CENSUS_OK);
    FUZZ_CHECK(strlen(out) == CENSUS_TRACEPARENT_LENGTH);
    census_trace_context again;
    FUZZ_CHECK(census_traceparent_parse(out, strlen(out), &again) == CENSUS_OK);
    FUZZ_CHECK(memcmp(again.trace_id, ctx.trace_id, CENSUS_TRACE_ID_SIZE) == 0);
    FUZZ_CHECK(memcmp(again.span_id, ctx.span_id, CENSUS_SPAN_ID_SIZE) == 0);
    FUZZ_CHECK(again.trace_flags == ctx.trace_flags);
  }

  if (newline) {
    const char *ts = newline + 1;
    size_t ts_length = size - tp_length - 1;
    char canonical[CENSUS_TRACESTATE_MAX_LENGTH + 1];
    status = census_tracestate_parse(ts, ts_length, canonical);
    FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
    size_t n = strlen(canonical);
    FUZZ_CHECK(n <= CENSUS_TRACESTATE_MAX_LENGTH);
    if (status == CENSUS_OK) {
      char again[CENSUS_TRACESTATE_MAX_LENGTH + 1];
      FUZZ_CHECK(census_tracestate_parse(canonical, n, again) == CENSUS_OK);
      FUZZ_CHECK(strcmp(again, canonical) == 0);
    } else {
      FUZZ_CHECK(n == 0);
    }
  }
  return 0;
}
