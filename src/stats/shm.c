/* shm.c - shared-memory mode, the writing side.
 *
 * Opt in with census_shm_enable(dir) or CENSUS_SHM_DIR, at any time, before or after fork().
 * Each process then keeps, beside its in-process cells, a shared cell per (thread, series) in a
 * file of its own, <dir>/census-<pid>-<nonce>.shm (format: shm_format.h), mapped into memory.
 * The shared cell is cumulative (never reset) and written by its thread only, with the same
 * discipline as the in-process cells: each thread carves its shared cells from chunks of the
 * file that only it writes, so no written cache line is shared; an update is plain loads and
 * stores and one release store (census__shm_cell_update()). Nothing on the record path locks or
 * makes a system call: a cell attaches to the file on its first record after the epoch moved
 * (census__shm_cell_attach(), the slow path, under SHM).
 *
 * The pid is read when the file is opened, on a cell's slow path, never cached across fork():
 * the fork child closes the parent's file and mappings (census__shm_fork_child()) and bumps the
 * epoch, and its thread states are new anyway, so its first record opens a file for its own pid
 * (getpid() is compared again there, for a child made without the fork handlers).
 *
 * The file is made under a temporary name, its first segment reserved (posix_fallocate: a full
 * disk is an error here, never a SIGBUS later), its header written, a shared flock() taken (a
 * reader tells a live writer from a dead one by trying an exclusive lock; the kernel drops a
 * dead process's lock whatever killed it, and pid reuse cannot fool it), then renamed into
 * place. The file grows by segments, each mapped on its own so cells never move; a chunk never
 * spans two segments (the rest of a segment becomes an empty chunk).
 *
 * A cell that cannot be attached (full disk, no memory, a directory gone) keeps recording in
 * process only, into the series' totals, which the carry below writes into the file when it can:
 * the first failure is reported, each counted in census_shm_stats().
 *
 * The process's own cells. Besides the threads' cells, the file holds cells that belong to the
 * process, one per (view, series), in one table (process_cells, under SHM, keyed by series;
 * emptied when file_gen moves: a closed file, a fork child's parent's), written only under
 * COLLECT, so one writer at a time:
 *   - an observable counter's series (OBSERVED_SUM): its callbacks report the process's total,
 *     so the cell holds the process's latest total whichever thread observes;
 *   - the carry of every other series: in the mode the group's view (snapshots, the leader's
 *     exports) is read from the files only, so what reached a series' in-process totals and no
 *     shared cell (records made before the mode was on, and records whose cell the file could
 *     not hold) would be missing from it. The collector writes those totals, cumulative like
 *     any shared cell, into the series' carry cell after each collection that changed them, and
 *     every populated series' after the file changed (census__shm_carry_begin(), collector.c).
 *     That is sound because in the mode a record whose cell has a shared cell goes into the
 *     shared cell only: the totals hold nothing any shared cell holds. The carry cell is an
 *     ordinary record (same description and words as the series' other cells), so readers add
 *     it like any other cell of the process; a carry that cannot be placed (full disk) is
 *     reported once, counted (uncarried_series) and tried again at the next collection, the
 *     totals kept.
 */

#include "stats/shm.h"

#include <errno.h>
#include <fcntl.h>
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
#include "core/lock.h"
#include "core/run_state.h"
#include "stats/bound.h"
#include "stats/collector.h"
#include "stats/shm_carry.h"
#include "stats/shm_desc.h"
#include "stats/shm_format.h"
#include "core/alloc.h"

#define SEGMENT_BYTES ((size_t)1 << 20)
#define CHUNK_BYTES ((size_t)16384)
#define MAX_SEGMENTS 4096

_Atomic uint32_t census__shm_epoch;

