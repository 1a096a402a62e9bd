/* view.c - view definitions and the view registry (registration).
 *
 * Registration copies the definition into a census__rview, appends it to this file's array of
 * registered views (under its VIEWS lock) and publishes a new, larger view list on its measure
 * (census__measure_add_view(), copy on write): recorders load the list with one acquire load and
 * never lock. Views are never unregistered, so a registered view lives until census_shutdown();
 * the array only grows, so a copy of it (census__views_snapshot()) stays valid until then.
 */
#include "stats/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/hash.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "core/text.h"
#include "stats/aggregation.h"
#include "stats/cell.h"
#include "stats/exemplar.h"
#include "stats/measure.h"
#include "stats/series.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

/* The registered views, in registration order, under views_mu. */
static census__mutex views_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_VIEWS);
static struct census__rview **views;
static size_t view_count, view_cap;

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

/* Frees the strings and arrays of a definition, not the struct itself. */
static void view_def_clear(struct census_view *def) {
  census__free(def->name);
  census__free(def->description);
  census__free(def->columns);
  census__free(def->aggregation.bounds);
  census__free(def->prometheus_name);
  memset(def, 0, sizeof *def);
}

/* Deep-copies a definition; false if memory ran out (dst is then cleared). */
static bool view_def_copy(struct census_view *dst, const struct census_view *src) {
  memset(dst, 0, sizeof *dst);
  dst->measure = src->measure;
  dst->column_count = src->column_count;
  dst->max_series = src->max_series;
  dst->aggregation.type = src->aggregation.type;
  dst->aggregation.bound_count = src->aggregation.bound_count;
  dst->aggregation.max_size = src->aggregation.max_size;
  dst->aggregation.max_scale = src->aggregation.max_scale;
  dst->name = census__strdup(src->name);
  dst->description = census__strdup(src->description);
  dst->columns = census__malloc((src->column_count ? src->column_count : 1) * sizeof *dst->columns);
  size_t bounds_size = src->aggregation.bound_count * sizeof(double);
  /* A distribution's bounds padded with +inf for the record path's search (cell.h). */
  size_t stored = src->aggregation.type == CENSUS_AGGREGATION_DISTRIBUTION
                      ? census__bounds_padded(src->aggregation.bound_count) * sizeof(double)
                      : bounds_size;
  dst->aggregation.bounds = stored ? census__malloc(stored) : NULL;
  dst->prometheus_name = src->prometheus_name ? census__strdup(src->prometheus_name) : NULL;
  if (!dst->name || !dst->description || !dst->columns || (stored && !dst->aggregation.bounds) ||
      (src->prometheus_name && !dst->prometheus_name)) {
    view_def_clear(dst);
    return false;
  }
  if (src->column_count) {
    memcpy(dst->columns, src->columns, src->column_count * sizeof *dst->columns);
  }
  if (bounds_size) {
    memcpy(dst->aggregation.bounds, src->aggregation.bounds, bounds_size);
  }
  for (size_t i = bounds_size / sizeof(double); i < stored / sizeof(double); i++) {
    dst->aggregation.bounds[i] = INFINITY;
  }
  return true;
}

/* The kind a definition was given: a SIGNED_SUM registered view was given as SUM. */
static census_aggregation_type given_kind(census_aggregation_type type) {
  return type == CENSUS__AGGREGATION_SIGNED_SUM ? CENSUS_AGGREGATION_SUM : type;
}

static const char *aggregation_kind_name(census_aggregation_type type) {
  switch ((int)given_kind(type)) {
  case CENSUS__AGGREGATION_OBSERVED_SUM:
    return "Sum of observations (an observable counter's)";
  case CENSUS_AGGREGATION_COUNT:
    return "Count";
  case CENSUS_AGGREGATION_SUM:
    return "Sum";
  case CENSUS_AGGREGATION_LAST_VALUE:
    return "LastValue";
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return "Distribution";
  case CENSUS_AGGREGATION_EXPONENTIAL:
    return "Exponential";
  }
  return "unknown";
}

