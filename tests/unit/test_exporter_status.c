/* test_exporter_status.c - the exporter status registry (census_exporter_status_register(),
 * _unregister(), _visit(), census_exporter_report_*(); src/export/exporter_status.c).
 *
 * Proves: a registration is listed in registration order with its copied name, kind, items and
 * configuration, and the counters and last error its report callback gives at each visit (live,
 * not a copy from registration time); the defaults (kind = name, items = "items"); secret values
 * are masked whatever case their key uses ("Authorization", "api_key", "header x-token", ...)
 * while others (an endpoint) are kept; messages are cut at 255 bytes; the refusals (NULL, size
 * 0, a bad name, the same user twice, an unknown user); unregistration waits for a visit in
 * progress, and after it the report callback is never called (THREADED). The registry and its
 * functions are new in issue 17: this file does not build on main.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

#include "census/exporter.h"

struct exporter {
  _Atomic uint64_t delivered;
  _Atomic int reports;
  atomic_bool slow;     /* the report sleeps 50 ms */
  _Atomic int finished; /* reports that returned */
  const char *error;
};

static void report(void *user, census_exporter_report *r) {
  struct exporter *e = user;
  atomic_fetch_add(&e->reports, 1);
  if (atomic_load(&e->slow)) {
    sleep_ms(50);
  }
  census_exporter_report_counts(r, atomic_load(&e->delivered), 2, 3);
  census_exporter_report_error(r, e->error ? 1700000000000000000 : 0, e->error);
  atomic_fetch_add(&e->finished, 1);
}

struct seen {
  int count;
  char names[8][64];
  char kind[64], items[64];
  uint64_t delivered, rejected, dropped;
  int64_t error_ns;
  char error[300];
  char config[8][2][128];
  size_t config_count;
};

static void visit(void *context, const census_exporter_status *s) {
  struct seen *v = context;
  if (v->count < 8) {
    snprintf(v->names[v->count], sizeof v->names[0], "%s", s->name);
  }
  v->count++;
  if (strcmp(s->name, "first") == 0) {
    snprintf(v->kind, sizeof v->kind, "%s", s->kind);
    snprintf(v->items, sizeof v->items, "%s", s->items);
    v->delivered = s->delivered;
    v->rejected = s->rejected;
    v->dropped = s->dropped;
    v->error_ns = s->last_error_time_ns;
    snprintf(v->error, sizeof v->error, "%s", s->last_error);
    v->config_count = s->config_count;
    for (size_t i = 0; i < s->config_count && i < 8; i++) {
      snprintf(v->config[i][0], sizeof v->config[i][0], "%s", s->config[i].key);
      snprintf(v->config[i][1], sizeof v->config[i][1], "%s", s->config[i].value);
    }
  }
}

