/* shm_read.c - shared-memory mode, the reading side.
 *
 * Reading a file. A file image (a read-only mapping of a live writer's file, a dead one's, the
 * archive, or a fuzzer's bytes) is walked from its header: version, checksum, then chunk by
 * chunk up to the header's `end`, record by record up to each chunk's `used`, with every offset
 * and length checked against the image before it is followed. A record's description has a
 * checksum; a live cell is copied with the gen protocol (read gen, copy slot gen & 1, acquire
 * fence, read gen again: equal means the copy is one committed state), so a torn update is never
 * read, whether its writer is running or was killed in the middle of it. The first problem ends
 * the walk of that file and is returned; what was read before it stays.
 *
 * Merging. Rows are keyed by (view part of the description, row part, pid); the pid is 0 except
 * for LAST_VALUE rows of live files, so that the gauge modes can tell processes apart. COUNT,
 * SUM and DISTRIBUTION rows merge with the collector's own merge (census__words_merge:
 * saturating, Chan et al. for distributions); LAST_VALUE rows keep the most recent value, the
 * minimum, maximum and sum (the archive's 5-word form) over processes: a process's cells of a
 * series (one per thread that set it, and its carried total) are first reduced to its most
 * recent value (struct mrow), so that min, max and sum fold one value per process. A view whose
 * name comes with two definitions keeps the first met; the other's rows are left out and reported
 * once.
 *
 * Compaction. Under an exclusive flock() on <dir>/census-compact.lock, taken without waiting by
 * whoever reads the group: the dead processes' files (their writer's shared lock is gone) and the
 * old archive are merged into a new archive, written to a temporary file, fsync()ed and renamed
 * over census-archive.shm; the archive lists the files it holds, and only then are they removed.
 * A crash at any point leaves either the old archive and the files, or the new archive and files
 * it lists (which readers skip and the next compaction removes): each dead process counts once,
 * and no total goes backwards. Readers hold the same lock shared while they read, so they never
 * see a compaction half done.
 */

#include "stats/shm_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "census/shm.h"
#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/hash.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "stats/aggregation.h"
#include "stats/exp_histogram.h"
#include "stats/exp_index.h"
#include "stats/shm_desc.h"
#include "stats/shm.h"
#include "stats/shm_format.h"
#include "stats/view_data.h"
#include "core/alloc.h"

#define MAX_WORDS (WORD_BUCKETS + CENSUS__SHM_MAX_BOUNDS + 1)
#define READ_TRIES 10000

struct mview {
  unsigned char *part; /* the description's view part (owned) */
  size_t part_size;
  struct census__shm_desc desc; /* its strings point into `part` */
  struct census_measure measure;
  struct census__rview rview; /* what census__words_merge() reads: type, bounds, words */
  bool conflict;
};

struct mrow {
  size_t view;
  uint64_t pid, hash;
  unsigned char *key; /* the description's row part (owned) */
  size_t key_size;
  size_t at; /* first word in merge->words */
  /* LAST_VALUE rows: the most recent [time, value] of the live cells met in file `file` (a
   * merge's count of files, census__shm_merge.file_seq), not yet folded into the row's words: a
   * process's value is its most recent one, whichever of its threads set it, so its cells are
   * reduced to that before the gauge modes' min, max and sum fold processes (lv_settle()). */
  uint64_t file, local_time, local_value;
};

struct census__shm_merge {
  struct mview *views;
  size_t view_count, view_cap;
  struct mrow *rows;
  size_t row_count, row_cap;
  uint64_t *words;
  size_t word_count, word_cap;
  size_t *table; /* open addressing: row index + 1, 0 empty */
  size_t table_mask;
  int64_t start_ns;
  char **names; /* the archive's list of files it holds */
  size_t name_count, name_cap;
  bool failed;       /* out of memory: the result would be incomplete */
  unsigned version;  /* the format version of the file being read */
  uint64_t file_seq; /* files merged so far: the file being read (struct mrow.file) */
  /* One record's words as read (merge_chunk()): here, not a thread-local, because the library's
   * initial-exec thread-locals (core/thread_local.h) put its whole TLS block in the static TLS
   * that dlopen() has little of. */
  uint64_t copy[MAX_WORDS];
};

/* ---- reported once ------------------------------------------------------------------------- */

static census__mutex reported_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SHM);
static uint64_t reported[256];
static size_t reported_count;

/* Reports `problem` about `what` through diagnostics, the first time this pair is met. */
static void report_once(const char *what, const char *problem) {
  uint64_t h = census__hash_combine(census__hash_bytes(what, strlen(what)),
                                    census__hash_bytes(problem, strlen(problem)));
  census__mutex_lock(&reported_mu);
  bool seen = false;
  for (size_t i = 0; i < reported_count && !seen; i++) {
    seen = reported[i] == h;
  }
  if (!seen) {
    reported[reported_count++ % 256] = h;
  }
  census__mutex_unlock(&reported_mu);
  if (!seen) {
    census__diag(CENSUS_ESYSTEM,
                 "shared-memory mode: %s: %s; left out of the merged view (the rest is read)", what,
                 problem);
  }
}

/* ---- the merge ----------------------------------------------------------------------------- */

struct census__shm_merge *census__shm_merge_new(void) {
  struct census__shm_merge *m = census__calloc(1, sizeof *m);
  if (m) {
    m->table_mask = 255;
    m->table = census__calloc(m->table_mask + 1, sizeof *m->table);
    m->start_ns = INT64_MAX;
    if (!m->table) {
      census__free(m);
      return NULL;
    }
  }
  return m;
}

void census__shm_merge_free(struct census__shm_merge *m) {
  if (!m) {
    return;
  }
  for (size_t i = 0; i < m->view_count; i++) {
    census__free(m->views[i].part);
  }
  for (size_t i = 0; i < m->row_count; i++) {
    census__free(m->rows[i].key);
  }
  for (size_t i = 0; i < m->name_count; i++) {
    census__free(m->names[i]);
  }
  census__free(m->names);
  census__free(m->views);
  census__free(m->rows);
  census__free(m->words);
  census__free(m->table);
  census__free(m);
}

