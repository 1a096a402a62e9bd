/* test_google_monitoring.c - the Cloud Monitoring exporter's start-up and failure paths that need
 * no server: argument and option validation, a missing project id (CENSUS_ECONFIG with a
 * diagnostic), a bad key file, and an unreachable endpoint: metric descriptors cannot be created,
 * so nothing is sent (no series before its descriptor), every point is counted as deferred (not
 * dropped: a later export carries the cumulative values), the failure is reported, and stop
 * still succeeds. The wire format and the API rules are tested against a server in
 * tests/google_cloud/monitoring_loopback_test.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"
#include "google_monitoring_internal.h"
#include "core/alloc.h"

static char diag[4096];
static void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  size_t used = strlen(diag);
  snprintf(diag + used, sizeof diag - used, "%s\n", message);
}

static int setup(void **state) {
  (void)state;
  diag[0] = '\0';
  census_diagnostics_set_callback(on_diag, NULL);
  unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  unsetenv("GOOGLE_CLOUD_PROJECT");
  return 0;
}

static void test_arguments(void **state) {
  (void)state;
  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  assert_int_equal(census_google_monitoring_exporter_start(&o, NULL), CENSUS_EINVAL);
  census_google_monitoring_exporter *e = (census_google_monitoring_exporter *)&o;
  o.min_write_interval_ms = -1;
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_ECONFIG);
  assert_null(e);
  o.min_write_interval_ms = 0;
  o.access_token = "t";
  o.project_id = "p";
  o.resource_type = "generic_task";
  o.resource_label_count = 1; /* labels NULL */
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_ECONFIG);
  census_google_monitoring_stats s;
  assert_int_equal(census_google_monitoring_exporter_stats(NULL, &s), CENSUS_EINVAL);
  assert_int_equal(census_google_monitoring_exporter_stop(NULL, 0), CENSUS_EINVAL);
}

static void test_no_project(void **state) {
  (void)state;
  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.access_token = "t";
  o.metadata_host = "127.0.0.1:1"; /* nothing listens: no metadata server */
  o.resource_type = "global";
  census_google_monitoring_exporter *e = NULL;
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_ECONFIG);
  assert_null(e);
  assert_non_null(strstr(diag, "no project id"));
  /* GOOGLE_CLOUD_PROJECT is the last source. */
  setenv("GOOGLE_CLOUD_PROJECT", "env-project", 1);
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_OK);
  assert_non_null(e);
  assert_int_equal(census_google_monitoring_exporter_stop(e, 1000), CENSUS_OK);
  unsetenv("GOOGLE_CLOUD_PROJECT");
}

static void test_bad_key_file(void **state) {
  (void)state;
  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.credentials_file = "/nonexistent/sa.json";
  o.project_id = "p";
  census_google_monitoring_exporter *e = NULL;
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_ECONFIG);
  assert_null(e);
  assert_non_null(strstr(diag, "/nonexistent/sa.json"));
}

static void test_unreachable_endpoint(void **state) {
  (void)state;
  census_status st;
  const census_tag_key *k = census_tag_key_new("k", &st);
  const census_measure *m = census_measure_int64_new("gm/unit_m", "m", "1", &st);
  census_aggregation *agg = census_aggregation_count_new();
  const census_tag_key *cols[] = {k};
  census_view *v = census_view_new("gm/unit_view", NULL, m, cols, 1, agg, &st);
  assert_int_equal(census_view_register(v), CENSUS_OK);
  census_view_free(v);
  census_aggregation_free(agg);
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, k, "a");
  census_record_int64(m, 1, tags);
  census_tag_map_put(tags, k, "b");
  census_record_int64(m, 1, tags);
  census_tag_map_free(tags);

  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.access_token = "t";
  o.project_id = "p";
  o.monitoring_endpoint = "http://127.0.0.1:1/";
  const census_kv labels[] = {
      {"location", "here"}, {"namespace", "ns"}, {"job", "j"}, {"task_id", "1"}};
  o.resource_type = "generic_task";
  o.resource_labels = labels;
  o.resource_label_count = 4;
  o.timeout_ms = 2000;
  census_google_monitoring_exporter *e = NULL;
  assert_int_equal(census_google_monitoring_exporter_start(&o, &e), CENSUS_OK);
  census_flush(10000);
  census_google_monitoring_stats s;
  assert_int_equal(census_google_monitoring_exporter_stats(e, &s), CENSUS_OK);
  assert_true(s.exports >= 1);
  assert_int_equal(s.points_submitted, 0);
  assert_int_equal(s.attempts, 0);
  assert_int_equal(s.points_dropped, 0);
  assert_true(s.points_deferred >= 2); /* both rows, each round */
  assert_true(s.descriptor_failures >= 1);
  assert_int_equal(s.descriptors_created, 0);
  assert_non_null(strstr(diag, "metricDescriptors.create custom.googleapis.com/opencensus/"
                               "gm/unit_view failed"));
  assert_int_equal(census_google_monitoring_exporter_stop(e, 2000), CENSUS_OK);
}

/* Proves: a Sum view of a signed measure (an up-down counter's, which can go down) is described
 * as a GAUGE metric, since Cloud Monitoring's CUMULATIVE holds only a total that grows from its
 * start time; a Sum of an unsigned measure stays CUMULATIVE. Fails on main, where every Sum was
 * CUMULATIVE. */
static void test_updown_sum_is_gauge(void **state) {
  (void)state;
  census_measure_options mo = CENSUS_MEASURE_OPTIONS_INIT;
  mo.name = "gm/depth";
  mo.value_type = CENSUS_MEASURE_INT64;
  mo.signed_values = true;
  const census_measure *signed_m = census_measure_new(&mo, NULL);
  const census_measure *plain = census_measure_int64_new("gm/bytes", NULL, "By", NULL);
  assert_true(signed_m && plain);
  const char *names[] = {"gm/depth_sum", "gm/bytes_sum"};
  const census_measure *measures[] = {signed_m, plain};
  const char *kinds[] = {"\"metricKind\":\"GAUGE\"", "\"metricKind\":\"CUMULATIVE\""};
  for (int i = 0; i < 2; i++) {
    census_aggregation *sum = census_aggregation_sum_new();
    census_view *v = census_view_new(names[i], NULL, measures[i], NULL, 0, sum, NULL);
    assert_int_equal(census_view_register(v), CENSUS_OK);
    census_view_free(v);
    census_aggregation_free(sum);
    census_record_int64(measures[i], 3, NULL);
    census_view_data *d = census_view_data_get(names[i], NULL);
    assert_non_null(d);
    census_gm e;
    memset(&e, 0, sizeof e);
    e.project_id = "p";
    char *body = census__gm_descriptor_body(&e, d, "custom.googleapis.com/x");
    assert_non_null(body);
    if (!strstr(body, kinds[i])) {
      fail_msg("%s: want %s in %s", names[i], kinds[i], body);
    }
    census__free(body);
    census_view_data_free(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_arguments, setup),
      cmocka_unit_test_setup(test_no_project, setup),
      cmocka_unit_test_setup(test_bad_key_file, setup),
      cmocka_unit_test_setup(test_unreachable_endpoint, setup),
      cmocka_unit_test_setup(test_updown_sum_is_gauge, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  census_shutdown(5000);
  return rc;
}
