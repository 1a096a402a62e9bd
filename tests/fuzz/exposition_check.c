/* exposition_check.c - a strict checker of Prometheus text 0.0.4 and OpenMetrics 1.0 text.
 *
 * Written from the formats, not from census's renderer: it walks the text line by line, as the
 * grammars define it, and keeps the state the strict parsers keep (the current metric family,
 * the names earlier families reserved, the label groups and histogram buckets seen). Where each
 * rule comes from is marked:
 *   [OM]   the OpenMetrics 1.0 specification: its ABNF and its MUSTs;
 *   [PY]   prometheus_client.openmetrics.parser (Debian python3-prometheus-client), the strict
 *          OpenMetrics parser;
 *   [GO]   Prometheus's own parsers (model/textparse) and the Go client's text parser (expfmt,
 *          what promtool check metrics runs);
 *   [CEN]  census's promise on top of the formats: no two samples of one series (Prometheus
 *          keeps one of them, the other is lost silently), every histogram complete (+Inf
 *          bucket, _count equal to it, _sum and _count together), families contiguous.
 * It is stricter than the parsers where census never writes a construct: no timestamps on
 * samples, exactly one space between tokens, a newline after every line. Exemplars are checked
 * by the OpenMetrics rules (exemplar_check()); the 0.0.4 text has none. Counters, gauges and
 * histograms get every check; the other OpenMetrics types (census writes none) only syntax.
 * Nothing is global: every check owns its state, so concurrent checks are fine.
 */
#include "exposition_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set of byte strings (open addressing, grows at half full) -------------------------- */

struct set {
  char **keys;
  size_t *lengths;
  size_t capacity, count;
};

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
  }
  return h;
}

static void set_free(struct set *s) {
  for (size_t i = 0; i < s->capacity; i++) {
    free(s->keys[i]);
  }
  free(s->keys);
  free(s->lengths);
  *s = (struct set){0};
}

static bool set_has(const struct set *s, const char *key, size_t n) {
  if (s->capacity == 0) {
    return false;
  }
  for (size_t i = hash_bytes(key, n) % s->capacity; s->keys[i]; i = (i + 1) % s->capacity) {
    if (s->lengths[i] == n && memcmp(s->keys[i], key, n) == 0) {
      return true;
    }
  }
  return false;
}

/* Adds `key`: 1 if it was new, 0 if it was there, -1 if memory ran out. */
static int set_add(struct set *s, const char *key, size_t n) {
  if (set_has(s, key, n)) {
    return 0;
  }
  if (2 * (s->count + 1) > s->capacity) {
    struct set grown = {0};
    grown.capacity = s->capacity ? 2 * s->capacity : 64;
    grown.keys = calloc(grown.capacity, sizeof *grown.keys);
    grown.lengths = calloc(grown.capacity, sizeof *grown.lengths);
    if (!grown.keys || !grown.lengths) {
      free(grown.keys);
      free(grown.lengths);
      return -1;
    }
    for (size_t i = 0; i < s->capacity; i++) {
      if (s->keys[i]) {
        size_t j = hash_bytes(s->keys[i], s->lengths[i]) % grown.capacity;
        while (grown.keys[j]) {
          j = (j + 1) % grown.capacity;
        }
        grown.keys[j] = s->keys[i];
        grown.lengths[j] = s->lengths[i];
      }
    }
    grown.count = s->count;
    free(s->keys);
    free(s->lengths);
    *s = grown;
  }
  char *copy = malloc(n + 1);
  if (!copy) {
    return -1;
  }
  memcpy(copy, key, n);
  copy[n] = '\0';
  size_t i = hash_bytes(key, n) % s->capacity;
  while (s->keys[i]) {
    i = (i + 1) % s->capacity;
  }
  s->keys[i] = copy;
  s->lengths[i] = n;
  s->count++;
  return 1;
}

/* ---- the checker's state ------------------------------------------------------------------- */

enum type {
  T_NONE, /* no TYPE line: unknown (OpenMetrics) or untyped (text) */
  T_COUNTER,
  T_GAUGE,
  T_HISTOGRAM,
  T_GAUGEHISTOGRAM,
  T_SUMMARY,
  T_INFO,
  T_STATESET,
  T_UNKNOWN,
  T_UNTYPED,
};

/* The histogram state of the current label group (labels without "le"). */
struct group {
  bool open;
  bool bucket, inf, count, sum, negative_le;
  double last_le, last_bucket, inf_value, count_value;
};