static census__mutex shm_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_SHM);
/* Under shm_mu: the group directory, this process's file and its mapped segments. */
static char *group_dir;
static int file_fd = -1;
static pid_t file_pid;
static struct segment {
  unsigned char *base;
  size_t offset, size;
} segments[MAX_SEGMENTS];
static size_t segment_count;
static size_t segment_used; /* bytes used in the last segment */
static uint64_t file_gen;   /* bumped when the file changes: thread chunks belong to one */
static int leader_fd = -1;
static _Atomic int gauge_mode;
static _Atomic uint64_t unshared_cells, files_opened, uncarried_series;
static atomic_bool env_reported, attach_reported, exemplars_reported;
/* The process's own cells (see the file comment): an open-addressing table of (series, shared
 * cell) keyed by the series (a series belongs to one view), capacity process_mask + 1 (a power
 * of two, or 0), at most half full. Under shm_mu; entries of an older file_gen (process_gen) are
 * dropped. */
static struct process_cell {
  const struct census__series *series;
  struct census__shm_cell *shared;
} * process_cells;
static size_t process_count, process_mask;
static uint64_t process_gen;
/* The carry's rounds (census__shm_carry_begin() .. _end()): the file_gen the last sweep
 * carried every populated series into, whether this round sweeps, and the error of this
 * round's opening of the file (0: none failed). Under shm_mu. */
static uint64_t carry_gen;
static bool carry_sweep;
static int carry_err;

/* The calling thread's chunk of the current file (file_gen tells which). */
static _Thread_local struct {
  uint64_t gen;
  struct census__shm_chunk *chunk;
} this_chunk;

/* ---- the file ------------------------------------------------------------------------------ */

static struct census__shm_header *file_header(void) {
  return (struct census__shm_header *)segments[0].base;
}

/* Unmaps and closes this process's file (it stays on disk). Caller holds shm_mu. */
static void file_close(void) {
  for (size_t i = 0; i < segment_count; i++) {
    munmap(segments[i].base, segments[i].size);
  }
  segment_count = 0;
  if (file_fd >= 0) {
    close(file_fd);
  }
  file_fd = -1;
  file_gen++;
}

/* In a child made without census's fork handlers, forgets the parent's file (its mappings and
 * descriptor are the parent's: not ours to unmap or close), so that the child opens its own.
 * Caller holds shm_mu. */
static void file_forget_inherited(void) {
  if (file_fd >= 0 && file_pid != getpid()) {
    segment_count = 0;
    file_fd = -1;
    file_gen++;
  }
}

/* Reserves and maps [offset, offset + size) of the file as a new segment: 0 or an errno. */
static int segment_add(size_t offset, size_t size) {
  if (segment_count == MAX_SEGMENTS) {
    return EFBIG;
  }
  int err = posix_fallocate(file_fd, (off_t)offset, (off_t)size);
  if (err) {
    return err;
  }
  void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, file_fd, (off_t)offset);
  if (base == MAP_FAILED) {
    return errno;
  }
  segments[segment_count++] = (struct segment){base, offset, size};
  segment_used = 0;
  return 0;
}

/* Opens this process's file in group_dir: 0 or an errno (nothing left behind but, on a crash, a
 * .tmp file the compactor removes). Caller holds shm_mu. */
static int file_open(void) {
  pid_t pid = getpid();
  uint64_t nonce = (uint64_t)census__unix_ns() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)pid ^
                   (uint64_t)(uintptr_t)&nonce;
  char tmp[4096], path[4096];
  snprintf(tmp, sizeof tmp, "%s/census-%d-%016llx.tmp", group_dir, (int)pid,
           (unsigned long long)nonce);
  snprintf(path, sizeof path, "%s/census-%d-%016llx.shm", group_dir, (int)pid,
           (unsigned long long)nonce);
  file_fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (file_fd < 0) {
    return errno;
  }
  int err = flock(file_fd, LOCK_SH) ? errno : segment_add(0, SEGMENT_BYTES);
  if (!err) {
    struct census__shm_header *h = file_header();
    memcpy(h->magic, CENSUS__SHM_MAGIC, 8);
    h->version = CENSUS__SHM_VERSION;
    h->header_size = CENSUS__SHM_HEADER_SIZE;
    h->kind = CENSUS__SHM_KIND_PROCESS;
    h->pid = (uint64_t)pid;
    h->start_ns = census__unix_ns();
    h->nonce = nonce;
    h->checksum = census__shm_header_checksum(h);
    atomic_store_explicit(&h->end, CENSUS__SHM_HEADER_SIZE, memory_order_release);
    segment_used = CENSUS__SHM_HEADER_SIZE;
    err = rename(tmp, path) ? errno : 0;
  }
  if (err) {
    unlink(tmp);
    file_close();
    return err;
  }
  file_pid = pid;
  file_gen++;
  atomic_fetch_add(&files_opened, 1);
  return 0;
}

