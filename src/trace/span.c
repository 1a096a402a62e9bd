/* span.c - starting, annotating and ending spans; the current span; the span limits.
 *
 * Records come from the pool (span_pool.h): each thread keeps a private list of free records
 * (no lock to start or end a span), refilled from and spilled to the pool's global list in
 * batches; ended sampled records go to the export queue (span_queue.c), and once exported the
 * ending thread takes them back from its own ring (census__span_queue_reclaim(), tried before the
 * global list), so a record stays on one thread. Only growing the pool allocates.
 *
 * Unsampled spans skip everything that costs: no clock read, no name copy, no attributes; they
 * keep ids and tracestate so that their children and injected headers carry the context, and a
 * fast start leaves those ids undrawn until something reads them (span_ids_ready()). The
 * exception is a span observer that asks for them (span_observer.h, record_unsampled): such a
 * span is recorded like a sampled one ("record only"), shown to the observers and never queued.
 * Observers cost one relaxed load per start while none is registered.
 */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/thread_local.h"
#include "core/diagnostics.h"
#include "core/env.h"
#include "core/options.h"
#include "core/run_state.h"
#include "trace/ids.h"
#include "trace/sampler.h"
#include "trace/span_observer.h"
#include "trace/span_internal.h"
#include "trace/span_pool.h"
#include "trace/span_queue.h"
#include "core/alloc.h"

#define LOCAL_MAX CENSUS__SPAN_LOCAL_MAX
#define REFILL 64 /* records taken back from the export ring at a time */

static CENSUS__HOT_THREAD_LOCAL struct census__span_free_list local;
static CENSUS__HOT_THREAD_LOCAL census_span current;

/* Read on every sampled start, so atomics rather than a lock. The environment's values
 * (OTEL_SPAN_*_LIMIT) are read once, before the first span starts or the first change. The four
 * limits are kept as two words, each holding two of census_span_limits' uint32_t fields in their
 * order in memory (max_attributes and max_events, then max_links and max_attributes_per_event),
 * so that a start copies them into its record with two loads and two stores instead of eight
 * accesses; a change is a compare-exchange of its word. */
enum { LIMIT_ATTRIBUTES, LIMIT_EVENTS, LIMIT_LINKS, LIMIT_EVENT_ATTRIBUTES };
_Static_assert(offsetof(census_span_limits, max_events) ==
                       offsetof(census_span_limits, max_attributes) + 4 &&
                   offsetof(census_span_limits, max_links) ==
                       offsetof(census_span_limits, max_attributes) + 8 &&
                   offsetof(census_span_limits, max_attributes_per_event) ==
                       offsetof(census_span_limits, max_attributes) + 12,
               "span limits: the two words copy the four fields in this order");
#define LIMITS_DEFAULT_WORD (UINT64_C(128) << 32 | 128) /* two 128s: either byte order */
static _Atomic uint64_t limit_words[2] = {LIMITS_DEFAULT_WORD, LIMITS_DEFAULT_WORD};
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;
static atomic_bool limits_read;

static uint32_t limit_get(int which) {
  uint64_t word = atomic_load_explicit(&limit_words[which / 2], memory_order_relaxed);
  uint32_t pair[2];
  memcpy(pair, &word, sizeof word);
  return pair[which % 2];
}

static void limit_set(int which, uint32_t value) {
  _Atomic uint64_t *word = &limit_words[which / 2];
  uint64_t old = atomic_load(word), fresh;
  do {
    uint32_t pair[2];
    memcpy(pair, &old, sizeof old);
    pair[which % 2] = value;
    memcpy(&fresh, pair, sizeof fresh);
  } while (!atomic_compare_exchange_weak(word, &old, fresh));
}

static void limits_from_environment(void) {
  static const struct {
    const char *name;
    int which;
  } vars[] = {{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", LIMIT_ATTRIBUTES},
              {"OTEL_SPAN_EVENT_COUNT_LIMIT", LIMIT_EVENTS},
              {"OTEL_SPAN_LINK_COUNT_LIMIT", LIMIT_LINKS}};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    int64_t value = limit_get(vars[i].which);
    if (census__env_positive(vars[i].name, INT32_MAX, NULL, &value)) {
      limit_set(vars[i].which, (uint32_t)value);
    }
  }
  atomic_store_explicit(&limits_read, true, memory_order_release);
}

/* Reads the environment's limits the first time (one acquire load afterwards). */
static inline void limits_ready(void) {
  if (!atomic_load_explicit(&limits_read, memory_order_acquire)) {
    pthread_once(&limits_once, limits_from_environment);
  }
}

/* ---- pool -------------------------------------------------------------------------------- */

/* A thread's free records go back to the global list when it exits: without this, every
 * short-lived thread that started or ended a span kept up to LOCAL_MAX records (64 after one span,
 * about 50 kB) that no other thread could take, so a server making a thread per request grew the
 * pool by a chunk every few threads until it reached CENSUS__SPAN_MAX_CHUNKS and refused every
 * start. The key is set once per thread, on the paths that first give its list records (the
 * plain start's refill, local_put_slow(), census__span_local_list()). */
static pthread_key_t local_key;
static pthread_once_t local_key_once = PTHREAD_ONCE_INIT;
static bool local_key_made;
/* LOCAL_MAX once local_hook() ran for the thread, 0 before: local_put()'s one compare against it
 * catches both the thread's first record and a list grown too long. */
static CENSUS__HOT_THREAD_LOCAL size_t local_limit;

/* Thread exit (the key's destructor): the exiting thread's free records to the global list.
 * glibc runs key destructors before it releases the thread's TLS, so `local` is still its own. */
static void local_exit(void *unused) {
  (void)unused;
  census__span_pool_spill(&local, 0);
}

static void local_key_make(void) {
  local_key_made = pthread_key_create(&local_key, local_exit) == 0;
}