struct family {
  char *name; /* NULL before the first family */
  size_t name_length;
  enum type type;
  bool help, typed, unit, samples;
  struct set groups; /* [PY] label groups seen: a group may not come back after another */
  char *group_key;   /* the current group */
  size_t group_key_length;
  struct group g;
};

struct checker {
  enum exposition_format format;
  size_t line;
  char *why;
  size_t why_size;
  bool failed;
  bool eof;
  struct set reserved; /* [PY] names taken by finished families: name + their type suffixes */
  struct set series;   /* [CEN] every sample's name and label set */
  struct family f;
};

static bool fail(struct checker *c, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct checker *c, const char *format, ...) {
  if (!c->failed && c->why_size > 0) {
    int n = snprintf(c->why, c->why_size, "line %zu: ", c->line);
    if (n >= 0 && (size_t)n < c->why_size) {
      va_list args;
      va_start(args, format);
      vsnprintf(c->why + n, c->why_size - (size_t)n, format, args);
      va_end(args);
    }
  }
  c->failed = true;
  return false;
}

/* ---- lexical pieces -------------------------------------------------------------------------- */

static bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* [OM][GO] metricname = [a-zA-Z_:][a-zA-Z0-9_:]*; returns its length at s (0: none). */
static size_t metric_name_length(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (is_alpha(s[i]) || s[i] == '_' || s[i] == ':')) {
    i++;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == ':')) {
      i++;
    }
  }
  return i;
}

/* [OM][GO] label-name = [a-zA-Z_][a-zA-Z0-9_]*. */
static size_t label_name_length(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (is_alpha(s[i]) || s[i] == '_')) {
    i++;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_')) {
      i++;
    }
  }
  return i;
}

/* [GO] valid UTF-8 (utf8.Valid: no overlong forms, no surrogates, nothing above U+10FFFF). */
static bool utf8_valid(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    size_t k;
    uint32_t cp;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      k = 2, cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      k = 3, cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      k = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + k > n) {
      return false;
    }
    for (size_t j = 1; j < k; j++) {
      if ((s[i + j] & 0xc0) != 0x80) {
        return false;
      }
      cp = cp << 6 | (s[i + j] & 0x3f);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += k;
  }
  return true;
}

static bool equal_nocase(const char *s, size_t n, const char *word) {
  size_t k = strlen(word);
  if (n != k) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char a = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    if (a != word[i]) {
      return false;
    }
  }
  return true;
}

/* [OM] number = realnumber / [sign] ("inf" / "infinity") / "nan", case-insensitive words;
 *   realnumber = [sign] 1*DIGIT ["." *DIGIT] ["e" [sign] 1*DIGIT]
 *              / [sign] *DIGIT "." 1*DIGIT ["e" [sign] 1*DIGIT].
 * [GO] the text format reads numbers with strconv.ParseFloat: this grammar is a subset of what it
 * takes (no hex floats, no "_": Prometheus refuses them too). Sets *value. */
static bool parse_number(const char *s, size_t n, double *value) {
  size_t i = 0;
  bool sign = i < n && (s[i] == '+' || s[i] == '-');
  i += sign;
  if (equal_nocase(s + i, n - i, "inf") || equal_nocase(s + i, n - i, "infinity")) {
    *value = s[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  if (!sign && equal_nocase(s, n, "nan")) {
    *value = NAN;
    return true;
  }
  size_t digits = 0, fraction = 0;
  while (i < n && is_digit(s[i])) {
    i++, digits++;
  }
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit(s[i])) {
      i++, fraction++;
    }
  }
  if (digits + fraction == 0) {
    return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    i += i < n && (s[i] == '+' || s[i] == '-');
    size_t exponent = 0;
    while (i < n && is_digit(s[i])) {
      i++, exponent++;
    }
    if (exponent == 0) {
      return false;
    }
  }
  if (i != n) {
    return false;
  }
  char copy[128];
  if (n >= sizeof copy) {
    return false; /* census writes at most 24 characters */
  }
  memcpy(copy, s, n);
  copy[n] = '\0';
  *value = strtod(copy, NULL);
  return true;
}

/* An escaped string up to (not including) `end` or the line's end: [OM] escaped-char = normal
 * char / "\" ("n" / DQUOTE / "\"); [GO] the same three escapes in label values (expfmt), only
 * "\\" and "\n" in text-format HELP. `quote_ends` stops at an unescaped '"'. Decodes into
 * *decoded (malloc'd) if not NULL. Returns the bytes consumed, or SIZE_MAX on an error (why set).
 */