static bool grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) {
    return true;
  }
  size_t n = *cap ? *cap : 16;
  while (n < need) {
    n *= 2;
  }
  void *q = census__realloc(*p, n * size);
  if (!q) {
    return false;
  }
  *p = q;
  *cap = n;
  return true;
}

/* The index of the view whose description part is `d`'s, added if new; SIZE_MAX when out of
 * memory or when its name is taken by another definition (reported once). */
static size_t view_find(struct census__shm_merge *m, const unsigned char *desc,
                        const struct census__shm_desc *d) {
  for (size_t i = 0; i < m->view_count; i++) {
    struct mview *v = &m->views[i];
    if (v->part_size == d->view_part && memcmp(v->part, desc, d->view_part) == 0) {
      return v->conflict ? SIZE_MAX : i;
    }
  }
  for (size_t i = 0; i < m->view_count; i++) {
    struct mview *v = &m->views[i];
    if (v->desc.view_name.length == d->view_name.length &&
        memcmp(v->desc.view_name.bytes, d->view_name.bytes, d->view_name.length) == 0) {
      char what[300];
      snprintf(what, sizeof what, "view \"%.*s\"", (int)(d->view_name.length % 256),
               d->view_name.bytes);
      report_once(what, "processes of the group define it differently (aggregation, columns, "
                        "bounds, measure or description); the first definition met is kept: "
                        "restart the group so that all run one version");
      return SIZE_MAX;
    }
  }
  /* Out of memory: the merge is incomplete, so it fails (tests/reliability/alloc_failure.c got
   * a merged view without the record's view and CENSUS_OK). */
  size_t cap = m->view_cap;
  if (!grow((void **)&m->views, &m->view_cap, m->view_count + 1, sizeof *m->views)) {
    m->failed = true;
    return SIZE_MAX;
  }
  if (m->view_cap != cap) {
    /* The array moved: each view's rview points at its own measure and at itself (set below),
     * which were in the old array (a merge of a 17th view used to read freed memory: ASan on
     * test_shm_shapes.c with 17 or more views). */
    for (size_t i = 0; i < m->view_count; i++) {
      m->views[i].rview.def.measure = &m->views[i].measure;
      m->views[i].rview.plain = &m->views[i].rview;
    }
  }
  struct mview *v = &m->views[m->view_count];
  memset(v, 0, sizeof *v);
  v->part = census__malloc(d->view_part);
  if (!v->part) {
    m->failed = true;
    return SIZE_MAX;
  }
  memcpy(v->part, desc, d->view_part);
  v->part_size = d->view_part;
  const char *problem;
  /* Re-decoding the view part alone is not possible (it ends before the values), so the desc
   * fields are copied and their pointers moved into the owned copy. */
  v->desc = *d;
  struct census__shm_str *strings[] = {&v->desc.view_name, &v->desc.view_description,
                                       &v->desc.measure_name, &v->desc.measure_description,
                                       &v->desc.unit};
  for (size_t i = 0; i < 5; i++) {
    strings[i]->bytes = (const char *)v->part + (strings[i]->bytes - (const char *)desc);
  }
  for (uint32_t c = 0; c < d->column_count; c++) {
    v->desc.columns[c].bytes = (const char *)v->part + (d->columns[c].bytes - (const char *)desc);
  }
  v->desc.bounds = d->bounds ? v->part + (d->bounds - desc) : NULL;
  (void)problem;
  v->measure.type = (census_measure_type)d->measure_type;
  v->measure.signed_values = d->signed_values;
  v->rview.def.measure = &v->measure;
  /* A signed measure's SUM merges as the collector's SIGNED_SUM (stats_internal.h). */
  v->rview.def.aggregation.type = d->aggregation == CENSUS_AGGREGATION_SUM && d->signed_values
                                      ? CENSUS__AGGREGATION_SIGNED_SUM
                                      : (census_aggregation_type)d->aggregation;
  v->rview.def.aggregation.bound_count = d->bound_count;
  v->rview.def.aggregation.max_size = d->max_size;
  v->rview.def.aggregation.max_scale = d->max_scale;
  v->rview.words = census__aggregation_words(&v->rview.def.aggregation);
  v->rview.layout_words = v->rview.words; /* shared cells carry no exemplars */
  v->rview.record_type = v->rview.def.aggregation.type;
  v->rview.plain = &v->rview;
  return m->view_count++;
}

/* The row (view, key, pid), added (empty) if new; SIZE_MAX on ENOMEM. */
static size_t row_find(struct census__shm_merge *m, size_t view, const unsigned char *key,
                       size_t key_size, uint64_t pid, size_t words) {
  uint64_t h =
      census__hash_combine(census__hash_combine(census__hash_bytes(key, key_size), view), pid);
  size_t i = h & m->table_mask;
  for (; m->table[i]; i = (i + 1) & m->table_mask) {
    struct mrow *r = &m->rows[m->table[i] - 1];
    if (r->hash == h && r->view == view && r->pid == pid && r->key_size == key_size &&
        memcmp(r->key, key, key_size) == 0) {
      return m->table[i] - 1;
    }
  }
  if (!grow((void **)&m->rows, &m->row_cap, m->row_count + 1, sizeof *m->rows) ||
      !grow((void **)&m->words, &m->word_cap, m->word_count + words, sizeof *m->words)) {
    return SIZE_MAX;
  }
  unsigned char *copy = census__malloc(key_size ? key_size : 1);
  if (!copy) {
    return SIZE_MAX;
  }
  memcpy(copy, key, key_size);
  struct mrow *r = &m->rows[m->row_count];
  *r = (struct mrow){view, pid, h, copy, key_size, m->word_count, 0, 0, 0};
  struct mview *v = &m->views[view];
  if (v->rview.def.aggregation.type == CENSUS_AGGREGATION_LAST_VALUE) {
    memset(m->words + r->at, 0, words * sizeof *m->words);
  } else {
    census__words_reset(&v->rview, m->words + r->at);
  }
  m->word_count += words;
  m->table[i] = ++m->row_count;
  if (m->row_count * 2 > m->table_mask) { /* rehash into a table twice the size */
    size_t mask = m->table_mask * 2 + 1;
    size_t *table = census__calloc(mask + 1, sizeof *table);
    if (table) {
      for (size_t k = 0; k < m->row_count; k++) {
        size_t j = m->rows[k].hash & mask;
        while (table[j]) {
          j = (j + 1) & mask;
        }
        table[j] = k + 1;
      }
      census__free(m->table);
      m->table = table;
      m->table_mask = mask;
    }
  }
  return m->row_count - 1;
}

