/* series.c - the per-view table of series (one per distinct tuple of column values).
 *
 * A chained hash table under view->mu. Recorders reach it only the first time a thread records
 * into a series (afterwards the thread's own cell table answers), so the mutex sees little
 * traffic. Series are created in order and linked in that order for stable snapshots; they are
 * freed only when the whole table is (fork child, shutdown).
 *
 * Cardinality limit: once def.max_series normal series exist, any new tuple maps to the single
 * overflow series, which is not cached in thread tables (so a flood of unique tuples costs a
 * lookup each but no memory). The limit is reported once per view through diagnostics.
 */
#include "stats/series.h"

#include <stdlib.h>

#include "core/diagnostics.h"
#include "core/hash.h"
#include "stats/aggregation.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

/* A missing column counts as the empty value, so both must hash alike. */
static uint64_t empty_value_hash(void) { return census__hash_bytes("", 0); }

uint64_t census__tuple_hash(const struct census__rview *view, const census_tag_map *tags) {
  uint64_t h = view->hash_seed;
  for (size_t i = 0; i < view->def.column_count; i++) {
    const struct census__tag_entry *e = census__tag_map_find(tags, view->def.columns[i]);
    h = census__hash_combine(h, e ? e->hash : empty_value_hash());
  }
  return h;
}

bool census__series_matches(const struct census__rview *view, const struct census__series *series,
                            const census_tag_map *tags) {
  if (series->overflow) {
    return false;
  }
  for (size_t i = 0; i < view->def.column_count; i++) {
    const struct census__tag_entry *e = census__tag_map_find(tags, view->def.columns[i]);
    uint32_t length = e ? e->length : 0;
    if (series->lengths[i] != length || (length && memcmp(series->values[i], e->value, length))) {
      return false;
    }
  }
  return true;
}

void census__tuple_gather(const struct census__rview *view, const census_tag_map *tags,
                          const struct census__tag_entry **entries) {
  for (size_t i = 0; i < view->def.column_count; i++) {
    entries[i] = census__tag_map_find(tags, view->def.columns[i]);
  }
}

uint64_t census__tuple_hash_entries(const struct census__rview *view,
                                    const struct census__tag_entry *const *entries) {
  uint64_t h = view->hash_seed;
  for (size_t i = 0; i < view->def.column_count; i++) {
    h = census__hash_combine(h, entries[i] ? entries[i]->hash : empty_value_hash());
  }
  return h;
}

bool census__series_matches_entries(const struct census__rview *view,
                                    const struct census__series *series,
                                    const struct census__tag_entry *const *entries) {
  if (series->overflow) {
    return false;
  }
  for (size_t i = 0; i < view->def.column_count; i++) {
    uint32_t length = entries[i] ? entries[i]->length : 0;
    if (series->lengths[i] != length ||
        (length && memcmp(series->values[i], entries[i]->value, length))) {
      return false;
    }
  }
  return true;
}

/* One allocation: header, totals, value pointers, lengths, then the value bytes. */
static struct census__series *series_alloc(const struct census__rview *view,
                                           const census_tag_map *tags, uint64_t hash,
                                           bool overflow) {
  size_t columns = view->def.column_count;
  size_t bytes = 0;
  for (size_t i = 0; i < columns && !overflow; i++) {
    const struct census__tag_entry *e = census__tag_map_find(tags, view->def.columns[i]);
    bytes += (e ? e->length : 0) + 1;
  }
  if (overflow) {
    bytes = columns;
  }
  size_t size = sizeof(struct census__series) + view->words * sizeof(uint64_t) +
                columns * (sizeof(char *) + sizeof(uint32_t)) + bytes;
  struct census__series *s = census__malloc(size);
  if (!s) {
    return NULL;
  }
  s->chain = s->next = NULL;
  s->hash = hash;
  s->overflow = overflow;
  s->saturated = false;
  s->carry_queued = s->carry_failed = false;
  census__words_init(view, s->totals);
  s->values = (const char **)(s->totals + view->words);
  s->lengths = (uint32_t *)(s->values + columns);
  char *text = (char *)(s->lengths + columns);
  for (size_t i = 0; i < columns; i++) {
    const struct census__tag_entry *e =
        overflow ? NULL : census__tag_map_find(tags, view->def.columns[i]);
    uint32_t length = e ? e->length : 0;
    if (length) {
      memcpy(text, e->value, length);
    }
    text[length] = '\0';
    s->values[i] = text;
    s->lengths[i] = length;
    text += length + 1;
  }
  return s;
}