static size_t parse_escaped(struct checker *c, const char *s, size_t n, bool quote_ends,
                            bool quote_escape, bool quote_raw_ok, char **decoded,
                            size_t *decoded_length) {
  char *out = decoded ? malloc(n + 1) : NULL;
  size_t k = 0, i = 0;
  if (decoded && !out) {
    fail(c, "out of memory");
    return SIZE_MAX;
  }
  for (; i < n; i++) {
    char ch = s[i];
    if (ch == '"' && quote_ends) {
      break;
    }
    if (ch == '"' && !quote_raw_ok) {
      free(out);
      fail(c, "unescaped '\"' in help text");
      return SIZE_MAX;
    }
    if (ch == '\\') {
      char next = i + 1 < n ? s[i + 1] : '\0';
      if (next == 'n') {
        ch = '\n';
      } else if (next == '\\' || (next == '"' && quote_escape)) {
        ch = next;
      } else {
        free(out);
        fail(c, "invalid escape sequence '\\%c'", next ? next : ' ');
        return SIZE_MAX;
      }
      i++;
    }
    if (out) {
      out[k++] = ch;
    }
  }
  if (out) {
    out[k] = '\0';
    *decoded = out;
    *decoded_length = k;
  }
  return i;
}

/* ---- families ------------------------------------------------------------------------------ */

/* The sample-name suffixes of a family of `type`: [PY] type_suffixes (OpenMetrics) and [GO] the
 * names expfmt files under a family (text). The first entry is what a family of that type
 * reserves besides its name. */
static const char *const *type_suffixes(enum exposition_format format, enum type type) {
  static const char *const none[] = {"", NULL};
  static const char *const om_counter[] = {"_total", "_created", NULL};
  static const char *const om_histogram[] = {"_bucket", "_count", "_sum", "_created", NULL};
  static const char *const om_gaugehistogram[] = {"_bucket", "_gcount", "_gsum", NULL};
  static const char *const om_summary[] = {"", "_count", "_sum", "_created", NULL};
  static const char *const om_info[] = {"_info", NULL};
  static const char *const text_histogram[] = {"_bucket", "_count", "_sum", NULL};
  static const char *const text_summary[] = {"", "_count", "_sum", NULL};
  if (format == EXPOSITION_OPENMETRICS) {
    switch (type) {
    case T_COUNTER:
      return om_counter;
    case T_HISTOGRAM:
      return om_histogram;
    case T_GAUGEHISTOGRAM:
      return om_gaugehistogram;
    case T_SUMMARY:
      return om_summary;
    case T_INFO:
      return om_info;
    default:
      return none;
    }
  }
  return type == T_HISTOGRAM ? text_histogram : type == T_SUMMARY ? text_summary : none;
}

/* [PY][CEN] The end of a histogram label group: +Inf bucket present, _count equal to it, _sum
 * and _count together; [OM][PY] no _sum when a bucket bound is negative. */
static bool group_end(struct checker *c) {
  struct group *g = &c->f.g;
  if (!g->open) {
    return true;
  }
  g->open = false;
  if (c->f.type != T_HISTOGRAM) {
    return true;
  }
  if (!g->inf) {
    return fail(c, "histogram %.*s: +Inf bucket missing", (int)c->f.name_length, c->f.name);
  }
  if (g->count && g->count_value != g->inf_value) {
    return fail(c, "histogram %.*s: _count does not match the +Inf bucket", (int)c->f.name_length,
                c->f.name);
  }
  if (g->count != g->sum) {
    return fail(c, "histogram %.*s: _sum and _count must come together", (int)c->f.name_length,
                c->f.name);
  }
  if (c->format == EXPOSITION_OPENMETRICS && g->negative_le && g->sum) {
    return fail(c, "histogram %.*s: _sum with a negative bucket", (int)c->f.name_length, c->f.name);
  }
  return true;
}

/* Ends the current family: its last group, then [PY] its name and type suffixes must be free
 * (no other family has them: "Clashing name"), [PY] no UNIT on info and stateset. */
