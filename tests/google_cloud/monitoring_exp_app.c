/* monitoring_exp_app.c - exponential histogram views sent to Cloud Monitoring (fake_google.js),
 * for monitoring_exponential_test.sh.
 *
 * Usage: monitoring_exp_app <endpoint> <values.json>
 * Project "exp-project", access token "exp-token", resource "global". Views (EXPONENTIAL, one
 * double measure each, no columns), each recording its values once, listed in values.json with
 * max_size ({"view": {"max_size": N, "values": [...]}}) for the checker:
 *   expo/default   max_size 160: 0, 0, then 0.5, 1.0, ..., 320.0 (640 values)
 *   expo/wide      max_size 2048: the same values (its scale, 7, leaves 1193 buckets: more than
 *                  Cloud Monitoring's 200, so the exporter lowers it to 4 on the copy it sends)
 *   expo/extreme   max_size 160: 0, 5e-324 (the smallest subnormal) and 1e308: base^offset
 *                  underflows, so explicit buckets
 *   expo/zeros     max_size 160: 0 three times (no positive bucket)
 * One flush exports everything; the app prints the exporter's counters as one JSON line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"

#include "monitoring_support.h"

static FILE *values_file;

static void exp_view(const char *name, size_t max_size, const double *values, size_t n) {
  census_status st;
  char measure_name[64];
  snprintf(measure_name, sizeof measure_name, "%s_m", name);
  const census_measure *m = census_measure_double_new(measure_name, "values", "1", &st);
  mon_check(st, measure_name);
  census_aggregation *agg = census_aggregation_exponential_new(max_size, 20, &st);
  mon_check(st, "aggregation");
  census_view *v = census_view_new(name, "exponential test view", m, NULL, 0, agg, &st);
  mon_check(st, name);
  mon_check(census_view_register(v), name);
  census_view_free(v);
  census_aggregation_free(agg);
  fprintf(values_file, "%s\"%s\":{\"max_size\":%zu,\"values\":[", ftell(values_file) > 1 ? "," : "",
          name, max_size ? max_size : (size_t)CENSUS_EXPONENTIAL_DEFAULT_MAX_SIZE);
  for (size_t i = 0; i < n; i++) {
    mon_check(census_record_double(m, values[i], NULL), "record");
    fprintf(values_file, "%s%.17g", i ? "," : "", values[i]);
  }
  fprintf(values_file, "]}");
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  mon_diagnostics_to_stderr();
  mon_check(census_export_set_interval_ms(3600 * 1000), "interval"); /* only our flush exports */
  values_file = fopen(argv[2], "w");
  if (!values_file)
    return 1;
  fputc('{', values_file);
  double spread[642] = {0, 0};
  for (int i = 1; i <= 640; i++)
    spread[i + 1] = i * 0.5;
  exp_view("expo/default", 0, spread, 642);
  exp_view("expo/wide", 2048, spread, 642);
  const double extreme[] = {0, 5e-324, 1e308};
  exp_view("expo/extreme", 0, extreme, 3);
  const double zeros[] = {0, 0, 0};
  exp_view("expo/zeros", 0, zeros, 3);
  fputs("}\n", values_file);
  fclose(values_file);

  census_google_monitoring_options mo = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  mo.project_id = "exp-project";
  mo.access_token = "exp-token";
  mo.monitoring_endpoint = argv[1];
  mo.resource_type = "global";
  census_google_monitoring_exporter *monitoring = NULL;
  mon_check(census_google_monitoring_exporter_start(&mo, &monitoring), "monitoring start");
  /* Cumulative points need an end time after the views' start. */
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  census_status flushed = census_flush(10000);
  census_google_monitoring_stats ms;
  mon_check(census_google_monitoring_exporter_stats(monitoring, &ms), "monitoring stats");
  printf("{\"flush\":\"%s\",\"points_delivered\":%" PRIu64 ",\"points_dropped\":%" PRIu64
         ",\"points_rejected\":%" PRIu64 "}\n",
         census_status_name(flushed), ms.points_delivered, ms.points_dropped, ms.points_rejected);
  census_status stopped = census_google_monitoring_exporter_stop(monitoring, 5000);
  census_shutdown(5000);
  return stopped == CENSUS_OK ? 0 : 1;
}
