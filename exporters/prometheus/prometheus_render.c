/* prometheus_render.c - view data as Prometheus text 0.0.4 or OpenMetrics 1.0 text.
 *
 * One render walks a batch of snapshots once, in registration order, and writes one metric family
 * per view with rows: Count and Sum views become counters, LastValue views and Sums that can go
 * down (signed measures: up-down counters) gauges, Distribution views histograms, each written by
 * its own function (counter_samples(), gauge_samples(), histogram_samples()). Views without rows
 * are left out (Prometheus has nothing to store for them), but still reserve their names, so that a
 * view's name never depends on other views' rows. The names themselves (family, unit, labels,
 * collisions) come from prometheus_names.c; this file only writes text.
 *
 * The invariant: whatever the view names, units, descriptions, columns, tag values, constant
 * label values and prefix, both formats parse strictly (Prometheus's parsers, the OpenMetrics
 * grammar and its rules; tests/fuzz/fuzz_prometheus_render.c checks it). Every name is built
 * from [a-zA-Z0-9_] only, is never empty, and no two families, labels or series can meet; every
 * rename that this takes is deterministic and reported once to the diagnostics callback.
 *
 * Labels. Constant labels come first on every sample; one whose name a column also uses is left
 * out of that view (the column wins). The overflow row carries otel_metric_overflow="true" and no
 * column labels (its values are all ""). Label values are escaped (\\, \", \n) and made valid
 * UTF-8 (invalid bytes become U+FFFD) by exporters/common's escaper; tag values are printable
 * ASCII, so the common case is one scan and one copy. OpenMetrics families are named without
 * "_total" (their samples carry it), as that format requires.
 *
 * Numbers: int64 values are written as integers; doubles in the shortest form that reads back
 * exactly (%.15g, %.16g or %.17g), NaN, +Inf and -Inf as Prometheus spells them. In OpenMetrics,
 * bucket bounds are canonical numbers ("1.0"), so a bound reads the same in every exposition from
 * OpenMetrics exposers. No timestamps: on a pull endpoint the scrape time is the sample time.
 * OpenMetrics counters and histograms carry _created (the view's start time, when its cumulative
 * values started from zero); a histogram with a negative bound, or of a signed measure, has no
 * _sum and _count there, as OpenMetrics requires (the +Inf bucket holds the count).
 *
 * The output buffer (exporters/common's census_buf, whose appends are inline) grows by doubling
 * and is returned to the caller; nothing else is allocated per row, so rendering costs a few
 * copies per sample.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "exp_buckets.h"
#include "options.h"
#include "prometheus_internal.h"
#include "utf8.h"
#include "alloc.h"

bool census__prometheus_render_plain;

/* ---- values --------------------------------------------------------------------------------- */

/* Number of decimal digits of v (1..20): from its bit length (log10(2) ~ 1233 / 4096), then one
 * compare with the power of ten that decides between the two candidates. */
static inline size_t decimal_digits(uint64_t v) {
  static const uint64_t powers[20] = {0u, /* 0 has one digit too */
                                      10u,
                                      100u,
                                      1000u,
                                      10000u,
                                      100000u,
                                      1000000u,
                                      10000000u,
                                      100000000u,
                                      1000000000u,
                                      10000000000u,
                                      100000000000u,
                                      1000000000000u,
                                      10000000000000u,
                                      100000000000000u,
                                      1000000000000000u,
                                      10000000000000000u,
                                      100000000000000000u,
                                      1000000000000000000u,
                                      10000000000000000000u};
  size_t n = ((size_t)(64 - __builtin_clzll(v | 1)) * 1233) >> 12; /* digits - 1 or digits */
  return n + (v >= powers[n]);
}

/* Writes the decimal digits of v at p (room for 20); returns how many. Two digits per divide,
 * from a table, written from the end at their final place (the count is known first): a
 * counter's value is written on every sample line. */
static size_t put_uint(char *p, uint64_t v) {
  static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";
  size_t n = decimal_digits(v);
  char *q = p + n;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    q -= 2;
    memcpy(q, pairs + 2 * r, 2);
  }
  if (v >= 10) {
    memcpy(q - 2, pairs + 2 * v, 2);
  } else {
    q[-1] = (char)('0' + v);
  }
  return n;
}

/* Writes v in decimal at p (room for 21); returns how many characters. */
static size_t put_int(char *p, int64_t v) {
  if (v < 0) {
    *p = '-';
    return 1 + put_uint(p + 1, (uint64_t)0 - (uint64_t)v);
  }
  return put_uint(p, (uint64_t)v);
}

void census__prometheus_int(census_buf *o, int64_t v) {
  if (!census__buf_reserve(o, 21)) {
    return;
  }
  o->len += put_int(o->data + o->len, v);
  o->data[o->len] = '\0';
}

