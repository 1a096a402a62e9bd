/* monitoring_drops_app.c - a census program for monitoring_drops_test.sh: the Cloud Monitoring
 * exporter against fake_google.js, where the first metricDescriptors.create call (the descriptor
 * of view test/denied) is refused permanently.
 *
 * Usage: monitoring_drops_app <monitoring endpoint> <rounds> <min write interval ms>
 * Views, registered in this order: test/denied (Count, column "route", 3 routes) and
 * test/allowed (Sum int64, no column). Each round records into both, flushes and sleeps past the
 * interval. Then it prints, as one JSON line:
 *   "before": the exporter's counters after the rounds;
 *   "self": the rows of census/exporter_dropped_items whose exporter is "google monitoring",
 *           {reason: value}, read with census_view_data_get();
 *   then census_shutdown() runs (final export and delivery) and
 *   "after_status", "after": a stats call on the handle after census_shutdown();
 *   "stop": census_google_monitoring_exporter_stop() on it.
 * Diagnostics go to stderr as "diagnostic: ...". Exit status 0 unless an API call it relies on
 * fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"

#include "monitoring_support.h"

static void print_stats(const char *name, const census_google_monitoring_stats *s) {
  printf("\"%s\":{\"exports\":%llu,\"points_submitted\":%llu,\"points_delivered\":%llu,"
         "\"points_rejected\":%llu,\"points_dropped\":%llu,\"points_deferred\":%llu,"
         "\"requests_delivered\":%llu,\"descriptors_created\":%llu,"
         "\"descriptor_failures\":%llu}",
         name, (unsigned long long)s->exports, (unsigned long long)s->points_submitted,
         (unsigned long long)s->points_delivered, (unsigned long long)s->points_rejected,
         (unsigned long long)s->points_dropped, (unsigned long long)s->points_deferred,
         (unsigned long long)s->requests_delivered, (unsigned long long)s->descriptors_created,
         (unsigned long long)s->descriptor_failures);
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int rounds = atoi(argv[2]);
  long interval = atol(argv[3]);
  mon_diagnostics_to_stderr();
  census_export_set_interval_ms(3600 * 1000); /* only our flushes export */

  census_status st;
  const census_tag_key *route = census_tag_key_new("route", &st);
  const census_measure *denied = census_measure_int64_new("test/denied_m", "denied", "1", &st);
  const census_measure *allowed = census_measure_int64_new("test/allowed_m", "allowed", "1", &st);
  mon_view("test/denied", denied, route, census_aggregation_count_new());
  mon_view("test/allowed", allowed, NULL, census_aggregation_sum_new());

  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.monitoring_endpoint = argv[1];
  o.access_token = "control-token";
  o.project_id = "key-project";
  o.resource_type = "global";
  o.no_task_label = 1;
  o.min_write_interval_ms = interval;
  o.timeout_ms = 5000;
  o.max_elapsed_ms = 20000;
  census_google_monitoring_exporter *exp = NULL;
  mon_check(census_google_monitoring_exporter_start(&o, &exp), "start");

  census_tag_map *tags = census_tag_map_new();
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < 3; i++) {
      char v[32];
      snprintf(v, sizeof v, "/d%d", i);
      census_tag_map_put(tags, route, v);
      census_record_int64(denied, 1, tags);
    }
    census_record_int64(allowed, 10, NULL);
    census_flush(30000);
    mon_sleep_ms(interval + 150);
  }
  census_tag_map_free(tags);
  mon_sleep_ms(interval + 150); /* the final export may write every series again */

  census_google_monitoring_stats before;
  mon_check(census_google_monitoring_exporter_stats(exp, &before), "stats");
  printf("{");
  print_stats("before", &before);
  printf(",\"self\":{");
  census_view_data *d = census_view_data_get("census/exporter_dropped_items", &st);
  mon_check(st, "census/exporter_dropped_items");
  int first = 1;
  for (size_t row = 0; row < census_view_data_row_count(d); row++) {
    if (strcmp(census_view_data_row_value(d, row, 0), "google monitoring") != 0)
      continue;
    census_point p;
    mon_check(census_view_data_row_point(d, row, &p), "row");
    printf("%s\"%s\":%lld", first ? "" : ",", census_view_data_row_value(d, row, 1),
           (long long)p.int_value);
    first = 0;
  }
  census_view_data_free(d);
  printf("}");

  census_shutdown(10000);
  census_google_monitoring_stats after;
  memset(&after, 0, sizeof after);
  st = census_google_monitoring_exporter_stats(exp, &after);
  printf(",\"after_status\":\"%s\",", census_status_name(st));
  print_stats("after", &after);
  st = census_google_monitoring_exporter_stop(exp, 5000);
  printf(",\"stop\":\"%s\"}\n", census_status_name(st));
  return 0;
}