static bool family_end(struct checker *c) {
  struct family *f = &c->f;
  if (!f->name) {
    return true;
  }
  bool ok = group_end(c);
  if (ok && f->unit && (f->type == T_INFO || f->type == T_STATESET)) {
    ok = fail(c, "no UNIT allowed for %.*s", (int)f->name_length, f->name);
  }
  const char *const *suffixes = type_suffixes(c->format, f->type);
  for (int pass = 0; ok && pass < 2; pass++) {
    const char *const *list = pass == 0 ? (const char *const[]){"", NULL} : suffixes;
    for (const char *const *s = list; ok && *s; s++) {
      if (pass == 1 && **s == '\0') {
        continue;
      }
      char name[1024];
      int n = snprintf(name, sizeof name, "%.*s%s", (int)f->name_length, f->name, *s);
      if (n < 0 || (size_t)n >= sizeof name) {
        ok = fail(c, "name too long");
        break;
      }
      int added = set_add(&c->reserved, name, (size_t)n);
      if (added < 0) {
        ok = fail(c, "out of memory");
      } else if (added == 0) {
        ok = fail(c, "clashing name %s (family %.*s)", name, (int)f->name_length, f->name);
      }
    }
  }
  free(f->name);
  free(f->group_key);
  set_free(&f->groups);
  *f = (struct family){0};
  return ok;
}

/* Starts family `name` (ending the current one). */
static bool family_start(struct checker *c, const char *name, size_t n, enum type type) {
  if (!family_end(c)) {
    return false;
  }
  c->f.name = malloc(n + 1);
  if (!c->f.name) {
    return fail(c, "out of memory");
  }
  memcpy(c->f.name, name, n);
  c->f.name[n] = '\0';
  c->f.name_length = n;
  c->f.type = type;
  return true;
}

static bool same_name(const struct family *f, const char *name, size_t n) {
  return f->name && f->name_length == n && memcmp(f->name, name, n) == 0;
}

/* ---- metadata lines ---------------------------------------------------------------------- */

static enum type type_from(enum exposition_format format, const char *s, size_t n) {
  static const struct {
    const char *word;
    enum type type;
    bool om, text;
  } types[] = {{"counter", T_COUNTER, true, true},
               {"gauge", T_GAUGE, true, true},
               {"histogram", T_HISTOGRAM, true, true},
               {"summary", T_SUMMARY, true, true},
               {"gaugehistogram", T_GAUGEHISTOGRAM, true, false},
               {"info", T_INFO, true, false},
               {"stateset", T_STATESET, true, false},
               {"unknown", T_UNKNOWN, true, false},
               {"untyped", T_UNTYPED, false, true}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strlen(types[i].word) == n && memcmp(types[i].word, s, n) == 0 &&
        (format == EXPOSITION_OPENMETRICS ? types[i].om : types[i].text)) {
      return types[i].type;
    }
  }
  return T_NONE;
}

/* "# HELP name text", "# TYPE name type", "# UNIT name unit" (OpenMetrics), "# EOF"
 * (OpenMetrics), or a comment (text only). `s` is the line without its newline. */
