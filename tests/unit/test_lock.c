/* test_lock.c - the lock order of src/core/lock.h and its debug-build checker.
 *
 * The checker (CENSUS_LOCK_ORDER_CHECK, on in every Debug build, so in the ASan+UBSan suite of
 * `make test`) aborts a thread that takes a census mutex while holding one of a higher rank, or a
 * second one of the same rank (SERIES excepted), naming both. The tests that expect an abort run
 * in a forked child and read its stderr; in a build without the checker they are skipped (there
 * the inversion would deadlock or go unnoticed, which is what the checker exists to prevent).
 *
 * New in issue 12 (the checker did not exist before: this file does not build on earlier code).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/census.h"
#include "core/lock.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#ifdef CENSUS_LOCK_ORDER_CHECK
/* Runs `body` in a child process with its stderr captured; returns the child's wait status and
 * copies what it wrote to stderr into out[size]. */
static int run_in_child(void (*body)(void), char *out, size_t size) {
  int pipe_fds[2];
  assert_int_equal(pipe(pipe_fds), 0);
  fflush(NULL);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    body();
    _exit(0);
  }
  close(pipe_fds[1]);
  size_t used = 0;
  ssize_t n;
  while (used + 1 < size && (n = read(pipe_fds[0], out + used, size - 1 - used)) > 0) {
    used += (size_t)n;
  }
  out[used] = '\0';
  close(pipe_fds[0]);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}
#endif

static void expect_abort(void (*body)(void), const char *message) {
#ifndef CENSUS_LOCK_ORDER_CHECK
  (void)body;
  (void)message;
  skip(); /* no checker in this build */
#else
  char err[1024];
  int status = run_in_child(body, err, sizeof err);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || !strstr(err, message)) {
    fail_msg("expected SIGABRT and \"%s\"; got status 0x%x, stderr: %s", message, status, err);
  }
#endif
}

/* Two mutexes taken inner first: SERIES (a view's series table), then VIEWS. */
static void series_then_views(void) {
  static census__mutex series = CENSUS__MUTEX_INIT(CENSUS__LOCK_SERIES);
  static census__mutex views = CENSUS__MUTEX_INIT(CENSUS__LOCK_VIEWS);
  census__mutex_lock(&series);
  census__mutex_lock(&views); /* the inversion */
  census__mutex_unlock(&views);
  census__mutex_unlock(&series);
}

/* Proves: taking a lock of a lower rank than one held aborts at once, naming both, in a single
 * thread (no second thread has to be there to deadlock with). */
static void test_inversion_aborts(void **state) {
  (void)state;
  expect_abort(series_then_views, "lock order violated: taking VIEWS (view.c) while holding "
                                  "SERIES (series.c)");
}

/* Proves: the timed form (used for COLLECT and SPAN_EXPORT by a deadline) is checked too. */
static void threads_then_collect_timed(void) {
  static census__mutex threads = CENSUS__MUTEX_INIT(CENSUS__LOCK_THREADS);
  static census__mutex collect = CENSUS__MUTEX_INIT(CENSUS__LOCK_COLLECT);
  census__mutex_lock(&threads);
  census__mutex_lock_until(&collect, INT64_MAX);
}

static void test_timed_inversion_aborts(void **state) {
  (void)state;
  expect_abort(threads_then_collect_timed, "taking COLLECT (collector.c) while holding THREADS");
}

/* An exporter whose export_views unregisters an exporter: census calls export_views holding
 * COLLECT, and unregistering takes COLLECT again. Documented as not allowed ("not from an
 * exporter callback"); without the checker the thread would wait for itself until the timeout. */
static census_status unregister_inside_export(void *user, const census_view_data *const *views,
                                              size_t count) {
  (void)views;
  (void)count;
  return census_stats_exporter_unregister(user, 200);
}

static void flush_with_reentrant_exporter(void) {
  static int user;
  static const census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                                .export_views = unregister_inside_export};
  census_stats_exporter_register(&ops, &user);
  census_flush(1000);
}

/* Proves: a real path through the public API that takes a census lock it already holds is caught
 * the first time it runs, with the lock named, instead of hanging until a timeout. */
static void test_reentrant_exporter_is_caught(void **state) {
  (void)state;
  expect_abort(flush_with_reentrant_exporter,
               "taking COLLECT (collector.c) while holding COLLECT (collector.c)");
}

/* Proves: the orders census itself uses pass: outer to inner, several series tables at once (the
 * fork handler's), release and retake; and a flush, a fork and a shutdown through the public API
 * run without an abort in this build (a checker build: the ASan suite). */
static void test_documented_orders_pass(void **state) {
  (void)state;
  census__mutex collect = CENSUS__MUTEX_INIT(CENSUS__LOCK_COLLECT);
  census__mutex views = CENSUS__MUTEX_INIT(CENSUS__LOCK_VIEWS);
  census__mutex series1 = CENSUS__MUTEX_INIT(CENSUS__LOCK_SERIES);
  census__mutex series2 = CENSUS__MUTEX_INIT(CENSUS__LOCK_SERIES);
  census__mutex threads = CENSUS__MUTEX_INIT(CENSUS__LOCK_THREADS);
  census__mutex_lock(&collect);
  census__mutex_lock(&views);
  census__mutex_lock(&series1);
  census__mutex_lock(&series2);
  census__mutex_lock(&threads);
  census__mutex_unlock(&threads);
  census__mutex_unlock(&series2);
  census__mutex_unlock(&series1);
  census__mutex_unlock(&views);
  assert_int_equal(census__mutex_lock_until(&views, INT64_MAX), CENSUS_OK);
  census__mutex_unlock(&views);
  census__mutex_unlock(&collect);

  census_status st;
  const census_measure *m = census_measure_int64_new("lock/m", "", "1", &st);
  census_aggregation *count = census_aggregation_count_new();
  census_view *v = census_view_new("lock/v", "", m, NULL, 0, count, &st);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(count);
  assert_int_equal(census_record_int64(m, 1, NULL), CENSUS_OK);
  assert_int_equal(census_flush(1000), CENSUS_OK);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    _exit(census_record_int64(m, 1, NULL) == CENSUS_OK && census_flush(1000) == CENSUS_OK ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(census_shutdown(1000), CENSUS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inversion_aborts),
      cmocka_unit_test(test_timed_inversion_aborts),
      cmocka_unit_test(test_reentrant_exporter_is_caught),
      cmocka_unit_test(test_documented_orders_pass),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
