/* monitoring_limits_app.c - a census program for monitoring_limits_test.sh: distributions at and
 * beyond Cloud Monitoring's 200-bucket limit, and the gzip option of both Google exporters,
 * against fake_google.js.
 *
 * Usage: monitoring_limits_app <endpoint> <gzip: 0|1>
 * Project "limits-project", access token "limits-token", resource "global" (no metadata server).
 * Views (Distribution of one double measure each, no columns):
 *   lim/wide     bounds 1, 2, ..., 300 (301 with the prepended 0: merged down to 199)
 *   lim/edge199  bounds 1..199 (200 with the prepended 0: one too many, merged to 199)
 *   lim/edge198  bounds 1..198 (199 with the prepended 0: sent as they are, 200 buckets)
 *   lim/zero199  bounds 0..198 (199, no prepend: sent as they are)
 * Each view records the values 0.5, 1.0, 1.5, ..., 320.0 (i * 0.5 for i = 1..640): values on
 * bounds, between them and above the last. Three sampled spans go to Cloud Trace. One flush
 * exports everything; the app then prints the exporters' counters as one JSON line on stdout and
 * stops them. Diagnostics go to stderr as "diagnostic: <status name>: <message>".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/google_cloud_trace.h"
#include "census/trace.h"

#include "monitoring_support.h"

#define VALUES 640

/* Registers view `name` over a new measure with bounds first, first + 1, ..., first + n - 1 and
 * records the test values into it. */
static void distribution_view(const char *name, double first, size_t n) {
  census_status st;
  char measure_name[64];
  snprintf(measure_name, sizeof measure_name, "%s_m", name);
  const census_measure *m = census_measure_double_new(measure_name, "values", "1", &st);
  mon_check(st, measure_name);
  double *bounds = malloc(n * sizeof *bounds);
  if (!bounds)
    exit(1);
  for (size_t i = 0; i < n; i++)
    bounds[i] = first + (double)i;
  census_aggregation *agg = census_aggregation_distribution_new(bounds, n, &st);
  free(bounds);
  mon_check(st, "aggregation");
  census_view *v = census_view_new(name, "limits test view", m, NULL, 0, agg, &st);
  mon_check(st, name);
  mon_check(census_view_register(v), name);
  census_view_free(v);
  census_aggregation_free(agg);
  for (int i = 1; i <= VALUES; i++)
    mon_check(census_record_double(m, i * 0.5, NULL), "record");
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  int gzip = atoi(argv[2]);
  mon_diagnostics_to_stderr();
  mon_check(census_export_set_interval_ms(3600 * 1000), "interval"); /* only our flush exports */

  distribution_view("lim/wide", 1, 300);
  distribution_view("lim/edge199", 1, 199);
  distribution_view("lim/edge198", 1, 198);
  distribution_view("lim/zero199", 0, 199);

  census_google_monitoring_options mo = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  mo.project_id = "limits-project";
  mo.access_token = "limits-token";
  mo.monitoring_endpoint = argv[1];
  mo.resource_type = "global";
  mo.gzip = gzip;
  census_google_monitoring_exporter *monitoring = NULL;
  mon_check(census_google_monitoring_exporter_start(&mo, &monitoring), "monitoring start");

  census_google_trace_options to = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
  to.project_id = "limits-project";
  to.access_token = "limits-token";
  to.trace_endpoint = argv[1];
  to.gzip = gzip;
  census_google_trace_exporter *trace = NULL;
  mon_check(census_google_trace_exporter_start(&to, &trace), "trace start");
  census_sampler *always = census_sampler_always_on();
  mon_check(census_trace_set_sampler(always), "sampler");
  census_sampler_free(always);
  for (int i = 0; i < 3; i++) {
    census_span_options root = {.size = sizeof(census_span_options), .root = true};
    census_span span = census_span_start("limits span", &root);
    census_span_set_attribute_string(span, "filler", "compressible compressible compressible");
    census_span_end(span);
  }

  /* Cumulative points need an end time after the views' start. */
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  census_status flushed = census_flush(10000);
  census_google_monitoring_stats ms;
  census_google_trace_stats ts;
  mon_check(census_google_monitoring_exporter_stats(monitoring, &ms), "monitoring stats");
  mon_check(census_google_trace_exporter_stats(trace, &ts), "trace stats");
  printf("{\"flush\":\"%s\",\"points_delivered\":%" PRIu64 ",\"points_dropped\":%" PRIu64
         ",\"points_rejected\":%" PRIu64 ",\"spans_delivered\":%" PRIu64
         ",\"spans_dropped\":%" PRIu64 "}\n",
         census_status_name(flushed), ms.points_delivered, ms.points_dropped, ms.points_rejected,
         ts.spans_delivered, ts.spans_dropped);
  census_google_trace_exporter_stop(trace, 5000);
  census_status stopped = census_google_monitoring_exporter_stop(monitoring, 5000);
  census_shutdown(5000);
  return stopped == CENSUS_OK ? 0 : 1;
}
