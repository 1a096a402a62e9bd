/* env_config.c - the exporters' readers of OpenTelemetry-style environment variables.
 *
 * Every reader is a pure function of the environment: it never keeps state, so it is as
 * thread-safe as getenv(). A malformed value never stops anything: it is reported once per read
 * through census_diagnostics_report(CENSUS_ECONFIG, ...) naming the variable and what was
 * expected, and the default is used instead.
 *
 * Key-value lists ("k1=v1, k2=v2") are validated whole before any callback runs (the
 * all-or-nothing rule of OTEL_RESOURCE_ATTRIBUTES). The list is copied once; keys and values are
 * trimmed of spaces and tabs and then percent-decoded in place (decoding only shrinks text), so
 * an encoded "%20" survives trimming. A decoded byte below 0x20 (other than tab) or 0x7f is
 * refused: these lists become HTTP headers and attribute values, where a CR or LF would let a
 * value smuggle in a header of its own, and NUL would silently truncate. Empty members (",,", a
 * trailing comma) are skipped. The diagnostics name the member's position and, when it has one,
 * its key, never its value: OTEL_EXPORTER_OTLP_HEADERS carries credentials.
 */
#include "env_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "alloc.h"

/* Longest value quoted back in a diagnostic; longer ones are cut with "...". */
#define QUOTE_MAX CENSUS_QUOTE_MAX
#define QUOTE_SIZE CENSUS_QUOTE_SIZE

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Copies `s` into out[0..size) for quoting between double quotes in a diagnostic: printable
 * ASCII as is, '"' and '\\' escaped with a backslash, tab, newline and carriage return as \t,
 * \n, \r, every other byte as \xNN (so a value cannot split or garble the diagnostic line);
 * cut after QUOTE_MAX bytes of `s` with "...". `size` must be at least QUOTE_SIZE. */
