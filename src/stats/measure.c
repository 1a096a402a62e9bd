/* measure.c - the measure registry, and each measure's list of registered views.
 *
 * Measures are few and long-lived, so the registry is a list under this file's MEASURES lock,
 * searched by name at creation only. A measure is never freed: callers hold it as a plain
 * pointer, and recording after census_shutdown() must stay a safe no-op (its view list is then
 * empty).
 *
 * View lists. Recorders read a measure's registered views with one acquire load of an immutable
 * array (struct census__view_list) that registration replaces whole (copy on write). A replaced
 * array stays allocated, linked from its successor, until shutdown, because a recorder may still
 * be walking it. The view registry (view.c) is the only caller that adds to a list, under its
 * VIEWS lock, which is what serialises the replacements. Each replacement also stores the
 * measure's one_view (the only view, or NULL), after the list: a recorder that reads the old
 * one_view records as one that read the old list, and one that follows the registration in
 * happens-before order reads the new value.
 */
#include "stats/measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/options.h"
#include "core/run_state.h"
#include "core/text.h"
#include "stats/bound.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

/* The view list of a measure with no views; shared, never freed. */
struct census__view_list census__no_views;

/* The registry: singly linked, newest first, under measures_mu. */
static census__mutex measures_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_MEASURES);
static struct census_measure *measures;

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

static const char *type_name(census_measure_type type) {
  return type == CENSUS_MEASURE_INT64 ? "int64" : "double";
}

static const char *sign_name(bool signed_values) {
  return signed_values ? "signed (negative values accepted)" : "non-negative values only";
}

/* A measure's definition, as the constructors give it (strings with defaults applied). */
struct measure_def {
  census_measure_type type;
  bool signed_values;
  const char *name, *description, *unit;
};

/* NULL when `m` has this definition; otherwise the first field that differs ("type", "sign",
 * "unit", "description"), with both sides written to detail[0..size). */
static const char *definition_difference(const census_measure *m, const struct measure_def *d,
                                         char *detail, size_t size) {
  census_measure_type type = d->type;
  const char *unit = d->unit, *description = d->description;
  if (m->type != type) {
    snprintf(detail, size, "registered: %s, given: %s", type_name(m->type), type_name(type));
    return "type";
  }
  if (m->signed_values != d->signed_values) {
    snprintf(detail, size, "registered: %s, given: %s", sign_name(m->signed_values),
             sign_name(d->signed_values));
    return "sign";
  }
  if (strcmp(m->unit, unit) != 0) {
    snprintf(detail, size, "registered: \"%.60s\", given: \"%.60s\"", m->unit, unit);
    return "unit";
  }
  if (strcmp(m->description, description) != 0) {
    snprintf(detail, size, "registered: \"%.80s\", given: \"%.80s\"", m->description, description);
    return "description";
  }
  return NULL;
}

static census_measure *measure_alloc(const struct measure_def *d) {
  census_measure *m = census__calloc(1, sizeof *m);
  if (m) {
    m->name = census__strdup(d->name);
    m->description = census__strdup(d->description);
    m->unit = census__strdup(d->unit);
    m->type = d->type;
    m->signed_values = d->signed_values;
    atomic_init(&m->views, &census__no_views);
    atomic_init(&m->one_view, NULL);
    if (m->name && m->description && m->unit) {
      return m;
    }
    census__free(m->name);
    census__free(m->description);
    census__free(m->unit);
  }
  census__free(m);
  return NULL;
}

/* Finds or creates a measure. Same name and definition: the existing measure; same name and
 * another definition: CENSUS_ECONFLICT, reported naming `function`. */
