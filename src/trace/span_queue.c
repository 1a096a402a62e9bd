/* span_queue.c - the batch span processor: a bounded queue of ended sampled spans, drained in
 * batches to the span exporters by the export worker.
 *
 * The queue is one ring per thread that ends spans: single producer (the thread), single consumer
 * (the exporter, under export_mu), so ending a span takes no lock: a release store publishes the
 * slot. One bounded queue across all rings (the OpenTelemetry semantics) without a shared counter
 * written per span: a ring reserves slots of the queue in advance, up to 64 at a time, from one
 * atomic count (`reserved`: queued spans plus the rings' reserved and unused slots, never above
 * the limit), and the exporter gives slots back as it takes spans. So at most max_queue_size spans
 * are ever queued; a span finding no slot is dropped, counted (census_trace_dropped_spans and the
 * self-metric census/dropped_spans) and reported once through diagnostics. A reservation is at
 * most an eighth of the free room, so near full it is a slot or two. A ring's unused slots go back
 * when the ring idles through an export (queue_trim()), when its thread exits, when the limit
 * changes (every ring's, so a smaller limit holds at once), and when a reservation finds no room:
 * the failing thread then takes every ring's unused slots back once and tries again
 * (ring_reserve()), so a span is dropped only when the queue holds max_queue_size spans (or while
 * another thread is taking slots back at that moment). A ring's reservation is an atomic on the
 * ring's own line: the owner takes a slot with a compare-exchange nobody else contends, anyone
 * else takes the rest back with an exchange, so every slot is used or given back exactly once.
 * The thread whose span uses the reserved slot that completes a batch rings the worker's doorbell
 * (one thread: the batch's last span). Ending a span never waits for the exporter. The worker only
 * reads the records; once a batch is exported, each record goes back to the thread that ended it
 * through its own ring (struct span_ring), so no record crosses cores to be reused. Rings of
 * exited threads are drained, their records given to the pool, and then freed. While no span
 * exporter is registered, ended spans are not queued at all (there is nothing to export them to).
 * Exports run under SPAN_EXPORT, so exporter calls never overlap; the worker exports every schedule
 * delay, and census_flush(), the exit flush and census_shutdown() drain the queue completely.
 *
 * Configuration follows the OpenTelemetry batch span processor: OTEL_BSP_MAX_QUEUE_SIZE (2048),
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512), OTEL_BSP_SCHEDULE_DELAY (5000 ms),
 * OTEL_BSP_EXPORT_TIMEOUT (30000 ms); span limits from OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
 * OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT (read by span.c). They are read once,
 * the first time the queue is used (not at load: a program may set them before its first span).
 * Malformed values are reported once and the default kept.
 */
#include "trace/span_queue.h"
#include "core/thread_local.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/env.h"
#include "core/options.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "core/wake.h"
#include "export/flush.h"
#include "stats/self_metrics.h"
#include "trace/span_pool.h"
#include "core/alloc.h"

struct span_exporter {
  struct span_exporter *next;
  census_span_exporter_ops ops;
  void *user;
};

static census__mutex queue_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_OPTIONS); /* `options` */

/* One thread's ring of ended spans; see the file comment. The indices count up forever:
 * reclaim <= done <= head <= tail. Slots [head, tail) are queued; [done, head) are being exported;
 * [reclaim, done) are exported and wait for the owner, which takes them back for its next spans
 * (census__span_queue_reclaim()). So a record is written only by the thread that ends its spans:
 * the worker reads records and writes head and done once per batch, never a record or a slot
 * (except those of an exited or idle thread, queue_done() and queue_trim()). */
struct span_ring {
  struct span_ring *next; /* rings, under rings_mu */
  size_t mask;            /* capacity - 1, a power of two */
  _Atomic bool dead;      /* the owner exited: drain, then free (the worker then owns reclaim) */
  /* Written by the exporter (under export_mu), once per batch. */
  _Alignas(64) _Atomic size_t head; /* the next slot to take */
  _Atomic size_t done;              /* slots before it are exported: the owner may reuse them */
  /* Written by the owner. */
  _Alignas(64) _Atomic size_t tail; /* the next slot to fill */
  _Atomic size_t reclaim;           /* the next exported slot the owner takes back */
  /* Slots reserved in `reserved` and not used yet, never more than the ring's free slots: the
   * owner takes one per span (compare-exchange), anyone may take all back (ring_void()). */
  _Atomic int64_t credit;
  size_t wake_at;   /* the owner's: the tail whose span completes a batch (rings the worker) */
  size_t seen_tail; /* the exporter's, under export_mu: tail at the previous queue_trim() */
  /* Atomic (relaxed) only because queue_trim() may read a slot that the owner, having taken it
   * back first, fills again; queue_trim() then discards what it read. */
  _Alignas(64) _Atomic(struct census_span_data *) slots[];
};