/* Arranges local_exit() for the calling thread (once). Cold. */
static __attribute__((cold, noinline)) void local_hook(void) {
  pthread_once(&local_key_once, local_key_make);
  if (local_key_made) {
    pthread_setspecific(local_key, &local); /* any non-NULL value: the destructor runs */
  }
  local_limit = LOCAL_MAX;
}

/* local_put()'s rare cases: the thread's first record (arrange its return at exit), or a list
 * grown past LOCAL_MAX: spill half, so a thread that ends many spans started elsewhere does not
 * hoard them. */
static __attribute__((cold, noinline)) void local_put_slow(void) {
  if (!local_limit) {
    local_hook();
  }
  if (local.count > LOCAL_MAX) {
    census__span_pool_spill(&local, LOCAL_MAX / 2);
  }
}

static inline void local_put(struct census_span_data *r) {
  r->next = local.free;
  local.free = r;
  if (__builtin_expect(++local.count > local_limit, 0)) {
    local_put_slow();
  }
}

struct census__span_free_list *census__span_local_list(void) {
  if (!local_limit) {
    local_hook();
  }
  return &local;
}

/* ---- arena ------------------------------------------------------------------------------- */

static void *arena_alloc(struct census_span_data *r, size_t size) {
  if (size > SIZE_MAX / 2) {
    return NULL; /* an array's size that cannot be rounded up or fit a block: ENOMEM */
  }
  size = (size + 7) & ~(size_t)7;
  struct census__arena_block *b = r->arena;
  if (!b || b->used + size > b->capacity) {
    size_t capacity = size > 1024 ? size : 1024;
    struct census__arena_block *fresh = census__malloc(sizeof *fresh + capacity);
    if (!fresh) {
      return NULL;
    }
    fresh->capacity = capacity;
    fresh->used = 0;
    /* The newest block goes first; record_clear keeps only the first (a 1 KiB one if the span
     * never needed more, the biggest otherwise). */
    fresh->next = b;
    r->arena = b = fresh;
  }
  void *p = b->data + b->used;
  b->used += size;
  return p;
}

static const char *arena_strdup(struct census_span_data *r, const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = arena_alloc(r, n);
  if (copy) {
    memcpy(copy, s, n);
  }
  return copy;
}

/* ---- start and end ----------------------------------------------------------------------- */

/* ---- ids drawn on first use --------------------------------------------------------------
 *
 * An unsampled span's ids are read only if something asks for them: a child (its trace id and
 * parent span id), census_span_context() (injecting headers, logs), an exemplar. A fast start
 * that does not record (span_start()) leaves them undrawn and says so in ids_pending; the first
 * reader draws them from its own thread's generator (ids.h: the same xoshiro256** words the
 * start would have drawn, trace id first), so a span whose ids nobody reads costs no draw (about
 * 50 instructions of a root's 3 words). A span may be used by one thread at a time, but two
 * threads may start children of one parent at once, so the draw claims the record with a
 * compare-exchange (CENSUS__SPAN_IDS_BUSY) and publishes the ids with a release store; a reader
 * that finds it busy waits for that store (it comes after about 50 instructions of the drawer).
 * Every reader of a live span's context goes through span_ids_ready(). */

/* span_ids_ready()'s draw (cold: once per span whose ids are read, never on a recording one). */
__attribute__((cold, noinline)) static void span_ids_draw(struct census_span_data *r) {
  uint8_t pending = atomic_load_explicit(&r->ids_pending, memory_order_acquire);
  while (pending) {
    if (pending & CENSUS__SPAN_IDS_BUSY) {
      sched_yield(); /* another thread is drawing them: wait for its release store */
      pending = atomic_load_explicit(&r->ids_pending, memory_order_acquire);
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(&r->ids_pending, &pending,
                                              (uint8_t)(pending | CENSUS__SPAN_IDS_BUSY),
                                              memory_order_acquire, memory_order_acquire)) {
      struct census__id_generator *g = census__ids_generator();
      if (pending & CENSUS__SPAN_IDS_TRACE) {
        census__trace_id_draw(g, r->context.trace_id);
      }
      census__span_id_draw(g, r->context.span_id);
      atomic_store_explicit(&r->ids_pending, 0, memory_order_release);
      return;
    }
  }
}

/* True if r's ids are not drawn yet (the acquire pairs with span_ids_draw()'s release). */
static inline bool ids_pending(struct census_span_data *r) {
  return atomic_load_explicit(&r->ids_pending, memory_order_acquire) != 0;
}

/* r, with its ids drawn (one load and branch when they are). */
static inline struct census_span_data *span_ids_ready(struct census_span_data *r) {
  if (__builtin_expect(ids_pending(r), 0)) {
    span_ids_draw(r);
  }
  return r;
}

/* Before a fork: the calling thread's current spans get their ids, so that parent and child
 * (which reseeds its generator) carry the same ones if both continue them. */
void census__span_fork_prepare(void) {
  for (census_span s = current; s;) {
    struct census_span_data *r = census__span_lookup(s);
    if (!r) {
      break;
    }
    span_ids_ready(r);
    s = r->previous_current;
  }
}

/* The context of the span's parent, or NULL for a root; *remote says whether it came from
 * another process. A pointer, not a copy: a context holds a 513-byte tracestate, and copying it
 * made every span start's frame 600 bytes. */
static inline const census_trace_context *parent_context(const census_span_options *o,
                                                         bool *remote) {
  *remote = false;
  if (o && o->parent) {
    struct census_span_data *p = census__span_lookup(o->parent);
    if (p) {
      return &span_ids_ready(p)->context;
    }
  }
  if (o && o->remote_parent && census_trace_context_is_valid(o->remote_parent)) {
    *remote = true;
    return o->remote_parent;
  }
  if (!(o && o->root) && current) {
    struct census_span_data *p = census__span_lookup(current);
    if (p) {
      return &span_ids_ready(p)->context;
    }
  }
  return NULL;
}

