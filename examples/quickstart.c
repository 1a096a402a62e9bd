/* quickstart.c - the smallest complete census program: one measure, one view, the stdout
 * exporter, a few records, and the flush at return from main that exports them.
 *
 * Run it and it prints the view's data once, at exit, although no export interval elapsed:
 * census flushes by itself when main returns.
 */
#include <stdio.h>

#include <census/census.h>
#include <census/exporters/stdout.h>

/* Prints the failure of a census call and returns non-zero, so main can bail out. */
static int failed(const char *what, census_status status) {
  if (status == CENSUS_OK) {
    return 0;
  }
  fprintf(stderr, "quickstart: %s: %s\n", what, census_status_str(status));
  return 1;
}

int main(void) {
  census_status st;
  const census_measure *latency =
      census_measure_double_new("example.com/latency", "Request latency", "ms", &st);
  if (failed("measure", st)) {
    return 1;
  }
  const census_tag_key *method = census_tag_key_new("method", &st);
  if (failed("tag key", st)) {
    return 1;
  }
  double bounds[] = {1, 2, 5, 10, 20, 50, 100};
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 7, &st);
  census_view *view = census_view_new("example.com/latency_by_method", "Latency by method", latency,
                                      &method, 1, dist, &st);
  if (failed("view", st) || failed("register", census_view_register(view))) {
    return 1;
  }
  census_view_free(view);
  census_aggregation_free(dist);

  /* Prints every export; never stopped here: returning from main exports what is left. */
  census_stdout_exporter *exporter;
  if (failed("exporter", census_stdout_exporter_start(NULL, &exporter))) {
    return 1;
  }

  census_tag_map *get = census_tag_map_new();
  census_tag_map *post = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(post, method, "POST");
  const double samples[] = {0.7, 4.2, 4.2, 12.5, 99.0};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    census_record_double(latency, samples[i], i % 2 ? post : get);
  }
  census_tag_map_free(get);
  census_tag_map_free(post);
  return 0; /* census exports everything recorded above before the process ends */
}
