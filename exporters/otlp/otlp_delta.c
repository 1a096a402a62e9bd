/* otlp_delta.c - delta temporality from cumulative snapshots (see otlp_delta.h).
 *
 * State: a list of views (by name and start time), each with a hash table of its series (by a key
 * made of the overflow flag and the column values, length-prefixed so that no two tuples make the
 * same key). A series keeps its values three times, as `committed`, `submitted` and `pending`
 * (the last prepare's), each as words [count, int sum, double sum bits, bucket 0 .. n]. A view
 * keeps the end times that go with them. prepare() promotes submitted to committed unless the
 * previous request was withdrawn, writes each delta point (current - committed) into an array it
 * owns, and records current as pending; submitted() makes pending the submitted values.
 */
#include "otlp_delta.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "env_config.h"
#include "alloc.h"

enum { W_COUNT = 0, W_INT_SUM = 1, W_DOUBLE_SUM = 2, W_BUCKETS = 3 };
/* EXPONENTIAL views: after the sums, the zero count, scale, offset and number of buckets, then
 * the buckets (at most the view's max_size). */
enum { W_EXP_ZERO = 3, W_EXP_SCALE = 4, W_EXP_OFFSET = 5, W_EXP_N = 6, W_EXP_COUNTS = 7 };

typedef struct delta_row {
  struct delta_row *chain;
  uint64_t hash;
  char *key;
  size_t key_len;
  bool has_committed, has_submitted, has_pending;
  uint64_t *committed, *submitted, *pending; /* view->words each, one allocation */
} delta_row;

typedef struct delta_view {
  struct delta_view *next;
  char *name;
  int64_t start_ns;
  size_t words;       /* W_BUCKETS + bucket count */
  size_t bucket_room; /* bucket counts per delta point (in `buckets`) */
  int64_t committed_end, submitted_end, pending_end; /* 0: none yet */
  delta_row **table;
  size_t table_size, rows;
  bool seen;
  /* The last prepare's points and their bucket counts. */
  census_otlp_row_point *points;
  int64_t *buckets;
  size_t points_cap, buckets_cap;
  census_otlp_view_points out;
} delta_view;

struct census_otlp_delta {
  census_otlp_temporality preference;
  delta_view *views;
  const census_otlp_view_points **out; /* per snapshot view */
  size_t out_cap;
};

census_status census__otlp_temporality_resolve(census_otlp_temporality option,
                                               census_otlp_temporality *out) {
  if (option == CENSUS_OTLP_TEMPORALITY_CUMULATIVE || option == CENSUS_OTLP_TEMPORALITY_DELTA ||
      option == CENSUS_OTLP_TEMPORALITY_LOWMEMORY) {
    *out = option;
    return CENSUS_OK;
  }
  if (option != CENSUS_OTLP_TEMPORALITY_DEFAULT) {
    return CENSUS_EINVAL;
  }
  static const char *const names[] = {"cumulative", "delta", "lowmemory"};
  size_t i = census__env_choice("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", names, 3, 0);
  *out = i == 1   ? CENSUS_OTLP_TEMPORALITY_DELTA
         : i == 2 ? CENSUS_OTLP_TEMPORALITY_LOWMEMORY
                  : CENSUS_OTLP_TEMPORALITY_CUMULATIVE;
  return CENSUS_OK;
}

bool census__otlp_view_is_delta(census_otlp_temporality preference, census_aggregation_type kind) {
  if (preference != CENSUS_OTLP_TEMPORALITY_DELTA &&
      preference != CENSUS_OTLP_TEMPORALITY_LOWMEMORY) {
    return false;
  }
  /* Counter (Count, Sum) and Histogram (Distribution, Exponential): DELTA under delta and
   * lowmemory alike. */
  return kind == CENSUS_AGGREGATION_COUNT || kind == CENSUS_AGGREGATION_SUM ||
         kind == CENSUS_AGGREGATION_DISTRIBUTION || kind == CENSUS_AGGREGATION_EXPONENTIAL;
}

