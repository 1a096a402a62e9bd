/* instrument.c - OpenTelemetry's synchronous instruments over census's measures and views, the
 * registry every instrument (observable ones included) lives in, and the timer.
 *
 * An instrument is a measure and its default view, made in one call: the measure has the
 * instrument's name, unit and description, and is signed (accepts negative values) for the kinds
 * whose values may go down (up-down counters, gauges); the view has the same name, the
 * instrument's attribute keys as columns and the aggregation of its kind (Sum, Distribution,
 * LastValue, or for observable counters the observed total, OBSERVED_SUM). Everything a view or
 * an exporter does follows from those two, so an instrument exports exactly as the same measure
 * and view made by hand would.
 *
 * Registry. Instruments are few and live until exit, like measures: a list under this file's
 * INSTRUMENTS lock, searched by name at creation only. Making an instrument again re-makes its
 * measure and view (both idempotent for the same definition), so any difference in the options
 * is the measure's or the view's CENSUS_ECONFLICT, with their diagnostics line; a name already
 * made as another kind or value type is refused here. INSTRUMENTS is held through the making, so
 * two threads making the same instrument get one handle.
 *
 * Recording. A record through an instrument is the measure path itself (recorder.h's
 * census__record_one_int64() / _double(): validation and the record path with its fast path, the
 * call census_record_int64() makes), not a call of the public function: the bench
 * (bench/bench_record.c, bench/ops_callgrind.c) shows the same cost.
 */
#include "instruments/instrument.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/options.h"
#include "core/run_state.h"
#include "stats/aggregation.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

/* OpenTelemetry's limits: an instrument name of at most 255 characters, a unit of at most 63. */
#define NAME_MAX_LENGTH 255
#define UNIT_MAX_LENGTH 63

static census__mutex instruments_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_INSTRUMENTS);
static struct census__instrument *instruments; /* newest first, under instruments_mu */

static const char *kind_name(enum census__instrument_kind kind) {
  switch (kind) {
  case CENSUS__COUNTER:
    return "counter";
  case CENSUS__UPDOWN_COUNTER:
    return "up-down counter";
  case CENSUS__HISTOGRAM:
    return "histogram";
  case CENSUS__GAUGE:
    return "gauge";
  case CENSUS__OBSERVABLE_COUNTER:
    return "observable counter";
  case CENSUS__OBSERVABLE_UPDOWN_COUNTER:
    return "observable up-down counter";
  case CENSUS__OBSERVABLE_GAUGE:
    return "observable gauge";
  }
  return "instrument";
}

/* Values of these kinds may go down: their measure accepts negative values. */
static bool kind_is_signed(enum census__instrument_kind kind) {
  return kind == CENSUS__UPDOWN_COUNTER || kind == CENSUS__GAUGE ||
         kind == CENSUS__OBSERVABLE_UPDOWN_COUNTER || kind == CENSUS__OBSERVABLE_GAUGE;
}

/* OpenTelemetry's instrument-name syntax: [A-Za-z][A-Za-z0-9_.\-/]{0,254}. */
static bool name_is_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > NAME_MAX_LENGTH ||
      !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))) {
    return false;
  }
  for (size_t i = 1; i < n; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) {
      return false;
    }
  }
  return true;
}

/* Nanoseconds per unit of a time unit (UCUM), or 0 for any other unit. */
static int64_t ns_per_unit(const char *unit) {
  static const struct {
    const char *unit;
    int64_t ns;
  } units[] = {{"s", 1000000000},    {"ms", 1000000},      {"us", 1000},         {"ns", 1},
               {"min", 60000000000}, {"h", 3600000000000}, {"d", 86400000000000}};
  for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(unit, units[i].unit) == 0) {
      return units[i].ns;
    }
  }
  return 0;
}

/* The default view's aggregation for `kind`; NULL with *status set on error. */
static census_aggregation *kind_aggregation(enum census__instrument_kind kind,
                                            const census_instrument_options *o,
                                            census_status *status) {
  census_aggregation *a = NULL;
  *status = CENSUS_OK;
  switch (kind) {
  case CENSUS__COUNTER:
  case CENSUS__UPDOWN_COUNTER:
    a = census_aggregation_sum_new();
    break;
  case CENSUS__HISTOGRAM:
    if (!o->bounds && o->bound_count == 0) {
      size_t n;
      const double *bounds = census_buckets_otel_default(&n);
      return census_aggregation_distribution_new(bounds, n, status);
    }
    return census_aggregation_distribution_new(o->bounds, o->bound_count, status);
  case CENSUS__GAUGE:
  case CENSUS__OBSERVABLE_GAUGE:
    a = census_aggregation_last_value_new();
    break;
  case CENSUS__OBSERVABLE_COUNTER:
  case CENSUS__OBSERVABLE_UPDOWN_COUNTER:
    a = census__aggregation_observed_sum_new();
    break;
  }
  if (!a) {
    *status = CENSUS_ENOMEM;
  }
  return a;
}

