/* view.c - view definitions and the view manager (registration).
 *
 * Registration copies the definition into a census__rview, appends it to census__g.views and
 * publishes a new, larger view list on its measure (copy on write): recorders load the list with
 * one acquire load and never lock. Replaced lists stay allocated until shutdown, since a recorder
 * may still be walking one. Views are never unregistered, so a registered view lives until
 * census_shutdown().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/global.h"
#include "core/hash.h"
#include "core/text.h"
#include "stats/series.h"
#include "stats/stats_internal.h"

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

/* Frees the strings and arrays of a definition, not the struct itself. */
static void view_def_clear(struct census_view *def) {
  free(def->name);
  free(def->description);
  free(def->columns);
  free(def->aggregation.bounds);
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
  dst->name = strdup(src->name);
  dst->description = strdup(src->description);
  dst->columns = malloc((src->column_count ? src->column_count : 1) * sizeof *dst->columns);
  size_t bounds_size = src->aggregation.bound_count * sizeof(double);
  dst->aggregation.bounds = bounds_size ? malloc(bounds_size) : NULL;
  if (!dst->name || !dst->description || !dst->columns ||
      (bounds_size && !dst->aggregation.bounds)) {
    view_def_clear(dst);
    return false;
  }
  if (src->column_count) {
    memcpy(dst->columns, src->columns, src->column_count * sizeof *dst->columns);
  }
  if (bounds_size) {
    memcpy(dst->aggregation.bounds, src->aggregation.bounds, bounds_size);
  }
  return true;
}

static const char *aggregation_kind_name(census_aggregation_type type) {
  switch (type) {
  case CENSUS_AGGREGATION_COUNT:
    return "Count";
  case CENSUS_AGGREGATION_SUM:
    return "Sum";
  case CENSUS_AGGREGATION_LAST_VALUE:
    return "LastValue";
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return "Distribution";
  }
  return "unknown";
}

/* Compares a registered definition `a` with a new one `b` field by field. Returns NULL when they
 * are the same definition; otherwise the name of the first field that differs ("measure",
 * "description", "aggregation kind", "bucket bounds", "columns", "max_series"), with what each
 * side has written to detail[0..size). Bounds compare bit for bit, as registration always did. */
