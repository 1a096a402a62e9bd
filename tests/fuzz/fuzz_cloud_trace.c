/* fuzz_cloud_trace.c - libFuzzer target for X-Cloud-Trace-Context.
 *
 * Invariants: OK means a valid context; it formats to at most CENSUS_CLOUD_TRACE_MAX_LENGTH
 * characters and re-parses to the same ids and sampled flag; failure leaves the context invalid;
 * a context read from this header never has a flag other than sampled (no W3C random flag).
 */
#include <stdint.h>
#include <string.h>

#include "census/propagation.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_trace_context ctx;
  census_status status = census_cloud_trace_parse((const char *)data, size, &ctx);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
  char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1];
  census_status formatted = census_cloud_trace_format(&ctx, out);
  FUZZ_CHECK((formatted == CENSUS_OK) == (status == CENSUS_OK));
  if (status == CENSUS_OK) {
    FUZZ_CHECK((ctx.trace_flags & ~CENSUS_TRACE_FLAG_SAMPLED) == 0);
    FUZZ_CHECK(strlen(out) <= CENSUS_CLOUD_TRACE_MAX_LENGTH);
    census_trace_context again;
    FUZZ_CHECK(census_cloud_trace_parse(out, strlen(out), &again) == CENSUS_OK);
    FUZZ_CHECK(memcmp(again.trace_id, ctx.trace_id, CENSUS_TRACE_ID_SIZE) == 0);
    FUZZ_CHECK(memcmp(again.span_id, ctx.span_id, CENSUS_SPAN_ID_SIZE) == 0);
    FUZZ_CHECK(again.trace_flags == ctx.trace_flags);
  }
  return 0;
}
