/* text.c - name and value validation shared by tags, measures and views (OpenCensus rules). */
#include "core/text.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

bool census__text_is_printable(const char *s, size_t max, bool allow_empty, size_t *len) {
  size_t n = 0;
  for (; s[n] != '\0'; n++) {
    if (n >= max || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e) {
      return false;
    }
  }
  if (n == 0 && !allow_empty) {
    return false;
  }
  if (len) {
    *len = n;
  }
  return true;
}

char *census__strdup_or_empty(const char *s) { return census__strdup(s ? s : ""); }