static census__mutex rings_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_RINGS);
static struct span_ring *rings;
static pthread_key_t ring_key;
static bool ring_key_made;
static CENSUS__HOT_THREAD_LOCAL struct span_ring *my_ring;
/* Queued spans plus the slots rings reserved and have not used yet (see the file comment): written
 * once per reservation (up to 64 spans) and once per exported batch, not per span. */
static _Atomic int64_t reserved;
/* Bumped (under rings_mu) when the limit changes and every ring's reservation is taken back
 * (rings_void()): a reservation made across it is given back by its maker (ring_reserve()). A
 * full queue's take-back (rings_void_try()) leaves it: those reservations hold under the limit. */
static _Atomic uint64_t void_epoch;
static _Atomic uint32_t queue_capacity = 2048; /* mirrors options, read without the lock */
static _Atomic uint32_t batch_size = 512;
static census__mutex export_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_EXPORT); /* one at a time */
static census__mutex exporters_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SPAN_EXPORTERS); /* the list */
static struct span_exporter *exporters;
static _Atomic size_t exporter_count; /* mirrors the list's length, read without the lock */
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static atomic_bool config_done;

static _Atomic uint64_t dropped;
static atomic_bool drop_reported;
static census_span_export_options options = {.size = sizeof(census_span_export_options),
                                             .max_queue_size = 2048,
                                             .max_export_batch_size = 512,
                                             .schedule_delay_ms = 5000,
                                             .export_timeout_ms = 30000};

/* Marks the exiting thread's ring dead; the exporter drains and frees it. */
static void ring_exit(void *arg) {
  struct span_ring *r = arg;
  if (my_ring == r) {
    my_ring = NULL;
  }
  atomic_store_explicit(&r->dead, true, memory_order_release);
}

/* The calling thread's ring, made on its first ended span (sized for the whole queue, since one
 * thread may end every span). NULL only if memory is exhausted. */
static struct span_ring *ring_get(void) {
  if (my_ring) {
    return my_ring;
  }
  size_t capacity = 1;
  while (capacity < atomic_load_explicit(&queue_capacity, memory_order_relaxed)) {
    capacity <<= 1;
  }
  size_t bytes = sizeof(struct span_ring) + capacity * sizeof(_Atomic(struct census_span_data *));
  struct span_ring *r = census__aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  if (!r) {
    return NULL;
  }
  memset(r, 0, bytes);
  r->mask = capacity - 1;
  r->wake_at = SIZE_MAX;
  census__mutex_lock(&rings_mu);
  r->next = rings;
  rings = r;
  census__mutex_unlock(&rings_mu);
  if (ring_key_made) {
    pthread_setspecific(ring_key, r);
  }
  my_ring = r;
  return r;
}

/* Reads the OTEL_BSP_* variables and makes the thread-exit key of the rings; once, on the
 * queue's first use. */
static void config_read(void) {
  int64_t queue = options.max_queue_size, batch = options.max_export_batch_size;
  census__env_positive("OTEL_BSP_MAX_QUEUE_SIZE", INT32_MAX, NULL, &queue);
  census__env_positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", INT32_MAX, NULL, &batch);
  census__env_positive("OTEL_BSP_SCHEDULE_DELAY", INT32_MAX, "milliseconds",
                       &options.schedule_delay_ms);
  census__env_positive("OTEL_BSP_EXPORT_TIMEOUT", INT32_MAX, "milliseconds",
                       &options.export_timeout_ms);
  if (batch > queue) {
    census__diag(CENSUS_ECONFIG,
                 "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (%lld) exceeds the queue size "
                 "(%lld); using the queue size",
                 (long long)batch, (long long)queue);
    batch = queue;
  }
  options.max_queue_size = (uint32_t)queue;
  options.max_export_batch_size = (uint32_t)batch;
  atomic_store(&queue_capacity, options.max_queue_size);
  atomic_store(&batch_size, options.max_export_batch_size);
  ring_key_made = pthread_key_create(&ring_key, ring_exit) == 0;
  atomic_store_explicit(&config_done, true, memory_order_release);
}