/* Copies a parent's tracestate into a record. A remote parent's is the caller's array, which
 * may hold no NUL at all: that one is dropped (the span gets "") and reported, instead of being
 * read and written past the array's end. */
__attribute__((cold, noinline)) static void tracestate_unterminated(char *to) {
  static atomic_bool reported;
  to[0] = '\0';
  census__diag_once(&reported, CENSUS_EINVAL,
                    "census_span_start: the remote parent's tracestate has no NUL within its "
                    "%d bytes; the span gets no tracestate (reported once)",
                    CENSUS_TRACESTATE_MAX_LENGTH + 1);
}

static inline void tracestate_copy(char to[CENSUS_TRACESTATE_MAX_LENGTH + 1],
                                   const char from[CENSUS_TRACESTATE_MAX_LENGTH + 1]) {
  size_t n = strnlen(from, CENSUS_TRACESTATE_MAX_LENGTH + 1);
  if (__builtin_expect(n > CENSUS_TRACESTATE_MAX_LENGTH, 0)) {
    tracestate_unterminated(to);
    return;
  }
  memcpy(to, from, n + 1);
}

static bool trace_id_is_zero(const uint8_t id[CENSUS_TRACE_ID_SIZE]) {
  uint8_t any = 0;
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    any |= id[i];
  }
  return any == 0;
}

/* census_span_start()'s options when their size is not this census's sizeof: an older caller's
 * smaller struct is copied into *copy (the fields it lacks take their defaults), anything else is
 * refused and reported. Out of line so that the common case costs one compare. */
__attribute__((cold, noinline)) static const census_span_options *
span_options_read(const census_span_options *o, census_span_options *copy) {
  return census__options_read(o, CENSUS__END_OF(census_span_options, start_time_ns), sizeof *o,
                              copy, "census_span_start", "census_span_options",
                              "CENSUS_SPAN_OPTIONS_INIT") == CENSUS_OK
             ? copy
             : NULL;
}

/* memcpy(to, from, n) for 1 <= n <= 40 (a name that fits name_inline, with its NUL) in two or
 * three overlapping moves of 16, 8, 4 or 1 bytes: GCC expands a memcpy of unknown size into a
 * loop of 8-byte moves (about 25 instructions for a 20-byte name), this takes about 8. */
static inline void copy_short(char *to, const char *from, size_t n) {
  if (n >= 16) {
    char a[16], b[16], c[16];
    memcpy(a, from, 16);
    memcpy(b, from + n - 16, 16);
    if (n > 32) {
      memcpy(c, from + 16, 16);
      memcpy(to + 16, c, 16);
    }
    memcpy(to, a, 16);
    memcpy(to + n - 16, b, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, from, 8);
    memcpy(&b, from + n - 8, 8);
    memcpy(to, &a, 8);
    memcpy(to + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, from, 4);
    memcpy(&b, from + n - 4, 4);
    memcpy(to, &a, 4);
    memcpy(to + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; i++) {
      to[i] = from[i];
    }
  }
}

/* Fills what a recording span keeps from its start: kind, start time, limits, status, name. */
static inline void record_start(struct census_span_data *r, const census_span_options *o,
                                const char *name) {
  r->kind = o ? o->kind : CENSUS_SPAN_KIND_INTERNAL;
  r->start_ns = o && o->start_time_ns ? o->start_time_ns : census__unix_ns();
  r->end_ns = 0;
  uint64_t limits[2] = {atomic_load_explicit(&limit_words[0], memory_order_relaxed),
                        atomic_load_explicit(&limit_words[1], memory_order_relaxed)};
  memcpy((char *)&r->limits + offsetof(census_span_limits, max_attributes), limits, sizeof limits);
  r->status = CENSUS_SPAN_STATUS_UNSET;
  r->status_message = "";
  size_t length = strlen(name);
  if (length < sizeof r->name_inline) {
    copy_short(r->name_inline, name, length + 1);
    r->name = r->name_inline;
  } else {
    const char *copy = arena_strdup(r, name);
    r->name = copy ? copy : "";
  }
}

