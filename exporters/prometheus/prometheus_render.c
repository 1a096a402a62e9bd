/* prometheus_render.c - view data as Prometheus text 0.0.4 or OpenMetrics 1.0 text.
 *
 * One render walks a batch of snapshots once, in registration order, and writes one metric family
 * per view with rows: Count and Sum views become counters, LastValue views gauges, Distribution
 * views histograms. Views without rows are left out (Prometheus has nothing to store for them),
 * but still reserve their names, so that a view's name never depends on other views' rows.
 *
 * The invariant: whatever the view names, units, descriptions, columns, tag values, constant
 * label values and prefix, both formats parse strictly (Prometheus's parsers, the OpenMetrics
 * grammar and its rules; tests/fuzz/fuzz_prometheus_render.c checks it). Every name is built
 * from [a-zA-Z0-9_] only, is never empty, and no two families, labels or series can meet; every
 * rename that this takes is deterministic and reported once to the diagnostics callback.
 *
 * Names. A family's name is the prefix (sanitised, without trailing "_") and "_" and the view
 * name, sanitised: every byte outside [a-zA-Z0-9_] becomes "_", runs of "_" collapse into one,
 * trailing "_" go. A name that is then empty or only a type suffix ("_total" from "/total") would
 * leave an OpenMetrics family without a name: it becomes "unnamed", or the suffix without its
 * "_" ("total"). A leading digit gets a "_" in front. Then comes the unit as a word
 * (OpenTelemetry's Prometheus compatibility table: By -> bytes, ms -> milliseconds, "1" ->
 * nothing, a/b -> a_per_b, {annotations} dropped), unless the name already ends with it, and for
 * counters "_total" after the unit. A Count view counts measurements: its unit is "1" whatever
 * the measure's. With options->base_units, ms/us/ns/min/h/d become seconds and kBy..TBy,
 * KiBy..TiBy bytes, and values, sums and bucket bounds are scaled to match (powers of ten on the
 * decimal digits, so 1500 ms is exactly 1.5 s). OpenMetrics families are named without "_total"
 * (their samples carry it), as that format requires.
 * Collisions: every family reserves the sample names it writes (a histogram x reserves x,
 * x_bucket, x_sum, x_count, x_created; a counter x reserves x, x_total, x_created). A view whose
 * names would meet names reserved by an earlier view (registration order) gets "_2" (then "_3",
 * ...) inserted before its unit suffix, so the exposition never holds two families of one name.
 *
 * Labels. A view's columns are its labels, in column order, sanitised like names, then as
 * OpenTelemetry does: "key_" before a leading digit, "key" before a leading "_" (such names are
 * reserved). The reserved names "le", "quantile" and "otel_metric_overflow" become
 * "exported_<name>". A column whose label name an earlier column of the view already has gets
 * "_2" (then "_3", ...): series identity survives sanitising (joining the values, as
 * OpenTelemetry does, would let two rows render as one series).
 * Constant labels come first on every sample; one whose name a column also uses is left out of
 * that view (the column wins). The overflow row carries otel_metric_overflow="true" and no column
 * labels (its values are all ""). Label values are escaped (\\, \", \n) and made valid UTF-8
 * (invalid bytes become U+FFFD); tag values are printable ASCII, so the common case is one scan
 * and one copy.
 *
 * Numbers: int64 values are written as integers; doubles in the shortest form that reads back
 * exactly (%.15g, %.16g or %.17g), NaN, +Inf and -Inf as Prometheus spells them. In OpenMetrics,
 * bucket bounds are canonical numbers ("1.0"), so a bound reads the same in every exposition from
 * OpenMetrics exposers. No timestamps: on a pull endpoint the scrape time is the sample time.
 * OpenMetrics counters and histograms carry _created (the view's start time, when its cumulative
 * values started from zero); a histogram with a negative bound has no _sum and _count there, as
 * OpenMetrics requires (the +Inf bucket holds the count).
 *
 * The output buffer grows by doubling and is returned to the caller; nothing else is allocated
 * per row, so rendering costs a few copies per sample.
 */
#include "census/exporters/prometheus.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"

/* ---- a growing output buffer -------------------------------------------------------------- */

struct out {
  char *data;
  size_t length, capacity;
  bool failed;
};

/* Makes room for `n` more bytes; false (and the buffer marked failed) if memory is exhausted. */
static bool out_reserve(struct out *o, size_t n) {
  if (o->failed) {
    return false;
  }
  if (o->length + n + 1 <= o->capacity) {
    return true;
  }
  size_t capacity = o->capacity ? o->capacity : 4096;
  while (capacity < o->length + n + 1) {
    capacity *= 2;
  }
  char *grown = realloc(o->data, capacity);
  if (!grown) {
    o->failed = true;
    return false;
  }
  o->data = grown;
  o->capacity = capacity;
  return true;
}

static void out_put(struct out *o, const char *s, size_t n) {
  if (n > 0 && out_reserve(o, n)) {
    memcpy(o->data + o->length, s, n);
    o->length += n;
  }
}

static void out_str(struct out *o, const char *s) { out_put(o, s, strlen(s)); }

static void out_char(struct out *o, char c) {
  if (out_reserve(o, 1)) {
    o->data[o->length++] = c;
  }
}

/* Decimal int64, without snprintf (the hot path of counters). */
static void out_int(struct out *o, int64_t v) {
  char digits[24];
  size_t n = sizeof digits;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    digits[--n] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) {
    digits[--n] = '-';
  }
  out_put(o, digits + n, sizeof digits - n);
}