/* Reads the configuration the first time (one acquire load afterwards: span ends call it). */
static inline void config_ready(void) {
  if (!atomic_load_explicit(&config_done, memory_order_acquire)) {
    pthread_once(&config_once, config_read);
  }
}

/* Moves up to `max` exported records of ring `r` (the caller's) to `list`, cleared for reuse. */
__attribute__((noinline)) static size_t
ring_reclaim(struct span_ring *r, struct census__span_free_list *list, size_t max) {
  /* reclaim before done: reclaim never passes done and done only grows, so at <= done. In the
   * other order a stale done could lie behind a reclaim that queue_trim() moved meanwhile (it
   * takes an idle ring's exported records, and a ring whose full queue drops every span looks
   * idle): done - at then wrapped, and the CAS took 64 slots past done, records still queued or
   * already reused, into this thread's free list a second time. The free lists then formed a
   * cycle, a count ran below zero, and the next spill walked the cycle forever holding
   * SPAN_POOL: the stall bench_record showed under heavy load with the queue full. */
  size_t at = atomic_load_explicit(&r->reclaim, memory_order_acquire);
  size_t done = atomic_load_explicit(&r->done, memory_order_acquire); /* the export's reads */
  size_t end = census__span_reclaim_end(at, done, max);
  /* Out of the ring before they are cleared (a fork() meanwhile loses them rather than clearing
   * them twice, census__spans_fork_child()); a compare-exchange, since the exporter may take an
   * idle thread's records (queue_trim()). */
  if (at == end || !atomic_compare_exchange_strong_explicit(
                       &r->reclaim, &at, end, memory_order_acq_rel, memory_order_relaxed)) {
    return 0;
  }
  for (size_t i = at; i != end; i++) {
    struct census_span_data *record =
        atomic_load_explicit(&r->slots[i & r->mask], memory_order_relaxed);
    census__span_record_reset(record);
    record->next = list->free;
    list->free = record;
    list->count++;
  }
  return end - at;
}

/* census__span_queue_push() on a ring whose every slot holds a record: takes back the exported
 * ones (spilling to the pool if the thread's list grows too long); true if a slot is free then. A
 * ring made before the queue grew can also be full of queued spans: false. */
__attribute__((cold, noinline)) static bool ring_full(struct span_ring *r, size_t tail) {
  struct census__span_free_list *list = census__span_local_list();
  ring_reclaim(r, list, 64);
  if (list->count > CENSUS__SPAN_LOCAL_MAX) {
    census__span_pool_spill(list, CENSUS__SPAN_LOCAL_MAX / 2);
  }
  return tail - atomic_load_explicit(&r->reclaim, memory_order_acquire) <= r->mask;
}

size_t census__span_queue_reclaim(struct census__span_free_list *list, size_t max) {
  return my_ring ? ring_reclaim(my_ring, list, max) : 0;
}

/* Counts and reports a span that could not be queued (queue full, no ring). */
static void push_dropped(void) {
  atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
  census__count_dropped_spans(1);
  /* Loaded first: while the queue stays full, every span ends here, and an exchange would write
   * the flag's cache line from every thread each time. */
  if (!atomic_load_explicit(&drop_reported, memory_order_relaxed) &&
      !atomic_exchange(&drop_reported, true)) {
    census__diag(CENSUS_ELIMIT,
                 "span export queue full (%u spans): ended spans are being dropped and counted "
                 "in census/dropped_spans; raise OTEL_BSP_MAX_QUEUE_SIZE or export faster",
                 atomic_load(&queue_capacity));
  }
}

/* Takes back ring `r`'s unused reservation (the exporter, an idle or exited thread's ring; or
 * rings_void()). Exact: the owner's compare-exchange and this exchange each take a slot once. */
static void ring_void(struct span_ring *r) {
  int64_t unused = atomic_exchange_explicit(&r->credit, 0, memory_order_seq_cst);
  if (unused > 0) {
    atomic_fetch_sub_explicit(&reserved, unused, memory_order_relaxed);
  }
}