/* Makes the record live under a new handle. */
static inline void generation_bump(struct census_span_data *r) {
  atomic_store_explicit(&r->generation,
                        atomic_load_explicit(&r->generation, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

/* generation_bump() and census__span_handle() without reading the generation back: makes r live
 * and returns its handle. */
static inline census_span live_handle(struct census_span_data *r) {
  uint32_t generation = atomic_load_explicit(&r->generation, memory_order_relaxed) + 1;
  atomic_store_explicit(&r->generation, generation, memory_order_relaxed);
  return (uint64_t)r->index << 32 | generation;
}

/* The end of span_start() while span observers are registered (out of line: without them the
 * start pays only the load of `observing`). A span the sampler refused is recorded anyway when
 * an observer asked for such spans ("record only": observed, never exported); each recording
 * span is shown to the observers once it is live. */
__attribute__((cold, noinline)) static census_span span_start_observed(struct census_span_data *r,
                                                                       const census_span_options *o,
                                                                       const char *name,
                                                                       uint32_t observing) {
  if (!r->sampled && (observing & CENSUS__SPAN_OBSERVE_UNSAMPLED)) {
    r->record_only = true;
  }
  bool recording = r->sampled || r->record_only;
  if (recording) {
    record_start(r, o, name);
  }
  generation_bump(r);
  if (recording) {
    census__span_observe_start(r, observing);
  }
  return census__span_handle(r);
}

/* Every case of census_span_start(): the reference for span_start()'s fast path, which hands over
 * here (before it changes anything) whenever the start is not one it knows. */
__attribute__((noinline)) census_span census__span_start_plain(const char *name,
                                                               const census_span_options *o) {
  if (!name) {
    return 0;
  }
  census_span_options older;
  if (o && __builtin_expect(o->size != sizeof *o, 0) && !(o = span_options_read(o, &older))) {
    return 0;
  }
  if (census__is_shut_down()) {
    static atomic_bool reported;
    census__diag_once(&reported, CENSUS_ESHUTDOWN,
                      "census_span_start(\"%.64s\") after census_shutdown(): no span is "
                      "started (handle 0; reported once)",
                      name);
    return 0;
  }
  limits_ready();
  if (!local_limit) {
    local_hook(); /* the list is about to hold records: return them at thread exit */
  }
  if (!local.free && !census__span_queue_reclaim(&local, REFILL) &&
      !census__span_pool_refill(&local)) {
    census__diag(CENSUS_ENOMEM, "span \"%.64s\" not started: out of memory", name);
    return 0;
  }
  struct census_span_data *r = local.free;
  local.free = r->next;
  local.count--;

  struct census__id_generator *ids = census__ids_generator();
  bool parent_remote;
  const census_trace_context *parent = parent_context(o, &parent_remote);
  bool has_parent = parent != NULL;
  /* The random flag a root gets: census's own ids are random; a caller's only if it says so. */
  bool root_random = true;
  r->has_parent = has_parent;
  uint8_t parent_flags = 0;
  if (has_parent) {
    memcpy(r->context.trace_id, parent->trace_id, CENSUS_TRACE_ID_SIZE);
    memcpy(r->parent_span_id, parent->span_id, CENSUS_SPAN_ID_SIZE);
    r->parent_remote = parent_remote;
    parent_flags = parent->trace_flags;
    tracestate_copy(r->context.tracestate, parent->tracestate);
  } else {
    if (o && o->trace_id && !trace_id_is_zero(o->trace_id)) {
      memcpy(r->context.trace_id, o->trace_id, CENSUS_TRACE_ID_SIZE);
      root_random = o->trace_id_random;
    } else {
      census__trace_id_draw(ids, r->context.trace_id);
    }
    r->parent_remote = false;
    r->context.tracestate[0] = '\0';
  }
  census__span_id_draw(ids, r->context.span_id);
  atomic_store_explicit(&r->ids_pending, 0, memory_order_relaxed);
  r->context.remote = false;
  const census_sampler *sampler = o && o->sampler ? o->sampler : census__sampler_global();
  r->sampled = census__sampler_decide(sampler, parent, r->context.trace_id);
  /* The random flag belongs to the trace id (W3C Level 2, 3.2.2.5.2): a root gets it because
   * census__trace_id_new() draws all 16 bytes from the generator; a child keeps its parent's,
   * set or unset. Reserved bits are not carried (3.2.2.5.3: vendors set them to zero). */
  r->context.trace_flags = (uint8_t)((has_parent    ? parent_flags & CENSUS_TRACE_FLAG_RANDOM
                                      : root_random ? CENSUS_TRACE_FLAG_RANDOM
                                                    : 0) |
                                     (r->sampled ? CENSUS_TRACE_FLAG_SAMPLED : 0));
  r->previous_current = 0;
  /* Observers (span_observer.h): 0 unless one is registered, the one cost here without them. */
  uint32_t observing = atomic_load_explicit(&census__span_observing, memory_order_relaxed);
  if (__builtin_expect(observing != 0, 0)) {
    return span_start_observed(r, o, name, observing);
  }
  if (r->sampled) {
    record_start(r, o, name);
  }
  generation_bump(r);
  return census__span_handle(r);
}

/* What a fast start copies from the options it was given (NULL: these, the defaults). */
static const census_span_options default_options = CENSUS_SPAN_OPTIONS_INIT;

/* What both ends of a fast start write first: takes r off the thread's free list and fills the
 * parent fields. Returns the random flag the span's trace id carries (a root's ids are census's
 * own, drawn from the generator; a child keeps its parent's flag). */
static inline uint8_t fast_start_take(struct census_span_data *r,
                                      const census_trace_context *parent) {
  local.free = r->next;
  local.count--;
  r->has_parent = parent != NULL;
  r->parent_remote = false;
  r->context.tracestate[0] = '\0';
  r->context.remote = false;
  r->previous_current = 0;
  if (!parent) {
    return CENSUS_TRACE_FLAG_RANDOM;
  }
  memcpy(r->context.trace_id, parent->trace_id, CENSUS_TRACE_ID_SIZE);
  memcpy(r->parent_span_id, parent->span_id, CENSUS_SPAN_ID_SIZE);
  return parent->trace_flags & CENSUS_TRACE_FLAG_RANDOM;
}

/* The end of a fast start that draws ids now: a span the sampler takes (its ids are exported), or
 * one a ratio decides (on the trace id). Out of line, with the recording span's clock read, name
 * copy and limits: what an unsampled span does not need, and whose registers it would otherwise
 * save. The words are drawn in the plain path's order (trace id, then span id); a span the ratio
 * refuses leaves its span id for its first reader (span_ids_ready()). */
__attribute__((noinline)) static census_span
span_start_drawn(struct census_span_data *r, const census_span_options *o, const char *name,
                 const census_trace_context *parent, const census_sampler *ratio) {
  uint8_t flags = fast_start_take(r, parent);
  /* The generator's state in a local for both draws, written back once: drawn in place, it is
   * reloaded after the trace id's stores into r, which the compiler cannot tell from it. */
  struct census__id_generator g = census__id_generator_tls;
  if (!parent) {
    census__trace_id_draw(&g, r->context.trace_id);
  }
  bool sampled = !ratio || census__sampler_ratio(ratio, r->context.trace_id);
  if (sampled) {
    census__span_id_draw(&g, r->context.span_id);
  }
  memcpy(census__id_generator_tls.s, g.s, sizeof g.s);
  atomic_store_explicit(&r->ids_pending, sampled ? 0 : CENSUS__SPAN_IDS_SPAN, memory_order_relaxed);
  r->sampled = sampled;
  r->context.trace_flags = (uint8_t)(flags | (sampled ? CENSUS_TRACE_FLAG_SAMPLED : 0));
  if (sampled) {
    limits_ready();
    record_start(r, o, name);
  }
  return live_handle(r);
}

/* census_span_start() for the starts nearly every program makes: options of this census's size
 * (or none), no remote parent, no given trace id, no observer, a parent (given by handle or
 * current) with an empty tracestate and drawn ids, or none, and a sampler that is always on/off, a
 * ratio, or parent-based over one of those. It decides all of that before it changes anything,
 * and hands every other start to census__span_start_plain() whole, so both make the same span
 * from the same generator state (test_trace.c: test_fast_start_matches_plain; a span whose ids
 * are left for later is compared once they are drawn). A span that draws ids now goes on in
 * span_start_drawn(); one that does not record and is not decided by a ratio draws nothing: its
 * ids are drawn by their first reader (span_ids_ready()), and its start makes no call, so the
 * compiler needs no saved registers and no frame. */
__attribute__((always_inline)) static inline census_span span_start(const char *name,
                                                                    const census_span_options *o) {
  if (!o) {
    o = &default_options;
  }
  struct census_span_data *r = local.free;
  if (__builtin_expect(!name || o->size != sizeof *o || !r, 0)) {
    return census__span_start_plain(name, o); /* (o's other fields are read only after this) */
  }
  /* The other refusals in one test: ORed words, not four branches. */
  if (__builtin_expect(((uintptr_t)o->remote_parent | (uintptr_t)o->trace_id |
                        (uintptr_t)census__is_shut_down() |
                        atomic_load_explicit(&census__span_observing, memory_order_relaxed)) != 0,
                       0)) {
    return census__span_start_plain(name, o);
  }
  const census_trace_context *parent = NULL;
  if (o->parent) {
    struct census_span_data *p = census__span_lookup(o->parent);
    /* A stale handle: the plain path's fallbacks. A parent whose ids are not drawn yet: the
     * plain path draws them (a call here would cost every start its saved registers). */
    if (__builtin_expect(!p || ids_pending(p), 0)) {
      return census__span_start_plain(name, o);
    }
    parent = &p->context;
  } else if (!o->root && current) {
    struct census_span_data *p = census__span_lookup(current);
    if (__builtin_expect(p && ids_pending(p), 0)) {
      return census__span_start_plain(name, o);
    }
    parent = p ? &p->context : NULL;
  }
  if (__builtin_expect(parent && parent->tracestate[0] != '\0', 0)) {
    return census__span_start_plain(name, o); /* the tracestate copy */
  }
  /* The decision, as far as it can be made before the ids (census__sampler_decide()'s rules;
   * a ratio needs the trace id: `ratio` decides after the draw). */
  const census_sampler *s = o->sampler ? o->sampler : census__sampler_global();
  const census_sampler *ratio = NULL;
  bool sampled = false;
  if (s->kind == SAMPLER_PARENT_BASED && parent) {
    sampled = (parent->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) != 0;
  } else {
    if (s->kind == SAMPLER_PARENT_BASED) {
      s = s->root;
    }
    /* always on or off first: one compare, then ON is 0 */
    if (__builtin_expect(s->kind > SAMPLER_ALWAYS_OFF, 0)) {
      if (s->kind != SAMPLER_RATIO) {
        return census__span_start_plain(name, o); /* nested parent-based */
      }
      ratio = s;
    } else {
      sampled = s->kind == SAMPLER_ALWAYS_ON;
    }
  }
  if (sampled || ratio) {
    /* Drawing from a generator not seeded in this process (a new thread, or after a fork): the
     * plain path seeds it. */
    if (__builtin_expect(census__id_generator_tls.epoch !=
                             atomic_load_explicit(&census__ids_seed_epoch, memory_order_relaxed),
                         0)) {
      return census__span_start_plain(name, o);
    }
    return span_start_drawn(r, o, name, parent, ratio);
  }
  uint8_t flags = fast_start_take(r, parent);
  atomic_store_explicit(&r->ids_pending,
                        parent ? CENSUS__SPAN_IDS_SPAN
                               : CENSUS__SPAN_IDS_SPAN | CENSUS__SPAN_IDS_TRACE,
                        memory_order_relaxed);
  r->sampled = false;
  r->context.trace_flags = flags;
  return live_handle(r);
}

CENSUS_EXPORT census_span census_span_start(const char *name, const census_span_options *o) {
  return span_start(name, o);
}

CENSUS_EXPORT census_span census_span_start_current(const char *name,
                                                    const census_span_options *o) {
  census_span span = span_start(name, o);
  struct census_span_data *r = census__span_lookup(span);
  if (r) {
    r->previous_current = current;
    current = span;
  }
  return span;
}

/* The end of a span recorded only for the observers (the sampler refused it): they see it
 * end, then it is cleared for reuse; it is never queued for export. */
__attribute__((cold, noinline)) static void span_end_record_only(struct census_span_data *r,
                                                                 int64_t end_ns) {
  r->end_ns = end_ns ? end_ns : census__unix_ns();
  r->record_only = false;
  if (r->observed) {
    census__span_observe_end(r);
  }
  census__span_record_clear(r);
}

/* The end of a sampled span: out of line, so that an unsampled span's end is a lookup, a
 * generation bump and a push on the thread's free list. */
__attribute__((noinline)) static void span_end_recording(struct census_span_data *r,
                                                         int64_t end_ns) {
  r->end_ns = end_ns ? end_ns : census__unix_ns();
  if (__builtin_expect(r->observed != 0, 0)) {
    census__span_observe_end(r);
  }
  if (!census__span_queue_push(r)) {
    census__span_record_clear(r); /* not queued (no exporter, or dropped): reuse it here */
    local_put(r);
  }
}

static inline void span_end(census_span span, int64_t end_ns) {
  struct census_span_data *r = census__span_lookup(span);
  if (!r) {
    return;
  }
  /* The handle is dead from here: generation_bump() from the generation the lookup compared. */
  atomic_store_explicit(&r->generation, (uint32_t)span + 1, memory_order_relaxed);
  if (current == span) {
    current = r->previous_current;
  }
  /* Two byte tests, not one: the compiler merges `sampled || record_only` into one 4-byte load
   * over the flags, which the start has just written byte by byte, and on x86 a load that spans
   * several pending smaller stores cannot be forwarded from them; it waits for them to retire
   * (the optimization manuals' store-forwarding rule), on every span of a start-end loop. */
  if (r->sampled) {
    span_end_recording(r, end_ns);
    return;
  }
  if (__builtin_expect(r->record_only, 0)) {
    span_end_record_only(r, end_ns);
  }
  local_put(r);
}

CENSUS_EXPORT void census_span_end(census_span span) { span_end(span, 0); }

CENSUS_EXPORT void census_span_end_at(census_span span, int64_t end_time_ns) {
  span_end(span, end_time_ns);
}

CENSUS_EXPORT census_span census_span_current(void) {
  return census__span_lookup(current) ? current : 0;
}

const census_trace_context *census__span_current_context(void) {
  struct census_span_data *r = census__span_lookup(current);
  return r ? &span_ids_ready(r)->context : NULL;
}

CENSUS_EXPORT census_status census_span_context(census_span span, census_trace_context *out) {
  struct census_span_data *r = census__span_lookup(span);
  if (!out) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return CENSUS_ENOTFOUND;
  }
  *out = span_ids_ready(r)->context;
  return CENSUS_OK;
}

CENSUS_EXPORT bool census_span_is_recording(census_span span) {
  struct census_span_data *r = census__span_lookup(span);
  return r && (r->sampled || r->record_only);
}

/* ---- attributes, events, links, status --------------------------------------------------- */

/* The live sampled record for `span`, or NULL with *status: CENSUS_OK for an unsampled span
 * (nothing to record), CENSUS_ENOTFOUND for an ended or invalid one. */
static struct census_span_data *recording(census_span span, census_status *status) {
  struct census_span_data *r = census__span_lookup(span);
  *status = r ? CENSUS_OK : CENSUS_ENOTFOUND;
  return r && (r->sampled || r->record_only) ? r : NULL;
}

/* Grows a record-owned array to hold one more element; false on ENOMEM. */
static bool array_reserve(void **array, uint32_t *capacity, uint32_t count, size_t element) {
  if (count < *capacity) {
    return true;
  }
  uint32_t grown = *capacity ? *capacity * 2 : 8;
  void *p = census__realloc(*array, grown * element);
  if (!p) {
    return false;
  }
  *array = p;
  *capacity = grown;
  return true;
}

static census_status set_attribute(census_span span, const char *key, struct census__attr value) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!key) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  for (uint32_t i = 0; i < r->attr_count; i++) {
    if (strcmp(r->attrs[i].key, key) == 0) {
      value.key = r->attrs[i].key;
      r->attrs[i] = value;
      return CENSUS_OK;
    }
  }
  if (r->attr_count >= r->limits.max_attributes) {
    r->dropped_attrs++;
    return CENSUS_ELIMIT;
  }
  if (!array_reserve((void **)&r->attrs, &r->attr_capacity, r->attr_count, sizeof *r->attrs) ||
      !(value.key = arena_strdup(r, key))) {
    r->dropped_attrs++;
    return CENSUS_ENOMEM;
  }
  r->attrs[r->attr_count++] = value;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_set_attribute_string(census_span span, const char *key,
                                                             const char *value) {
  if (!value) {
    return CENSUS_EINVAL;
  }
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!r) {
    return key ? status : CENSUS_EINVAL;
  }
  struct census__attr a = {.type = CENSUS_ATTRIBUTE_STRING};
  a.value.s = arena_strdup(r, value);
  if (!a.value.s) {
    /* Counted like every attribute the span cannot keep, so exporters report it (it was lost
     * silently before: tests/reliability/alloc_failure.c, span scenario). */
    r->dropped_attrs++;
    return CENSUS_ENOMEM;
  }
  return set_attribute(span, key, a);
}