static bool metadata_line(struct checker *c, const char *s, size_t n) {
  bool om = c->format == EXPOSITION_OPENMETRICS;
  if (om && n == 5 && memcmp(s, "# EOF", 5) == 0) {
    c->eof = true;
    return family_end(c);
  }
  const char *kind = n >= 7 ? s + 2 : "";
  bool help = n >= 7 && memcmp(s, "# HELP ", 7) == 0;
  bool type = n >= 7 && memcmp(s, "# TYPE ", 7) == 0;
  bool unit = om && n >= 7 && memcmp(s, "# UNIT ", 7) == 0;
  if (!help && !type && !unit) {
    if (om) {
      return fail(c, "[OM] a line starting with '#' must be HELP, TYPE, UNIT or EOF");
    }
    /* [GO] expfmt reads "#", blanks, then a HELP or TYPE keyword as metadata whatever the
     * spacing; census writes "# HELP " exactly, so any other spelling of them is refused. */
    size_t i = 1;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
      i++;
    }
    if ((n - i >= 4 && (memcmp(s + i, "HELP", 4) == 0 || memcmp(s + i, "TYPE", 4) == 0)) &&
        (n - i == 4 || s[i + 4] == ' ' || s[i + 4] == '\t')) {
      return fail(c, "malformed %.4s line", s + i);
    }
    return true; /* a comment */
  }
  const char *name = s + 7;
  size_t rest = n - 7;
  size_t name_length = metric_name_length(name, rest);
  if (name_length == 0) {
    return fail(c, "expected a metric name after %.4s", kind);
  }
  if (name_length == rest || name[name_length] != ' ') {
    return fail(c, "expected a space after the metric name in %.4s", kind);
  }
  const char *text = name + name_length + 1;
  size_t text_length = rest - name_length - 1;
  if (!same_name(&c->f, name, name_length)) {
    if (!family_start(c, name, name_length, T_NONE)) {
      return false;
    }
  } else if (c->f.samples) {
    return fail(c, "%.4s for %.*s after its samples", kind, (int)name_length, name);
  }
  struct family *f = &c->f;
  if (help) {
    if (f->help) {
      return fail(c, "second HELP for %.*s", (int)name_length, name);
    }
    f->help = true;
    if (!utf8_valid(text, text_length)) {
      return fail(c, "[GO] help text is not valid UTF-8");
    }
    /* [OM] escaped-string: '"' only escaped; [GO] text: only \\ and \n, '"' raw. */
    return parse_escaped(c, text, text_length, false, om, !om, NULL, NULL) != SIZE_MAX;
  }
  if (type) {
    if (f->typed) {
      return fail(c, "second TYPE for %.*s", (int)name_length, name);
    }
    f->typed = true;
    f->type = type_from(c->format, text, text_length);
    if (f->type == T_NONE) {
      return fail(c, "invalid metric type \"%.*s\"", (int)text_length, text);
    }
    return true;
  }
  if (f->unit) {
    return fail(c, "second UNIT for %.*s", (int)name_length, name);
  }
  f->unit = true;
  /* [OM] unit = *metricname-char; [GO][PY] the family name ends with "_" unit. */
  for (size_t i = 0; i < text_length; i++) {
    if (!(is_alpha(text[i]) || is_digit(text[i]) || text[i] == '_' || text[i] == ':')) {
      return fail(c, "invalid character in UNIT");
    }
  }
  if (text_length > 0 && (name_length < text_length + 1 ||
                          memcmp(name + name_length - text_length, text, text_length) != 0 ||
                          name[name_length - text_length - 1] != '_')) {
    return fail(c, "unit %.*s is not a suffix of %.*s", (int)text_length, text, (int)name_length,
                name);
  }
  return true;
}

/* ---- sample lines -------------------------------------------------------------------------- */

struct label {
  const char *name;
  size_t name_length;
  char *value;
  size_t value_length;
};

/* Code points in n bytes of valid UTF-8. */
static size_t utf8_length(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    count += ((unsigned char)s[i] & 0xc0) != 0x80;
  }
  return count;
}

/* An OpenMetrics exemplar after a sample's value and " # ": [OM] exemplar = "{" [label
 * *("," label)] "}" SP number [SP timestamp]; label names and values as a sample's, no name
 * twice [PY], the names and values together at most 128 UTF-8 characters [OM], the value a
 * number (NaN allowed by the grammar) and the timestamp, if any, a number that is not NaN. */
static bool exemplar_check(struct checker *c, const char *s, size_t n) {
  size_t i = 0, characters = 0, names = 0;
  const char *seen[16];
  size_t seen_length[16];
  if (n == 0 || s[0] != '{') {
    return fail(c, "[OM] exemplar: expected '{'");
  }
  i = 1;
  while (i < n && s[i] != '}') {
    size_t l = label_name_length(s + i, n - i);
    if (l == 0) {
      return fail(c, "[OM] exemplar: expected a label name");
    }
    for (size_t k = 0; k < names && k < 16; k++) {
      if (seen_length[k] == l && memcmp(seen[k], s + i, l) == 0) {
        return fail(c, "[PY] exemplar: duplicate label name %.*s", (int)l, s + i);
      }
    }
    if (names < 16) {
      seen[names] = s + i;
      seen_length[names] = l;
    }
    names++;
    characters += l;
    i += l;
    if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') {
      return fail(c, "[OM] exemplar: expected =\" after a label name");
    }
    i += 2;
    char *value = NULL;
    size_t value_length = 0;
    size_t used = parse_escaped(c, s + i, n - i, true, true, false, &value, &value_length);
    if (used == SIZE_MAX) {
      return false;
    }
    bool valid = utf8_valid(value, value_length);
    characters += valid ? utf8_length(value, value_length) : 0;
    free(value);
    i += used;
    if (!valid) {
      return fail(c, "[OM] exemplar: label value is not valid UTF-8");
    }
    if (i >= n || s[i] != '"') {
      return fail(c, "[OM] exemplar: unterminated label value");
    }
    i++;
    if (i < n && s[i] == ',') {
      i++;
      if (i < n && s[i] == '}') {
        return fail(c, "[OM] exemplar: trailing ',' in its labels");
      }
    } else if (i >= n || s[i] != '}') {
      return fail(c, "[OM] exemplar: expected ',' or '}' after a label");
    }
  }
  if (i >= n) {
    return fail(c, "[OM] exemplar: unterminated labels");
  }
  if (characters > 128) {
    return fail(c, "[OM] exemplar: labels of %zu characters (at most 128)", characters);
  }
  i++;
  if (i >= n || s[i] != ' ') {
    return fail(c, "[OM] exemplar: expected a space before its value");
  }
  i++;
  size_t space = i;
  while (space < n && s[space] != ' ') {
    space++;
  }
  double value, timestamp;
  if (!parse_number(s + i, space - i, &value)) {
    return fail(c, "[OM] exemplar: invalid value \"%.*s\"", (int)(space - i), s + i);
  }
  if (space < n && (!parse_number(s + space + 1, n - space - 1, &timestamp) || isnan(timestamp))) {
    return fail(c, "[OM] exemplar: invalid timestamp \"%.*s\"", (int)(n - space - 1),
                s + space + 1);
  }
  return true;
}