static double lv_double(bool is_double, uint64_t w) {
  return is_double ? census__double_of(w) : (double)(int64_t)w;
}

/* Folds a LAST_VALUE state [time, value, min, max, sum] (from a live cell: [time, value]) into
 * the accumulator `acc` of the same form. Time 0: no value. */
static void lv_fold(bool is_double, uint64_t *acc, const uint64_t *from, bool five) {
  uint64_t time = from[0], value = from[1];
  if (time == 0) {
    return;
  }
  uint64_t mn = five ? from[2] : value, mx = five ? from[3] : value, sum = five ? from[4] : value;
  if (acc[0] == 0) {
    memcpy(acc, (uint64_t[]){time, value, mn, mx, sum}, 5 * sizeof *acc);
    return;
  }
  if (time >= acc[0]) {
    acc[0] = time;
    acc[1] = value;
  }
  if (lv_double(is_double, mn) < lv_double(is_double, acc[2])) {
    acc[2] = mn;
  }
  if (lv_double(is_double, mx) > lv_double(is_double, acc[3])) {
    acc[3] = mx;
  }
  acc[4] = is_double ? census__bits_of(census__double_of(acc[4]) + census__double_of(sum))
                     : (uint64_t)((int64_t)acc[4] + (int64_t)sum);
}

/* Folds row r's pending most recent value of one file (struct mrow) into its words. */
static void lv_settle(struct census__shm_merge *m, struct mrow *r, bool is_double) {
  if (r->local_time) {
    lv_fold(is_double, m->words + r->at, (uint64_t[]){r->local_time, r->local_value}, false);
    r->local_time = 0;
  }
}

/* Takes a live cell's [time, value] into row r: kept as the file's most recent so far, the
 * previous file's settled first (lv_settle()). */
static void lv_take(struct census__shm_merge *m, struct mrow *r, bool is_double,
                    const uint64_t *from) {
  if (from[0] == 0) {
    return;
  }
  if (r->file != m->file_seq) {
    lv_settle(m, r, is_double);
    r->file = m->file_seq;
  }
  if (from[0] >= r->local_time) {
    r->local_time = from[0];
    r->local_value = from[1];
  }
}

/* Whether an exponential histogram's words (a file's: anything) are a state the collector's merge
 * can take: a scale the view allows, and buckets whose indices a finite double can have at that
 * scale (-1075 * 2^s .. 1024 * 2^s, rounded outwards below scale 0), so that the merge's
 * downscaling always fits them in max_size slots by scale -10. */
static bool exp_words_valid(const struct census__shm_desc *d, const uint64_t *w) {
  int64_t scale = (int64_t)w[WORD_EXP_SCALE], base = (int64_t)w[WORD_EXP_BASE];
  size_t first, last;
  if (!census__exp_used_range(w, d->max_size, &first, &last)) {
    return true; /* no bucket counts: scale and base are not read */
  }
  if (scale < CENSUS__EXP_MIN_SCALE || scale > d->max_scale) {
    return false;
  }
  int64_t lo = scale >= 0 ? -(1075LL << scale) : -(1075LL >> -scale) - 1;
  int64_t hi = scale >= 0 ? (1024LL << scale) : (1024LL >> -scale);
  return base >= lo && base <= hi && base + (int64_t)first >= lo && base + (int64_t)last <= hi;
}

/* Adds one record (its description and a consistent copy of its words) to the merge. */
static const char *merge_record(struct census__shm_merge *m, const unsigned char *desc,
                                size_t desc_size, const uint64_t *words, size_t word_count,
                                bool archived, uint64_t pid) {
  struct census__shm_desc d;
  const char *problem = NULL;
  if (!census__shm_desc_decode(desc, desc_size, m->version, &d, &problem)) {
    return problem;
  }
  size_t view = view_find(m, desc, &d);
  if (view == SIZE_MAX) {
    return NULL; /* a conflicting definition (reported) or no memory (below) */
  }
  struct mview *v = &m->views[view];
  bool lv = d.aggregation == CENSUS_AGGREGATION_LAST_VALUE;
  size_t expect = lv && archived ? CENSUS__SHM_ARCHIVE_LV_WORDS : v->rview.words;
  if (word_count != expect) {
    return "a record's word count does not match its aggregation";
  }
  size_t row = row_find(m, view, desc + d.view_part, desc_size - d.view_part,
                        lv && !archived ? pid : 0, lv ? CENSUS__SHM_ARCHIVE_LV_WORDS : expect);
  if (row == SIZE_MAX) {
    m->failed = true;
    return NULL;
  }
  uint64_t *acc = m->words + m->rows[row].at;
  if (d.aggregation == CENSUS_AGGREGATION_EXPONENTIAL && !exp_words_valid(&d, words)) {
    return "an exponential histogram's scale or buckets are out of range (damaged)";
  }
  if (lv && archived) { /* a dead process's value, or several's, folded at compaction */
    lv_fold(d.measure_type == CENSUS_MEASURE_DOUBLE, acc, words, true);
  } else if (lv) {
    lv_take(m, &m->rows[row], d.measure_type == CENSUS_MEASURE_DOUBLE, words);
  } else if (census__words_populated(&v->rview, words)) {
    census__words_merge(&v->rview, acc, words);
  }
  return NULL;
}

/* Copies one consistent state of a live cell into `out`: false if its writer kept it moving for
 * READ_TRIES attempts (then it is read at the next scrape). */