void census__quote(const char *s, char *out, size_t size) {
  size_t n = 0, i = 0;
  for (; s[i] && i < QUOTE_MAX && n + 5 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      n += (size_t)snprintf(out + n, size - n, "\\%c", c);
    } else if (c == '\t' || c == '\n' || c == '\r') {
      n += (size_t)snprintf(out + n, size - n, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
    } else if (c < 0x20 || c > 0x7e) {
      n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n] = '\0';
  if (s[i] && n + 4 <= size) {
    memcpy(out + n, "...", 4);
  }
}

/* Points *start and *out_len at `s` without leading and trailing spaces and tabs. */
static void trim(const char *s, size_t len, const char **start, size_t *out_len) {
  while (len > 0 && is_ows(*s)) {
    s++;
    len--;
  }
  while (len > 0 && is_ows(s[len - 1])) {
    len--;
  }
  *start = s;
  *out_len = len;
}

/* Parses the whole of s[0..len) as a decimal integer in [0, INT64_MAX]. */
static bool parse_nonneg(const char *s, size_t len, int64_t *out) {
  if (len == 0) {
    return false;
  }
  int64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    int d = s[i] - '0';
    if (v > (INT64_MAX - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

int64_t census__env_ms(const char *name, int64_t default_ms) {
  const char *raw = getenv(name);
  if (raw == NULL || raw[0] == '\0') {
    return default_ms;
  }
  const char *s;
  size_t len;
  trim(raw, strlen(raw), &s, &len);
  int64_t v;
  if (parse_nonneg(s, len, &v)) {
    return v;
  }
  char q[QUOTE_SIZE], msg[512];
  census__quote(raw, q, sizeof q);
  snprintf(msg, sizeof msg,
           "%s=\"%s\" is not a non-negative integer number of milliseconds; using %lld", name, q,
           (long long)default_ms);
  census_diagnostics_report(CENSUS_ECONFIG, msg);
  return default_ms;
}

uint64_t census__env_bytes(const char *name, uint64_t default_bytes) {
  const char *raw = getenv(name);
  if (raw == NULL || raw[0] == '\0') {
    return default_bytes;
  }
  const char *s;
  size_t len;
  trim(raw, strlen(raw), &s, &len);
  static const struct {
    const char *suffix;
    int shift;
  } units[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
  int shift = 0;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    size_t n = strlen(units[i].suffix);
    if (len > n && strncasecmp(s + len - n, units[i].suffix, n) == 0) {
      shift = units[i].shift;
      len -= n;
      while (len > 0 && is_ows(s[len - 1])) {
        len--;
      }
      break;
    }
  }
  int64_t v;
  if (parse_nonneg(s, len, &v) && (uint64_t)v <= (UINT64_MAX >> shift)) {
    return (uint64_t)v << shift;
  }
  char q[QUOTE_SIZE], msg[512];
  census__quote(raw, q, sizeof q);
  snprintf(msg, sizeof msg,
           "%s=\"%s\" is not a non-negative number of bytes (optionally with KiB, MiB or GiB); "
           "using %llu",
           name, q, (unsigned long long)default_bytes);
  census_diagnostics_report(CENSUS_ECONFIG, msg);
  return default_bytes;
}

size_t census__env_choice(const char *name, const char *const *choices, size_t count,
                          size_t default_index) {
  const char *raw = getenv(name);
  if (raw == NULL || raw[0] == '\0') {
    return default_index;
  }
  const char *s;
  size_t len;
  trim(raw, strlen(raw), &s, &len);
  for (size_t i = 0; i < count; i++) {
    if (strlen(choices[i]) == len && strncasecmp(choices[i], s, len) == 0) {
      return i;
    }
  }
  char q[QUOTE_SIZE], msg[512];
  census__quote(raw, q, sizeof q);
  int n = snprintf(msg, sizeof msg, "%s=\"%s\" is not one of", name, q);
  for (size_t i = 0; i < count && n > 0 && (size_t)n < sizeof msg; i++) {
    n += snprintf(msg + n, sizeof msg - (size_t)n, "%s \"%s\"", i == 0 ? "" : ",", choices[i]);
  }
  if (n > 0 && (size_t)n < sizeof msg && default_index < count) {
    snprintf(msg + n, sizeof msg - (size_t)n, "; using \"%s\"", choices[default_index]);
  }
  census_diagnostics_report(CENSUS_ECONFIG, msg);
  return default_index;
}

const char *census__env_string(const char *name) {
  const char *raw = getenv(name);
  return raw == NULL || raw[0] == '\0' ? NULL : raw;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/* Percent-decodes s[0..len) into dst (which may be s itself: output never outruns input) and
 * NUL-terminates it. Returns NULL on success or the reason it is malformed. */
static const char *decode(char *dst, const char *s, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      if (i + 2 >= len) {
        return "a '%' not followed by two hex digits";
      }
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return "a '%' not followed by two hex digits";
      }
      c = (unsigned char)(hi * 16 + lo);
      i += 2;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return "a control character";
    }
    dst[o++] = (char)c;
  }
  dst[o] = '\0';
  return NULL;
}

typedef struct kv_member {
  char *key;
  char *value;
} kv_member;

/* One member m[0..mlen) whose '=' is at `eq` (the `position`-th of the list): its key and value
 * trimmed and percent-decoded in place into *out. False, with the reason in message, for an empty
 * key or a bad escape. Decoding in place is safe: the key's bytes start at or after m and end
 * before the value's; a non-empty key stays non-empty (every escape decodes to one byte, and NUL
 * is refused). */
static bool parse_member(const char *m, size_t mlen, const char *eq, size_t position,
                         kv_member *out, char *message, size_t message_size) {
  const char *k, *v;
  size_t klen, vlen;
  trim(m, (size_t)(eq - m), &k, &klen);
  trim(eq + 1, mlen - (size_t)(eq + 1 - m), &v, &vlen);
  if (klen == 0) {
    snprintf(message, message_size, "member %zu has an empty key", position);
    return false;
  }
  char *key = (char *)k, *value = (char *)v;
  const char *why = decode(key, k, klen);
  if (why != NULL) {
    snprintf(message, message_size, "the key of member %zu has %s", position, why);
    return false;
  }
  why = decode(value, v, vlen);
  if (why != NULL) {
    snprintf(message, message_size, "the value of member %zu (key \"%.64s\") has %s", position, key,
             why);
    return false;
  }
  out->key = key;
  out->value = value;
  return true;
}

census_status census__kv_list_parse(const char *list, census_kv_fn fn, void *user, char *message,
                                    size_t message_size) {
  char scratch[1];
  if (message == NULL || message_size == 0) {
    /* snprintf below always has somewhere to write; the reason is simply not kept. */
    message = scratch;
    message_size = sizeof scratch;
  }
  message[0] = '\0';
  if (list == NULL) {
    return CENSUS_OK;
  }
  size_t list_len = strlen(list);
  size_t members = 1;
  for (size_t i = 0; i < list_len; i++) {
    members += list[i] == ',';
  }
  char *copy = census__malloc(list_len + 1);
  kv_member *kv = census__malloc(members * sizeof *kv);
  if (copy == NULL || kv == NULL) {
    census__free(copy);
    census__free(kv);
    snprintf(message, message_size, "out of memory");
    return CENSUS_ENOMEM;
  }
  memcpy(copy, list, list_len + 1);

  /* Pass 1: split, trim, decode and validate every member; nothing is reported to `fn` yet. */
  size_t n = 0, position = 0;
  census_status status = CENSUS_OK;
  char *p = copy;
  for (;;) {
    char *comma = strchr(p, ',');
    char *member_end = comma != NULL ? comma : p + strlen(p);
    position++;
    const char *m;
    size_t mlen;
    trim(p, (size_t)(member_end - p), &m, &mlen);
    if (mlen > 0) {
      const char *eq = memchr(m, '=', mlen);
      if (eq == NULL) {
        snprintf(message, message_size, "member %zu has no '='", position);
        status = CENSUS_ECONFIG;
        break;
      }
      if (!parse_member(m, mlen, eq, position, &kv[n], message, message_size)) {
        status = CENSUS_ECONFIG;
        break;
      }
      n++;
    }
    if (comma == NULL) {
      break;
    }
    p = comma + 1;
  }

  /* Pass 2: only a fully valid list reaches the callback. */
  if (status == CENSUS_OK && fn != NULL) {
    for (size_t i = 0; i < n; i++) {
      if (!fn(user, kv[i].key, kv[i].value)) {
        break;
      }
    }
  }
  census__free(kv);
  census__free(copy);
  return status;
}

census_status census__env_kv_list(const char *name, census_kv_fn fn, void *user) {
  const char *raw = census__env_string(name);
  if (raw == NULL) {
    return CENSUS_OK;
  }
  char why[160];
  census_status status = census__kv_list_parse(raw, fn, user, why, sizeof why);
  if (status != CENSUS_OK) {
    char msg[320];
    snprintf(msg, sizeof msg,
             "%s is malformed (%s); expected comma-separated key=value pairs with "
             "percent-encoded values; the whole variable is ignored",
             name, why);
    census_diagnostics_report(status, msg);
  }
  return status;
}
