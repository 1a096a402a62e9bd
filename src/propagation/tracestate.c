/* tracestate.c - W3C Trace Context: validation and canonical form of the tracestate header.
 *
 * One pass splits the value at ',' into at most 32 members, trims spaces and tabs around each,
 * skips empty ones and checks key and value against the grammar of W3C Trace Context Level 1
 * (section 3.3.1). Members are recorded as (offset, length) pairs into the caller's string, so
 * nothing is copied until the canonical form is written. A second pass checks for duplicate keys
 * (32 members: a quadratic scan is cheaper than anything cleverer), and a third writes the
 * members joined by ",", dropping members if the result would exceed CENSUS_TRACESTATE_MAX_LENGTH.
 * Any rule broken discards the whole header: a half-kept tracestate would forward other vendors'
 * entries with pieces silently missing.
 */
#include <string.h>

#include "census/propagation.h"

/* W3C: "Vendors SHOULD propagate at least 512 characters... if truncating, remove members longer
 * than 128 characters first". */
#define TRACESTATE_LONG_MEMBER 128

struct member {
  size_t start, length, key_length;
};

static bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_keychar(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

/* True if key[0..n) is a simple key (lcalpha then up to 255 keychars) or a multi-tenant key
 * (tenant: lcalpha or digit then up to 240 keychars; '@'; system: lcalpha then up to 13). */
static bool key_is_valid(const char *key, size_t n) {
  const char *at = memchr(key, '@', n);
  if (!at) {
    if (n < 1 || n > 256 || !is_lcalpha(key[0])) {
      return false;
    }
    for (size_t i = 1; i < n; i++) {
      if (!is_keychar(key[i])) {
        return false;
      }
    }
    return true;
  }
  size_t tenant = (size_t)(at - key), system = n - tenant - 1;
  if (tenant < 1 || tenant > 241 || system < 1 || system > 14) {
    return false;
  }
  if (!is_lcalpha(key[0]) && !is_digit(key[0])) {
    return false;
  }
  for (size_t i = 1; i < tenant; i++) {
    if (!is_keychar(key[i])) {
      return false;
    }
  }
  if (!is_lcalpha(at[1])) {
    return false;
  }
  for (size_t i = 2; i <= system; i++) {
    if (!is_keychar(at[i])) {
      return false; /* includes a second '@' */
    }
  }
  return true;
}

/* True if value[0..n) is 1..256 characters of 0x20..0x7e except ',' and '=', not ending in ' '. */
static bool value_is_valid(const char *value, size_t n) {
  if (n < 1 || n > 256 || value[n - 1] == ' ') {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)value[i];
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
      return false;
    }
  }
  return true;
}

/* Length of `kept` members totalling `chars` characters once joined by ','. */
static size_t joined_length(size_t kept, size_t chars) { return kept ? chars + kept - 1 : 0; }

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

CENSUS_EXPORT census_status census_tracestate_parse(const char *value, size_t length,
                                                    char out[CENSUS_TRACESTATE_MAX_LENGTH + 1]) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  out[0] = '\0';
  if (!value) {
    return CENSUS_EINVAL;
  }
  struct member members[CENSUS_TRACESTATE_MAX_MEMBERS];
  size_t count = 0;
  size_t pos = 0;
  while (pos <= length) {
    const char *comma = memchr(value + pos, ',', length - pos);
    size_t end = comma ? (size_t)(comma - value) : length;
    size_t start = pos;
    size_t stop = end;
    while (start < stop && is_ows(value[start])) {
      start++;
    }
    while (stop > start && is_ows(value[stop - 1])) {
      stop--;
    }
    if (stop > start) {
      if (count == CENSUS_TRACESTATE_MAX_MEMBERS) {
        return CENSUS_EINVAL;
      }
      const char *eq = memchr(value + start, '=', stop - start);
      if (!eq) {
        return CENSUS_EINVAL;
      }
      size_t key_length = (size_t)(eq - (value + start));
      if (!key_is_valid(value + start, key_length) ||
          !value_is_valid(eq + 1, stop - start - key_length - 1)) {
        return CENSUS_EINVAL;
      }
      members[count++] = (struct member){start, stop - start, key_length};
    }
    pos = end + 1;
  }
  for (size_t i = 0; i < count; i++) {
    for (size_t j = i + 1; j < count; j++) {
      if (members[i].key_length == members[j].key_length &&
          memcmp(value + members[i].start, value + members[j].start, members[i].key_length) == 0) {
        return CENSUS_EINVAL;
      }
    }
  }
  /* Truncation: first drop long members, then members from the right, until it fits. */
  bool keep[CENSUS_TRACESTATE_MAX_MEMBERS];
  size_t kept = count, chars = 0;
  for (size_t i = 0; i < count; i++) {
    keep[i] = true;
    chars += members[i].length;
  }
  for (size_t i = 0; i < count && joined_length(kept, chars) > CENSUS_TRACESTATE_MAX_LENGTH; i++) {
    if (members[i].length > TRACESTATE_LONG_MEMBER) {
      keep[i] = false;
      kept--;
      chars -= members[i].length;
    }
  }
  for (size_t i = count; i-- > 0 && joined_length(kept, chars) > CENSUS_TRACESTATE_MAX_LENGTH;) {
    if (keep[i]) {
      keep[i] = false;
      kept--;
      chars -= members[i].length;
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    if (keep[i]) {
      if (n) {
        out[n++] = ',';
      }
      memcpy(out + n, value + members[i].start, members[i].length);
      n += members[i].length;
    }
  }
  out[n] = '\0';
  return CENSUS_OK;
}
