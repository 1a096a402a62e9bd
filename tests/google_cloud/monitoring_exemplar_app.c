/* monitoring_exemplar_app.c - a distribution view with exemplars sent to Cloud Monitoring
 * (fake_google.js), for monitoring_exemplar_test.sh.
 *
 * Usage: monitoring_exemplar_app <endpoint> <ids.json>
 * Project "ex-project", token "ex-token", resource "global". Filter trace_based; the view
 * "exemplar/latency" (DISTRIBUTION, bounds 10, 100, 1000 ms, column method) gets a fast request
 * (5 ms) and a slow one (2500 ms, with the tag user=alice, not a column), each in its own sampled
 * span, and one 500 ms request outside any span (no exemplar). ids.json receives the two spans'
 * ids; one flush exports; the app prints the exporter's counters as one JSON line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"
#include "census/trace.h"

#include "monitoring_support.h"

static void request(const census_measure *m, double ms, const census_tag_map *tags, FILE *ids,
                    const char *name) {
  census_span span = census_span_start_current(name, NULL);
  census_trace_context c;
  mon_check(census_span_context(span, &c), "span context");
  mon_check(census_record_double(m, ms, tags), "record");
  census_span_end(span);
  fprintf(ids, "%s\"%s\":{\"trace_id\":\"", strcmp(name, "fast") ? "," : "", name);
  for (int i = 0; i < 16; i++)
    fprintf(ids, "%02x", c.trace_id[i]);
  fprintf(ids, "\",\"span_id\":\"");
  for (int i = 0; i < 8; i++)
    fprintf(ids, "%02x", c.span_id[i]);
  fprintf(ids, "\"}");
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  mon_diagnostics_to_stderr();
  mon_check(census_export_set_interval_ms(3600 * 1000), "interval"); /* only our flush exports */
  mon_check(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_TRACE_BASED), "filter");
  census_status st;
  const census_tag_key *method = census_tag_key_new("method", &st);
  const census_tag_key *user = census_tag_key_new("user", &st);
  const census_measure *m = census_measure_double_new("exemplar/latency_m", "latency", "ms", &st);
  mon_check(st, "measure");
  const double bounds[] = {10, 100, 1000};
  census_aggregation *agg = census_aggregation_distribution_new(bounds, 3, &st);
  mon_check(st, "aggregation");
  mon_view("exemplar/latency", m, method, agg);
  census_tag_map *get = census_tag_map_new(), *slow = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(slow, method, "GET");
  census_tag_map_put(slow, user, "alice");
  FILE *ids = fopen(argv[2], "w");
  if (!ids)
    return 1;
  fputc('{', ids);
  request(m, 5, get, ids, "fast");
  mon_check(census_record_double(m, 500, get), "record"); /* outside any span */
  request(m, 2500, slow, ids, "slow");
  fputs("}\n", ids);
  fclose(ids);

  census_google_monitoring_options mo = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  mo.project_id = "ex-project";
  mo.access_token = "ex-token";
  mo.monitoring_endpoint = argv[1];
  mo.resource_type = "global";
  census_google_monitoring_exporter *monitoring = NULL;
  mon_check(census_google_monitoring_exporter_start(&mo, &monitoring), "monitoring start");
  mon_sleep_ms(20); /* cumulative points need an end time after the views' start */
  census_status flushed = census_flush(10000);
  census_google_monitoring_stats ms;
  mon_check(census_google_monitoring_exporter_stats(monitoring, &ms), "monitoring stats");
  printf("{\"flush\":\"%s\",\"points_delivered\":%" PRIu64 ",\"points_dropped\":%" PRIu64
         ",\"points_rejected\":%" PRIu64 "}\n",
         census_status_name(flushed), ms.points_delivered, ms.points_dropped, ms.points_rejected);
  census_status stopped = census_google_monitoring_exporter_stop(monitoring, 5000);
  census_tag_map_free(get);
  census_tag_map_free(slow);
  census_shutdown(5000);
  return stopped == CENSUS_OK ? 0 : 1;
}
