/* exemplar.c - exemplars: the filter, the reservoirs' record and merge, and reading them back
 * from snapshot words. The layout, the zero-cost rule and the threading are in exemplar.h.
 *
 * The record side runs on the recording thread, inside its record window, out of line: it
 * updates the aggregation's words exactly as the view's own case of the switch would (cell.h),
 * then asks the filter (one relaxed load; for trace_based the thread's current span, through the
 * public trace API), picks the slot (the value's bucket, or reservoir sampling with a
 * thread-local xorshift generator) and writes the exemplar with relaxed stores. Nothing here
 * locks or allocates.
 */
#include "stats/exemplar.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/trace.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/diagnostics.h"
#include "stats/cell.h"
#include "stats/stats_internal.h"
#include "tags/tags_internal.h"
#include "trace/span_internal.h"

enum { EX_OFFERED = 0, EX_COLLECTION = 1 };
enum {
  SLOT_TIME = 0,
  SLOT_VALUE = 1,
  SLOT_TRACE = 2,
  SLOT_SPAN = 4,
  SLOT_FLAGS = 5,
  SLOT_ATTRS = 6
};
#define FLAG_SPAN 1u
#define FLAG_TRUNCATED 2u

/* -1: not decided yet (the environment is read at first use); else a census_exemplar_filter. */
static _Atomic int filter = -1;
static _Atomic uint64_t collection; /* census__exemplar_collection_begin() count */
/* initial-exec (thread_local.h): a recording with exemplars reads both on each record, and the
 * shared library paid a __tls_get_addr call for each (25 instructions, 11% over static) */
static CENSUS__HOT_THREAD_LOCAL uint64_t rng;

/* Reads OTEL_METRICS_EXEMPLAR_FILTER: always_on, always_off or trace_based (the spec's values;
 * case-insensitive). Anything else is reported and ALWAYS_OFF kept. */
static int filter_from_env(void) {
  const char *v = getenv("OTEL_METRICS_EXEMPLAR_FILTER");
  if (!v || !*v) {
    return CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF;
  }
  if (strcasecmp(v, "always_off") == 0) {
    return CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF;
  }
  if (strcasecmp(v, "always_on") == 0) {
    return CENSUS_EXEMPLAR_FILTER_ALWAYS_ON;
  }
  if (strcasecmp(v, "trace_based") == 0) {
    return CENSUS_EXEMPLAR_FILTER_TRACE_BASED;
  }
  census__diag(CENSUS_EINVAL,
               "OTEL_METRICS_EXEMPLAR_FILTER=\"%.40s\" is malformed: expected always_on, "
               "always_off or trace_based; using \"always_off\"",
               v);
  return CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF;
}

static int filter_now(void) {
  int f = atomic_load_explicit(&filter, memory_order_relaxed);
  if (f < 0) {
    int expected = -1;
    int from_env = filter_from_env();
    atomic_compare_exchange_strong(&filter, &expected, from_env);
    f = atomic_load_explicit(&filter, memory_order_relaxed);
  }
  return f;
}

CENSUS_EXPORT census_status census_exemplar_filter_set(census_exemplar_filter f) {
  if ((int)f < CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF || (int)f > CENSUS_EXEMPLAR_FILTER_TRACE_BASED) {
    return CENSUS_EINVAL;
  }
  atomic_store_explicit(&filter, (int)f, memory_order_relaxed);
  return CENSUS_OK;
}

CENSUS_EXPORT census_exemplar_filter census_exemplar_filter_get(void) {
  return (census_exemplar_filter)filter_now();
}

bool census__exemplar_view_init(struct census__rview *view) {
  census_aggregation_type type = view->def.aggregation.type;
  if (filter_now() == CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF ||
      type == CENSUS__AGGREGATION_OBSERVED_SUM) {
    return true; /* observations come from callbacks, in no span: nothing to sample */
  }
  size_t slots = 1;
  if (type == CENSUS_AGGREGATION_DISTRIBUTION) {
    slots = view->def.aggregation.bound_count + 1;
  } else if (type == CENSUS_AGGREGATION_EXPONENTIAL) {
    size_t max = view->def.aggregation.max_size;
    slots = max < EXEMPLAR_FIXED_SIZE_MAX ? max : EXEMPLAR_FIXED_SIZE_MAX;
  }
  /* The copy the exemplar case updates the aggregation's words through: the same definition
   * (borrowed, not owned), recording as its aggregation. */
  struct census__rview *plain = census__malloc(sizeof *plain);
  if (!plain) {
    return false;
  }
  memcpy(plain, view, sizeof *plain);
  plain->plain = plain;
  view->plain = plain;
  view->exemplar_at = view->layout_words;
  view->exemplar_slots = slots;
  view->words = view->layout_words + EXEMPLAR_HEAD_WORDS + slots * EXEMPLAR_SLOT_WORDS;
  view->record_type = CENSUS__AGGREGATION_EXEMPLARS;
  return true;
}

