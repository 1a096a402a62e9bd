/* zipkin_internal.h - the Zipkin exporter's encoder, separate from delivery so that unit tests
 * can encode spans they captured and check the result with an independent JSON parser.
 */
#ifndef CENSUS_ZIPKIN_INTERNAL_H
#define CENSUS_ZIPKIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/status.h"

/* The localEndpoint written into every span. Strings borrowed; NULL (or port 0) omits a field. */
typedef struct census_zipkin_endpoint {
  const char *service_name;
  const char *ipv4;
  const char *ipv6;
  uint16_t port;
} census_zipkin_endpoint;

/* Appends spans[0..count) to `out` as one Zipkin v2 JSON array (ListOfSpans). Returns CENSUS_OK
 * or CENSUS_ENOMEM (the buffer's contents are then incomplete). Thread-safe (no shared state). */
census_status census__zipkin_encode(const census_span_data *const *spans, size_t count,
                                    const census_zipkin_endpoint *local, census_buf *out);

#endif