/* A double in the shortest of %.15g, %.16g, %.17g that reads back exactly; NaN, +Inf, -Inf spelled
 * as Prometheus parses them. `canonical` (OpenMetrics bucket bounds) adds ".0" to integral values.
 */
static void out_double(struct out *o, double d, bool canonical) {
  if (isnan(d)) {
    out_str(o, "NaN");
    return;
  }
  if (isinf(d)) {
    out_str(o, d > 0 ? "+Inf" : "-Inf");
    return;
  }
  char text[40];
  int n = 0;
  for (int precision = 15; precision <= 17; precision++) {
    n = snprintf(text, sizeof text, "%.*g", precision, d);
    if (strtod(text, NULL) == d) {
      break;
    }
  }
  out_put(o, text, (size_t)n);
  if (canonical && !strpbrk(text, ".eE")) {
    out_str(o, ".0");
  }
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one. */
static size_t utf8_sequence(const unsigned char *s) {
  unsigned char c = s[0];
  size_t n;
  uint32_t cp;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      return 0;
    }
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return 0;
  }
  return n;
}

/* Writes `s` escaped: backslash and newline always, double quote when `quote`; invalid UTF-8
 * bytes become U+FFFD. Printable ASCII without those characters is copied in one go. */
static void out_escaped(struct out *o, const char *s, bool quote) {
  const unsigned char *p = (const unsigned char *)s;
  size_t plain = 0;
  while (p[plain] >= 0x20 && p[plain] < 0x7f && p[plain] != '\\' && p[plain] != '"') {
    plain++;
  }
  out_put(o, s, plain);
  p += plain;
  while (*p) {
    if (*p == '\\') {
      out_str(o, "\\\\");
      p++;
    } else if (*p == '\n') {
      out_str(o, "\\n");
      p++;
    } else if (*p == '"' && quote) {
      out_str(o, "\\\"");
      p++;
    } else {
      size_t n = utf8_sequence(p);
      if (n == 0) {
        out_str(o, "\xef\xbf\xbd");
        p++;
      } else {
        out_put(o, (const char *)p, n);
        p += n;
      }
    }
  }
}

/* ---- base-unit scaling -------------------------------------------------------------------- */

/* How values of a view are scaled for options->base_units: by a power of ten (done on the
 * decimal digits, so 1500 ms is exactly 1.5 s and a bound of 0.1 ms exactly 0.0001 s), by a
 * power of two (exact), or by an integer factor (minutes, hours, days). */
enum scale_kind { SCALE_NONE, SCALE_DECIMAL, SCALE_BINARY, SCALE_FACTOR };

struct scale {
  enum scale_kind kind;
  int amount; /* the power of ten or two, or the factor */
};

/* v x 10^shift, correctly rounded from the shortest decimal form of v: the digits that read back
 * as v get their exponent moved, and strtod rounds once. */
static double decimal_shift(double v, int shift) {
  if (v == 0 || !isfinite(v)) {
    return v;
  }
  char text[64];
  for (int precision = 0; precision <= 16; precision++) {
    snprintf(text, sizeof text, "%.*e", precision, v);
    if (strtod(text, NULL) == v) {
      break;
    }
  }
  char *e = strchr(text, 'e');
  long exponent = strtol(e + 1, NULL, 10) + shift;
  snprintf(e, sizeof text - (size_t)(e - text), "e%ld", exponent);
  return strtod(text, NULL);
}

static double scaled_double(double v, const struct scale *s) {
  switch (s->kind) {
  case SCALE_DECIMAL:
    return decimal_shift(v, s->amount);
  case SCALE_BINARY:
    return ldexp(v, s->amount);
  case SCALE_FACTOR:
    return v * s->amount;
  case SCALE_NONE:
    break;
  }
  return v;
}

/* An int64 value scaled: its exact digits with the exponent moved for powers of ten. */
static double scaled_int(int64_t v, const struct scale *s) {
  if (s->kind == SCALE_DECIMAL) {
    char text[48];
    snprintf(text, sizeof text, "%" PRId64 "e%d", v, s->amount);
    return strtod(text, NULL);
  }
  return scaled_double((double)v, s);
}

/* Writes an int64 value, scaled if the view is converted to base units. */
static void out_value_int(struct out *o, int64_t v, const struct scale *s) {
  if (s->kind == SCALE_NONE) {
    out_int(o, v);
  } else {
    out_double(o, scaled_int(v, s), false);
  }
}

static void out_value_double(struct out *o, double v, const struct scale *s) {
  out_double(o, scaled_double(v, s), false);
}

/* Unix time in nanoseconds as decimal seconds ("1700000000.25"), exactly, for _created. */
static void out_unix_seconds(struct out *o, int64_t ns) {
  uint64_t magnitude = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  char text[40];
  int n = snprintf(text, sizeof text, "%s%" PRIu64, ns < 0 ? "-" : "", magnitude / 1000000000u);
  uint32_t fraction = (uint32_t)(magnitude % 1000000000u);
  if (fraction) {
    n += snprintf(text + n, sizeof text - (size_t)n, ".%09" PRIu32, fraction);
    while (text[n - 1] == '0') {
      n--;
    }
  }
  out_put(o, text, (size_t)n);
}

/* ---- diagnostics, once per message --------------------------------------------------------- */

/* Renames are reported to the diagnostics callback once per process, not on every scrape: a
 * lock-free set of message hashes (open addressing, never emptied; fork-safe because it takes no
 * lock). When it is full, one last message says that further ones are not reported. */