census_otlp_delta *census__otlp_delta_new(census_otlp_temporality preference) {
  census_otlp_delta *d = census__calloc(1, sizeof *d);
  if (d) {
    d->preference = preference;
  }
  return d;
}

static void row_free(delta_row *r) {
  census__free(r->key);
  census__free(r->committed);
  census__free(r);
}

static void view_free(delta_view *v) {
  for (size_t i = 0; i < v->table_size; i++) {
    for (delta_row *r = v->table[i]; r;) {
      delta_row *next = r->chain;
      row_free(r);
      r = next;
    }
  }
  census__free(v->table);
  census__free(v->name);
  census__free(v->points);
  census__free(v->buckets);
  census__free(v);
}

void census__otlp_delta_free(census_otlp_delta *d) {
  if (!d) {
    return;
  }
  for (delta_view *v = d->views; v;) {
    delta_view *next = v->next;
    view_free(v);
    v = next;
  }
  census__free(d->out);
  census__free(d);
}

size_t census__otlp_delta_entries(const census_otlp_delta *d) {
  size_t n = 0;
  for (const delta_view *v = d->views; v; v = v->next) {
    n += v->rows;
  }
  return n;
}

/* The series key of a snapshot row: 1 for the overflow row, else 0 and each column value with
 * its length (4 bytes) in front. Into a new buffer (free() it); NULL on ENOMEM. */
static char *row_key(const census_view_data *v, size_t row, size_t *len) {
  bool overflow = census_view_data_row_is_overflow(v, row);
  size_t columns = overflow ? 0 : census_view_data_column_count(v);
  size_t n = 1;
  for (size_t c = 0; c < columns; c++) {
    n += 4 + strlen(census_view_data_row_value(v, row, c));
  }
  char *key = census__malloc(n);
  if (!key) {
    return NULL;
  }
  key[0] = overflow ? 1 : 0;
  size_t at = 1;
  for (size_t c = 0; c < columns; c++) {
    const char *value = census_view_data_row_value(v, row, c);
    uint32_t l = (uint32_t)strlen(value);
    memcpy(key + at, &l, 4);
    memcpy(key + at + 4, value, l);
    at += 4 + l;
  }
  *len = n;
  return key;
}

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  }
  return h;
}

static bool table_grow(delta_view *v) {
  size_t size = v->table_size ? v->table_size * 2 : 16;
  delta_row **table = census__calloc(size, sizeof *table);
  if (!table) {
    return false;
  }
  for (size_t i = 0; i < v->table_size; i++) {
    for (delta_row *r = v->table[i]; r;) {
      delta_row *next = r->chain;
      r->chain = table[r->hash & (size - 1)];
      table[r->hash & (size - 1)] = r;
      r = next;
    }
  }
  census__free(v->table);
  v->table = table;
  v->table_size = size;
  return true;
}

/* The entry of `key` (taken over when a new entry is made, else freed); NULL on ENOMEM. */
static delta_row *row_get(delta_view *v, char *key, size_t len) {
  uint64_t hash = fnv1a(key, len);
  if (v->table_size) {
    for (delta_row *r = v->table[hash & (v->table_size - 1)]; r; r = r->chain) {
      if (r->hash == hash && r->key_len == len && memcmp(r->key, key, len) == 0) {
        census__free(key);
        return r;
      }
    }
  }
  if (v->rows >= v->table_size && !table_grow(v)) {
    census__free(key);
    return NULL;
  }
  delta_row *r = census__calloc(1, sizeof *r);
  uint64_t *words = census__calloc(3 * v->words, sizeof *words);
  if (!r || !words) {
    census__free(r);
    census__free(words);
    census__free(key);
    return NULL;
  }
  r->hash = hash;
  r->key = key;
  r->key_len = len;
  r->committed = words;
  r->submitted = words + v->words;
  r->pending = words + 2 * v->words;
  r->chain = v->table[hash & (v->table_size - 1)];
  v->table[hash & (v->table_size - 1)] = r;
  v->rows++;
  return r;
}