/* A new chunk of at least `need` bytes for the calling thread, or NULL with *err set. Caller
 * holds shm_mu and the file is open. */
static struct census__shm_chunk *chunk_new(size_t need, int *err) {
  size_t size = (CENSUS__SHM_CHUNK_HEADER + need + 63) & ~(size_t)63;
  size = size < CHUNK_BYTES ? CHUNK_BYTES : size;
  struct segment *last = &segments[segment_count - 1];
  if (segment_used + size > last->size) {
    if (segment_used < last->size) { /* the rest of the segment: an empty chunk */
      struct census__shm_chunk *filler = (void *)(last->base + segment_used);
      filler->magic = CENSUS__SHM_CHUNK_MAGIC;
      filler->size = last->size - segment_used;
      atomic_store_explicit(&filler->used, 0, memory_order_relaxed);
    }
    size_t seg = size > SEGMENT_BYTES ? (size + 4095) & ~(size_t)4095 : SEGMENT_BYTES;
    *err = segment_add(last->offset + last->size, seg);
    if (*err) {
      return NULL;
    }
    last = &segments[segment_count - 1];
  }
  struct census__shm_chunk *c = (void *)(last->base + segment_used);
  c->magic = CENSUS__SHM_CHUNK_MAGIC;
  c->size = size;
  atomic_store_explicit(&c->used, 0, memory_order_relaxed);
  segment_used += size;
  atomic_store_explicit(&file_header()->end, last->offset + segment_used, memory_order_release);
  return c;
}

static struct census__shm_cell *record_new(const struct census__rview *view,
                                           const struct census__series *series, int *err);

/* The slot of `series` in `table` (capacity mask + 1, not full): its entry, or the empty slot
 * where it would go. */
static size_t process_probe(const struct process_cell *table, size_t mask,
                            const struct census__series *series) {
  size_t i = (size_t)(((uint64_t)(uintptr_t)series >> 4) * 0x9e3779b97f4a7c15ULL >> 32) & mask;
  while (table[i].series && table[i].series != series) {
    i = (i + 1) & mask;
  }
  return i;
}

/* The process's own shared cell of `series` of `view` in this process's file (see the file
 * comment): the one already placed for the current file, or a new one; NULL with *err set.
 * Caller holds shm_mu and the file is open. */
static struct census__shm_cell *process_cell(const struct census__rview *view,
                                             const struct census__series *series, int *err) {
  if (process_gen != file_gen) {
    if (process_cells) {
      memset(process_cells, 0, (process_mask + 1) * sizeof *process_cells);
    }
    process_count = 0;
    process_gen = file_gen;
  }
  if (process_cells) {
    size_t i = process_probe(process_cells, process_mask, series);
    if (process_cells[i].series) {
      return process_cells[i].shared;
    }
  }
  if (2 * (process_count + 1) > process_mask + 1) { /* grow first: never place a cell to lose */
    size_t mask = process_cells ? 2 * process_mask + 1 : 63;
    struct process_cell *grown = census__calloc(mask + 1, sizeof *grown);
    if (!grown) {
      *err = ENOMEM;
      return NULL;
    }
    for (size_t k = 0; process_cells && k <= process_mask; k++) {
      if (process_cells[k].series) {
        grown[process_probe(grown, mask, process_cells[k].series)] = process_cells[k];
      }
    }
    census__free(process_cells);
    process_cells = grown;
    process_mask = mask;
  }
  struct census__shm_cell *shared = record_new(view, series, err);
  if (shared) {
    process_cells[process_probe(process_cells, process_mask, series)] =
        (struct process_cell){series, shared};
    process_count++;
  }
  return shared;
}

/* Writes a record for `series` of `view` into the calling thread's chunk and returns its shared
 * cell, or NULL with *err set. Caller holds shm_mu. */