void census__exemplar_view_free(struct census__rview *view) {
  if (view->plain != view) {
    census__free((void *)view->plain);
    view->plain = view;
  }
}

/* xorshift64*: a uniform value in [0, n), n >= 1, from the thread's own generator. */
static uint64_t random_below(uint64_t n) {
  uint64_t x = rng;
  if (x == 0) {
    x = (uint64_t)census__unix_ns() ^ (uint64_t)(uintptr_t)&rng ^ 0x9e3779b97f4a7c15ULL;
    x |= 1;
  }
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng = x;
  return (uint64_t)(((unsigned __int128)(x * 0x2545f4914f6cdd1dULL) * n) >> 64);
}

static bool is_column(const struct census__rview *view, const census_tag_key *key) {
  for (size_t c = 0; c < view->def.column_count; c++) {
    if (view->def.columns[c] == key) {
      return true;
    }
  }
  return false;
}

/* Packs the tags of `tags` that are not columns of the view into the slot's attribute words:
 * key pointer, then the value with its NUL, padded to 8 bytes. Sets the count and truncated
 * flag in *flags. */
static void pack_attributes(const struct census__rview *view, const census_tag_map *tags,
                            _Atomic uint64_t *attrs, uint64_t *flags) {
  unsigned char bytes[EXEMPLAR_ATTR_WORDS * 8];
  size_t used = 0, count = 0;
  for (size_t i = 0; tags && i < tags->count; i++) {
    const struct census__tag_entry *e = &tags->entries[i];
    if (is_column(view, e->key)) {
      continue;
    }
    size_t need = 8 + ((e->length + 1 + 7) & ~(size_t)7);
    if (used + need > sizeof bytes || count == 255) {
      *flags |= FLAG_TRUNCATED;
      continue;
    }
    uint64_t key = (uint64_t)(uintptr_t)e->key;
    memcpy(bytes + used, &key, 8);
    memset(bytes + used + 8, 0, need - 8);
    memcpy(bytes + used + 8, e->value, e->length);
    used += need;
    count++;
  }
  *flags |= (uint64_t)count << 8;
  for (size_t i = 0; i < (used + 7) / 8; i++) {
    uint64_t word;
    memcpy(&word, bytes + 8 * i, 8);
    word_store(&attrs[i], word);
  }
}

CENSUS__HOT_THREAD_LOCAL const census_tag_map *census__exemplar_tags;

void census__exemplar_record(const struct census__rview *view, _Atomic uint64_t *w,
                             const struct census__measurement *m) {
  size_t slot = 0;
  if (view->def.aggregation.type == CENSUS_AGGREGATION_DISTRIBUTION) {
    slot = census__cell_distribution_update(view, w, m) - WORD_BUCKETS;
  } else {
    census__cell_update(view->plain, w, m); /* the aggregation's own case */
  }
  const census_tag_map *tags = census__exemplar_tags;
  int f = atomic_load_explicit(&filter, memory_order_relaxed);
  if (f <= CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF) {
    return;
  }
  const census_trace_context *context = census__span_current_context();
  bool has_span = context && census_trace_context_is_valid(context);
  if (f == CENSUS_EXEMPLAR_FILTER_TRACE_BASED &&
      !(has_span && census_trace_context_is_sampled(context))) {
    return;
  }
  _Atomic uint64_t *area = w + view->exemplar_at;
  if (view->def.aggregation.type != CENSUS_AGGREGATION_DISTRIBUTION) {
    /* Reservoir sampling: the n-th offer of the interval is kept with probability size / n. */
    uint64_t n = word_load(&area[EX_OFFERED]) + 1;
    word_store(&area[EX_OFFERED], n);
    slot = n <= view->exemplar_slots ? (size_t)(n - 1) : (size_t)random_below(n);
    if (slot >= view->exemplar_slots) {
      return;
    }
  }
  _Atomic uint64_t *s = area + EXEMPLAR_HEAD_WORDS + slot * EXEMPLAR_SLOT_WORDS;
  uint64_t flags = 0;
  uint64_t ids[3] = {0, 0, 0};
  if (has_span) {
    flags |= FLAG_SPAN;
    memcpy(ids, context->trace_id, 16);
    memcpy(&ids[2], context->span_id, 8);
  }
  pack_attributes(view, tags, s + SLOT_ATTRS, &flags);
  word_store(&s[SLOT_VALUE], view->def.measure->type == CENSUS_MEASURE_INT64
                                 ? (uint64_t)m->int_value
                                 : census__bits_of(m->double_value));
  word_store(&s[SLOT_TRACE], ids[0]);
  word_store(&s[SLOT_TRACE + 1], ids[1]);
  word_store(&s[SLOT_SPAN], ids[2]);
  word_store(&s[SLOT_FLAGS], flags);
  word_store(&s[SLOT_TIME], (uint64_t)census__unix_ns());
}

