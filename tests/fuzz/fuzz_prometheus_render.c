/* fuzz_prometheus_render.c - libFuzzer target for the Prometheus renderer
 * (exporters/prometheus/prometheus_render.c): no view name, unit, description, column, tag
 * value, bucket bound, constant label or prefix may make the output unparsable.
 *
 * The input is a small line-oriented program (one command per line, its first byte naming it):
 *   V<agg><type><name>  a new view: agg c/s/l/d/e (Count, Sum, LastValue, Distribution,
 *                       Exponential, else by value mod 4), type i/d (int64/double measure; I/D: a
 *                       signed one, whose values may be negative: an up-down counter's), name
 *                       (mapped into printable ASCII, as census_view_new() requires; at most 255
 *                       bytes)
 *   U<unit> M<text> D<text>   the view's measure unit, measure description, view description
 *                       (any bytes)
 *   N<name>             the view's Prometheus name (census_view_set_prometheus_name():
 *                       printable ASCII, 1..255 bytes)
 *   C<name>             a column (printable ASCII; a repeated column is skipped, as census
 *                       refuses it)
 *   K<n>,<n>,...        bucket bounds (kept finite, sorted, distinct, as census requires)
 *   R<v>\t<v>...|<n>,<n>,...  a row: column values (printable ASCII, at most 255 bytes; a tuple
 *                       already present is skipped), then numbers for its point (Count: count;
 *                       Sum, LastValue: value; Distribution: the bucket counts, then the sum;
 *                       Exponential: scale (kept in -10..20), offset, zero count, then the bucket
 *                       counts; its sum is 1.5 per measurement)
 *   O|<n>,...           the overflow row (values all ""), once per view
 *   X<n>,<n>,<n>,<n>    an exemplar of the last row: slot (a Distribution's bucket; every other
 *                       view shows only slot 0, as census's one-slot reservoirs), value, time
 *                       (ns after 1700000000 s), ids (a number hashed into trace and span ids;
 *                       a multiple of 4 means none: recorded outside any span)
 *   T<ns>               the view's start time
 *   P<prefix> L<name>=<value> B   options: name prefix, constant label (at most 4), base units
 * e.g. tests/fuzz/corpus/prometheus_render/. The views are snapshot doubles: this file defines
 * census_view_data and census_measure and their accessors, and the target links the renderer
 * without census's core, so every iteration starts from nothing (the core's registry is
 * process-wide and only grows) and snapshots can hold anything census's API lets through:
 * values are kept within what the core guarantees (non-negative unless the measure is signed, a
 * distribution's count the sum
 * of its buckets), names and values within what its constructors accept. The real core's path
 * is covered by unit_prometheus_render's generated hostile set.
 *
 * Invariants, for both formats: census_prometheus_render_views() returns CENSUS_EINVAL exactly
 * when a constant label name breaks the documented rule, else CENSUS_OK with a text whose length
 * is *length; the text passes the strict checker (tests/fuzz/exposition_check.c: the grammars
 * plus the strict parsers' rules, no duplicate series); every view with rows has its family and
 * every row its samples (counted); a second render is byte-identical.
 * With CENSUS_FUZZ_DUMP=<dir> in the environment, each render is also written to <dir>
 * (<hash>.txt, <hash>.om) for the real parsers (tests/prometheus/corpus_check.sh).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporters/prometheus.h"
#include "exp_buckets.h"
#include "exposition_check.h"
#include "fuzz_common.h"
#include "buffer.h"
#include "prometheus_internal.h"

/* ---- the snapshot double ------------------------------------------------------------------- */

#define MAX_VIEWS 16
#define MAX_COLUMNS 8
#define MAX_ROWS 12
#define MAX_BOUNDS 24

struct census_measure {
  char *description, *unit;
  census_measure_type type;
  bool signed_values;
};

struct row {
  char *values[MAX_COLUMNS];
  size_t lengths[MAX_COLUMNS]; /* strlen() of each value, for census_view_data_row_values() */
  bool overflow;
  census_point point;
  int64_t buckets[MAX_BOUNDS + 1];
  census_exponential_buckets exponential;
  census_exemplar exemplars[MAX_BOUNDS + 1]; /* by slot, as census's reservoirs */
  bool has_exemplar[MAX_BOUNDS + 1];
};

