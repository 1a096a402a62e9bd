/* quickstart.c - the smallest complete census program: a counter and a histogram (instruments,
 * census/instruments.h), the stdout exporter, a few timed requests, and the flush at return from
 * main that exports them.
 *
 * Run it and it prints the two views' data once, at exit, although no export interval elapsed:
 * census flushes by itself when main returns.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep() under -std=c11 */
#include <stdio.h>
#include <time.h>

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
  /* Prints every export; never stopped here: returning from main exports what is left. */
  census_stdout_exporter *exporter;
  if (failed("exporter", census_stdout_exporter_start(NULL, &exporter))) {
    return 1;
  }

  census_status st;
  const census_tag_key *method = census_tag_key_new("method", &st);
  if (failed("tag key", st)) {
    return 1;
  }
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.attribute_keys = &method; /* the instruments' attribute, a column of their views */
  o.attribute_key_count = 1;
  census_counter *requests = census_counter_int64_new("http.server.requests", &o, &st);
  if (failed("counter", st)) {
    return 1;
  }
  o.unit = "s";
  o.bounds = census_buckets_default_seconds(&o.bound_count); /* client_golang's DefBuckets */
  census_histogram *duration = census_histogram_double_new("http.server.duration", &o, &st);
  if (failed("histogram", st)) {
    return 1;
  }

  census_tag_map *get = census_tag_map_new();
  census_tag_map *post = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(post, method, "POST");
  for (int i = 0; i < 5; i++) {
    census_tag_map *tags = i % 2 ? post : get;
    census_timer timer = census_timer_start();
    struct timespec work = {0, 2000000L * (i + 1)}; /* serving the request: 2 to 10 ms */
    nanosleep(&work, NULL);
    if (failed("count", census_counter_add_int64(requests, 1, tags)) ||
        failed("time", census_timer_stop(&timer, duration, tags))) {
      return 1;
    }
  }
  census_tag_map_free(get);
  census_tag_map_free(post);
  return 0; /* census exports everything recorded above before the process ends */
}