/* The text of census__prometheus_double() into text[0..48), NUL-terminated; returns its length. */
static size_t double_text(char text[48], double d, bool canonical) {
  if (isnan(d)) {
    memcpy(text, "NaN", 4);
    return 3;
  }
  if (isinf(d)) {
    memcpy(text, d > 0 ? "+Inf" : "-Inf", 5);
    return 4;
  }
  /* An integer below 10^15 (bucket bounds, whole sums): %.15g would print its digits alone, and
   * they read back exactly; written without snprintf and strtod. -0 is left to %g ("-0"). */
  if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
    size_t k = put_int(text, (int64_t)d);
    if (canonical) {
      memcpy(text + k, ".0", 2);
      k += 2;
    }
    text[k] = '\0';
    return k;
  }
  int n = 0;
  for (int precision = 15; precision <= 17; precision++) {
    n = snprintf(text, 48, "%.*g", precision, d);
    if (strtod(text, NULL) == d) {
      break;
    }
  }
  if (canonical && !strpbrk(text, ".eE")) {
    memcpy(text + n, ".0", 3);
    n += 2;
  }
  return (size_t)n;
}

void census__prometheus_double(census_buf *o, double d, bool canonical) {
  char text[48];
  census__buf_append(o, text, double_text(text, d, canonical));
}

/* Writes an int64 value, scaled if the view is converted to base units. */
static void value_int(census_buf *o, int64_t v, const census_prometheus_scale *s) {
  if (s->kind == CENSUS_PROMETHEUS_SCALE_NONE) {
    census__prometheus_int(o, v);
  } else {
    census__prometheus_double(o, census__prometheus_scaled_int(v, s), false);
  }
}

static void value_double(census_buf *o, double v, const census_prometheus_scale *s) {
  census__prometheus_double(o, census__prometheus_scaled_double(v, s), false);
}

/* Unix time in nanoseconds as decimal seconds ("1700000000.25"), exactly, for _created. */
static void unix_seconds(census_buf *o, int64_t ns) {
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
  census__buf_append(o, text, (size_t)n);
}

/* ---- escaping (exporters/common/utf8.h tables) ---------------------------------------------- */

/* Label values, in both formats, and OpenMetrics HELP text: backslash, double quote, newline. */
static census_utf8_escapes quoted_escapes = {['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n"};
/* HELP text of the 0.0.4 format: backslash and newline only. */
static census_utf8_escapes help_escapes = {['\\'] = "\\\\", ['\n'] = "\\n"};

static void escaped(census_buf *o, const char *s, census_utf8_escapes table) {
  census__utf8_escape_str(o, s, table);
}

/* The bytes of word w that a quoted label value escapes or validates, as high bits: '\\', '"'
 * and '\n', anything above 0x7f, and the other control characters below 0x20 too (a value with
 * one takes the escaper, which copies it unchanged: the same bytes, by the slower path; tag
 * values never hold one). Zero when there are none. Two byte tests instead of one per special:
 * t = w ^ 0x02.. maps '"' to 0x20 and the controls below 0x20 (space goes to 0x22), so "t below
 * 0x21" finds both, and a set top bit of t is a byte above 0x7f; '\\' takes a zero-byte test. A
 * borrow from a hit may mark the bytes above it, which only repeats a hit. */
static inline uint64_t quoted_hits(uint64_t w) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t t = w ^ (ones * 0x02), backslash = w ^ (ones * '\\');
  return (((t - ones * 0x21) | t) | ((backslash - ones) & ~backslash)) & highs;
}

/* True when s[0..n) has no byte a quoted label value escapes or validates. Eight bytes at a time,
 * the last word overlapping the one before, and short strings read as one word of overlapping
 * pieces (a byte seen twice changes nothing): no byte loop and no read outside s[0..n). Tag
 * values are printable ASCII, so this is nearly always true and the value is one copy. */
static inline bool plain_quoted(const char *s, size_t n) {
  uint64_t hits = 0;
  if (n >= 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 < n; i += 8) {
      memcpy(&w, s + i, 8);
      hits |= quoted_hits(w);
    }
    memcpy(&w, s + n - 8, 8);
    hits |= quoted_hits(w);
  } else if (n >= 4) {
    uint32_t lo, hi;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    hits = quoted_hits(lo | (uint64_t)hi << 32);
  } else if (n > 0) {
    const unsigned char *u = (const unsigned char *)s;
    hits = quoted_hits(u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16) & 0x808080u;
  }
  return hits == 0;
}

/* ="value" of a label whose name the caller wrote: the value (NULL: "") escaped, one reserve
 * and one copy when it needs no escape. */
static void label_value(census_buf *o, const char *value) {
  value = value ? value : "";
  size_t n = strlen(value);
  if (!plain_quoted(value, n)) {
    census__buf_append(o, "=\"", 2);
    census__utf8_escape(o, value, n, quoted_escapes);
    census__buf_append_byte(o, '"');
    return;
  }
  if (!census__buf_reserve(o, n + 3)) {
    return;
  }
  char *p = o->data + o->len;
  p[0] = '=';
  p[1] = '"';
  memcpy(p + 2, value, n);
  p[n + 2] = '"';
  o->len += n + 3;
  o->data[o->len] = '\0';
}

