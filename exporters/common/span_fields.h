/* span_fields.h - census span fields spelled the way the JSON span encoders (Zipkin, Cloud Trace)
 * both write them: span kinds as upper-case names and doubles carried as strings.
 *
 * Thread-safety: pure functions, thread-safe.
 */
#ifndef CENSUS_COMMON_SPAN_FIELDS_H
#define CENSUS_COMMON_SPAN_FIELDS_H

#include <stdbool.h>

#include "buffer.h"
#include "json_writer.h"
#include "census/trace.h"

/* "INTERNAL", "SERVER", "CLIENT", "PRODUCER" or "CONSUMER" (a static string); NULL for a value
 * that is not a census_span_kind, so that each encoder chooses how to spell that case. */
const char *census__span_kind_name(census_span_kind kind);

/* Formats a double the shortest way that reads back exactly (%.15g, else %.17g); "NaN",
 * "Infinity", "-Infinity" for the non-finite values. buf must hold 32 bytes. */
void census__span_format_double(double v, char buf[32]);

/* True for the array types of census_attribute (CENSUS_ATTRIBUTE_*_ARRAY). */
bool census__attribute_is_array(const census_attribute *a);

/* Appends an array attribute's value to `out` as JSON text, the form OpenTelemetry's mapping to
 * non-OTLP formats gives an array (a string holding a JSON array): ["a","b"], [1,2], [1.5,2],
 * [true,false], [] when empty. Strings are escaped per RFC 8259 (invalid UTF-8 becomes U+FFFD);
 * doubles use census__span_format_double() (NaN and infinities as the JSON strings "NaN",
 * "Infinity", "-Infinity"); int64 as decimal numbers. Appends nothing for a non-array type.
 * Allocation failure is recorded in `out` (buffer.h). */
void census__attribute_array_json(census_buf *out, const census_attribute *a);

/* The same array as one value of a JSON document being written with `j` (after a key, or as an
 * array's element). */
void census__attribute_array_write(census_json *j, const census_attribute *a);

#endif
