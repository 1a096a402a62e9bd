/* test_options.c - the options-struct convention (docs/api-conventions.md, "Options structs"):
 * every public struct the caller fills and passes in that may grow starts with `size_t size`, set
 * by its CENSUS_<TYPE>_INIT macro; census reads only the first `size` bytes (fields past a smaller
 * size take their defaults); NULL means all defaults where a function accepts NULL; size 0 (a
 * struct zero-initialised or filled positionally instead of with the macro) is refused with
 * CENSUS_EINVAL and one diagnostic line that names the struct and the macro; so is a size larger
 * than census knows, and census never reads past what it knows (under ASan, the unit label's
 * sanitizer run, a read past the caller's struct fails).
 *
 * The structs: census_span_options (census_span_start), census_span_limits
 * (census_trace_set_limits), census_span_export_options (census_trace_set_export_options and the
 * getter census_trace_export_options), census_stats_exporter_ops and census_span_exporter_ops
 * (the exporter registrations).
 *
 * Fails on main: the structs had no size member and no _INIT macros (this file does not compile
 * there), and a zero-initialised struct was taken as "all defaults".
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "census/trace.h"
#include "core/options.h"
#include "support.h" /* cmocka, census/census.h */

/* ---- diagnostics capture ------------------------------------------------------------------ */

static pthread_mutex_t diag_mu = PTHREAD_MUTEX_INITIALIZER;
static char diag_log[8192];
static int diag_lines;

static void capture(void *user, census_status status, const char *message) {
  (void)user;
  pthread_mutex_lock(&diag_mu);
  size_t len = strlen(diag_log);
  snprintf(diag_log + len, sizeof diag_log - len, "%s: %s\n", census_status_name(status), message);
  diag_lines++;
  pthread_mutex_unlock(&diag_mu);
}

static void diag_reset(void) {
  pthread_mutex_lock(&diag_mu);
  diag_log[0] = '\0';
  diag_lines = 0;
  pthread_mutex_unlock(&diag_mu);
}

/* Asserts that exactly one diagnostic line was reported since diag_reset(), with status
 * CENSUS_EINVAL, naming `function`, `type` and `macro`. */
static void assert_one_line(const char *function, const char *type, const char *macro) {
  pthread_mutex_lock(&diag_mu);
  int lines = diag_lines;
  char log[sizeof diag_log];
  memcpy(log, diag_log, sizeof log);
  pthread_mutex_unlock(&diag_mu);
  if (lines != 1 || strncmp(log, "CENSUS_EINVAL: ", 15) != 0 || !strstr(log, function) ||
      !strstr(log, type) || !strstr(log, macro)) {
    fail_msg("expected one CENSUS_EINVAL line naming %s, %s and %s; got %d:\n%s", function, type,
             macro, lines, log);
  }
}

static int setup(void **state) {
  (void)state;
  census_diagnostics_set_callback(capture, NULL);
  return 0;
}

/* A struct the size of `type` plus room past it, so that a "larger" size points at memory the
 * test owns: a census that read past what it knows would then read zeros, not fault. ASan still
 * catches a read past the declared object in the tests that pass a plain struct. */
#define PADDED(type)                                                                               \
  union {                                                                                          \
    type value;                                                                                    \
    unsigned char bytes[sizeof(type) + 64];                                                        \
  }

/* ---- census_span_options ------------------------------------------------------------------ */

/* Proves: census_span_start() takes NULL and CENSUS_SPAN_OPTIONS_INIT as all defaults, refuses a
 * zero-initialised struct (handle 0, one diagnostic naming the macro) and a size larger than it
 * knows, and honours a field set after the macro. */
static void test_span_options(void **state) {
  (void)state;
  census_span span = census_span_start("options/null", NULL);
  assert_true(span != 0);
  census_span_end(span);

  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  assert_int_equal(o.size, sizeof(census_span_options));
  census_sampler *off = census_sampler_always_off();
  o.sampler = off;
  o.root = true;
  span = census_span_start("options/init", &o);
  assert_true(span != 0);
  assert_false(census_span_is_recording(span)); /* the field set by name was read */
  census_span_end(span);

  diag_reset();
  census_span_options zero = {0};
  zero.root = true;
  assert_true(census_span_start("options/zero", &zero) == 0);
  assert_one_line("census_span_start", "census_span_options", "CENSUS_SPAN_OPTIONS_INIT");

  diag_reset();
  PADDED(census_span_options) bigger;
  memset(&bigger, 0, sizeof bigger);
  bigger.value.size = sizeof(census_span_options) + 8;
  assert_true(census_span_start("options/bigger", &bigger.value) == 0);
  assert_one_line("census_span_start", "census_span_options", "CENSUS_SPAN_OPTIONS_INIT");

  /* census_span_start_current() goes through the same check. */
  diag_reset();
  assert_true(census_span_start_current("options/zero-current", &zero) == 0);
  assert_true(census_span_current() == 0);
  assert_one_line("census_span_start", "census_span_options", "CENSUS_SPAN_OPTIONS_INIT");
  census_sampler_free(off);
}