static int label_compare(const void *a, const void *b) {
  const struct label *x = a, *y = b;
  size_t n = x->name_length < y->name_length ? x->name_length : y->name_length;
  int r = memcmp(x->name, y->name, n);
  return r ? r : (x->name_length > y->name_length) - (x->name_length < y->name_length);
}

/* A key for a label set (sorted by name) minus the label `skip` (may be NULL), optionally
 * prefixed by a sample name; malloc'd, length in *n. */
static char *labels_key(const char *name, size_t name_length, const struct label *labels,
                        size_t count, const char *skip, size_t *n) {
  size_t size = name_length + 1;
  for (size_t i = 0; i < count; i++) {
    size += labels[i].name_length + labels[i].value_length + 24;
  }
  char *key = malloc(size);
  if (!key) {
    return NULL;
  }
  size_t k = 0;
  memcpy(key, name, name_length);
  k += name_length;
  key[k++] = '\0';
  for (size_t i = 0; i < count; i++) {
    if (skip && labels[i].name_length == strlen(skip) &&
        memcmp(labels[i].name, skip, labels[i].name_length) == 0) {
      continue;
    }
    memcpy(key + k, labels[i].name, labels[i].name_length);
    k += labels[i].name_length;
    k += (size_t)snprintf(key + k, size - k, "=%zu:", labels[i].value_length);
    memcpy(key + k, labels[i].value, labels[i].value_length);
    k += labels[i].value_length;
  }
  *n = k;
  return key;
}

static const struct label *find_label(const struct label *labels, size_t count, const char *name) {
  for (size_t i = 0; i < count; i++) {
    if (labels[i].name_length == strlen(name) &&
        memcmp(labels[i].name, name, labels[i].name_length) == 0) {
      return &labels[i];
    }
  }
  return NULL;
}

/* [OM][PY] Histogram samples of one label group: buckets with a parsable, increasing le (+Inf
 * spelled so in OpenMetrics), integer non-decreasing counts; integer _count; counter-like
 * values neither negative nor NaN. */
static bool histogram_sample(struct checker *c, const char *suffix, const struct label *labels,
                             size_t count, double value) {
  struct group *g = &c->f.g;
  bool om = c->format == EXPOSITION_OPENMETRICS;
  if ((strcmp(suffix, "_bucket") == 0 || strcmp(suffix, "_count") == 0) &&
      !(isfinite(value) && value == floor(value))) {
    return fail(c, "[PY] %s value must be an integer", suffix);
  }
  if (strcmp(suffix, "_created") != 0 && (isnan(value) || value < 0) &&
      (om || strcmp(suffix, "_sum") != 0)) {
    return fail(c, "[PY] counter-like %s cannot be negative or NaN", suffix);
  }
  if (strcmp(suffix, "_bucket") == 0) {
    const struct label *le = find_label(labels, count, "le");
    double bound;
    if (!le) {
      return fail(c, "[GO][PY] bucket without le label");
    }
    if (!parse_number(le->value, le->value_length, &bound) || isnan(bound)) {
      return fail(c, "[GO][PY] invalid le label \"%s\"", le->value);
    }
    if (om && isinf(bound) && bound > 0 && strcmp(le->value, "+Inf") != 0) {
      return fail(c, "[PY] +Inf bound spelled \"%s\"", le->value);
    }
    if (g->bucket && !(bound > g->last_le)) {
      return fail(c, "[PY] buckets out of order");
    }
    if (g->bucket && value < g->last_bucket) {
      return fail(c, "[PY] bucket values out of order");
    }
    if (g->inf) {
      return fail(c, "[CEN] bucket after +Inf");
    }
    g->bucket = true;
    g->last_le = bound;
    g->last_bucket = value;
    g->negative_le |= bound < 0;
    if (isinf(bound)) {
      g->inf = true;
      g->inf_value = value;
    }
  } else if (strcmp(suffix, "_count") == 0) {
    if (g->count) {
      return fail(c, "[CEN] second _count");
    }
    g->count = true;
    g->count_value = value;
  } else if (strcmp(suffix, "_sum") == 0) {
    if (g->sum) {
      return fail(c, "[CEN] second _sum");
    }
    g->sum = true;
  }
  return true;
}

