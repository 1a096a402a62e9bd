/* tracestate.c - W3C Trace Context: validation and canonical form of the tracestate header.
 *
 * Grammar and rules are those of Trace Context Level 2 (section 3.3.2; docs/propagation.md lists
 * them with their sections). One pass splits the value at ',' into at most 32 members, trims
 * spaces and tabs around each, skips empty ones and checks key and value against the grammar.
 * Members are recorded as (offset, length) pairs into the caller's string, so nothing is copied
 * until the canonical form is written. A second pass drops later members whose key an earlier
 * member already has (32 members: a quadratic scan is cheaper than anything cleverer): the
 * left-most one is the most recent position (section 3.5 moves updated keys to the left) and
 * Level 2 allows discarding duplicates. A third writes the members joined by ",", dropping members
 * if the result would exceed CENSUS_TRACESTATE_MAX_LENGTH. A member outside the grammar, or more
 * than 32 members, discards the whole header (the W3C test suite's expectation): a half-kept
 * tracestate would forward other vendors' entries with pieces silently missing. Everything that
 * is dropped is counted in the report, and extract/inject pass it to diagnostics.
 */
#include <stdio.h>
#include <string.h>

#include "census/propagation.h"
#include "core/diagnostics.h"
#include "propagation/hex.h"
#include "propagation/tracestate.h"

/* W3C: "Vendors SHOULD propagate at least 512 characters... if truncating, remove members longer
 * than 128 characters first". */
#define TRACESTATE_LONG_MEMBER 128
/* Longest key and longest value (Level 2, 3.3.2.2.1 and 3.3.2.2.2). */
#define TRACESTATE_MAX_KEY 256
#define TRACESTATE_MAX_VALUE 256
/* Bytes of a member at fault quoted in a diagnostic. */
#define DIAG_QUOTE 32

struct member {
  size_t start, length, key_length;
};

static bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_keychar(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}

/* True if key[0..n) is `(lcalpha / DIGIT) 0*255(keychar)`, keychar including '@' (Level 2 made
 * '@' an ordinary key character; the Level 1 tenant@system split and its 241/14 limits are gone).
 */
static bool key_is_valid(const char *key, size_t n) {
  if (n < 1 || n > TRACESTATE_MAX_KEY || !(is_lcalpha(key[0]) || is_digit(key[0]))) {
    return false;
  }
  for (size_t i = 1; i < n; i++) {
    if (!is_keychar(key[i])) {
      return false;
    }
  }
  return true;
}