/* Takes back every ring's reservation: the limit or batch size changed (a smaller limit then holds
 * at once), or no exporter is left. */
static void rings_void(void) {
  census__mutex_lock(&rings_mu);
  atomic_fetch_add_explicit(&void_epoch, 1, memory_order_seq_cst);
  for (struct span_ring *r = rings; r; r = r->next) {
    ring_void(r);
  }
  census__mutex_unlock(&rings_mu);
}

/* rings_void() when no other thread is at it (false then): a full queue's drop path, which must
 * not wait (try-lock: no sleep, no syscall while uncontended). */
static bool rings_void_try(void) {
  census__lock_order_check(CENSUS__LOCK_SPAN_RINGS);
  if (pthread_mutex_trylock(&rings_mu.mu) != 0) {
    return false;
  }
  census__lock_order_count(CENSUS__LOCK_SPAN_RINGS, 1);
  for (struct span_ring *r = rings; r; r = r->next) {
    ring_void(r);
  }
  census__mutex_unlock(&rings_mu);
  return true;
}

/* Reserves up to 64 slots of the queue, and never more than ring `r` has free (so a reserved slot
 * is also a free ring slot: the fast path checks only the reservation), for ring `r` (the
 * caller's, whose credit is 0, with a free slot) whose next span goes at `tail`; false when the
 * queue is full, true with the first slot taken for that span: only the others become the ring's
 * credit. Were it taken from the credit afterwards, an export's queue_trim() could void the
 * credit in between (the ring looks idle until this span is published) and the span was dropped
 * and counted as if the queue were full, with the queue empty: one span of unit_trace's
 * test_small_ring_reused_after_export under load, 1 to 2% of the spans of
 * test_reservation_survives_export_trim (which makes the race likely), nearly every span with a
 * sleep put there by hand. Lock-free but for the full case: the compare-exchange fails only when
 * another thread reserved or the exporter gave slots back meanwhile. When no room is left, the
 * other rings' unused slots are taken back once and the reservation tried again, so a span is
 * dropped only when the queue holds max_queue_size spans (or when another thread is taking slots
 * back at that very moment, and gets them). */
static bool ring_reserve(struct span_ring *r, size_t tail) {
  int64_t ring_room =
      (int64_t)(r->mask + 1 - (tail - atomic_load_explicit(&r->reclaim, memory_order_acquire)));
  bool voided = false;
  for (;;) {
    uint64_t epoch = atomic_load_explicit(&void_epoch, memory_order_seq_cst);
    int64_t capacity = (int64_t)atomic_load_explicit(&queue_capacity, memory_order_relaxed);
    int64_t batch = (int64_t)atomic_load_explicit(&batch_size, memory_order_relaxed);
    int64_t old = atomic_load_explicit(&reserved, memory_order_relaxed), take = 0;
    do {
      int64_t room = capacity - old;
      if (room <= 0) {
        break;
      }
      /* An eighth of the room: near full, a ring holds few slots other rings could use. */
      take = room / 8 > 64 ? 64 : room / 8 > 0 ? room / 8 : 1;
      take = take < ring_room ? take : ring_room;
    } while (!atomic_compare_exchange_weak_explicit(&reserved, &old, old + take,
                                                    memory_order_relaxed, memory_order_relaxed));
    if (capacity - old <= 0) {
      if (voided || !rings_void_try()) {
        return false; /* full: every reserved slot holds a queued span */
      }
      voided = true;
      continue;
    }
    atomic_store_explicit(&r->credit, take - 1, memory_order_seq_cst); /* the first is the span's */
    /* rings_void() ran meanwhile (a new limit): it saw the credit (then it is 0 again) or this sees
     * its epoch (then give the slots back, the span's too, and reserve under the new limit). */
    if (atomic_load_explicit(&exporter_count, memory_order_seq_cst) == 0) {
      ring_void(r); /* the last exporter went meanwhile: queue nothing (counted as dropped) */
      atomic_fetch_sub_explicit(&reserved, 1, memory_order_relaxed);
      return false;
    }
    if (atomic_load_explicit(&void_epoch, memory_order_seq_cst) == epoch) {
      /* The reservation holding the batch's last slot: the span using it rings the worker. */
      r->wake_at = old < batch && batch <= old + take ? tail + (size_t)(batch - old - 1) : SIZE_MAX;
      return true;
    }
    ring_void(r);
    atomic_fetch_sub_explicit(&reserved, 1, memory_order_relaxed);
  }
}

