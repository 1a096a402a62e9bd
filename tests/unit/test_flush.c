/* test_flush.c - how a flush treats several exporters at once (src/export/flush.c and the flush
 * step of src/export/lifecycle.c), with third-party exporters built on the public ops tables.
 *
 * The exporters here do no I/O: a "hung" one's flush callback sleeps for the whole timeout it is
 * given and returns CENSUS_ETIMEDOUT (a dead backend, as a push exporter sees it); a "healthy"
 * one's flush returns at once, recording when it was called, with what timeout and on which
 * thread. Callbacks only write atomics; the test thread asserts afterwards. Exporter state is
 * static, so a failed test cannot leave census holding a pointer into a dead stack frame.
 *
 * Each test fails on the main branch before the concurrent flush: there, span exporters were
 * flushed first and stats exporters one after another, so a healthy exporter behind a hung one
 * was called only after the hung one's whole timeout, with no time left, and a flush callback's
 * CENSUS_ETIMEDOUT came back from census_flush() as CENSUS_EEXPORT.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

#include "diag_log.h" /* on_diag, diag_log, diag_lines, diag_reset(), diag_matches() */
#include "census/trace.h"

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One test exporter. `result` is what its flush returns; `hang` makes it sleep its timeout. */
struct probe {
  bool hang;
  census_status result;
  atomic_llong called_at_ms; /* monotonic ms of the last flush call; 0: never */
  atomic_llong timeout_ms;   /* the timeout that call got */
  atomic_int flushes;        /* flush calls */
  atomic_int active;         /* calls into this exporter running now */
  atomic_int overlaps;       /* calls that found another call to this exporter running */
  atomic_int saw_at_exit;    /* census_exporter_is_flushing_at_exit() was true in a flush */
  atomic_uintptr_t thread;   /* pthread_self() of the last flush, as an integer */
};

static atomic_int flushes_running, max_flushes_running;

static void enter(struct probe *p) {
  if (atomic_fetch_add(&p->active, 1) != 0) {
    atomic_fetch_add(&p->overlaps, 1);
  }
  int now = atomic_fetch_add(&flushes_running, 1) + 1;
  int max = atomic_load(&max_flushes_running);
  while (now > max && !atomic_compare_exchange_weak(&max_flushes_running, &max, now)) {
  }
}

static void leave(struct probe *p) {
  atomic_fetch_sub(&flushes_running, 1);
  atomic_fetch_sub(&p->active, 1);
}

static census_status probe_flush(void *user, int64_t timeout_ms) {
  struct probe *p = user;
  enter(p);
  atomic_store(&p->called_at_ms, mono_ms());
  atomic_store(&p->timeout_ms, timeout_ms);
  atomic_store(&p->thread, (uintptr_t)pthread_self());
  atomic_fetch_add(&p->flushes, 1);
  if (census_exporter_is_flushing_at_exit()) {
    atomic_store(&p->saw_at_exit, 1);
  }
  if (p->hang) {
    sleep_ms(timeout_ms);
  } else {
    sleep_ms(50); /* long enough for two flushes to be seen at the same time */
  }
  leave(p);
  return p->result;
}

static census_status probe_export_views(void *user, const census_view_data *const *views,
                                        size_t count) {
  struct probe *p = user;
  enter(p);
  leave(p);
  return CENSUS_OK;
}

static census_status probe_export_spans(void *user, const census_span_data *const *spans,
                                        size_t count) {
  struct probe *p = user;
  enter(p);
  leave(p);
  return CENSUS_OK;
}

static const census_stats_exporter_ops stats_ops = {.size = sizeof(census_stats_exporter_ops),
                                                    .export_views = probe_export_views,
                                                    .flush = probe_flush,
                                                    .shutdown = NULL};
static const census_span_exporter_ops span_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = probe_export_spans,
                                                  .flush = probe_flush,
                                                  .shutdown = NULL};

static struct probe hung_span, hung_stats, healthy_stats, healthy_span, failing, both;

static void probe_reset(struct probe *p, bool hang, census_status result) {
  p->hang = hang;
  p->result = result;
  atomic_store(&p->called_at_ms, 0);
  atomic_store(&p->timeout_ms, -1);
  atomic_store(&p->flushes, 0);
  atomic_store(&p->active, 0);
  atomic_store(&p->overlaps, 0);
  atomic_store(&p->saw_at_exit, 0);
  atomic_store(&p->thread, 0);
}

/* Removes every probe a test registered (ENOTFOUND for those it did not). */
static int cleanup(void **state) {
  (void)state;
  struct probe *all[] = {&hung_span, &hung_stats, &healthy_stats, &healthy_span, &failing, &both};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    all[i]->hang = false;
    census_stats_exporter_unregister(all[i], 1000);
    census_span_exporter_unregister(all[i], 1000);
  }
  atomic_store(&max_flushes_running, 0);
  return 0;
}