struct census_view_data {
  char *name, *description;
  char *prometheus_name;
  struct census_measure measure;
  census_aggregation_type aggregation;
  char *columns[MAX_COLUMNS];
  size_t column_count;
  double bounds[MAX_BOUNDS];
  size_t bound_count;
  int64_t start_ns;
  struct row rows[MAX_ROWS];
  size_t row_count;
};

CENSUS_EXPORT const char *census_view_data_name(const census_view_data *d) { return d->name; }
CENSUS_EXPORT const char *census_view_data_prometheus_name(const census_view_data *d) {
  return d->prometheus_name;
}
CENSUS_EXPORT const char *census_view_data_description(const census_view_data *d) {
  return d->description;
}
CENSUS_EXPORT const census_measure *census_view_data_measure(const census_view_data *d) {
  return &d->measure;
}
CENSUS_EXPORT census_aggregation_type census_view_data_aggregation(const census_view_data *d) {
  return d->aggregation;
}
/* The core's rule (src/stats/view_data.c), restated: the renderer must get what the core gives. */
CENSUS_EXPORT const char *census_view_data_unit(const census_view_data *d) {
  const char *unit = d->measure.unit;
  return d->aggregation == CENSUS_AGGREGATION_COUNT || !unit || !unit[0] ? "1" : unit;
}
CENSUS_EXPORT size_t census_view_data_column_count(const census_view_data *d) {
  return d->column_count;
}
CENSUS_EXPORT const char *census_view_data_column(const census_view_data *d, size_t i) {
  return i < d->column_count ? d->columns[i] : NULL;
}
CENSUS_EXPORT size_t census_view_data_bounds(const census_view_data *d, const double **bounds) {
  if (bounds) {
    *bounds = d->bound_count ? d->bounds : NULL;
  }
  return d->bound_count;
}
CENSUS_EXPORT int64_t census_view_data_start_time_ns(const census_view_data *d) {
  return d->start_ns;
}
CENSUS_EXPORT size_t census_view_data_row_count(const census_view_data *d) { return d->row_count; }
CENSUS_EXPORT const char *census_view_data_row_value(const census_view_data *d, size_t row,
                                                     size_t column) {
  return row < d->row_count && column < d->column_count ? d->rows[row].values[column] : NULL;
}
CENSUS_EXPORT size_t census_view_data_row_values(const census_view_data *d, size_t row,
                                                 const char *const **values,
                                                 const size_t **lengths) {
  bool found = values && row < d->row_count;
  if (values) {
    *values = found ? (const char *const *)d->rows[row].values : NULL;
  }
  if (lengths) {
    *lengths = found ? d->rows[row].lengths : NULL;
  }
  return found ? d->column_count : 0;
}
CENSUS_EXPORT bool census_view_data_row_is_overflow(const census_view_data *d, size_t row) {
  return row < d->row_count && d->rows[row].overflow;
}
CENSUS_EXPORT census_status census_view_data_row_point(const census_view_data *d, size_t row,
                                                       census_point *point) {
  if (!d || !point) {
    return CENSUS_EINVAL;
  }
  if (row >= d->row_count) {
    return CENSUS_ENOTFOUND;
  }
  *point = d->rows[row].point;
  return CENSUS_OK;
}
CENSUS_EXPORT census_status census_view_data_row_exponential(const census_view_data *d, size_t row,
                                                             census_exponential_buckets *out) {
  if (!d || !out || d->aggregation != CENSUS_AGGREGATION_EXPONENTIAL) {
    return CENSUS_EINVAL;
  }
  if (row >= d->row_count) {
    return CENSUS_ENOTFOUND;
  }
  *out = d->rows[row].exponential;
  return CENSUS_OK;
}
/* Exemplars as census keeps them: a Distribution's by bucket (slot = bucket, in order, at most
 * one each), every other view's in slot 0 only. */