/* The words of a series of snapshot view `s`: an exponential one's from its first row's
 * max_size (no row: no buckets, none needed). */
static size_t view_words(const census_view_data *s, size_t *buckets) {
  if (census_view_data_aggregation(s) == CENSUS_AGGREGATION_EXPONENTIAL) {
    census_exponential_buckets e = {0};
    if (census_view_data_row_count(s) > 0) {
      census_view_data_row_exponential(s, 0, &e);
    }
    *buckets = e.max_size;
    return W_EXP_COUNTS + e.max_size;
  }
  *buckets = census_view_data_bounds(s, NULL) + 1;
  return W_BUCKETS + *buckets;
}

/* The state of snapshot view `s`: found by name, made anew when missing or when its start time
 * or words changed (a fork child restarts its views: old baselines would not apply). */
static delta_view *view_get(census_otlp_delta *d, const census_view_data *s) {
  const char *name = census_view_data_name(s);
  size_t buckets;
  size_t words = view_words(s, &buckets);
  for (delta_view **link = &d->views; *link; link = &(*link)->next) {
    delta_view *v = *link;
    if (strcmp(v->name, name) == 0) {
      if (v->start_ns == census_view_data_start_time_ns(s) && v->words == words) {
        return v;
      }
      *link = v->next;
      view_free(v);
      break;
    }
  }
  delta_view *v = census__calloc(1, sizeof *v);
  if (!v || !(v->name = census__strdup(name))) {
    census__free(v);
    return NULL;
  }
  v->start_ns = census_view_data_start_time_ns(s);
  v->words = words;
  v->bucket_room = buckets;
  v->next = d->views;
  d->views = v;
  return v;
}

/* The previous request left the queue: what it held is committed. */
static void promote(delta_view *v) {
  for (size_t i = 0; i < v->table_size; i++) {
    for (delta_row *r = v->table[i]; r; r = r->chain) {
      if (r->has_submitted) {
        memcpy(r->committed, r->submitted, v->words * sizeof *r->committed);
        r->has_committed = true;
      }
    }
  }
  if (v->submitted_end) {
    v->committed_end = v->submitted_end;
  }
}

/* A row's cumulative values as words. */
static void row_words(const census_view_data *s, size_t row, const census_point *p, size_t words,
                      uint64_t *w) {
  w[W_COUNT] = (uint64_t)p->count;
  w[W_INT_SUM] = (uint64_t)p->int_value;
  memcpy(&w[W_DOUBLE_SUM], &p->double_value, sizeof(double));
  if (census_view_data_aggregation(s) == CENSUS_AGGREGATION_EXPONENTIAL) {
    census_exponential_buckets e;
    census_view_data_row_exponential(s, row, &e);
    w[W_EXP_ZERO] = (uint64_t)e.zero_count;
    w[W_EXP_SCALE] = (uint64_t)(int64_t)e.scale;
    w[W_EXP_OFFSET] = (uint64_t)(int64_t)e.offset;
    w[W_EXP_N] = e.bucket_count;
    memcpy(&w[W_EXP_COUNTS], e.bucket_counts, e.bucket_count * sizeof *w);
    return;
  }
  for (size_t b = 0; b + W_BUCKETS < words; b++) {
    w[W_BUCKETS + b] = b < p->bucket_count ? (uint64_t)p->bucket_counts[b] : 0;
  }
}

/* An exponential delta: the current buckets `cur` minus the baseline words `base` (NULL: none),
 * the baseline brought down to the current scale first (bucket i at scale s is bucket i >> r at
 * scale s - r; a row's scale only goes down, so the baseline's is never lower), into counts[]
 * (room for cur->bucket_count) and *out, trimmed to the non-empty buckets. Counts only grow
 * within a view's life; a baseline bucket outside the current range or above its count (which
 * cannot happen) is ignored rather than sent negative. */
