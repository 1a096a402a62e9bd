/* view_data.c - immutable snapshots of registered views.
 *
 * A snapshot is built under COLLECT (so series totals are still) and the view's series table lock
 * (so the series list is stable), in one allocation per part: the header with copies of the
 * definition, and a block with the rows, their totals and their column values. It owns everything
 * it points to except tag-key names and the measure, which live until process exit.
 */
#include "stats/view_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/run_state.h"
#include "stats/aggregation.h"
#include "stats/collector.h"
#include "stats/exemplar.h"
#include "stats/exp_histogram.h"
#include "stats/series.h"
#include "stats/view.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

struct view_data_row {
  const char **values;
  const size_t *lengths; /* strlen() of each value, for census_view_data_row_values() */
  const uint64_t *totals;
  bool overflow;
};

struct census_view_data {
  char *name, *description;
  char *prometheus_name; /* NULL: none */
  const census_measure *measure;
  census_aggregation_type aggregation;
  bool observed; /* an OBSERVED_SUM view, presented as SUM */
  size_t column_count;
  const char **columns;
  size_t bound_count;
  double *bounds;
  size_t max_size; /* EXPONENTIAL: slots per row */
  size_t words;
  size_t exemplar_at, exemplar_slots; /* the rows' reservoirs (exemplar.h); 0: none */
  int64_t start_ns, end_ns;
  size_t row_count;
  struct view_data_row *rows;
  void *block; /* rows, totals, value pointers and value bytes */
};

CENSUS_EXPORT void census_view_data_free(census_view_data *d) {
  if (!d) {
    return;
  }
  census__free(d->name);
  census__free(d->description);
  census__free(d->prometheus_name);
  census__free(d->columns);
  census__free(d->bounds);
  census__free(d->block);
  census__free(d);
}

/* Copies the populated series of `view` into d->block. Caller holds the view's series table. */
static bool copy_rows(census_view_data *d, const struct census__rview *view) {
  size_t rows = 0, text = 0, columns = view->def.column_count;
  for (const struct census__series *s = view->first; s; s = s->next) {
    if (census__words_populated(view, s->totals)) {
      rows++;
      for (size_t c = 0; c < columns; c++) {
        text += s->lengths[c] + 1;
      }
    }
  }
  size_t size = rows * (sizeof(struct view_data_row) + view->words * sizeof(uint64_t) +
                        columns * (sizeof(char *) + sizeof(size_t))) +
                text;
  d->block = census__malloc(size ? size : 1);
  if (!d->block) {
    return false;
  }
  struct view_data_row *row = d->block;
  uint64_t *totals = (uint64_t *)(row + rows);
  const char **values = (const char **)(totals + rows * view->words);
  size_t *lengths = (size_t *)(values + rows * columns);
  char *bytes = (char *)(lengths + rows * columns);
  d->rows = row;
  d->row_count = rows;
  for (const struct census__series *s = view->first; s; s = s->next) {
    if (!census__words_populated(view, s->totals)) {
      continue;
    }
    memcpy(totals, s->totals, view->words * sizeof *totals);
    row->totals = totals;
    row->values = values;
    row->lengths = lengths;
    row->overflow = s->overflow;
    for (size_t c = 0; c < columns; c++) {
      memcpy(bytes, s->values[c], s->lengths[c] + 1);
      values[c] = bytes;
      lengths[c] = s->lengths[c];
      bytes += s->lengths[c] + 1;
    }
    totals += view->words;
    values += columns;
    lengths += columns;
    row++;
  }
  return true;
}

census_view_data *census__view_data_build(struct census__rview *view, int64_t end_ns) {
  census_view_data *d = census__calloc(1, sizeof *d);
  if (!d) {
    return NULL;
  }
  const struct census_view *def = &view->def;
  d->name = census__strdup(def->name);
  d->description = census__strdup(def->description);
  d->prometheus_name = def->prometheus_name ? census__strdup(def->prometheus_name) : NULL;
  d->measure = def->measure;
  /* An observable counter's OBSERVED_SUM is a SUM to every reader (stats_internal.h). */
  d->observed = def->aggregation.type == CENSUS__AGGREGATION_OBSERVED_SUM;
  d->aggregation = d->observed || def->aggregation.type == CENSUS__AGGREGATION_SIGNED_SUM
                       ? CENSUS_AGGREGATION_SUM
                       : def->aggregation.type;
  d->column_count = def->column_count;
  d->columns = census__malloc((def->column_count ? def->column_count : 1) * sizeof *d->columns);
  d->bound_count = def->aggregation.bound_count;
  d->bounds = census__malloc((d->bound_count ? d->bound_count : 1) * sizeof *d->bounds);
  d->words = view->words;
  d->exemplar_at = view->exemplar_at;
  d->exemplar_slots = view->exemplar_slots;
  d->max_size = def->aggregation.max_size;
  d->end_ns = end_ns;
  if (!d->name || !d->description || !d->columns || !d->bounds ||
      (def->prometheus_name && !d->prometheus_name)) {
    census_view_data_free(d);
    return NULL;
  }
  for (size_t c = 0; c < def->column_count; c++) {
    d->columns[c] = def->columns[c]->name;
  }
  if (d->bound_count) {
    memcpy(d->bounds, def->aggregation.bounds, d->bound_count * sizeof *d->bounds);
  }
  census__series_table_lock(view);
  d->start_ns = view->start_ns;
  bool copied = copy_rows(d, view);
  census__series_table_unlock(view);
  if (!copied) {
    census_view_data_free(d);
    return NULL;
  }
  return d;
}

