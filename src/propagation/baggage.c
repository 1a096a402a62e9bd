/* baggage.c - W3C Baggage to and from census tag maps.
 *
 * A baggage value is a list of "key=value;properties" members. Census tag maps hold plain
 * printable-ASCII keys and values of at most 255 bytes and no metadata, so the mapping is lossy
 * on purpose: properties are dropped, and members whose decoded key or value a tag map cannot
 * hold are skipped and counted rather than failing the whole header (one odd member from one
 * vendor must not cost the others their context).
 *
 * Parsing works member by member on the caller's bytes: trim spaces and tabs, cut the properties,
 * split at '=', check the key is an RFC 7230 token, percent-decode the value into a 256-byte stack
 * buffer, then intern the key (a stack copy) and put. Formatting writes straight into the caller's
 * buffer, measuring each member first so a member that does not fit is skipped whole.
 *
 * Limits, both ways: at most CENSUS_BAGGAGE_MAX_MEMBERS members and CENSUS_BAGGAGE_MAX_LENGTH
 * bytes, the minimums the W3C recommendation requires every platform to propagate.
 */
#include <stdlib.h>
#include <string.h>

#include "census/propagation.h"
#include "propagation/hex.h"
#include "core/alloc.h"

/* RFC 7230 tchar: the characters a baggage key may use. */
static bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* W3C baggage-octet: 0x21..0x7e except '"', ',', ';' and '\'. */
static bool is_baggage_octet(unsigned char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Trims spaces and tabs from both ends of [*start, *stop). */
static void trim(const char *s, size_t *start, size_t *stop) {
  while (*start < *stop && is_ows(s[*start])) {
    (*start)++;
  }
  while (*stop > *start && is_ows(s[*stop - 1])) {
    (*stop)--;
  }
}

static bool key_is_token(const char *key, size_t n) {
  if (n < 1 || n > CENSUS_TAG_MAX_LENGTH) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (!is_tchar((unsigned char)key[i])) {
      return false;
    }
  }
  return true;
}

/* Percent-decodes s[0..n) into out (NUL-terminated). False if a byte is not a baggage-octet, an
 * escape is not '%' and two hex digits, or the result is not a census tag value (printable ASCII,
 * at most 255 bytes). */
static bool decode_value(const char *s, size_t n, char out[CENSUS_TAG_MAX_LENGTH + 1]) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!is_baggage_octet(c)) {
      return false;
    }
    if (c == '%') {
      uint8_t byte;
      if (n - i < 3 || !census__hex_decode(true, s + i + 1, 1, &byte)) {
        return false;
      }
      c = byte;
      i += 2;
    }
    if (c < 0x20 || c > 0x7e || o == CENSUS_TAG_MAX_LENGTH) {
      return false;
    }
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return true;
}

/* Parses one trimmed, non-empty member s[0..n) and puts it. Returns CENSUS_OK when put,
 * CENSUS_ENOMEM on allocation failure, and CENSUS_EINVAL when the member is to be skipped. */
static census_status put_member(const char *s, size_t n, census_tag_map *map) {
  const char *semicolon = memchr(s, ';', n);
  size_t end = semicolon ? (size_t)(semicolon - s) : n;
  const char *eq = memchr(s, '=', end);
  if (!eq) {
    return CENSUS_EINVAL;
  }
  size_t key_start = 0, key_stop = (size_t)(eq - s);
  size_t value_start = key_stop + 1, value_stop = end;
  trim(s, &key_start, &key_stop);
  trim(s, &value_start, &value_stop);
  char key[CENSUS_TAG_MAX_LENGTH + 1];
  char value[CENSUS_TAG_MAX_LENGTH + 1];
  if (!key_is_token(s + key_start, key_stop - key_start) ||
      !decode_value(s + value_start, value_stop - value_start, value)) {
    return CENSUS_EINVAL;
  }
  memcpy(key, s + key_start, key_stop - key_start);
  key[key_stop - key_start] = '\0';
  census_status status = CENSUS_OK;
  const census_tag_key *tag_key = census_tag_key_new(key, &status);
  if (!tag_key) {
    return status == CENSUS_ENOMEM ? CENSUS_ENOMEM : CENSUS_EINVAL;
  }
  status = census_tag_map_put(map, tag_key, value);
  return status == CENSUS_OK || status == CENSUS_ENOMEM ? status : CENSUS_EINVAL;
}

