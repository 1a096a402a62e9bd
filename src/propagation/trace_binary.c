/* trace_binary.c - the OpenCensus binary trace context (gRPC metadata "grpc-trace-bin").
 *
 * Layout (opencensus-specs, encodings/BinaryEncoding.md): a version byte (0), then fields each made
 * of a one-byte field id and a fixed-size value, in increasing id order: 0 = trace id (16 bytes),
 * 1 = span id (8), 2 = trace options (1, bit 0 = sampled). A complete encoding is 29 bytes. Newer
 * writers may append fields; since every known field has a fixed size, the decoder reads the
 * known ones and stops at the first id it does not know. Every read is checked against the
 * remaining length before it happens. The OpenCensus spec defines only bit 0 of trace options
 * (sampled): the W3C random flag is not written (a peer might read an unknown bit in its own way)
 * and a decoded context never has it.
 */
#include <string.h>

#include "census/propagation.h"
#include "propagation/hex.h"

enum { FIELD_TRACE_ID = 0, FIELD_SPAN_ID = 1, FIELD_OPTIONS = 2 };

CENSUS_EXPORT census_status census_trace_binary_encode(const census_trace_context *context,
                                                       uint8_t out[CENSUS_TRACE_BINARY_SIZE]) {
  if (!out || !census__context_ok(context)) {
    return CENSUS_EINVAL;
  }
  out[0] = 0; /* version */
  out[1] = FIELD_TRACE_ID;
  memcpy(out + 2, context->trace_id, CENSUS_TRACE_ID_SIZE);
  out[18] = FIELD_SPAN_ID;
  memcpy(out + 19, context->span_id, CENSUS_SPAN_ID_SIZE);
  out[27] = FIELD_OPTIONS;
  out[28] = context->trace_flags & CENSUS_TRACE_FLAG_SAMPLED;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_trace_binary_decode(const uint8_t *buffer, size_t length,
                                                       census_trace_context *context) {
  if (!context) {
    return CENSUS_EINVAL;
  }
  census__context_reset(context);
  if (!buffer || length < 1 || buffer[0] != 0) {
    return CENSUS_EINVAL;
  }
  size_t pos = 1;
  if (length - pos < 1 + CENSUS_TRACE_ID_SIZE || buffer[pos] != FIELD_TRACE_ID) {
    return CENSUS_EINVAL;
  }
  memcpy(context->trace_id, buffer + pos + 1, CENSUS_TRACE_ID_SIZE);
  pos += 1 + CENSUS_TRACE_ID_SIZE;
  if (length - pos < 1 + CENSUS_SPAN_ID_SIZE || buffer[pos] != FIELD_SPAN_ID) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  memcpy(context->span_id, buffer + pos + 1, CENSUS_SPAN_ID_SIZE);
  pos += 1 + CENSUS_SPAN_ID_SIZE;
  uint8_t options = 0;
  if (pos < length && buffer[pos] == FIELD_OPTIONS) {
    if (length - pos < 2) {
      census__context_reset(context);
      return CENSUS_EINVAL;
    }
    options = buffer[pos + 1];
  }
  if (!census__context_ok(context)) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  context->trace_flags = options & CENSUS_TRACE_FLAG_SAMPLED;
  context->remote = true;
  return CENSUS_OK;
}
