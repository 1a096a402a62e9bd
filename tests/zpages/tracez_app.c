/* tracez_app.c RECORD_UNSAMPLED - a known span workload for tests/zpages/tracez_test.py.
 *
 * Serves the zPages on a port of its own (samples_per_bucket 2, record_unsampled as given: 0 or
 * 1) and records, with explicit start and end times so that every duration is exact:
 *   "latency"   one span per OpenCensus bucket: 5 us, 50 us, 500 us, 5 ms, 50 ms, 500 ms, 5 s,
 *               50 s, 500 s;
 *   "edges"     spans on the bucket limits: 9999 ns and 10 us, 99.999999999 s and 100 s;
 *   "error"     two 50 ms spans with an error status ("disk on fire"): errors, in no bucket;
 *   "detail"    five 2 ms SERVER spans, each with a string, int64, double and bool attribute,
 *               a string[] and an int64[] one and a string[] whose JSON text is cut, an
 *               event with an attribute and a link (ring of 2: five counted, two kept);
 *   "unsampled" three 50 us spans the sampler refuses (always_off);
 *   "running"   one span left running (a sampled one, and one the sampler refuses).
 * Prints "port N" and "running TRACE_ID SPAN_ID" once the pages are served, then reads stdin
 * line by line: "end" ends both running spans at start + 3 ms and prints "ended"; end of input
 * stops the zPages and exits 0. Every census call is checked; a failure exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <census/census.h>
#include <census/exporters/zpages.h>
#include <census/trace.h>

#define US 1000LL
#define MS 1000000LL
#define S 1000000000LL
#define T0 (1767225600LL * S) /* 2026-01-01 00:00:00 UTC: every span starts here */

static void check(const char *what, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "tracez_app: %s: %s\n", what, census_status_str(status));
    exit(1);
  }
}

static census_span start(const char *name, const census_sampler *sampler, census_span_kind kind) {
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.root = true;
  o.sampler = sampler;
  o.kind = kind;
  o.start_time_ns = T0;
  census_span s = census_span_start(name, &o);
  if (!s) {
    fprintf(stderr, "tracez_app: census_span_start(%s) failed\n", name);
    exit(1);
  }
  return s;
}

static void lasting(const char *name, const census_sampler *sampler, int64_t duration_ns) {
  census_span_end_at(start(name, sampler, CENSUS_SPAN_KIND_INTERNAL), T0 + duration_ns);
}

static void detail_span(const census_sampler *on, int i) {
  census_span s = start("detail", on, CENSUS_SPAN_KIND_SERVER);
  check("string", census_span_set_attribute_string(s, "http.route", "/items/{id}"));
  check("int64", census_span_set_attribute_int64(s, "detail.index", i));
  check("double", census_span_set_attribute_double(s, "detail.ratio", 0.25));
  check("bool", census_span_set_attribute_bool(s, "detail.cached", true));
  static const char *const hosts[] = {"a", "b\"c"};
  static const int64_t codes[] = {200, -404};
  check("string array", census_span_set_attribute_string_array(s, "detail.hosts", hosts, 2));
  check("int64 array", census_span_set_attribute_int64_array(s, "detail.codes", codes, 2));
  const char *many[60];
  for (int k = 0; k < 60; k++) {
    many[k] = "xxxxx"; /* 60 * 8 bytes of JSON text: past the 256 bytes a sample keeps */
  }
  check("long array", census_span_set_attribute_string_array(s, "detail.long", many, 60));
  check("event", census_span_add_event_with_attribute(s, "cache miss", "cache.key", "item-7"));
  census_trace_context linked = {.trace_flags = 1};
  memset(linked.trace_id, 0xab, sizeof linked.trace_id);
  memset(linked.span_id, 0xcd, sizeof linked.span_id);
  check("link", census_span_add_link(s, &linked));
  census_span_end_at(s, T0 + 2 * MS);
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "0") != 0 && strcmp(argv[1], "1") != 0)) {
    fprintf(stderr, "usage: tracez_app 0|1 (record_unsampled)\n");
    return 2;
  }
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.any_port = 1;
  o.record_unsampled = argv[1][0] == '1';
  o.samples_per_bucket = 2;
  census_zpages_exporter *z;
  check("zpages", census_zpages_exporter_start(&o, &z));
  census_sampler *on = census_sampler_always_on(), *off = census_sampler_always_off();

  static const int64_t per_bucket[] = {5 * US,   50 * US, 500 * US, 5 * MS, 50 * MS,
                                       500 * MS, 5 * S,   50 * S,   500 * S};
  for (size_t i = 0; i < sizeof per_bucket / sizeof per_bucket[0]; i++) {
    lasting("latency", on, per_bucket[i]);
  }
  static const int64_t edges[] = {10 * US - 1, 10 * US, 100 * S - 1, 100 * S};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    lasting("edges", on, edges[i]);
  }
  for (int i = 0; i < 2; i++) {
    census_span e = start("error", on, CENSUS_SPAN_KIND_CLIENT);
    check("status", census_span_set_status(e, CENSUS_SPAN_STATUS_ERROR, "disk on fire"));
    census_span_end_at(e, T0 + 50 * MS);
  }
  for (int i = 0; i < 5; i++) {
    detail_span(on, i);
  }
  for (int i = 0; i < 3; i++) {
    lasting("unsampled", off, 50 * US);
  }
  census_span running = start("running", on, CENSUS_SPAN_KIND_INTERNAL);
  census_span running_unsampled = start("running", off, CENSUS_SPAN_KIND_INTERNAL);
  census_trace_context ctx;
  check("context", census_span_context(running, &ctx));

  printf("port %u\nrunning ", (unsigned)census_zpages_exporter_port(z));
  for (size_t i = 0; i < sizeof ctx.trace_id; i++) {
    printf("%02x", ctx.trace_id[i]);
  }
  printf(" ");
  for (size_t i = 0; i < sizeof ctx.span_id; i++) {
    printf("%02x", ctx.span_id[i]);
  }
  printf("\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strcmp(line, "end\n") == 0) {
      census_span_end_at(running, T0 + 3 * MS);
      census_span_end_at(running_unsampled, T0 + 3 * MS);
      printf("ended\n");
      fflush(stdout);
    }
  }
  check("stop", census_zpages_exporter_stop(z, 5000));
  census_sampler_free(on);
  census_sampler_free(off);
  return 0;
}