void census__exemplar_collection_begin(void) {
  atomic_fetch_add_explicit(&collection, 1, memory_order_relaxed);
}

void census__exemplar_merge(const struct census__rview *view, uint64_t *into,
                            const uint64_t *from) {
  bool aligned = view->def.aggregation.type == CENSUS_AGGREGATION_DISTRIBUTION;
  uint64_t now = atomic_load_explicit(&collection, memory_order_relaxed);
  if (!aligned && into[EX_COLLECTION] != now) {
    into[EX_OFFERED] = 0; /* a new interval: older exemplars stay until replaced */
    into[EX_COLLECTION] = now;
  }
  uint64_t n_into = into[EX_OFFERED], n_from = from[EX_OFFERED];
  for (size_t i = 0; i < view->exemplar_slots; i++) {
    uint64_t *to = into + EXEMPLAR_HEAD_WORDS + i * EXEMPLAR_SLOT_WORDS;
    const uint64_t *e = from + EXEMPLAR_HEAD_WORDS + i * EXEMPLAR_SLOT_WORDS;
    if (e[SLOT_TIME] == 0) {
      continue;
    }
    bool take;
    if (aligned || to[SLOT_TIME] == 0 || n_into == 0) {
      take = aligned ? e[SLOT_TIME] >= to[SLOT_TIME] : true; /* last seen wins */
    } else {
      take = random_below(n_into + n_from) < n_from;
    }
    if (take) {
      memcpy(to, e, EXEMPLAR_SLOT_WORDS * sizeof *to);
    }
  }
  into[EX_OFFERED] = n_into + n_from;
}

/* ---- reading (snapshots) ------------------------------------------------------------------ */

/* The `i`-th non-empty slot of reservoir `area` (plain words), or NULL. */
static const uint64_t *nth_slot(const uint64_t *area, size_t slots, size_t i, size_t *index) {
  for (size_t k = 0; k < slots; k++) {
    const uint64_t *s = area + EXEMPLAR_HEAD_WORDS + k * EXEMPLAR_SLOT_WORDS;
    if (s[SLOT_TIME] != 0 && i-- == 0) {
      *index = k;
      return s;
    }
  }
  return NULL;
}

size_t census__exemplar_count(const uint64_t *area, size_t slots) {
  size_t n = 0;
  for (size_t k = 0; k < slots; k++) {
    n += area[EXEMPLAR_HEAD_WORDS + k * EXEMPLAR_SLOT_WORDS + SLOT_TIME] != 0;
  }
  return n;
}

bool census__exemplar_get(const uint64_t *area, size_t slots, bool aligned, bool is_int, size_t i,
                          census_exemplar *out) {
  size_t index;
  const uint64_t *s = nth_slot(area, slots, i, &index);
  if (!s) {
    return false;
  }
  memset(out, 0, sizeof *out);
  if (is_int) {
    out->int_value = (int64_t)s[SLOT_VALUE];
    out->double_value = (double)out->int_value;
  } else {
    out->double_value = census__double_of(s[SLOT_VALUE]);
  }
  out->time_ns = (int64_t)s[SLOT_TIME];
  out->has_span = (s[SLOT_FLAGS] & FLAG_SPAN) != 0;
  memcpy(out->trace_id, &s[SLOT_TRACE], 16);
  memcpy(out->span_id, &s[SLOT_SPAN], 8);
  out->bucket = aligned ? index : SIZE_MAX;
  out->attribute_count = (size_t)((s[SLOT_FLAGS] >> 8) & 0xff);
  out->attributes_truncated = (s[SLOT_FLAGS] & FLAG_TRUNCATED) != 0;
  return true;
}

bool census__exemplar_attribute(const uint64_t *area, size_t slots, size_t i, size_t j,
                                const char **key, const char **value) {
  size_t index;
  const uint64_t *s = nth_slot(area, slots, i, &index);
  if (!s || j >= ((s[SLOT_FLAGS] >> 8) & 0xff)) {
    return false;
  }
  const unsigned char *bytes = (const unsigned char *)(s + SLOT_ATTRS);
  size_t at = 0;
  for (;;) {
    uint64_t k;
    memcpy(&k, bytes + at, 8);
    const char *v = (const char *)(bytes + at + 8);
    size_t need = 8 + ((strlen(v) + 1 + 7) & ~(size_t)7);
    if (j-- == 0) {
      *key = ((const census_tag_key *)(uintptr_t)k)->name;
      *value = v;
      return true;
    }
    at += need;
  }
}