/* Appends n bytes for which the caller reserved room (census__buf_reserve()). The hot path of a
 * render: one reserve per sample line instead of one per piece. */
static inline void put(census_buf *o, const void *s, size_t n) {
  if (n > 0) { /* s may be NULL then (a buffer never written) */
    memcpy(o->data + o->len, s, n);
    o->len += n;
  }
}

/* ---- one family ------------------------------------------------------------------------------ */

/* How a direct line writes its value: an integer in place (a Count view's count, an unscaled
 * int64 Sum's or LastValue's total), or through counter_value() / gauge_value(). */
typedef enum direct_value { DIRECT_COUNT, DIRECT_INT, DIRECT_COUNTER, DIRECT_GAUGE } direct_value;

/* What every sample of one view's family shares, decided once per view. */
typedef struct family {
  char *name; /* without "_total" (malloc'd) */
  size_t name_length;
  size_t unit_start; /* offset of the unit suffix's "_" in name, or name_length */
  census_prometheus_column *labels;
  size_t label_count;
  census_buf constants; /* the constant labels this view carries, rendered */
  census_prometheus_scale scale;
  char (*le)[64];   /* a Distribution view's le="<bound>" labels, one per bound (malloc'd) */
  bool is_int;      /* an int64 measure */
  bool openmetrics; /* the format */
  /* The text of a counter's or gauge's only sample line around its label values, for
   * direct_line(): piece l is line.data[cut[l] .. cut[l + 1]), l = 0..label_count, written
   * before value l (the last after the last value), e.g. `name_total{route="`, `",method="`,
   * `"} `. line.data is followed by 16 zero bytes (put_piece() copies 16 at a time). Empty
   * (line.data NULL) when lines take the scratch path: OpenMetrics, histograms. */
  census_buf line;
  size_t *cut;
  direct_value value; /* how direct_line() writes the sample's value */
} family;

static void family_free(family *f) {
  census__free(f->cut);
  census__free(f->line.data);
  census__free(f->le);
  census__free(f->name);
  census__prometheus_columns_free(f->labels, f->label_count);
  census__free(f->constants.data);
}

/* Spells a text-format counter's or gauge's sample line around its label values into f->line
 * and f->cut (see family), and chooses how its value is written. Histograms get none. False if
 * memory ran out. */
static bool line_template(family *f, census_prometheus_type type, census_aggregation_type agg) {
  if (type == CENSUS_PROMETHEUS_HISTOGRAM) {
    return true;
  }
  bool counter = type == CENSUS_PROMETHEUS_COUNTER;
  bool unscaled_int = f->is_int && f->scale.kind == CENSUS_PROMETHEUS_SCALE_NONE;
  f->value = counter && agg == CENSUS_AGGREGATION_COUNT ? DIRECT_COUNT
             : unscaled_int                             ? DIRECT_INT
             : counter                                  ? DIRECT_COUNTER
                                                        : DIRECT_GAUGE;
  f->cut = census__malloc((f->label_count + 2) * sizeof *f->cut);
  if (!f->cut) {
    return false;
  }
  census_buf *b = &f->line;
  census__buf_append(b, f->name, f->name_length);
  census__buf_append_str(b, counter ? "_total" : "");
  if (f->constants.len || f->label_count) {
    census__buf_append_byte(b, '{');
    census__buf_append(b, f->constants.data, f->constants.len);
  }
  f->cut[0] = 0;
  for (size_t l = 0; l < f->label_count; l++) {
    census__buf_append_str(b, l ? "\"," : f->constants.len ? "," : "");
    census__buf_append(b, f->labels[l].name, f->labels[l].length);
    census__buf_append(b, "=\"", 2);
    f->cut[l + 1] = b->len;
  }
  census__buf_append_str(b, f->label_count ? "\"} " : f->constants.len ? "} " : " ");
  f->cut[f->label_count + 1] = b->len;
  if (census__buf_reserve(b, 16)) {
    memset(b->data + b->len, 0, 16);
  }
  return !b->failed;
}

/* Decides the family's name (reserving its sample names, even for a view without rows) and, for
 * a view with rows, its labels and constant labels. False if memory ran out (the family is
 * freed then). */