/* Takes one of ring `r`'s reserved slots (the owner); false when none is left. */
static inline bool ring_take_credit(struct span_ring *r) {
  int64_t c = atomic_load_explicit(&r->credit, memory_order_relaxed);
  return c > 0 && atomic_compare_exchange_strong_explicit(
                      &r->credit, &c, c - 1, memory_order_relaxed, memory_order_relaxed);
}

/* census__span_queue_push() when the fast path cannot: the first span of a thread, no slot
 * reserved, a full ring, no exporter, after census_shutdown(). */
__attribute__((noinline)) static bool push_slow(struct census_span_data *record) {
  if (census__is_shut_down()) {
    /* No exporter is left and nothing drains the queue: the span is dropped and counted. */
    static atomic_bool reported;
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    census__diag_once(&reported, CENSUS_ESHUTDOWN,
                      "a span ended after census_shutdown(): it is not exported (counted in "
                      "census_trace_dropped_spans(); reported once)");
    return false;
  }
  if (atomic_load_explicit(&exporter_count, memory_order_relaxed) == 0) {
    return false; /* no span exporter: nothing would ever take it */
  }
  config_ready();
  struct span_ring *r = ring_get();
  if (!r) {
    push_dropped();
    return false;
  }
  size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  if ((tail - atomic_load_explicit(&r->reclaim, memory_order_acquire) > r->mask &&
       !ring_full(r, tail)) ||
      (!ring_take_credit(r) && !ring_reserve(r, tail))) {
    push_dropped();
    return false;
  }
  atomic_store_explicit(&r->slots[tail & r->mask], record, memory_order_relaxed);
  atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
  if (tail == r->wake_at) {
    census__wake_ring(CENSUS__WAKE_SPANS); /* this span completed a batch */
  }
  return true;
}

bool census__span_queue_push(struct census_span_data *record) {
  /* The fast path: a reserved slot of the queue (and so of the ring). Writes only the
   * ring's own lines (the credit's compare-exchange is uncontended but for a rare take-back). */
  struct span_ring *r = my_ring;
  if (__builtin_expect(r != NULL && !census__is_shut_down(), 1)) {
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (__builtin_expect(ring_take_credit(r), 1)) { /* a reserved slot is a free ring slot */
      atomic_store_explicit(&r->slots[tail & r->mask], record, memory_order_relaxed);
      atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
      if (__builtin_expect(tail == r->wake_at, 0)) {
        census__wake_ring(CENSUS__WAKE_SPANS); /* this span completed a batch */
      }
      return true;
    }
  }
  return push_slow(record);
}

/* Takes up to `max` spans from the rings into `out`; returns how many. They stay the rings'
 * until queue_done(). Caller holds export_mu (the rings' only consumer). */
static size_t queue_take(struct census_span_data **out, size_t max) {
  size_t n = 0;
  census__mutex_lock(&rings_mu);
  for (struct span_ring *r = rings; r && n < max; r = r->next) {
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    while (head != tail && n < max) {
      out[n++] = atomic_load_explicit(&r->slots[head++ & r->mask], memory_order_relaxed);
    }
    atomic_store_explicit(&r->head, head, memory_order_relaxed);
  }
  census__mutex_unlock(&rings_mu);
  atomic_fetch_sub_explicit(&reserved, (int64_t)n, memory_order_relaxed); /* their slots */
  return n;
}

/* After the spans queue_take() gave are exported or dropped: hands them back to the threads that
 * ended them (done = head; the owner clears and reuses them); the exported records of exited
 * threads go to the pool, and their rings are freed once empty. Caller holds export_mu. */
