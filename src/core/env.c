/* env.c - see env.h. Each module reads its own variables when it first needs them (not at load:
 * a program may set them before its first call into census). */
#include "core/env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diagnostics.h"

/* Copies up to 64 bytes of `s` into out[0..260) for quoting between double quotes in a
 * diagnostic: printable ASCII as is, '"' and '\\' escaped, tab, newline and carriage return as
 * \t, \n, \r, every other byte as \xNN (a value cannot split or garble the line), then "..." if
 * cut. */
static void quote(const char *s, char out[260]) {
  size_t n = 0, i = 0;
  for (; s[i] && i < 64; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      n += (size_t)snprintf(out + n, 260 - n, "\\%c", c);
    } else if (c == '\t' || c == '\n' || c == '\r') {
      n += (size_t)snprintf(out + n, 260 - n, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
    } else if (c < 0x20 || c > 0x7e) {
      n += (size_t)snprintf(out + n, 260 - n, "\\x%02x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  memcpy(out + n, s[i] ? "..." : "", s[i] ? 4 : 1);
}

bool census__env_positive(const char *name, int64_t max, const char *unit, int64_t *value) {
  const char *text = getenv(name);
  if (!text || !*text) {
    return false;
  }
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  while (*end == ' ' || *end == '\t') {
    end++;
  }
  if (errno || *end || v < 1 || v > max) {
    char quoted[260];
    quote(text, quoted);
    census__diag(CENSUS_ECONFIG, "%s=\"%s\" is not a positive integer%s%s; using %lld%s%s", name,
                 quoted, unit ? " number of " : "", unit ? unit : "", (long long)*value,
                 unit ? " " : "", unit ? unit : "");
    return false;
  }
  *value = v;
  return true;
}