/* ---- census_span_limits ------------------------------------------------------------------- */

/* Proves: census_trace_set_limits() refuses NULL, size 0 (with the diagnostic) and a larger size;
 * the macro-initialised struct is accepted. (That a refused call changes nothing is shown for the
 * export options below, whose values the getter reads back.) */
static void test_span_limits(void **state) {
  (void)state;
  assert_int_equal(census_trace_set_limits(NULL), CENSUS_EINVAL);

  diag_reset();
  census_span_limits zero = {0};
  zero.max_attributes = 1;
  assert_int_equal(census_trace_set_limits(&zero), CENSUS_EINVAL);
  assert_one_line("census_trace_set_limits", "census_span_limits", "CENSUS_SPAN_LIMITS_INIT");

  diag_reset();
  PADDED(census_span_limits) bigger;
  memset(&bigger, 0, sizeof bigger);
  bigger.value.size = sizeof(census_span_limits) + 8;
  bigger.value.max_attributes = 1;
  assert_int_equal(census_trace_set_limits(&bigger.value), CENSUS_EINVAL);
  assert_one_line("census_trace_set_limits", "census_span_limits", "CENSUS_SPAN_LIMITS_INIT");

  census_span_limits limits = CENSUS_SPAN_LIMITS_INIT;
  limits.max_attributes = 128;
  assert_int_equal(census_trace_set_limits(&limits), CENSUS_OK);
}

/* ---- census_span_export_options ----------------------------------------------------------- */

/* Proves: the setter refuses NULL, size 0 and a larger size and then changes nothing (the getter
 * still reports the values set before); the getter refuses NULL and size 0 and leaves the struct
 * unchanged, and with the macro fills every field and keeps the caller's size. */
static void test_span_export_options(void **state) {
  (void)state;
  census_span_export_options set = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  set.max_queue_size = 4096;
  set.max_export_batch_size = 256;
  set.schedule_delay_ms = 3600000;
  set.export_timeout_ms = 20000;
  assert_int_equal(census_trace_set_export_options(&set), CENSUS_OK);

  assert_int_equal(census_trace_set_export_options(NULL), CENSUS_EINVAL);
  diag_reset();
  census_span_export_options zero = {0};
  zero.max_queue_size = 8;
  assert_int_equal(census_trace_set_export_options(&zero), CENSUS_EINVAL);
  assert_one_line("census_trace_set_export_options", "census_span_export_options",
                  "CENSUS_SPAN_EXPORT_OPTIONS_INIT");
  diag_reset();
  PADDED(census_span_export_options) bigger;
  memset(&bigger, 0, sizeof bigger);
  bigger.value.size = sizeof(census_span_export_options) + 8;
  bigger.value.max_queue_size = 8;
  assert_int_equal(census_trace_set_export_options(&bigger.value), CENSUS_EINVAL);
  assert_one_line("census_trace_set_export_options", "census_span_export_options",
                  "CENSUS_SPAN_EXPORT_OPTIONS_INIT");

  assert_int_equal(census_trace_export_options(NULL), CENSUS_EINVAL);
  diag_reset();
  census_span_export_options got;
  memset(&got, 0x5a, sizeof got);
  got.size = 0;
  assert_int_equal(census_trace_export_options(&got), CENSUS_EINVAL);
  assert_one_line("census_trace_export_options", "census_span_export_options",
                  "CENSUS_SPAN_EXPORT_OPTIONS_INIT");
  assert_int_equal(got.max_queue_size, 0x5a5a5a5a); /* untouched */

  census_span_export_options now = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  assert_int_equal(census_trace_export_options(&now), CENSUS_OK);
  assert_int_equal(now.size, sizeof now);
  assert_int_equal(now.max_queue_size, 4096);
  assert_int_equal(now.max_export_batch_size, 256);
  assert_int_equal(now.schedule_delay_ms, 3600000);
  assert_int_equal(now.export_timeout_ms, 20000);
}

/* ---- exporter ops -------------------------------------------------------------------------- */

static census_status no_views(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  (void)views;
  (void)count;
  return CENSUS_OK;
}

static census_status no_spans(void *user, const census_span_data *const *spans, size_t count) {
  (void)user;
  (void)spans;
  (void)count;
  return CENSUS_OK;
}

/* Proves: both registrations refuse NULL, a zero-initialised table (naming the macro) and a
 * larger size, registering nothing (unregister then finds nothing); the macro-initialised table
 * registers. */