static void queue_done(void) {
  census__mutex_lock(&rings_mu);
  struct span_ring **link = &rings;
  while (*link) {
    struct span_ring *r = *link;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (atomic_load_explicit(&r->dead, memory_order_acquire)) {
      /* The owner is gone (its last reclaim and push happened before dead was set): the worker
       * owns the ring's exported records now, and gives back the slots it had reserved. */
      ring_void(r);
      size_t at = atomic_load_explicit(&r->reclaim, memory_order_relaxed);
      struct census_span_data *batch[64];
      while (at != head) {
        size_t k = 0;
        while (at != head && k < 64) {
          batch[k++] = atomic_load_explicit(&r->slots[at++ & r->mask], memory_order_relaxed);
        }
        census__span_release_batch(batch, k);
      }
      atomic_store_explicit(&r->reclaim, head, memory_order_relaxed);
      atomic_store_explicit(&r->done, head, memory_order_relaxed);
      if (head == atomic_load_explicit(&r->tail, memory_order_acquire)) {
        *link = r->next;
        census__free(r);
        continue;
      }
    } else {
      atomic_store_explicit(&r->done, head, memory_order_release); /* the export's reads */
    }
    link = &r->next;
  }
  census__mutex_unlock(&rings_mu);
}

/* Once per export: a live thread that ended no span since the previous export gives its exported
 * records to the pool (the exporter takes them, as from an exited thread), so a thread that
 * stopped ending spans does not keep up to a queue's worth of records. Caller holds export_mu. */
static void queue_trim(void) {
  census__mutex_lock(&rings_mu);
  for (struct span_ring *r = rings; r; r = r->next) {
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (tail != r->seen_tail) {
      r->seen_tail = tail;
      continue;
    }
    ring_void(r); /* idle: its reserved slots go back to the queue */
    size_t done = atomic_load_explicit(&r->done, memory_order_relaxed);
    size_t at = atomic_load_explicit(&r->reclaim, memory_order_relaxed);
    while (at != done) {
      /* The slots are read before reclaim moves past them: from then on the owner may fill them
       * again. If the owner moved it first (taking these records back), they are its own. */
      struct census_span_data *batch[64];
      size_t k = 0;
      while (at + k != done && k < 64) {
        batch[k] = atomic_load_explicit(&r->slots[(at + k) & r->mask], memory_order_relaxed);
        k++;
      }
      if (!atomic_compare_exchange_strong_explicit(&r->reclaim, &at, at + k, memory_order_acq_rel,
                                                   memory_order_relaxed)) {
        break;
      }
      at += k;
      census__span_release_batch(batch, k);
    }
  }
  census__mutex_unlock(&rings_mu);
}

/* Copies the exporter list (caller holds export_mu, so no entry is freed meanwhile). */
static struct span_exporter **exporters_snapshot(size_t *count) {
  census__mutex_lock(&exporters_mu);
  size_t n = 0;
  for (struct span_exporter *e = exporters; e; e = e->next) {
    n++;
  }
  struct span_exporter **list = census__malloc((n ? n : 1) * sizeof *list);
  n = 0;
  for (struct span_exporter *e = exporters; list && e; e = e->next) {
    list[n++] = e;
  }
  census__mutex_unlock(&exporters_mu);
  *count = n;
  return list;
}

/* Drains the queue to `list` in batches before the deadline. Caller holds export_mu. */
static census_status drain_to(struct span_exporter **list, size_t count, int64_t deadline_ns) {
  size_t per_batch = atomic_load(&batch_size);
  per_batch = per_batch ? per_batch : 1;
  struct census_span_data **batch = census__malloc(per_batch * sizeof *batch);
  if (!batch) {
    return CENSUS_ENOMEM;
  }
  census_status result = CENSUS_OK;
  size_t n;
  while ((n = queue_take(batch, per_batch)) > 0) {
    for (size_t i = 0; i < count; i++) {
      census_status status =
          list[i]->ops.export_spans(list[i]->user, (const census_span_data *const *)batch, n);
      if (status != CENSUS_OK) {
        census__diag(status, "span exporter failed on %zu spans: %s", n, census_status_str(status));
        result = CENSUS_EEXPORT;
      }
    }
    queue_done();
    if (census__monotonic_ns() > deadline_ns) {
      result = CENSUS_ETIMEDOUT; /* the rest stays queued for the next export */
      break;
    }
  }
  queue_done(); /* also when nothing was queued: an exited thread's ring is freed */
  census__free(batch);
  return result;
}

census_status census__spans_lock(int64_t deadline_ns) {
  return census__mutex_lock_until(&export_mu, deadline_ns);
}

void census__spans_unlock(void) { census__mutex_unlock(&export_mu); }