/* Compares a registered definition `a` with a new one `b` field by field. Returns NULL when they
 * are the same definition; otherwise the name of the first field that differs ("measure",
 * "description", "aggregation kind", "bucket bounds", "exponential parameters", "columns",
 * "max_series", "Prometheus name"), with what each
 * side has written to detail[0..size). Bounds compare bit for bit, as registration always did. */
static const char *view_def_difference(const struct census_view *a, const struct census_view *b,
                                       char *detail, size_t size) {
  if (a->measure != b->measure) {
    snprintf(detail, size, "registered: \"%.80s\", given: \"%.80s\"", a->measure->name,
             b->measure->name);
    return "measure";
  }
  if (given_kind(a->aggregation.type) != given_kind(b->aggregation.type)) {
    snprintf(detail, size, "registered: %s, given: %s", aggregation_kind_name(a->aggregation.type),
             aggregation_kind_name(b->aggregation.type));
    return "aggregation kind";
  }
  if (a->aggregation.bound_count != b->aggregation.bound_count) {
    snprintf(detail, size, "registered: %zu bounds, given: %zu", a->aggregation.bound_count,
             b->aggregation.bound_count);
    return "bucket bounds";
  }
  if (a->aggregation.max_size != b->aggregation.max_size ||
      a->aggregation.max_scale != b->aggregation.max_scale) {
    snprintf(detail, size,
             "registered: max_size %zu, max_scale %d, given: max_size %zu, max_scale %d",
             a->aggregation.max_size, a->aggregation.max_scale, b->aggregation.max_size,
             b->aggregation.max_scale);
    return "exponential parameters";
  }
  for (size_t i = 0; i < a->aggregation.bound_count; i++) {
    if (memcmp(&a->aggregation.bounds[i], &b->aggregation.bounds[i], sizeof(double)) != 0) {
      snprintf(detail, size, "bound %zu: registered %.17g, given %.17g", i,
               a->aggregation.bounds[i], b->aggregation.bounds[i]);
      return "bucket bounds";
    }
  }
  if (a->column_count != b->column_count) {
    snprintf(detail, size, "registered: %zu columns, given: %zu", a->column_count, b->column_count);
    return "columns";
  }
  for (size_t i = 0; i < a->column_count; i++) {
    if (a->columns[i] != b->columns[i]) {
      snprintf(detail, size, "column %zu: registered \"%.60s\", given \"%.60s\"", i,
               census_tag_key_name(a->columns[i]), census_tag_key_name(b->columns[i]));
      return "columns";
    }
  }
  if (strcmp(a->description, b->description) != 0) {
    snprintf(detail, size, "registered: \"%.80s\", given: \"%.80s\"", a->description,
             b->description);
    return "description";
  }
  if (a->max_series != b->max_series) {
    snprintf(detail, size, "registered: %zu, given: %zu (census_view_set_max_series)",
             a->max_series, b->max_series);
    return "max_series";
  }
  const char *pa = a->prometheus_name ? a->prometheus_name : "";
  const char *pb = b->prometheus_name ? b->prometheus_name : "";
  if (strcmp(pa, pb) != 0) {
    snprintf(detail, size, "registered: \"%.80s\", given: \"%.80s\"", pa, pb);
    return "Prometheus name";
  }
  return NULL;
}