/* Makes (or finds, for the same definition) the measure and registers the default view of the
 * instrument; sets *measure. A conflict is the measure's or the view's, reported by them. */
static census_status make_measure_and_view(enum census__instrument_kind kind,
                                           census_measure_type type, const char *name,
                                           const census_instrument_options *o,
                                           const census_measure **measure) {
  census_measure_options mo = CENSUS_MEASURE_OPTIONS_INIT;
  mo.name = name;
  mo.description = o->description;
  mo.unit = o->unit;
  mo.value_type = type;
  mo.signed_values = kind_is_signed(kind);
  census_status status;
  *measure = census_measure_new(&mo, &status);
  if (!*measure) {
    return status;
  }
  census_aggregation *aggregation = kind_aggregation(kind, o, &status);
  if (!aggregation) {
    return status;
  }
  census_view *view = census_view_new(name, o->description, *measure, o->attribute_keys,
                                      o->attribute_key_count, aggregation, &status);
  census_aggregation_free(aggregation);
  if (view && o->max_series) {
    status = census_view_set_max_series(view, o->max_series);
  }
  if (view && status == CENSUS_OK && o->prometheus_name) {
    status = census_view_set_prometheus_name(view, o->prometheus_name);
  }
  if (view && status == CENSUS_OK) {
    status = census_view_register(view);
  }
  census_view_free(view);
  return status;
}

/* The instrument named `name`, or NULL. Caller holds INSTRUMENTS. */
static struct census__instrument *find_locked(const char *name) {
  for (struct census__instrument *i = instruments; i; i = i->next) {
    if (strcmp(census_measure_name(i->measure), name) == 0) {
      return i;
    }
  }
  return NULL;
}

/* Checks what census__instrument_get() is given before anything is made. */
static census_status check_arguments(const char *name, const census_instrument_options *o,
                                     const char *function) {
  if (!name) {
    return CENSUS_EINVAL;
  }
  if (!name_is_valid(name)) {
    census__diag(CENSUS_EBADNAME,
                 "%s: \"%.100s\" is not an instrument name: use 1 to 255 characters, a letter "
                 "first, then letters, digits, '_', '.', '-' or '/' (OpenTelemetry's syntax)",
                 function, name);
    return CENSUS_EBADNAME;
  }
  if (o->unit && strlen(o->unit) > UNIT_MAX_LENGTH) {
    census__diag(CENSUS_EINVAL,
                 "%s: instrument \"%.100s\": the unit is longer than %d bytes (OpenTelemetry's "
                 "limit)",
                 function, name, UNIT_MAX_LENGTH);
    return CENSUS_EINVAL;
  }
  if (o->bound_count && !o->bounds) {
    return CENSUS_EINVAL;
  }
  return CENSUS_OK;
}

struct census__instrument *census__instrument_get(enum census__instrument_kind kind,
                                                  census_measure_type type, const char *name,
                                                  const census_instrument_options *options,
                                                  const char *function, census_status *status) {
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  *status = options
                ? census__options_read(
                      options, CENSUS__END_OF(census_instrument_options, prometheus_name), sizeof o,
                      &o, function, "census_instrument_options", "CENSUS_INSTRUMENT_OPTIONS_INIT")
                : CENSUS_OK;
  if (*status == CENSUS_OK) {
    *status = check_arguments(name, &o, function);
  }
  if (*status != CENSUS_OK) {
    return NULL;
  }
  census__mutex_lock(&instruments_mu);
  struct census__instrument *found = find_locked(name);
  const census_measure *measure = NULL;
  if (found && (found->kind != kind || found->measure->type != type)) {
    *status = CENSUS_ECONFLICT;
  } else {
    *status = make_measure_and_view(kind, type, name, &o, &measure);
  }
  if (*status == CENSUS_OK && !found) {
    found = census__calloc(1, sizeof *found);
    if (found) {
      found->kind = kind;
      found->measure = measure;
      found->ns_per_unit = ns_per_unit(census_measure_unit(measure));
      found->next = instruments;
      instruments = found;
    } else {
      *status = CENSUS_ENOMEM;
    }
  }
  enum census__instrument_kind had = found ? found->kind : kind;
  census_measure_type had_type = found ? found->measure->type : type;
  census__mutex_unlock(&instruments_mu);
  if (*status == CENSUS_ECONFLICT && (had != kind || had_type != type)) {
    census__diag(CENSUS_ECONFLICT,
                 "%s: instrument \"%.100s\" already exists as a %s of %s values: make it with "
                 "the same kind and value type, or under another name",
                 function, name, kind_name(had),
                 had_type == CENSUS_MEASURE_INT64 ? "int64" : "double");
  }
  return *status == CENSUS_OK ? found : NULL;
}

void census__instruments_fork_prepare(void) { census__mutex_lock(&instruments_mu); }

void census__instruments_fork_parent(void) { census__mutex_unlock(&instruments_mu); }

/* ---- the synchronous kinds ------------------------------------------------------------------ */

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