CENSUS_EXPORT census_status census_span_set_attribute_int64(census_span span, const char *key,
                                                            int64_t value) {
  struct census__attr a = {.type = CENSUS_ATTRIBUTE_INT64, .value.i = value};
  return set_attribute(span, key, a);
}

CENSUS_EXPORT census_status census_span_set_attribute_double(census_span span, const char *key,
                                                             double value) {
  struct census__attr a = {.type = CENSUS_ATTRIBUTE_DOUBLE, .value.d = value};
  return set_attribute(span, key, a);
}

CENSUS_EXPORT census_status census_span_set_attribute_bool(census_span span, const char *key,
                                                           bool value) {
  struct census__attr a = {.type = CENSUS_ATTRIBUTE_BOOL, .value.b = value};
  return set_attribute(span, key, a);
}

/* ---- array-valued attributes ---------------------------------------------------------------
 *
 * An array is copied into the span's arena in one allocation of its elements (for strings, an
 * array of pointers to each element's own copy, also in the arena), and the attribute holds the
 * pointer and a uint32_t count. The same copy serves the span's attributes and an event's. */

/* The size of one element of an array type, 0 for a scalar type. */
static size_t array_element_size(census_attribute_type type) {
  switch (type) {
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
    return sizeof(const char *);
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
    return sizeof(int64_t);
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
    return sizeof(double);
  case CENSUS_ATTRIBUTE_BOOL_ARRAY:
    return sizeof(bool);
  default:
    return 0;
  }
}