static bool cell_copy(_Atomic uint64_t *gen, _Atomic uint64_t *slots, size_t words, uint64_t *out) {
  for (int t = 0; t < READ_TRIES; t++) {
    uint64_t g1 = atomic_load_explicit(gen, memory_order_acquire);
    _Atomic uint64_t *slot = slots + (g1 & 1) * words;
    for (size_t i = 0; i < words; i++) {
      out[i] = atomic_load_explicit(&slot[i], memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(gen, memory_order_relaxed) == g1) {
      return true;
    }
  }
  return false;
}

/* The archive's list of files: a description of u32-length names after the 4-byte head. */
static const char *read_names(struct census__shm_merge *m, const unsigned char *desc, size_t size) {
  size_t at = 4;
  while (at < size) {
    uint32_t n;
    if (size - at < 4) {
      return "the archive's file list is damaged";
    }
    memcpy(&n, desc + at, 4);
    at += 4;
    if (n > size - at || n == 0 || n > 255) {
      return "the archive's file list is damaged";
    }
    if (!grow((void **)&m->names, &m->name_cap, m->name_count + 1, sizeof(char *))) {
      m->failed = true;
      return NULL;
    }
    m->names[m->name_count] = census__strndup((const char *)desc + at, n);
    if (!m->names[m->name_count]) {
      m->failed = true;
      return NULL;
    }
    m->name_count++;
    at += n;
  }
  return NULL;
}

/* Walks one chunk's records. */
static const char *merge_chunk(struct census__shm_merge *m, const unsigned char *chunk, size_t used,
                               uint64_t pid, bool archive) {
  uint64_t *words = m->copy;
  size_t at = 0;
  while (at < used) {
    if (used - at < CENSUS__SHM_RECORD_HEAD) {
      return "a record header runs past its chunk";
    }
    struct census__shm_record r;
    memcpy(&r, chunk + at, sizeof r);
    if (r.magic != CENSUS__SHM_CELL_MAGIC || r.size % 8 || r.size > used - at ||
        r.size < CENSUS__SHM_RECORD_HEAD || r.desc_size > r.size || r.words > MAX_WORDS ||
        (r.slots != 1 && r.slots != 2) ||
        census__shm_record_size(r.desc_size, r.words, r.slots) != r.size) {
      return "a record header is damaged (torn or overwritten)";
    }
    const unsigned char *desc = chunk + at + CENSUS__SHM_RECORD_HEAD;
    if (census__shm_record_checksum(&r, desc) != r.checksum) {
      return "a record's description fails its checksum (torn or overwritten)";
    }
    _Atomic uint64_t *gen = (_Atomic uint64_t *)(desc + census__shm_pad8(r.desc_size));
    const char *problem = NULL;
    if (r.words == 0 && r.desc_size >= 4 && desc[0] == CENSUS__SHM_NAMES_AGGREGATION) {
      problem = archive ? read_names(m, desc, r.desc_size) : "a file list outside an archive";
    } else if (r.slots == 2 ? !cell_copy(gen, gen + 2, r.words, words)
                            : (memcpy(words, (const void *)(gen + 2), r.words * 8), false)) {
      problem = "a cell kept changing while it was read (read at the next scrape)";
    } else {
      problem = merge_record(m, desc, r.desc_size, words, r.words, r.slots == 1, pid);
    }
    if (problem) {
      return problem;
    }
    at += r.size;
  }
  return NULL;
}

const char *census__shm_merge_file(struct census__shm_merge *m, const unsigned char *data,
                                   size_t size, bool live) {
  if (size == 0) {
    return "empty file";
  }
  if (size < CENSUS__SHM_HEADER_SIZE || ((uintptr_t)data & 7)) {
    return "shorter than a header";
  }
  struct census__shm_header *h = (void *)data;
  if (memcmp(h->magic, CENSUS__SHM_MAGIC, 8) != 0) {
    return "not a census shared-memory file (bad magic)";
  }
  if (h->version < CENSUS__SHM_VERSION_MIN || h->version > CENSUS__SHM_VERSION) {
    return "written in another format version than this census reads (1 and 2): run one "
           "census version across the group, or read it with the census that wrote it";
  }
  if (h->checksum != census__shm_header_checksum(h) || h->header_size != CENSUS__SHM_HEADER_SIZE ||
      (h->kind != CENSUS__SHM_KIND_PROCESS && h->kind != CENSUS__SHM_KIND_ARCHIVE)) {
    return "header damaged (checksum)";
  }
  bool archive = h->kind == CENSUS__SHM_KIND_ARCHIVE;
  m->version = h->version;
  m->file_seq++;
  if (h->start_ns < m->start_ns) {
    m->start_ns = h->start_ns;
  }
  uint64_t end = atomic_load_explicit(&h->end, memory_order_acquire);
  end = end > size ? size : end; /* grown since mapped: the rest is read next time */
  uint64_t at = CENSUS__SHM_HEADER_SIZE;
  while (at + CENSUS__SHM_CHUNK_HEADER <= end) {
    struct census__shm_chunk *c = (void *)(data + at);
    if (c->magic != CENSUS__SHM_CHUNK_MAGIC || c->size % 64 || c->size < CENSUS__SHM_CHUNK_HEADER) {
      return "a chunk header is damaged (torn or overwritten)";
    }
    /* A chunk may run past a copy cut short; its records must not. */
    uint64_t room = (c->size < size - at ? c->size : size - at) - CENSUS__SHM_CHUNK_HEADER;
    uint64_t used = atomic_load_explicit(&c->used, memory_order_acquire);
    if (used > room) {
      return used > c->size - CENSUS__SHM_CHUNK_HEADER
                 ? "a chunk claims more records than it holds"
                 : "the file ends inside a chunk's records (truncated)";
    }
    const char *problem =
        merge_chunk(m, data + at + CENSUS__SHM_CHUNK_HEADER, used, live ? h->pid : 0, archive);
    if (problem) {
      return problem;
    }
    if (c->size > size - at) {
      break;
    }
    at += c->size;
  }
  /* A live file grows by whole segments, so a reader's older size ends on a chunk boundary: a
   * walk that stops elsewhere met a file cut short. */
  if (at < end && at + CENSUS__SHM_CHUNK_HEADER > end && at != size) {
    return "the file ends inside a chunk header (truncated)";
  }
  return NULL;
}

/* ---- the merged view ----------------------------------------------------------------------- */

/* A NUL-terminated copy of a description string (free() it). */
static char *str_dup(struct census__shm_str s) { return census__strndup(s.bytes, s.length); }

/* The process's measure for view `v` (made if this process has none yet), or NULL (reported). */
static const census_measure *view_measure(const struct mview *v) {
  char *name = str_dup(v->desc.measure_name), *description = str_dup(v->desc.measure_description);
  char *unit = str_dup(v->desc.unit);
  const census_measure *measure = NULL;
  census_status status = CENSUS_ENOMEM;
  if (name && description && unit) {
    census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
    o.name = name;
    o.description = description;
    o.unit = unit;
    o.value_type = (census_measure_type)v->desc.measure_type;
    o.signed_values = v->desc.signed_values;
    measure = census_measure_new(&o, &status);
  }
  if (!measure) {
    char what[300];
    snprintf(what, sizeof what, "view \"%.*s\"", (int)(v->desc.view_name.length % 256),
             v->desc.view_name.bytes);
    report_once(what, census_status_str(status));
  }
  census__free(name);
  census__free(description);
  census__free(unit);
  return measure;
}

/* Row key (column values, overflow flag) to NUL-terminated strings appended at *text. */
static bool key_values(const struct mrow *r, size_t columns, char **values, bool *overflow) {
  size_t at = 0;
  for (size_t c = 0; c < columns; c++) {
    uint32_t n;
    memcpy(&n, r->key + at, 4);
    values[c] = census__strndup((const char *)r->key + at + 4, n);
    if (!values[c]) {
      return false;
    }
    at += 4 + n;
  }
  *overflow = r->key[at] != 0;
  return true;
}

struct out {
  const char **values;
  uint64_t *totals;
  bool *overflow;
  size_t rows, columns, words, values_cap, totals_cap, overflow_cap;
};

static bool out_add(struct out *o, const struct mrow *r, size_t key_columns, const uint64_t *w,
                    uint64_t pid) {
  if (!grow((void **)&o->values, &o->values_cap, (o->rows + 1) * o->columns + 1,
            sizeof *o->values) ||
      !grow((void **)&o->totals, &o->totals_cap, (o->rows + 1) * o->words + 1, sizeof *o->totals) ||
      !grow((void **)&o->overflow, &o->overflow_cap, o->rows + 1, sizeof *o->overflow)) {
    return false;
  }
  const char **values = o->values + o->rows * o->columns;
  memset(values, 0, o->columns * sizeof *values);
  if (!key_values(r, key_columns, (char **)values, &o->overflow[o->rows])) {
    return false;
  }
  if (o->columns > key_columns) {
    char pid_text[24];
    snprintf(pid_text, sizeof pid_text, "%llu", (unsigned long long)pid);
    if (!(values[key_columns] = census__strdup(pid_text))) {
      return false;
    }
  }
  memcpy(o->totals + o->rows * o->words, w, o->words * sizeof *w);
  o->rows++;
  return true;
}

static void out_free(struct out *o) {
  for (size_t i = 0; o->values && i < o->rows * o->columns; i++) {
    census__free((char *)o->values[i]);
  }
  census__free(o->values);
  census__free(o->totals);
  census__free(o->overflow);
}

/* The [time, value] a LAST_VALUE row shows under `mode`, from a 5-word accumulator. */
static void lv_pick(int mode, const uint64_t *acc, uint64_t *out) {
  int base = mode >= CENSUS_SHM_GAUGE_LIVE_MOST_RECENT
                 ? mode - CENSUS_SHM_GAUGE_LIVE_MOST_RECENT + CENSUS_SHM_GAUGE_MOST_RECENT
                 : mode;
  out[0] = acc[0];
  out[1] = base == CENSUS_SHM_GAUGE_MAX   ? acc[3]
           : base == CENSUS_SHM_GAUGE_MIN ? acc[2]
           : base == CENSUS_SHM_GAUGE_SUM ? acc[4]
                                          : acc[1];
}

/* The rows of LAST_VALUE view `vi` under `mode`: per process (ALL) or folded per key. */
static bool lv_rows(struct census__shm_merge *m, size_t vi, int mode, struct out *o) {
  size_t columns = m->views[vi].desc.column_count;
  bool is_double = m->views[vi].desc.measure_type == CENSUS_MEASURE_DOUBLE;
  bool live_only = mode >= CENSUS_SHM_GAUGE_ALL;
  bool ok = true;
  /* Fold rows of one key (several pids) into the first row of that key met. */
  size_t *first = census__calloc(m->row_count ? m->row_count : 1, sizeof *first);
  uint64_t *acc = census__calloc(m->row_count ? m->row_count : 1, 5 * sizeof *acc);
  ok = first && acc;
  for (size_t i = 0; ok && i < m->row_count; i++) {
    const struct mrow *r = &m->rows[i];
    if (r->view != vi || (live_only && r->pid == 0)) {
      continue;
    }
    lv_settle(m, &m->rows[i], is_double);
    const uint64_t *w = m->words + r->at;
    if (mode == CENSUS_SHM_GAUGE_ALL) {
      uint64_t shown[2] = {w[0], w[1]};
      ok = w[0] == 0 || out_add(o, r, columns, shown, r->pid);
      continue;
    }
    size_t j = 0;
    while (j < i && !(first[j] && m->rows[j].view == vi && m->rows[j].key_size == r->key_size &&
                      memcmp(m->rows[j].key, r->key, r->key_size) == 0)) {
      j++;
    }
    first[j] = 1;
    lv_fold(is_double, acc + 5 * j, w, true);
  }
  for (size_t j = 0; ok && mode != CENSUS_SHM_GAUGE_ALL && j < m->row_count; j++) {
    if (first[j] && acc[5 * j]) {
      uint64_t shown[2];
      lv_pick(mode, acc + 5 * j, shown);
      ok = out_add(o, &m->rows[j], columns, shown, 0);
    }
  }
  census__free(first);
  census__free(acc);
  return ok;
}

/* The snapshot of view `vi`, or NULL (its measure or columns conflict: reported; or ENOMEM). */
static census_view_data *view_build(struct census__shm_merge *m, size_t vi, int mode, int64_t now,
                                    bool *nomem) {
  struct mview *v = &m->views[vi];
  const census_measure *measure = view_measure(v);
  if (!measure) {
    return NULL;
  }
  bool lv = v->desc.aggregation == CENSUS_AGGREGATION_LAST_VALUE;
  size_t columns = v->desc.column_count + (lv && mode == CENSUS_SHM_GAUGE_ALL);
  const char *names[CENSUS__SHM_MAX_COLUMNS + 1];
  for (size_t c = 0; c < columns; c++) {
    char *name = c < v->desc.column_count ? str_dup(v->desc.columns[c]) : census__strdup("pid");
    const census_tag_key *key = name ? census_tag_key_new(name, NULL) : NULL;
    census__free(name);
    if (!key) {
      report_once("a view's column", "not a valid tag key name");
      return NULL;
    }
    names[c] = census_tag_key_name(key);
  }
  struct out o = {.columns = columns, .words = v->rview.words};
  bool ok = true;
  if (lv) {
    ok = lv_rows(m, vi, mode, &o);
  } else {
    for (size_t i = 0; ok && i < m->row_count; i++) {
      const struct mrow *r = &m->rows[i];
      if (r->view == vi && census__words_populated(&v->rview, m->words + r->at)) {
        ok = out_add(&o, r, v->desc.column_count, m->words + r->at, 0);
      }
    }
  }
  double *bounds = census__malloc((v->desc.bound_count ? v->desc.bound_count : 1) * sizeof *bounds);
  char *name = str_dup(v->desc.view_name), *description = str_dup(v->desc.view_description);
  census_view_data *d = NULL;
  if (ok && bounds && name && description) {
    if (v->desc.bound_count) {
      memcpy(bounds, v->desc.bounds, v->desc.bound_count * sizeof *bounds);
    }
    struct census__view_data_rows rows = {name,
                                          description,
                                          measure,
                                          (census_aggregation_type)v->desc.aggregation,
                                          names,
                                          columns,
                                          bounds,
                                          v->desc.bound_count,
                                          o.words,
                                          v->desc.max_size,
                                          m->start_ns < now ? m->start_ns : now,
                                          now,
                                          o.rows,
                                          o.values,
                                          o.totals,
                                          o.overflow};
    d = census__view_data_from_rows(&rows);
  }
  *nomem = !d;
  census__free(bounds);
  census__free(name);
  census__free(description);
  out_free(&o);
  return d;
}

census_status census__shm_merge_views(struct census__shm_merge *m, int mode,
                                      census_view_data ***views, size_t *count) {
  *views = NULL;
  *count = 0;
  census_view_data **all = census__calloc(m->view_count ? m->view_count : 1, sizeof *all);
  if (!all || m->failed) {
    census__free(all);
    return CENSUS_ENOMEM;
  }
  int64_t now = census__unix_ns();
  for (size_t i = 0; i < m->view_count; i++) {
    bool nomem = false;
    census_view_data *d = m->views[i].conflict ? NULL : view_build(m, i, mode, now, &nomem);
    if (d) {
      all[(*count)++] = d;
    }
  }
  *views = all;
  return CENSUS_OK;
}

/* ---- files, the archive, compaction -------------------------------------------------------- */

#define ARCHIVE_NAME "census-archive.shm"
#define ARCHIVE_TMP "census-archive.tmp"
#define COMPACT_LOCK "census-compact.lock"

static bool has_suffix(const char *name, const char *suffix) {
  size_t n = strlen(name), k = strlen(suffix);
  return n > k && strcmp(name + n - k, suffix) == 0;
}

/* A process's file: census-<pid>-<nonce>.shm. */
static bool is_process_file(const char *name) {
  return strncmp(name, "census-", 7) == 0 && has_suffix(name, ".shm") &&
         strcmp(name, ARCHIVE_NAME) != 0;
}

struct mapped {
  int fd;
  unsigned char *data;
  size_t size;
};

/* Opens and maps `name` in `dirfd` read-only: NULL, or the problem (the file vanished, or is
 * empty). A problem leaves nothing open. */
static const char *file_map(int dirfd, const char *name, struct mapped *f) {
  f->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  f->data = NULL;
  f->size = 0;
  if (f->fd < 0) {
    return errno == ENOENT ? "the file vanished while the group was read" : strerror(errno);
  }
  struct stat st;
  if (fstat(f->fd, &st) != 0 || st.st_size == 0) {
    close(f->fd);
    f->fd = -1;
    return "empty file (created, never written: left by a process killed at that moment, or "
           "not census's)";
  }
  f->size = (size_t)st.st_size;
  void *p = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
  if (p == MAP_FAILED) {
    close(f->fd);
    f->fd = -1;
    return strerror(errno);
  }
  f->data = p;
  return NULL;
}

static void file_unmap(struct mapped *f) {
  if (f->data) {
    munmap(f->data, f->size);
  }
  if (f->fd >= 0) {
    close(f->fd);
  }
  f->data = NULL;
  f->fd = -1;
}

/* Whether the file's writer is gone: nobody holds its shared lock. */
static bool file_dead(int fd) {
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return false;
  }
  flock(fd, LOCK_UN);
  return true;
}