/* A constructor: the instrument, or NULL with *status (if not NULL) set. */
static void *make(enum census__instrument_kind kind, census_measure_type type, const char *name,
                  const census_instrument_options *options, const char *function,
                  census_status *status) {
  census_status st;
  struct census__instrument *i = census__instrument_get(kind, type, name, options, function, &st);
  set_status(status, st);
  return i;
}

#define CENSUS__CONSTRUCTORS(type_name, kind)                                                      \
  CENSUS_EXPORT census_##type_name *census_##type_name##_int64_new(                                \
      const char *name, const census_instrument_options *options, census_status *status) {         \
    return make(kind, CENSUS_MEASURE_INT64, name, options, "census_" #type_name "_int64_new",      \
                status);                                                                           \
  }                                                                                                \
  CENSUS_EXPORT census_##type_name *census_##type_name##_double_new(                               \
      const char *name, const census_instrument_options *options, census_status *status) {         \
    return make(kind, CENSUS_MEASURE_DOUBLE, name, options, "census_" #type_name "_double_new",    \
                status);                                                                           \
  }

CENSUS__CONSTRUCTORS(counter, CENSUS__COUNTER)
CENSUS__CONSTRUCTORS(updown_counter, CENSUS__UPDOWN_COUNTER)
CENSUS__CONSTRUCTORS(histogram, CENSUS__HISTOGRAM)
CENSUS__CONSTRUCTORS(gauge, CENSUS__GAUGE)

/* The record path of census_record_int64() / census_record_double() (recorder.h). */
static inline census_status record_int64(const void *instrument, int64_t value,
                                         const census_tag_map *tags) {
  return instrument ? census__record_one_int64(
                          ((const struct census__instrument *)instrument)->measure, value, tags)
                    : CENSUS_EINVAL;
}

static inline census_status record_double(const void *instrument, double value,
                                          const census_tag_map *tags) {
  return instrument ? census__record_one_double(
                          ((const struct census__instrument *)instrument)->measure, value, tags)
                    : CENSUS_EINVAL;
}

#define CENSUS__RECORDERS(type_name, verb)                                                         \
  CENSUS_EXPORT census_status census_##type_name##_##verb##_int64(                                 \
      const census_##type_name *instrument, int64_t value, const census_tag_map *tags) {           \
    return record_int64(instrument, value, tags);                                                  \
  }                                                                                                \
  CENSUS_EXPORT census_status census_##type_name##_##verb##_double(                                \
      const census_##type_name *instrument, double value, const census_tag_map *tags) {            \
    return record_double(instrument, value, tags);                                                 \
  }                                                                                                \
  CENSUS_EXPORT census_bound_measure *census_##type_name##_bind(                                   \
      const census_##type_name *instrument, const census_tag_map *tags, census_status *status) {   \
    if (!instrument) {                                                                             \
      set_status(status, CENSUS_EINVAL);                                                           \
      return NULL;                                                                                 \
    }                                                                                              \
    return census_measure_bind(((const struct census__instrument *)instrument)->measure, tags,     \
                               status);                                                            \
  }                                                                                                \
  CENSUS_EXPORT const census_measure *census_##type_name##_measure(                                \
      const census_##type_name *instrument) {                                                      \
    return instrument ? ((const struct census__instrument *)instrument)->measure : NULL;           \
  }

CENSUS__RECORDERS(counter, add)
CENSUS__RECORDERS(updown_counter, add)
CENSUS__RECORDERS(histogram, record)
CENSUS__RECORDERS(gauge, record)

/* ---- the timer ------------------------------------------------------------------------------ */

CENSUS_EXPORT census_timer census_timer_start(void) {
  census_timer t = {census__monotonic_ns()};
  return t;
}

CENSUS_EXPORT int64_t census_timer_elapsed_ns(const census_timer *timer) {
  if (!timer) {
    return 0;
  }
  int64_t elapsed = census__monotonic_ns() - timer->start_ns;
  return elapsed > 0 ? elapsed : 0;
}

CENSUS_EXPORT census_status census_timer_stop(const census_timer *timer,
                                              const census_histogram *histogram,
                                              const census_tag_map *tags) {
  if (!timer || !histogram) {
    return CENSUS_EINVAL;
  }
  struct census__instrument *h = (struct census__instrument *)histogram;
  if (h->ns_per_unit == 0) {
    census__diag_once(&h->timer_unit_reported, CENSUS_EINVAL,
                      "census_timer_stop: histogram \"%.100s\" has the unit \"%.40s\", not a time "
                      "unit: make it with the unit s (OpenTelemetry's for durations), ms, us, ns, "
                      "min, h or d (reported once per histogram)",
                      census_measure_name(h->measure), census_measure_unit(h->measure));
    return CENSUS_EINVAL;
  }
  int64_t elapsed = census_timer_elapsed_ns(timer);
  return h->measure->type == CENSUS_MEASURE_INT64
             ? record_int64(h, elapsed / h->ns_per_unit, tags)
             : record_double(h, (double)elapsed / (double)h->ns_per_unit, tags);
}