static void series_append(struct census__rview *view, struct census__series *s) {
  if (view->last) {
    view->last->next = s;
  } else {
    view->first = s;
  }
  view->last = s;
}

/* Doubles the bucket array when the table is more than 3/4 full; keeps the old one on ENOMEM. */
static void table_maybe_grow(struct census__rview *view) {
  if (view->series_count * 4 < view->bucket_count * 3) {
    return;
  }
  size_t count = view->bucket_count * 2;
  struct census__series **buckets = census__calloc(count, sizeof *buckets);
  if (!buckets) {
    return;
  }
  for (struct census__series *s = view->first; s; s = s->next) {
    if (!s->overflow) {
      size_t b = s->hash & (count - 1);
      s->chain = buckets[b];
      buckets[b] = s;
    }
  }
  census__free(view->buckets);
  view->buckets = buckets;
  view->bucket_count = count;
}

struct census__series *census__series_get(struct census__rview *view, const census_tag_map *tags,
                                          uint64_t hash) {
  census__mutex_lock(&view->mu);
  if (!view->buckets) {
    /* A reset ran out of memory (a fork child's): make the table now, or refuse for memory.
     * tests/reliability/alloc_failure.c ("fork") crashed here in the child. */
    view->buckets = census__calloc(64, sizeof *view->buckets);
    if (!view->buckets) {
      census__mutex_unlock(&view->mu);
      return NULL;
    }
    view->bucket_count = 64;
  }
  struct census__series *s = view->buckets[hash & (view->bucket_count - 1)];
  while (s && !(s->hash == hash && census__series_matches(view, s, tags))) {
    s = s->chain;
  }
  if (!s && view->series_count < view->def.max_series) {
    s = series_alloc(view, tags, hash, false);
    if (s) {
      size_t b = hash & (view->bucket_count - 1);
      s->chain = view->buckets[b];
      view->buckets[b] = s;
      view->series_count++;
      series_append(view, s);
      table_maybe_grow(view);
    }
  } else if (!s) {
    if (!view->overflow) {
      view->overflow = series_alloc(view, NULL, 0, true);
      if (view->overflow) {
        series_append(view, view->overflow);
        census__diag(CENSUS_ELIMIT,
                     "view \"%s\" reached its limit of %zu series; new tag tuples are aggregated "
                     "into its overflow series (otel.metric.overflow=true)",
                     view->def.name, view->def.max_series);
      }
    }
    s = view->overflow;
  }
  census__mutex_unlock(&view->mu);
  return s;
}

census_status census__series_table_init(struct census__rview *view) {
  census__mutex_init(&view->mu, CENSUS__LOCK_SERIES);
  return census__series_table_reset(view);
}

census_status census__series_table_reset(struct census__rview *view) {
  census__series_table_free(view);
  view->bucket_count = 64;
  view->buckets = census__calloc(view->bucket_count, sizeof *view->buckets);
  if (!view->buckets) {
    view->bucket_count = 0; /* made by census__series_get() when memory allows */
  }
  view->series_count = 0;
  view->first = view->last = view->overflow = NULL;
  view->saturated_pending = 0;
  view->saturated_next = NULL;
  view->saturation_reported = false;
  return view->buckets ? CENSUS_OK : CENSUS_ENOMEM;
}

void census__series_table_free(struct census__rview *view) {
  struct census__series *s = view->first;
  while (s) {
    struct census__series *next = s->next;
    census__free(s);
    s = next;
  }
  census__free(view->buckets);
  view->buckets = NULL;
  view->first = view->last = view->overflow = NULL;
  view->series_count = 0;
}

void census__series_table_lock(struct census__rview *view) { census__mutex_lock(&view->mu); }

void census__series_table_unlock(struct census__rview *view) { census__mutex_unlock(&view->mu); }