census_view_data *census__view_data_from_rows(const struct census__view_data_rows *r) {
  census_view_data *d = census__calloc(1, sizeof *d);
  if (!d) {
    return NULL;
  }
  d->name = census__strdup(r->name);
  d->description = census__strdup(r->description);
  d->measure = r->measure;
  d->aggregation = r->aggregation;
  d->column_count = r->column_count;
  d->columns = census__malloc((r->column_count ? r->column_count : 1) * sizeof *d->columns);
  d->bound_count = r->bound_count;
  d->bounds = census__malloc((r->bound_count ? r->bound_count : 1) * sizeof *d->bounds);
  d->words = r->words;
  d->max_size = r->max_size;
  d->start_ns = r->start_ns;
  d->end_ns = r->end_ns;
  size_t cells = r->row_count * r->column_count, text = 0;
  for (size_t i = 0; i < cells; i++) {
    text += strlen(r->values[i]) + 1;
  }
  size_t size = r->row_count * (sizeof(struct view_data_row) + r->words * sizeof(uint64_t)) +
                cells * (sizeof(char *) + sizeof(size_t)) + text;
  d->block = census__malloc(size ? size : 1);
  if (!d->name || !d->description || !d->columns || !d->bounds || !d->block) {
    census_view_data_free(d);
    return NULL;
  }
  memcpy(d->columns, r->columns, r->column_count * sizeof *d->columns);
  if (r->bound_count) {
    memcpy(d->bounds, r->bounds, r->bound_count * sizeof *d->bounds);
  }
  struct view_data_row *row = d->block;
  uint64_t *totals = (uint64_t *)(row + r->row_count);
  const char **values = (const char **)(totals + r->row_count * r->words);
  size_t *lengths = (size_t *)(values + cells);
  char *bytes = (char *)(lengths + cells);
  d->rows = row;
  d->row_count = r->row_count;
  if (r->row_count) {
    memcpy(totals, r->totals, r->row_count * r->words * sizeof *totals);
  }
  for (size_t i = 0; i < r->row_count; i++) {
    row[i].totals = totals + i * r->words;
    row[i].values = values + i * r->column_count;
    row[i].lengths = lengths + i * r->column_count;
    row[i].overflow = r->overflow[i];
    for (size_t c = 0; c < r->column_count; c++) {
      size_t n = strlen(r->values[i * r->column_count + c]) + 1;
      memcpy(bytes, r->values[i * r->column_count + c], n);
      values[i * r->column_count + c] = bytes;
      lengths[i * r->column_count + c] = n - 1;
      bytes += n;
    }
  }
  return d;
}

census_view_data **census__view_data_build_all(size_t *count) {
  *count = 0;
  size_t n;
  struct census__rview **views = census__views_snapshot(&n);
  census_view_data **all = views ? census__calloc(n ? n : 1, sizeof *all) : NULL;
  if (!all) {
    census__free(views);
    return NULL;
  }
  /* All or nothing: a snapshot that cannot be built fails the whole call (CENSUS_ENOMEM for the
   * caller), never a shorter array that looks complete. The views keep their data: the next
   * collection or export finds them. (A view left out was scraped and exported as if it did not
   * exist: tests/reliability/alloc_failure.c, prometheus render.) */
  int64_t now = census__unix_ns();
  for (size_t i = 0; i < n; i++) {
    census_view_data *d = census__view_data_build(views[i], now);
    if (!d) {
      census__view_data_free_all(all, *count);
      census__free(views);
      *count = 0;
      return NULL;
    }
    all[(*count)++] = d;
  }
  census__free(views);
  return all;
}

void census__view_data_free_all(census_view_data **all, size_t count) {
  for (size_t i = 0; all && i < count; i++) {
    census_view_data_free(all[i]);
  }
  census__free(all);
}