/* True if `count` elements at `values` make a valid array of `type`: values not NULL when count
 * > 0, and no NULL element in a string array. The count's own limit is checked by the caller. */
static bool array_valid(census_attribute_type type, const void *values, size_t count) {
  if (count && !values) {
    return false;
  }
  if (type == CENSUS_ATTRIBUTE_STRING_ARRAY) {
    const char *const *strings = values;
    for (size_t i = 0; i < count; i++) {
      if (!strings[i]) {
        return false;
      }
    }
  }
  return true;
}

/* Copies a valid array (array_valid(), count <= UINT32_MAX) into r's arena and makes *out
 * (type, count and value; not the key) the attribute holding it. False when memory runs out
 * (what was copied stays in the arena until the span ends, as with any arena string). */
static bool array_copy(struct census_span_data *r, census_attribute_type type, const void *values,
                       size_t count, struct census__attr *out) {
  size_t element = array_element_size(type);
  out->type = type;
  out->count = (uint32_t)count;
  out->value.array = NULL;
  if (!count) {
    return true;
  }
  if (count > SIZE_MAX / element) {
    return false;
  }
  void *copy = arena_alloc(r, count * element);
  if (!copy) {
    return false;
  }
  if (type == CENSUS_ATTRIBUTE_STRING_ARRAY) {
    const char *const *from = values;
    const char **to = copy;
    for (size_t i = 0; i < count; i++) {
      if (!(to[i] = arena_strdup(r, from[i]))) {
        return false;
      }
    }
  } else {
    memcpy(copy, values, count * element);
  }
  out->value.array = copy;
  return true;
}