#define REPORTED_SLOTS 512
static _Atomic uint64_t reported[REPORTED_SLOTS];

static uint64_t message_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++) {
    h = (h ^ (unsigned char)*s) * 0x100000001b3u;
  }
  return h ? h : 1;
}

static void report_once(census_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void report_once(census_status status, const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  uint64_t h = message_hash(message);
  for (size_t i = 0; i < REPORTED_SLOTS; i++) {
    size_t slot = (size_t)((h + i) % REPORTED_SLOTS);
    uint64_t seen = atomic_load_explicit(&reported[slot], memory_order_relaxed);
    if (seen == h) {
      return;
    }
    if (seen == 0) {
      if (atomic_compare_exchange_strong(&reported[slot], &seen, h)) {
        census_diagnostics_report(status, message);
        return;
      }
      if (seen == h) {
        return;
      }
    }
  }
  static atomic_bool full_reported;
  if (!atomic_exchange(&full_reported, true)) {
    census_diagnostics_report(status, "prometheus: further renames are not reported");
  }
}

/* ---- names -------------------------------------------------------------------------------- */

/* Appends `s` sanitised to [a-zA-Z0-9_] with runs of "_" collapsed (also across the join with
 * what `o` already ends with). */
static void out_sanitized(struct out *o, const char *s) {
  for (; *s; s++) {
    char c = isalnum((unsigned char)*s) ? *s : '_';
    if (c == '_' && o->length > 0 && o->data[o->length - 1] == '_') {
      continue;
    }
    out_char(o, c);
  }
}

/* One UCUM unit: its word in names, and with options->base_units its base unit and scale. */
struct unit_info {
  const char *ucum, *word;
  const char *base; /* NULL: already a base unit, or no conversion */
  struct scale scale;
};

static const struct unit_info unit_table[] = {
    {"s", "seconds", NULL, {SCALE_NONE, 0}},
    {"ms", "milliseconds", "seconds", {SCALE_DECIMAL, -3}},
    {"us", "microseconds", "seconds", {SCALE_DECIMAL, -6}},
    {"ns", "nanoseconds", "seconds", {SCALE_DECIMAL, -9}},
    {"min", "minutes", "seconds", {SCALE_FACTOR, 60}},
    {"h", "hours", "seconds", {SCALE_FACTOR, 3600}},
    {"d", "days", "seconds", {SCALE_FACTOR, 86400}},
    {"By", "bytes", NULL, {SCALE_NONE, 0}},
    {"KiBy", "kibibytes", "bytes", {SCALE_BINARY, 10}},
    {"MiBy", "mebibytes", "bytes", {SCALE_BINARY, 20}},
    {"GiBy", "gibibytes", "bytes", {SCALE_BINARY, 30}},
    {"TiBy", "tebibytes", "bytes", {SCALE_BINARY, 40}},
    {"kBy", "kilobytes", "bytes", {SCALE_DECIMAL, 3}},
    {"MBy", "megabytes", "bytes", {SCALE_DECIMAL, 6}},
    {"GBy", "gigabytes", "bytes", {SCALE_DECIMAL, 9}},
    {"TBy", "terabytes", "bytes", {SCALE_DECIMAL, 12}},
    {"m", "meters", NULL, {SCALE_NONE, 0}},
    {"V", "volts", NULL, {SCALE_NONE, 0}},
    {"A", "amperes", NULL, {SCALE_NONE, 0}},
    {"J", "joules", NULL, {SCALE_NONE, 0}},
    {"W", "watts", NULL, {SCALE_NONE, 0}},
    {"g", "grams", NULL, {SCALE_NONE, 0}},
    {"Cel", "celsius", NULL, {SCALE_NONE, 0}},
    {"Hz", "hertz", NULL, {SCALE_NONE, 0}},
    {"%", "percent", NULL, {SCALE_NONE, 0}},
    {"1", "", NULL, {SCALE_NONE, 0}},
};

/* The table entry for one UCUM unit (no "/"), or NULL. */
static const struct unit_info *unit_lookup(const char *unit, size_t n) {
  for (size_t i = 0; i < sizeof unit_table / sizeof unit_table[0]; i++) {
    if (strlen(unit_table[i].ucum) == n && memcmp(unit_table[i].ucum, unit, n) == 0) {
      return &unit_table[i];
    }
  }
  return NULL;
}

/* Singular words for the denominator of a/b units ("per second", not "per seconds"). */
static const char *per_word(const char *unit, size_t n) {
  static const char *const table[][2] = {{"s", "second"}, {"m", "minute"}, {"min", "minute"},
                                         {"h", "hour"},   {"d", "day"},    {"ms", "millisecond"}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strlen(table[i][0]) == n && memcmp(table[i][0], unit, n) == 0) {
      return table[i][1];
    }
  }
  return NULL;
}

/* Appends one side of a unit: its word from the table, else the text sanitised. */
static void unit_part(struct out *o, const char *unit, size_t n, bool denominator) {
  const char *word = denominator ? per_word(unit, n) : NULL;
  const struct unit_info *info = word ? NULL : unit_lookup(unit, n);
  word = word ? word : info ? info->word : NULL;
  if (word) {
    out_str(o, word);
    return;
  }
  char copy[64];
  n = n < sizeof copy - 1 ? n : sizeof copy - 1;
  memcpy(copy, unit, n);
  copy[n] = '\0';
  out_sanitized(o, copy);
}