static void report_file(const char *dir, const char *name, const char *problem) {
  char what[4200];
  snprintf(what, sizeof what, "%s/%s", dir, name);
  report_once(what, problem);
}

/* Reads `name` into `m` (the writer's liveness decided by its lock); problems reported. */
static void read_one(struct census__shm_merge *m, const char *dir, int dirfd, const char *name,
                     bool *dead) {
  struct mapped f;
  const char *problem = file_map(dirfd, name, &f);
  if (!problem) {
    *dead = file_dead(f.fd);
    problem = census__shm_merge_file(m, f.data, f.size, !*dead);
  }
  if (problem) {
    report_file(dir, name, problem);
  }
  file_unmap(&f);
}

static bool name_listed(const struct census__shm_merge *m, const char *name) {
  for (size_t i = 0; i < m->name_count; i++) {
    if (strcmp(m->names[i], name) == 0) {
      return true;
    }
  }
  return false;
}

struct image {
  unsigned char *p;
  size_t n, cap;
};

static bool image_put(struct image *im, const void *bytes, size_t n) {
  if (n == 0) {
    return true;
  }
  if (!grow((void **)&im->p, &im->cap, im->n + n, 1)) {
    return false;
  }
  memcpy(im->p + im->n, bytes, n);
  im->n += n;
  return true;
}