static void exponential_delta(const census_exponential_buckets *cur, const uint64_t *base,
                              int64_t *counts, census_exponential_buckets *out) {
  *out = *cur;
  for (size_t i = 0; i < cur->bucket_count; i++) {
    counts[i] = cur->bucket_counts[i];
  }
  if (base) {
    int64_t zero = cur->zero_count - (int64_t)base[W_EXP_ZERO];
    out->zero_count = zero > 0 ? zero : 0;
    int r = (int)(int64_t)base[W_EXP_SCALE] - cur->scale;
    int64_t offset = (int64_t)base[W_EXP_OFFSET];
    for (size_t i = 0; r >= 0 && r < 64 && i < base[W_EXP_N]; i++) {
      int64_t k = ((offset + (int64_t)i) >> r) - cur->offset;
      if (k >= 0 && (size_t)k < cur->bucket_count) {
        int64_t c = counts[k] - (int64_t)base[W_EXP_COUNTS + i];
        counts[k] = c > 0 ? c : 0;
      }
    }
  }
  size_t first = 0, last = cur->bucket_count;
  while (first < last && counts[first] == 0) {
    first++;
  }
  while (last > first && counts[last - 1] == 0) {
    last--;
  }
  out->offset = cur->offset + (int32_t)first;
  out->bucket_count = last - first;
  out->bucket_counts = counts + first;
}

static bool reserve(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) {
    return true;
  }
  size_t n = *cap ? *cap : 16;
  while (n < need) {
    n *= 2;
  }
  void *grown = census__realloc(*p, n * size);
  if (!grown) {
    return false;
  }
  *p = grown;
  *cap = n;
  return true;
}

/* Writes the delta point of row `row` (cumulative `cur`, entry `r`) as point `k` of view `v`;
 * false when the interval added nothing (no point). */
static bool delta_point(delta_view *v, const census_view_data *s, size_t row,
                        const census_point *cur, const delta_row *r, size_t k) {
  static const uint64_t zero[W_BUCKETS] = {0};
  const uint64_t *base = r->has_committed ? r->committed : zero;
  if ((uint64_t)cur->count < base[W_COUNT]) {
    base = zero; /* cannot happen within one view's life; never send a negative delta */
  }
  int64_t count = cur->count - (int64_t)base[W_COUNT];
  if (count == 0) {
    return false;
  }
  census_otlp_row_point *out = &v->points[k];
  memset(out, 0, sizeof *out);
  out->row = row;
  out->point.count = count;
  out->point.int_value = cur->int_value - (int64_t)base[W_INT_SUM];
  double base_sum;
  memcpy(&base_sum, &base[W_DOUBLE_SUM], sizeof base_sum);
  bool is_int = census_measure_value_type(census_view_data_measure(s)) == CENSUS_MEASURE_INT64;
  out->point.double_value =
      is_int ? (double)out->point.int_value : cur->double_value - (base == zero ? 0 : base_sum);
  size_t buckets = v->bucket_room;
  if (census_view_data_aggregation(s) == CENSUS_AGGREGATION_EXPONENTIAL) {
    census_exponential_buckets e;
    census_view_data_row_exponential(s, row, &e);
    exponential_delta(&e, base == zero ? NULL : base, v->buckets + k * buckets, &out->exponential);
    out->has_min_max = base[W_COUNT] == 0;
    out->point.min = cur->min;
    out->point.max = cur->max;
  } else if (census_view_data_aggregation(s) == CENSUS_AGGREGATION_DISTRIBUTION) {
    int64_t *counts = v->buckets + k * buckets;
    for (size_t b = 0; b < buckets; b++) {
      int64_t c = b < cur->bucket_count ? cur->bucket_counts[b] : 0;
      counts[b] = c - (base == zero ? 0 : (int64_t)base[W_BUCKETS + b]);
    }
    out->point.bucket_counts = counts;
    out->point.bucket_count = buckets;
    /* The interval's min and max are known only when it holds every measurement. */
    out->has_min_max = base[W_COUNT] == 0;
    out->point.min = cur->min;
    out->point.max = cur->max;
  }
  out->start_ns = v->committed_end ? v->committed_end : v->start_ns;
  if (out->start_ns < v->start_ns) {
    out->start_ns = v->start_ns;
  }
  return true;
}

