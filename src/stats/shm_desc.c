/* shm_desc.c - see shm_desc.h. The encoder writes the layout of shm_format.h; the decoder walks
 * it with a cursor that refuses any length past the end, so a hostile or torn description is an
 * error, never an out-of-bounds read. */
#include "stats/shm_desc.h"

#include <stdlib.h>
#include <string.h>

#include "census/shm.h"
#include "stats/exp_index.h"
#include "stats/shm_format.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

struct writer {
  unsigned char *p;
  size_t n;
};

static void put(struct writer *w, const void *bytes, size_t n) {
  if (w->p && n) {
    memcpy(w->p + w->n, bytes, n);
  }
  w->n += n;
}

static void put_u32(struct writer *w, uint32_t v) { put(w, &v, 4); }

static void put_str(struct writer *w, const char *s, size_t n) {
  put_u32(w, (uint32_t)n);
  put(w, s, n);
}

/* Two passes: the first (w->p NULL) measures, the second writes. */
static void desc_write(struct writer *w, const struct census__rview *view,
                       const struct census__series *series) {
  const struct census_view *def = &view->def;
  /* The file names the aggregation as it was defined (a signed measure's SIGNED_SUM is a SUM with
   * the signed flag, stats_internal.h): only the public enum's values are written. */
  /* An observable counter's OBSERVED_SUM is written as a SUM: its shared cell holds the
   * process's latest total (shm.c), and the group's total is the sum of the processes'. */
  census_aggregation_type type = def->aggregation.type == CENSUS__AGGREGATION_SIGNED_SUM ||
                                         def->aggregation.type == CENSUS__AGGREGATION_OBSERVED_SUM
                                     ? CENSUS_AGGREGATION_SUM
                                     : def->aggregation.type;
  bool exponential = type == CENSUS_AGGREGATION_EXPONENTIAL;
  unsigned char head[4] = {(unsigned char)type, (unsigned char)def->measure->type,
                           def->measure->signed_values ? CENSUS__SHM_DESC_SIGNED : 0,
                           exponential ? (unsigned char)(int8_t)def->aggregation.max_scale : 0};
  put(w, head, 4);
  put_u32(w, (uint32_t)def->column_count);
  put_u32(w, exponential ? 0 : (uint32_t)def->aggregation.bound_count);
  put_u32(w, exponential ? (uint32_t)def->aggregation.max_size : 0);
  const char *strings[] = {def->name, def->description, def->measure->name,
                           def->measure->description, def->measure->unit};
  for (size_t i = 0; i < 5; i++) {
    put_str(w, strings[i], strlen(strings[i]));
  }
  for (size_t c = 0; c < def->column_count; c++) {
    put_str(w, def->columns[c]->name, strlen(def->columns[c]->name));
  }
  static const unsigned char zeros[8];
  put(w, zeros, census__shm_pad8(w->n) - w->n);
  put(w, def->aggregation.bounds, def->aggregation.bound_count * sizeof(double));
  for (size_t c = 0; c < def->column_count; c++) {
    put_str(w, series->values[c], series->lengths[c]);
  }
  unsigned char overflow = series->overflow;
  put(w, &overflow, 1);
}

bool census__shm_desc_encode(const struct census__rview *view, const struct census__series *series,
                             unsigned char **desc, size_t *size) {
  struct writer w = {NULL, 0};
  desc_write(&w, view, series);
  w.p = census__malloc(w.n);
  if (!w.p) {
    return false;
  }
  *size = w.n;
  w.n = 0;
  desc_write(&w, view, series);
  *desc = w.p;
  return true;
}

struct cursor {
  const unsigned char *p;
  size_t n, at;
  bool bad;
};

static const unsigned char *take(struct cursor *c, size_t n) {
  if (c->bad || n > c->n - c->at) {
    c->bad = true;
    return NULL;
  }
  const unsigned char *p = c->p + c->at;
  c->at += n;
  return p;
}

static uint32_t take_u32(struct cursor *c) {
  const unsigned char *p = take(c, 4);
  uint32_t v = 0;
  if (p) {
    memcpy(&v, p, 4);
  }
  return v;
}

static struct census__shm_str take_str(struct cursor *c) {
  uint32_t n = take_u32(c);
  const unsigned char *p = take(c, n);
  return (struct census__shm_str){p ? (const char *)p : "", p ? n : 0};
}