/* `unit` without its {annotations} ("{request}/s" -> "/s"), at most size - 1 bytes. */
static void unit_bare(const char *unit, char *bare, size_t size) {
  size_t n = 0;
  int depth = 0;
  for (const char *s = unit ? unit : ""; *s && n < size - 1; s++) {
    if (*s == '{') {
      depth++;
    } else if (*s == '}') {
      depth -= depth > 0;
    } else if (depth == 0) {
      bare[n++] = *s;
    }
  }
  bare[n] = '\0';
}

/* The unit suffix for `unit` (without the leading "_") into `o`: "" for "1", for units made only
 * of annotations, and for NULL. Never starts or ends with "_", never holds "__". */
static void unit_suffix(struct out *o, const char *unit) {
  char bare[128];
  unit_bare(unit, bare, sizeof bare);
  char *slash = strchr(bare, '/');
  size_t start = o->length;
  if (slash) {
    unit_part(o, bare, (size_t)(slash - bare), false);
    if (slash[1]) {
      out_sanitized(o, o->length > start ? "_per_" : "per_");
      unit_part(o, slash + 1, strlen(slash + 1), true);
    }
  } else {
    unit_part(o, bare, strlen(bare), false);
  }
  /* Trim "_" at either end so the join with the name stays single. */
  while (o->length > start && o->data[o->length - 1] == '_') {
    o->length--;
  }
  if (o->length > start && o->data[start] == '_') {
    memmove(o->data + start, o->data + start + 1, o->length - start - 1);
    o->length--;
  }
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The unit of view `d` as rendered: the word of its name suffix ("" for none) into `word`, the
 * word of the measure's own unit when base units replace it (so that a view name ending in either
 * is not suffixed twice) into `original`, and the scale of its values. A Count view counts
 * measurements: its unit is "1" whatever the measure's unit. With options->base_units, a unit
 * of the table with a base unit is converted, unless that would make a distribution's bounds
 * collapse or overflow (then the view keeps its unit, reported once). */
static void view_unit(const census_view_data *d, const census_prometheus_options *options,
                      struct out *word, struct out *original, struct scale *scale) {
  *scale = (struct scale){SCALE_NONE, 0};
  const char *unit = census_view_data_unit(d); /* "1" for a Count view: no suffix */
  unit_suffix(word, unit);
  char bare[128];
  unit_bare(unit, bare, sizeof bare);
  const struct unit_info *info = options->base_units ? unit_lookup(bare, strlen(bare)) : NULL;
  if (!info || !info->base) {
    return;
  }
  const double *bounds = NULL;
  size_t count = census_view_data_bounds(d, &bounds);
  for (size_t i = 0; i < count; i++) {
    double b = scaled_double(bounds[i], &info->scale);
    if (!isfinite(b) || (i > 0 && !(b > scaled_double(bounds[i - 1], &info->scale)))) {
      report_once(CENSUS_EBADBOUNDS,
                  "prometheus: view \"%s\" keeps its unit %s: its bucket bounds do not stay "
                  "finite and distinct in %s",
                  census_view_data_name(d), info->ucum, info->base);
      return;
    }
  }
  original->length = 0;
  out_put(original, word->data, word->length);
  word->length = 0;
  out_str(word, info->base);
  *scale = info->scale;
}

/* A label name is reserved when Prometheus gives it a meaning: "le" (histogram buckets),
 * "quantile" (summaries), "otel_metric_overflow" (census's overflow row). */
static bool label_reserved(const char *name) {
  return strcmp(name, "le") == 0 || strcmp(name, "quantile") == 0 ||
         strcmp(name, "otel_metric_overflow") == 0;
}

/* The label name for a column: sanitised, then (OpenTelemetry's rule) "key_" before a leading
 * digit and "key" before a leading "_" (names starting with "_" are reserved), "exported_" before
 * a reserved name. Never empty, never starts with "_". NULL if memory is exhausted. */
static char *label_name(const char *name) {
  struct out s = {0};
  out_sanitized(&s, name);
  struct out o = {0};
  if (s.length == 0) {
    out_str(&o, "key");
  } else if (isdigit((unsigned char)s.data[0])) {
    out_str(&o, "key_");
  } else if (s.data[0] == '_') {
    out_str(&o, "key");
  }
  out_put(&o, s.data ? s.data : "", s.length);
  free(s.data);
  out_char(&o, '\0');
  if (!o.failed && label_reserved(o.data)) {
    struct out e = {0};
    out_str(&e, "exported_");
    out_str(&e, o.data);
    out_char(&e, '\0');
    free(o.data);
    o = e;
  }
  if (o.failed) {
    free(o.data);
    return NULL;
  }
  return o.data;
}

/* True for a name Prometheus accepts as a label name and that we may use as a constant label. */
static bool const_label_name_valid(const char *name) {
  if (!name || !*name || isdigit((unsigned char)*name) || strncmp(name, "__", 2) == 0 ||
      label_reserved(name)) {
    return false;
  }
  for (const char *s = name; *s; s++) {
    if (!isalnum((unsigned char)*s) && *s != '_') {
      return false;
    }
  }
  return true;
}

/* ---- one render --------------------------------------------------------------------------- */

/* Sample names reserved by the families written so far (see the file comment), each with the
 * name of the view that reserved it (borrowed from its snapshot, for the render's life). */
struct reserved {
  char **names;
  const char **owners;
  size_t count, capacity;
};

/* The view that reserved `name`, or NULL if it is free. */
static const char *reserved_owner(const struct reserved *r, const char *name) {
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->names[i], name) == 0) {
      return r->owners[i];
    }
  }
  return NULL;
}

