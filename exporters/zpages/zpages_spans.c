/* zpages_spans.c - the span store behind tracez, fed by a span observer on the recording
 * threads (census_span_observer_register()).
 *
 * Per span name an entry holds: the running count, the ended spans per latency bucket (spans
 * whose status is not an error, OpenCensus's rule) and the errors, all atomics; a few slots
 * showing running spans; and one ring of sample spans per latency bucket plus one of errors.
 * Entries sit in a fixed table of max_names, found by hashing the name in an open-addressing
 * index of twice that size, read without a lock (entries are published with a release store
 * and never move or go away until the store is freed); a new name takes the table's mutex once.
 * When the table is full, further names are counted in the "(other names)" entry, so a flood of
 * unique names costs no memory.
 *
 * What recording threads do, and what it costs them while zPages run:
 *   start: hash the name, bump `running`, and try to claim a running slot (a compare-and-swap
 *          on a slot's state; none free: the span is only counted). The cookie returned to
 *          census encodes the entry and the slot, so the end finds both even if the span was
 *          renamed meanwhile.
 *   end:   drop `running` and free the slot of the start's entry; count the span under its final
 *          name (bucket or errors); take a sample when the bucket's ring is not full yet or its
 *          last sample is sample_interval old (a compare-and-swap on the bucket's last-sample
 *          time elects one thread), copying the span into one block of at most sample_max_bytes
 *          and swapping it into the ring under the entry's mutex, taken with trylock: a thread
 *          never waits for a page being rendered, it skips the sample instead.
 * Running slots are seqlocks: state = generation << 2 | phase (0 free, 1 being written,
 * 2 published); a reader copies the fields (atomics) and keeps the copy only if the state did not
 * change meanwhile, so a slot reused during the copy is skipped rather than shown torn.
 *
 * Memory: bytes_held counts every block the store holds (entries, names, samples); the bound is
 * what the limits allow (zp_store_stats_get(): bytes_bound) and is never exceeded, whatever the
 * span rate: names beyond max_names cost nothing, samples replace the oldest of their ring, and
 * each sample is cut to sample_max_bytes.
 *
 * Samples are reference-counted so that a page can render the ones it took while recording
 * threads replace them in the ring.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utf8.h"
#include "span_fields.h"
#include "zpages_internal.h"
#include "alloc.h"

#define OTHER_NAMES "(other names)"
#define STRING_MAX 256 /* a copied string is cut to this many bytes (UTF-8 whole) */
#define SLOT_FREE 0u
#define SLOT_WRITING 1u
#define SLOT_PUBLISHED 2u

/* A sample in a ring, with its reference count (the ring's reference and pages'). */
typedef struct zp_held {
  _Atomic int refs;
  zp_sample sample; /* the block continues after it */
} zp_held;

typedef struct zp_slot {
  _Atomic uint64_t state; /* generation << 2 | phase */
  _Atomic uint64_t trace_hi, trace_lo, span_id, parent_id, start_ns, flags;
} zp_slot;

typedef struct zp_ring {
  zp_held **samples; /* samples_per_bucket entries; NULL: empty */
  unsigned next;     /* the slot the next sample takes; under the entry's mutex */
  _Atomic unsigned count;
  _Atomic int64_t last_ns; /* when the last sample was taken (monotonic) */
} zp_ring;

typedef struct zp_entry {
  char *name;
  uint64_t hash;
  size_t index; /* in the store's table */
  bool other;
  _Atomic int64_t running;
  _Atomic uint64_t latency[ZP_LATENCY_BUCKETS];
  _Atomic uint64_t errors, unsampled;
  zp_slot *slots;
  pthread_mutex_t mu; /* the rings */
  zp_ring rings[ZP_LATENCY_BUCKETS + 1];
} zp_entry;

struct zp_store {
  zp_limits limits;
  pthread_mutex_t table_mu; /* adding names */
  zp_entry **entries;       /* max_names + 1 (the last: "(other names)") */
  _Atomic(zp_entry *) *index;
  size_t index_size;
  _Atomic size_t count; /* named entries made */
  _Atomic uint64_t spans_started, spans_ended, other_names, samples_taken, samples_cut,
      samples_held, bytes_held;
};

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) {
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  }
  return h ? h : 1;
}

