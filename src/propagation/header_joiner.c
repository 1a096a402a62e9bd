/* header_joiner.c - a census_header_get_fn for server libraries that look up only the first value
 * of a header but can list every field line.
 *
 * RFC 9110 section 5.3 lets a recipient combine field lines of the same name into one value by
 * joining them in order with ","; census's getter contract asks for exactly that, and W3C Trace
 * Context relies on it for a tracestate split over several lines (and on a refusal of two
 * traceparent lines, which joining makes malformed). The joiner asks the caller's enumerator for
 * the lines of one name: a single line is returned in place (no copy: the library's storage lives
 * as long as the request); two or more are appended to the joiner's buffer, which grows forward
 * only, so every value returned stays valid until the joiner is reset, as the getter contract
 * requires for the whole census call (B3 reads five headers before it looks at any of them).
 * A line that does not fit the remaining buffer is dropped whole, with the lines after it, and
 * counted and reported to diagnostics: never cut in the middle, which could turn one valid
 * member into a different one.
 */
#include <string.h>

#include "census/propagation.h"
#include "core/diagnostics.h"

/* State of one census_header_joiner_get() call while the enumerator visits lines. */
struct join {
  census_header_joiner *joiner;
  const char *first; /* the first line, kept in place until a second one arrives */
  size_t lines, dropped;
  size_t start;  /* where this value begins in the buffer, once copying started */
  bool copying;  /* two or more lines: the value is being built in the buffer */
  bool overflow; /* a line did not fit: this and every later line is dropped */
};

/* Appends `text` (n bytes) and, when `separator`, a ',' before it; false if it does not fit with
 * the NUL that ends the value. */
static bool append(census_header_joiner *j, const char *text, size_t n, bool separator) {
  size_t need = n + (separator ? 1 : 0) + 1;
  if (need > sizeof j->buffer - j->used) {
    return false;
  }
  if (separator) {
    j->buffer[j->used++] = ',';
  }
  memcpy(j->buffer + j->used, text, n);
  j->used += n;
  j->buffer[j->used] = '\0'; /* overwritten by the next append, rewritten after it */
  return true;
}

static void visit(void *state, const char *value) {
  struct join *s = state;
  census_header_joiner *j = s->joiner;
  if (!value) {
    return;
  }
  s->lines++;
  if (s->overflow) {
    s->dropped++;
    return;
  }
  if (s->lines == 1) {
    s->first = value;
    return;
  }
  if (!s->copying) {
    s->start = j->used;
    if (!append(j, s->first, strlen(s->first), false)) {
      /* Not even the first line fits next to the others: keep returning it in place. */
      s->overflow = true;
      s->dropped++;
      return;
    }
    s->copying = true;
  }
  if (!append(j, value, strlen(value), true)) {
    s->overflow = true;
    s->dropped++;
  }
}

CENSUS_EXPORT const char *census_header_joiner_get(void *joiner, const char *name) {
  census_header_joiner *j = joiner;
  if (!j || !j->each || !name) {
    return NULL;
  }
  if (j->used > sizeof j->buffer) {
    j->used = sizeof j->buffer; /* a caller that did not zero the struct: never write past it */
  }
  struct join s = {.joiner = j};
  j->each(j->carrier, name, visit, &s);
  if (s.dropped) {
    j->lines_dropped += s.dropped;
    census__diag(CENSUS_ELIMIT,
                 "census_header_joiner_get: header %.64s: %zu of %zu field lines dropped (the "
                 "last ones): the joined values exceed %d bytes",
                 name, s.dropped, s.lines, CENSUS_HEADER_JOINER_CAPACITY);
  }
  if (s.copying) {
    j->buffer[j->used++] = '\0'; /* keep this value's NUL: the next value starts after it */
    return j->buffer + s.start;
  }
  return s.first;
}

CENSUS_EXPORT void census_header_joiner_reset(census_header_joiner *joiner) {
  if (joiner) {
    joiner->used = 0;
    joiner->lines_dropped = 0;
  }
}
