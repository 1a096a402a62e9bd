/* collector.c - collection by phase flip.
 *
 * Every cell has two halves; recorders write the half named by the window's phase (window.h). To
 * collect, the collector (holding its COLLECT lock):
 *   1. flips the phase;
 *   2. makes the flip visible to every running thread before it reads their seq counters. With
 *      membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) the kernel runs a full barrier on every CPU
 *      running one of our threads, which pairs with the compiler-only barrier recorders place
 *      between "seq odd" and "read phase" (the asymmetric Dekker pattern of userspace RCU). Without
 *      membarrier, recorders issue a real fence there instead (CENSUS__WINDOW_FENCE in
 * census__window.word);
 *   3. for each live thread, waits until it is outside any record call that might have read the
 *      old phase: seq even, or changed since first seen odd. A thread stuck longer than
 *      QUIESCE_WAIT_NS (stopped in a debugger, say) is skipped this time; its old half keeps its
 *      data, which a later collection gathers, so nothing is lost;
 *   4. adds each old half that holds data into its series totals and resets it. Halves with no
 *      data are only read, so idle cells are not pulled away from their thread's cache.
 * Dead threads (exited) are harvested whole and freed (by recorder.c, which owns thread states);
 * bound measures' cells are harvested per thread id the same way (bound.c). A measurement map is
 * recorded inside one seq window, so a collection sees all of it or none of it.
 *
 * COLLECT is this file's lock: held through a collection and by whoever needs series totals
 * still (snapshots, exports: census__collector_lock_until()).
 *
 * Saturation: when a merge leaves a series total at its limit (a count or int sum that would have
 * passed INT64_MAX, see stats_internal.h), the series is marked, once, and its view queued; after
 * harvesting, each queued view is reported through diagnostics (its first time) and its newly
 * saturated rows are counted in census/saturated_rows. That record runs after the harvest, on
 * this thread, so it lands in the next collection.
 *
 * Carry (shared-memory mode): then, in the mode, the totals of every series that the harvest
 * changed (harvest.c queues them) are written into the series' carry cell in this process's file
 * (shm_carry.h), and after the file changed (the mode turned on, a fork child's new file) those
 * of every populated series: in the mode the group's view is read from the files only, and the
 * totals hold exactly what no shared cell holds (records made before the mode was on, records
 * whose cell the file could not hold). A collection in the mode therefore walks the series it
 * changed, not every series; the sweep over all of them happens once per file. An observable
 * counter's series is skipped (its shared cell holds the process's total already). A series that
 * cannot be carried (full disk) stays queued for the next collection, is counted once
 * (census_shm_stats(): uncarried_series) and reported once.
 */
#include "stats/collector.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diagnostics.h"
#include "core/lock.h"
#include "stats/aggregation.h"
#include "stats/bound.h"
#include "stats/exemplar.h"
#include "stats/harvest.h"
#include "stats/recorder.h"
#include "stats/self_metrics.h"
#include "stats/shm.h"
#include "stats/shm_carry.h"
#include "stats/view.h"
#include "stats/window.h"
#include "core/alloc.h"

static census__mutex collect_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_COLLECT);
static void (*observe_hook)(void); /* set once at load, read under COLLECT */

void census__collector_set_observe_hook(void (*hook)(void)) { observe_hook = hook; }

census_status census__collector_lock_until(int64_t deadline_ns) {
  return census__mutex_lock_until(&collect_mu, deadline_ns);
}

void census__collector_lock(void) { census__mutex_lock(&collect_mu); }

void census__collector_unlock(void) { census__mutex_unlock(&collect_mu); }

static void harvest_thread(struct census__thread_state *ts, unsigned half, bool both) {
  for (struct census__cell *c = atomic_load_explicit(&ts->cells, memory_order_acquire); c;
       c = c->next) {
    census__harvest_words(c->view, c->series, c->words + half * c->view->words);
    if (both) {
      census__harvest_words(c->view, c->series, c->words + (half ^ 1) * c->view->words);
    }
  }
}