unsigned zp_latency_bucket(int64_t ns) {
  int64_t limit = 10000; /* 10 us */
  unsigned bucket = 0;
  while (bucket < ZP_LATENCY_BUCKETS - 1 && ns >= limit) {
    bucket++;
    limit *= 10;
  }
  return bucket;
}

const char *zp_latency_label(unsigned bucket) {
  static const char *const labels[ZP_LATENCY_BUCKETS + 1] = {
      "0-10us",   "10-100us", "100us-1ms", "1-10ms", "10-100ms",
      "100ms-1s", "1-10s",    "10-100s",   ">100s",  "errors"};
  return bucket <= ZP_LATENCY_BUCKETS ? labels[bucket] : "";
}

/* ---- entries ------------------------------------------------------------------------------- */

static size_t entry_bytes(const zp_limits *l, size_t name_length) {
  return sizeof(zp_entry) + name_length + 1 + l->running_samples * sizeof(zp_slot) +
         (ZP_LATENCY_BUCKETS + 1) * l->samples_per_bucket * sizeof(zp_held *);
}

static zp_entry *entry_new(zp_store *s, const char *name, uint64_t hash, bool other) {
  zp_entry *e = census__calloc(1, sizeof *e);
  if (!e) {
    return NULL;
  }
  e->name = census__strdup(name);
  e->slots =
      census__calloc(s->limits.running_samples ? s->limits.running_samples : 1, sizeof *e->slots);
  bool ok = e->name && e->slots;
  for (unsigned b = 0; ok && b <= ZP_LATENCY_BUCKETS; b++) {
    e->rings[b].samples = census__calloc(s->limits.samples_per_bucket, sizeof(zp_held *));
    ok = e->rings[b].samples != NULL;
    atomic_init(&e->rings[b].last_ns, INT64_MIN / 2);
  }
  if (!ok) {
    for (unsigned b = 0; b <= ZP_LATENCY_BUCKETS; b++) {
      census__free(e->rings[b].samples);
    }
    census__free(e->slots);
    census__free(e->name);
    census__free(e);
    return NULL;
  }
  e->hash = hash;
  e->other = other;
  pthread_mutex_init(&e->mu, NULL);
  atomic_fetch_add(&s->bytes_held, entry_bytes(&s->limits, strlen(name)));
  return e;
}

static void sample_release(zp_store *s, zp_held *h) {
  if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
    atomic_fetch_sub(&s->bytes_held, h->sample.bytes);
    census__free(h);
  }
}

static void entry_free(zp_store *s, zp_entry *e) {
  for (unsigned b = 0; b <= ZP_LATENCY_BUCKETS; b++) {
    for (unsigned i = 0; i < s->limits.samples_per_bucket; i++) {
      if (e->rings[b].samples[i]) {
        atomic_fetch_sub(&s->samples_held, 1);
        sample_release(s, e->rings[b].samples[i]);
      }
    }
    census__free(e->rings[b].samples);
  }
  atomic_fetch_sub(&s->bytes_held, entry_bytes(&s->limits, strlen(e->name)));
  pthread_mutex_destroy(&e->mu);
  census__free(e->slots);
  census__free(e->name);
  census__free(e);
}

zp_store *zp_store_new(const zp_limits *limits) {
  zp_store *s = census__calloc(1, sizeof *s);
  if (!s) {
    return NULL;
  }
  s->limits = *limits;
  s->index_size = 16;
  while (s->index_size < 2 * (size_t)limits->max_names) {
    s->index_size *= 2;
  }
  s->entries = census__calloc(limits->max_names + 1, sizeof *s->entries);
  s->index = census__calloc(s->index_size, sizeof *s->index);
  pthread_mutex_init(&s->table_mu, NULL);
  if (s->entries && s->index) {
    s->entries[limits->max_names] = entry_new(s, OTHER_NAMES, 0, true);
  }
  if (!s->entries || !s->index || !s->entries[limits->max_names]) {
    zp_store_free(s);
    return NULL;
  }
  s->entries[limits->max_names]->index = limits->max_names;
  return s;
}

void zp_store_free(zp_store *s) {
  if (!s) {
    return;
  }
  for (size_t i = 0; s->entries && i <= s->limits.max_names; i++) {
    if (s->entries[i]) {
      entry_free(s, s->entries[i]);
    }
  }
  census__free(s->entries);
  census__free(s->index);
  pthread_mutex_destroy(&s->table_mu);
  census__free(s);
}