static bool family_open(family *f, const census_view_data *d,
                        const census_prometheus_options *options,
                        census_prometheus_reserved *reserved) {
  *f = (family){.openmetrics = options->format == CENSUS_PROMETHEUS_OPENMETRICS};
  f->is_int = census_measure_value_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64;
  census_buf unit = CENSUS_BUF_INIT, original = CENSUS_BUF_INIT;
  census__prometheus_view_unit(d, options, &unit, &original, &f->scale);
  census__buf_append_byte(&unit, '\0');
  census__buf_append_byte(&original, '\0');
  if (!unit.failed && !original.failed) {
    f->name =
        census__prometheus_family_name(d, options, reserved, &unit, &original, &f->unit_start);
  }
  census__free(unit.data);
  census__free(original.data);
  bool failed = f->name == NULL;
  if (!failed && census_view_data_row_count(d) > 0) {
    f->name_length = strlen(f->name);
    f->labels = census__prometheus_view_labels(d, &f->label_count, &failed);
  }
  /* Constant labels, minus those a column of this view also uses, rendered once per view. */
  size_t constant_count = census_view_data_row_count(d) > 0 ? options->const_label_count : 0;
  for (size_t i = 0; !failed && i < constant_count; i++) {
    const census_kv *c = &options->const_labels[i];
    bool shadowed = false;
    for (size_t l = 0; l < f->label_count && !shadowed; l++) {
      shadowed = strcmp(f->labels[l].name, c->key) == 0;
    }
    if (!shadowed) {
      census__buf_append_str(&f->constants, f->constants.len ? "," : "");
      census__buf_append_str(&f->constants, c->key);
      census__buf_append(&f->constants, "=\"", 2);
      escaped(&f->constants, c->value, quoted_escapes);
      census__buf_append_byte(&f->constants, '"');
    }
  }
  /* A Distribution view's bucket labels are the same on every row: spelled once per view (a
   * bound that is not an integer costs an snprintf() and a strtod() or more). */
  const double *bounds = NULL;
  size_t bound_count = !failed && census_view_data_row_count(d) > 0 &&
                               census_view_data_aggregation(d) == CENSUS_AGGREGATION_DISTRIBUTION
                           ? census_view_data_bounds(d, &bounds)
                           : 0;
  if (bound_count > 0) {
    f->le = census__malloc(bound_count * sizeof *f->le);
    failed = f->le == NULL;
    for (size_t b = 0; !failed && b < bound_count; b++) {
      /* + 0.0: a bound of -0 is written 0. */
      double bound = census__prometheus_scaled_double(bounds[b], &f->scale) + 0.0;
      memcpy(f->le[b], "le=\"", 4);
      size_t n = double_text(f->le[b] + 4, bound, f->openmetrics);
      memcpy(f->le[b] + 4 + n, "\"", 2);
    }
  }
  if (!failed && census_view_data_row_count(d) > 0 && !f->openmetrics) {
    failed = !line_template(f, census__prometheus_type(d), census_view_data_aggregation(d));
  }
  if (failed || f->constants.failed) {
    family_free(f);
    return false;
  }
  return true;
}

/* The metadata lines: # HELP, # TYPE and, in OpenMetrics for a name with a unit suffix, # UNIT.
 * In the text format the family name of a counter includes "_total". */
static void family_header(census_buf *o, const family *f, const census_view_data *d) {
  census_prometheus_type type = census__prometheus_type(d);
  bool counter = type == CENSUS_PROMETHEUS_COUNTER;
  const char *type_name = counter                           ? "counter"
                          : type == CENSUS_PROMETHEUS_GAUGE ? "gauge"
                                                            : "histogram";
  const char *family_suffix = counter && !f->openmetrics ? "_total" : "";
  const char *help = census_view_data_description(d);
  help = help && *help ? help : census_measure_description(census_view_data_measure(d));
  help = help && *help ? help : census_view_data_name(d);
  census__buf_append_str(o, "# HELP ");
  census__buf_append(o, f->name, f->name_length);
  census__buf_append_str(o, family_suffix);
  census__buf_append_byte(o, ' ');
  escaped(o, help, f->openmetrics ? quoted_escapes : help_escapes);
  census__buf_append_str(o, "\n# TYPE ");
  census__buf_append(o, f->name, f->name_length);
  census__buf_append_str(o, family_suffix);
  census__buf_append_byte(o, ' ');
  census__buf_append_str(o, type_name);
  census__buf_append_byte(o, '\n');
  if (f->openmetrics && f->unit_start < f->name_length) {
    census__buf_append_str(o, "# UNIT ");
    census__buf_append(o, f->name, f->name_length);
    census__buf_append_byte(o, ' ');
    census__buf_append(o, f->name + f->unit_start + 1, f->name_length - f->unit_start - 1);
    census__buf_append_byte(o, '\n');
  }
}

/* Writes the labels of one row, without braces, into `o`: constant labels, then the view's
 * labels or, for the overflow row, otel_metric_overflow="true". */
static void row_labels(census_buf *o, const family *f, const census_view_data *d, size_t row) {
  census__buf_append(o, f->constants.data, f->constants.len);
  bool first = f->constants.len == 0;
  if (census_view_data_row_is_overflow(d, row)) {
    census__buf_append_str(o, first ? "otel_metric_overflow=\"true\""
                                    : ",otel_metric_overflow=\"true\"");
    return;
  }
  for (size_t l = 0; l < f->label_count; l++) {
    const census_prometheus_column *c = &f->labels[l];
    if (!census__buf_reserve(o, c->length + 1)) {
      return;
    }
    if (!first) {
      put(o, ",", 1);
    }
    first = false;
    put(o, c->name, c->length);
    label_value(o, census_view_data_row_value(d, row, c->column));
  }
}