/* name [labels] SP value. */
static bool sample_line(struct checker *c, const char *s, size_t n) {
  bool om = c->format == EXPOSITION_OPENMETRICS;
  size_t name_length = metric_name_length(s, n);
  if (name_length == 0) {
    return fail(c, "expected a metric name");
  }
  size_t i = name_length;
  struct label *labels = NULL;
  size_t count = 0, capacity = 0;
  bool ok = true;
  if (i < n && s[i] == '{') {
    i++;
    bool first = true;
    while (ok) {
      if (i < n && s[i] == '}' && first) {
        i++;
        break;
      }
      size_t l = label_name_length(s + i, n - i);
      if (l == 0) {
        ok = fail(c, "expected a label name");
        break;
      }
      if (count == capacity) {
        capacity = capacity ? 2 * capacity : 8;
        struct label *grown = realloc(labels, capacity * sizeof *grown);
        if (!grown) {
          ok = fail(c, "out of memory");
          break;
        }
        labels = grown;
      }
      struct label *label = &labels[count];
      label->name = s + i;
      label->name_length = l;
      label->value = NULL;
      i += l;
      if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') {
        ok = fail(c, "expected =\" after label name");
        break;
      }
      i += 2;
      size_t used =
          parse_escaped(c, s + i, n - i, true, true, false, &label->value, &label->value_length);
      if (used == SIZE_MAX) {
        ok = false;
        break;
      }
      count++;
      i += used;
      if (i >= n || s[i] != '"') {
        ok = fail(c, "unterminated label value");
        break;
      }
      i++;
      if (!utf8_valid(label->value, label->value_length)) {
        ok = fail(c, "[GO] label value is not valid UTF-8");
        break;
      }
      if (label->name_length == 8 && memcmp(label->name, "__name__", 8) == 0) {
        ok = fail(c, "[GO] label name __name__ is reserved");
        break;
      }
      if (i < n && s[i] == ',') {
        i++;
        first = false;
        continue; /* [OM][PY][GO-OM] a label name must follow: no trailing comma */
      }
      if (i < n && s[i] == '}') {
        i++;
        break;
      }
      ok = fail(c, "expected ',' or '}' after a label");
    }
  }
  if (ok && (i >= n || s[i] != ' ')) {
    ok = fail(c, "expected a space before the value");
  }
  double value = 0;
  bool exemplar = false;
  if (ok) {
    i++;
    /* Stricter than the formats: census writes no timestamps on samples. An OpenMetrics
     * exemplar follows the value after " # ". */
    size_t end = n;
    for (size_t k = i; c->format == EXPOSITION_OPENMETRICS && k + 2 < n; k++) {
      if (s[k] == ' ' && s[k + 1] == '#' && s[k + 2] == ' ') {
        end = k;
        exemplar = true;
        break;
      }
    }
    if (!parse_number(s + i, end - i, &value)) {
      ok = fail(c, "invalid value \"%.*s\"", (int)(end - i), s + i);
    } else if (exemplar) {
      ok = exemplar_check(c, s + end + 3, n - end - 3);
    }
  }
  if (ok && count > 1) {
    qsort(labels, count, sizeof *labels, label_compare);
    for (size_t k = 1; ok && k < count; k++) {
      if (label_compare(&labels[k - 1], &labels[k]) == 0) {
        ok = fail(c, "[GO][PY] duplicate label name %.*s", (int)labels[k].name_length,
                  labels[k].name);
      }
    }
  }
  /* Which family the sample belongs to: the current one if its name is the family's name plus
   * a suffix of its type, else ([GO][PY]) a new family of unknown type named after it. */
  const char *suffix = NULL;
  if (ok && c->f.name && name_length >= c->f.name_length &&
      memcmp(s, c->f.name, c->f.name_length) == 0) {
    for (const char *const *x = type_suffixes(c->format, c->f.type); *x; x++) {
      if (strlen(*x) == name_length - c->f.name_length &&
          memcmp(s + c->f.name_length, *x, strlen(*x)) == 0) {
        suffix = *x;
      }
    }
  }
  if (ok && !suffix) {
    ok = family_start(c, s, name_length, T_NONE);
    suffix = "";
  }
  /* [OM] exemplars go on a counter's _total and a histogram's _bucket samples only. */
  if (ok && exemplar && !(c->f.type == T_COUNTER && strcmp(suffix, "_total") == 0) &&
      !(c->f.type == T_HISTOGRAM && strcmp(suffix, "_bucket") == 0)) {
    ok = fail(c, "[OM] an exemplar on %.*s, not a counter's _total or a histogram's _bucket",
              (int)name_length, s);
  }
  if (ok) {
    c->f.samples = true;
    size_t key_length;
    char *key = labels_key(s, name_length, labels, count, NULL, &key_length);
    int added = key ? set_add(&c->series, key, key_length) : -1;
    free(key);
    if (added < 0) {
      ok = fail(c, "out of memory");
    } else if (added == 0) {
      ok = fail(c, "[CEN] duplicate series %.*s", (int)name_length, s);
    }
  }
  if (ok) {
    /* [PY] label groups (labels without le for buckets) are contiguous within a family. */
    bool bucket = c->f.type == T_HISTOGRAM && strcmp(suffix, "_bucket") == 0;
    size_t key_length;
    char *key = labels_key("", 0, labels, count, bucket ? "le" : NULL, &key_length);
    if (!key) {
      ok = fail(c, "out of memory");
    } else if (!c->f.g.open || key_length != c->f.group_key_length ||
               memcmp(key, c->f.group_key, key_length) != 0) {
      ok = group_end(c);
      int added = ok ? set_add(&c->f.groups, key, key_length) : 1;
      if (added < 0) {
        ok = fail(c, "out of memory");
      } else if (added == 0) {
        ok = fail(c, "[PY] invalid metric grouping: a label set of %.*s comes back",
                  (int)c->f.name_length, c->f.name);
      }
      free(c->f.group_key);
      c->f.group_key = key;
      c->f.group_key_length = key_length;
      c->f.g = (struct group){.open = true};
      key = NULL;
    }
    free(key);
  }
  if (ok && om && c->f.type == T_COUNTER && strcmp(suffix, "_total") == 0 &&
      (isnan(value) || value < 0)) {
    ok = fail(c, "[PY] counter _total cannot be negative or NaN");
  }
  if (ok && c->f.type == T_HISTOGRAM) {
    ok = histogram_sample(c, suffix, labels, count, value);
  }
  for (size_t k = 0; k < count; k++) {
    free(labels[k].value);
  }
  free(labels);
  return ok;
}