/* The entry of `name` (made on first sight), or "(other names)" when the table is full. Names
 * are told apart by their first STRING_MAX bytes (whole UTF-8 characters), which is what an
 * entry keeps. */
static zp_entry *entry_for(zp_store *s, const char *full_name) {
  char cut[STRING_MAX + 1];
  const char *name = full_name ? full_name : "";
  size_t length = strlen(name);
  if (length > STRING_MAX) {
    length = census__utf8_prefix(name, length, STRING_MAX);
    memcpy(cut, name, length);
    cut[length] = '\0';
    name = cut;
  }
  uint64_t hash = hash_name(name);
  size_t mask = s->index_size - 1;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      zp_entry *e = atomic_load_explicit(&s->index[i], memory_order_acquire);
      if (!e) {
        break;
      }
      if (e->hash == hash && strcmp(e->name, name) == 0) {
        return e;
      }
    }
    if (pass == 1) {
      break;
    }
    /* Not found: add it under the table's mutex (then look again: another thread may have). */
    pthread_mutex_lock(&s->table_mu);
    size_t i = hash & mask;
    zp_entry *e;
    while ((e = atomic_load_explicit(&s->index[i], memory_order_relaxed)) != NULL) {
      if (e->hash == hash && strcmp(e->name, name) == 0) {
        pthread_mutex_unlock(&s->table_mu);
        return e;
      }
      i = (i + 1) & mask;
    }
    size_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
    if (count < s->limits.max_names && (e = entry_new(s, name, hash, false)) != NULL) {
      e->index = count;
      s->entries[count] = e;
      atomic_store_explicit(&s->count, count + 1, memory_order_release);
      atomic_store_explicit(&s->index[i], e, memory_order_release);
      pthread_mutex_unlock(&s->table_mu);
      return e;
    }
    pthread_mutex_unlock(&s->table_mu);
    break;
  }
  return s->entries[s->limits.max_names];
}

/* ---- running spans ------------------------------------------------------------------------- */

static uint64_t be64(const uint8_t *b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    v = v << 8 | b[i];
  }
  return v;
}

static void put_be64(uint8_t *b, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    b[i] = (uint8_t)v;
    v >>= 8;
  }
}

/* Claims a free slot of `e` and publishes the span in it; returns its index + 1, or 0. */
static unsigned slot_claim(zp_store *s, zp_entry *e, const census_span_data *span) {
  for (unsigned i = 0; i < s->limits.running_samples; i++) {
    zp_slot *slot = &e->slots[i];
    uint64_t state = atomic_load_explicit(&slot->state, memory_order_relaxed);
    if ((state & 3) != SLOT_FREE ||
        !atomic_compare_exchange_strong(&slot->state, &state, (state & ~3ULL) | SLOT_WRITING)) {
      continue;
    }
    census_trace_context c;
    census_span_data_context(span, &c);
    uint8_t parent[CENSUS_SPAN_ID_SIZE] = {0};
    bool has_parent = census_span_data_parent(span, parent, NULL);
    atomic_store_explicit(&slot->trace_hi, be64(c.trace_id), memory_order_relaxed);
    atomic_store_explicit(&slot->trace_lo, be64(c.trace_id + 8), memory_order_relaxed);
    atomic_store_explicit(&slot->span_id, be64(c.span_id), memory_order_relaxed);
    atomic_store_explicit(&slot->parent_id, be64(parent), memory_order_relaxed);
    atomic_store_explicit(&slot->start_ns, (uint64_t)census_span_data_start_time_ns(span),
                          memory_order_relaxed);
    uint64_t flags = (uint64_t)census_span_data_kind(span) << 2 | (has_parent ? 1 : 0) |
                     (census_span_data_is_sampled(span) ? 2 : 0);
    atomic_store_explicit(&slot->flags, flags, memory_order_relaxed);
    atomic_store_explicit(&slot->state, (state & ~3ULL) | SLOT_PUBLISHED, memory_order_release);
    return i + 1;
  }
  return 0;
}

static void slot_release(zp_entry *e, unsigned slot_plus_one) {
  zp_slot *slot = &e->slots[slot_plus_one - 1];
  uint64_t state = atomic_load_explicit(&slot->state, memory_order_relaxed);
  atomic_store_explicit(&slot->state, ((state >> 2) + 1) << 2 | SLOT_FREE, memory_order_release);
}