/* Appends one record with description (a, an) + (b, bn) and one slot of `words`. */
static bool image_record(struct image *im, const unsigned char *a, size_t an,
                         const unsigned char *b, size_t bn, const uint64_t *words, size_t count) {
  size_t desc_size = an + bn;
  struct census__shm_record r = {
      CENSUS__SHM_CELL_MAGIC, (uint32_t)census__shm_record_size(desc_size, count, 1),
      (uint32_t)desc_size,    0,
      (uint32_t)count,        1};
  unsigned char *desc = census__malloc(desc_size ? desc_size : 1);
  if (!desc) {
    return false;
  }
  if (an) {
    memcpy(desc, a, an);
  }
  if (bn) {
    memcpy(desc + an, b, bn);
  }
  r.checksum = census__shm_record_checksum(&r, desc);
  static const unsigned char zeros[16];
  bool ok = image_put(im, &r, sizeof r) && image_put(im, desc, desc_size) &&
            image_put(im, zeros, census__shm_pad8(desc_size) - desc_size) &&
            image_put(im, zeros, 16) && image_put(im, words, count * 8);
  census__free(desc);
  return ok;
}

/* The archive holding everything in `m` and listing `names`: a header and one chunk. */
static bool archive_image(struct census__shm_merge *m, char **names, size_t name_count,
                          struct image *im) {
  struct census__shm_header h = {0};
  memcpy(h.magic, CENSUS__SHM_MAGIC, 8);
  h.version = CENSUS__SHM_VERSION;
  h.header_size = CENSUS__SHM_HEADER_SIZE;
  h.kind = CENSUS__SHM_KIND_ARCHIVE;
  h.start_ns = m->start_ns == INT64_MAX ? census__unix_ns() : m->start_ns;
  h.checksum = census__shm_header_checksum(&h);
  unsigned char pad[CENSUS__SHM_HEADER_SIZE] = {0};
  struct census__shm_chunk c = {.magic = CENSUS__SHM_CHUNK_MAGIC};
  bool ok = image_put(im, &h, sizeof h) && image_put(im, pad, sizeof pad - sizeof h) &&
            image_put(im, &c, sizeof c);
  unsigned char head[4] = {CENSUS__SHM_NAMES_AGGREGATION, 0, 0, 0};
  struct image list = {0};
  ok = ok && image_put(&list, head, 4);
  for (size_t i = 0; ok && i < name_count; i++) {
    uint32_t n = (uint32_t)strlen(names[i]);
    ok = image_put(&list, &n, 4) && image_put(&list, names[i], n);
  }
  ok = ok && image_record(im, list.p, list.n, NULL, 0, NULL, 0);
  census__free(list.p);
  for (size_t i = 0; ok && i < m->row_count; i++) {
    struct mrow *r = &m->rows[i];
    const struct mview *v = &m->views[r->view];
    bool lv = v->desc.aggregation == CENSUS_AGGREGATION_LAST_VALUE;
    if (lv) {
      lv_settle(m, r, v->desc.measure_type == CENSUS_MEASURE_DOUBLE);
    }
    ok = image_record(im, v->part, v->part_size, r->key, r->key_size, m->words + r->at,
                      lv ? CENSUS__SHM_ARCHIVE_LV_WORDS : v->rview.words);
  }
  size_t used = im->n - CENSUS__SHM_HEADER_SIZE - CENSUS__SHM_CHUNK_HEADER; /* before padding */
  size_t chunk_size = (im->n - CENSUS__SHM_HEADER_SIZE + 63) & ~(size_t)63;
  static const unsigned char zeros[64];
  ok = ok && image_put(im, zeros, chunk_size - (im->n - CENSUS__SHM_HEADER_SIZE));
  if (ok) {
    struct census__shm_chunk *chunk = (void *)(im->p + CENSUS__SHM_HEADER_SIZE);
    chunk->size = chunk_size;
    atomic_store(&chunk->used, used);
    struct census__shm_header *hp = (void *)im->p;
    atomic_store(&hp->end, im->n);
  }
  return ok;
}