/* True if value[0..n) is 1..256 characters of 0x20..0x7e except ',' and '=', not ending in ' '. */
static bool value_is_valid(const char *value, size_t n) {
  if (n < 1 || n > TRACESTATE_MAX_VALUE || value[n - 1] == ' ') {
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

CENSUS_EXPORT const char *census_tracestate_problem_str(census_tracestate_problem problem) {
  switch (problem) {
  case CENSUS_TRACESTATE_PROBLEM_NONE:
    return "no problem";
  case CENSUS_TRACESTATE_PROBLEM_NULL:
    return "the value or the output buffer is NULL";
  case CENSUS_TRACESTATE_PROBLEM_MEMBERS:
    return "more than 32 list members";
  case CENSUS_TRACESTATE_PROBLEM_NO_EQUALS:
    return "a member has no '='";
  case CENSUS_TRACESTATE_PROBLEM_KEY:
    return "a key is not 1..256 characters of a-z 0-9 _ - * / @ starting with a-z or 0-9";
  case CENSUS_TRACESTATE_PROBLEM_VALUE:
    return "a value is not 1..256 printable ASCII characters other than ',' and '=' ending in a "
           "non-space";
  }
  return "unknown tracestate problem";
}

/* Records a whole-value refusal in the report and empties the output. */
static census_status refuse(census_tracestate_report *report, char *out,
                            census_tracestate_problem problem, size_t offset, size_t length) {
  if (out) {
    out[0] = '\0';
  }
  report->status = CENSUS_EINVAL;
  report->problem = problem;
  report->offset = offset;
  report->length = length;
  report->duplicates = 0;
  report->truncated = 0;
  return CENSUS_EINVAL;
}

/* Splits value[0..length) into list-members (between commas, blanks around each trimmed, empty
 * ones skipped) and validates each into members[] (*count of them). CENSUS_OK, or the refusal of
 * the whole value (refuse(): report filled, out emptied). */
static census_status split_members(const char *value, size_t length, struct member *members,
                                   size_t *count, census_tracestate_report *r, char *out) {
  *count = 0;
  for (size_t pos = 0; pos <= length;) {
    const char *comma = memchr(value + pos, ',', length - pos);
    size_t end = comma ? (size_t)(comma - value) : length;
    size_t start = pos, stop = end;
    while (start < stop && is_ows(value[start])) {
      start++;
    }
    while (stop > start && is_ows(value[stop - 1])) {
      stop--;
    }
    pos = end + 1;
    if (stop == start) {
      continue;
    }
    if (*count == CENSUS_TRACESTATE_MAX_MEMBERS) {
      return refuse(r, out, CENSUS_TRACESTATE_PROBLEM_MEMBERS, start, stop - start);
    }
    const char *eq = memchr(value + start, '=', stop - start);
    if (!eq) {
      return refuse(r, out, CENSUS_TRACESTATE_PROBLEM_NO_EQUALS, start, stop - start);
    }
    size_t key_length = (size_t)(eq - (value + start));
    if (!key_is_valid(value + start, key_length)) {
      return refuse(r, out, CENSUS_TRACESTATE_PROBLEM_KEY, start, stop - start);
    }
    if (!value_is_valid(eq + 1, stop - start - key_length - 1)) {
      return refuse(r, out, CENSUS_TRACESTATE_PROBLEM_VALUE, start, stop - start);
    }
    members[(*count)++] = (struct member){start, stop - start, key_length};
  }
  return CENSUS_OK;
}

/* Which members a parse keeps, and the length they add up to. */
struct selection {
  bool keep[CENSUS_TRACESTATE_MAX_MEMBERS];
  size_t kept, chars;
};

static void selection_drop(struct selection *sel, const struct member *m, size_t i) {
  sel->keep[i] = false;
  sel->kept--;
  sel->chars -= m[i].length;
}

/* Keeps the first (left-most) member of each key; counts the later ones in r->duplicates. */
static void select_first_of_each_key(const char *value, const struct member *m, size_t count,
                                     struct selection *sel, census_tracestate_report *r) {
  sel->kept = sel->chars = 0;
  for (size_t j = 0; j < count; j++) {
    sel->keep[j] = true;
    for (size_t i = 0; i < j && sel->keep[j]; i++) {
      if (sel->keep[i] && m[i].key_length == m[j].key_length &&
          memcmp(value + m[i].start, value + m[j].start, m[i].key_length) == 0) {
        sel->keep[j] = false;
        r->duplicates++;
      }
    }
    if (sel->keep[j]) {
      sel->kept++;
      sel->chars += m[j].length;
    }
  }
}

/* Truncation, until the joined members fit: first drop long members, then members from the
 * right; counts each in r->truncated. */
static void truncate_to_fit(const struct member *m, size_t count, struct selection *sel,
                            census_tracestate_report *r) {
  for (size_t i = 0;
       i < count && joined_length(sel->kept, sel->chars) > CENSUS_TRACESTATE_MAX_LENGTH; i++) {
    if (sel->keep[i] && m[i].length > TRACESTATE_LONG_MEMBER) {
      selection_drop(sel, m, i);
      r->truncated++;
    }
  }
  for (size_t i = count;
       i-- > 0 && joined_length(sel->kept, sel->chars) > CENSUS_TRACESTATE_MAX_LENGTH;) {
    if (sel->keep[i]) {
      selection_drop(sel, m, i);
      r->truncated++;
    }
  }
}

CENSUS_EXPORT census_status census_tracestate_parse(const char *value, size_t length,
                                                    char out[CENSUS_TRACESTATE_MAX_LENGTH + 1],
                                                    census_tracestate_report *report) {
  census_tracestate_report local;
  census_tracestate_report *r = report ? report : &local;
  *r = (census_tracestate_report){.status = CENSUS_OK};
  if (!out || !value) {
    return refuse(r, out, CENSUS_TRACESTATE_PROBLEM_NULL, 0, 0);
  }
  out[0] = '\0';
  struct member members[CENSUS_TRACESTATE_MAX_MEMBERS];
  size_t count;
  census_status status = split_members(value, length, members, &count, r, out);
  if (status != CENSUS_OK) {
    return status;
  }
  struct selection sel;
  select_first_of_each_key(value, members, count, &sel, r);
  truncate_to_fit(members, count, &sel, r);
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    if (sel.keep[i]) {
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

/* Writes at most DIAG_QUOTE bytes of s[0..n) into out as a C-style quoted string: printable
 * ASCII as is (except '"' and '\'), everything else as \xNN; "..." when cut. */
static void quote(const char *s, size_t n, char *out, size_t capacity) {
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n && i < DIAG_QUOTE && o + 5 < capacity; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
      out[o++] = (char)c;
    } else {
      o += (size_t)snprintf(out + o, capacity - o, "\\x%02x", c);
    }
  }
  out[o++] = '"';
  if (n > DIAG_QUOTE && o + 3 < capacity) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

void census__tracestate_diag(const char *where, const char *value,
                             const census_tracestate_report *report) {
  if (report->status == CENSUS_EINVAL) {
    char quoted[4 * DIAG_QUOTE + 8];
    quote(value ? value + report->offset : "", value ? report->length : 0, quoted, sizeof quoted);
    census__diag(CENSUS_EINVAL,
                 "%s discarded whole (the traceparent is kept): %s; member at byte %zu, %zu bytes: "
                 "%s",
                 where, census_tracestate_problem_str(report->problem), report->offset,
                 report->length, quoted);
  } else if (report->duplicates || report->truncated) {
    census__diag(report->duplicates ? CENSUS_EINVAL : CENSUS_ELIMIT,
                 "%s: %zu member(s) dropped because an earlier member has the same key (the "
                 "left-most is kept), %zu dropped to fit %d characters",
                 where, report->duplicates, report->truncated, CENSUS_TRACESTATE_MAX_LENGTH);
  }
}