CENSUS_EXPORT const char *census_view_data_name(const census_view_data *d) {
  return d ? d->name : NULL;
}
CENSUS_EXPORT const char *census_view_data_description(const census_view_data *d) {
  return d ? d->description : NULL;
}
CENSUS_EXPORT const char *census_view_data_prometheus_name(const census_view_data *d) {
  return d ? d->prometheus_name : NULL;
}
CENSUS_EXPORT const census_measure *census_view_data_measure(const census_view_data *d) {
  return d ? d->measure : NULL;
}
CENSUS_EXPORT const char *census_view_data_unit(const census_view_data *d) {
  if (!d) {
    return NULL;
  }
  const char *unit = census_measure_unit(d->measure);
  return d->aggregation == CENSUS_AGGREGATION_COUNT || !unit || !unit[0] ? "1" : unit;
}
CENSUS_EXPORT census_aggregation_type census_view_data_aggregation(const census_view_data *d) {
  return d ? d->aggregation : (census_aggregation_type)0;
}
CENSUS_EXPORT bool census_view_data_is_monotonic(const census_view_data *d) {
  if (!d) {
    return false;
  }
  switch (d->aggregation) {
  case CENSUS_AGGREGATION_COUNT:
    return true;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL:
    /* An observable counter's measure refuses negative observations; its totals only grow
     * (a decrease is a reset, as OpenTelemetry reads it). */
    return !d->measure->signed_values;
  case CENSUS_AGGREGATION_LAST_VALUE:
    return false;
  }
  return false;
}
CENSUS_EXPORT size_t census_view_data_column_count(const census_view_data *d) {
  return d ? d->column_count : 0;
}
CENSUS_EXPORT const char *census_view_data_column(const census_view_data *d, size_t i) {
  return d && i < d->column_count ? d->columns[i] : NULL;
}
CENSUS_EXPORT size_t census_view_data_bounds(const census_view_data *d, const double **bounds) {
  if (bounds) {
    *bounds = d && d->bound_count ? d->bounds : NULL;
  }
  return d ? d->bound_count : 0;
}
CENSUS_EXPORT int64_t census_view_data_start_time_ns(const census_view_data *d) {
  return d ? d->start_ns : 0;
}
CENSUS_EXPORT int64_t census_view_data_end_time_ns(const census_view_data *d) {
  return d ? d->end_ns : 0;
}
CENSUS_EXPORT size_t census_view_data_row_count(const census_view_data *d) {
  return d ? d->row_count : 0;
}
CENSUS_EXPORT const char *census_view_data_row_value(const census_view_data *d, size_t row,
                                                     size_t column) {
  return d && row < d->row_count && column < d->column_count ? d->rows[row].values[column] : NULL;
}
/* One call per row instead of one per column, and the lengths the snapshot already knows
 * instead of a strlen() each: what an exporter writing every label of every row pays most for
 * (docs/exporters/prometheus.md, Rendering cost). */
CENSUS_EXPORT size_t census_view_data_row_values(const census_view_data *d, size_t row,
                                                 const char *const **values,
                                                 const size_t **lengths) {
  bool found = d && values && row < d->row_count;
  if (values) {
    *values = found ? d->rows[row].values : NULL;
  }
  if (lengths) {
    *lengths = found ? d->rows[row].lengths : NULL;
  }
  return found ? d->column_count : 0;
}
CENSUS_EXPORT bool census_view_data_row_is_overflow(const census_view_data *d, size_t row) {
  return d && row < d->row_count && d->rows[row].overflow;
}

/* The reservoir words of `row`, or NULL (out of range, or a view without exemplars). */
static const uint64_t *row_exemplars(const census_view_data *d, size_t row) {
  return d && d->exemplar_at && row < d->row_count ? d->rows[row].totals + d->exemplar_at : NULL;
}

CENSUS_EXPORT size_t census_view_data_row_exemplar_count(const census_view_data *d, size_t row) {
  const uint64_t *area = row_exemplars(d, row);
  return area ? census__exemplar_count(area, d->exemplar_slots) : 0;
}

CENSUS_EXPORT census_status census_view_data_row_exemplar(const census_view_data *d, size_t row,
                                                          size_t i, census_exemplar *out) {
  if (!d || !out) {
    return CENSUS_EINVAL;
  }
  const uint64_t *area = row_exemplars(d, row);
  bool found = area && census__exemplar_get(area, d->exemplar_slots,
                                            d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION,
                                            d->measure->type == CENSUS_MEASURE_INT64, i, out);
  return found ? CENSUS_OK : CENSUS_ENOTFOUND;
}

