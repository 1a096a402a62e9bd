/* monitoring_app.c - a census program that exports to fake_google.js, for
 * monitoring_loopback_test.sh.
 *
 * Usage: monitoring_app <monitoring endpoint> <cycles> <min write interval ms>
 * (credentials from GOOGLE_APPLICATION_CREDENTIALS, resource detection from GCE_METADATA_HOST).
 * Views: test/requests (Count, column "route", 250 routes: more than 200 series),
 * test/bytes (Sum int64, column "route", 30 routes), test/load (LastValue double),
 * test/latency (Distribution, bounds 5,10,25, double; values 3, 10, 20, 30 per cycle),
 * test/ratio (Distribution, bounds 0,1; value 0.5 per cycle).
 * Each cycle records once per series, flushes, and sleeps past the interval; the next-to-last
 * cycle also flushes twice more at once, which must defer (not send) every series
 * (rapid_submitted, rapid_deferred in the output; see rapid_attempt() for when that attempt
 * counts). Before stopping it sleeps past the interval so that the final export writes every
 * series. Then census_shutdown() makes census's final export and waits for its delivery, keeping
 * the handle valid, so that the counters printed are final: they include that export whether it
 * sent (a loaded machine's last flush took 400 ms or more, so the series were due again) or
 * deferred. Reading them before the stop missed the stop's requests: "delivered 1420 != server
 * accepted 1705" under load, the last flush's end time and the stop's 462 ms apart. Prints
 * "pid <pid>" first and the exporter's counters last, as JSON; diagnostics go to stderr as
 * "diagnostic: ...".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census/census.h"
#include "census/exporters/google_cloud_monitoring.h"

#include "monitoring_support.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One flush that writes every series (the previous write is at least interval + 150 ms old),
 * then two flushes at once, which must defer every series written by the first. That holds only
 * if the three snapshots (the points' end times, which the interval is measured on) fall within
 * the interval; they are taken between t0 (before the first flush) and t2 (after the last), so
 * the attempt counts (true, *submitted and *deferred set) only when t2 - t0 < interval. Under
 * load the first flush alone, waiting for a slow server's answers, can take most of the interval
 * (336 ms of 400 in a run under ASan beside two busy loops; t2 - t0 was then 1663 ms and the
 * rapid flushes rightly sent every series again): such an attempt is not counted and is made
 * again later. *window_ms is t2 - t0. */