/* Cookie: entry index + 1 in the upper half, slot + 1 (0: none) in the lower. */
uint64_t zp_store_on_start(void *user, const census_span_data *span) {
  zp_store *s = user;
  atomic_fetch_add_explicit(&s->spans_started, 1, memory_order_relaxed);
  zp_entry *e = entry_for(s, census_span_data_name(span));
  atomic_fetch_add_explicit(&e->running, 1, memory_order_relaxed);
  unsigned slot = slot_claim(s, e, span);
  return (uint64_t)(e->index + 1) << 32 | slot;
}

zp_running *zp_store_running(zp_store *s, const char *name, size_t *count) {
  *count = 0;
  zp_entry *e = NULL;
  size_t named = atomic_load_explicit(&s->count, memory_order_acquire);
  for (size_t i = 0; i <= s->limits.max_names && !e; i++) {
    zp_entry *c = i < named || i == s->limits.max_names ? s->entries[i] : NULL;
    if (c && strcmp(c->name, name) == 0) {
      e = c;
    }
  }
  zp_running *out = e ? census__calloc(s->limits.running_samples + 1, sizeof *out) : NULL;
  for (unsigned i = 0; out && i < s->limits.running_samples; i++) {
    zp_slot *slot = &e->slots[i];
    uint64_t before = atomic_load_explicit(&slot->state, memory_order_acquire);
    if ((before & 3) != SLOT_PUBLISHED) {
      continue;
    }
    zp_running r = {0};
    put_be64(r.trace_id, atomic_load_explicit(&slot->trace_hi, memory_order_relaxed));
    put_be64(r.trace_id + 8, atomic_load_explicit(&slot->trace_lo, memory_order_relaxed));
    put_be64(r.span_id, atomic_load_explicit(&slot->span_id, memory_order_relaxed));
    put_be64(r.parent_span_id, atomic_load_explicit(&slot->parent_id, memory_order_relaxed));
    r.start_ns = (int64_t)atomic_load_explicit(&slot->start_ns, memory_order_relaxed);
    uint64_t flags = atomic_load_explicit(&slot->flags, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&slot->state, memory_order_relaxed) != before) {
      continue; /* reused while we copied */
    }
    r.has_parent = flags & 1;
    r.sampled = flags & 2;
    r.kind = (census_span_kind)(flags >> 2);
    out[(*count)++] = r;
  }
  /* Oldest first. */
  for (size_t i = 1; i < *count; i++) {
    for (size_t j = i; j > 0 && out[j - 1].start_ns > out[j].start_ns; j--) {
      zp_running t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  }
  return out;
}

/* ---- samples ------------------------------------------------------------------------------- */

/* A bump allocator over the sample's one block. */
typedef struct block {
  char *base;
  size_t used, capacity;
  bool full;
} block;

static void *block_alloc(block *b, size_t size) {
  size_t at = (b->used + 7) & ~(size_t)7;
  if (at + size > b->capacity) {
    b->full = true;
    return NULL;
  }
  b->used = at + size;
  return b->base + at;
}

/* A copy of `s` cut to STRING_MAX bytes (whole UTF-8 characters), or NULL if it does not fit. */
static const char *block_string(block *b, const char *s) {
  s = s ? s : "";
  size_t length = strlen(s);
  if (length > STRING_MAX) {
    length = census__utf8_prefix(s, length, STRING_MAX);
  }
  char *copy = block_alloc(b, length + 1);
  if (copy) {
    memcpy(copy, s, length);
    copy[length] = '\0';
  }
  return copy;
}

/* An attribute into the block; an array as its JSON text (zp_attr), cut to STRING_MAX bytes. */
static bool copy_attr(block *b, const census_attribute *a, zp_attr *out) {
  if (census__attribute_is_array(a)) {
    *out = (zp_attr){.type = a->type};
    census_buf text = CENSUS_BUF_INIT;
    census__attribute_array_json(&text, a);
    if (text.failed || !text.data) {
      census__buf_free(&text);
      return false;
    }
    out->key = block_string(b, a->key);
    out->string_value = block_string(b, text.data);
    out->whole = text.len <= STRING_MAX;
    census__buf_free(&text);
    return out->key && out->string_value;
  }
  *out = (zp_attr){.type = a->type,
                   .int_value = a->int_value,
                   .double_value = a->double_value,
                   .bool_value = a->bool_value};
  out->key = block_string(b, a->key);
  if (a->type == CENSUS_ATTRIBUTE_STRING) {
    out->string_value = block_string(b, a->string_value);
    return out->key && out->string_value;
  }
  return out->key != NULL;
}