/* Writes the image to census-archive.tmp, syncs it and renames it over the archive: 0 or an
 * errno (then the old archive stands and the temporary file is gone). */
static int archive_write(int dirfd, const struct image *im) {
  int fd = openat(dirfd, ARCHIVE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno;
  }
  int err = 0;
  for (size_t at = 0; !err && at < im->n;) {
    ssize_t n = write(fd, im->p + at, im->n - at);
    err = n < 0 ? (errno == EINTR ? 0 : errno) : 0;
    at += n > 0 ? (size_t)n : 0;
  }
  err = err ? err : fsync(fd) ? errno : 0;
  err = close(fd) && !err ? errno : err;
  err = err ? err : renameat(dirfd, ARCHIVE_TMP, dirfd, ARCHIVE_NAME) ? errno : 0;
  if (err) {
    unlinkat(dirfd, ARCHIVE_TMP, 0);
  } else {
    fsync(dirfd);
  }
  return err;
}

/* A list of file names (owned). */
struct names {
  char **v;
  size_t count, cap;
};

static bool names_add(struct names *n, const char *name) {
  return grow((void **)&n->v, &n->cap, n->count + 1, sizeof *n->v) &&
         (n->v[n->count] = census__strdup(name)) && ++n->count;
}

static void names_free(struct names *n) {
  for (size_t i = 0; i < n->count; i++) {
    census__free(n->v[i]);
  }
  census__free(n->v);
}

/* Removes `name` if it is the temporary file of a writer killed while creating its file (older
 * than a minute, nobody holding its lock). True when `name` is a temporary file. */
static bool remove_stale_tmp(int dirfd, const char *name, int64_t now) {
  struct stat st;
  if (strncmp(name, "census-", 7) != 0 || !has_suffix(name, ".tmp")) {
    return false;
  }
  if (fstatat(dirfd, name, &st, 0) == 0 && now - st.st_mtim.tv_sec * 1000000000LL > 60e9) {
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && file_dead(fd)) {
      unlinkat(dirfd, name, 0);
    }
    if (fd >= 0) {
      close(fd);
    }
  }
  return true;
}