static const char *view_def_difference(const struct census_view *a, const struct census_view *b,
                                       char *detail, size_t size) {
  if (a->measure != b->measure) {
    snprintf(detail, size, "registered: \"%.80s\", given: \"%.80s\"", a->measure->name,
             b->measure->name);
    return "measure";
  }
  if (a->aggregation.type != b->aggregation.type) {
    snprintf(detail, size, "registered: %s, given: %s", aggregation_kind_name(a->aggregation.type),
             aggregation_kind_name(b->aggregation.type));
    return "aggregation kind";
  }
  if (a->aggregation.bound_count != b->aggregation.bound_count) {
    snprintf(detail, size, "registered: %zu bounds, given: %zu", a->aggregation.bound_count,
             b->aggregation.bound_count);
    return "bucket bounds";
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
  struct census_view draft = {
      .name = (char *)name,
      .description = (char *)(description ? description : ""),
      .measure = measure,
      .columns = (const census_tag_key **)columns,
      .column_count = column_count,
      .aggregation = *aggregation,
      .max_series = CENSUS_VIEW_DEFAULT_MAX_SERIES,
  };
  census_view *view = malloc(sizeof *view);
  if (!view || !view_def_copy(view, &draft)) {
    free(view);
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

CENSUS_EXPORT void census_view_free(census_view *view) {
  if (view) {
    view_def_clear(view);
    free(view);
  }
}

struct census__rview *census__view_find_locked(const char *name) {
  for (size_t i = 0; i < census__g.view_count; i++) {
    if (strcmp(census__g.views[i]->def.name, name) == 0) {
      return census__g.views[i];
    }
  }
  return NULL;
}

static struct census__rview *rview_new(const census_view *def) {
  struct census__rview *rv = calloc(1, sizeof *rv);
  if (!rv) {
    return NULL;
  }
  if (!view_def_copy(&rv->def, def) || census__series_table_init(rv) != CENSUS_OK) {
    view_def_clear(&rv->def);
    free(rv);
    return NULL;
  }
  pthread_mutex_init(&rv->mu, NULL);
  rv->words = census__aggregation_words(&rv->def.aggregation);
  rv->hash_seed = census__hash_bytes(rv->def.name, strlen(rv->def.name));
  rv->start_ns = census__unix_ns();
  return rv;
}

/* Publishes `rv` on its measure's view list (caller holds registry_mu). */
static census_status measure_add_view_locked(struct census__rview *rv) {
  census_measure *measure = (census_measure *)rv->def.measure;
  struct census__view_list *old = atomic_load_explicit(&measure->views, memory_order_relaxed);
  struct census__view_list *list = malloc(sizeof *list + (old->count + 1) * sizeof list->views[0]);
  if (!list) {
    return CENSUS_ENOMEM;
  }
  list->older = old;
  list->count = old->count + 1;
  memcpy(list->views, old->views, old->count * sizeof list->views[0]);
  list->views[old->count] = rv;
  atomic_store_explicit(&measure->views, list, memory_order_release);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_view_register(const census_view *view) {
  if (!view) {
    return CENSUS_EINVAL;
  }
  census_status status = census__ensure_started();
  if (status != CENSUS_OK) {
    return status;
  }
  const char *differs = NULL;
  char detail[240];
  pthread_mutex_lock(&census__g.registry_mu);
  struct census__rview *existing = census__view_find_locked(view->name);
  if (existing) {
    differs = view_def_difference(&existing->def, view, detail, sizeof detail);
    status = differs ? CENSUS_ECONFLICT : CENSUS_OK;
  } else if (census__is_shut_down()) {
    status = CENSUS_ESHUTDOWN;
  } else {
    struct census__rview *rv = NULL;
    if (census__g.view_count == census__g.view_cap) {
      size_t cap = census__g.view_cap ? census__g.view_cap * 2 : 16;
      struct census__rview **grown = realloc(census__g.views, cap * sizeof *grown);
      if (grown) {
        census__g.views = grown;
        census__g.view_cap = cap;
      }
    }
    if (census__g.view_count < census__g.view_cap) {
      rv = rview_new(view);
    }
    status = rv ? measure_add_view_locked(rv) : CENSUS_ENOMEM;
    if (status == CENSUS_OK) {
      census__g.views[census__g.view_count++] = rv;
    } else if (rv) {
      census__series_table_free(rv);
      view_def_clear(&rv->def);
      free(rv);
    }
  }
  pthread_mutex_unlock(&census__g.registry_mu);
  if (differs) {
    census__diag(CENSUS_ECONFLICT,
                 "census_view_register: view \"%.100s\" is already registered with another %s "
                 "(%s): register it with the same definition, or under another name",
                 view->name, differs, detail);
  }
  return status;
}

/* Drops every series (the fork child, shutdown). With free_views, also drops the views themselves
 * and empties every measure's view list, after which recording finds nothing to do. Caller holds
 * collect_mu and registry_mu and guarantees no recorder runs (fork child or shutdown contract). */
void census__views_reset_series(bool free_views) {
  int64_t now = census__unix_ns();
  for (size_t i = 0; i < census__g.view_count; i++) {
    struct census__rview *rv = census__g.views[i];
    census__series_table_free(rv);
    if (free_views) {
      pthread_mutex_destroy(&rv->mu);
      view_def_clear(&rv->def);
      free(rv);
    } else {
      census__series_table_init(rv);
      rv->start_ns = now;
    }
  }
  if (!free_views) {
    return;
  }
  free(census__g.views);
  census__g.views = NULL;
  census__g.view_count = census__g.view_cap = 0;
  for (census_measure *m = census__g.measures; m; m = m->next) {
    struct census__view_list *list = atomic_load_explicit(&m->views, memory_order_relaxed);
    atomic_store_explicit(&m->views, &census__no_views, memory_order_release);
    while (list && list != &census__no_views) {
      struct census__view_list *older = list->older;
      free(list);
      list = older;
    }
  }
}