/* The span's events into the block, as many as fit; returns how many were left out. */
static uint32_t copy_events(block *b, const census_span_data *span, zp_sample *x) {
  size_t n = census_span_data_event_count(span);
  x->events = n ? block_alloc(b, n * sizeof *x->events) : NULL;
  if (!x->events) {
    return (uint32_t)n;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name;
    int64_t time_ns;
    size_t attrs;
    census_span_data_event(span, i, &name, &time_ns, &attrs);
    zp_event *ev = &x->events[x->event_count];
    *ev = (zp_event){.name = block_string(b, name), .time_ns = time_ns};
    ev->attrs = attrs ? block_alloc(b, attrs * sizeof *ev->attrs) : NULL;
    if (!ev->name || (attrs && !ev->attrs)) {
      return (uint32_t)(n - i);
    }
    for (size_t k = 0; k < attrs; k++) {
      census_attribute a;
      census_span_data_event_attribute(span, i, k, &a);
      if (!copy_attr(b, &a, &ev->attrs[ev->attr_count])) {
        break;
      }
      ev->attr_count++;
    }
    x->event_count++;
  }
  return 0;
}

/* Moves a pointer of the old block into the new one. */
#define RELOCATE(p, delta)                                                                         \
  do {                                                                                             \
    if (p) {                                                                                       \
      (p) = (void *)((char *)(p) + (delta));                                                       \
    }                                                                                              \
  } while (0)

static void relocate_attrs(zp_attr *attrs, uint32_t n, ptrdiff_t delta) {
  for (uint32_t i = 0; i < n; i++) {
    RELOCATE(attrs[i].key, delta);
    RELOCATE(attrs[i].string_value, delta);
  }
}

/* The sample `h`, built in a block of sample_max_bytes of which `used` are used, copied into a
 * block of exactly `used` bytes (its inner pointers moved along), so that a small span holds
 * little. Frees `h`; returns the new block, or `h` itself if memory ran out. */
static zp_held *shrink(zp_held *h, size_t used) {
  zp_held *n = census__malloc(used);
  if (!n) {
    return h; /* keeps bytes = its whole block */
  }
  memcpy(n, h, used);
  ptrdiff_t delta = (char *)n - (char *)h; /* computed on addresses, before the free */
  census__free(h);
  zp_sample *x = &n->sample;
  x->bytes = used;
  RELOCATE(x->name, delta);
  RELOCATE(x->status_message, delta);
  RELOCATE(x->attrs, delta);
  relocate_attrs(x->attrs, x->attr_count, delta);
  RELOCATE(x->links, delta);
  RELOCATE(x->events, delta);
  for (uint32_t i = 0; i < x->event_count; i++) {
    RELOCATE(x->events[i].name, delta);
    RELOCATE(x->events[i].attrs, delta);
    relocate_attrs(x->events[i].attrs, x->events[i].attr_count, delta);
  }
  return n;
}

/* Copies the span into one block of at most sample_max_bytes: the head always, then attributes,
 * links and events as long as they fit (what does not fit is counted in `cut`). */