static struct census__shm_cell *record_new(const struct census__rview *view,
                                           const struct census__series *series, int *err) {
  unsigned char *desc;
  size_t desc_size;
  if (!census__shm_desc_encode(view, series, &desc, &desc_size)) {
    *err = ENOMEM;
    return NULL;
  }
  size_t words = view->layout_words; /* a view's exemplars stay in its process */
  size_t size = census__shm_record_size(desc_size, words, 2);
  struct census__shm_chunk *c = this_chunk.gen == file_gen ? this_chunk.chunk : NULL;
  uint64_t used = c ? atomic_load_explicit(&c->used, memory_order_relaxed) : 0;
  if (!c || CENSUS__SHM_CHUNK_HEADER + used + size > c->size) {
    c = chunk_new(size, err);
    if (!c) {
      census__free(desc);
      return NULL;
    }
    this_chunk.gen = file_gen;
    this_chunk.chunk = c;
    used = 0;
  }
  unsigned char *at = (unsigned char *)c + CENSUS__SHM_CHUNK_HEADER + used;
  struct census__shm_record *r = (void *)at;
  r->magic = CENSUS__SHM_CELL_MAGIC;
  r->size = (uint32_t)size;
  r->desc_size = (uint32_t)desc_size;
  r->words = (uint32_t)words;
  r->slots = 2;
  memcpy(at + CENSUS__SHM_RECORD_HEAD, desc, desc_size);
  r->checksum = census__shm_record_checksum(r, desc);
  census__free(desc);
  struct census__shm_cell *shared =
      (void *)(at + CENSUS__SHM_RECORD_HEAD + census__shm_pad8(desc_size));
  atomic_init(&shared->gen, 0);
  shared->own = 0;
  /* Both slots empty, `words` each: the view as it records without exemplars (its `plain`). */
  census__cell_words_init(view->plain, shared->slots);
  atomic_store_explicit(&c->used, used + size, memory_order_release);
  return shared;
}

__attribute__((cold, noinline)) void census__shm_cell_attach(struct census__cell *cell) {
  census__mutex_lock(&shm_mu);
  uint32_t epoch = atomic_load_explicit(&census__shm_epoch, memory_order_relaxed);
  cell->shm = NULL;
  cell->shm_epoch = epoch;
  int err = 0;
  bool observed = cell->view->def.aggregation.type == CENSUS__AGGREGATION_OBSERVED_SUM;
  if (epoch && group_dir) {
    file_forget_inherited();
    if (file_fd < 0) {
      err = file_open();
    }
    if (!err) {
      cell->shm = observed ? process_cell(cell->view, cell->series, &err)
                           : record_new(cell->view, cell->series, &err);
    }
  }
  char dir[256];
  snprintf(dir, sizeof dir, "%s", group_dir ? group_dir : "");
  census__mutex_unlock(&shm_mu);
  if (cell->shm && cell->view->exemplar_at) {
    census__diag_once(&exemplars_reported, CENSUS_ELIMIT,
                      "shared-memory mode: view \"%s\" keeps exemplars, which the group's files "
                      "have no room for: its values are shared, its exemplars are not kept in the "
                      "mode (no exporter sees them); record exemplars outside the mode",
                      cell->view->def.name);
  }
  if (err) {
    atomic_fetch_add(&unshared_cells, 1);
    census__diag_once(&attach_reported, CENSUS_ESYSTEM,
                      "shared-memory mode: a cell of view \"%s\" could not be placed in this "
                      "process's file under %s (%s); it records in this process only (counted in "
                      "census_shm_stats()): free disk space or fix the directory",
                      cell->view->def.name, dir, strerror(err));
  }
}

/* ---- the carry ---------------------------------------------------------------------------- */

bool census__shm_carry_begin(bool *sweep) {
  *sweep = false;
  census__mutex_lock(&shm_mu);
  bool on = atomic_load_explicit(&census__shm_epoch, memory_order_relaxed) && group_dir;
  carry_err = 0;
  carry_sweep = false;
  if (on) {
    file_forget_inherited();
    /* No file yet, or a file the last sweep did not write into: it holds none of the totals,
     * so every populated series is carried (the file opens at the first). */
    carry_sweep = *sweep = file_fd < 0 || carry_gen != file_gen;
  }
  census__mutex_unlock(&shm_mu);
  return on;
}