CENSUS_EXPORT census_status census_baggage_parse(const char *value, size_t length,
                                                 census_tag_map *map, size_t *skipped) {
  size_t dropped = 0, taken = 0;
  census_status result = CENSUS_OK;
  if (skipped) {
    *skipped = 0;
  }
  if (!value || !map) {
    return CENSUS_EINVAL;
  }
  size_t pos = 0;
  while (pos <= length) {
    const char *comma = memchr(value + pos, ',', length - pos);
    size_t end = comma ? (size_t)(comma - value) : length;
    size_t start = pos, stop = end;
    trim(value, &start, &stop);
    pos = end + 1;
    if (start == stop) {
      continue; /* empty members are allowed and carry nothing */
    }
    if (taken == CENSUS_BAGGAGE_MAX_MEMBERS || start >= CENSUS_BAGGAGE_MAX_LENGTH) {
      dropped++;
      continue;
    }
    census_status status = put_member(value + start, stop - start, map);
    if (status == CENSUS_OK) {
      taken++;
    } else if (status == CENSUS_ENOMEM) {
      result = CENSUS_ENOMEM;
      break;
    } else {
      dropped++;
    }
  }
  if (skipped) {
    *skipped = dropped;
  }
  return result;
}

/* Length of value once percent-encoded: 3 bytes for each byte outside baggage-octet, and '%'. */
static size_t encoded_length(const char *value) {
  size_t n = 0;
  for (; *value; value++) {
    unsigned char c = (unsigned char)*value;
    n += is_baggage_octet(c) && c != '%' ? 1 : 3;
  }
  return n;
}

CENSUS_EXPORT census_status census_baggage_format(const census_tag_map *map, char *out,
                                                  size_t capacity, size_t *length,
                                                  size_t *skipped) {
  static const char upper[] = "0123456789ABCDEF";
  if (length) {
    *length = 0;
  }
  if (skipped) {
    *skipped = 0;
  }
  if (!map || !out || capacity == 0) {
    return CENSUS_EINVAL;
  }
  size_t limit =
      capacity - 1 < CENSUS_BAGGAGE_MAX_LENGTH ? capacity - 1 : CENSUS_BAGGAGE_MAX_LENGTH;
  size_t n = 0, members = 0, dropped = 0;
  size_t size = census_tag_map_size(map);
  for (size_t i = 0; i < size; i++) {
    const census_tag_key *key;
    const char *value;
    if (census_tag_map_at(map, i, &key, &value) != CENSUS_OK) {
      break;
    }
    const char *name = census_tag_key_name(key);
    size_t name_length = strlen(name);
    size_t need = (n ? 1 : 0) + name_length + 1 + encoded_length(value);
    if (!key_is_token(name, name_length) || members == CENSUS_BAGGAGE_MAX_MEMBERS ||
        need > limit - n) {
      dropped++;
      continue;
    }
    if (n) {
      out[n++] = ',';
    }
    memcpy(out + n, name, name_length);
    n += name_length;
    out[n++] = '=';
    for (const char *v = value; *v; v++) {
      unsigned char c = (unsigned char)*v;
      if (is_baggage_octet(c) && c != '%') {
        out[n++] = (char)c;
      } else {
        out[n++] = '%';
        out[n++] = upper[c >> 4];
        out[n++] = upper[c & 0x0f];
      }
    }
    members++;
  }
  out[n] = '\0';
  if (length) {
    *length = n;
  }
  if (skipped) {
    *skipped = dropped;
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_baggage_inject(const census_tag_map *map,
                                                  census_header_set_fn set, void *carrier,
                                                  size_t *skipped) {
  if (skipped) {
    *skipped = 0;
  }
  if (!map || !set) {
    return CENSUS_EINVAL;
  }
  char *buffer = census__malloc(CENSUS_BAGGAGE_MAX_LENGTH + 1);
  if (!buffer) {
    return CENSUS_ENOMEM;
  }
  size_t length = 0;
  census_status status =
      census_baggage_format(map, buffer, CENSUS_BAGGAGE_MAX_LENGTH + 1, &length, skipped);
  if (status == CENSUS_OK && length > 0) {
    set(carrier, "baggage", buffer);
  }
  census__free(buffer);
  return status;
}

CENSUS_EXPORT census_status census_baggage_extract(census_header_get_fn get, void *carrier,
                                                   census_tag_map *map, size_t *skipped) {
  if (skipped) {
    *skipped = 0;
  }
  if (!get || !map) {
    return CENSUS_EINVAL;
  }
  const char *value = get(carrier, "baggage");
  if (!value) {
    return CENSUS_ENOTFOUND;
  }
  return census_baggage_parse(value, strlen(value), map, skipped);
}