static zp_held *sample_make(zp_store *s, const census_span_data *span) {
  size_t capacity = s->limits.sample_max_bytes;
  zp_held *h = census__malloc(capacity);
  if (!h) {
    return NULL;
  }
  atomic_init(&h->refs, 1);
  zp_sample *x = &h->sample;
  *x = (zp_sample){.bytes = capacity};
  block b = {(char *)h, sizeof *h, capacity, false};
  x->name = block_string(&b, census_span_data_name(span));
  x->status = census_span_data_status(span, &x->status_message);
  x->status_message = block_string(&b, x->status_message);
  if (!x->name || !x->status_message) {
    census__free(h);
    return NULL;
  }
  census_span_data_context(span, &x->context);
  x->context.tracestate[0] = '\0';
  x->has_parent = census_span_data_parent(span, x->parent_span_id, &x->parent_remote);
  x->sampled = census_span_data_is_sampled(span);
  x->kind = census_span_data_kind(span);
  x->start_ns = census_span_data_start_time_ns(span);
  x->end_ns = census_span_data_end_time_ns(span);
  x->dropped_attrs = census_span_data_dropped_attributes(span);
  x->dropped_events = census_span_data_dropped_events(span);
  x->dropped_links = census_span_data_dropped_links(span);
  size_t attrs = census_span_data_attribute_count(span);
  x->attrs = attrs ? block_alloc(&b, attrs * sizeof *x->attrs) : NULL;
  for (size_t i = 0; x->attrs && i < attrs; i++) {
    census_attribute a;
    census_span_data_attribute(span, i, &a);
    if (!copy_attr(&b, &a, &x->attrs[x->attr_count])) {
      break;
    }
    x->attr_count++;
  }
  x->cut += (uint32_t)(attrs - x->attr_count);
  size_t links = census_span_data_link_count(span);
  x->links = links ? block_alloc(&b, links * sizeof *x->links) : NULL;
  for (size_t i = 0; x->links && i < links; i++) {
    census_span_data_link(span, i, &x->links[i].context);
    x->links[i].context.tracestate[0] = '\0';
    x->link_count++;
  }
  x->cut += (uint32_t)(links - x->link_count);
  x->cut += copy_events(&b, span, x);
  return shrink(h, b.used);
}

/* Takes a sample of `span` into ring `bucket` of `e` if one is due (see the file comment). */
static void sample_maybe(zp_store *s, zp_entry *e, unsigned bucket, const census_span_data *span) {
  if (s->limits.samples_per_bucket == 0) {
    return;
  }
  zp_ring *ring = &e->rings[bucket];
  int64_t now = monotonic_ns();
  int64_t last = atomic_load_explicit(&ring->last_ns, memory_order_relaxed);
  bool full =
      atomic_load_explicit(&ring->count, memory_order_relaxed) >= s->limits.samples_per_bucket;
  if ((full && now - last < s->limits.sample_interval_ns) ||
      !atomic_compare_exchange_strong(&ring->last_ns, &last, now)) {
    return;
  }
  zp_held *h = sample_make(s, span);
  if (!h) {
    return;
  }
  if (pthread_mutex_trylock(&e->mu) != 0) {
    census__free(h); /* a page is reading this name: skip, never wait */
    return;
  }
  atomic_fetch_add(&s->bytes_held, h->sample.bytes);
  bool cut = h->sample.cut != 0; /* read now: once the ring holds it, another thread may free it */
  zp_held *old = ring->samples[ring->next];
  ring->samples[ring->next] = h;
  ring->next = (ring->next + 1) % s->limits.samples_per_bucket;
  if (!old) {
    atomic_fetch_add_explicit(&ring->count, 1, memory_order_relaxed);
    atomic_fetch_add(&s->samples_held, 1);
  }
  pthread_mutex_unlock(&e->mu);
  sample_release(s, old);
  atomic_fetch_add(&s->samples_taken, 1);
  if (cut) {
    atomic_fetch_add(&s->samples_cut, 1);
  }
}

void zp_store_on_end(void *user, const census_span_data *span, uint64_t cookie) {
  zp_store *s = user;
  atomic_fetch_add_explicit(&s->spans_ended, 1, memory_order_relaxed);
  size_t started = (size_t)(cookie >> 32);
  if (started >= 1 && started <= s->limits.max_names + 1) {
    zp_entry *first = s->entries[started - 1];
    atomic_fetch_sub_explicit(&first->running, 1, memory_order_relaxed);
    if ((uint32_t)cookie) {
      slot_release(first, (uint32_t)cookie);
    }
  }
  zp_entry *e = entry_for(s, census_span_data_name(span));
  if (e == s->entries[s->limits.max_names]) {
    /* Counted once per span, at its end (entry_for() also runs at its start). */
    atomic_fetch_add_explicit(&s->other_names, 1, memory_order_relaxed);
  }
  bool error = census_span_data_status(span, NULL) == CENSUS_SPAN_STATUS_ERROR;
  unsigned bucket = error ? ZP_LATENCY_BUCKETS
                          : zp_latency_bucket(census_span_data_end_time_ns(span) -
                                              census_span_data_start_time_ns(span));
  atomic_fetch_add_explicit(error ? &e->errors : &e->latency[bucket], 1, memory_order_relaxed);
  if (!census_span_data_is_sampled(span)) {
    atomic_fetch_add_explicit(&e->unsampled, 1, memory_order_relaxed);
  }
  sample_maybe(s, e, bucket, span);
}

