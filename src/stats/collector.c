/* collector.c - collection by phase flip.
 *
 * Every cell has two halves; recorders write the half named by census__g.phase. To collect, the
 * collector (holding collect_mu):
 *   1. flips the phase;
 *   2. makes the flip visible to every running thread before it reads their seq counters. With
 *      membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) the kernel runs a full barrier on every CPU
 *      running one of our threads, which pairs with the compiler-only barrier recorders place
 *      between "seq odd" and "read phase" (the asymmetric Dekker pattern of userspace RCU). Without
 *      membarrier, recorders issue a real fence there instead (census__g.recorders_fence);
 *   3. for each live thread, waits until it is outside any record call that might have read the
 *      old phase: seq even, or changed since first seen odd. A thread stuck longer than
 *      QUIESCE_WAIT_NS (stopped in a debugger, say) is skipped this time; its old half keeps its
 *      data, which a later collection gathers, so nothing is lost;
 *   4. adds each old half that holds data into its series totals and resets it. Halves with no
 *      data are only read, so idle cells are not pulled away from their thread's cache.
 * Dead threads (exited) are harvested whole and freed. A measurement map is recorded inside one
 * seq window, so a collection sees all of it or none of it.
 *
 * Saturation: when a merge leaves a series total at its limit (a count or int sum that would have
 * passed INT64_MAX, see stats_internal.h), the series is marked, once, and its view queued; after
 * harvesting, each queued view is reported through diagnostics (its first time) and its newly
 * saturated rows are counted in census/saturated_rows. That record runs after the harvest, on
 * this thread, so it lands in the next collection.
 */
#include "stats/collector.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "core/global.h"
#include "stats/bound.h"
#include "stats/recorder.h"

#define QUIESCE_WAIT_NS (200 * 1000000LL)

static uint64_t *scratch;
static size_t scratch_words;
/* Views with rows that saturated in this collection (linked by saturated_next). */
static struct census__rview *saturated_views;

void census__collector_start(void) {
  long registered = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
  census__g.recorders_fence = registered != 0;
}

