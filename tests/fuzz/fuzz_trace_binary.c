/* fuzz_trace_binary.c - libFuzzer target for the OpenCensus binary trace context.
 *
 * Invariants: OK means a valid context; it encodes to 29 bytes that decode to the same context;
 * failure leaves the context invalid (encode refuses it).
 */
#include <stdint.h>
#include <string.h>

#include "census/propagation.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_trace_context ctx;
  census_status status = census_trace_binary_decode(data, size, &ctx);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
  uint8_t out[CENSUS_TRACE_BINARY_SIZE];
  census_status encoded = census_trace_binary_encode(&ctx, out);
  FUZZ_CHECK((encoded == CENSUS_OK) == (status == CENSUS_OK));
  if (status == CENSUS_OK) {
    census_trace_context again;
    FUZZ_CHECK(census_trace_binary_decode(out, sizeof out, &again) == CENSUS_OK);
    FUZZ_CHECK(memcmp(again.trace_id, ctx.trace_id, CENSUS_TRACE_ID_SIZE) == 0);
    FUZZ_CHECK(memcmp(again.span_id, ctx.span_id, CENSUS_SPAN_ID_SIZE) == 0);
    FUZZ_CHECK(again.trace_flags == ctx.trace_flags);
    FUZZ_CHECK(size >= 27 && memcmp(out, data, 27) == 0);
  }
  return 0;
}
