/* cloud_trace.c - Google Cloud Trace propagation: X-Cloud-Trace-Context.
 *
 * The value is "TRACE_ID/SPAN_ID;o=OPTIONS": TRACE_ID is 32 hex characters, SPAN_ID is the span id
 * as an unsigned 64-bit DECIMAL number (the 8 id bytes read big-endian), and OPTIONS is a decimal
 * bit mask whose bit 0 means "trace this request"; ";o=OPTIONS" may be absent (not sampled). The
 * parser accumulates digits with an explicit overflow check, so a 21-digit or out-of-range span id
 * is refused instead of wrapping. No allocation. Only bit 0 of OPTIONS has a meaning Google
 * documents (sampled), so a context read from this header never has the W3C random flag, and
 * writing one drops it. Spaces and tabs around the value are ignored.
 */
#include <string.h>

#include "census/propagation.h"
#include "propagation/hex.h"

#define CLOUD_TRACE_ID 32
#define CLOUD_MAX_DIGITS 20 /* UINT64_MAX = 18446744073709551615 */

/* Parses decimal digits s[*pos..) up to `length` into *out. At least one digit, at most
 * max_digits, and the value must not exceed `limit`. Advances *pos past the digits. */
static bool parse_decimal(const char *s, size_t length, size_t *pos, size_t max_digits,
                          uint64_t limit, uint64_t *out) {
  uint64_t value = 0;
  size_t start = *pos, i = *pos;
  for (; i < length && s[i] >= '0' && s[i] <= '9'; i++) {
    uint64_t digit = (uint64_t)(s[i] - '0');
    if (i - start >= max_digits || value > (limit - digit) / 10) {
      return false;
    }
    value = value * 10 + digit;
  }
  if (i == start) {
    return false;
  }
  *pos = i;
  *out = value;
  return true;
}

CENSUS_EXPORT census_status census_cloud_trace_parse(const char *value, size_t length,
                                                     census_trace_context *context) {
  if (!context) {
    return CENSUS_EINVAL;
  }
  census__context_reset(context);
  if (value) {
    census__trim_ows(&value, &length);
  }
  if (!value || length < CLOUD_TRACE_ID + 2 || value[CLOUD_TRACE_ID] != '/' ||
      !census__hex_decode(true, value, CENSUS_TRACE_ID_SIZE, context->trace_id)) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  size_t pos = CLOUD_TRACE_ID + 1;
  uint64_t span = 0, options = 0;
  bool ok = parse_decimal(value, length, &pos, CLOUD_MAX_DIGITS, UINT64_MAX, &span);
  if (ok && pos < length) {
    pos += 3;
    ok = pos <= length && memcmp(value + pos - 3, ";o=", 3) == 0 &&
         parse_decimal(value, length, &pos, CLOUD_MAX_DIGITS, UINT64_MAX, &options) &&
         pos == length;
  }
  if (!ok) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  for (size_t i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    context->span_id[i] = (uint8_t)(span >> (8 * (CENSUS_SPAN_ID_SIZE - 1 - i)));
  }
  if (!census__context_ok(context)) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  context->trace_flags = (options & 1) ? CENSUS_TRACE_FLAG_SAMPLED : 0;
  context->remote = true;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_cloud_trace_format(const census_trace_context *context,
                                                      char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1]) {
  if (!census__format_begin(context, out)) {
    return CENSUS_EINVAL;
  }
  census__hex_encode(context->trace_id, CENSUS_TRACE_ID_SIZE, out);
  size_t n = CLOUD_TRACE_ID;
  out[n++] = '/';
  uint64_t span = 0;
  for (size_t i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    span = span << 8 | context->span_id[i];
  }
  char digits[CLOUD_MAX_DIGITS];
  size_t count = 0;
  do {
    digits[count++] = (char)('0' + span % 10);
    span /= 10;
  } while (span);
  while (count) {
    out[n++] = digits[--count];
  }
  memcpy(out + n, ";o=", 3);
  n += 3;
  out[n++] = (context->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) ? '1' : '0';
  out[n] = '\0';
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_cloud_trace_inject(const census_trace_context *context,
                                                      census_header_set_fn set, void *carrier) {
  char header[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1];
  if (!set || census_cloud_trace_format(context, header) != CENSUS_OK) {
    return CENSUS_EINVAL;
  }
  set(carrier, "x-cloud-trace-context", header);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_cloud_trace_extract(census_header_get_fn get, void *carrier,
                                                       census_trace_context *context) {
  census_status status;
  const char *value =
      census__extract_header(get, carrier, "x-cloud-trace-context", context, &status);
  return value ? census_cloud_trace_parse(value, strlen(value), context) : status;
}
