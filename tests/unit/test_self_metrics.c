/* test_self_metrics.c - the exporter self-metrics census/exporter_dropped_items and
 * census/exporter_rejected_items, fed through census_exporter_record_dropped() / _rejected().
 *
 * The views are process-global and every test here records under its own exporter names, so
 * each test reads only its own rows. What a row holds is read back through the public snapshot
 * API (census_view_data_get) and through a registered stats exporter, i.e. what every exporter
 * (stdout, Prometheus, OTLP...) is handed. The shutdown test runs last: after it census is gone
 * for this process.
 *
 * Not labelled "threaded": the fork test forks a process that runs census's export worker, and
 * TSan kills children that start threads after such a fork. Recording from another thread is
 * covered by unit_http_sender (the sender's delivery thread records), which runs under TSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/census.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#define DROPPED "census/exporter_dropped_items"
#define REJECTED "census/exporter_rejected_items"

/* ---- reading rows back ------------------------------------------------------------------- */

/* The Sum of the row whose columns equal exporter (and reason, when the view has that column)
 * in the snapshot `d`; -1 when there is no such row. Fails the test if a row appears twice. */
static int64_t row_sum(const census_view_data *d, const char *exporter, const char *reason) {
  int64_t found = -1;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), exporter) != 0) {
      continue;
    }
    if (reason != NULL && strcmp(census_view_data_row_value(d, r, 1), reason) != 0) {
      continue;
    }
    census_point p;
    assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
    assert_int_equal(found, -1);
    found = p.int_value;
  }
  return found;
}

/* The same, from a fresh snapshot of view `view`. */
static int64_t sum_of(const char *view, const char *exporter, const char *reason) {
  census_status st = 1;
  census_view_data *d = census_view_data_get(view, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_non_null(d);
  int64_t v = row_sum(d, exporter, reason);
  census_view_data_free(d);
  return v;
}

/* Rows of `view` whose exporter column starts with `prefix`. */
static size_t rows_with_prefix(const char *view, const char *prefix) {
  census_view_data *d = census_view_data_get(view, NULL);
  assert_non_null(d);
  size_t n = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    n += strncmp(census_view_data_row_value(d, r, 0), prefix, strlen(prefix)) == 0;
  }
  census_view_data_free(d);
  return n;
}

/* census/dropped_measurements for reason invalid_value (0 without a row). */
static int64_t invalid_values(void) {
  int64_t v = sum_of("census/dropped_measurements", "invalid_value", NULL);
  return v < 0 ? 0 : v;
}

/* Diagnostics, counted. */
static atomic_int diag_count;
static char last_diag[512];

static void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  atomic_fetch_add(&diag_count, 1);
  snprintf(last_diag, sizeof last_diag, "%s", message);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Proves: both views are registered at start-up with the documented shape: Sum of an int64
 * measure in unit "1", columns (exporter, reason) and (exporter). */
static void views_have_documented_shape(void **state) {
  (void)state;
  census_status st = 1;
  census_view_data *d = census_view_data_get(DROPPED, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_data_column_count(d), 2);
  assert_string_equal(census_view_data_column(d, 0), "exporter");
  assert_string_equal(census_view_data_column(d, 1), "reason");
  assert_int_equal(census_measure_value_type(census_view_data_measure(d)), CENSUS_MEASURE_INT64);
  assert_string_equal(census_measure_unit(census_view_data_measure(d)), "1");
  census_view_data_free(d);
  d = census_view_data_get(REJECTED, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_data_column_count(d), 1);
  assert_string_equal(census_view_data_column(d, 0), "exporter");
  assert_int_equal(census_measure_value_type(census_view_data_measure(d)), CENSUS_MEASURE_INT64);
  assert_string_equal(census_measure_unit(census_view_data_measure(d)), "1");
  census_view_data_free(d);
}

/* Proves: records sum per (exporter, reason) and per exporter, each pair its own row, with the
 * exact totals; the reason strings are the header's constants. */