static void barrier_all_threads(void) {
  if (census__g.recorders_fence) {
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the recorders' own fence */
    return;
  }
  /* Registered at start-up, so this cannot fail with EPERM; the fence keeps the compiler from
   * moving the phase store past it. */
  atomic_thread_fence(memory_order_seq_cst);
  syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

/* Waits until `ts` is outside any record call begun before the flip. False if it took too long. */
static bool wait_quiescent(struct census__thread_state *ts) {
  uint64_t seq = atomic_load_explicit(&ts->seq, memory_order_acquire);
  if ((seq & 1) == 0) {
    return true;
  }
  int64_t deadline = census__monotonic_ns() + QUIESCE_WAIT_NS;
  for (unsigned spins = 0;; spins++) {
    if (atomic_load_explicit(&ts->seq, memory_order_acquire) != seq) {
      return true;
    }
    if (spins > 64) {
      if (census__monotonic_ns() > deadline) {
        return false;
      }
      sched_yield();
    }
  }
}

/* Adds one half of a cell (`w`, the view's words) into `series` totals and resets the half, if
 * it holds data; queues the view when the merge saturated a total of the series the first time. */
void census__harvest_words(struct census__rview *view, struct census__series *series,
                           _Atomic uint64_t *w) {
  if (atomic_load_explicit(&w[0], memory_order_relaxed) == 0) {
    return; /* empty: word 0 is the count (or last-value time) of every layout */
  }
  if (scratch_words < view->words) {
    uint64_t *grown = realloc(scratch, 2 * view->words * sizeof *grown);
    if (!grown) {
      return; /* left in place: a later collection takes it */
    }
    scratch = grown;
    scratch_words = 2 * view->words;
  }
  for (size_t i = 0; i < view->words; i++) {
    scratch[i] = atomic_load_explicit(&w[i], memory_order_relaxed);
  }
  if (census__words_merge(view, series->totals, scratch) && !series->saturated) {
    series->saturated = true;
    if (view->saturated_pending++ == 0) {
      view->saturated_next = saturated_views;
      saturated_views = view;
    }
  }
  census__words_reset(view, scratch);
  for (size_t i = 0; i < view->words; i++) {
    atomic_store_explicit(&w[i], scratch[i], memory_order_relaxed);
  }
}

static void harvest_half(struct census__cell *cell, unsigned half) {
  census__harvest_words(cell->view, cell->series, cell->words + half * cell->view->words);
}

static void harvest_thread(struct census__thread_state *ts, unsigned half, bool both) {
  for (struct census__cell *c = atomic_load_explicit(&ts->cells, memory_order_acquire); c;
       c = c->next) {
    harvest_half(c, half);
    if (both) {
      harvest_half(c, half ^ 1);
    }
  }
}

/* Copies the thread list (so recorders can register while we wait on others). */
static struct census__thread_state **threads_snapshot(size_t *count) {
  pthread_mutex_lock(&census__g.threads_mu);
  size_t n = 0;
  for (struct census__thread_state *t = census__g.threads; t; t = t->next) {
    n++;
  }
  struct census__thread_state **list = malloc((n ? n : 1) * sizeof *list);
  n = 0;
  for (struct census__thread_state *t = census__g.threads; list && t; t = t->next) {
    list[n++] = t;
  }
  pthread_mutex_unlock(&census__g.threads_mu);
  *count = n;
  return list;
}

/* Unlinks and frees the thread states marked dead that this collection harvested. */
static void free_dead_threads(struct census__thread_state **list, size_t count) {
  pthread_mutex_lock(&census__g.threads_mu);
  struct census__thread_state **link = &census__g.threads;
  while (*link) {
    struct census__thread_state *t = *link;
    bool harvested_dead = false;
    for (size_t i = 0; i < count && !harvested_dead; i++) {
      harvested_dead = list[i] == t && atomic_load_explicit(&t->dead, memory_order_acquire);
    }
    if (harvested_dead) {
      *link = t->next;
      census__thread_state_free(t);
    } else {
      link = &t->next;
    }
  }
  pthread_mutex_unlock(&census__g.threads_mu);
}

/* Reports and counts the rows that saturated in this collection (see the file comment). */
static void report_saturations(void) {
  while (saturated_views) {
    struct census__rview *view = saturated_views;
    saturated_views = view->saturated_next;
    view->saturated_next = NULL;
    uint64_t rows = view->saturated_pending;
    view->saturated_pending = 0;
    if (!view->saturation_reported) {
      view->saturation_reported = true;
      census__diag(
          CENSUS_ELIMIT,
          "view \"%s\": a count or int64 sum passed INT64_MAX; it stays at INT64_MAX "
          "(saturated) from now on. Rows that saturate are counted in census/saturated_rows; "
          "record in a coarser unit or use a double measure",
          view->def.name);
    }
    census__count_saturated(view->def.name, (int64_t)rows);
  }
}

void census__collect_locked(void) {
  unsigned old = atomic_load_explicit(&census__g.phase, memory_order_relaxed);
  atomic_store_explicit(&census__g.phase, old ^ 1, memory_order_seq_cst);
  barrier_all_threads();
  size_t count;
  struct census__thread_state **list = threads_snapshot(&count);
  if (!list) {
    atomic_store_explicit(&census__g.phase, old, memory_order_seq_cst);
    return;
  }
  /* A thread marked dead before this point is done writing; one marked dead later is treated as
   * live this time (its old half is stable once it is quiescent) and freed next time. */
  bool *dead = calloc(count ? count : 1, sizeof *dead);
  for (size_t i = 0; i < count; i++) {
    dead[i] = dead && atomic_load_explicit(&list[i]->dead, memory_order_acquire);
  }
  /* What to take from each thread id's bound-measure cells: threads that started after the
   * flip, and ids no thread holds, have nothing in the old half but harmless zeros. */
  unsigned char tid_mode[CENSUS__MAX_TIDS];
  memset(tid_mode, CENSUS__HARVEST_OLD, sizeof tid_mode);
  for (size_t i = 0; i < count; i++) {
    unsigned char mode = CENSUS__HARVEST_SKIP;
    if (dead && dead[i]) {
      harvest_thread(list[i], old, true);
      mode = CENSUS__HARVEST_BOTH;
    } else if (wait_quiescent(list[i])) {
      harvest_thread(list[i], old, false);
      mode = CENSUS__HARVEST_OLD;
    }
    if (list[i]->tid != CENSUS__NO_TID) {
      tid_mode[list[i]->tid] = mode;
    }
  }
  census__bound_harvest(tid_mode, old);
  size_t dead_count = 0;
  for (size_t i = 0; dead && i < count; i++) {
    if (dead[i]) {
      list[dead_count++] = list[i];
    }
  }
  free_dead_threads(list, dead_count);
  free(dead);
  free(list);
  report_saturations();
}

void census__collector_drop_threads(void) {
  struct census__thread_state *t = census__g.threads;
  while (t) {
    struct census__thread_state *next = t->next;
    census__thread_state_free(t);
    t = next;
  }
  census__g.threads = NULL;
  memset(census__g.tids_used, 0, sizeof census__g.tids_used);
  free(scratch);
  scratch = NULL;
  scratch_words = 0;
  saturated_views = NULL; /* a fork child of a collection in progress: its series are reset */
}
