/* test_spool_exporters.c - the spool options of every push exporter (OTLP, Zipkin, Cloud Trace,
 * Cloud Monitoring), through their public start functions.
 *
 * Proves, for each exporter: its spool_dir option reaches its sender(s): a directory that does
 * not exist makes the start fail with CENSUS_ECONFIG and one diagnostic naming the option and
 * the path; an existing one starts the exporter with one spool directory per sender under the
 * service's directory (OTLP: metrics and traces), named after the sender; CENSUS_SPOOL_DIR does
 * the same when the option is unset, and the option wins over it. On main there is no spool_dir
 * option (this file does not compile there).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "diag_log.h" /* on_diag, diag_log, diag_lines, diag_reset(), diag_matches() */
#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/google_cloud_trace.h"
#include "census/exporters/otlp.h"
#include "census/exporters/zipkin.h"

#define DEAD "http://127.0.0.1:9"

typedef enum { OTLP, ZIPKIN, TRACE, MONITORING } kind;

/* Starts exporter `k` with spool_dir `dir` (may be NULL) and stops it at once. */
static census_status start_stop(kind k, const char *dir) {
  census_status st = CENSUS_EINVAL;
  switch (k) {
  case OTLP: {
    census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
    o.endpoint = DEAD;
    o.service_name = "spool-svc";
    o.spool_dir = dir;
    census_otlp_exporter *e = NULL;
    st = census_otlp_exporter_start(&o, &e);
    if (st == CENSUS_OK) {
      census_otlp_exporter_stop(e, 100);
    }
    break;
  }
  case ZIPKIN: {
    census_zipkin_options o = CENSUS_ZIPKIN_OPTIONS_INIT;
    o.endpoint = DEAD "/api/v2/spans";
    o.service_name = "spool-svc";
    o.spool_dir = dir;
    census_zipkin_exporter *e = NULL;
    st = census_zipkin_exporter_start(&o, &e);
    if (st == CENSUS_OK) {
      census_zipkin_exporter_stop(e, 100);
    }
    break;
  }
  case TRACE: {
    census_google_trace_options o = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
    o.project_id = "p";
    o.access_token = "t";
    o.trace_endpoint = DEAD;
    o.spool_dir = dir;
    census_google_trace_exporter *e = NULL;
    st = census_google_trace_exporter_start(&o, &e);
    if (st == CENSUS_OK) {
      census_google_trace_exporter_stop(e, 100);
    }
    break;
  }
  case MONITORING: {
    census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
    o.project_id = "p";
    o.access_token = "t";
    o.monitoring_endpoint = DEAD;
    o.resource_type = "global";
    o.spool_dir = dir;
    census_google_monitoring_exporter *e = NULL;
    st = census_google_monitoring_exporter_start(&o, &e);
    if (st == CENSUS_OK) {
      census_google_monitoring_exporter_stop(e, 100);
    }
    break;
  }
  }
  return st;
}

/* Sender directories (second level) under root whose name starts with `prefix`. */
static int sender_dirs(const char *root, const char *prefix) {
  int n = 0;
  DIR *d = opendir(root);
  assert_non_null(d);
  struct dirent *svc;
  while ((svc = readdir(d)) != NULL) {
    if (svc->d_name[0] == '.') {
      continue;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, svc->d_name);
    DIR *s = opendir(path);
    if (s == NULL) {
      continue;
    }
    struct dirent *snd;
    while ((snd = readdir(s)) != NULL) {
      n += strncmp(snd->d_name, prefix, strlen(prefix)) == 0;
    }
    closedir(s);
  }
  closedir(d);
  return n;
}

static void check_exporter(kind k, const char *const *senders, int count) {
  char root[] = "/tmp/census-spool-opt-XXXXXX", env_root[] = "/tmp/census-spool-env-XXXXXX";
  assert_non_null(mkdtemp(root));
  assert_non_null(mkdtemp(env_root));
  char missing[64];
  snprintf(missing, sizeof missing, "%s/missing", root);

  unsetenv("CENSUS_SPOOL_DIR");
  diag_reset();
  assert_int_equal(start_stop(k, missing), CENSUS_ECONFIG);
  assert_non_null(strstr(diag_log, "spool_dir"));
  assert_non_null(strstr(diag_log, missing));

  assert_int_equal(start_stop(k, root), CENSUS_OK);
  for (int i = 0; i < count; i++) {
    assert_int_equal(sender_dirs(root, senders[i]), 1);
  }
  setenv("CENSUS_SPOOL_DIR", env_root, 1);
  assert_int_equal(start_stop(k, NULL), CENSUS_OK); /* from the environment */
  assert_int_equal(start_stop(k, root), CENSUS_OK); /* the option wins */
  for (int i = 0; i < count; i++) {
    assert_int_equal(sender_dirs(env_root, senders[i]), 1);
    assert_int_equal(sender_dirs(root, senders[i]), 1);
  }
  unsetenv("CENSUS_SPOOL_DIR");
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, env_root);
  assert_int_equal(system(cmd), 0);
}

static void otlp_spool_options(void **state) {
  (void)state;
  const char *senders[] = {"otlp_metrics-", "otlp_traces-"};
  check_exporter(OTLP, senders, 2);
}

static void zipkin_spool_options(void **state) {
  (void)state;
  const char *senders[] = {"zipkin-"};
  check_exporter(ZIPKIN, senders, 1);
}

static void cloud_trace_spool_options(void **state) {
  (void)state;
  const char *senders[] = {"cloud_trace-"};
  check_exporter(TRACE, senders, 1);
}

static void cloud_monitoring_spool_options(void **state) {
  (void)state;
  const char *senders[] = {"google_monitoring-"};
  check_exporter(MONITORING, senders, 1);
}

int main(void) {
  census_diagnostics_set_callback(on_diag, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(otlp_spool_options),
      cmocka_unit_test(zipkin_spool_options),
      cmocka_unit_test(cloud_trace_spool_options),
      cmocka_unit_test(cloud_monitoring_spool_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