int census__shm_carry(const struct census__rview *view, const struct census__series *series) {
  census__mutex_lock(&shm_mu);
  int err = carry_err; /* the round's failed opening: not tried again until the next round */
  if (!err && !group_dir) {
    err = EBADF; /* shut down since census__shm_carry_begin() */
  } else if (!err && file_fd < 0) {
    err = carry_err = file_open();
  }
  struct census__shm_cell *c = err ? NULL : process_cell(view, series, &err);
  if (c) {
    /* The totals as the cell's next state: the usual protocol (the slot gen does not name,
     * then gen + 1 stored with release), so a reader sees the old totals or the new. */
    size_t words = view->layout_words;
    uint64_t g = census__shm_begin(c);
    _Atomic uint64_t *dst = census__shm_next_slot(c, g, words);
    for (size_t i = 0; i < words; i++) {
      word_store(&dst[i], series->totals[i]);
    }
    census__shm_publish(c, g);
  }
  census__mutex_unlock(&shm_mu);
  return err;
}

void census__shm_carry_end(void) {
  census__mutex_lock(&shm_mu);
  /* A sweep tried every populated series (those that failed are queued again): the open file
   * needs no other. With no file (nothing populated, or it could not be opened) the next round
   * sweeps again. */
  if (carry_sweep && file_fd >= 0) {
    carry_gen = file_gen;
  }
  carry_sweep = false;
  census__mutex_unlock(&shm_mu);
}

void census__shm_carry_failed(void) { atomic_fetch_add(&uncarried_series, 1); }

/* ---- enabling ------------------------------------------------------------------------------ */

/* Checks that `dir` is a directory we can write: CENSUS_OK, or a status with a line saying what
 * is wrong. */
static census_status dir_check(const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
    census__diag(CENSUS_ECONFIG,
                 "shared-memory mode: \"%s\" is not a directory this process can write (%s): "
                 "create it (one per group of processes, e.g. under /dev/shm) and give it "
                 "write permission",
                 dir, errno ? strerror(errno) : "not a directory");
    return CENSUS_ECONFIG;
  }
  return CENSUS_OK;
}

/* census_shm_enable() without its collection: what CENSUS_SHM_DIR does (census__shm_env_poll(),
 * which may run under COLLECT or on a record's slow path). *newly is set when this call turned
 * the mode on. */