census_status census__spans_export_locked(int64_t deadline_ns, census__flush_jobs *flushes) {
  size_t count;
  struct span_exporter **list = exporters_snapshot(&count);
  if (!list) {
    return CENSUS_ENOMEM;
  }
  census_status result = drain_to(list, count, deadline_ns);
  queue_trim();
  for (size_t i = 0; flushes && i < count; i++) {
    census__flush_fn flush = list[i]->ops.flush;
    if (flush && census__flush_jobs_add(flushes, flush, list[i]->user) != CENSUS_OK) {
      census_status status = flush(list[i]->user, census__ms_until(deadline_ns));
      if (status != CENSUS_OK) {
        result = census__status_merge(result, status == CENSUS_ETIMEDOUT ? CENSUS_ETIMEDOUT
                                                                         : CENSUS_EEXPORT);
      }
    }
  }
  census__free(list);
  return result;
}

size_t census__spans_drop_queued_locked(void) {
  size_t per_batch = 256, total = 0, n;
  struct census_span_data *batch[256];
  while ((n = queue_take(batch, per_batch)) > 0) {
    queue_done();
    total += n;
  }
  queue_done();
  if (total > 0) {
    atomic_fetch_add_explicit(&dropped, total, memory_order_relaxed);
    census__count_dropped_spans((int64_t)total);
  }
  return total;
}

census_status census__spans_export_all(int64_t deadline_ns, bool flush_exporters) {
  census__mutex_lock(&export_mu);
  census__flush_jobs flushes = {0};
  census_status result =
      census__spans_export_locked(deadline_ns, flush_exporters ? &flushes : NULL);
  result = census__status_merge(result, census__flush_run(&flushes, deadline_ns, false));
  census__flush_jobs_free(&flushes);
  census__mutex_unlock(&export_mu);
  return result;
}

int64_t census__span_schedule_delay_ms(void) {
  config_ready();
  census__mutex_lock(&queue_mu);
  int64_t delay = options.schedule_delay_ms;
  census__mutex_unlock(&queue_mu);
  return delay;
}

