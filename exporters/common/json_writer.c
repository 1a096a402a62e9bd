/* json_writer.c - the streaming JSON writer (see json_writer.h).
 *
 * Each nesting level remembers whether it already holds a value; a value written at a level that
 * does, gets a comma first, unless it follows its key. Deeper nesting than CENSUS_JSON_MAX_DEPTH
 * marks the buffer failed rather than writing JSON that would not parse.
 */
#include "json_writer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"

void census__json_init(census_json *j, census_buf *out) {
  memset(j, 0, sizeof *j);
  j->out = out;
}

/* Writes the separator a new value at the current level needs. */
static void value_begin(census_json *j) {
  if (j->after_key) {
    j->after_key = false;
  } else if (j->need_comma[j->depth]) {
    census__buf_append_byte(j->out, ',');
  }
  j->need_comma[j->depth] = true;
}

static void open(census_json *j, char c) {
  value_begin(j);
  if (j->depth >= CENSUS_JSON_MAX_DEPTH) {
    j->out->failed = true;
    return;
  }
  census__buf_append_byte(j->out, (uint8_t)c);
  j->need_comma[++j->depth] = false;
}

static void close(census_json *j, char c) {
  if (j->depth > 0) {
    j->depth--;
  }
  census__buf_append_byte(j->out, (uint8_t)c);
}

void census__json_object_begin(census_json *j) { open(j, '{'); }
void census__json_object_end(census_json *j) { close(j, '}'); }
void census__json_array_begin(census_json *j) { open(j, '['); }
void census__json_array_end(census_json *j) { close(j, ']'); }

static void escaped(census_buf *out, const char *s, size_t len) {
  census__buf_reserve(out, len + 2);
  census__buf_append_byte(out, '"');
  census__utf8_escape(out, s, len, census__utf8_json_escapes);
  census__buf_append_byte(out, '"');
}

void census__json_key(census_json *j, const char *key) {
  value_begin(j);
  escaped(j->out, key, strlen(key));
  census__buf_append_byte(j->out, ':');
  j->after_key = true;
}

void census__json_string_n(census_json *j, const char *s, size_t len) {
  value_begin(j);
  escaped(j->out, s ? s : "", s ? len : 0);
}

void census__json_string(census_json *j, const char *s) {
  census__json_string_n(j, s, s ? strlen(s) : 0);
}

void census__json_int64(census_json *j, int64_t v) {
  value_begin(j);
  census__buf_printf(j->out, "%lld", (long long)v);
}

void census__json_int64_string(census_json *j, int64_t v) {
  value_begin(j);
  census__buf_printf(j->out, "\"%lld\"", (long long)v);
}

void census__json_uint64_string(census_json *j, uint64_t v) {
  value_begin(j);
  census__buf_printf(j->out, "\"%llu\"", (unsigned long long)v);
}

void census__json_double(census_json *j, double v) {
  value_begin(j);
  if (isnan(v)) {
    census__buf_append_str(j->out, "\"NaN\"");
  } else if (isinf(v)) {
    census__buf_append_str(j->out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (v == (double)(int64_t)v && fabs(v) < 1e15) {
    census__buf_printf(j->out, "%lld", (long long)v); /* integral values read naturally */
  } else {
    census__buf_printf(j->out, "%.17g", v);
  }
}

void census__json_raw(census_json *j, const char *text) {
  value_begin(j);
  census__buf_append_str(j->out, text);
}

void census__json_bool(census_json *j, bool v) {
  value_begin(j);
  census__buf_append_str(j->out, v ? "true" : "false");
}

void census__json_null(census_json *j) {
  value_begin(j);
  census__buf_append_str(j->out, "null");
}

void census__json_hex(census_json *j, const uint8_t *bytes, size_t n) {
  value_begin(j);
  census__buf_append_byte(j->out, '"');
  census__buf_append_hex(j->out, bytes, n);
  census__buf_append_byte(j->out, '"');
}

void census__json_timestamp(census_json *j, int64_t unix_ns) {
  int64_t seconds = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds -= 1;
  }
  time_t t = (time_t)seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  value_begin(j);
  census__buf_printf(j->out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ\"", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)nanos);
}

void census__json_kv_string(census_json *j, const char *key, const char *value) {
  census__json_key(j, key);
  census__json_string(j, value);
}

void census__json_kv_int64(census_json *j, const char *key, int64_t value) {
  census__json_key(j, key);
  census__json_int64(j, value);
}

void census__json_kv_int64_string(census_json *j, const char *key, int64_t value) {
  census__json_key(j, key);
  census__json_int64_string(j, value);
}

void census__json_kv_double(census_json *j, const char *key, double value) {
  census__json_key(j, key);
  census__json_double(j, value);
}

void census__json_kv_bool(census_json *j, const char *key, bool value) {
  census__json_key(j, key);
  census__json_bool(j, value);
}
