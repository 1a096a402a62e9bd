/* span_observer.c - span observers: callbacks that see recording spans start and end on the
 * threads that start and end them (census_span_observer_register(), census/exporter.h).
 *
 * Design. Observers live in CENSUS__SPAN_OBSERVERS_MAX static slots, never freed, so a recording
 * thread never touches freed memory whatever the timing. census__span_observing holds one bit
 * per registered slot (and CENSUS__SPAN_OBSERVE_UNSAMPLED when one of them asked for the spans
 * the sampler refuses); span.c loads it once per start and calls in here only when it is not 0,
 * so a process without observers pays one load and a branch per span.
 *
 * Each slot has a generation, bumped at registration (odd: registered) and at unregistration
 * (even), and a count of callbacks in progress. A callback runs as: add 1 to `active`, load
 * `gen`; if odd, call, then subtract 1. Unregistration stores the even generation and then waits
 * until `active` is 0. Both sides use sequentially consistent operations (the Dekker pattern), so
 * either the recording thread sees the even generation and skips the call, or the unregistering
 * thread sees its count and waits: after census_span_observer_unregister() returns, no callback
 * of that observer runs, and the observer may free what `user` points to. A record keeps, per
 * slot that saw it start, the generation then and on_start's cookie; on_end runs only if the
 * slot still has that generation, so an observer never sees the end of a span whose start it did
 * not see, even when its slot was reused meanwhile.
 *
 * Registration and unregistration are serialised by SPAN_OBSERVERS (the innermost lock: no
 * callback runs under it). Callbacks run holding no census lock.
 */
#include "trace/span_observer.h"

#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/lock.h"
#include "core/options.h"
#include "core/run_state.h"

_Atomic uint32_t census__span_observing;

struct observer_slot {
  _Atomic uint32_t gen;    /* odd while registered */
  _Atomic uint32_t active; /* callbacks of this slot running now */
  census_span_observer_ops ops;
  void *user;
};

static struct observer_slot slots[CENSUS__SPAN_OBSERVERS_MAX];
static census__mutex observers_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_OBSERVERS);

/* Enters slot `i` for a callback: true (and the generation in *gen) while it is registered. The
 * caller leaves with slot_leave() in both cases. */
static inline bool slot_enter(struct observer_slot *s, uint32_t *gen) {
  atomic_fetch_add(&s->active, 1);
  *gen = atomic_load(&s->gen);
  return *gen & 1;
}

static inline void slot_leave(struct observer_slot *s) {
  atomic_fetch_sub_explicit(&s->active, 1, memory_order_release);
}

void census__span_observe_start(struct census_span_data *r, uint32_t observing) {
  uint8_t observed = 0;
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX; i++) {
    if (!(observing & (1u << i))) {
      continue;
    }
    struct observer_slot *s = &slots[i];
    uint32_t gen;
    if (slot_enter(s, &gen)) {
      r->observer_cookie[i] = s->ops.on_start ? s->ops.on_start(s->user, r) : 0;
      r->observer_gen[i] = gen;
      observed |= (uint8_t)(1u << i);
    }
    slot_leave(s);
  }
  r->observed = observed;
}

void census__span_observe_end(struct census_span_data *r) {
  uint8_t observed = r->observed;
  r->observed = 0;
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX; i++) {
    if (!(observed & (1u << i))) {
      continue;
    }
    struct observer_slot *s = &slots[i];
    uint32_t gen;
    if (slot_enter(s, &gen) && gen == r->observer_gen[i] && s->ops.on_end) {
      s->ops.on_end(s->user, r, r->observer_cookie[i]);
    }
    slot_leave(s);
  }
}

/* Recomputes census__span_observing from the slots. Caller holds SPAN_OBSERVERS. */
static void observing_update(void) {
  uint32_t bits = 0;
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX; i++) {
    if (atomic_load_explicit(&slots[i].gen, memory_order_relaxed) & 1) {
      bits |= 1u << i;
      if (slots[i].ops.record_unsampled) {
        bits |= CENSUS__SPAN_OBSERVE_UNSAMPLED;
      }
    }
  }
  atomic_store_explicit(&census__span_observing, bits, memory_order_release);
}

CENSUS_EXPORT census_status census_span_observer_register(const census_span_observer_ops *ops,
                                                          void *user) {
  if (!ops) {
    return CENSUS_EINVAL;
  }
  census_span_observer_ops read;
  census_status status = census__options_read(
      ops, CENSUS__END_OF(census_span_observer_ops, record_unsampled), sizeof read, &read,
      "census_span_observer_register", "census_span_observer_ops", "CENSUS_SPAN_OBSERVER_OPS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  census__mutex_lock(&observers_mu);
  struct observer_slot *free_slot = NULL;
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX; i++) {
    struct observer_slot *s = &slots[i];
    uint32_t gen = atomic_load(&s->gen);
    if ((gen & 1) && s->user == user) {
      census__mutex_unlock(&observers_mu);
      return CENSUS_EDUPLICATE;
    }
    /* A slot whose last unregistration timed out still has callbacks running: not reused. */
    if (!(gen & 1) && atomic_load(&s->active) == 0 && !free_slot) {
      free_slot = s;
    }
  }
  if (!free_slot) {
    census__mutex_unlock(&observers_mu);
    census__diag(CENSUS_ELIMIT,
                 "census_span_observer_register: %d span observers are registered already, the "
                 "most census keeps: unregister one first",
                 CENSUS__SPAN_OBSERVERS_MAX);
    return CENSUS_ELIMIT;
  }
  free_slot->ops = read;
  free_slot->user = user;
  atomic_fetch_add(&free_slot->gen, 1); /* odd: registered; publishes ops and user */
  observing_update();
  census__mutex_unlock(&observers_mu);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_observer_unregister(void *user, int64_t timeout_ms) {
  census__mutex_lock(&observers_mu);
  struct observer_slot *found = NULL;
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX && !found; i++) {
    if ((atomic_load(&slots[i].gen) & 1) && slots[i].user == user) {
      found = &slots[i];
    }
  }
  if (found) {
    atomic_fetch_add(&found->gen, 1); /* even: no new callback enters */
    observing_update();
  }
  census__mutex_unlock(&observers_mu);
  if (!found) {
    return CENSUS_ENOTFOUND;
  }
  /* Callbacks are short (they must not block): poll every 100 us until they have left. */
  int64_t deadline = census__deadline_after_ms(timeout_ms);
  while (atomic_load(&found->active) != 0) {
    if (census__monotonic_ns() >= deadline) {
      return CENSUS_ETIMEDOUT;
    }
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000};
    nanosleep(&pause, NULL);
  }
  return CENSUS_OK;
}

void census__span_observers_fork_prepare(void) { census__mutex_lock(&observers_mu); }

void census__span_observers_fork_parent(void) { census__mutex_unlock(&observers_mu); }

void census__span_observers_fork_child(void) {
  for (unsigned i = 0; i < CENSUS__SPAN_OBSERVERS_MAX; i++) {
    atomic_store(&slots[i].active, 0);
  }
  census__mutex_unlock(&observers_mu);
}

CENSUS_EXPORT bool census_span_data_is_sampled(const census_span_data *span) {
  return span && span->sampled;
}
