/* prometheus_render.c - view data as Prometheus text 0.0.4 or OpenMetrics 1.0 text.
 *
 * One render walks a batch of snapshots once, in registration order, and writes one metric family
 * per view with rows: Count and Sum views become counters, LastValue views gauges, Distribution
 * views histograms. Views without rows are left out (Prometheus has nothing to store for them),
 * but still reserve their names, so that a view's name never depends on other views' rows.
 *
 * Names. A family's name is the view name (after the optional prefix and "_"), sanitised: every
 * byte outside [a-zA-Z0-9_] becomes "_", runs of "_" collapse into one, a leading digit gets a
 * "_" in front. Then comes the measure's unit as a word (OpenTelemetry's Prometheus compatibility
 * table: By -> bytes, ms -> milliseconds, "1" -> nothing, a/b -> a_per_b, {annotations} dropped),
 * unless the name already ends with it, and for counters "_total" after the unit. OpenMetrics
 * families are named without "_total" (their samples carry it), as that format requires.
 * Collisions: every family reserves the sample names it writes (a histogram x reserves x,
 * x_bucket, x_sum, x_count, x_created; a counter x reserves x, x_total, x_created). A view whose
 * names would meet names reserved by an earlier view (registration order) gets "_2" (then "_3",
 * ...) inserted before its unit suffix, so the exposition never holds two families of one name.
 *
 * Labels. A view's columns are its labels, in column order, sanitised like names ("key_" before a
 * leading digit).
 * Columns that sanitise to the same label are merged, as OpenTelemetry specifies: one label whose
 * value is the columns' values joined with ";" in the order of their original names. A histogram
 * column named "le", or any column named "otel_metric_overflow", becomes "exported_<name>".
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
 *
 * The output buffer grows by doubling and is returned to the caller; nothing else is allocated
 * per row, so rendering costs a few copies per sample.
 */
#include "census/exporters/prometheus.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
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

