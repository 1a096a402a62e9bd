/* statsz_app.c - a known exponential-histogram workload for tests/zpages/statsz_test.py.
 *
 * Records the values the test also lists (VALUES there) into the view "latency_exp" (base-2
 * exponential, max_size 8, so the wide row must lower its scale) and the view "latency_dist"
 * (explicit bounds 1, 1.6, 1000: BOUNDS there), with one row per route, then
 * serves the zPages on a free loopback port, prints "port N" and waits until stdin closes. */
#include <stdio.h>
#include <stdlib.h>

#include <census/census.h>
#include <census/exporters/zpages.h>
#include <census/stats.h>
#include <census/tags.h>

static void check(const char *what, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "statsz_app: %s: %s\n", what, census_status_str(status));
    exit(1);
  }
}

static void record(const census_measure *m, const census_tag_key *route, const char *value,
                   const double *values, size_t n) {
  census_tag_map *tags = census_tag_map_new();
  if (!tags) {
    exit(1);
  }
  check("tag", census_tag_map_put(tags, route, value));
  for (size_t i = 0; i < n; i++) {
    check("record", census_record_double(m, values[i], tags));
  }
  census_tag_map_free(tags);
}

int main(void) {
  census_status st;
  const census_tag_key *route = census_tag_key_new("route", &st);
  check("key", st);
  const census_measure *m = census_measure_double_new("latency", "request latency", "s", &st);
  check("measure", st);
  census_aggregation *agg = census_aggregation_exponential_new(8, 20, &st);
  check("aggregation", st);
  census_view *view =
      census_view_new("latency_exp", "latency, exponential", m, &route, 1, agg, &st);
  check("view", st);
  check("register", census_view_register(view));
  /* The same values into explicit buckets (statsz_test.py's BOUNDS; 1, 1.6 and 1000 are
   * recorded values, on their bounds). */
  static const double bounds[] = {1, 1.6, 1000};
  census_aggregation *dist_agg = census_aggregation_distribution_new(bounds, 3, &st);
  check("distribution", st);
  census_view *dist =
      census_view_new("latency_dist", "latency, explicit buckets", m, &route, 1, dist_agg, &st);
  check("view", st);
  check("register", census_view_register(dist));
  /* The same lists as statsz_test.py's VALUES. */
  static const double narrow[] = {0, 1.5, 1.6, 1.7, 1.7};
  static const double wide[] = {0.001, 1, 3, 1000, 1e6};
  record(m, route, "/narrow", narrow, sizeof narrow / sizeof narrow[0]);
  record(m, route, "/wide", wide, sizeof wide / sizeof wide[0]);

  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.any_port = 1;
  census_zpages_exporter *z;
  check("zpages", census_zpages_exporter_start(&o, &z));
  printf("port %u\n", (unsigned)census_zpages_exporter_port(z));
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
  }
  check("stop", census_zpages_exporter_stop(z, 5000));
  census_view_free(view);
  census_view_free(dist);
  census_aggregation_free(agg);
  census_aggregation_free(dist_agg);
  return 0;
}