static bool reserved_add(struct reserved *r, const char *name, const char *owner) {
  if (r->count == r->capacity) {
    size_t capacity = r->capacity ? r->capacity * 2 : 32;
    char **grown = realloc(r->names, capacity * sizeof *grown);
    if (!grown) {
      return false;
    }
    r->names = grown;
    const char **owners = realloc(r->owners, capacity * sizeof *owners);
    if (!owners) {
      return false;
    }
    r->owners = owners;
    r->capacity = capacity;
  }
  if ((r->names[r->count] = strdup(name)) == NULL) {
    return false;
  }
  r->owners[r->count++] = owner;
  return true;
}

static void reserved_free(struct reserved *r) {
  for (size_t i = 0; i < r->count; i++) {
    free(r->names[i]);
  }
  free(r->names);
  free(r->owners);
}

/* The sample-name suffixes each kind of family reserves (those of OpenMetrics, which has the
 * most: a counter's _created, a histogram's _created). */
static const char *const counter_suffixes[] = {"", "_total", "_created", NULL};
static const char *const gauge_suffixes[] = {"", NULL};
static const char *const histogram_suffixes[] = {"", "_bucket", "_sum", "_count", "_created", NULL};

/* The names that a family name alone must not be: the type suffixes of OpenMetrics, which a
 * parser would read as a sample of a family with an empty name. */
static bool is_reserved_suffix(const char *s) {
  static const char *const suffixes[] = {"_total",  "_created", "_count", "_sum", "_bucket",
                                         "_gcount", "_gsum",    "_info",  NULL};
  for (const char *const *x = suffixes; *x; x++) {
    if (strcmp(s, *x) == 0) {
      return true;
    }
  }
  return false;
}

/* Chooses the family name of view `d` (without "_total"), free of collisions with `reserved`,
 * reserves its sample names, and returns it (malloc'd) with *unit_start set to the offset of the
 * unit suffix's "_" (or the name's length if it has none). `unit` is the unit word ("" for none),
 * `original` the word of the measure's unit when base units replaced it ("" otherwise). Every
 * rename is reported once. NULL if memory is exhausted. */
static char *family_name(const census_view_data *d, const census_prometheus_options *options,
                         struct reserved *reserved, const struct out *unit,
                         const struct out *original, size_t *unit_start) {
  census_aggregation_type type = census_view_data_aggregation(d);
  bool counter = type == CENSUS_AGGREGATION_COUNT || type == CENSUS_AGGREGATION_SUM;
  const char *const *suffixes = counter                                 ? counter_suffixes
                                : type == CENSUS_AGGREGATION_LAST_VALUE ? gauge_suffixes
                                                                        : histogram_suffixes;
  const char *view = census_view_data_name(d);
  struct out base = {0};
  if (options->name_prefix && *options->name_prefix) {
    out_sanitized(&base, options->name_prefix);
    while (base.length > 0 && base.data[base.length - 1] == '_') {
      base.length--; /* "app_" and "app." join as "app_<view>", not "app__<view>" */
    }
    if (base.length > 0) {
      out_char(&base, '_');
    }
  }
  out_sanitized(&base, view ? view : "");
  while (base.length > 0 && base.data[base.length - 1] == '_') {
    base.length--;
  }
  out_char(&base, '\0');
  if (base.failed) {
    free(base.data);
    return NULL;
  }
  base.length--;
  /* A name that is nothing, or nothing but a type suffix ("_total", "-total", "/total"), would
   * leave a family without a name: it loses its leading "_" ("total"), or is "unnamed". */
  if (base.length == 0 || is_reserved_suffix(base.data)) {
    char before[16]; /* "" or a suffix from is_reserved_suffix() */
    snprintf(before, sizeof before, "%s", base.data);
    const char *safe = base.length == 0 ? "unnamed" : before + 1;
    base.length = 0;
    out_str(&base, safe);
    out_char(&base, '\0');
    base.length--;
    report_once(CENSUS_EBADNAME,
                "prometheus: view \"%s\" sanitises to \"%s\", which is no family name; it is "
                "exported as %s",
                view, before, base.failed ? "" : base.data);
  }
  /* Suffixes the renderer adds itself are not doubled, unless nothing would be left. */
  if (counter && base.length > 6 && ends_with(base.data, base.length, "_total")) {
    base.length -= 6;
  }
  const char *words[] = {unit->length > 1 ? unit->data : NULL,
                         original->length > 1 ? original->data : NULL};
  for (size_t w = 0; w < 2; w++) {
    size_t k = words[w] ? strlen(words[w]) : 0;
    if (k && base.length > k + 1 && base.data[base.length - k - 1] == '_' &&
        ends_with(base.data, base.length, words[w])) {
      base.length -= k + 1; /* the view name already ends with its unit */
      break;
    }
  }
  if (base.length > 0 && isdigit((unsigned char)base.data[0])) {
    out_char(&base, '_');
    memmove(base.data + 1, base.data, base.length - 1);
    base.data[0] = '_';
  }
  char *result = NULL;
  const char *taken_by = NULL;
  char first[512] = "";
  for (int attempt = 1; !base.failed && attempt < 1000000; attempt++) {
    struct out name = {0};
    out_put(&name, base.data, base.length);
    if (attempt > 1) {
      char number[16];
      out_put(&name, number, (size_t)snprintf(number, sizeof number, "_%d", attempt));
    }
    *unit_start = name.length;
    if (unit->length > 1) {
      out_char(&name, '_');
      out_str(&name, unit->data);
    }
    size_t stem = name.length;
    const char *owner = NULL;
    for (const char *const *s = suffixes; *s && !name.failed && !owner; s++) {
      name.length = stem;
      out_str(&name, *s);
      out_char(&name, '\0');
      owner = name.failed ? NULL : reserved_owner(reserved, name.data);
      if (owner && attempt == 1) {
        taken_by = owner;
        snprintf(first, sizeof first, "%s", name.data);
      }
    }
    if (name.failed) {
      free(name.data);
      break;
    }
    if (!owner) {
      bool ok = true;
      for (const char *const *s = suffixes; *s && ok; s++) {
        name.length = stem;
        out_str(&name, *s);
        out_char(&name, '\0');
        ok = !name.failed && reserved_add(reserved, name.data, view);
      }
      name.length = stem;
      name.data[stem] = '\0';
      result = ok ? name.data : (free(name.data), NULL);
      if (result && attempt > 1) {
        report_once(CENSUS_ECONFLICT,
                    "prometheus: view \"%s\" is exported as %s: %s is taken by view \"%s\"", view,
                    result, first, taken_by);
      }
      break;
    }
    free(name.data);
  }
  free(base.data);
  return result;
}

