/* registration.h - the life of an exporter handle that is registered with census: the part every
 * exporter shares (stdout, Prometheus, and through the push exporter skeleton OTLP, Zipkin and
 * the Google Cloud exporters). libc and census's public API only.
 *
 * An exporter registers its handle as the user pointer of a stats exporter, a span exporter or
 * both. The handle is reference-counted: one reference for the caller (released by its _stop())
 * and one per registration, released by that registration's shutdown callback, which census calls
 * exactly once (at unregistration, or at census_shutdown()). So after census_shutdown() ran every
 * shutdown callback, the handle stays valid for _stats() (final counters) until _stop() frees it;
 * and when census could not take a registration out in time (an export held its collection lock),
 * the handle stays allocated for census's later call instead of being freed under it.
 *
 * Thread-safety: every function is thread-safe. The handle's own _stop() must not run
 * concurrently with census_shutdown(), and must be the last call on the handle.
 */
#ifndef CENSUS_COMMON_REGISTRATION_H
#define CENSUS_COMMON_REGISTRATION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/status.h"

#define CENSUS_REGISTRATION_STATS 0x1u
#define CENSUS_REGISTRATION_SPANS 0x2u

typedef struct census_registration {
  atomic_int refs;  /* the caller's, plus one per registration whose shutdown has not run */
  atomic_uint live; /* CENSUS_REGISTRATION_* registered and not shut down yet */
  void *handle;     /* the user pointer census passes to the callbacks */
  void (*destroy)(void *handle); /* frees the handle when the last reference goes */
} census_registration;

/* Prepares `r` for `handle` with the caller's reference; nothing is registered yet. */
void census__registration_init(census_registration *r, void *handle, void (*destroy)(void *));

/* Registers the handle as a stats exporter (stats != NULL) and as a span exporter (spans != NULL),
 * each registration taking a reference. When the span registration fails after the stats one
 * succeeded, the stats one is taken back (its shutdown callback runs, as census calls it). Returns
 * CENSUS_OK or what census_stats_exporter_register() / census_span_exporter_register() returned
 * (CENSUS_EINVAL, CENSUS_ENOMEM, CENSUS_ESHUTDOWN). */
census_status census__registration_add(census_registration *r,
                                       const census_stats_exporter_ops *stats,
                                       const census_span_exporter_ops *spans);

/* True while the registration `kind` is registered and its shutdown callback has not run. */
bool census__registration_live(census_registration *r, unsigned kind);

/* To be called last in the shutdown callback of registration `kind`: marks it shut down and
 * drops its reference (which may free the handle: touch nothing after it). */
void census__registration_shutdown_done(census_registration *r, unsigned kind);

/* Unregisters every live registration, spans first, within one deadline of timeout_ms (census
 * makes the final export, calls flush and the shutdown callback). Returns CENSUS_OK, or the
 * merged outcome: CENSUS_ETIMEDOUT (wins) when the deadline cut the final export or flush short,
 * or census could not take the registration out in time (it is then still live), CENSUS_EEXPORT
 * when the final export or flush lost data. A registration census_shutdown() already took is not
 * an error. Does not drop the caller's reference. Not from an exporter callback. */
census_status census__registration_unregister(census_registration *r, int64_t timeout_ms);

/* Drops one reference (the caller's, in _stop()); the last one calls destroy(handle). */
void census__registration_release(census_registration *r);

/* CENSUS_ETIMEDOUT wins over CENSUS_EEXPORT, which wins over CENSUS_OK: the merged outcome of two
 * parts of one flush or stop. Any other error counts as CENSUS_EEXPORT. */
census_status census__status_worst(census_status a, census_status b);

#endif