CENSUS_EXPORT census_view *
census_view_new(const char *name, const char *description, const census_measure *measure,
                const census_tag_key *const *columns, size_t column_count,
                const census_aggregation *aggregation, census_status *status) {
  if (!name || !measure || !aggregation || (column_count && !columns)) {
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  if (!census__text_is_printable(name, CENSUS__NAME_MAX, false, NULL)) {
    set_status(status, CENSUS_EBADNAME);
    return NULL;
  }
  for (size_t i = 0; i < column_count; i++) {
    if (!columns[i]) {
      census__diag(CENSUS_EINVAL, "census_view_new: view \"%.100s\": column %zu is NULL", name, i);
      set_status(status, CENSUS_EINVAL);
      return NULL;
    }
    for (size_t j = 0; j < i; j++) {
      if (columns[i] == columns[j]) {
        census__diag(CENSUS_EDUPLICATE,
                     "census_view_new: view \"%.100s\" lists the column \"%.100s\" twice "
                     "(columns %zu and %zu): give each tag key once",
                     name, census_tag_key_name(columns[i]), j, i);
        set_status(status, CENSUS_EDUPLICATE);
        return NULL;
      }
    }
  }
  if (aggregation->type == CENSUS_AGGREGATION_EXPONENTIAL && measure->signed_values) {
    /* Its buckets cover values >= 0 only (no negative buckets, zero threshold 0). */
    census__diag(CENSUS_EINVAL,
                 "census_view_new: view \"%.100s\": an exponential histogram takes values >= 0, "
                 "but the measure \"%.100s\" is signed: use a Distribution with explicit bounds "
                 "or a measure that is not signed",
                 name, measure->name);
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  struct census_view draft = {
      .name = (char *)name,
      .description = (char *)(description ? description : ""),
      .measure = measure,
      .columns = (const census_tag_key **)columns,
      .column_count = column_count,
      .aggregation = *aggregation,
      .max_series = CENSUS_VIEW_DEFAULT_MAX_SERIES,
  };
  census_view *view = census__malloc(sizeof *view);
  if (!view || !view_def_copy(view, &draft)) {
    census__free(view);
    set_status(status, CENSUS_ENOMEM);
    return NULL;
  }
  set_status(status, CENSUS_OK);
  return view;
}

CENSUS_EXPORT census_status census_view_set_max_series(census_view *view, size_t max_series) {
  if (!view || max_series == 0) {
    return CENSUS_EINVAL;
  }
  view->max_series = max_series;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_view_set_prometheus_name(census_view *view, const char *name) {
  if (!view) {
    return CENSUS_EINVAL;
  }
  if (name && !census__text_is_printable(name, CENSUS__NAME_MAX, false, NULL)) {
    return CENSUS_EBADNAME;
  }
  char *copy = name ? census__strdup(name) : NULL;
  if (name && !copy) {
    return CENSUS_ENOMEM;
  }
  census__free(view->prometheus_name);
  view->prometheus_name = copy;
  return CENSUS_OK;
}

CENSUS_EXPORT void census_view_free(census_view *view) {
  if (view) {
    view_def_clear(view);
    census__free(view);
  }
}

/* The registered view named `name`, or NULL; caller holds views_mu. */
static struct census__rview *find_locked(const char *name) {
  for (size_t i = 0; i < view_count; i++) {
    if (strcmp(views[i]->def.name, name) == 0) {
      return views[i];
    }
  }
  return NULL;
}

struct census__rview *census__view_find(const char *name) {
  census__mutex_lock(&views_mu);
  struct census__rview *view = find_locked(name);
  census__mutex_unlock(&views_mu);
  return view;
}

struct census__rview **census__views_snapshot(size_t *count) {
  census__mutex_lock(&views_mu);
  size_t n = view_count;
  struct census__rview **copy = census__malloc((n ? n : 1) * sizeof *copy);
  if (copy && n) {
    memcpy(copy, views, n * sizeof *copy);
  }
  census__mutex_unlock(&views_mu);
  *count = copy ? n : 0;
  return copy;
}

bool census__views_each_series(void (*fn)(struct census__rview *view, struct census__series *series,
                                          void *arg),
                               void *arg) {
  size_t count;
  struct census__rview **list = census__views_snapshot(&count);
  if (!list) {
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    census__series_table_lock(list[i]);
    for (struct census__series *s = list[i]->first; s; s = s->next) {
      fn(list[i], s, arg);
    }
    census__series_table_unlock(list[i]);
  }
  census__free(list);
  return true;
}

static struct census__rview *rview_new(const census_view *def) {
  struct census__rview *rv = census__calloc(1, sizeof *rv);
  if (!rv) {
    return NULL;
  }
  if (!view_def_copy(&rv->def, def) || census__series_table_init(rv) != CENSUS_OK) {
    view_def_clear(&rv->def);
    census__free(rv);
    return NULL;
  }
  if (rv->def.aggregation.type == CENSUS_AGGREGATION_SUM && rv->def.measure->signed_values) {
    rv->def.aggregation.type = CENSUS__AGGREGATION_SIGNED_SUM; /* see stats_internal.h */
  }
  rv->layout_words = census__aggregation_words(&rv->def.aggregation);
  rv->words = rv->layout_words;
  rv->record_type = rv->def.aggregation.type;
  rv->plain = rv;
  if (!census__exemplar_view_init(rv)) { /* a reservoir after the words, if the filter is on */
    census__series_table_free(rv);
    view_def_clear(&rv->def);
    census__free(rv);
    return NULL;
  }
  rv->hash_seed = census__hash_bytes(rv->def.name, strlen(rv->def.name));
  rv->start_ns = census__unix_ns();
  return rv;
}

CENSUS_EXPORT census_status census_view_register(const census_view *view) {
  if (!view) {
    return CENSUS_EINVAL;
  }
  census_status status = CENSUS_OK;
  const char *differs = NULL;
  char detail[240];
  /* Decides the exemplar filter now, reading OTEL_METRICS_EXEMPLAR_FILTER the first time, so
   * that a bad value is reported (a callback) without VIEWS held. */
  (void)census_exemplar_filter_get();
  census__mutex_lock(&views_mu);
  struct census__rview *existing = find_locked(view->name);
  if (existing) {
    differs = view_def_difference(&existing->def, view, detail, sizeof detail);
    status = differs ? CENSUS_ECONFLICT : CENSUS_OK;
  } else if (census__is_shut_down()) {
    status = CENSUS_ESHUTDOWN;
  } else {
    struct census__rview *rv = NULL;
    if (view_count == view_cap) {
      size_t cap = view_cap ? view_cap * 2 : 16;
      struct census__rview **grown = census__realloc(views, cap * sizeof *grown);
      if (grown) {
        views = grown;
        view_cap = cap;
      }
    }
    if (view_count < view_cap) {
      rv = rview_new(view);
    }
    status = rv ? census__measure_add_view(rv->def.measure, rv) : CENSUS_ENOMEM;
    if (status == CENSUS_OK) {
      views[view_count++] = rv;
    } else if (rv) {
      census__series_table_free(rv);
      census__exemplar_view_free(rv);
      view_def_clear(&rv->def);
      census__free(rv);
    }
  }
  census__mutex_unlock(&views_mu);
  if (differs) {
    census__diag(CENSUS_ECONFLICT,
                 "census_view_register: view \"%.100s\" is already registered with another %s "
                 "(%s): register it with the same definition, or under another name",
                 view->name, differs, detail);
  }
  return status;
}

void census__views_shutdown(void) {
  census__mutex_lock(&views_mu);
  for (size_t i = 0; i < view_count; i++) {
    census__series_table_free(views[i]);
    census__exemplar_view_free(views[i]);
    view_def_clear(&views[i]->def);
    census__free(views[i]);
  }
  census__free(views);
  views = NULL;
  view_count = view_cap = 0;
  census__mutex_unlock(&views_mu);
}

void census__views_fork_prepare(void) {
  census__mutex_lock(&views_mu);
  for (size_t i = 0; i < view_count; i++) {
    census__series_table_lock(views[i]);
  }
}

void census__views_fork_parent(void) {
  for (size_t i = view_count; i-- > 0;) {
    census__series_table_unlock(views[i]);
  }
  census__mutex_unlock(&views_mu);
}

void census__views_fork_child(void) {
  int64_t now = census__unix_ns();
  for (size_t i = 0; i < view_count; i++) {
    /* The parent's series are the parent's to export: the child starts every view empty, its
     * collection starting now. */
    census__series_table_reset(views[i]);
    views[i]->start_ns = now;
  }
  census__views_fork_parent();
}