static void sums_per_exporter_and_reason(void **state) {
  (void)state;
  assert_int_equal(census_exporter_record_dropped("sm a", CENSUS_EXPORTER_DROP_QUEUE_FULL, 5), 0);
  assert_int_equal(census_exporter_record_dropped("sm a", "queue_full", 2), CENSUS_OK);
  assert_int_equal(census_exporter_record_dropped("sm a", CENSUS_EXPORTER_DROP_SHUTDOWN, 3), 0);
  assert_int_equal(census_exporter_record_dropped("sm b", "queue_full", 11), CENSUS_OK);
  assert_int_equal(census_exporter_record_dropped("sm b", "permanent_failure", 13), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("sm a", 4), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("sm a", 6), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("sm b", 1), CENSUS_OK);
  assert_int_equal(sum_of(DROPPED, "sm a", "queue_full"), 7);
  assert_int_equal(sum_of(DROPPED, "sm a", "shutdown"), 3);
  assert_int_equal(sum_of(DROPPED, "sm a", "permanent_failure"), -1);
  assert_int_equal(sum_of(DROPPED, "sm b", "queue_full"), 11);
  assert_int_equal(sum_of(DROPPED, "sm b", "permanent_failure"), 13);
  assert_int_equal(rows_with_prefix(DROPPED, "sm "), 4);
  assert_int_equal(sum_of(REJECTED, "sm a", NULL), 10);
  assert_int_equal(sum_of(REJECTED, "sm b", NULL), 1);
  assert_int_equal(rows_with_prefix(REJECTED, "sm "), 2);
  assert_string_equal(CENSUS_EXPORTER_DROP_RETRY_BUDGET, "retry_budget");
  assert_string_equal(CENSUS_EXPORTER_DROP_PERMANENT_FAILURE, "permanent_failure");
  assert_string_equal(CENSUS_EXPORTER_DROP_OUT_OF_MEMORY, "out_of_memory");
}

/* What a registered stats exporter saw of the two views in its last export. */
static int64_t exported_dropped = -1, exported_rejected = -1;

static census_status capture(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(census_view_data_name(views[i]), DROPPED) == 0) {
      exported_dropped = row_sum(views[i], "sm exported", "retry_budget");
    } else if (strcmp(census_view_data_name(views[i]), REJECTED) == 0) {
      exported_rejected = row_sum(views[i], "sm exported", NULL);
    }
  }
  return CENSUS_OK;
}

/* Proves: the rows reach exporters like any view's: a registered stats exporter is handed both
 * views with the recorded totals on census_flush(). */
static void exporters_receive_them(void **state) {
  (void)state;
  static int user;
  census_stats_exporter_ops ops = CENSUS_STATS_EXPORTER_OPS_INIT;
  ops.export_views = capture;
  assert_int_equal(census_stats_exporter_register(&ops, &user), CENSUS_OK);
  assert_int_equal(census_exporter_record_dropped("sm exported", "retry_budget", 21), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("sm exported", 8), CENSUS_OK);
  assert_int_equal(census_flush(5000), CENSUS_OK);
  assert_int_equal(exported_dropped, 21);
  assert_int_equal(exported_rejected, 8);
  assert_int_equal(census_stats_exporter_unregister(&user, 5000), CENSUS_OK);
}

/* Proves: refused arguments: NULL strings are CENSUS_EINVAL; empty, 256-byte, non-printable
 * and non-ASCII strings are CENSUS_EBADVALUE; items beyond INT64_MAX is CENSUS_EINVAL. Nothing
 * is recorded for any of them; each non-NULL refusal is reported once and counted in
 * census/dropped_measurements (invalid_value). Zero items is CENSUS_OK and creates no row. The
 * boundaries are accepted: a 255-byte name and INT64_MAX items. */
