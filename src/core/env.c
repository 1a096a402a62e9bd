/* env.c - see env.h. Each module reads its own variables when it first needs them (not at load:
 * a program may set them before its first call into census). */
#include "core/env.h"

#include <errno.h>
#include <stdlib.h>

#include "core/diagnostics.h"

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
    census__diag(CENSUS_ECONFIG, "%s=\"%.64s\" is not a positive integer%s%s; using %lld%s%s", name,
                 text, unit ? " number of " : "", unit ? unit : "", (long long)*value,
                 unit ? " " : "", unit ? unit : "");
    return false;
  }
  *value = v;
  return true;
}