static void test_register_and_visit(void **state) {
  (void)state;
  struct exporter a = {.delivered = 10}, b = {0};
  census_kv config[] = {{"endpoint", "http://collector:4318/v1/traces"},
                        {"Authorization", "Bearer abc"},
                        {"api_key", "k"},
                        {"header x-token", "t"},
                        {"PASSWORD", "p"},
                        {"empty_secret", ""}};
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o.name = "first";
  o.kind = "otlp";
  o.items = "spans";
  o.config = config;
  o.config_count = 6;
  o.report = report;
  assert_int_equal(census_exporter_status_register(&o, &a), CENSUS_OK);
  census_exporter_status_options o2 = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o2.name = "second";
  assert_int_equal(census_exporter_status_register(&o2, &b), CENSUS_OK);
  config[0].value = "changed after registration"; /* copied: no effect */

  struct seen v = {0};
  assert_int_equal(census_exporter_status_visit(visit, &v), CENSUS_OK);
  assert_int_equal(v.count, 2);
  assert_string_equal(v.names[0], "first");
  assert_string_equal(v.names[1], "second");
  assert_string_equal(v.kind, "otlp");
  assert_string_equal(v.items, "spans");
  assert_int_equal(v.delivered, 10);
  assert_int_equal(v.rejected, 2);
  assert_int_equal(v.dropped, 3);
  assert_int_equal(v.error_ns, 0);
  assert_string_equal(v.error, "");
  assert_int_equal(v.config_count, 6);
  assert_string_equal(v.config[0][1], "http://collector:4318/v1/traces");
  assert_string_equal(v.config[1][1], "****");
  assert_string_equal(v.config[2][1], "****");
  assert_string_equal(v.config[3][1], "****");
  assert_string_equal(v.config[4][1], "****");
  assert_string_equal(v.config[5][1], ""); /* nothing to hide */

  /* Counters are asked for at each visit. */
  atomic_store(&a.delivered, 11);
  char long_error[400];
  memset(long_error, 'e', sizeof long_error - 1);
  long_error[sizeof long_error - 1] = '\0';
  a.error = long_error;
  v = (struct seen){0};
  census_exporter_status_visit(visit, &v);
  assert_int_equal(v.delivered, 11);
  assert_int_equal(strlen(v.error), 255);
  assert_int_equal(v.error_ns, 1700000000000000000);

  assert_int_equal(census_exporter_status_unregister(&a), CENSUS_OK);
  assert_int_equal(census_exporter_status_unregister(&a), CENSUS_ENOTFOUND);
  v = (struct seen){0};
  census_exporter_status_visit(visit, &v);
  assert_int_equal(v.count, 1);
  assert_string_equal(v.names[0], "second");
  assert_int_equal(census_exporter_status_unregister(&b), CENSUS_OK);
}

static void test_defaults_and_refusals(void **state) {
  (void)state;
  int user;
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  assert_int_equal(census_exporter_status_register(&o, &user), CENSUS_EINVAL); /* no name */
  assert_int_equal(census_exporter_status_register(NULL, &user), CENSUS_EINVAL);
  census_exporter_status_options zeroed = {0};
  zeroed.name = "zeroed";
  assert_int_equal(census_exporter_status_register(&zeroed, &user), CENSUS_EINVAL);
  o.name = "bad\nname";
  assert_int_equal(census_exporter_status_register(&o, &user), CENSUS_EBADNAME);
  o.name = "";
  assert_int_equal(census_exporter_status_register(&o, &user), CENSUS_EBADNAME);
  o.name = "plain";
  assert_int_equal(census_exporter_status_register(&o, &user), CENSUS_OK);
  assert_int_equal(census_exporter_status_register(&o, &user), CENSUS_EDUPLICATE);
  struct seen v = {0};
  census_exporter_status_visit(visit, &v);
  assert_int_equal(v.count, 1);
  assert_int_equal(census_exporter_status_visit(NULL, NULL), CENSUS_EINVAL);
  assert_int_equal(census_exporter_status_unregister(&user), CENSUS_OK);
}

struct visit_thread {
  struct seen seen;
};

static void *visit_main(void *arg) {
  struct visit_thread *t = arg;
  census_exporter_status_visit(visit, &t->seen);
  return NULL;
}

static void test_unregister_waits_for_visit(void **state) {
  (void)state;
  struct exporter e = {0};
  atomic_store(&e.slow, true);
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o.name = "first";
  o.report = report;
  assert_int_equal(census_exporter_status_register(&o, &e), CENSUS_OK);
  struct visit_thread t = {0};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, visit_main, &t), 0);
  while (atomic_load(&e.reports) == 0) {
    sleep_ms(1);
  }
  assert_int_equal(census_exporter_status_unregister(&e), CENSUS_OK);
  /* The report in progress (50 ms) finished before the unregistration returned. */
  assert_int_equal(atomic_load(&e.finished), atomic_load(&e.reports));
  int reports = atomic_load(&e.reports);
  pthread_join(thread, NULL);
  assert_int_equal(t.seen.count, 1);
  assert_int_equal(atomic_load(&e.reports), reports);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register_and_visit),
      cmocka_unit_test(test_defaults_and_refusals),
      cmocka_unit_test(test_unregister_waits_for_visit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