CENSUS_EXPORT census_status census_view_data_row_exemplar_attribute(const census_view_data *d,
                                                                    size_t row, size_t i, size_t j,
                                                                    const char **key,
                                                                    const char **value) {
  if (!d || !key || !value) {
    return CENSUS_EINVAL;
  }
  const uint64_t *area = row_exemplars(d, row);
  return area && census__exemplar_attribute(area, d->exemplar_slots, i, j, key, value)
             ? CENSUS_OK
             : CENSUS_ENOTFOUND;
}

/* Fills p->int_value and p->double_value from a sum word: an int sum exactly (INT64_MAX once
 * saturated; a signed measure's two's-complement word as it is) and as a double, or a double
 * sum. Returns whether an unsigned int sum is saturated. */
static bool point_sum(census_point *p, uint64_t word, const census_measure *measure) {
  if (measure->type == CENSUS_MEASURE_DOUBLE) {
    p->double_value = census__double_of(word);
    return false;
  }
  if (measure->signed_values) {
    p->int_value = (int64_t)word;
    p->double_value = (double)p->int_value;
    return false;
  }
  bool saturated = word > (uint64_t)INT64_MAX;
  p->int_value = saturated ? INT64_MAX : (int64_t)word;
  p->double_value = (double)p->int_value;
  return saturated;
}

CENSUS_EXPORT census_status census_view_data_row_point(const census_view_data *d, size_t row,
                                                       census_point *p) {
  if (!d || !p) {
    return CENSUS_EINVAL;
  }
  if (row >= d->row_count) {
    return CENSUS_ENOTFOUND;
  }
  const uint64_t *w = d->rows[row].totals;
  bool is_double = d->measure->type == CENSUS_MEASURE_DOUBLE;
  memset(p, 0, sizeof *p);
  switch (d->aggregation) {
  case CENSUS_AGGREGATION_COUNT:
    p->count = (int64_t)w[WORD_COUNT];
    break;
  case CENSUS_AGGREGATION_SUM:
    p->count = (int64_t)w[WORD_COUNT];
    if (d->observed && !is_double) {
      p->int_value = (int64_t)w[WORD_SUM]; /* the observation itself, never saturated */
      p->double_value = (double)p->int_value;
    } else {
      point_sum(p, w[WORD_SUM], d->measure);
    }
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    p->time_ns = (int64_t)w[WORD_TIME];
    if (is_double) {
      p->double_value = census__double_of(w[WORD_VALUE]);
    } else {
      p->int_value = (int64_t)w[WORD_VALUE];
      p->double_value = (double)p->int_value;
    }
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL: {
    p->count = (int64_t)w[WORD_COUNT];
    bool saturated = point_sum(p, w[WORD_SUM], d->measure);
    /* The mean is the exact sum over the count: for an int measure the correctly rounded mean of
     * integers; for a double one it agrees with the exported sum. The mean of the shifted sums
     * (K + s1/n, stats_internal.h), which the sum of squared deviation is built on, stands in
     * when the sum cannot (saturated, or a double sum gone to +Inf). */
    double n = p->count == 0 ? 1 : (double)p->count;
    double shift = census__double_of(w[WORD_SHIFT]);
    double s1 = census__double_of(w[WORD_S1]), s2 = census__double_of(w[WORD_S2]);
    double ssd = s2 - s1 * (s1 / n);
    p->mean = p->count == 0                             ? 0
              : saturated || !isfinite(p->double_value) ? shift + s1 / n
                                                        : p->double_value / (double)p->count;
    p->sum_of_squared_deviation = ssd > 0 ? ssd : 0; /* rounding can leave -0 or a hair below */
    p->min = census__double_of(w[WORD_MIN]);
    p->max = census__double_of(w[WORD_MAX]);
    if (d->aggregation == CENSUS_AGGREGATION_DISTRIBUTION) {
      p->bucket_count = d->bound_count + 1;
      p->bucket_counts = (const int64_t *)(w + WORD_BUCKETS);
    }
    break;
  }
  }
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
  const uint64_t *w = d->rows[row].totals;
  memset(out, 0, sizeof *out);
  out->max_size = d->max_size;
  out->zero_count = (int64_t)w[WORD_EXP_ZERO];
  size_t first, last;
  if (census__exp_used_range(w, d->max_size, &first, &last)) {
    out->scale = (int32_t)(int64_t)w[WORD_EXP_SCALE];
    out->offset = (int32_t)((int64_t)w[WORD_EXP_BASE] + (int64_t)first);
    out->bucket_count = last - first + 1;
    out->bucket_counts = (const int64_t *)(w + WORD_EXP_SLOTS + first);
  } else {
    out->scale = (int32_t)(int64_t)w[WORD_EXP_SCALE]; /* the scale recording would start at */
  }
  return CENSUS_OK;
}

CENSUS_EXPORT void census_view_data_free_all(census_view_data **views, size_t count) {
  census__view_data_free_all(views, count);
}
