/* cloud_trace_driver.c - drives the Cloud Trace exporter for cloud_trace_test.sh.
 *
 *   cloud_trace_driver export <endpoint> <token>
 *     Starts the exporter (project "my-proj", the given access token, the endpoint of a loopback
 *     receiver), makes the full-feature spans of tests/support/span_fixture.h with a root span
 *     whose 150-byte name must be truncated, printing one JSON line per span describing what was
 *     recorded, then flushes, prints the exporter's stats as a JSON line, then shuts
 *     census down, prints the stats again (the final counters: the handle outlives
 *     census_shutdown()) and stops.
 *   cloud_trace_driver faults <endpoint> <token> <spans> <budget_ms>
 *     ("" as token: credentials from GOOGLE_APPLICATION_CREDENTIALS)
 *     Exports <spans> spans in one request with a retry budget of <budget_ms> (backoff 100 ms),
 *     flushes (up to 20 s) and prints the stats and the diagnostics received.
 * Exit status 0 unless an API call the driver relies on fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporters/google_cloud_trace.h"
#include "span_fixture.h"

static void print_stats(void *exp) {
  census_google_trace_stats st;
  if (census_google_trace_exporter_stats(exp, &st) != CENSUS_OK)
    exit(3);
  SPAN_FIXTURE_PRINT_STATS(st);
}

static int run_export(const char *url, const char *token) {
  census_google_trace_options o = {.size = sizeof(census_google_trace_options),
                                   .trace_endpoint = url,
                                   .project_id = "my-proj",
                                   .access_token = token,
                                   .initial_backoff_ms = 100,
                                   .max_elapsed_ms = 10000};
  census_google_trace_exporter *exp = NULL;
  if (census_google_trace_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;
  char long_name[151];
  memset(long_name, 'x', 150);
  long_name[150] = '\0';
  span_fixture_make_full(long_name);
  span_fixture_flush_and_report(print_stats, exp);
  /* The handle contract: census_shutdown() stops the exporter but the handle stays valid, with
   * the final counters (printed as a second "stats" event), until stop frees it. */
  census_shutdown(5000);
  census_google_trace_stats st;
  census_status after = census_google_trace_exporter_stats(exp, &st);
  if (after == CENSUS_OK)
    SPAN_FIXTURE_PRINT_STATS(st);
  census_status ss = census_google_trace_exporter_stop(exp, 5000);
  span_fixture_print_stop(ss, after);
  return 0;
}

static int run_faults(const char *url, const char *token, int spans, int64_t budget_ms) {
  census_google_trace_options o = {.size = sizeof(census_google_trace_options),
                                   .trace_endpoint = url,
                                   .project_id = "my-proj",
                                   .access_token = *token ? token : NULL,
                                   .initial_backoff_ms = 100,
                                   .max_backoff_ms = 400,
                                   .max_elapsed_ms = budget_ms,
                                   .timeout_ms = 2000,
                                   .max_spans_per_request = 1000};
  census_google_trace_exporter *exp = NULL;
  if (census_google_trace_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;
  span_fixture_make_batch(spans);
  span_fixture_flush_and_report(print_stats, exp);
  census_google_trace_exporter_stop(exp, 2000);
  return 0;
}

int main(int argc, char **argv) {
  span_fixture_driver_init();
  if (argc == 4 && strcmp(argv[1], "export") == 0)
    return run_export(argv[2], argv[3]);
  if (argc == 6 && strcmp(argv[1], "faults") == 0)
    return run_faults(argv[2], argv[3], atoi(argv[4]), atoll(argv[5]));
  fprintf(stderr, "usage: cloud_trace_driver export <endpoint> <token> | faults <endpoint> "
                  "<token> <spans> <budget_ms>\n");
  return 64;
}