static census_status shm_enable(const char *dir, bool *newly) {
  *newly = false;
  if (!dir || !dir[0] || strlen(dir) > 3000) {
    return CENSUS_EINVAL;
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  census_status status = dir_check(dir);
  if (status != CENSUS_OK) {
    return status;
  }
  census__mutex_lock(&shm_mu);
  if (group_dir && strcmp(group_dir, dir) != 0) {
    status = CENSUS_ECONFLICT;
  } else if (!group_dir) {
    group_dir = census__strdup(dir);
    status = group_dir ? CENSUS_OK : CENSUS_ENOMEM;
    if (group_dir) {
      uint32_t e = atomic_load(&census__shm_epoch);
      atomic_store(&census__shm_epoch, e + 1 ? e + 1 : 1);
      census__bound_key_move(); /* bound handles leave their in-process-only fast path */
      *newly = true;
    }
  }
  census__mutex_unlock(&shm_mu);
  if (status == CENSUS_ECONFLICT) {
    census__diag(status,
                 "census_shm_enable: shared-memory mode already uses \"%s\"; a process belongs "
                 "to one group (\"%s\" refused)",
                 group_dir, dir);
  }
  return status;
}

CENSUS_EXPORT census_status census_shm_enable(const char *dir) {
  bool newly;
  census_status status = shm_enable(dir, &newly);
  if (newly) {
    /* A collection now carries what was recorded before the mode into the file (collector.c),
     * so the group's view has it even if this process never collects again. A failure (no
     * memory) leaves it to the next collection. */
    census__collector_lock();
    census__collect_locked();
    census__collector_unlock();
  }
  return status;
}

CENSUS_EXPORT bool census_shm_enabled(void) {
  return atomic_load_explicit(&census__shm_epoch, memory_order_relaxed) != 0;
}

CENSUS_EXPORT census_status census_shm_gauge_mode_set(census_shm_gauge_mode mode) {
  if ((int)mode < 0 || mode > CENSUS_SHM_GAUGE_LIVE_SUM) {
    return CENSUS_EINVAL;
  }
  atomic_store(&gauge_mode, (int)mode);
  return CENSUS_OK;
}

int census__shm_gauge_mode(void) { return atomic_load(&gauge_mode); }

CENSUS_EXPORT void census_shm_stats(census_shm_counts *counts) {
  if (counts) {
    counts->files_opened = atomic_load(&files_opened);
    counts->unshared_cells = atomic_load(&unshared_cells);
    counts->uncarried_series = atomic_load(&uncarried_series);
  }
}

void census__shm_env_poll(void) {
  if (atomic_load_explicit(&census__shm_epoch, memory_order_relaxed) ||
      atomic_load_explicit(&env_reported, memory_order_relaxed)) {
    return; /* on, or CENSUS_SHM_DIR was refused once (reported): not read again */
  }
  const char *dir = getenv("CENSUS_SHM_DIR");
  if (!dir || !dir[0]) {
    return;
  }
  const char *mode = getenv("CENSUS_SHM_GAUGE");
  if (mode && mode[0]) {
    int parsed = census__shm_gauge_mode_parse(mode);
    if (parsed < 0) {
      census__diag_once(&env_reported, CENSUS_ECONFIG,
                        "CENSUS_SHM_GAUGE=\"%.100s\" is not a gauge mode (most_recent, max, min, "
                        "sum, all, live_most_recent, live_max, live_min, live_sum): shared-memory "
                        "mode not enabled",
                        mode);
      return;
    }
    atomic_store(&gauge_mode, parsed);
  }
  bool newly;
  if (shm_enable(dir, &newly) != CENSUS_OK) {
    census__diag_once(&env_reported, CENSUS_ECONFIG,
                      "CENSUS_SHM_DIR=\"%.200s\" could not be used (see the line above): "
                      "shared-memory mode not enabled",
                      dir);
  }
}

char *census__shm_dir(void) {
  census__mutex_lock(&shm_mu);
  char *dir = group_dir ? census__strdup(group_dir) : NULL;
  census__mutex_unlock(&shm_mu);
  return dir;
}

bool census__shm_leader(void) {
  census__mutex_lock(&shm_mu);
  if (!group_dir) {
    census__mutex_unlock(&shm_mu);
    return false;
  }
  if (leader_fd < 0) {
    char path[4096];
    snprintf(path, sizeof path, "%s/census-leader.lock", group_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
      leader_fd = fd;
    } else if (fd >= 0) {
      close(fd);
    }
  }
  bool leader = leader_fd >= 0;
  census__mutex_unlock(&shm_mu);
  return leader;
}

CENSUS_EXPORT bool census_shm_is_leader(void) {
  census__mutex_lock(&shm_mu);
  bool leader = group_dir && leader_fd >= 0;
  census__mutex_unlock(&shm_mu);
  return leader;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

void census__shm_fork_prepare(void) { census__mutex_lock(&shm_mu); }

void census__shm_fork_parent(void) { census__mutex_unlock(&shm_mu); }

void census__shm_fork_child(void) {
  file_close(); /* the parent's mappings; its file keeps its lock through the parent's fd */
  if (leader_fd >= 0) {
    close(leader_fd); /* the lock belongs to the parent's open file, which stays locked */
    leader_fd = -1;
  }
  this_chunk.chunk = NULL;
  uint32_t e = atomic_load(&census__shm_epoch);
  if (e) {
    atomic_store(&census__shm_epoch, e + 1 ? e + 1 : 1);
  }
  census__mutex_unlock(&shm_mu);
}

void census__shm_shutdown(void) {
  census__mutex_lock(&shm_mu);
  census__free(process_cells);
  process_cells = NULL;
  process_count = process_mask = 0;
  atomic_store(&census__shm_epoch, 0);
  file_close();
  if (leader_fd >= 0) {
    close(leader_fd);
    leader_fd = -1;
  }
  census__free(group_dir);
  group_dir = NULL;
  census__mutex_unlock(&shm_mu);
}
