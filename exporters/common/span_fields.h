/* span_fields.h - census span fields spelled the way the JSON span encoders (Zipkin, Cloud Trace)
 * both write them: span kinds as upper-case names and doubles carried as strings.
 *
 * Thread-safety: pure functions, thread-safe.
 */
#ifndef CENSUS_COMMON_SPAN_FIELDS_H
#define CENSUS_COMMON_SPAN_FIELDS_H

#include "census/trace.h"

/* "INTERNAL", "SERVER", "CLIENT", "PRODUCER" or "CONSUMER" (a static string); NULL for a value
 * that is not a census_span_kind, so that each encoder chooses how to spell that case. */
const char *census__span_kind_name(census_span_kind kind);

/* Formats a double the shortest way that reads back exactly (%.15g, else %.17g); "NaN",
 * "Infinity", "-Infinity" for the non-finite values. buf must hold 32 bytes. */
void census__span_format_double(double v, char buf[32]);

#endif