static bool rapid_attempt(census_google_monitoring_exporter *exp, long interval,
                          long long *submitted, long long *deferred, long long *window_ms) {
  long long t0 = now_ms();
  census_flush(30000);
  census_google_monitoring_stats before, after;
  census_google_monitoring_exporter_stats(exp, &before);
  census_flush(30000);
  census_flush(30000);
  census_google_monitoring_exporter_stats(exp, &after);
  *window_ms = now_ms() - t0;
  if (*window_ms >= interval) {
    return false;
  }
  *submitted = (long long)(after.points_submitted - before.points_submitted);
  *deferred = (long long)(after.points_deferred - before.points_deferred);
  return true;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int cycles = atoi(argv[2]);
  long interval = atol(argv[3]);
  mon_diagnostics_to_stderr();
  census_export_set_interval_ms(3600 * 1000); /* only our flushes export */
  printf("pid %ld\n", (long)getpid());
  fflush(stdout);

  census_status st;
  const census_tag_key *route = census_tag_key_new("route", &st);
  const census_measure *req = census_measure_int64_new("test/req", "requests", "1", &st);
  const census_measure *bytes = census_measure_int64_new("test/bytes_m", "bytes", "By", &st);
  const census_measure *load = census_measure_double_new("test/load_m", "load", "1", &st);
  const census_measure *lat = census_measure_double_new("test/lat", "latency", "ms", &st);
  const census_measure *ratio = census_measure_double_new("test/ratio_m", "ratio", "1", &st);
  mon_view("test/requests", req, route, census_aggregation_count_new());
  mon_view("test/bytes", bytes, route, census_aggregation_sum_new());
  mon_view("test/load", load, NULL, census_aggregation_last_value_new());
  const double b1[] = {5, 10, 25};
  mon_view("test/latency", lat, NULL, census_aggregation_distribution_new(b1, 3, &st));
  const double b2[] = {0, 1};
  mon_view("test/ratio", ratio, NULL, census_aggregation_distribution_new(b2, 2, &st));

  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.monitoring_endpoint = argv[1];
  o.min_write_interval_ms = interval;
  o.timeout_ms = 5000;
  o.max_elapsed_ms = 20000;
  census_google_monitoring_exporter *exp = NULL;
  mon_check(census_google_monitoring_exporter_start(&o, &exp), "start");

  long long rapid_submitted = -1, rapid_deferred = -1, rapid_window_ms = -1;
  int rapid_tries = 0;
  bool rapid_done = cycles < 2; /* one cycle (monitoring_resource_test.sh): no rapid flushes */
  census_tag_map *tags = census_tag_map_new();
  for (int c = 0; c < cycles; c++) {
    for (int r = 0; r < 250; r++) {
      char v[32];
      snprintf(v, sizeof v, "/r%d", r);
      census_tag_map_put(tags, route, v);
      census_record_int64(req, 1, tags);
      if (r < 30)
        census_record_int64(bytes, 100 + r, tags);
    }
    census_record_double(load, 0.25 * (c + 1), NULL);
    const double lv[] = {3, 10, 20, 30};
    for (int i = 0; i < 4; i++)
      census_record_double(lat, lv[i], NULL);
    census_record_double(ratio, 0.5, NULL);
    if (c >= cycles - 2 && !rapid_done) { /* too soon after the last round: all deferred */
      rapid_done =
          rapid_attempt(exp, interval, &rapid_submitted, &rapid_deferred, &rapid_window_ms);
      rapid_tries++;
    } else {
      census_flush(30000);
    }
    mon_sleep_ms(interval + 150);
  }
  census_tag_map_free(tags);
  mon_sleep_ms(interval + 150);
  /* Attempts left on a slow machine, without recording (the totals stay those of the cycles). */
  while (!rapid_done && rapid_tries < 6) {
    rapid_done = rapid_attempt(exp, interval, &rapid_submitted, &rapid_deferred, &rapid_window_ms);
    rapid_tries++;
    mon_sleep_ms(interval + 150);
  }
  census_google_monitoring_stats s;
  census_google_monitoring_exporter_stats(exp, &s);
  uint64_t exports_before_stop = s.exports;
  census_flush(30000);
  /* The final export and its delivery, the handle kept valid; then the final counters. */
  census_status shut = census_shutdown(30000);
  census_google_monitoring_exporter_stats(exp, &s);
  st = census_google_monitoring_exporter_stop(exp, 30000); /* the outcome; frees the handle */
  printf("{\"rapid_submitted\":%lld,\"rapid_deferred\":%lld,\"rapid_window_ms\":%lld,"
         "\"rapid_tries\":%d,\"shutdown\":\"%s\",\"stop\":\"%s\",\"exports\":%llu,"
         "\"exports_before_stop\":%llu,"
         "\"points_submitted\":%llu,\"points_delivered\":%llu,\"points_rejected\":%llu,"
         "\"points_dropped\":%llu,\"points_deferred\":%llu,\"requests_delivered\":%llu,"
         "\"attempts\":%llu,\"retries\":%llu,\"descriptors_created\":%llu,"
         "\"descriptor_failures\":%llu}\n",
         rapid_submitted, rapid_deferred, rapid_window_ms, rapid_tries, census_status_name(shut),
         census_status_name(st), (unsigned long long)s.exports,
         (unsigned long long)exports_before_stop, (unsigned long long)s.points_submitted,
         (unsigned long long)s.points_delivered, (unsigned long long)s.points_rejected,
         (unsigned long long)s.points_dropped, (unsigned long long)s.points_deferred,
         (unsigned long long)s.requests_delivered, (unsigned long long)s.attempts,
         (unsigned long long)s.retries, (unsigned long long)s.descriptors_created,
         (unsigned long long)s.descriptor_failures);
  return 0;
}
