/* registration.c - reference counting and unregistration of exporter handles (registration.h).
 *
 * Invariant: refs == 1 (the caller's, until _stop()) + the number of registrations in `live`.
 * A registration's bit leaves `live` in its shutdown callback, together with its reference, so a
 * stop that finds a bit still set after unregistering knows census did not call that callback
 * (the collection lock could not be taken in time) and will call it later.
 */
#include "registration.h"

#include <time.h>

void census__registration_init(census_registration *r, void *handle, void (*destroy)(void *)) {
  atomic_init(&r->refs, 1);
  atomic_init(&r->live, 0);
  r->handle = handle;
  r->destroy = destroy;
}

/* One registration: its reference and bit first, so that a shutdown callback census runs at once
 * (census_shutdown() in another thread) finds them; both taken back if census refuses. */
static census_status add_one(census_registration *r, unsigned kind,
                             const census_stats_exporter_ops *stats,
                             const census_span_exporter_ops *spans) {
  atomic_fetch_add(&r->refs, 1);
  atomic_fetch_or(&r->live, kind);
  census_status status = stats ? census_stats_exporter_register(stats, r->handle)
                               : census_span_exporter_register(spans, r->handle);
  if (status != CENSUS_OK) {
    atomic_fetch_and(&r->live, ~kind);
    atomic_fetch_sub(&r->refs, 1);
  }
  return status;
}

census_status census__registration_add(census_registration *r,
                                       const census_stats_exporter_ops *stats,
                                       const census_span_exporter_ops *spans) {
  census_status status = CENSUS_OK;
  if (stats) {
    status = add_one(r, CENSUS_REGISTRATION_STATS, stats, NULL);
  }
  if (status == CENSUS_OK && spans) {
    status = add_one(r, CENSUS_REGISTRATION_SPANS, NULL, spans);
    if (status != CENSUS_OK && stats) {
      census_stats_exporter_unregister(r->handle, 0); /* runs its shutdown callback */
    }
  }
  return status;
}

bool census__registration_live(census_registration *r, unsigned kind) {
  return (atomic_load(&r->live) & kind) != 0;
}

void census__registration_shutdown_done(census_registration *r, unsigned kind) {
  atomic_fetch_and(&r->live, ~kind);
  census__registration_release(r);
}

census_status census__status_worst(census_status a, census_status b) {
  if (a == CENSUS_ETIMEDOUT || b == CENSUS_ETIMEDOUT) {
    return CENSUS_ETIMEDOUT;
  }
  return a == CENSUS_OK && b == CENSUS_OK ? CENSUS_OK : CENSUS_EEXPORT;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An unregistration's outcome as part of a stop: census_shutdown() having taken the registration
 * first (ENOTFOUND, ESHUTDOWN) is not an error. */
static census_status stop_outcome(census_status s) {
  return s == CENSUS_ENOTFOUND || s == CENSUS_ESHUTDOWN ? CENSUS_OK : s;
}

census_status census__registration_unregister(census_registration *r, int64_t timeout_ms) {
  int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  census_status result = CENSUS_OK;
  /* Spans first: their final batch is on its way while the final snapshot is encoded. */
  if (census__registration_live(r, CENSUS_REGISTRATION_SPANS)) {
    int64_t left = deadline - now_ms();
    result = census__status_worst(
        result, stop_outcome(census_span_exporter_unregister(r->handle, left > 0 ? left : 0)));
  }
  if (census__registration_live(r, CENSUS_REGISTRATION_STATS)) {
    int64_t left = deadline - now_ms();
    result = census__status_worst(
        result, stop_outcome(census_stats_exporter_unregister(r->handle, left > 0 ? left : 0)));
  }
  if (census__registration_live(r, CENSUS_REGISTRATION_STATS | CENSUS_REGISTRATION_SPANS)) {
    result = CENSUS_ETIMEDOUT; /* census still holds it (its collection lock was busy) */
  }
  return result;
}

void census__registration_release(census_registration *r) {
  if (atomic_fetch_sub(&r->refs, 1) == 1 && r->destroy) {
    r->destroy(r->handle);
  }
}