static size_t exemplar_slots(const census_view_data *d) {
  return d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION ? d->bound_count + 1 : 1;
}
CENSUS_EXPORT size_t census_view_data_row_exemplar_count(const census_view_data *d, size_t row) {
  size_t n = 0;
  for (size_t k = 0; row < d->row_count && k < exemplar_slots(d); k++) {
    n += d->rows[row].has_exemplar[k];
  }
  return n;
}
CENSUS_EXPORT census_status census_view_data_row_exemplar(const census_view_data *d, size_t row,
                                                          size_t i, census_exemplar *out) {
  if (!d || !out) {
    return CENSUS_EINVAL;
  }
  for (size_t k = 0; row < d->row_count && k < exemplar_slots(d); k++) {
    if (d->rows[row].has_exemplar[k] && i-- == 0) {
      *out = d->rows[row].exemplars[k];
      out->bucket = d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION ? k : SIZE_MAX;
      return CENSUS_OK;
    }
  }
  return CENSUS_ENOTFOUND;
}
CENSUS_EXPORT census_measure_type census_measure_value_type(const census_measure *m) {
  return m->type;
}
CENSUS_EXPORT bool census_measure_is_signed(const census_measure *m) { return m->signed_values; }
/* The core's rule (src/stats/view_data.c), restated. */
CENSUS_EXPORT bool census_view_data_is_monotonic(const census_view_data *d) {
  return d->aggregation == CENSUS_AGGREGATION_COUNT ||
         ((d->aggregation == CENSUS_AGGREGATION_SUM ||
           d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION) &&
          !d->measure.signed_values);
}
CENSUS_EXPORT const char *census_measure_unit(const census_measure *m) { return m->unit; }
CENSUS_EXPORT const char *census_measure_description(const census_measure *m) {
  return m->description;
}
/* census_prometheus_render() (not fuzzed) collects from the core, which is not linked. */
CENSUS_EXPORT census_status census_view_data_get_all(census_view_data ***views, size_t *count) {
  *views = NULL;
  *count = 0;
  return CENSUS_ESHUTDOWN;
}
CENSUS_EXPORT void census_view_data_free_all(census_view_data **views, size_t count) {
  (void)views;
  (void)count;
}
static size_t diagnostics_seen;
CENSUS_EXPORT void census_diagnostics_report(census_status status, const char *message) {
  (void)status;
  FUZZ_CHECK(message != NULL && strncmp(message, "prometheus: ", 12) == 0);
  diagnostics_seen++;
}

/* ---- building views from the input ---------------------------------------------------------- */

/* A NUL-terminated copy of n bytes; `printable` maps every byte into 0x20..0x7e (what census
 * accepts in names and tag values), otherwise NUL bytes are dropped (C strings cannot hold
 * them). At most `max` bytes. */
static char *copy_text(const char *s, size_t n, bool printable, size_t max) {
  n = n < max ? n : max;
  char *out = malloc(n + 1);
  FUZZ_CHECK(out != NULL);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (printable) {
      out[k++] = (char)(c >= 0x20 && c < 0x7f ? c : 0x20 + c % 95);
    } else if (c) {
      out[k++] = (char)c;
    }
  }
  out[k] = '\0';
  return out;
}