/* ---- reading --------------------------------------------------------------------------------- */

zp_summary *zp_store_summaries(zp_store *s, size_t *count) {
  size_t named = atomic_load_explicit(&s->count, memory_order_acquire);
  zp_summary *out = census__calloc(named + 1, sizeof *out);
  *count = 0;
  for (size_t i = 0; out && i <= s->limits.max_names; i++) {
    zp_entry *e = i < named || i == s->limits.max_names ? s->entries[i] : NULL;
    if (!e) {
      continue;
    }
    zp_summary r = {.name = e->name,
                    .running = atomic_load(&e->running),
                    .errors = atomic_load(&e->errors),
                    .unsampled = atomic_load(&e->unsampled),
                    .other = e->other};
    uint64_t total = r.errors;
    for (unsigned b = 0; b < ZP_LATENCY_BUCKETS; b++) {
      r.latency[b] = atomic_load(&e->latency[b]);
      total += r.latency[b];
    }
    if (e->other && total == 0 && r.running == 0) {
      continue; /* the "(other names)" row only once it counted something */
    }
    out[(*count)++] = r;
  }
  return out;
}

zp_sample **zp_store_samples(zp_store *s, const char *name, unsigned bucket, size_t *count) {
  *count = 0;
  if (bucket > ZP_LATENCY_BUCKETS) {
    return NULL;
  }
  size_t named = atomic_load_explicit(&s->count, memory_order_acquire);
  zp_entry *e = NULL;
  for (size_t i = 0; i <= s->limits.max_names && !e; i++) {
    zp_entry *c = i < named || i == s->limits.max_names ? s->entries[i] : NULL;
    if (c && strcmp(c->name, name) == 0) {
      e = c;
    }
  }
  if (!e) {
    return NULL;
  }
  zp_sample **out = census__calloc(s->limits.samples_per_bucket + 1, sizeof *out);
  if (!out) {
    return NULL;
  }
  pthread_mutex_lock(&e->mu);
  zp_ring *ring = &e->rings[bucket];
  for (unsigned k = 0; k < s->limits.samples_per_bucket; k++) {
    /* Newest first: the slot before `next`, going back. */
    unsigned at =
        (ring->next + s->limits.samples_per_bucket - 1 - k) % s->limits.samples_per_bucket;
    zp_held *h = ring->samples[at];
    if (h) {
      atomic_fetch_add(&h->refs, 1);
      out[(*count)++] = &h->sample;
    }
  }
  pthread_mutex_unlock(&e->mu);
  return out;
}

void zp_samples_release(zp_store *s, zp_sample **samples, size_t count) {
  for (size_t i = 0; i < count; i++) {
    sample_release(s, (zp_held *)((char *)samples[i] - offsetof(zp_held, sample)));
  }
  census__free(samples);
}

void zp_store_stats_get(zp_store *s, zp_store_stats *st) {
  const zp_limits *l = &s->limits;
  size_t entries = (size_t)l->max_names + 1;
  *st = (zp_store_stats){
      .spans_started = atomic_load(&s->spans_started),
      .spans_ended = atomic_load(&s->spans_ended),
      .names = atomic_load(&s->count),
      .other_names = atomic_load(&s->other_names),
      .samples_taken = atomic_load(&s->samples_taken),
      .samples_cut = atomic_load(&s->samples_cut),
      .samples_held = atomic_load(&s->samples_held),
      .bytes_held = atomic_load(&s->bytes_held),
      /* Every entry with the longest name it keeps, every ring full of samples at the budget,
       * and one ring's worth that the page being rendered may still hold after recording
       * threads replaced them (pages render one at a time, on the server's thread). */
      .bytes_bound =
          entries * (entry_bytes(l, STRING_MAX) + (size_t)(ZP_LATENCY_BUCKETS + 1) *
                                                      l->samples_per_bucket * l->sample_max_bytes) +
          (size_t)l->samples_per_bucket * l->sample_max_bytes};
}