static void test_exporter_ops(void **state) {
  (void)state;
  static int user;
  assert_int_equal(census_stats_exporter_register(NULL, &user), CENSUS_EINVAL);
  assert_int_equal(census_span_exporter_register(NULL, &user), CENSUS_EINVAL);

  diag_reset();
  census_stats_exporter_ops stats_zero = {0};
  stats_zero.export_views = no_views;
  assert_int_equal(census_stats_exporter_register(&stats_zero, &user), CENSUS_EINVAL);
  assert_one_line("census_stats_exporter_register", "census_stats_exporter_ops",
                  "CENSUS_STATS_EXPORTER_OPS_INIT");
  assert_int_equal(census_stats_exporter_unregister(&user, 1000), CENSUS_ENOTFOUND);

  diag_reset();
  census_span_exporter_ops span_zero = {0};
  span_zero.export_spans = no_spans;
  assert_int_equal(census_span_exporter_register(&span_zero, &user), CENSUS_EINVAL);
  assert_one_line("census_span_exporter_register", "census_span_exporter_ops",
                  "CENSUS_SPAN_EXPORTER_OPS_INIT");
  assert_int_equal(census_span_exporter_unregister(&user, 1000), CENSUS_ENOTFOUND);

  diag_reset();
  PADDED(census_stats_exporter_ops) stats_bigger;
  memset(&stats_bigger, 0, sizeof stats_bigger);
  stats_bigger.value.size = sizeof(census_stats_exporter_ops) + 8;
  stats_bigger.value.export_views = no_views;
  assert_int_equal(census_stats_exporter_register(&stats_bigger.value, &user), CENSUS_EINVAL);
  assert_one_line("census_stats_exporter_register", "census_stats_exporter_ops",
                  "CENSUS_STATS_EXPORTER_OPS_INIT");

  census_stats_exporter_ops stats_ops = CENSUS_STATS_EXPORTER_OPS_INIT;
  stats_ops.export_views = no_views;
  assert_int_equal(census_stats_exporter_register(&stats_ops, &user), CENSUS_OK);
  assert_int_equal(census_stats_exporter_unregister(&user, 1000), CENSUS_OK);
  census_span_exporter_ops span_ops = CENSUS_SPAN_EXPORTER_OPS_INIT;
  span_ops.export_spans = no_spans;
  assert_int_equal(census_span_exporter_register(&span_ops, &user), CENSUS_OK);
  assert_int_equal(census_span_exporter_unregister(&user, 1000), CENSUS_OK);
}

/* ---- the shared reader, with a struct that grew ------------------------------------------- */

/* Version 1 of a struct had `a`; version 2 appended `b` (default 0). */
struct grown {
  size_t size;
  int64_t a;
  int64_t b;
};
struct grown_v1 {
  size_t size;
  int64_t a;
};

/* Proves: a caller built against the older header (its size is the v1 sizeof) is accepted, its
 * field is read, and the appended field takes its default (0) even though the memory after the
 * caller's struct holds something else: census reads only the first `size` bytes. The current
 * size reads every field; out->size is always the library's sizeof. */
static void test_reader_reads_only_size_bytes(void **state) {
  (void)state;
  union {
    struct grown_v1 v1;
    unsigned char bytes[sizeof(struct grown)];
  } old_caller;
  memset(&old_caller, 0x77, sizeof old_caller); /* what lies past the v1 struct */
  old_caller.v1.size = sizeof(struct grown_v1);
  old_caller.v1.a = 42;
  struct grown out;
  assert_int_equal(census__options_read(&old_caller, CENSUS__END_OF(struct grown, a),
                                        sizeof(struct grown), &out, "f", "grown", "GROWN_INIT"),
                   CENSUS_OK);
  assert_int_equal(out.size, sizeof(struct grown));
  assert_int_equal(out.a, 42);
  assert_int_equal(out.b, 0);

  struct grown now = {.size = sizeof(struct grown), .a = 1, .b = 2};
  assert_int_equal(census__options_read(&now, CENSUS__END_OF(struct grown, a), sizeof(struct grown),
                                        &out, "f", "grown", "GROWN_INIT"),
                   CENSUS_OK);
  assert_int_equal(out.a, 1);
  assert_int_equal(out.b, 2);

  /* Below the first version's end, and 0: refused, out zeroed. */
  diag_reset();
  struct grown short_one = {.size = sizeof(size_t) + 4, .a = 5, .b = 6};
  assert_int_equal(census__options_read(&short_one, CENSUS__END_OF(struct grown, a),
                                        sizeof(struct grown), &out, "f", "grown", "GROWN_INIT"),
                   CENSUS_EINVAL);
  assert_int_equal(out.a, 0);
  assert_one_line("f", "grown", "GROWN_INIT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_span_options),
      cmocka_unit_test(test_span_limits),
      cmocka_unit_test(test_span_export_options),
      cmocka_unit_test(test_exporter_ops),
      cmocka_unit_test(test_reader_reads_only_size_bytes),
  };
  return cmocka_run_group_tests_name("options", tests, setup, NULL);
}