/* ---- the whole text ------------------------------------------------------------------------ */

bool exposition_check(const char *text, size_t length, enum exposition_format format, char *why,
                      size_t why_size) {
  struct checker c = {.format = format, .why = why, .why_size = why_size};
  if (why_size > 0) {
    why[0] = '\0';
  }
  bool om = format == EXPOSITION_OPENMETRICS;
  size_t i = 0;
  while (i < length && !c.failed) {
    c.line++;
    const char *line = text + i;
    const char *end = memchr(line, '\n', length - i);
    size_t n = end ? (size_t)(end - line) : length - i;
    i += n + (end != NULL);
    if (memchr(line, '\0', n)) {
      fail(&c, "NUL byte");
      break;
    }
    if (c.eof) {
      fail(&c, "[OM][GO] data after # EOF");
      break;
    }
    if (!end && !(om && n == 5 && memcmp(line, "# EOF", 5) == 0)) {
      fail(&c, "no newline at the end of the line");
      break;
    }
    if (n == 0) {
      if (om) {
        fail(&c, "[OM][PY] empty line");
      }
      continue; /* the text format allows blank lines */
    }
    if (line[0] == '#') {
      metadata_line(&c, line, n);
    } else {
      sample_line(&c, line, n);
    }
  }
  if (!c.failed && !c.eof) {
    if (om) {
      c.line++;
      fail(&c, "[OM][GO] data does not end with # EOF");
    } else {
      family_end(&c);
    }
  }
  free(c.f.name);
  free(c.f.group_key);
  set_free(&c.f.groups);
  set_free(&c.reserved);
  set_free(&c.series);
  return !c.failed;
}