/* One label of a view: its name and the column whose values it carries. */
struct label {
  char *name;
  size_t column;
};

/* The labels of view `d`, one per column in column order (see the file comment): a column whose
 * label name an earlier column already has gets "_2" (then "_3", ...), so two rows never render
 * as one series. NULL with *count 0 if it has no columns, NULL with *failed set if memory is
 * exhausted. Renames are reported once. */
static struct label *view_labels(const census_view_data *d, size_t *count, bool *failed) {
  size_t n = census_view_data_column_count(d);
  *count = 0;
  if (n == 0) {
    return NULL;
  }
  struct label *labels = calloc(n, sizeof *labels);
  if (!labels) {
    *failed = true;
    return NULL;
  }
  for (size_t c = 0; c < n && !*failed; c++) {
    const char *column = census_view_data_column(d, c);
    char *name = label_name(column ? column : "");
    size_t earlier = n;
    for (int attempt = 2; name && attempt < 1000000; attempt++) {
      size_t l = 0;
      while (l < *count && strcmp(labels[l].name, name) != 0) {
        l++;
      }
      if (l == *count) {
        break;
      }
      earlier = earlier == n ? l : earlier; /* label l is column l's: one label per column */
      size_t base_length = strlen(labels[earlier].name);
      char *next = malloc(base_length + 16);
      if (next) {
        snprintf(next, base_length + 16, "%s_%d", labels[earlier].name, attempt);
      }
      free(name);
      name = next;
    }
    if (!name) {
      *failed = true;
      break;
    }
    if (earlier != n) {
      report_once(CENSUS_ECONFLICT,
                  "prometheus: view \"%s\": column \"%s\" is exported as label %s, because column "
                  "\"%s\" is %s",
                  census_view_data_name(d), column ? column : "", name,
                  census_view_data_column(d, earlier), labels[earlier].name);
    }
    labels[*count].name = name;
    labels[*count].column = c;
    ++*count;
  }
  return labels;
}

static void labels_free(struct label *labels, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(labels[i].name);
  }
  free(labels);
}

/* Writes the labels of one row, without braces, into `o`: constant labels (already rendered in
 * `constants`), then the view's labels or, for the overflow row, otel_metric_overflow="true". */
static void row_labels(struct out *o, const struct out *constants, const census_view_data *d,
                       size_t row, const struct label *labels, size_t label_count) {
  out_put(o, constants->data, constants->length);
  bool first = constants->length == 0;
  if (census_view_data_row_is_overflow(d, row)) {
    out_str(o, first ? "otel_metric_overflow=\"true\"" : ",otel_metric_overflow=\"true\"");
    return;
  }
  for (size_t l = 0; l < label_count; l++) {
    if (!first) {
      out_char(o, ',');
    }
    first = false;
    out_str(o, labels[l].name);
    out_put(o, "=\"", 2);
    const char *value = census_view_data_row_value(d, row, labels[l].column);
    out_escaped(o, value ? value : "", true);
    out_char(o, '"');
  }
}

/* A sample line: name suffix {labels extra} value. `value` is written by the caller. */
static void sample_start(struct out *o, const char *name, size_t name_length, const char *suffix,
                         const struct out *labels, const char *extra) {
  out_put(o, name, name_length);
  out_str(o, suffix);
  if (labels->length || extra) {
    out_char(o, '{');
    out_put(o, labels->data, labels->length);
    if (extra) {
      if (labels->length) {
        out_char(o, ',');
      }
      out_str(o, extra);
    }
    out_char(o, '}');
  }
  out_char(o, ' ');
}

/* Writes the _created sample of a row (OpenMetrics counters and histograms): the view's start
 * time, when its cumulative values started from zero. */
static void created_sample(struct out *o, const char *name, size_t name_length,
                           const struct out *labels, int64_t start_ns) {
  sample_start(o, name, name_length, "_created", labels, NULL);
  out_unix_seconds(o, start_ns);
  out_char(o, '\n');
}