/* The four array setters: checks (the same answers on sampled and unsampled spans), then the copy,
 * then set_attribute() as for a scalar. A failed copy is counted as a dropped attribute, as a
 * string value's is. */
static census_status set_attribute_array(census_span span, const char *key,
                                         census_attribute_type type, const void *values,
                                         size_t count) {
  if (!key || !array_valid(type, values, count)) {
    return CENSUS_EINVAL;
  }
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!r) {
    return status;
  }
  if (count > UINT32_MAX) {
    r->dropped_attrs++;
    return CENSUS_ELIMIT;
  }
  struct census__attr a = {0};
  if (!array_copy(r, type, values, count, &a)) {
    r->dropped_attrs++;
    return CENSUS_ENOMEM;
  }
  return set_attribute(span, key, a);
}

CENSUS_EXPORT census_status census_span_set_attribute_string_array(census_span span,
                                                                   const char *key,
                                                                   const char *const *values,
                                                                   size_t count) {
  return set_attribute_array(span, key, CENSUS_ATTRIBUTE_STRING_ARRAY, values, count);
}

CENSUS_EXPORT census_status census_span_set_attribute_int64_array(census_span span, const char *key,
                                                                  const int64_t *values,
                                                                  size_t count) {
  return set_attribute_array(span, key, CENSUS_ATTRIBUTE_INT64_ARRAY, values, count);
}

CENSUS_EXPORT census_status census_span_set_attribute_double_array(census_span span,
                                                                   const char *key,
                                                                   const double *values,
                                                                   size_t count) {
  return set_attribute_array(span, key, CENSUS_ATTRIBUTE_DOUBLE_ARRAY, values, count);
}

CENSUS_EXPORT census_status census_span_set_attribute_bool_array(census_span span, const char *key,
                                                                 const bool *values, size_t count) {
  return set_attribute_array(span, key, CENSUS_ATTRIBUTE_BOOL_ARRAY, values, count);
}

CENSUS_EXPORT census_status census_span_add_event_with_attribute(census_span span, const char *name,
                                                                 const char *key,
                                                                 const char *value) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!name || (key && !value)) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  if (r->event_count >= r->limits.max_events) {
    r->dropped_events++;
    return CENSUS_ELIMIT;
  }
  if (!array_reserve((void **)&r->events, &r->event_capacity, r->event_count, sizeof *r->events)) {
    r->dropped_events++;
    return CENSUS_ENOMEM;
  }
  struct census__event e = {arena_strdup(r, name), census__unix_ns(), NULL, 0};
  if (key && r->limits.max_attributes_per_event > 0) {
    e.attrs = arena_alloc(r, sizeof *e.attrs);
    if (e.attrs) {
      e.attrs->key = arena_strdup(r, key);
      e.attrs->type = CENSUS_ATTRIBUTE_STRING;
      e.attrs->value.s = arena_strdup(r, value);
      e.attr_count = e.attrs->key && e.attrs->value.s ? 1 : 0;
    }
  }
  if (!e.name) {
    r->dropped_events++;
    return CENSUS_ENOMEM;
  }
  r->events[r->event_count++] = e;
  return CENSUS_OK;
}

/* Checks an attribute array given to census_span_add_event_with_attributes(). */
static bool attributes_valid(const census_attribute *a, size_t count) {
  if (count && !a) {
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    if (!a[i].key || a[i].type < CENSUS_ATTRIBUTE_STRING ||
        a[i].type > CENSUS_ATTRIBUTE_BOOL_ARRAY ||
        (a[i].type == CENSUS_ATTRIBUTE_STRING && !a[i].string_value)) {
      return false;
    }
    if (array_element_size(a[i].type) &&
        (a[i].value_count > UINT32_MAX ||
         !array_valid(a[i].type, a[i].string_values, a[i].value_count))) {
      return false; /* any member of the pointer union names the same storage */
    }
  }
  return true;
}

/* Copies attributes into the event's array in the arena: a key given again replaces the value it
 * had (the last one wins); distinct keys beyond the per-event limit are left off, as
 * census_span_add_event_with_attribute() does. */