/* A sample line up to its value: name suffix {labels extra} and a space, with one reserve. */
static void sample_start(census_buf *o, const family *f, const char *suffix, size_t suffix_length,
                         const census_buf *labels, const char *extra) {
  size_t extra_length = extra ? strlen(extra) : 0;
  if (!census__buf_reserve(o, f->name_length + suffix_length + labels->len + extra_length + 4)) {
    return;
  }
  put(o, f->name, f->name_length);
  put(o, suffix, suffix_length);
  if (labels->len || extra) {
    put(o, "{", 1);
    put(o, labels->data, labels->len);
    if (extra) {
      if (labels->len) {
        put(o, ",", 1);
      }
      put(o, extra, extra_length);
    }
    put(o, "}", 1);
  }
  put(o, " ", 1);
  o->data[o->len] = '\0';
}

/* Copies piece [0, n) of a family's line template (followed by 16 readable bytes) to p, 16
 * bytes at a time: a piece is a handful of words, and the caller reserved 16 bytes of slack for
 * the overshoot, which later writes cover or leave past the end. Returns p + n. */
static inline char *put_piece(char *p, const char *s, size_t n) {
  size_t i = 0;
  do {
    memcpy(p + i, s + i, 16);
    i += 16;
  } while (i < n);
  return p + n;
}

/* Copies label value s[0..n) to p (room reserved) with overlapping moves (no byte loop, no call
 * to memcpy for a short value, nothing read outside s[0..n); a byte copied twice is the same
 * byte), and returns quoted_hits() of its bytes (zero: nothing to escape or validate). The words
 * are tested as they are copied, as plain_quoted() would test them, so a value is read once. */
static inline uint64_t put_value(char *p, const char *s, size_t n) {
  if (n >= 8) {
    uint64_t w, hits = 0;
    for (size_t i = 0; i + 8 < n; i += 8) {
      memcpy(&w, s + i, 8);
      memcpy(p + i, &w, 8);
      hits |= quoted_hits(w);
    }
    memcpy(&w, s + n - 8, 8);
    memcpy(p + n - 8, &w, 8);
    return hits | quoted_hits(w);
  }
  if (n >= 4) {
    uint32_t lo, hi;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    memcpy(p, &lo, 4);
    memcpy(p + n - 4, &hi, 4);
    return quoted_hits(lo | (uint64_t)hi << 32);
  }
  if (n > 0) {
    const unsigned char *u = (const unsigned char *)s;
    p[0] = s[0];
    p[n / 2] = s[n / 2];
    p[n - 1] = s[n - 1];
    return quoted_hits(u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16) & 0x808080u;
  }
  return 0;
}

static void counter_value(census_buf *o, const family *f, const census_view_data *d, size_t row,
                          const census_point *p);
static void gauge_value(census_buf *o, const family *f, const census_point *p);

/* A text-format counter's or gauge's only sample line, "name_total{constants,labels} value\n",
 * written straight into `o` with one reserve: the family's line template (family_open())
 * between the row's values, which come with their lengths (census_view_data_row_values()), and
 * an integer value in place. What row_labels() into the scratch buffer, sample_start() and
 * counter_value() or gauge_value() write, byte for byte (test_hostile_set renders both ways).
 * False, with nothing written, when the row needs that path: the overflow row, a value to
 * escape or validate. */
static bool direct_line(census_buf *o, const family *f, const census_view_data *d, size_t row,
                        const census_point *point) {
  if (census_view_data_row_is_overflow(d, row)) {
    return false;
  }
  const char *const *values = NULL;
  const size_t *lengths = NULL;
  if (census_view_data_row_values(d, row, &values, &lengths) != f->label_count) {
    return false;
  }
  /* The line, 16 bytes of put_piece() slack, and the value: an integer (21) and the newline. */
  size_t total = f->line.len + 16 + 22;
  for (size_t l = 0; l < f->label_count; l++) {
    total += lengths[l];
  }
  if (!census__buf_reserve(o, total)) {
    return true; /* the buffer failed: the render reports ENOMEM */
  }
  const char *line = f->line.data;
  const size_t *cut = f->cut;
  char *p = put_piece(o->data + o->len, line, cut[1]);
  uint64_t hits = 0;
  for (size_t l = 0; l < f->label_count; l++) {
    size_t column = f->labels[l].column; /* l: one label per column, in column order */
    hits |= put_value(p, values[column], lengths[column]);
    p = put_piece(p + lengths[column], line + cut[l + 1], cut[l + 2] - cut[l + 1]);
  }
  if (hits) {
    return false; /* written past o->len only: the scratch path starts over */
  }
  switch (f->value) {
  case DIRECT_COUNT:
  case DIRECT_INT:
    p += put_int(p, f->value == DIRECT_COUNT ? point->count : point->int_value);
    *p++ = '\n';
    o->len = (size_t)(p - o->data);
    o->data[o->len] = '\0';
    break;
  case DIRECT_COUNTER:
    o->len = (size_t)(p - o->data);
    counter_value(o, f, d, row, point);
    break;
  case DIRECT_GAUGE:
    o->len = (size_t)(p - o->data);
    gauge_value(o, f, point);
    break;
  }
  return true;
}