census_status census__span_exporters_add(const census_span_exporter_ops *ops, void *user) {
  struct span_exporter *e = census__calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  e->ops = *ops;
  e->user = user;
  census__mutex_lock(&exporters_mu);
  struct span_exporter **link = &exporters;
  while (*link) {
    link = &(*link)->next;
  }
  *link = e;
  atomic_fetch_add_explicit(&exporter_count, 1, memory_order_relaxed);
  census__mutex_unlock(&exporters_mu);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_exporter_unregister(void *user, int64_t timeout_ms) {
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  int64_t deadline = census__deadline_after_ms(timeout_ms);
  /* Another exporter's failure to take the spans is not this call's outcome; running out of time
   * is, and so is running out of memory (the queued spans were not handed to this exporter; they
   * stay queued for the others: tests/reliability/alloc_failure.c saw CENSUS_OK here). */
  census_status exported = census__spans_export_all(deadline, false);
  census_status status =
      exported == CENSUS_ETIMEDOUT || exported == CENSUS_ENOMEM ? exported : CENSUS_OK;
  census__mutex_lock(&export_mu);
  census__mutex_lock(&exporters_mu);
  struct span_exporter **link = &exporters;
  while (*link && (*link)->user != user) {
    link = &(*link)->next;
  }
  struct span_exporter *e = *link;
  if (e) {
    *link = e->next;
    atomic_fetch_sub_explicit(&exporter_count, 1, memory_order_relaxed);
  }
  census__mutex_unlock(&exporters_mu);
  if (atomic_load_explicit(&exporter_count, memory_order_relaxed) == 0) {
    rings_void(); /* the fast path queues only with a reserved slot: none while no exporter */
  }
  census__mutex_unlock(&export_mu);
  if (!e) {
    return CENSUS_ENOTFOUND;
  }
  if (e->ops.flush) {
    census_status flushed = e->ops.flush(e->user, census__ms_until(deadline));
    if (flushed != CENSUS_OK) {
      status = census__status_merge(status, flushed == CENSUS_ETIMEDOUT ? CENSUS_ETIMEDOUT
                                                                        : CENSUS_EEXPORT);
    }
  }
  if (e->ops.shutdown) {
    e->ops.shutdown(e->user, census__ms_until(deadline));
  }
  census__free(e);
  return status;
}

void census__spans_shutdown(int64_t deadline_ns) {
  census__spans_export_all(deadline_ns, true);
  census__mutex_lock(&export_mu);
  census__mutex_lock(&exporters_mu);
  struct span_exporter *e = exporters;
  exporters = NULL;
  atomic_store_explicit(&exporter_count, 0, memory_order_relaxed);
  census__mutex_unlock(&exporters_mu);
  rings_void();
  census__mutex_unlock(&export_mu);
  while (e) {
    struct span_exporter *next = e->next;
    if (e->ops.shutdown) {
      e->ops.shutdown(e->user, census__ms_until(deadline_ns));
    }
    census__free(e);
    e = next;
  }
}

void census__spans_fork_prepare(void) {
  census__span_fork_prepare();
  census__mutex_lock(&exporters_mu);
  census__mutex_lock(&queue_mu);
  census__mutex_lock(&rings_mu);
}

void census__spans_fork_parent(void) {
  census__mutex_unlock(&rings_mu);
  census__mutex_unlock(&queue_mu);
  census__mutex_unlock(&exporters_mu);
}

void census__spans_fork_child(void) {
  census__mutex_init(&export_mu, CENSUS__LOCK_SPAN_EXPORT);
  while (rings) {
    struct span_ring *r = rings;
    rings = r->next;
    /* Queued, being exported (by a parent's thread) or exported and not yet taken back: all of
     * them the parent's; the child's records start over in the pool. */
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (size_t i = atomic_load_explicit(&r->reclaim, memory_order_relaxed); i != tail; i++) {
      census__span_release(atomic_load_explicit(&r->slots[i & r->mask], memory_order_relaxed));
    }
    census__free(r);
  }
  my_ring = NULL;
  if (ring_key_made) {
    pthread_setspecific(ring_key, NULL);
  }
  atomic_store(&reserved, 0); /* every ring, with its reservation, is gone */
  census__spans_fork_parent();
}

CENSUS_EXPORT census_status
census_trace_set_export_options(const census_span_export_options *given) {
  if (!given) {
    return CENSUS_EINVAL;
  }
  census_span_export_options read;
  census_status status =
      census__options_read(given, CENSUS__END_OF(census_span_export_options, export_timeout_ms),
                           sizeof read, &read, "census_trace_set_export_options",
                           "census_span_export_options", "CENSUS_SPAN_EXPORT_OPTIONS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  const census_span_export_options *o = &read;
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  config_ready();
  census__mutex_lock(&queue_mu);
  uint32_t queue = o->max_queue_size ? o->max_queue_size : options.max_queue_size;
  uint32_t batch =
      o->max_export_batch_size ? o->max_export_batch_size : options.max_export_batch_size;
  if (batch > queue || o->schedule_delay_ms < 0 || o->export_timeout_ms < 0) {
    status = CENSUS_EINVAL;
  } else {
    options.max_queue_size = queue;
    options.max_export_batch_size = batch;
    atomic_store(&queue_capacity, queue);
    atomic_store(&batch_size, batch);
    if (o->schedule_delay_ms) {
      options.schedule_delay_ms = o->schedule_delay_ms;
    }
    if (o->export_timeout_ms) {
      options.export_timeout_ms = o->export_timeout_ms;
    }
  }
  census__mutex_unlock(&queue_mu);
  if (status == CENSUS_OK) {
    rings_void(); /* reservations made under the old limit go back: the new one holds at once */
  }
  census__wake_ring(CENSUS__WAKE_CONFIG);
  return status;
}

CENSUS_EXPORT census_status census_trace_export_options(census_span_export_options *o) {
  if (!o) {
    return CENSUS_EINVAL;
  }
  census_span_export_options check;
  size_t size = o->size;
  census_status status =
      census__options_read(o, CENSUS__END_OF(census_span_export_options, export_timeout_ms),
                           sizeof check, &check, "census_trace_export_options",
                           "census_span_export_options", "CENSUS_SPAN_EXPORT_OPTIONS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  config_ready();
  census__mutex_lock(&queue_mu);
  census_span_export_options now = options;
  census__mutex_unlock(&queue_mu);
  now.size = size;
  memcpy(o, &now, size);
  return CENSUS_OK;
}

CENSUS_EXPORT uint64_t census_trace_dropped_spans(void) {
  return atomic_load_explicit(&dropped, memory_order_relaxed);
}