static const census_measure *measure_new(struct measure_def d, const char *function,
                                         census_status *status) {
  const char *name = d.name;
  if (!name) {
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  if (!census__text_is_printable(name, CENSUS__NAME_MAX, false, NULL)) {
    set_status(status, CENSUS_EBADNAME);
    return NULL;
  }
  d.description = d.description ? d.description : "";
  d.unit = (d.unit && d.unit[0]) ? d.unit : "1";
  if (census__is_shut_down()) {
    set_status(status, CENSUS_ESHUTDOWN);
    return NULL;
  }
  census__mutex_lock(&measures_mu);
  census_measure *m = measures;
  while (m && strcmp(m->name, name) != 0) {
    m = m->next;
  }
  census_status result = CENSUS_OK;
  const char *differs = NULL;
  char detail[200];
  if (m) {
    differs = definition_difference(m, &d, detail, sizeof detail);
    if (differs) {
      result = CENSUS_ECONFLICT;
      m = NULL;
    }
  } else {
    m = measure_alloc(&d);
    if (m) {
      m->next = measures;
      measures = m;
    } else {
      result = CENSUS_ENOMEM;
    }
  }
  census__mutex_unlock(&measures_mu);
  if (differs) {
    census__diag(CENSUS_ECONFLICT,
                 "%s: measure \"%.100s\" already exists with another %s (%s): "
                 "create it with the same definition, or under another name",
                 function, name, differs, detail);
  }
  set_status(status, result);
  return m;
}

CENSUS_EXPORT const census_measure *census_measure_int64_new(const char *name,
                                                             const char *description,
                                                             const char *unit,
                                                             census_status *status) {
  struct measure_def d = {CENSUS_MEASURE_INT64, false, name, description, unit};
  return measure_new(d, "census_measure_int64_new", status);
}

CENSUS_EXPORT const census_measure *census_measure_double_new(const char *name,
                                                              const char *description,
                                                              const char *unit,
                                                              census_status *status) {
  struct measure_def d = {CENSUS_MEASURE_DOUBLE, false, name, description, unit};
  return measure_new(d, "census_measure_double_new", status);
}

CENSUS_EXPORT const census_measure *census_measure_new(const census_measure_options *options,
                                                       census_status *status) {
  census_measure_options o;
  census_status read =
      options ? census__options_read(options, CENSUS__END_OF(census_measure_options, signed_values),
                                     sizeof o, &o, "census_measure_new", "census_measure_options",
                                     "CENSUS_MEASURE_OPTIONS_INIT")
              : CENSUS_EINVAL;
  census_measure_type type = read == CENSUS_OK && o.value_type == 0 ? CENSUS_MEASURE_DOUBLE
                             : read == CENSUS_OK                    ? o.value_type
                                                                    : (census_measure_type)0;
  if (type != CENSUS_MEASURE_INT64 && type != CENSUS_MEASURE_DOUBLE) {
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  struct measure_def d = {type, o.signed_values, o.name, o.description, o.unit};
  return measure_new(d, "census_measure_new", status);
}

CENSUS_EXPORT bool census_measure_is_signed(const census_measure *m) {
  return m && m->signed_values;
}

CENSUS_EXPORT const char *census_measure_name(const census_measure *m) {
  return m ? m->name : NULL;
}
CENSUS_EXPORT const char *census_measure_description(const census_measure *m) {
  return m ? m->description : NULL;
}
CENSUS_EXPORT const char *census_measure_unit(const census_measure *m) {
  return m ? m->unit : NULL;
}
CENSUS_EXPORT census_measure_type census_measure_value_type(const census_measure *m) {
  return m ? m->type : (census_measure_type)0;
}

census_status census__measure_add_view(const census_measure *measure, struct census__rview *view) {
  census_measure *m = (census_measure *)measure;
  struct census__view_list *old = atomic_load_explicit(&m->views, memory_order_relaxed);
  struct census__view_list *list =
      census__malloc(sizeof *list + (old->count + 1) * sizeof list->views[0]);
  if (!list) {
    return CENSUS_ENOMEM;
  }
  list->older = old;
  list->count = old->count + 1;
  memcpy(list->views, old->views, old->count * sizeof list->views[0]);
  list->views[old->count] = view;
  atomic_store_explicit(&m->views, list, memory_order_release);
  atomic_store_explicit(&m->one_view, list->count == 1 ? view : NULL, memory_order_release);
  census__bound_key_move(); /* bound handles of the measure re-resolve at their next record */
  return CENSUS_OK;
}

void census__measures_shutdown(void) {
  census__mutex_lock(&measures_mu);
  for (census_measure *m = measures; m; m = m->next) {
    struct census__view_list *list = atomic_load_explicit(&m->views, memory_order_relaxed);
    atomic_store_explicit(&m->one_view, NULL, memory_order_release);
    atomic_store_explicit(&m->views, &census__no_views, memory_order_release);
    while (list && list != &census__no_views) {
      struct census__view_list *older = list->older;
      census__free(list);
      list = older;
    }
  }
  census__mutex_unlock(&measures_mu);
}

void census__measures_fork_prepare(void) { census__mutex_lock(&measures_mu); }

void census__measures_fork_parent(void) { census__mutex_unlock(&measures_mu); }
