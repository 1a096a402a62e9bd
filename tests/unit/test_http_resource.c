/* test_http_resource.c - the exporters' resource (exporters/http/resource.c).
 *
 * Checks the detected attributes against what the process itself reports (gethostname,
 * getpid, /proc/self/exe), and the precedence of the sources with setenv():
 * detected < OTEL_RESOURCE_ATTRIBUTES < API attributes < OTEL_SERVICE_NAME < API service name,
 * with the order of first appearance kept and a malformed OTEL_RESOURCE_ATTRIBUTES ignored as a
 * whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "resource.h"

static int diag_count;
static char diag_last[600];

static void on_diag(void *user, census_status status, const char *message) {
  diag_count++;
  snprintf(diag_last, sizeof diag_last, "%s", message);
}

static int clean_env(void **state) {
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  unsetenv("OTEL_SERVICE_NAME");
  diag_count = 0;
  return 0;
}

static census_resource *build(const char *service, const census_resource_kv *kv, size_t n) {
  census_status st = 1;
  census_resource *r = census__resource_build(service, kv, n, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_non_null(r);
  return r;
}

static const census_resource_attribute *find(const census_resource *r, const char *key) {
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->attributes[i].key, key) == 0) {
      return &r->attributes[i];
    }
  }
  return NULL;
}

static size_t index_of(const census_resource *r, const char *key) {
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->attributes[i].key, key) == 0) {
      return i;
    }
  }
  fail_msg("no attribute %s", key);
  return 0;
}

static void exe_name(char *out, size_t size) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  assert_true(n > 0);
  path[n] = '\0';
  snprintf(out, size, "%s", strrchr(path, '/') + 1);
}

/* Proves: with no configuration the detected attributes are present with the process's own
 * values (pid as an int64), service.name is unknown_service:<executable>, keys are unique, and
 * process.command_args is not collected. */
static void detected(void **state) {
  census_resource *r = build(NULL, NULL, 0);
  char exe[256], expected[300], host[HOST_NAME_MAX + 1];
  exe_name(exe, sizeof exe);
  /* exe_name() reads /proc/self/exe as the code does: pin it to the known target name too. */
  assert_string_equal(exe, "test_http_resource");
  snprintf(expected, sizeof expected, "unknown_service:%s", exe);
  assert_string_equal(census__resource_get(r, "service.name"), expected);
  assert_string_equal(census__resource_get(r, "telemetry.sdk.name"), "census");
  assert_string_equal(census__resource_get(r, "telemetry.sdk.language"), "c");
  assert_string_equal(census__resource_get(r, "telemetry.sdk.version"), census_version());
  assert_string_equal(census__resource_get(r, "process.executable.name"), exe);
  assert_int_equal(gethostname(host, sizeof host), 0);
  assert_string_equal(census__resource_get(r, "host.name"), host);
  const census_resource_attribute *pid = find(r, "process.pid");
  assert_non_null(pid);
  assert_int_equal(pid->type, CENSUS_ATTRIBUTE_INT64);
  assert_int_equal(pid->int_value, getpid());
  assert_null(census__resource_get(r, "process.pid")); /* not a string */
  assert_null(find(r, "process.command_args"));
  assert_null(census__resource_get(r, "no.such.key"));
  for (size_t i = 0; i < r->count; i++) {
    for (size_t j = i + 1; j < r->count; j++) {
      assert_string_not_equal(r->attributes[i].key, r->attributes[j].key);
    }
  }
  census__resource_free(r);
  census__resource_free(NULL);
}

/* Proves each step of the precedence chain, one source added at a time, and that a replaced
 * attribute keeps its first position while new keys are appended in order. */
static void precedence(void **state) {
  /* OTEL_RESOURCE_ATTRIBUTES over detected. */
  setenv("OTEL_RESOURCE_ATTRIBUTES",
         "service.name=from-env-attrs,host.name=h%20env,deployment.environment=prod,team=a", 1);
  census_resource *r = build(NULL, NULL, 0);
  assert_string_equal(census__resource_get(r, "service.name"), "from-env-attrs");
  assert_string_equal(census__resource_get(r, "host.name"), "h env");
  assert_string_equal(census__resource_get(r, "deployment.environment"), "prod");
  assert_true(index_of(r, "service.name") < index_of(r, "host.name"));
  assert_true(index_of(r, "deployment.environment") < index_of(r, "team"));
  census__resource_free(r);

  /* API attributes over OTEL_RESOURCE_ATTRIBUTES (service.name included). */
  census_resource_kv kv[] = {{"team", "b"}, {"service.name", "from-api-attrs"}, {"zone", "z1"}};
  r = build(NULL, kv, 3);
  assert_string_equal(census__resource_get(r, "team"), "b");
  assert_string_equal(census__resource_get(r, "service.name"), "from-api-attrs");
  assert_string_equal(census__resource_get(r, "zone"), "z1");
  assert_true(index_of(r, "team") < index_of(r, "zone"));
  census__resource_free(r);

  /* OTEL_SERVICE_NAME over both. */
  setenv("OTEL_SERVICE_NAME", "from-otel-service-name", 1);
  r = build(NULL, kv, 3);
  assert_string_equal(census__resource_get(r, "service.name"), "from-otel-service-name");
  assert_string_equal(census__resource_get(r, "team"), "b");
  census__resource_free(r);

  /* The API's service name over everything. */
  r = build("from-api-name", kv, 3);
  assert_string_equal(census__resource_get(r, "service.name"), "from-api-name");
  census__resource_free(r);
  /* An empty API service name is no service name. */
  r = build("", kv, 3);
  assert_string_equal(census__resource_get(r, "service.name"), "from-otel-service-name");
  census__resource_free(r);
  assert_int_equal(diag_count, 0);
}

/* Proves: a malformed OTEL_RESOURCE_ATTRIBUTES is ignored whole (its well-formed first member is
 * not applied) and reported once; the other sources still apply. */
static void malformed_env_ignored_whole(void **state) {
  setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=ok,team=%G1", 1);
  census_resource *r = build(NULL, NULL, 0);
  char exe[256], expected[300];
  exe_name(exe, sizeof exe);
  snprintf(expected, sizeof expected, "unknown_service:%s", exe);
  assert_string_equal(census__resource_get(r, "service.name"), expected);
  assert_null(census__resource_get(r, "team"));
  assert_int_equal(diag_count, 1);
  assert_non_null(strstr(diag_last, "OTEL_RESOURCE_ATTRIBUTES"));
  census__resource_free(r);
  setenv("OTEL_SERVICE_NAME", "svc", 1);
  r = build(NULL, NULL, 0);
  assert_string_equal(census__resource_get(r, "service.name"), "svc");
  census__resource_free(r);
}

/* Proves: an API attribute with a NULL or empty key or a NULL value is skipped, not stored. */
static void api_attribute_edge_cases(void **state) {
  census_resource_kv kv[] = {{NULL, "x"}, {"", "y"}, {"k", NULL}, {"k2", ""}};
  census_resource *r = build(NULL, kv, 4);
  assert_null(find(r, ""));
  assert_null(find(r, "k"));
  assert_string_equal(census__resource_get(r, "k2"), "");
  census__resource_free(r);
}

int main(void) {
  census_diagnostics_set_callback(on_diag, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(detected, clean_env, clean_env),
      cmocka_unit_test_setup_teardown(precedence, clean_env, clean_env),
      cmocka_unit_test_setup_teardown(malformed_env_ignored_whole, clean_env, clean_env),
      cmocka_unit_test_setup_teardown(api_attribute_edge_cases, clean_env, clean_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