/* Renders the family of view `d`. */
static void render_view(struct out *o, const census_view_data *d,
                        const census_prometheus_options *options, struct reserved *reserved,
                        struct out *scratch) {
  size_t rows = census_view_data_row_count(d);
  census_aggregation_type type = census_view_data_aggregation(d);
  bool openmetrics = options->format == CENSUS_PROMETHEUS_OPENMETRICS;
  bool counter = type == CENSUS_AGGREGATION_COUNT || type == CENSUS_AGGREGATION_SUM;
  const census_measure *measure = census_view_data_measure(d);
  bool is_int = census_measure_value_type(measure) == CENSUS_MEASURE_INT64;
  struct out unit = {0}, original = {0};
  struct scale scale;
  view_unit(d, options, &unit, &original, &scale);
  out_char(&unit, '\0');
  out_char(&original, '\0');
  size_t unit_start = 0;
  char *name = unit.failed || original.failed
                   ? NULL
                   : family_name(d, options, reserved, &unit, &original, &unit_start);
  free(unit.data);
  free(original.data);
  bool failed = name == NULL;
  if (rows == 0) {
    free(name); /* its names stay reserved, so other views' names do not depend on its rows */
    o->failed |= failed;
    return;
  }
  size_t label_count = 0;
  struct label *labels = failed ? NULL : view_labels(d, &label_count, &failed);
  if (failed) {
    o->failed = true;
    free(name);
    labels_free(labels, label_count);
    return;
  }
  size_t name_length = strlen(name);
  /* The metadata: the family name of the text format includes "_total". */
  const char *type_name = counter                                 ? "counter"
                          : type == CENSUS_AGGREGATION_LAST_VALUE ? "gauge"
                                                                  : "histogram";
  const char *family_suffix = counter && !openmetrics ? "_total" : "";
  const char *help = census_view_data_description(d);
  help = help && *help ? help : census_measure_description(measure);
  help = help && *help ? help : census_view_data_name(d);
  out_str(o, "# HELP ");
  out_put(o, name, name_length);
  out_str(o, family_suffix);
  out_char(o, ' ');
  out_escaped(o, help ? help : "", openmetrics);
  out_str(o, "\n# TYPE ");
  out_put(o, name, name_length);
  out_str(o, family_suffix);
  out_char(o, ' ');
  out_str(o, type_name);
  out_char(o, '\n');
  if (openmetrics && unit_start < name_length) {
    out_str(o, "# UNIT ");
    out_put(o, name, name_length);
    out_char(o, ' ');
    out_put(o, name + unit_start + 1, name_length - unit_start - 1);
    out_char(o, '\n');
  }

  /* Constant labels, minus those a column of this view also uses, rendered once per view. */
  struct out constants = {0};
  for (size_t i = 0; i < options->const_label_count; i++) {
    const census_prometheus_label *c = &options->const_labels[i];
    bool shadowed = false;
    for (size_t l = 0; l < label_count && !shadowed; l++) {
      shadowed = strcmp(labels[l].name, c->name) == 0;
    }
    if (!shadowed) {
      if (constants.length) {
        out_char(&constants, ',');
      }
      out_str(&constants, c->name);
      out_put(&constants, "=\"", 2);
      out_escaped(&constants, c->value ? c->value : "", true);
      out_char(&constants, '"');
    }
  }
  const double *bounds = NULL;
  size_t bound_count = census_view_data_bounds(d, &bounds);
  /* OpenMetrics: a histogram with a negative bucket bound MUST NOT have _sum, and _count goes
   * with _sum; the +Inf bucket still holds the count. The text format keeps both: census values
   * are never negative, so the sum is still a counter (docs/exporters/prometheus.md). */
  bool with_sum = !openmetrics || bound_count == 0 || !(bounds[0] < 0);
  int64_t start_ns = census_view_data_start_time_ns(d);
  for (size_t row = 0; row < rows && !o->failed && !constants.failed; row++) {
    census_point p;
    if (census_view_data_row_point(d, row, &p) != CENSUS_OK) {
      continue;
    }
    scratch->length = 0;
    row_labels(scratch, &constants, d, row, labels, label_count);
    if (scratch->failed) {
      o->failed = true;
      break;
    }
    switch (type) {
    case CENSUS_AGGREGATION_COUNT:
      sample_start(o, name, name_length, "_total", scratch, NULL);
      out_int(o, p.count);
      out_char(o, '\n');
      break;
    case CENSUS_AGGREGATION_SUM:
    case CENSUS_AGGREGATION_LAST_VALUE:
      sample_start(o, name, name_length, counter ? "_total" : "", scratch, NULL);
      if (is_int) {
        out_value_int(o, p.int_value, &scale);
      } else {
        out_value_double(o, p.double_value, &scale);
      }
      out_char(o, '\n');
      break;
    case CENSUS_AGGREGATION_DISTRIBUTION: {
      int64_t cumulative = 0;
      for (size_t b = 0; b < p.bucket_count; b++) {
        cumulative += p.bucket_counts[b];
        struct out le = {0};
        char text[64] = "le=\"+Inf\"";
        if (b < bound_count) {
          le = (struct out){.data = text, .capacity = sizeof text};
          out_str(&le, "le=\"");
          out_double(&le, scaled_double(bounds[b], &scale) + 0.0, openmetrics); /* -0 is 0 */
          out_char(&le, '"');
          text[le.length < sizeof text ? le.length : sizeof text - 1] = '\0';
        }
        sample_start(o, name, name_length, "_bucket", scratch, text);
        out_int(o, cumulative);
        out_char(o, '\n');
      }
      if (with_sum) {
        sample_start(o, name, name_length, "_sum", scratch, NULL);
        if (is_int) {
          out_value_int(o, p.int_value, &scale); /* the exact sum: an integer when unscaled */
        } else {
          out_value_double(o, p.double_value, &scale);
        }
        out_char(o, '\n');
        sample_start(o, name, name_length, "_count", scratch, NULL);
        out_int(o, p.count);
        out_char(o, '\n');
      }
      break;
    }
    }
    if (openmetrics && type != CENSUS_AGGREGATION_LAST_VALUE) {
      created_sample(o, name, name_length, scratch, start_ns);
    }
  }
  o->failed |= constants.failed;
  free(constants.data);
  free(name);
  labels_free(labels, label_count);
}

