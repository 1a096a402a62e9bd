/* observable.h - the observable instruments' callbacks (observable.c): registration without a
 * handle, for census's own instruments, and the collector's observe hook. */
#ifndef CENSUS_INSTRUMENTS_OBSERVABLE_H
#define CENSUS_INSTRUMENTS_OBSERVABLE_H

#include "census/instruments.h"
#include "instruments/instrument.h"

/* Makes the observable instrument and registers `callback` with `user` for it, unless that very
 * pair is registered for it already (a callback that lives as long as the process, with no handle
 * to free: the process metrics'). CENSUS_OK or the instrument's error. Takes INSTRUMENTS, then
 * COLLECT. */
census_status census__observable_register_once(enum census__instrument_kind kind,
                                               census_measure_type type, const char *name,
                                               const census_instrument_options *options,
                                               census_observe_fn callback, void *user,
                                               const char *function);

/* Runs every registered observable callback (observable.c), in registration order. The
 * collector's observe hook: called at the start of every collection, under COLLECT, so that
 * what the callbacks observe is in that collection. */
void census__observables_run(void);

#endif