/* sample_start() with a literal suffix. */
#define SAMPLE_START(o, f, suffix, labels, extra)                                                  \
  sample_start((o), (f), suffix, sizeof suffix - 1, (labels), (extra))

/* The _created sample of a row (OpenMetrics counters and histograms): the view's start time,
 * when its cumulative values started from zero. */
static void created_sample(census_buf *o, const family *f, const census_buf *labels,
                           int64_t start_ns) {
  SAMPLE_START(o, f, "_created", labels, NULL);
  unix_seconds(o, start_ns);
  census__buf_append_byte(o, '\n');
}

/* An OpenMetrics exemplar after a sample's value: " # {trace_id="<32 hex>",span_id="<16 hex>"}
 * <value> <timestamp>" (63 characters of labels, within the 128 OpenMetrics allows), the value
 * scaled as the family's. Exemplars without a span are left out: the trace is what they are for.
 * The 0.0.4 text format has no exemplars: nothing is written there. */
static void exemplar_suffix(census_buf *o, const family *f, const census_view_data *d,
                            const census_exemplar *e) {
  static const char hex[] = "0123456789abcdef";
  if (!f->openmetrics || !e->has_span) {
    return;
  }
  char ids[96];
  size_t n = 0;
  memcpy(ids, " # {trace_id=\"", 14);
  n = 14;
  for (size_t i = 0; i < sizeof e->trace_id; i++) {
    ids[n++] = hex[e->trace_id[i] >> 4];
    ids[n++] = hex[e->trace_id[i] & 15];
  }
  memcpy(ids + n, "\",span_id=\"", 11);
  n += 11;
  for (size_t i = 0; i < sizeof e->span_id; i++) {
    ids[n++] = hex[e->span_id[i] >> 4];
    ids[n++] = hex[e->span_id[i] & 15];
  }
  memcpy(ids + n, "\"} ", 3);
  n += 3;
  census__buf_append(o, ids, n);
  /* The measurement's value: a Count view's too, in the measure's unit (scaled as the family). */
  if (census_measure_value_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64) {
    value_int(o, e->int_value, &f->scale);
  } else {
    value_double(o, e->double_value, &f->scale);
  }
  census__buf_append_byte(o, ' ');
  unix_seconds(o, e->time_ns);
}

/* ---- one writer per aggregation ---------------------------------------------------------------
 */

/* Count and Sum views: one counter sample, <name>_total. A Count view counts measurements (unit
 * 1, never scaled); a Sum view's total is the measure's type, scaled with base units. */
static void counter_value(census_buf *o, const family *f, const census_view_data *d, size_t row,
                          const census_point *p);

static void counter_samples(census_buf *o, const family *f, const census_view_data *d, size_t row,
                            const census_point *p, const census_buf *labels) {
  SAMPLE_START(o, f, "_total", labels, NULL);
  counter_value(o, f, d, row, p);
}

/* A counter sample after its "name{labels} ": the value, an exemplar, the newline. */
static void counter_value(census_buf *o, const family *f, const census_view_data *d, size_t row,
                          const census_point *p) {
  if (census_view_data_aggregation(d) == CENSUS_AGGREGATION_COUNT) {
    census__prometheus_int(o, p->count);
  } else if (f->is_int) {
    value_int(o, p->int_value, &f->scale);
  } else {
    value_double(o, p->double_value, &f->scale);
  }
  census_exemplar e; /* a counter's reservoir: one exemplar, the last sampled */
  if (f->openmetrics && census_view_data_row_exemplar(d, row, 0, &e) == CENSUS_OK) {
    exemplar_suffix(o, f, d, &e); /* (the text format has no exemplars) */
  }
  census__buf_append_byte(o, '\n');
}

/* LastValue views, and Sum views that can go down: one gauge sample, <name>. */
static void gauge_value(census_buf *o, const family *f, const census_point *p);

static void gauge_samples(census_buf *o, const family *f, const census_point *p,
                          const census_buf *labels) {
  SAMPLE_START(o, f, "", labels, NULL);
  gauge_value(o, f, p);
}

/* A gauge sample after its "name{labels} ": the value and the newline. */
static void gauge_value(census_buf *o, const family *f, const census_point *p) {
  if (f->is_int) {
    value_int(o, p->int_value, &f->scale);
  } else {
    value_double(o, p->double_value, &f->scale);
  }
  census__buf_append_byte(o, '\n');
}

static void sum_count_samples(census_buf *o, const family *f, const census_point *p,
                              const census_buf *labels);

/* Distribution views: cumulative <name>_bucket{le=...} samples (census buckets are
 * upper-inclusive already, as le is), then <name>_sum (the exact sum) and <name>_count. In
 * OpenMetrics a histogram with a negative bucket bound MUST NOT have _sum, and _count goes with
 * _sum; the +Inf bucket still holds the count. The text format keeps both: census values are
 * never negative, so the sum is still a counter (docs/exporters/prometheus.md). */
