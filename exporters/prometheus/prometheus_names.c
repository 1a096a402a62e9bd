/* prometheus_names.c - the Prometheus exporter's names: units as words, base-unit scaling, family
 * names free of collisions, label names, and the once-per-process report of every rename.
 * Rendering (prometheus_render.c) asks this file for a view's family name, unit and labels and
 * only writes text; the rules are the file comment's of prometheus_render.c and
 * docs/exporters/prometheus.md ("Names", "Base units").
 *
 * Names. A family's name is the prefix (sanitised, without trailing "_") and "_" and the view
 * name, sanitised: every byte outside [a-zA-Z0-9_] becomes "_", runs of "_" collapse into one,
 * trailing "_" go. A name that is then empty or only a type suffix ("_total" from "/total") would
 * leave an OpenMetrics family without a name: it becomes "unnamed", or the suffix without its
 * "_" ("total"). A leading digit gets a "_" in front. Then comes the unit as a word
 * (OpenTelemetry's Prometheus compatibility table: By -> bytes, ms -> milliseconds, "1" ->
 * nothing, a/b -> a_per_b, {annotations} dropped), unless the name already ends with it. A Count
 * view counts measurements: its unit is "1" whatever the measure's. With options->base_units,
 * ms/us/ns/min/h/d become seconds and kBy..TBy, KiBy..TiBy bytes, and values, sums and bucket
 * bounds are scaled to match (powers of ten on the decimal digits, so 1500 ms is exactly 1.5 s).
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
 */
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
#include "prometheus_internal.h"
#include "alloc.h"

/* ---- base-unit scaling -------------------------------------------------------------------- */

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

double census__prometheus_scaled_double(double v, const census_prometheus_scale *s) {
  switch (s->kind) {
  case CENSUS_PROMETHEUS_SCALE_DECIMAL:
    return decimal_shift(v, s->amount);
  case CENSUS_PROMETHEUS_SCALE_BINARY:
    return ldexp(v, s->amount);
  case CENSUS_PROMETHEUS_SCALE_FACTOR:
    return v * s->amount;
  case CENSUS_PROMETHEUS_SCALE_NONE:
    break;
  }
  return v;
}