/* Proves: with a hung span exporter and a hung stats exporter registered before them, a healthy
 * stats exporter and a healthy span exporter still have their flush called at the start of the
 * flush (within 500 ms; main: after the hung ones' timeouts), with (nearly) the whole deadline
 * (>= 1500 of 2000 ms; main: 0), each on a thread of its own; census_flush() returns
 * CENSUS_ETIMEDOUT (main: CENSUS_EEXPORT) after about the deadline, not the sum of the hung
 * exporters' timeouts; and census_exporter_is_flushing_at_exit() is false in census_flush(). */
static void healthy_exporters_get_the_whole_deadline(void **state) {
  (void)state;
  probe_reset(&hung_span, true, CENSUS_ETIMEDOUT);
  probe_reset(&hung_stats, true, CENSUS_ETIMEDOUT);
  probe_reset(&healthy_stats, false, CENSUS_OK);
  probe_reset(&healthy_span, false, CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&span_ops, &hung_span), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &hung_stats), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &healthy_stats), CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&span_ops, &healthy_span), CENSUS_OK);

  int64_t start = mono_ms();
  census_status st = census_flush(2000);
  int64_t elapsed = mono_ms() - start;

  assert_int_equal(st, CENSUS_ETIMEDOUT);
  assert_true(elapsed >= 1900);
  assert_true(elapsed < 3500); /* two hung exporters one after another would take 4 s */
  struct probe *healthy[] = {&healthy_stats, &healthy_span};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(atomic_load(&healthy[i]->flushes), 1);
    assert_true(atomic_load(&healthy[i]->called_at_ms) - start < 500);
    assert_true(atomic_load(&healthy[i]->timeout_ms) >= 1500);
    assert_int_equal(atomic_load(&healthy[i]->saw_at_exit), 0);
  }
  /* Four exporters, four threads (one of them the caller's). */
  uintptr_t threads[] = {atomic_load(&hung_span.thread), atomic_load(&hung_stats.thread),
                         atomic_load(&healthy_stats.thread), atomic_load(&healthy_span.thread)};
  for (int i = 0; i < 4; i++) {
    for (int j = i + 1; j < 4; j++) {
      assert_true(threads[i] != threads[j]);
    }
  }
  assert_true(atomic_load(&max_flushes_running) >= 2);
}

/* Proves the status rule: a flush callback's CENSUS_ETIMEDOUT gives CENSUS_ETIMEDOUT (main:
 * CENSUS_EEXPORT) and wins over another exporter's failure whichever was registered first; a
 * failure alone gives CENSUS_EEXPORT; all well gives CENSUS_OK. */
static void timeout_wins_over_failure(void **state) {
  (void)state;
  probe_reset(&failing, false, CENSUS_EEXPORT);
  probe_reset(&hung_stats, true, CENSUS_ETIMEDOUT);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &failing), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &hung_stats), CENSUS_OK);
  assert_int_equal(census_flush(300), CENSUS_ETIMEDOUT);
  assert_int_equal(census_stats_exporter_unregister(&failing, 1000), CENSUS_EEXPORT);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &failing), CENSUS_OK);
  assert_int_equal(census_flush(300), CENSUS_ETIMEDOUT); /* now hung first, failing second */
  hung_stats.result = CENSUS_OK;
  hung_stats.hang = false;
  assert_int_equal(census_flush(300), CENSUS_EEXPORT);
  failing.result = CENSUS_OK;
  assert_int_equal(census_flush(300), CENSUS_OK);
  /* The unregistration's own final flush decides its status. */
  hung_stats.hang = true;
  hung_stats.result = CENSUS_ETIMEDOUT;
  assert_int_equal(census_stats_exporter_unregister(&hung_stats, 300), CENSUS_ETIMEDOUT);
}

/* Proves: an exporter registered both for stats and for spans (one user pointer) gets its two
 * flushes one after the other, never overlapping, while another exporter's flush runs at the
 * same time as them. */
static void calls_to_one_exporter_never_overlap(void **state) {
  (void)state;
  probe_reset(&both, false, CENSUS_OK);
  probe_reset(&healthy_stats, false, CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &both), CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&span_ops, &both), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &healthy_stats), CENSUS_OK);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(census_flush(5000), CENSUS_OK);
  }
  assert_int_equal(atomic_load(&both.flushes), 10);
  assert_int_equal(atomic_load(&both.overlaps), 0);
  assert_true(atomic_load(&max_flushes_running) >= 2);
}

/* A span exporter that takes 300 ms per batch (a slow third-party exporter), counting spans. */
static atomic_int slow_spans;

static census_status slow_export_spans(void *user, const census_span_data *const *spans,
                                       size_t count) {
  sleep_ms(300);
  atomic_fetch_add(&slow_spans, (int)count);
  return CENSUS_OK;
}

static const census_span_exporter_ops slow_span_ops = {.size = sizeof(census_span_exporter_ops),
                                                       .export_spans = slow_export_spans,
                                                       .flush = NULL,
                                                       .shutdown = NULL};
static int slow_span_user;
static volatile sig_atomic_t got_sigterm;