static void refuses_bad_arguments(void **state) {
  (void)state;
  char long_name[257];
  memset(long_name, 'x', 256);
  long_name[256] = '\0';
  int64_t invalid_before = invalid_values();
  atomic_store(&diag_count, 0);

  assert_int_equal(census_exporter_record_dropped(NULL, "queue_full", 1), CENSUS_EINVAL);
  assert_int_equal(census_exporter_record_dropped("sm bad", NULL, 1), CENSUS_EINVAL);
  assert_int_equal(census_exporter_record_rejected(NULL, 1), CENSUS_EINVAL);
  assert_int_equal(atomic_load(&diag_count), 0);

  assert_int_equal(census_exporter_record_dropped("", "queue_full", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped("sm bad", "", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped(long_name, "queue_full", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped("sm bad", long_name, 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped("sm\nbad", "queue_full", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped("sm bad", "qu\xc3\xa9ue", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_rejected("", 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_rejected(long_name, 1), CENSUS_EBADVALUE);
  assert_int_equal(census_exporter_record_dropped("sm bad", "queue_full", (uint64_t)INT64_MAX + 1),
                   CENSUS_EINVAL);
  assert_int_equal(census_exporter_record_rejected("sm bad", UINT64_MAX), CENSUS_EINVAL);
  assert_int_equal(atomic_load(&diag_count), 10);
  assert_non_null(strstr(last_diag, "census_exporter_record_rejected"));
  assert_int_equal(invalid_values() - invalid_before, 10);

  assert_int_equal(census_exporter_record_dropped("sm zero", "queue_full", 0), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected("sm zero", 0), CENSUS_OK);
  /* Zero items with a bad name is still refused: the bug is reported even when nothing is lost. */
  assert_int_equal(census_exporter_record_dropped("", "queue_full", 0), CENSUS_EBADVALUE);
  assert_int_equal(rows_with_prefix(DROPPED, "sm bad"), 0);
  assert_int_equal(rows_with_prefix(REJECTED, "sm bad"), 0);
  assert_int_equal(rows_with_prefix(DROPPED, "sm zero"), 0);
  assert_int_equal(rows_with_prefix(REJECTED, "sm zero"), 0);
  assert_int_equal(rows_with_prefix(DROPPED, "xxx"), 0);

  char max_name[256];
  memcpy(max_name, "sm max", 6);
  memset(max_name + 6, 'y', 249);
  max_name[255] = '\0';
  assert_int_equal(strlen(max_name), 255);
  assert_int_equal(census_exporter_record_dropped(max_name, max_name, INT64_MAX), CENSUS_OK);
  assert_int_equal(census_exporter_record_rejected(max_name, INT64_MAX), CENSUS_OK);
  assert_int_equal(sum_of(DROPPED, max_name, max_name), INT64_MAX);
  assert_int_equal(sum_of(REJECTED, max_name, NULL), INT64_MAX);
}

/* Proves: in a fork() child the parent's rows are gone (the child's series start at the fork)
 * and the child's records land in its own series; the parent's totals are unaffected by the
 * child's records. */
static void fork_child_records_its_own(void **state) {
  (void)state;
  assert_int_equal(census_exporter_record_dropped("sm fork", "queue_full", 40), CENSUS_OK);
  assert_int_equal(sum_of(DROPPED, "sm fork", "queue_full"), 40);
  fflush(NULL);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    int code = 0;
    census_view_data *d = census_view_data_get(DROPPED, NULL);
    if (d == NULL || row_sum(d, "sm fork", "queue_full") != -1) {
      code = 1; /* the parent's row leaked into the child */
    }
    census_view_data_free(d);
    if (census_exporter_record_dropped("sm fork", "queue_full", 2) != CENSUS_OK ||
        census_exporter_record_rejected("sm fork", 3) != CENSUS_OK) {
      code = 2;
    }
    d = census_view_data_get(DROPPED, NULL);
    if (d == NULL || row_sum(d, "sm fork", "queue_full") != 2) {
      code = 3;
    }
    census_view_data_free(d);
    d = census_view_data_get(REJECTED, NULL);
    if (d == NULL || row_sum(d, "sm fork", NULL) != 3) {
      code = 4;
    }
    census_view_data_free(d);
    _exit(code);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(sum_of(DROPPED, "sm fork", "queue_full"), 40);
  assert_int_equal(sum_of(REJECTED, "sm fork", NULL), -1);
}

/* Proves: after census_shutdown() both functions are harmless no-ops that say so with
 * CENSUS_ESHUTDOWN (and still refuse bad arguments first). Must run last. */
static void after_shutdown_is_a_no_op(void **state) {
  (void)state;
  assert_int_equal(census_shutdown(5000), CENSUS_OK);
  assert_int_equal(census_exporter_record_dropped("sm late", "shutdown", 1), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exporter_record_rejected("sm late", 1), CENSUS_ESHUTDOWN);
  assert_int_equal(census_exporter_record_dropped("sm late", "shutdown", 0), CENSUS_OK);
  assert_int_equal(census_exporter_record_dropped(NULL, "shutdown", 1), CENSUS_EINVAL);
  census_status st = 1;
  assert_null(census_view_data_get(DROPPED, &st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
}

/* Proves: a record that is the process's first census call (it starts census, which creates the
 * measures) is counted, not lost. Must run first: nothing before it may start census. */
static void first_call_is_counted(void **state) {
  (void)state;
  assert_int_equal(census_exporter_record_dropped("first call", "queue_full", 9), CENSUS_OK);
  assert_int_equal(sum_of(DROPPED, "first call", "queue_full"), 9);
}

int main(void) {
  census_diagnostics_set_callback(on_diag, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(first_call_is_counted), /* first: census must not be started yet */
      cmocka_unit_test(views_have_documented_shape), cmocka_unit_test(sums_per_exporter_and_reason),
      cmocka_unit_test(exporters_receive_them),      cmocka_unit_test(refuses_bad_arguments),
      cmocka_unit_test(fork_child_records_its_own),  cmocka_unit_test(after_shutdown_is_a_no_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
