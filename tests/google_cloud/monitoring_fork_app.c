/* monitoring_fork_app.c - a census program for monitoring_fork_test.sh: the Cloud Monitoring
 * exporter across fork(), against fake_google.js.
 *
 * Usage: monitoring_fork_app <monitoring endpoint>
 * One view test/fork (Sum int64, no column), a minimum write interval of 60 s (so a series
 * written once is not written again during the test), the opencensus_task label on (default
 * value c-<pid>@<host>). The parent records 5, flushes (its series is written), then forks. The
 * child prints, as one JSON line, {"role": "child", "pid", "before": its counters right after
 * the fork, "flush": census_flush()'s status, "after": its counters}, having recorded 7 and
 * flushed at once (well within the parent's write interval), then _exits. The parent waits for
 * it and prints {"role": "parent", "pid", "stats"}. Diagnostics go to stderr. Exit status 0
 * unless a call it relies on fails (1) or the child failed (3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"

#include "monitoring_support.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

static void print_stats(const char *name, const census_google_monitoring_stats *s) {
  printf("\"%s\":{\"exports\":%llu,\"points_submitted\":%llu,\"points_delivered\":%llu,"
         "\"points_dropped\":%llu,\"points_deferred\":%llu,\"requests_delivered\":%llu,"
         "\"attempts\":%llu,\"descriptors_created\":%llu}",
         name, (unsigned long long)s->exports, (unsigned long long)s->points_submitted,
         (unsigned long long)s->points_delivered, (unsigned long long)s->points_dropped,
         (unsigned long long)s->points_deferred, (unsigned long long)s->requests_delivered,
         (unsigned long long)s->attempts, (unsigned long long)s->descriptors_created);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  mon_diagnostics_to_stderr();
  census_export_set_interval_ms(3600 * 1000); /* only our flushes export */
  census_status st;
  const census_measure *m = census_measure_int64_new("test/fork_m", "fork", "1", &st);
  mon_check(st, "measure");
  mon_view("test/fork", m, NULL, census_aggregation_sum_new());

  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.monitoring_endpoint = argv[1];
  o.access_token = "control-token";
  o.project_id = "key-project";
  o.resource_type = "global";
  o.min_write_interval_ms = 60000;
  o.timeout_ms = 5000;
  census_google_monitoring_exporter *exp = NULL;
  mon_check(census_google_monitoring_exporter_start(&o, &exp), "start");

  census_record_int64(m, 5, NULL);
  mon_check(census_flush(10000), "parent flush");
  fflush(NULL);
  pid_t pid = fork_quiet();
  if (pid < 0)
    return 1;
  if (pid == 0) {
    census_google_monitoring_stats before, after;
    mon_check(census_google_monitoring_exporter_stats(exp, &before), "child stats");
    census_record_int64(m, 7, NULL);
    st = census_flush(10000);
    mon_check(census_google_monitoring_exporter_stats(exp, &after), "child stats");
    printf("{\"role\":\"child\",\"pid\":%ld,", (long)getpid());
    print_stats("before", &before);
    printf(",\"flush\":\"%s\",", census_status_name(st));
    print_stats("after", &after);
    printf("}\n");
    fflush(stdout);
    _exit(0); /* no exit flush: the checks are about the flush above */
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return 3;
  census_google_monitoring_stats stats;
  mon_check(census_google_monitoring_exporter_stats(exp, &stats), "stats");
  printf("{\"role\":\"parent\",\"pid\":%ld,", (long)getpid());
  print_stats("stats", &stats);
  printf("}\n");
  census_google_monitoring_exporter_stop(exp, 5000);
  return 0;
}