static void histogram_samples(census_buf *o, const family *f, const census_view_data *d, size_t row,
                              const census_point *p, const census_buf *labels) {
  const double *bounds = NULL;
  size_t bound_count = census_view_data_bounds(d, &bounds);
  int64_t cumulative = 0;
  /* Exemplars come in bucket order, at most one per bucket (exemplar.h): a cursor. */
  size_t next_exemplar = 0, exemplars = census_view_data_row_exemplar_count(d, row);
  census_exemplar e = {.bucket = SIZE_MAX};
  if (exemplars > 0) {
    census_view_data_row_exemplar(d, row, next_exemplar++, &e);
  }
  for (size_t b = 0; b < p->bucket_count; b++) {
    cumulative += p->bucket_counts[b];
    SAMPLE_START(o, f, "_bucket", labels, b < bound_count ? f->le[b] : "le=\"+Inf\"");
    census__prometheus_int(o, cumulative);
    if (e.bucket == b) {
      exemplar_suffix(o, f, d, &e);
      e.bucket = SIZE_MAX;
      if (next_exemplar < exemplars) {
        census_view_data_row_exemplar(d, row, next_exemplar++, &e);
      }
    }
    census__buf_append_byte(o, '\n');
  }
  if (f->openmetrics && ((bound_count > 0 && bounds[0] < 0) || !census_view_data_is_monotonic(d))) {
    return; /* negative observations possible: no _sum and _count (OpenMetrics) */
  }
  sum_count_samples(o, f, p, labels);
}

/* One cumulative <name>_bucket{le=...} sample; `bound` already scaled (+Inf: the last). */
static void bucket_sample(census_buf *o, const family *f, const census_buf *labels, double bound,
                          int64_t cumulative) {
  char le[64] = "le=\"+Inf\"";
  if (!isinf(bound)) {
    size_t n = double_text(le + 4, bound, f->openmetrics);
    memcpy(le + 4 + n, "\"", 2);
  }
  SAMPLE_START(o, f, "_bucket", labels, le);
  census__prometheus_int(o, cumulative);
  census__buf_append_byte(o, '\n');
}

/* Exponential views, as explicit buckets derived from the exponential ones (the text formats have
 * no native histograms): le="0" with the zero count, then the upper bound 2^((i+1)/2^scale) of
 * every bucket i from the first to the last non-empty one (scaled with base units), cumulative,
 * then +Inf, _sum and _count (docs/exporters/prometheus.md). A bound that is not above the
 * previous one once rounded and scaled, or not finite (only at the doubles' extremes), is left
 * out: its count goes into the next bucket written, so the cumulative counts stay true, only
 * coarser. */
static void exponential_samples(census_buf *o, const family *f, const census_view_data *d,
                                size_t row, const census_point *p, const census_buf *labels) {
  census_exponential_buckets e;
  census_view_data_row_exponential(d, row, &e);
  int64_t cumulative = e.zero_count;
  bucket_sample(o, f, labels, 0.0, cumulative);
  double previous = 0.0;
  for (size_t i = 0; i < e.bucket_count; i++) {
    cumulative += e.bucket_counts[i];
    double bound = census__exp_upper_bound(e.scale, (int64_t)e.offset + (int64_t)i);
    bound = census__prometheus_scaled_double(bound, &f->scale);
    if (bound > previous && !isinf(bound)) {
      bucket_sample(o, f, labels, bound, cumulative);
      previous = bound;
    }
  }
  bucket_sample(o, f, labels, INFINITY, p->count);
  sum_count_samples(o, f, p, labels);
}

/* <name>_sum (the exact sum) and <name>_count of a histogram. */
static void sum_count_samples(census_buf *o, const family *f, const census_point *p,
                              const census_buf *labels) {
  SAMPLE_START(o, f, "_sum", labels, NULL);
  if (f->is_int) {
    value_int(o, p->int_value, &f->scale); /* the exact sum: an integer when unscaled */
  } else {
    value_double(o, p->double_value, &f->scale);
  }
  census__buf_append_byte(o, '\n');
  SAMPLE_START(o, f, "_count", labels, NULL);
  census__prometheus_int(o, p->count);
  census__buf_append_byte(o, '\n');
}

