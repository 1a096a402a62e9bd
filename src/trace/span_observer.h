/* span_observer.h - span observers (span_observer.c): callbacks that see spans start and end on
 * the recording threads, for in-process views of live tracing (the zPages' tracez).
 *
 * The hot path's whole cost while no observer is registered is one relaxed load of
 * census__span_observing (a word written only by registration) and a branch, in span_start();
 * span_end() tests a byte of the record it already reads. Observers live in a few static slots
 * that are never freed, so a recording thread that loaded the word just before an
 * unregistration still touches valid memory; each slot counts the callbacks in progress, and
 * unregistration waits for that count to drain, so an observer may free its state once
 * census_span_observer_unregister() returns.
 */
#ifndef CENSUS_TRACE_SPAN_OBSERVER_H
#define CENSUS_TRACE_SPAN_OBSERVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "trace/span_internal.h"

/* Bits of census__span_observing: one per registered slot, and "record unsampled spans". */
#define CENSUS__SPAN_OBSERVE_SLOTS 0xfu
#define CENSUS__SPAN_OBSERVE_UNSAMPLED 0x100u

extern __attribute__((visibility("hidden"))) _Atomic uint32_t census__span_observing;

/* Calls on_start of every registered observer (the bits of `observing`) for record `r`, which has
 * just started and is recording; remembers in the record which observers saw it. */
void census__span_observe_start(struct census_span_data *r, uint32_t observing);

/* Calls on_end of every observer that saw `r` start and is still registered; clears the record's
 * observer fields. `r` has its end time. */
void census__span_observe_end(struct census_span_data *r);

/* fork(): prepare takes SPAN_OBSERVERS, parent releases it; the child releases it too and resets
 * the slots' in-progress counts (callbacks other threads of the parent were running do not exist
 * in the child). */
void census__span_observers_fork_prepare(void);
void census__span_observers_fork_parent(void);
void census__span_observers_fork_child(void);

#endif