/* Up to `max` numbers from "n,n,..." (strtod; anything unparsable is 0). */
static size_t numbers(const char *s, size_t n, double *out, size_t max) {
  char text[512];
  n = n < sizeof text - 1 ? n : sizeof text - 1;
  memcpy(text, s, n);
  text[n] = '\0';
  size_t count = 0;
  char *p = text;
  while (*p && count < max) {
    char *end;
    double v = strtod(p, &end);
    out[count++] = end == p ? 0 : v;
    p = end == p ? p + 1 : end;
    while (*p == ',' || *p == ' ') {
      p++;
    }
  }
  return count;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A count or bucket count in census's range (non-negative; small, so that sums stay exact). */
static int64_t count_of(double v) {
  v = fabs(v);
  return isfinite(v) ? (int64_t)fmod(v, 1e12) : 0;
}

/* A measured value in census's range: non-negative (census refuses negative values) unless the
 * measure is signed, finite for recorded values; a double Sum may have overflowed to +-Inf. */
static double value_of(double v, bool may_be_inf, bool is_signed) {
  v = is_signed ? v : fabs(v);
  return isnan(v) || (isinf(v) && !may_be_inf) ? 0 : v;
}

/* An int64 value in range, saturated as the core holds it (signed: clamped). */
static int64_t int_of(double v) {
  return v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

/* Fills the point of the row just added from its numbers. */
static void set_point(census_view_data *d, struct row *r, const double *n, size_t count) {
  census_point *p = &r->point;
  *p = (census_point){0};
  bool is_int = d->measure.type == CENSUS_MEASURE_INT64;
  double first = count ? n[0] : 1;
  switch (d->aggregation) {
  case CENSUS_AGGREGATION_COUNT:
    p->count = count_of(first);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_LAST_VALUE:
    p->count = 1;
    if (is_int) {
      p->int_value = int_of(value_of(first, false, d->measure.signed_values));
    } else {
      p->double_value =
          value_of(first, d->aggregation == CENSUS_AGGREGATION_SUM, d->measure.signed_values);
    }
    break;
  case CENSUS_AGGREGATION_EXPONENTIAL: {
    census_exponential_buckets *e = &r->exponential;
    *e = (census_exponential_buckets){0};
    double scale = count > 0 && isfinite(n[0]) ? fmod(fabs(n[0]), 31) : 0;
    e->scale = (int32_t)scale - 10;
    e->offset = count > 1 && isfinite(n[1]) ? (int32_t)fmod(n[1], 1e6) : 0;
    e->zero_count = count > 2 ? count_of(n[2]) : 0;
    p->count = e->zero_count;
    for (size_t b = 3; b < count && e->bucket_count < MAX_BOUNDS + 1; b++) {
      r->buckets[e->bucket_count] = count_of(n[b]);
      p->count += r->buckets[e->bucket_count++];
    }
    e->bucket_counts = r->buckets;
    p->double_value = 1.5 * (double)p->count;
    p->int_value = (int64_t)p->double_value;
    if (is_int) {
      p->double_value = (double)p->int_value;
    }
    p->mean = p->count ? p->double_value / (double)p->count : 0;
    break;
  }
  case CENSUS_AGGREGATION_DISTRIBUTION:
    p->bucket_count = d->bound_count + 1;
    for (size_t b = 0; b < p->bucket_count; b++) {
      r->buckets[b] = b < count ? count_of(n[b]) : 0;
      p->count += r->buckets[b];
    }
    p->bucket_counts = r->buckets;
    {
      double sum = p->count ? value_of(count > p->bucket_count ? n[p->bucket_count] : 1, true,
                                       d->measure.signed_values)
                            : 0;
      if (is_int) { /* an int64 measure's exact sum (saturated at INT64_MAX, as the core does) */
        p->int_value = int_of(sum);
        sum = (double)p->int_value;
      }
      p->double_value = sum;
      p->mean = p->count ? sum / (double)p->count : 0;
    }
    break;
  }
}

struct program {
  census_view_data *views[MAX_VIEWS];
  size_t view_count;
  census_prometheus_options options;
  census_kv labels[4];
  char *prefix;
};

static void view_free(census_view_data *d) {
  free(d->name);
  free(d->prometheus_name);
  free(d->description);
  free(d->measure.description);
  free(d->measure.unit);
  for (size_t c = 0; c < d->column_count; c++) {
    free(d->columns[c]);
  }
  for (size_t r = 0; r < d->row_count; r++) {
    for (size_t c = 0; c < d->column_count; c++) {
      free(d->rows[r].values[c]);
    }
  }
  free(d);
}

/* Adds a row to view d: "v\tv...|n,n" (overflow: the values are ignored and all ""). */
static void add_row(census_view_data *d, const char *s, size_t n, bool overflow) {
  if (d->row_count == MAX_ROWS) {
    return;
  }
  const char *bar = memchr(s, '|', n);
  size_t values_length = bar ? (size_t)(bar - s) : n;
  struct row *r = &d->rows[d->row_count];
  *r = (struct row){.overflow = overflow};
  const char *v = s;
  for (size_t c = 0; c < d->column_count; c++) {
    const char *end = overflow ? v : memchr(v, '\t', (size_t)(s + values_length - v));
    end = end ? end : s + values_length;
    r->values[c] = copy_text(v, (size_t)(end - v), true, 255);
    r->lengths[c] = r->values[c] ? strlen(r->values[c]) : 0;
    v = end < s + values_length ? end + 1 : end;
  }
  /* Rows are distinct tuples; one overflow row at most. */
  for (size_t i = 0; i < d->row_count; i++) {
    bool same = d->rows[i].overflow == overflow;
    for (size_t c = 0; same && !overflow && c < d->column_count; c++) {
      same = strcmp(d->rows[i].values[c], r->values[c]) == 0;
    }
    if (same) {
      for (size_t c = 0; c < d->column_count; c++) {
        free(r->values[c]);
      }
      return;
    }
  }
  double n_values[MAX_BOUNDS + 2];
  size_t count = bar ? numbers(bar + 1, (size_t)(s + n - bar - 1), n_values, MAX_BOUNDS + 2) : 0;
  set_point(d, r, n_values, count);
  d->row_count++;
}

/* Runs the program in data[0..size) into p. */
static void parse(struct program *p, const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  census_view_data *d = NULL;
  size_t label_count = 0;
  while (size > 0) {
    const char *nl = memchr(s, '\n', size);
    size_t n = nl ? (size_t)(nl - s) : size;
    char command = n ? s[0] : '\0';
    const char *arg = s + (n > 0);
    size_t arg_length = n > 0 ? n - 1 : 0;
    if (command == 'V' && p->view_count < MAX_VIEWS) {
      d = calloc(1, sizeof *d);
      FUZZ_CHECK(d != NULL);
      char a = arg_length > 0 ? arg[0] : 'c';
      d->aggregation = a == 'c'   ? CENSUS_AGGREGATION_COUNT
                       : a == 's' ? CENSUS_AGGREGATION_SUM
                       : a == 'l' ? CENSUS_AGGREGATION_LAST_VALUE
                       : a == 'd' ? CENSUS_AGGREGATION_DISTRIBUTION
                       : a == 'e' ? CENSUS_AGGREGATION_EXPONENTIAL
                                  : (census_aggregation_type)(1 + (unsigned char)a % 4);
      char t = arg_length > 1 ? arg[1] : 'd';
      d->measure.type = t == 'i' || t == 'I' ? CENSUS_MEASURE_INT64 : CENSUS_MEASURE_DOUBLE;
      /* Signed measures for the other kinds (an exponential view's sample count below assumes
       * non-negative values). */
      d->measure.signed_values =
          (t == 'I' || t == 'D') && d->aggregation != CENSUS_AGGREGATION_EXPONENTIAL;
      size_t skip = arg_length < 2 ? arg_length : 2;
      d->name = copy_text(arg + skip, arg_length - skip, true, 255);
      if (!d->name[0]) {
        free(d->name);
        d->name = copy_text("v", 1, true, 255); /* census_view_new() refuses an empty name */
      }
      d->measure.unit = copy_text("1", 1, false, 1);
      d->measure.description = copy_text("", 0, false, 0);
      d->start_ns = 1700000000123456789;
      p->views[p->view_count++] = d;
    } else if (command == 'P') {
      free(p->prefix);
      p->prefix = copy_text(arg, arg_length, false, 300);
      p->options.name_prefix = p->prefix;
    } else if (command == 'B') {
      p->options.base_units = 1;
    } else if (command == 'L' && label_count < 4) {
      const char *eq = memchr(arg, '=', arg_length);
      size_t name_length = eq ? (size_t)(eq - arg) : arg_length;
      p->labels[label_count].key = copy_text(arg, name_length, false, 100);
      p->labels[label_count].value =
          eq ? copy_text(eq + 1, (size_t)(arg + arg_length - eq - 1), false, 300) : NULL;
      label_count++;
    } else if (d && command == 'U') {
      free(d->measure.unit);
      d->measure.unit = copy_text(arg, arg_length, false, 300);
      if (!d->measure.unit[0]) { /* census stores "" as "1" */
        free(d->measure.unit);
        d->measure.unit = copy_text("1", 1, false, 1);
      }
    } else if (d && command == 'N') {
      free(d->prometheus_name);
      d->prometheus_name = copy_text(arg, arg_length, true, 255);
      if (!d->prometheus_name[0]) { /* census refuses an empty name */
        free(d->prometheus_name);
        d->prometheus_name = NULL;
      }
    } else if (d && command == 'M') {
      free(d->measure.description);
      d->measure.description = copy_text(arg, arg_length, false, 300);
    } else if (d && command == 'D') {
      free(d->description);
      d->description = copy_text(arg, arg_length, false, 300);
    } else if (d && command == 'C' && d->column_count < MAX_COLUMNS && d->row_count == 0) {
      /* census_tag_key_new() refuses an empty name */
      char *column = arg_length ? copy_text(arg, arg_length, true, 255) : copy_text("c", 1, 0, 1);
      bool repeated = false;
      for (size_t c = 0; c < d->column_count && !repeated; c++) {
        repeated = strcmp(d->columns[c], column) == 0;
      }
      if (repeated) {
        free(column);
      } else {
        d->columns[d->column_count++] = column;
      }
    } else if (d && command == 'K' && d->row_count == 0) {
      double b[MAX_BOUNDS];
      size_t count = numbers(arg, arg_length, b, MAX_BOUNDS);
      qsort(b, count, sizeof b[0], compare_doubles);
      d->bound_count = 0;
      for (size_t i = 0; i < count; i++) {
        if (isfinite(b[i]) && (d->bound_count == 0 || b[i] > d->bounds[d->bound_count - 1])) {
          d->bounds[d->bound_count++] = b[i];
        }
      }
    } else if (d && command == 'R') {
      add_row(d, arg, arg_length, false);
    } else if (d && command == 'O') {
      add_row(d, arg, arg_length, true);
    } else if (d && command == 'X' && d->row_count > 0) {
      double x[4] = {0, 1, 0, 1};
      numbers(arg, arg_length, x, 4);
      struct row *r = &d->rows[d->row_count - 1];
      size_t slot = (size_t)count_of(x[0]) % (MAX_BOUNDS + 1);
      census_exemplar *e = &r->exemplars[slot];
      *e = (census_exemplar){0};
      double v = value_of(x[1], false, d->measure.signed_values);
      e->int_value = int_of(v);
      e->double_value = d->measure.type == CENSUS_MEASURE_INT64 ? (double)e->int_value : v;
      e->time_ns = 1700000000000000000 + count_of(x[2]);
      uint64_t h = (uint64_t)count_of(x[3]);
      e->has_span = h % 4 != 0;
      for (size_t b = 0; b < 16; b++) {
        h = h * 6364136223846793005u + 1442695040888963407u;
        e->trace_id[b] = (uint8_t)(h >> 56);
        e->span_id[b % 8] ^= (uint8_t)(h >> 48);
      }
      r->has_exemplar[slot] = true;
    } else if (d && command == 'T') {
      char text[32];
      size_t k = arg_length < sizeof text - 1 ? arg_length : sizeof text - 1;
      memcpy(text, arg, k);
      text[k] = '\0';
      d->start_ns = strtoll(text, NULL, 10);
    }
    s += n + (nl != NULL);
    size -= n + (nl != NULL);
  }
  /* Histogram points follow the bounds of their view, whatever came first. */
  for (size_t v = 0; v < p->view_count; v++) {
    census_view_data *x = p->views[v];
    if (x->aggregation != CENSUS_AGGREGATION_DISTRIBUTION) {
      x->bound_count = 0; /* only distributions have bounds */
    }
  }
  p->options.const_labels = label_count ? p->labels : NULL;
  p->options.const_label_count = label_count;
}

/* The documented rule for constant label names (include/census/exporters/prometheus.h). */
static bool label_name_valid(const char *name) {
  if (!name || !*name || (*name >= '0' && *name <= '9') || strncmp(name, "__", 2) == 0 ||
      strcmp(name, "le") == 0 || strcmp(name, "quantile") == 0 ||
      strcmp(name, "otel_metric_overflow") == 0) {
    return false;
  }
  for (const char *s = name; *s; s++) {
    bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

/* Sample lines the render must hold: every row of every view with rows. */
static size_t expected_samples(const struct program *p, bool openmetrics) {
  size_t total = 0;
  for (size_t v = 0; v < p->view_count; v++) {
    const census_view_data *d = p->views[v];
    size_t per_row = 1;
    if (d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION) {
      bool negative = (d->bound_count > 0 && d->bounds[0] < 0) || d->measure.signed_values;
      per_row = d->bound_count + 1 + (openmetrics && negative ? 0 : 2);
    }
    /* _created: counters and histograms; a signed measure's Sum is a gauge */
    bool gauge = d->aggregation == CENSUS_AGGREGATION_LAST_VALUE ||
                 (d->aggregation == CENSUS_AGGREGATION_SUM && d->measure.signed_values);
    per_row += openmetrics && !gauge;
    if (d->aggregation == CENSUS_AGGREGATION_EXPONENTIAL) {
      /* Per row: le="0", one bucket per distinct finite bound (exp_buckets.h) once scaled to
       * base units, +Inf, _sum, _count. */
      census_buf word = CENSUS_BUF_INIT, original = CENSUS_BUF_INIT;
      census_prometheus_scale scale;
      census__prometheus_view_unit(d, &p->options, &word, &original, &scale);
      census_allocator_free(word.data); /* census_buf: census's allocator */
      census_allocator_free(original.data);
      for (size_t r = 0; r < d->row_count; r++) {
        const census_exponential_buckets *e = &d->rows[r].exponential;
        size_t n = 4;
        double previous = 0;
        for (size_t i = 0; i < e->bucket_count; i++) {
          double bound = census__prometheus_scaled_double(
              census__exp_upper_bound(e->scale, (int64_t)e->offset + (int64_t)i), &scale);
          if (bound > previous && !isinf(bound)) {
            n++;
            previous = bound;
          }
        }
        total += n + per_row - 1;
      }
      continue;
    }
    total += per_row * d->row_count;
  }
  return total;
}

static size_t families_with_rows(const struct program *p) {
  size_t n = 0;
  for (size_t v = 0; v < p->view_count; v++) {
    n += p->views[v]->row_count > 0;
  }
  return n;
}

static void dump(const char *text, size_t length, bool openmetrics) {
  const char *dir = getenv("CENSUS_FUZZ_DUMP");
  if (!dir || !*dir) {
    return;
  }
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < length; i++) {
    h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%016llx.%s", dir, (unsigned long long)h,
           openmetrics ? "om" : "txt");
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(fwrite(text, 1, length, f) == length);
  fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct program p = {0};
  p.options = (census_prometheus_options)CENSUS_PROMETHEUS_OPTIONS_INIT;
  parse(&p, data, size);
  bool valid = true;
  for (size_t i = 0; i < p.options.const_label_count; i++) {
    valid = valid && label_name_valid(p.labels[i].key);
    for (size_t j = 0; j < i; j++) {
      valid = valid && strcmp(p.labels[i].key, p.labels[j].key) != 0;
    }
  }
  for (int om = 0; om < 2; om++) {
    p.options.format = om ? CENSUS_PROMETHEUS_OPENMETRICS : CENSUS_PROMETHEUS_TEXT;
    char *text = NULL, *again = NULL;
    size_t length = 0, again_length = 0;
    census_status st = census_prometheus_render_views((const census_view_data *const *)p.views,
                                                      p.view_count, &p.options, &text, &length);
    if (!valid) {
      FUZZ_CHECK(st == CENSUS_EINVAL && text == NULL);
      continue;
    }
    FUZZ_CHECK(st == CENSUS_OK && text != NULL && strlen(text) == length);
    char why[512];
    if (!exposition_check(text, length, om ? EXPOSITION_OPENMETRICS : EXPOSITION_TEXT, why,
                          sizeof why)) {
      fprintf(stderr, "%s exposition refused: %s\n---\n%s---\n", om ? "OpenMetrics" : "text", why,
              text);
      FUZZ_CHECK(!"the exposition parses strictly");
    }
    /* Nothing lost: a family per view with rows, every row's samples. */
    size_t families = 0, samples = 0;
    for (const char *line = text; *line;) {
      const char *end = strchr(line, '\n');
      families += strncmp(line, "# TYPE ", 7) == 0;
      samples += line[0] != '#';
      line = end ? end + 1 : line + strlen(line);
    }
    FUZZ_CHECK(families == families_with_rows(&p));
    FUZZ_CHECK(samples == expected_samples(&p, om));
    FUZZ_CHECK(census_prometheus_render_views((const census_view_data *const *)p.views,
                                              p.view_count, &p.options, &again,
                                              &again_length) == CENSUS_OK);
    FUZZ_CHECK(again_length == length && memcmp(again, text, length) == 0);
    dump(text, length, om);
    census_prometheus_text_free(again);
    census_prometheus_text_free(text);
  }
  for (size_t v = 0; v < p.view_count; v++) {
    view_free(p.views[v]);
  }
  for (size_t i = 0; i < p.options.const_label_count; i++) {
    free((char *)p.labels[i].key);
    free((char *)p.labels[i].value);
  }
  free(p.prefix);
  return 0;
}