/* The unit word for one UCUM unit (no "/"), or NULL if the table has none. */
static const char *unit_word(const char *unit, size_t n) {
  static const char *const table[][2] = {
      {"s", "seconds"},       {"ms", "milliseconds"},
      {"us", "microseconds"}, {"ns", "nanoseconds"},
      {"min", "minutes"},     {"h", "hours"},
      {"d", "days"},          {"By", "bytes"},
      {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},
      {"GiBy", "gibibytes"},  {"TiBy", "tebibytes"},
      {"kBy", "kilobytes"},   {"MBy", "megabytes"},
      {"GBy", "gigabytes"},   {"TBy", "terabytes"},
      {"m", "meters"},        {"V", "volts"},
      {"A", "amperes"},       {"J", "joules"},
      {"W", "watts"},         {"g", "grams"},
      {"Cel", "celsius"},     {"Hz", "hertz"},
      {"%", "percent"},       {"1", ""},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strlen(table[i][0]) == n && memcmp(table[i][0], unit, n) == 0) {
      return table[i][1];
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
  word = word ? word : unit_word(unit, n);
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

/* The unit suffix for `unit` (without the leading "_") into `o`: "" for "1", for units made only
 * of annotations, and for NULL. */
static void unit_suffix(struct out *o, const char *unit) {
  if (!unit) {
    return;
  }
  /* Drop {annotations} first: "{request}/s" -> "/s". */
  char bare[128];
  size_t n = 0;
  int depth = 0;
  for (const char *s = unit; *s && n < sizeof bare - 1; s++) {
    if (*s == '{') {
      depth++;
    } else if (*s == '}') {
      depth -= depth > 0;
    } else if (depth == 0) {
      bare[n++] = *s;
    }
  }
  bare[n] = '\0';
  char *slash = strchr(bare, '/');
  size_t start = o->length;
  if (slash) {
    unit_part(o, bare, (size_t)(slash - bare), false);
    if (o->length > start && slash[1]) {
      out_str(o, "_per_");
    } else if (slash[1]) {
      out_str(o, "per_");
    }
    if (slash[1]) {
      unit_part(o, slash + 1, strlen(slash + 1), true);
    }
  } else if (n) {
    unit_part(o, bare, n, false);
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

/* The label name for a column or constant label: sanitised, "key_" before a leading digit. */
static char *label_name(const char *name) {
  struct out o = {0};
  out_sanitized(&o, name);
  if (o.length == 0 || isdigit((unsigned char)o.data[0])) {
    struct out k = {0};
    out_str(&k, o.length ? "key_" : "key");
    out_put(&k, o.data ? o.data : "", o.length);
    free(o.data);
    o = k;
  }
  out_char(&o, '\0');
  if (o.failed) {
    free(o.data);
    return NULL;
  }
  return o.data;
}

/* True for a name Prometheus accepts as a label name and that we may use as a constant label. */
static bool const_label_name_valid(const char *name) {
  if (!name || !*name || isdigit((unsigned char)*name) || strncmp(name, "__", 2) == 0 ||
      strcmp(name, "le") == 0 || strcmp(name, "otel_metric_overflow") == 0) {
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

/* Names reserved by the families written so far (see the file comment). */
struct reserved {
  char **names;
  size_t count, capacity;
};

static bool reserved_has(const struct reserved *r, const char *name) {
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->names[i], name) == 0) {
      return true;
    }
  }
  return false;
}

static bool reserved_add(struct reserved *r, const char *name) {
  if (r->count == r->capacity) {
    size_t capacity = r->capacity ? r->capacity * 2 : 32;
    char **grown = realloc(r->names, capacity * sizeof *grown);
    if (!grown) {
      return false;
    }
    r->names = grown;
    r->capacity = capacity;
  }
  return (r->names[r->count] = strdup(name)) != NULL && ++r->count;
}

static void reserved_free(struct reserved *r) {
  for (size_t i = 0; i < r->count; i++) {
    free(r->names[i]);
  }
  free(r->names);
}

/* The sample-name suffixes each kind of family reserves. */
static const char *const counter_suffixes[] = {"", "_total", "_created", NULL};
static const char *const gauge_suffixes[] = {"", NULL};
static const char *const histogram_suffixes[] = {"", "_bucket", "_sum", "_count", "_created", NULL};

/* Chooses the family name of view `d` (without "_total"), free of collisions with `reserved`,
 * reserves its sample names, and returns it (malloc'd) with *unit_start set to the offset of the
 * unit suffix's "_" (or the name's length if it has none). NULL if memory is exhausted. */
static char *family_name(const census_view_data *d, const census_prometheus_options *options,
                         struct reserved *reserved, size_t *unit_start) {
  census_aggregation_type type = census_view_data_aggregation(d);
  bool counter = type == CENSUS_AGGREGATION_COUNT || type == CENSUS_AGGREGATION_SUM;
  const char *const *suffixes = counter                                 ? counter_suffixes
                                : type == CENSUS_AGGREGATION_LAST_VALUE ? gauge_suffixes
                                                                        : histogram_suffixes;
  struct out base = {0};
  if (options->name_prefix && *options->name_prefix) {
    out_sanitized(&base, options->name_prefix);
    out_char(&base, '_');
  }
  out_sanitized(&base, census_view_data_name(d));
  while (base.length > 1 && base.data[base.length - 1] == '_') {
    base.length--;
  }
  if (base.length == 0 || isdigit((unsigned char)base.data[0])) {
    out_char(&base, '_');
    memmove(base.data + 1, base.data, base.length - 1);
    base.data[0] = '_';
  }
  if (counter && ends_with(base.data, base.length, "_total")) {
    base.length -= 6;
  }
  struct out unit = {0};
  out_char(&unit, '_');
  unit_suffix(&unit, census_measure_unit(census_view_data_measure(d)));
  out_char(&unit, '\0');
  bool has_unit = !unit.failed && unit.data[1] != '\0';
  if (has_unit && ends_with(base.data, base.length, unit.data)) {
    base.length -= strlen(unit.data); /* the view name already ends with its unit */
  }
  char *result = NULL;
  for (int attempt = 1; !base.failed && !unit.failed && attempt < 1000000; attempt++) {
    struct out name = {0};
    out_put(&name, base.data, base.length);
    if (attempt > 1) {
      char number[16];
      out_put(&name, number, (size_t)snprintf(number, sizeof number, "_%d", attempt));
    }
    *unit_start = name.length;
    if (has_unit) {
      out_str(&name, unit.data);
    }
    size_t stem = name.length;
    bool taken = false;
    for (const char *const *s = suffixes; *s && !name.failed && !taken; s++) {
      name.length = stem;
      out_str(&name, *s);
      out_char(&name, '\0');
      taken = !name.failed && reserved_has(reserved, name.data);
    }
    if (name.failed) {
      free(name.data);
      break;
    }
    if (!taken) {
      bool ok = true;
      for (const char *const *s = suffixes; *s && ok; s++) {
        name.length = stem;
        out_str(&name, *s);
        out_char(&name, '\0');
        ok = !name.failed && reserved_add(reserved, name.data);
      }
      name.length = stem;
      name.data[stem] = '\0';
      result = ok ? name.data : (free(name.data), NULL);
      break;
    }
    free(name.data);
  }
  free(base.data);
  free(unit.data);
  return result;
}

/* One label of a view: its name and the columns (in original-name order) whose values it joins. */
struct label {
  char *name;
  size_t *columns;
  size_t column_count;
};

static size_t min_column(const struct label *l) {
  size_t m = l->columns[0];
  for (size_t i = 1; i < l->column_count; i++) {
    m = l->columns[i] < m ? l->columns[i] : m;
  }
  return m;
}

/* The labels of view `d` (see the file comment); NULL with *count 0 if it has no columns, NULL
 * with *failed set if memory is exhausted. */
static struct label *view_labels(const census_view_data *d, size_t *count, bool *failed) {
  size_t n = census_view_data_column_count(d);
  bool histogram = census_view_data_aggregation(d) == CENSUS_AGGREGATION_DISTRIBUTION;
  *count = 0;
  if (n == 0) {
    return NULL;
  }
  struct label *labels = calloc(n, sizeof *labels);
  size_t *order = malloc(n * sizeof *order);
  if (!labels || !order) {
    free(labels);
    free(order);
    *failed = true;
    return NULL;
  }
  /* Columns by original name, so merged values join in that order. */
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
  }
  for (size_t i = 1; i < n; i++) {
    for (size_t j = i; j > 0 && strcmp(census_view_data_column(d, order[j - 1]),
                                       census_view_data_column(d, order[j])) > 0;
         j--) {
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  }
  for (size_t i = 0; i < n && !*failed; i++) {
    size_t c = order[i];
    char *name = label_name(census_view_data_column(d, c));
    if (name && ((histogram && strcmp(name, "le") == 0) ||
                 strcmp(name, "otel_metric_overflow") == 0 || strncmp(name, "__", 2) == 0)) {
      char *renamed = malloc(strlen(name) + 10);
      if (renamed) {
        sprintf(renamed, "exported_%s", name[0] == '_' && name[1] == '_' ? name + 2 : name);
      }
      free(name);
      name = renamed;
    }
    if (!name) {
      *failed = true;
      break;
    }
    size_t l = 0;
    while (l < *count && strcmp(labels[l].name, name) != 0) {
      l++;
    }
    if (l == *count) {
      labels[l].name = name;
      labels[l].columns = malloc(n * sizeof(size_t));
      if (!labels[l].columns) {
        free(name);
        *failed = true;
        break;
      }
      ++*count;
    } else {
      free(name);
    }
    labels[l].columns[labels[l].column_count++] = c;
  }
  free(order);
  /* Labels in the view's column order (of each label's first column). */
  for (size_t i = 1; i < *count; i++) {
    for (size_t j = i; j > 0 && min_column(&labels[j - 1]) > min_column(&labels[j]); j--) {
      struct label t = labels[j];
      labels[j] = labels[j - 1];
      labels[j - 1] = t;
    }
  }
  return labels;
}

static void labels_free(struct label *labels, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(labels[i].name);
    free(labels[i].columns);
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
    for (size_t k = 0; k < labels[l].column_count; k++) {
      if (k) {
        out_char(o, ';');
      }
      out_escaped(o, census_view_data_row_value(d, row, labels[l].columns[k]), true);
    }
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

/* Renders the family of view `d`. */
static void render_view(struct out *o, const census_view_data *d,
                        const census_prometheus_options *options, struct reserved *reserved,
                        struct out *scratch) {
  size_t rows = census_view_data_row_count(d);
  census_aggregation_type type = census_view_data_aggregation(d);
  bool openmetrics = options->format == CENSUS_PROMETHEUS_OPENMETRICS;
  bool counter = type == CENSUS_AGGREGATION_COUNT || type == CENSUS_AGGREGATION_SUM;
  const census_measure *measure = census_view_data_measure(d);
  bool is_int = census_measure_get_type(measure) == CENSUS_MEASURE_INT64;
  size_t unit_start;
  char *name = family_name(d, options, reserved, &unit_start);
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
  out_escaped(o, help, openmetrics);
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
      break;
    case CENSUS_AGGREGATION_SUM:
    case CENSUS_AGGREGATION_LAST_VALUE:
      sample_start(o, name, name_length, counter ? "_total" : "", scratch, NULL);
      if (is_int) {
        out_int(o, p.int_value);
      } else {
        out_double(o, p.double_value, false);
      }
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
          out_double(&le, bounds[b], openmetrics);
          out_char(&le, '"');
          text[le.length < sizeof text ? le.length : sizeof text - 1] = '\0';
        }
        sample_start(o, name, name_length, "_bucket", scratch, text);
        out_int(o, cumulative);
        out_char(o, '\n');
      }
      sample_start(o, name, name_length, "_sum", scratch, NULL);
      if (is_int) {
        out_int(o, p.int_value); /* the exact sum: an integer for an int64 measure */
      } else {
        out_double(o, p.double_value, false);
      }
      out_char(o, '\n');
      sample_start(o, name, name_length, "_count", scratch, NULL);
      out_int(o, p.count);
      break;
    }
    }
    out_char(o, '\n');
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

CENSUS_EXPORT const char *census_prometheus_content_type(census_prometheus_format format) {
  return format == CENSUS_PROMETHEUS_OPENMETRICS
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}