bool census__shm_desc_decode(const unsigned char *desc, size_t size, unsigned version,
                             struct census__shm_desc *d, const char **problem) {
  struct cursor c = {desc, size, 0, false};
  const unsigned char *head = take(&c, 4);
  d->column_count = take_u32(&c);
  d->bound_count = take_u32(&c);
  uint32_t max_size = take_u32(&c);
  if (c.bad || !head) {
    *problem = "description shorter than its fixed part";
    return false;
  }
  d->aggregation = head[0];
  d->measure_type = head[1];
  d->signed_values = (head[2] & CENSUS__SHM_DESC_SIGNED) != 0;
  bool exponential = d->aggregation == CENSUS_AGGREGATION_EXPONENTIAL && version >= 2;
  unsigned last = exponential ? CENSUS_AGGREGATION_EXPONENTIAL : CENSUS_AGGREGATION_DISTRIBUTION;
  if (d->aggregation < CENSUS_AGGREGATION_COUNT || d->aggregation > last ||
      d->measure_type < CENSUS_MEASURE_INT64 || d->measure_type > CENSUS_MEASURE_DOUBLE ||
      (head[2] & ~CENSUS__SHM_DESC_SIGNED) || (head[3] && !exponential)) {
    *problem = d->aggregation == CENSUS_AGGREGATION_EXPONENTIAL
                   ? "an exponential histogram in a format version 1 file (version 1 has none)"
                   : "unknown aggregation, measure type or measure flags";
    return false;
  }
  d->max_size = exponential ? max_size : 0;
  d->max_scale = exponential ? (int8_t)head[3] : 0;
  if (exponential &&
      (max_size < 4 || max_size > CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT ||
       d->max_scale < CENSUS__EXP_MIN_SCALE || d->max_scale > CENSUS__EXP_MAX_SCALE)) {
    *problem = "an exponential histogram's size or scale out of range";
    return false;
  }
  if (d->column_count > CENSUS__SHM_MAX_COLUMNS || d->bound_count > CENSUS__SHM_MAX_BOUNDS ||
      (d->aggregation != CENSUS_AGGREGATION_DISTRIBUTION && d->bound_count)) {
    *problem = "too many columns or bounds";
    return false;
  }
  struct census__shm_str *strings[] = {&d->view_name, &d->view_description, &d->measure_name,
                                       &d->measure_description, &d->unit};
  for (size_t i = 0; i < 5; i++) {
    *strings[i] = take_str(&c);
  }
  for (uint32_t i = 0; i < d->column_count; i++) {
    d->columns[i] = take_str(&c);
  }
  take(&c, census__shm_pad8(c.at) - c.at);
  d->bounds = take(&c, (size_t)d->bound_count * 8);
  d->view_part = c.at;
  for (uint32_t i = 0; i < d->column_count; i++) {
    d->values[i] = take_str(&c);
  }
  const unsigned char *overflow = take(&c, 1);
  if (c.bad || c.at != size || !overflow || d->view_name.length == 0) {
    *problem = c.bad || !overflow ? "a length runs past the end of the description"
               : c.at != size     ? "bytes left over after the description"
                                  : "empty view name";
    return false;
  }
  d->overflow = *overflow != 0;
  return true;
}

int census__shm_gauge_mode_parse(const char *text) {
  static const char *const names[] = {
      [CENSUS_SHM_GAUGE_MOST_RECENT] = "most_recent",
      [CENSUS_SHM_GAUGE_MAX] = "max",
      [CENSUS_SHM_GAUGE_MIN] = "min",
      [CENSUS_SHM_GAUGE_SUM] = "sum",
      [CENSUS_SHM_GAUGE_ALL] = "all",
      [CENSUS_SHM_GAUGE_LIVE_MOST_RECENT] = "live_most_recent",
      [CENSUS_SHM_GAUGE_LIVE_MAX] = "live_max",
      [CENSUS_SHM_GAUGE_LIVE_MIN] = "live_min",
      [CENSUS_SHM_GAUGE_LIVE_SUM] = "live_sum",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(text, names[i]) == 0) {
      return (int)i;
    }
  }
  return -1;
}
