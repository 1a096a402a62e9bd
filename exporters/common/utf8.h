/* utf8.h - UTF-8 validation and escaping for every exporter that writes text (JSON bodies,
 * Prometheus and OpenMetrics text, Cloud Trace's truncated strings).
 *
 * Text that reaches an exporter comes from the application (tag values, span names, attribute
 * values, descriptions, constant labels) and may hold bytes that are not valid UTF-8. Backends
 * refuse such bodies as a whole, so every writer replaces each invalid byte by U+FFFD, and each
 * format escapes its own special characters. One validator and one table-driven escaper serve
 * them all: a format is a table of 128 replacement strings, one per ASCII byte (NULL: copied).
 *
 * Thread-safety: pure functions, thread-safe.
 */
#ifndef CENSUS_COMMON_UTF8_H
#define CENSUS_COMMON_UTF8_H

#include <stddef.h>

#include "buffer.h"

/* The length (1 to 4) of the valid UTF-8 sequence at s[0..len), or 0 when the bytes there are not
 * one: a stray continuation byte, an overlong form, a surrogate, a code point above U+10FFFF, or
 * a sequence cut by the end of the input. len must be at least 1. */
size_t census__utf8_sequence(const unsigned char *s, size_t len);

/* The length of the longest prefix of s[0..len) of at most `limit` bytes that does not end inside
 * a UTF-8 sequence (a multi-byte character is kept whole or not at all). */
size_t census__utf8_prefix(const char *s, size_t len, size_t limit);

/* An escaping rule: table[c] is what ASCII byte c (0 to 127) is written as, or NULL to copy it. */
typedef const char *const census_utf8_escapes[128];

/* Appends s[0..len) to `out`, each ASCII byte with an entry in `table` replaced by it, valid
 * multi-byte sequences copied, and each byte that is not part of a valid sequence replaced by
 * U+FFFD. Runs of bytes that need nothing are copied at once. */
void census__utf8_escape(census_buf *out, const char *s, size_t len, census_utf8_escapes table);

/* census__utf8_escape() of the NUL-terminated `s` (NULL: nothing), without measuring it first:
 * one pass, for the renderers' per-row values. */
void census__utf8_escape_str(census_buf *out, const char *s, census_utf8_escapes table);

/* JSON string contents (RFC 8259): '"' and '\' escaped, control characters as \n, \r, \t or
 * \u00XX. */
extern census_utf8_escapes census__utf8_json_escapes;

#endif
