/* zipkin_driver.c - drives the Zipkin exporter for tests/zipkin/zipkin_test.sh.
 *
 *   zipkin_driver export <url>
 *     Starts the exporter (service "checkout-svc", ipv4/ipv6/port set), makes the full-feature
 *     spans of tests/support/span_fixture.h (root "background job"), printing one JSON line per
 *     span describing what was recorded, then flushes, prints the exporter's stats as a JSON
 *     line, then shuts census down, prints the stats again (the final counters: the handle
 *     outlives census_shutdown()) and stops.
 *   zipkin_driver faults <url> <spans> <budget_ms>
 *     ("" as url: endpoint and service name from OTEL_EXPORTER_ZIPKIN_ENDPOINT / OTEL_SERVICE_NAME)
 *     Exports <spans> spans in one request with a retry budget of <budget_ms> (backoff 100 ms),
 *     flushes (up to 20 s) and prints the stats and the diagnostics received.
 *   zipkin_driver timeout <url> <spans> <budget_ms>
 *     As faults, but the per-attempt timeout is left to OTEL_EXPORTER_ZIPKIN_TIMEOUT (option 0).
 * Exit status 0 unless an API call the driver relies on fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporters/zipkin.h"
#include "span_fixture.h"

static void print_stats(void *exp) {
  census_zipkin_stats st;
  if (census_zipkin_exporter_stats(exp, &st) != CENSUS_OK)
    exit(3);
  SPAN_FIXTURE_PRINT_STATS(st);
}

static int run_export(const char *url) {
  census_zipkin_options o = {.size = sizeof(census_zipkin_options),
                             .endpoint = url,
                             .service_name = "checkout-svc",
                             .local_ipv4 = "192.0.2.10",
                             .local_ipv6 = "2001:db8::10",
                             .local_port = 8443,
                             .initial_backoff_ms = 100,
                             .max_elapsed_ms = 10000};
  census_zipkin_exporter *exp = NULL;
  if (census_zipkin_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;
  span_fixture_make_full("background job");
  span_fixture_flush_and_report(print_stats, exp);
  /* The handle contract: census_shutdown() stops the exporter but the handle stays valid, with
   * the final counters (printed as a second "stats" event), until stop frees it. */
  census_shutdown(5000);
  census_zipkin_stats st;
  census_status after = census_zipkin_exporter_stats(exp, &st);
  if (after == CENSUS_OK)
    SPAN_FIXTURE_PRINT_STATS(st);
  census_status ss = census_zipkin_exporter_stop(exp, 5000);
  span_fixture_print_stop(ss, after);
  return 0;
}

static int run_faults(const char *url, int spans, int64_t budget_ms, int64_t timeout_ms) {
  /* "" as url: endpoint and service name from the environment (OTEL_EXPORTER_ZIPKIN_ENDPOINT,
   * OTEL_SERVICE_NAME). */
  census_zipkin_options o = {.size = sizeof(census_zipkin_options),
                             .endpoint = *url ? url : NULL,
                             .service_name = *url ? "faulty" : NULL,
                             .initial_backoff_ms = 100,
                             .max_backoff_ms = 400,
                             .max_elapsed_ms = budget_ms,
                             .timeout_ms = timeout_ms,
                             .max_spans_per_request = 1000};
  census_zipkin_exporter *exp = NULL;
  if (census_zipkin_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;
  span_fixture_make_batch(spans);
  span_fixture_flush_and_report(print_stats, exp);
  census_zipkin_exporter_stop(exp, 2000);
  return 0;
}

int main(int argc, char **argv) {
  span_fixture_driver_init();
  if (argc == 3 && strcmp(argv[1], "export") == 0)
    return run_export(argv[2]);
  if (argc == 5 && strcmp(argv[1], "faults") == 0)
    return run_faults(argv[2], atoi(argv[3]), atoll(argv[4]), 2000);
  if (argc == 5 && strcmp(argv[1], "timeout") == 0)
    return run_faults(argv[2], atoi(argv[3]), atoll(argv[4]), 0);
  fprintf(stderr, "usage: zipkin_driver export <url> | faults|timeout <url> <spans> <budget_ms>\n");
  return 64;
}
