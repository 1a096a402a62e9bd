/* observable.c - observable (asynchronous) instruments: callbacks that report a value when
 * census collects.
 *
 * An observable instrument is an instrument of the registry (instrument.c: its measure and
 * default view) plus registered callbacks. The collector runs census__observables_run() at the
 * start of every collection, under its COLLECT lock and before the phase flip (the lifecycle
 * wires it in at load: collector.h's observe hook), so what the callbacks observe is recorded
 * on the collecting thread and harvested by that same collection: an export holds the values
 * observed for it, whichever thread collects (the export worker, or a Prometheus scrape through
 * census_view_data_get_all()).
 *
 * Observed totals. An observable counter reports its total, not increments; its view's
 * aggregation (OBSERVED_SUM, stats_internal.h) keeps the last observation per series instead of
 * adding, and snapshots present it as a Sum. So the exported value is the observed value exactly
 * (no delta arithmetic, no rounding), a decrease of a counter reads as a reset, as OpenTelemetry
 * and Prometheus read it, and an observable up-down counter (a signed measure) is a
 * non-monotonic Sum. An observable gauge is a LastValue view.
 *
 * The list of callbacks is guarded by COLLECT itself: registration and census_observable_free()
 * take it, so a callback never runs while its handle is being freed, and once free returns it
 * will not run again. Updates are single pointer stores (push at the head, unlink by one store),
 * so a fork, which re-creates COLLECT in the child rather than taking it, never leaves the child
 * a torn list.
 */
#include <stdlib.h>

#include "census/instruments.h"
#include "core/run_state.h"
#include "instruments/observable.h"
#include "stats/collector.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"
#include "core/alloc.h"

struct census_observable {
  struct census_observable *next; /* the registered callbacks, under COLLECT */
  struct census__instrument *instrument;
  census_observe_fn callback;
  void *user;
};

/* Handed to a callback: the instrument it observes for. Lives on the collector's stack. */
struct census_observer {
  const struct census__instrument *instrument;
};

static struct census_observable *observables; /* oldest first, under COLLECT */

void census__observables_run(void) {
  for (struct census_observable *o = observables; o; o = o->next) {
    struct census_observer observer = {o->instrument};
    o->callback(&observer, o->user);
  }
}

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

/* Makes the instrument and registers one callback for it; with `once`, a callback already
 * registered for the same instrument with the same function and user pointer is not registered
 * again (NULL is returned with CENSUS_OK: the existing one is kept). */
static census_observable *observable_add(enum census__instrument_kind kind,
                                         census_measure_type type, const char *name,
                                         const census_instrument_options *options,
                                         census_observe_fn callback, void *user, bool once,
                                         const char *function, census_status *status) {
  if (!callback) {
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  census_status st;
  struct census__instrument *instrument =
      census__instrument_get(kind, type, name, options, function, &st);
  census_observable *o = instrument ? census__calloc(1, sizeof *o) : NULL;
  if (instrument && !o) {
    st = CENSUS_ENOMEM;
  }
  if (o) {
    o->instrument = instrument;
    o->callback = callback;
    o->user = user;
    census__collector_lock();
    bool registered = false;
    struct census_observable **tail = &observables;
    while (*tail) {
      registered |= once && (*tail)->instrument == instrument && (*tail)->callback == callback &&
                    (*tail)->user == user;
      tail = &(*tail)->next;
    }
    if (census__is_shut_down()) {
      st = CENSUS_ESHUTDOWN;
    } else if (!registered) {
      *tail = o; /* registration order: callbacks run oldest first */
    }
    census__collector_unlock();
    if (st != CENSUS_OK || registered) {
      census__free(o);
      o = NULL;
    }
  }
  set_status(status, st);
  return o;
}

#define CENSUS__OBSERVABLE_CONSTRUCTOR(function, kind, type)                                       \
  CENSUS_EXPORT census_observable *function(                                                       \
      const char *name, const census_instrument_options *options, census_observe_fn callback,      \
      void *user, census_status *status) {                                                         \
    return observable_add(kind, type, name, options, callback, user, false, #function, status);    \
  }

CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_counter_int64_new, CENSUS__OBSERVABLE_COUNTER,
                               CENSUS_MEASURE_INT64)
CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_counter_double_new, CENSUS__OBSERVABLE_COUNTER,
                               CENSUS_MEASURE_DOUBLE)
CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_updown_counter_int64_new,
                               CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_INT64)
CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_updown_counter_double_new,
                               CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_DOUBLE)
CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_gauge_int64_new, CENSUS__OBSERVABLE_GAUGE,
                               CENSUS_MEASURE_INT64)
CENSUS__OBSERVABLE_CONSTRUCTOR(census_observable_gauge_double_new, CENSUS__OBSERVABLE_GAUGE,
                               CENSUS_MEASURE_DOUBLE)

census_status census__observable_register_once(enum census__instrument_kind kind,
                                               census_measure_type type, const char *name,
                                               const census_instrument_options *options,
                                               census_observe_fn callback, void *user,
                                               const char *function) {
  census_status status;
  observable_add(kind, type, name, options, callback, user, true, function, &status);
  return status;
}

CENSUS_EXPORT const census_measure *census_observable_measure(const census_observable *o) {
  return o ? o->instrument->measure : NULL;
}

CENSUS_EXPORT void census_observable_free(census_observable *o) {
  if (!o) {
    return;
  }
  census__collector_lock();
  for (struct census_observable **link = &observables; *link; link = &(*link)->next) {
    if (*link == o) {
      *link = o->next;
      break;
    }
  }
  census__collector_unlock();
  census__free(o);
}

CENSUS_EXPORT census_status census_observer_observe_int64(census_observer *observer, int64_t value,
                                                          const census_tag_map *tags) {
  if (!observer) {
    return CENSUS_EINVAL;
  }
  return census_record_int64(observer->instrument->measure, value, tags);
}

CENSUS_EXPORT census_status census_observer_observe_double(census_observer *observer, double value,
                                                           const census_tag_map *tags) {
  if (!observer) {
    return CENSUS_EINVAL;
  }
  return census_record_double(observer->instrument->measure, value, tags);
}