static census_status event_attributes(struct census_span_data *r, struct census__event *e,
                                      const census_attribute *a, size_t count) {
  uint32_t limit = r->limits.max_attributes_per_event;
  size_t room = count < limit ? count : limit;
  e->attrs = room ? arena_alloc(r, room * sizeof *e->attrs) : NULL;
  if (room && !e->attrs) {
    return CENSUS_ENOMEM;
  }
  for (size_t i = 0; i < count; i++) {
    struct census__attr v = {.type = a[i].type};
    uint32_t at = 0;
    while (at < e->attr_count && strcmp(e->attrs[at].key, a[i].key) != 0) {
      at++;
    }
    if (at == e->attr_count && at >= room) {
      continue; /* over the per-event limit (no per-event count exists to put it in) */
    }
    switch (a[i].type) {
    case CENSUS_ATTRIBUTE_STRING:
      v.value.s = arena_strdup(r, a[i].string_value);
      break;
    case CENSUS_ATTRIBUTE_INT64:
      v.value.i = a[i].int_value;
      break;
    case CENSUS_ATTRIBUTE_DOUBLE:
      v.value.d = a[i].double_value;
      break;
    case CENSUS_ATTRIBUTE_BOOL:
      v.value.b = a[i].bool_value;
      break;
    default: /* the array types (attributes_valid() refused any other) */
      if (!array_copy(r, a[i].type, a[i].string_values, a[i].value_count, &v)) {
        return CENSUS_ENOMEM;
      }
      break;
    }
    v.key = at < e->attr_count ? e->attrs[at].key : arena_strdup(r, a[i].key);
    if (!v.key || (a[i].type == CENSUS_ATTRIBUTE_STRING && !v.value.s)) {
      return CENSUS_ENOMEM;
    }
    e->attrs[at] = v;
    if (at == e->attr_count) {
      e->attr_count++;
    }
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_add_event_with_attributes(
    census_span span, const char *name, const census_attribute *attributes, size_t count) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!name || !attributes_valid(attributes, count)) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  if (r->event_count >= r->limits.max_events) {
    r->dropped_events++;
    return CENSUS_ELIMIT;
  }
  if (!array_reserve((void **)&r->events, &r->event_capacity, r->event_count, sizeof *r->events)) {
    r->dropped_events++;
    return CENSUS_ENOMEM;
  }
  struct census__event e = {arena_strdup(r, name), census__unix_ns(), NULL, 0};
  if (!e.name || event_attributes(r, &e, attributes, count) != CENSUS_OK) {
    r->dropped_events++;
    return CENSUS_ENOMEM;
  }
  r->events[r->event_count++] = e;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_set_kind(census_span span, census_span_kind kind) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (kind < CENSUS_SPAN_KIND_INTERNAL || kind > CENSUS_SPAN_KIND_CONSUMER) {
    return CENSUS_EINVAL;
  }
  if (r) {
    r->kind = kind;
  }
  return status;
}

CENSUS_EXPORT census_status census_span_add_event(census_span span, const char *name) {
  return census_span_add_event_with_attribute(span, name, NULL, NULL);
}

CENSUS_EXPORT census_status census_span_add_link(census_span span,
                                                 const census_trace_context *linked) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!linked) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  if (r->link_count >= r->limits.max_links) {
    r->dropped_links++;
    return CENSUS_ELIMIT;
  }
  if (!array_reserve((void **)&r->links, &r->link_capacity, r->link_count, sizeof *r->links)) {
    r->dropped_links++;
    return CENSUS_ENOMEM;
  }
  struct census__link *l = &r->links[r->link_count];
  memcpy(l->trace_id, linked->trace_id, sizeof l->trace_id);
  memcpy(l->span_id, linked->span_id, sizeof l->span_id);
  l->trace_flags = linked->trace_flags;
  l->tracestate = arena_strdup(r, linked->tracestate);
  if (!l->tracestate) {
    r->dropped_links++;
    return CENSUS_ENOMEM;
  }
  r->link_count++;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_set_status(census_span span, census_span_status_code code,
                                                   const char *message) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (code < CENSUS_SPAN_STATUS_UNSET || code > CENSUS_SPAN_STATUS_ERROR) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  if (r->status == CENSUS_SPAN_STATUS_OK || code == CENSUS_SPAN_STATUS_UNSET) {
    return CENSUS_OK; /* OK is final; setting UNSET is ignored (OpenTelemetry) */
  }
  r->status = code;
  r->status_message = "";
  if (code == CENSUS_SPAN_STATUS_ERROR && message) {
    const char *copy = arena_strdup(r, message);
    r->status_message = copy ? copy : "";
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_set_name(census_span span, const char *name) {
  census_status status;
  struct census_span_data *r = recording(span, &status);
  if (!name) {
    return CENSUS_EINVAL;
  }
  if (!r) {
    return status;
  }
  const char *copy = arena_strdup(r, name);
  if (!copy) {
    return CENSUS_ENOMEM;
  }
  r->name = copy;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_trace_set_limits(const census_span_limits *given) {
  if (!given) {
    return CENSUS_EINVAL;
  }
  census_span_limits read;
  census_status status = census__options_read(
      given, CENSUS__END_OF(census_span_limits, max_attributes_per_event), sizeof read, &read,
      "census_trace_set_limits", "census_span_limits", "CENSUS_SPAN_LIMITS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  const census_span_limits *limits = &read;
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  limits_ready();
  if (limits->max_attributes) {
    limit_set(LIMIT_ATTRIBUTES, limits->max_attributes);
  }
  if (limits->max_events) {
    limit_set(LIMIT_EVENTS, limits->max_events);
  }
  if (limits->max_links) {
    limit_set(LIMIT_LINKS, limits->max_links);
  }
  if (limits->max_attributes_per_event) {
    limit_set(LIMIT_EVENT_ATTRIBUTES, limits->max_attributes_per_event);
  }
  return CENSUS_OK;
}