/* Prepares view `s`'s delta points into v->out. False on ENOMEM. */
static bool prepare_view(delta_view *v, const census_view_data *s) {
  size_t rows = census_view_data_row_count(s);
  size_t buckets = v->bucket_room;
  if (!reserve((void **)&v->points, &v->points_cap, rows, sizeof *v->points) ||
      !reserve((void **)&v->buckets, &v->buckets_cap, rows * buckets, sizeof *v->buckets)) {
    return false;
  }
  size_t k = 0;
  for (size_t row = 0; row < rows; row++) {
    census_point cur;
    size_t len;
    char *key = row_key(s, row, &len);
    delta_row *r = key ? row_get(v, key, len) : NULL;
    if (!r || census_view_data_row_point(s, row, &cur) != CENSUS_OK) {
      return false;
    }
    row_words(s, row, &cur, v->words, r->pending);
    r->has_pending = true;
    k += delta_point(v, s, row, &cur, r, k);
  }
  v->pending_end = census_view_data_end_time_ns(s);
  v->out.delta = true;
  v->out.count = k;
  v->out.points = v->points;
  return true;
}

/* Drops the states of views that were not in this export's snapshots. */
static void prune(census_otlp_delta *d) {
  for (delta_view **link = &d->views; *link;) {
    delta_view *v = *link;
    if (!v->seen) {
      *link = v->next;
      view_free(v);
    } else {
      link = &v->next;
    }
  }
}

census_status census__otlp_delta_prepare(census_otlp_delta *d, const census_view_data *const *views,
                                         size_t count, bool previous_withdrawn,
                                         const census_otlp_view_points *const **out) {
  if (!reserve((void **)&d->out, &d->out_cap, count ? count : 1, sizeof *d->out)) {
    return CENSUS_ENOMEM;
  }
  for (delta_view *v = d->views; v; v = v->next) {
    v->seen = false;
    if (!previous_withdrawn) {
      promote(v);
    }
    for (size_t i = 0; i < v->table_size; i++) {
      for (delta_row *r = v->table[i]; r; r = r->chain) {
        r->has_pending = false;
      }
    }
  }
  census_status st = CENSUS_OK;
  for (size_t i = 0; i < count; i++) {
    d->out[i] = NULL;
    if (!views[i] ||
        !census__otlp_view_is_delta(d->preference, census_view_data_aggregation(views[i]))) {
      continue;
    }
    delta_view *v = view_get(d, views[i]);
    if (!v || !prepare_view(v, views[i])) {
      st = CENSUS_ENOMEM;
      break;
    }
    v->seen = true;
    d->out[i] = &v->out;
  }
  if (st == CENSUS_OK) {
    prune(d);
  }
  *out = d->out;
  return st;
}

void census__otlp_delta_submitted(census_otlp_delta *d) {
  for (delta_view *v = d->views; v; v = v->next) {
    for (size_t i = 0; i < v->table_size; i++) {
      for (delta_row *r = v->table[i]; r; r = r->chain) {
        if (r->has_pending) {
          memcpy(r->submitted, r->pending, v->words * sizeof *r->submitted);
          r->has_submitted = true;
          r->has_pending = false;
        }
      }
    }
    if (v->pending_end) {
      v->submitted_end = v->pending_end;
    }
  }
}