/* Renders the family of view `d`; `scratch` holds each row's labels. */
static void render_view(census_buf *o, const census_view_data *d,
                        const census_prometheus_options *options,
                        census_prometheus_reserved *reserved, census_buf *scratch) {
  family f;
  if (!family_open(&f, d, options, reserved)) {
    o->failed = true;
    return;
  }
  size_t rows = census_view_data_row_count(d);
  if (rows == 0) {
    family_free(&f); /* its names stay reserved, so other views' names do not depend on its rows */
    return;
  }
  census_prometheus_type type = census__prometheus_type(d);
  /* The family's room at once, from a guess (a line's fixed text, 32 bytes a label value and the
   * number, times the lines of a row): growing by doubling copied the text written so far at
   * every step, more than the lines themselves cost (a wrong guess grows as before). */
  size_t lines = type == CENSUS_PROMETHEUS_HISTOGRAM ? census_view_data_bounds(d, NULL) + 3 : 1;
  lines += f.openmetrics && type != CENSUS_PROMETHEUS_GAUGE;
  size_t line = f.name_length + 16 + f.constants.len + f.label_count * 32 + 32;
  if (rows <= SIZE_MAX / 4 / lines / line) {
    census__buf_reserve(o, rows * lines * line);
  }
  family_header(o, &f, d);
  int64_t start_ns = census_view_data_start_time_ns(d);
  for (size_t row = 0; row < rows && !o->failed; row++) {
    census_point p;
    if (census_view_data_row_point(d, row, &p) != CENSUS_OK) {
      continue;
    }
    /* The text format's counters and gauges have one sample line per row: written directly.
     * (OpenMetrics counters also write _created with the same labels: the scratch path.) */
    if (f.line.data && !census__prometheus_render_plain && direct_line(o, &f, d, row, &p)) {
      continue;
    }
    scratch->len = 0;
    row_labels(scratch, &f, d, row);
    if (scratch->failed) {
      o->failed = true;
      break;
    }
    switch (type) {
    case CENSUS_PROMETHEUS_COUNTER:
      counter_samples(o, &f, d, row, &p, scratch);
      break;
    case CENSUS_PROMETHEUS_GAUGE:
      gauge_samples(o, &f, &p, scratch);
      break;
    case CENSUS_PROMETHEUS_HISTOGRAM:
      if (census_view_data_aggregation(d) == CENSUS_AGGREGATION_EXPONENTIAL) {
        exponential_samples(o, &f, d, row, &p, scratch);
      } else {
        histogram_samples(o, &f, d, row, &p, scratch);
      }
      break;
    }
    if (f.openmetrics && type != CENSUS_PROMETHEUS_GAUGE) {
      created_sample(o, &f, scratch, start_ns);
    }
  }
  family_free(&f);
}

/* ---- the public functions -------------------------------------------------------------------- */

census_status census__prometheus_options_read(const census_prometheus_options *in,
                                              census_prometheus_options *options) {
  census_status status = CENSUS_OPTIONS_COPY(options, in, "prometheus", prometheus, PROMETHEUS);
  if (status != CENSUS_OK) {
    return status;
  }
  if (options->format != CENSUS_PROMETHEUS_TEXT &&
      options->format != CENSUS_PROMETHEUS_OPENMETRICS) {
    return CENSUS_EINVAL;
  }
  if (options->const_label_count && !options->const_labels) {
    return CENSUS_EINVAL;
  }
  for (size_t i = 0; i < options->const_label_count; i++) {
    if (!census__prometheus_const_label_name_valid(options->const_labels[i].key)) {
      return CENSUS_EINVAL;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(options->const_labels[i].key, options->const_labels[j].key) == 0) {
        return CENSUS_EINVAL;
      }
    }
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_prometheus_render_views(const census_view_data *const *views,
                                                           size_t count,
                                                           const census_prometheus_options *in,
                                                           char **text, size_t *length) {
  if (text) {
    *text = NULL;
  }
  if (!text || !length || (count && !views)) {
    return CENSUS_EINVAL;
  }
  *length = 0;
  census_prometheus_options options;
  census_status status = census__prometheus_options_read(in, &options);
  if (status != CENSUS_OK) {
    return status;
  }
  census_buf o = CENSUS_BUF_INIT;
  census_buf scratch = CENSUS_BUF_INIT;
  census_prometheus_reserved reserved = {0};
  census__buf_reserve(&o, 256 + count * 256);
  for (size_t i = 0; i < count && !o.failed; i++) {
    if (views[i]) {
      render_view(&o, views[i], &options, &reserved, &scratch);
    }
  }
  if (options.format == CENSUS_PROMETHEUS_OPENMETRICS) {
    census__buf_append_str(&o, "# EOF\n");
  }
  census__free(scratch.data);
  census__prometheus_reserved_free(&reserved);
  size_t n = 0;
  *text = census__buf_take(&o, &n); /* NUL-terminated, even when nothing was written */
  if (!*text) {
    return CENSUS_ENOMEM;
  }
  *length = n;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_prometheus_render(const census_prometheus_options *in,
                                                     char **text, size_t *length) {
  if (text) {
    *text = NULL;
  }
  if (!text || !length) {
    return CENSUS_EINVAL;
  }
  census_prometheus_options options;
  census_status status = census__prometheus_options_read(in, &options);
  if (status != CENSUS_OK) {
    return status;
  }
  census_view_data **views = NULL;
  size_t count = 0;
  status = census_view_data_get_all(&views, &count);
  if (status != CENSUS_OK) {
    return status;
  }
  status = census_prometheus_render_views((const census_view_data *const *)views, count, &options,
                                          text, length);
  census_view_data_free_all(views, count);
  return status;
}

CENSUS_EXPORT void census_prometheus_text_free(char *text) { census__free(text); }

/* ---- content negotiation ----------------------------------------------------------------------
 */

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
