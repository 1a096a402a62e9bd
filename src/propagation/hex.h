/* hex.h - the small helpers every propagation format shares: hex digits, id checks, and the
 * reset of a context to the invalid state.
 *
 * Decoding goes through a 256-entry table so that a hostile byte (NUL, 0xff, upper case where
 * only lower case is allowed) costs one load and one compare, with no locale involved.
 */
#ifndef CENSUS_PROPAGATION_HEX_H
#define CENSUS_PROPAGATION_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/propagation.h"
#include "census/trace_context.h"

/* Lowercase hex digits '0'..'9', 'a'..'f' map to 0..15; every other byte maps to 0xff. */
extern const uint8_t census__hex_lower[256];
/* Same, and 'A'..'F' map to 10..15 too. */
extern const uint8_t census__hex_any[256];
/* "0123456789abcdef". */
extern const char census__hex_digits[16];

/* Decodes 2 * n hex characters at `text` into n bytes at `out` using `table` (one of the two
 * above). Returns false, with `out` partly written, at the first character that is not a digit. */
static inline bool census__hex_decode(const uint8_t *table, const char *text, size_t n,
                                      uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    uint8_t hi = table[(unsigned char)text[2 * i]];
    uint8_t lo = table[(unsigned char)text[2 * i + 1]];
    if ((hi | lo) & 0xf0) {
      return false;
    }
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

/* Narrows value[0..*length) to exclude spaces and tabs at both ends (RFC 9110 OWS, which is not
 * part of a field value): *value moves forward, *length shrinks. */
static inline void census__trim_ows(const char **value, size_t *length) {
  const char *v = *value;
  size_t n = *length;
  while (n && (v[0] == ' ' || v[0] == '\t')) {
    v++;
    n--;
  }
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
    n--;
  }
  *value = v;
  *length = n;
}

/* Writes n bytes as 2 * n lowercase hex characters (no NUL). */
static inline void census__hex_encode(const uint8_t *bytes, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = census__hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = census__hex_digits[bytes[i] & 0x0f];
  }
}

/* True if any of the n bytes is not zero. */
static inline bool census__bytes_nonzero(const uint8_t *bytes, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; i++) {
    any |= bytes[i];
  }
  return any != 0;
}

/* True if the context is non-NULL and neither id is all zeros. Local to the module so that it does
 * not depend on the trace module's census_trace_context_is_valid(). */
static inline bool census__context_ok(const census_trace_context *context) {
  return context && census__bytes_nonzero(context->trace_id, CENSUS_TRACE_ID_SIZE) &&
         census__bytes_nonzero(context->span_id, CENSUS_SPAN_ID_SIZE);
}

/* Makes the context invalid: zero ids and flags, not remote, empty tracestate. Touches only the
 * first tracestate byte, so the hot path does not clear 513 bytes. */
static inline void census__context_reset(census_trace_context *context) {
  for (size_t i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    context->trace_id[i] = 0;
  }
  for (size_t i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    context->span_id[i] = 0;
  }
  context->trace_flags = 0;
  context->remote = false;
  context->tracestate[0] = '\0';
}

/* The common start of a text-format formatter: true if `out` and the context can be used; else
 * `out` (if any) is made empty and the formatter returns CENSUS_EINVAL. */
static inline bool census__format_begin(const census_trace_context *context, char *out) {
  bool ok = out && census__context_ok(context);
  if (out && !ok) {
    out[0] = '\0';
  }
  return ok;
}

/* The common start of a text-format extract: resets the context and reads header `name`.
 * Returns the value, or NULL with *status = CENSUS_EINVAL (NULL context or getter) or
 * CENSUS_ENOTFOUND (no such header). */
static inline const char *census__extract_header(census_header_get_fn get, void *carrier,
                                                 const char *name, census_trace_context *context,
                                                 census_status *status) {
  if (!context) {
    *status = CENSUS_EINVAL;
    return NULL;
  }
  census__context_reset(context);
  const char *value = get ? get(carrier, name) : NULL;
  *status = !get ? CENSUS_EINVAL : value ? CENSUS_OK : CENSUS_ENOTFOUND;
  return value;
}

#endif
