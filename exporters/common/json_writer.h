/* json_writer.h - a streaming JSON writer for the exporters' fixed schemas (OTLP/JSON, Cloud
 * Monitoring, Cloud Trace, Zipkin).
 *
 * The writer tracks nesting and inserts commas itself, so encoders read like the schema. Strings
 * are escaped per RFC 8259; bytes that are not valid UTF-8 become U+FFFD, so a bad tag value
 * never makes a body a backend rejects as a whole. Doubles print with 17 significant digits
 * (round-trip exact); NaN and infinities, which JSON cannot carry as numbers, are written as the
 * proto3-JSON strings "NaN", "Infinity", "-Infinity". Thread-safety: one thread at a time.
 */
#ifndef CENSUS_COMMON_JSON_WRITER_H
#define CENSUS_COMMON_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

#define CENSUS_JSON_MAX_DEPTH 32

typedef struct census_json {
  census_buf *out; /* borrowed */
  unsigned depth;
  bool need_comma[CENSUS_JSON_MAX_DEPTH + 1]; /* per level: a value was already written */
  bool after_key;                             /* the next value follows a key: no comma */
} census_json;

/* Starts writing into `out` (appending to what it holds). */
void census__json_init(census_json *j, census_buf *out);

void census__json_object_begin(census_json *j);
void census__json_object_end(census_json *j);
void census__json_array_begin(census_json *j);
void census__json_array_end(census_json *j);
/* Writes `"key":`; the next call writes its value. */
void census__json_key(census_json *j, const char *key);

void census__json_string(census_json *j, const char *s);
void census__json_string_n(census_json *j, const char *s, size_t len);
void census__json_int64(census_json *j, int64_t v);          /* 42 */
void census__json_int64_string(census_json *j, int64_t v);   /* "42" (proto3 int64) */
void census__json_uint64_string(census_json *j, uint64_t v); /* "42" (proto3 fixed64) */
void census__json_double(census_json *j, double v);
void census__json_bool(census_json *j, bool v);
/* `text`, which must already be one JSON value (e.g. a number in census__span_format_double()'s
 * finite form), written as it is. */
void census__json_raw(census_json *j, const char *text);
void census__json_null(census_json *j);
/* Lowercase hex of `n` bytes as a string: trace and span ids. */
void census__json_hex(census_json *j, const uint8_t *bytes, size_t n);
/* RFC 3339 UTC timestamp with nanoseconds, "2026-11-24T19:04:57.123456789Z" (proto3 Timestamp). */
void census__json_timestamp(census_json *j, int64_t unix_ns);

/* Key-value shorthands: census__json_key() then the value. */
void census__json_kv_string(census_json *j, const char *key, const char *value);
void census__json_kv_int64(census_json *j, const char *key, int64_t value);
void census__json_kv_int64_string(census_json *j, const char *key, int64_t value);
void census__json_kv_double(census_json *j, const char *key, double value);
void census__json_kv_bool(census_json *j, const char *key, bool value);

#endif