/* Reports and counts the rows that saturated in this collection (see the file comment). */
static void report_saturations(void) {
  struct census__rview *view;
  while ((view = census__harvest_take_saturated()) != NULL) {
    uint64_t rows = view->saturated_pending;
    view->saturated_pending = 0;
    if (!view->saturation_reported && view->def.measure->signed_values) {
      view->saturation_reported = true;
      census__diag(CENSUS_ELIMIT,
                   "view \"%s\": an int64 sum of a signed measure would have passed INT64_MAX "
                   "or INT64_MIN and was held at that limit (clamped). Rows that clamp are "
                   "counted in census/saturated_rows; record in a coarser unit or use a double "
                   "measure",
                   view->def.name);
    } else if (!view->saturation_reported) {
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

/* One carry round's outcome: the first failure's errno and view name, for the report. */
struct carry_round {
  int err;
  char view[128];
};

static atomic_bool carry_reported;

/* Carries one series' totals (see the file comment); a failure re-queues it. */
static void carry_one(struct census__rview *view, struct census__series *series, void *arg) {
  struct carry_round *round = arg;
  if (view->def.aggregation.type == CENSUS__AGGREGATION_OBSERVED_SUM ||
      !census__words_populated(view, series->totals)) {
    return;
  }
  int err = census__shm_carry(view, series);
  if (!err) {
    series->carry_failed = false;
    return;
  }
  if (!series->carry_failed) {
    series->carry_failed = true;
    census__shm_carry_failed();
  }
  census__harvest_carry_add(view, series); /* tried again at the next collection */
  if (!round->err) {
    round->err = err;
    snprintf(round->view, sizeof round->view, "%s", view->def.name);
  }
}

/* The carry step of a collection in shared-memory mode (see the file comment). */
static void carry_totals(void) {
  size_t count;
  bool lost, sweep;
  struct census__carry_item *items = census__harvest_carry_take(&count, &lost);
  if (!census__shm_carry_begin(&sweep)) {
    census__free(items); /* the mode is off (shut down since the harvest): nothing to carry */
    return;
  }
  struct carry_round round = {0};
  if (!sweep && !lost) {
    for (size_t i = 0; i < count; i++) {
      carry_one(items[i].view, items[i].series, &round);
    }
  } else if (!census__views_each_series(carry_one, &round)) {
    for (size_t i = 0; i < count; i++) { /* no memory for the sweep: what is known, later */
      census__harvest_carry_add(items[i].view, items[i].series);
    }
    census__harvest_carry_lost();
  }
  census__shm_carry_end();
  census__free(items);
  if (round.err) {
    char *dir = census__shm_dir();
    census__diag_once(&carry_reported, CENSUS_ESYSTEM,
                      "shared-memory mode: the in-process totals of view \"%s\" (records made "
                      "before the mode was on, or by a cell the file could not hold) could not be "
                      "written into this process's file under %s (%s); they are kept and tried "
                      "again at each collection (counted in census_shm_stats(): "
                      "uncarried_series), and until then the group's view lacks them: free disk "
                      "space or fix the directory",
                      round.view, dir ? dir : "", strerror(round.err));
    census__free(dir);
  }
}

census_status census__collect_locked(void) {
  census__shm_env_poll(); /* before the callbacks: their records go to the shared cells too */
  if (observe_hook) {
    observe_hook(); /* before the flip: the callbacks' records belong to this collection */
  }
  census__exemplar_collection_begin();
  unsigned old = census__window_flip();
  size_t count;
  struct census__thread_state **list = census__threads_snapshot(&count);
  if (!list) {
    /* Nothing harvested: the caller answers CENSUS_ENOMEM rather than totals that miss what was
     * recorded (tests/reliability/alloc_failure.c, "exemplars", got a stale snapshot with
     * CENSUS_OK). */
    census__window_unflip(old);
    return CENSUS_ENOMEM;
  }
  /* A thread marked dead before this point is done writing; one marked dead later is treated as
   * live this time (its old half is stable once it is quiescent) and freed next time. */
  bool *dead = census__calloc(count ? count : 1, sizeof *dead);
  /* Out of memory: no thread is taken as dead this time (each is harvested as live, and freed
   * at a later collection). tests/reliability/alloc_failure.c wrote through NULL here. */
  for (size_t i = 0; dead && i < count; i++) {
    dead[i] = atomic_load_explicit(&list[i]->dead, memory_order_acquire);
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
    } else if (census__window_wait_quiescent(&list[i]->seq)) {
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
  census__threads_free_dead(list, dead_count);
  census__free(dead);
  census__free(list);
  report_saturations();
  carry_totals();
  return CENSUS_OK;
}

void census__collector_shutdown(void) { census__harvest_reset(); }

void census__collector_fork_child(void) {
  census__mutex_init(&collect_mu, CENSUS__LOCK_COLLECT);
  census__harvest_reset();
}