/* Merges process file `name` into `m` if its writer is dead and the file reads whole: true then.
 * A dead file with a problem stays where it is, read (as far as it can be) by every scrape,
 * reported once: census never deletes what it could not read. It is first read into a scratch
 * merge, so none of its records reach the archive. */
static bool take_dead(struct census__shm_merge *m, const char *dir, int dirfd, const char *name) {
  bool is_dead = false;
  struct mapped f;
  const char *problem = file_map(dirfd, name, &f);
  if (!problem && (is_dead = file_dead(f.fd))) {
    struct census__shm_merge *trial = census__shm_merge_new();
    problem = trial ? census__shm_merge_file(trial, f.data, f.size, false) : "out of memory";
    if (!problem && !trial->failed) {
      census__shm_merge_file(m, f.data, f.size, false);
    }
    is_dead = !problem && trial && !trial->failed;
    census__shm_merge_free(trial);
  }
  if (problem) {
    report_file(dir, name, problem);
  }
  file_unmap(&f);
  return is_dead;
}

/* Writes the archive of `m` listing `held` and, once it is in place, removes those files.
 * Returns whether the archive was written. */
static bool compact_commit(struct census__shm_merge *m, const char *dir, int dirfd,
                           struct names *held) {
  struct image im = {0};
  int err = archive_image(m, held->v, held->count, &im) ? archive_write(dirfd, &im) : ENOMEM;
  if (err) {
    report_file(dir, ARCHIVE_NAME,
                err == ENOSPC ? "no space left to write the archive (compaction waits; the "
                                "dead processes' files are read as they are)"
                              : strerror(err));
  }
  for (size_t i = 0; !err && i < held->count; i++) {
    unlinkat(dirfd, held->v[i], 0);
  }
  census__free(im.p);
  return !err;
}

/* Compaction (caller holds the compaction lock exclusively): see the file comment. Files the
 * old archive lists (a compactor crashed before removing them) are removed now, or listed again
 * when they cannot be. Returns the number of dead process files the new archive took in (0 when
 * none was dead or the archive could not be written). */
static size_t compact(const char *dir, int dirfd) {
  struct census__shm_merge *m = census__shm_merge_new();
  DIR *d = fdopendir(dup(dirfd));
  if (d) {
    rewinddir(d);
  }
  struct names held = {0};
  size_t dead = 0;
  bool ok = m && d;
  bool unused;
  if (ok && faccessat(dirfd, ARCHIVE_NAME, F_OK, 0) == 0) {
    read_one(m, dir, dirfd, ARCHIVE_NAME, &unused);
  }
  unlinkat(dirfd, ARCHIVE_TMP, 0); /* a compactor's that crashed: we hold the lock */
  int64_t now = census__unix_ns();
  for (struct dirent *e; ok && (e = readdir(d));) {
    const char *name = e->d_name;
    if (remove_stale_tmp(dirfd, name, now) || !is_process_file(name)) {
      continue;
    }
    if (name_listed(m, name)) {
      if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
        ok = names_add(&held, name);
      }
    } else if (take_dead(m, dir, dirfd, name)) {
      ok = names_add(&held, name);
      dead++;
    }
  }
  size_t compacted = 0;
  if (ok && !m->failed && dead) {
    compacted = compact_commit(m, dir, dirfd, &held) ? dead : 0;
  }
  names_free(&held);
  if (d) {
    closedir(d);
  }
  census__shm_merge_free(m);
  return compacted;
}

census_status census__shm_read_dir(const char *dir, int mode, census_view_data ***views,
                                   size_t *count) {
  *views = NULL;
  *count = 0;
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    census__diag(CENSUS_ESYSTEM, "shared-memory mode: cannot open the group directory %s: %s", dir,
                 strerror(errno));
    return CENSUS_ESYSTEM;
  }
  int lock = openat(dirfd, COMPACT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0) {
    compact(dir, dirfd);
  } else if (lock >= 0) {
    flock(lock, LOCK_SH);
  } else {
    report_file(dir, COMPACT_LOCK, "cannot be opened: reading without compaction");
  }
  struct census__shm_merge *m = census__shm_merge_new();
  DIR *d = fdopendir(dup(dirfd));
  census_status status = m && d ? CENSUS_OK : CENSUS_ENOMEM;
  if (d) {
    rewinddir(d); /* a dup() shares the offset the compaction's listing moved */
  }
  bool unused;
  if (status == CENSUS_OK && faccessat(dirfd, ARCHIVE_NAME, F_OK, 0) == 0) {
    read_one(m, dir, dirfd, ARCHIVE_NAME, &unused);
  }
  for (struct dirent *e; status == CENSUS_OK && (e = readdir(d));) {
    if (is_process_file(e->d_name) && !name_listed(m, e->d_name)) {
      read_one(m, dir, dirfd, e->d_name, &unused);
    }
  }
  if (lock >= 0) {
    close(lock); /* releases the lock */
  }
  if (status == CENSUS_OK) {
    status = census__shm_merge_views(m, mode, views, count);
  }
  if (d) {
    closedir(d);
  }
  census__shm_merge_free(m);
  close(dirfd);
  return status;
}

CENSUS_EXPORT census_status census_shm_view_data_get_all(const char *dir, census_view_data ***views,
                                                         size_t *count) {
  if (!dir || !views || !count) {
    return CENSUS_EINVAL;
  }
  *views = NULL;
  *count = 0;
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  return census__shm_read_dir(dir, census__shm_gauge_mode(), views, count);
}

CENSUS_EXPORT census_status census_shm_compact(const char *dir, size_t *compacted) {
  if (compacted) {
    *compacted = 0;
  }
  if (!dir) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    census__diag(CENSUS_ESYSTEM, "shared-memory mode: cannot open the group directory %s: %s", dir,
                 strerror(errno));
    return CENSUS_ESYSTEM;
  }
  int lock = openat(dirfd, COMPACT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) {
    census__diag(CENSUS_ESYSTEM, "shared-memory mode: cannot open %s/%s: %s", dir, COMPACT_LOCK,
                 strerror(errno));
    close(dirfd);
    return CENSUS_ESYSTEM;
  }
  while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  size_t n = compact(dir, dirfd);
  close(lock); /* releases the lock */
  close(dirfd);
  if (compacted) {
    *compacted = n;
  }
  return CENSUS_OK;
}