static void on_sigterm(int signo) {
  (void)signo;
  got_sigterm = 1;
}

/* Proves, with SIGTERM handled by census over a handler of this process's own (so that the
 * process goes on once census gives the signal back): the signal's flush is an exit flush, so
 * census_exporter_is_flushing_at_exit() is true inside the flush callbacks it runs (and only
 * there); and the spans its deadline (500 ms) kept from a span exporter that takes 300 ms per batch
 * of 2 are counted as dropped (census_trace_dropped_spans()) with one diagnostic line naming their
 * number, the exported and the dropped adding up to the 10 spans ended. Main: no exit flag,
 * nothing counted (the spans stayed queued). */
static void signal_flush_is_an_exit_flush(void **state) {
  (void)state;
  census_diagnostics_set_callback(on_diag, NULL);
  /* Batches of 2: each full batch wakes the worker, whose own export (1 ms export timeout) hands
   * over one batch and leaves the rest queued; the exit flush can hand over at most 2 batches
   * (600 ms) in its 500 ms, so at least one span is left when its deadline passes. */
  census_span_export_options o = {.size = sizeof(census_span_export_options),
                                  .max_queue_size = 100,
                                  .max_export_batch_size = 2,
                                  .schedule_delay_ms = 3600000,
                                  .export_timeout_ms = 1};
  assert_int_equal(census_trace_set_export_options(&o), CENSUS_OK);
  census_sampler *always_on = census_sampler_always_on();
  assert_int_equal(census_trace_set_sampler(always_on), CENSUS_OK);
  census_sampler_free(always_on);
  probe_reset(&healthy_stats, false, CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &healthy_stats), CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&slow_span_ops, &slow_span_user), CENSUS_OK);
  assert_int_equal(census_exit_flush_set_timeout_ms(500), CENSUS_OK);
  uint64_t dropped_before = census_trace_dropped_spans();
  for (int i = 0; i < 10; i++) {
    census_span_end(census_span_start("flush/slow", NULL));
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  assert_int_equal(sigaction(SIGTERM, &sa, NULL), 0);
  assert_int_equal(census_signal_flush_install(), CENSUS_OK);
  kill(getpid(), SIGTERM);
  int64_t until = mono_ms() + 10000;
  while (!got_sigterm && mono_ms() < until) {
    sleep_ms(10);
  }
  assert_true(got_sigterm);
  assert_int_equal(atomic_load(&healthy_stats.saw_at_exit), 1);
  int exported = atomic_load(&slow_spans);
  int dropped = (int)(census_trace_dropped_spans() - dropped_before);
  assert_true(dropped >= 1);
  assert_int_equal(exported + dropped, 10);
  char line[160];
  snprintf(line, sizeof line,
           "exit deadline reached before %d ended spans were handed to the span exporters",
           dropped);
  pthread_mutex_lock(&diag_mu);
  bool found = strstr(diag_log, line) != NULL;
  pthread_mutex_unlock(&diag_mu);
  assert_true(found);
  /* Outside the exit flush the flag is off again. */
  probe_reset(&healthy_stats, false, CENSUS_OK);
  assert_int_equal(census_flush(1000), CENSUS_OK);
  assert_int_equal(atomic_load(&healthy_stats.saw_at_exit), 0);
  assert_int_equal(census_span_exporter_unregister(&slow_span_user, 1000), CENSUS_OK);
  census_diagnostics_set_callback(NULL, NULL);
}

/* Proves: census_shutdown() against a hung span exporter returns CENSUS_ETIMEDOUT (main:
 * CENSUS_EEXPORT) within about its deadline, while a healthy stats exporter's flush was called at
 * once with (nearly) the whole deadline (main: after the hung one's timeout, with 0 ms). Runs last:
 * it ends census for this process. */
static void shutdown_times_out(void **state) {
  (void)state;
  probe_reset(&hung_span, true, CENSUS_ETIMEDOUT);
  probe_reset(&healthy_stats, false, CENSUS_OK);
  assert_int_equal(census_span_exporter_register(&span_ops, &hung_span), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&stats_ops, &healthy_stats), CENSUS_OK);
  int64_t start = mono_ms();
  assert_int_equal(census_shutdown(1000), CENSUS_ETIMEDOUT);
  assert_true(mono_ms() - start < 2500);
  assert_true(atomic_load(&healthy_stats.called_at_ms) - start < 500);
  assert_true(atomic_load(&healthy_stats.timeout_ms) >= 700);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(healthy_exporters_get_the_whole_deadline, cleanup),
      cmocka_unit_test_teardown(timeout_wins_over_failure, cleanup),
      cmocka_unit_test_teardown(calls_to_one_exporter_never_overlap, cleanup),
      cmocka_unit_test_teardown(signal_flush_is_an_exit_flush, cleanup),
      cmocka_unit_test(shutdown_times_out),
  };
  return cmocka_run_group_tests_name("flush", tests, NULL, NULL);
}