/* An int64 value scaled: its exact digits with the exponent moved for powers of ten. */
double census__prometheus_scaled_int(int64_t v, const census_prometheus_scale *s) {
  if (s->kind == CENSUS_PROMETHEUS_SCALE_DECIMAL) {
    char text[48];
    snprintf(text, sizeof text, "%" PRId64 "e%d", v, s->amount);
    return strtod(text, NULL);
  }
  return census__prometheus_scaled_double((double)v, s);
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

void census__prometheus_report_once(census_status status, const char *format, ...) {
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
static void out_sanitized(census_buf *o, const char *s) {
  for (; *s; s++) {
    char c = isalnum((unsigned char)*s) ? *s : '_';
    if (c == '_' && o->len > 0 && o->data[o->len - 1] == '_') {
      continue;
    }
    census__buf_append_byte(o, c);
  }
}

/* One UCUM unit: its word in names, and with options->base_units its base unit and scale. */
struct unit_info {
  const char *ucum, *word;
  const char *base; /* NULL: already a base unit, or no conversion */
  census_prometheus_scale scale;
};

static const struct unit_info unit_table[] = {
    {"s", "seconds", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"ms", "milliseconds", "seconds", {CENSUS_PROMETHEUS_SCALE_DECIMAL, -3}},
    {"us", "microseconds", "seconds", {CENSUS_PROMETHEUS_SCALE_DECIMAL, -6}},
    {"ns", "nanoseconds", "seconds", {CENSUS_PROMETHEUS_SCALE_DECIMAL, -9}},
    {"min", "minutes", "seconds", {CENSUS_PROMETHEUS_SCALE_FACTOR, 60}},
    {"h", "hours", "seconds", {CENSUS_PROMETHEUS_SCALE_FACTOR, 3600}},
    {"d", "days", "seconds", {CENSUS_PROMETHEUS_SCALE_FACTOR, 86400}},
    {"By", "bytes", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"KiBy", "kibibytes", "bytes", {CENSUS_PROMETHEUS_SCALE_BINARY, 10}},
    {"MiBy", "mebibytes", "bytes", {CENSUS_PROMETHEUS_SCALE_BINARY, 20}},
    {"GiBy", "gibibytes", "bytes", {CENSUS_PROMETHEUS_SCALE_BINARY, 30}},
    {"TiBy", "tebibytes", "bytes", {CENSUS_PROMETHEUS_SCALE_BINARY, 40}},
    {"kBy", "kilobytes", "bytes", {CENSUS_PROMETHEUS_SCALE_DECIMAL, 3}},
    {"MBy", "megabytes", "bytes", {CENSUS_PROMETHEUS_SCALE_DECIMAL, 6}},
    {"GBy", "gigabytes", "bytes", {CENSUS_PROMETHEUS_SCALE_DECIMAL, 9}},
    {"TBy", "terabytes", "bytes", {CENSUS_PROMETHEUS_SCALE_DECIMAL, 12}},
    {"m", "meters", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"V", "volts", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"A", "amperes", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"J", "joules", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"W", "watts", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"g", "grams", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"Cel", "celsius", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"Hz", "hertz", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"%", "percent", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
    {"1", "", NULL, {CENSUS_PROMETHEUS_SCALE_NONE, 0}},
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
static void unit_part(census_buf *o, const char *unit, size_t n, bool denominator) {
  const char *word = denominator ? per_word(unit, n) : NULL;
  const struct unit_info *info = word ? NULL : unit_lookup(unit, n);
  word = word ? word : info ? info->word : NULL;
  if (word) {
    census__buf_append_str(o, word);
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
void census__prometheus_unit_suffix(census_buf *o, const char *unit) {
  char bare[128];
  unit_bare(unit, bare, sizeof bare);
  char *slash = strchr(bare, '/');
  size_t start = o->len;
  if (slash) {
    unit_part(o, bare, (size_t)(slash - bare), false);
    if (slash[1]) {
      out_sanitized(o, o->len > start ? "_per_" : "per_");
      unit_part(o, slash + 1, strlen(slash + 1), true);
    }
  } else {
    unit_part(o, bare, strlen(bare), false);
  }
  /* Trim "_" at either end so the join with the name stays single. */
  while (o->len > start && o->data[o->len - 1] == '_') {
    o->len--;
  }
  if (o->len > start && o->data[start] == '_') {
    memmove(o->data + start, o->data + start + 1, o->len - start - 1);
    o->len--;
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
void census__prometheus_view_unit(const census_view_data *d,
                                  const census_prometheus_options *options, census_buf *word,
                                  census_buf *original, census_prometheus_scale *scale) {
  *scale = (census_prometheus_scale){CENSUS_PROMETHEUS_SCALE_NONE, 0};
  const char *unit = census_view_data_unit(d); /* "1" for a Count view: no suffix */
  census__prometheus_unit_suffix(word, unit);
  char bare[128];
  unit_bare(unit, bare, sizeof bare);
  const struct unit_info *info = options->base_units ? unit_lookup(bare, strlen(bare)) : NULL;
  if (!info || !info->base) {
    return;
  }
  const double *bounds = NULL;
  size_t count = census_view_data_bounds(d, &bounds);
  for (size_t i = 0; i < count; i++) {
    double b = census__prometheus_scaled_double(bounds[i], &info->scale);
    if (!isfinite(b) ||
        (i > 0 && !(b > census__prometheus_scaled_double(bounds[i - 1], &info->scale)))) {
      census__prometheus_report_once(
          CENSUS_EBADBOUNDS,
          "prometheus: view \"%s\" keeps its unit %s: its bucket bounds do not stay "
          "finite and distinct in %s",
          census_view_data_name(d), info->ucum, info->base);
      return;
    }
  }
  original->len = 0;
  census__buf_append(original, word->data, word->len);
  word->len = 0;
  census__buf_append_str(word, info->base);
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
  census_buf s = CENSUS_BUF_INIT;
  out_sanitized(&s, name);
  census_buf o = CENSUS_BUF_INIT;
  if (s.len == 0) {
    census__buf_append_str(&o, "key");
  } else if (isdigit((unsigned char)s.data[0])) {
    census__buf_append_str(&o, "key_");
  } else if (s.data[0] == '_') {
    census__buf_append_str(&o, "key");
  }
  census__buf_append(&o, s.data ? s.data : "", s.len);
  census__free(s.data);
  census__buf_append_byte(&o, '\0');
  if (!o.failed && label_reserved(o.data)) {
    census_buf e = CENSUS_BUF_INIT;
    census__buf_append_str(&e, "exported_");
    census__buf_append_str(&e, o.data);
    census__buf_append_byte(&e, '\0');
    census__free(o.data);
    o = e;
  }
  if (o.failed) {
    census__free(o.data);
    return NULL;
  }
  return o.data;
}

/* True for a name Prometheus accepts as a label name and that we may use as a constant label. */
bool census__prometheus_const_label_name_valid(const char *name) {
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

/* ---- family names: the names each family reserves ------------------------------------------- */

/* The view that reserved `name`, or NULL if it is free. */
static const char *reserved_owner(const census_prometheus_reserved *r, const char *name) {
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->names[i], name) == 0) {
      return r->owners[i];
    }
  }
  return NULL;
}

static bool reserved_add(census_prometheus_reserved *r, const char *name, const char *owner) {
  if (r->count == r->capacity) {
    size_t capacity = r->capacity ? r->capacity * 2 : 32;
    char **grown = census__realloc(r->names, capacity * sizeof *grown);
    if (!grown) {
      return false;
    }
    r->names = grown;
    const char **owners = census__realloc(r->owners, capacity * sizeof *owners);
    if (!owners) {
      return false;
    }
    r->owners = owners;
    r->capacity = capacity;
  }
  if ((r->names[r->count] = census__strdup(name)) == NULL) {
    return false;
  }
  r->owners[r->count++] = owner;
  return true;
}

void census__prometheus_reserved_free(census_prometheus_reserved *r) {
  for (size_t i = 0; i < r->count; i++) {
    census__free(r->names[i]);
  }
  census__free(r->names);
  census__free(r->owners);
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

/* The family name of view `d` before collisions are resolved, into `base` (NUL-terminated, the
 * NUL not counted): the prefix and the sanitised view name; "unnamed" or the bare type suffix
 * when nothing else is left (reported once); without a "_total" a counter gets anyway, or a unit
 * word the renderer appends anyway; a leading digit guarded by "_". False if memory ran out. */
static bool family_base(const census_view_data *d, const census_prometheus_options *options,
                        bool counter, const census_buf *unit, const census_buf *original,
                        census_buf *base) {
  /* A view's Prometheus name (census_view_set_prometheus_name()) stands in for its name. */
  const char *view = census_view_data_prometheus_name(d);
  view = view ? view : census_view_data_name(d);
  if (options->name_prefix && *options->name_prefix) {
    out_sanitized(base, options->name_prefix);
    while (base->len > 0 && base->data[base->len - 1] == '_') {
      base->len--; /* "app_" and "app." join as "app_<view>", not "app__<view>" */
    }
    if (base->len > 0) {
      census__buf_append_byte(base, '_');
    }
  }
  out_sanitized(base, view ? view : "");
  while (base->len > 0 && base->data[base->len - 1] == '_') {
    base->len--;
  }
  census__buf_append_byte(base, '\0');
  if (base->failed) {
    return false;
  }
  base->len--;
  /* A name that is nothing, or nothing but a type suffix ("_total", "-total", "/total"), would
   * leave a family without a name: it loses its leading "_" ("total"), or is "unnamed". */
  if (base->len == 0 || is_reserved_suffix(base->data)) {
    char before[16]; /* "" or a suffix from is_reserved_suffix() */
    snprintf(before, sizeof before, "%s", base->data);
    const char *safe = base->len == 0 ? "unnamed" : before + 1;
    base->len = 0;
    census__buf_append_str(base, safe);
    census__prometheus_report_once(CENSUS_EBADNAME,
                                   "prometheus: view \"%s\" sanitises to \"%s\", which is no "
                                   "family name; it is exported as %s",
                                   view, before, base->failed ? "" : base->data);
  }
  /* Suffixes the renderer adds itself are not doubled, unless nothing would be left. */
  if (counter && base->len > 6 && ends_with(base->data, base->len, "_total")) {
    base->len -= 6;
  }
  const char *words[] = {unit->len > 1 ? unit->data : NULL,
                         original->len > 1 ? original->data : NULL};
  for (size_t w = 0; w < 2; w++) {
    size_t k = words[w] ? strlen(words[w]) : 0;
    if (k && base->len > k + 1 && base->data[base->len - k - 1] == '_' &&
        ends_with(base->data, base->len, words[w])) {
      base->len -= k + 1; /* the view name already ends with its unit */
      break;
    }
  }
  if (base->len > 0 && isdigit((unsigned char)base->data[0])) {
    census__buf_append_byte(base, '_');
    memmove(base->data + 1, base->data, base->len - 1);
    base->data[0] = '_';
  }
  census__buf_append_byte(base, '\0');
  base->len--;
  return !base->failed;
}

/* Claims the first free name among base, base_2, base_3, ... (each with "_<unit>" after it):
 * free when none of its sample names (`suffixes`) is reserved; then reserves them all for
 * `view` and returns the name (malloc'd) with *unit_start at its unit suffix. A rename is
 * reported once. NULL if memory ran out. */
static char *family_claim(census_prometheus_reserved *reserved, const census_buf *base,
                          const census_buf *unit, const char *const *suffixes, const char *view,
                          size_t *unit_start) {
  const char *taken_by = NULL;
  char first[512] = "";
  for (int attempt = 1; attempt < 1000000; attempt++) {
    census_buf name = CENSUS_BUF_INIT;
    census__buf_append(&name, base->data, base->len);
    if (attempt > 1) {
      char number[16];
      census__buf_append(&name, number, (size_t)snprintf(number, sizeof number, "_%d", attempt));
    }
    *unit_start = name.len;
    if (unit->len > 1) {
      census__buf_append_byte(&name, '_');
      census__buf_append_str(&name, unit->data);
    }
    size_t stem = name.len;
    const char *owner = NULL;
    for (const char *const *s = suffixes; *s && !name.failed && !owner; s++) {
      name.len = stem;
      census__buf_append_str(&name, *s);
      owner = name.failed ? NULL : reserved_owner(reserved, name.data);
      if (owner && attempt == 1) {
        taken_by = owner;
        snprintf(first, sizeof first, "%s", name.data);
      }
    }
    if (name.failed) {
      census__free(name.data);
      return NULL;
    }
    if (!owner) {
      bool ok = true;
      for (const char *const *s = suffixes; *s && ok; s++) {
        name.len = stem;
        census__buf_append_str(&name, *s);
        ok = !name.failed && reserved_add(reserved, name.data, view);
      }
      name.len = stem;
      name.data[stem] = '\0';
      char *result = ok ? name.data : (census__free(name.data), NULL);
      if (result && attempt > 1) {
        census__prometheus_report_once(
            CENSUS_ECONFLICT,
            "prometheus: view \"%s\" is exported as %s: %s is taken by view \"%s\"", view, result,
            first, taken_by);
      }
      return result;
    }
    census__free(name.data);
  }
  return NULL;
}

census_prometheus_type census__prometheus_type(const census_view_data *d) {
  switch (census_view_data_aggregation(d)) {
  case CENSUS_AGGREGATION_COUNT:
  case CENSUS_AGGREGATION_SUM:
    return census_view_data_is_monotonic(d) ? CENSUS_PROMETHEUS_COUNTER : CENSUS_PROMETHEUS_GAUGE;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL: /* as explicit buckets derived from its own */
    return CENSUS_PROMETHEUS_HISTOGRAM;
  default:
    return CENSUS_PROMETHEUS_GAUGE;
  }
}

/* Chooses the family name of view `d` (without "_total"), free of collisions with `reserved`,
 * reserves its sample names, and returns it (malloc'd) with *unit_start set to the offset of the
 * unit suffix's "_" (or the name's length if it has none). `unit` is the unit word ("" for none),
 * `original` the word of the measure's unit when base units replaced it ("" otherwise). Every
 * rename is reported once. NULL if memory is exhausted. */
char *census__prometheus_family_name(const census_view_data *d,
                                     const census_prometheus_options *options,
                                     census_prometheus_reserved *reserved, const census_buf *unit,
                                     const census_buf *original, size_t *unit_start) {
  census_prometheus_type type = census__prometheus_type(d);
  bool counter = type == CENSUS_PROMETHEUS_COUNTER;
  const char *const *suffixes = counter                           ? counter_suffixes
                                : type == CENSUS_PROMETHEUS_GAUGE ? gauge_suffixes
                                                                  : histogram_suffixes;
  census_buf base = CENSUS_BUF_INIT;
  char *result = NULL;
  if (family_base(d, options, counter, unit, original, &base)) {
    result = family_claim(reserved, &base, unit, suffixes, census_view_data_name(d), unit_start);
  }
  census__free(base.data);
  return result;
}

/* The labels of view `d`, one per column in column order (see the file comment): a column whose
 * label name an earlier column already has gets "_2" (then "_3", ...), so two rows never render
 * as one series. NULL with *count 0 if it has no columns, NULL with *failed set if memory is
 * exhausted. Renames are reported once. */
census_prometheus_column *census__prometheus_view_labels(const census_view_data *d, size_t *count,
                                                         bool *failed) {
  size_t n = census_view_data_column_count(d);
  *count = 0;
  if (n == 0) {
    return NULL;
  }
  census_prometheus_column *labels = census__calloc(n, sizeof *labels);
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
      char *next = census__malloc(base_length + 16);
      if (next) {
        snprintf(next, base_length + 16, "%s_%d", labels[earlier].name, attempt);
      }
      census__free(name);
      name = next;
    }
    if (!name) {
      *failed = true;
      break;
    }
    if (earlier != n) {
      census__prometheus_report_once(
          CENSUS_ECONFLICT,
          "prometheus: view \"%s\": column \"%s\" is exported as label %s, because column "
          "\"%s\" is %s",
          census_view_data_name(d), column ? column : "", name, census_view_data_column(d, earlier),
          labels[earlier].name);
    }
    labels[*count].name = name;
    labels[*count].length = strlen(name);
    labels[*count].column = c;
    ++*count;
  }
  return labels;
}

void census__prometheus_columns_free(census_prometheus_column *labels, size_t count) {
  for (size_t i = 0; i < count; i++) {
    census__free(labels[i].name);
  }
  census__free(labels);
}