/* Checks the options a render needs; CENSUS_OK or CENSUS_EINVAL. */
static census_status options_check(const census_prometheus_options *options) {
  if (options->format != CENSUS_PROMETHEUS_TEXT &&
      options->format != CENSUS_PROMETHEUS_OPENMETRICS) {
    return CENSUS_EINVAL;
  }
  if (options->const_label_count && !options->const_labels) {
    return CENSUS_EINVAL;
  }
  for (size_t i = 0; i < options->const_label_count; i++) {
    if (!const_label_name_valid(options->const_labels[i].name)) {
      return CENSUS_EINVAL;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(options->const_labels[i].name, options->const_labels[j].name) == 0) {
        return CENSUS_EINVAL;
      }
    }
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_prometheus_render_views(const census_view_data *const *views,
                                                           size_t count,
                                                           const census_prometheus_options *options,
                                                           char **text, size_t *length) {
  static const census_prometheus_options defaults = {0};
  if (text) {
    *text = NULL;
  }
  if (!text || !length || (count && !views)) {
    return CENSUS_EINVAL;
  }
  *length = 0;
  options = options ? options : &defaults;
  census_status status = options_check(options);
  if (status != CENSUS_OK) {
    return status;
  }
  struct out o = {0};
  struct out scratch = {0};
  struct reserved reserved = {0};
  out_reserve(&o, 256 + count * 256);
  for (size_t i = 0; i < count && !o.failed; i++) {
    if (views[i]) {
      render_view(&o, views[i], options, &reserved, &scratch);
    }
  }
  if (options->format == CENSUS_PROMETHEUS_OPENMETRICS) {
    out_str(&o, "# EOF\n");
  }
  out_reserve(&o, 0); /* room for the NUL, even when nothing was written */
  free(scratch.data);
  reserved_free(&reserved);
  if (o.failed) {
    free(o.data);
    return CENSUS_ENOMEM;
  }
  o.data[o.length] = '\0';
  *text = o.data;
  *length = o.length;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_prometheus_render(const census_prometheus_options *options,
                                                     char **text, size_t *length) {
  if (text) {
    *text = NULL;
  }
  if (!text || !length) {
    return CENSUS_EINVAL;
  }
  if (options) {
    census_status status = options_check(options);
    if (status != CENSUS_OK) {
      return status;
    }
  }
  census_view_data **views = NULL;
  size_t count = 0;
  census_status status = census_view_data_get_all(&views, &count);
  if (status != CENSUS_OK) {
    return status;
  }
  status = census_prometheus_render_views((const census_view_data *const *)views, count, options,
                                          text, length);
  census_view_data_free_all(views, count);
  return status;
}

CENSUS_EXPORT void census_prometheus_text_free(char *text) { free(text); }

/* ---- content negotiation ------------------------------------------------------------------ */

/* The q value of one Accept element's parameters ("; q=0.5; version=..."), 1 if none. */
static double accept_q(const char *params, size_t n) {
  for (size_t i = 0; i + 1 < n; i++) {
    if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
        (i == 0 || params[i - 1] == ';' || params[i - 1] == ' ')) {
      char value[16];
      size_t k = 0;
      for (size_t j = i + 2; j < n && k < sizeof value - 1 && params[j] != ';'; j++) {
        value[k++] = params[j];
      }
      value[k] = '\0';
      return strtod(value, NULL);
    }
  }
  return 1;
}

CENSUS_EXPORT census_prometheus_format census_prometheus_negotiate(const char *accept) {
  if (!accept) {
    return CENSUS_PROMETHEUS_TEXT;
  }
  double q_openmetrics = -1, q_text = -1;
  const char *s = accept;
  while (*s) {
    size_t n = strcspn(s, ",");
    const char *e = s;
    while (e < s + n && (*e == ' ' || *e == '\t')) {
      e++;
    }
    size_t type_length = 0;
    while (e + type_length < s + n && e[type_length] != ';' && e[type_length] != ' ') {
      type_length++;
    }
    const char *params = e + type_length;
    double q = accept_q(params, (size_t)(s + n - params));
    if (type_length == 28 && strncasecmp(e, "application/openmetrics-text", 28) == 0) {
      q_openmetrics = q > q_openmetrics ? q : q_openmetrics;
    } else if ((type_length == 10 && strncasecmp(e, "text/plain", 10) == 0) ||
               (type_length == 6 && strncasecmp(e, "text/*", 6) == 0) ||
               (type_length == 3 && strncmp(e, "*/*", 3) == 0)) {
      q_text = q > q_text ? q : q_text;
    }
    s += n;
    s += *s == ',';
  }
  return q_openmetrics > 0 && q_openmetrics >= q_text ? CENSUS_PROMETHEUS_OPENMETRICS
                                                      : CENSUS_PROMETHEUS_TEXT;
}

CENSUS_EXPORT const char *census_prometheus_format_content_type(census_prometheus_format format) {
  return format == CENSUS_PROMETHEUS_OPENMETRICS
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}
