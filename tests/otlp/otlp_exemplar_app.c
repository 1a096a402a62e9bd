/* otlp_exemplar_app.c - records requests inside spans into views with exemplars and writes what
 * census's OTLP encoders (protobuf and JSON) and Prometheus renderer (OpenMetrics and text 0.0.4)
 * make of them, for check_exemplars.js and check_exemplars_openmetrics.py.
 *
 *   otlp_exemplar_app DIR   writes DIR/metrics.pb, DIR/metrics.json, DIR/late.pb (a delta point
 *                           of an interval after every recording), DIR/openmetrics.txt,
 *                           DIR/text.txt and DIR/expect.json (the spans' ids: the checkers' input),
 *                           then serves /metrics (the Prometheus exporter, loopback, a free port
 *                           written to DIR/port) until DIR/done appears (at most 60 s), so that
 *                           the test scrapes it with either Accept header
 * Run with OTEL_METRICS_EXEMPLAR_FILTER=trace_based (the app checks the filter it finds).
 * The view "ex_test/latency" (DISTRIBUTION, bounds 10, 100, 1000 ms, column method) gets:
 *   three fast GET requests (5 ms) in sampled spans            -> bucket 0, the last span's id
 *   one 50 ms GET in an unsampled span                         -> bucket 1, no exemplar
 *   one 500 ms GET outside any span                            -> bucket 2, no exemplar
 *   one slow GET (2500 ms) in a sampled span, tag user=alice   -> bucket 3 (+Inf), its span's id
 *                                                                 and filtered attribute user
 * "ex_test/requests" (SUM of an int64 measure, column method) counts the same requests with
 * value 1: its one-slot reservoir holds one of the four sampled requests' spans. The view
 * "ex_test/plain" is registered after the filter is set back to always_off: no exemplars.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <census/census.h>
#include <census/exporters/prometheus.h>
#include <census/trace.h>

#include "buffer.h"
#include "otlp_encode.h"
#include "otlp_app_write.h"

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    if ((x) != CENSUS_OK) {                                                                        \
      fprintf(stderr, "otlp_exemplar_app: %s failed\n", #x);                                       \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

static void hex(char *out, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sprintf(out + 2 * i, "%02x", bytes[i]);
  }
}

/* Records one request of `ms` milliseconds in a new current span (sampled unless `unsampled`),
 * and writes the span's ids as a JSON object into `json`. */
static int request(const census_measure *latency, const census_measure *requests, double ms,
                   const census_tag_map *tags, bool unsampled, char *json, size_t size) {
  census_sampler *off = census_sampler_always_off(), *on = census_sampler_parent_based(NULL);
  if (unsampled) {
    census_trace_set_sampler(off);
  }
  census_span span = census_span_start_current("request", NULL);
  census_trace_context c;
  if (census_span_context(span, &c) != CENSUS_OK) {
    return 1;
  }
  if (census_record_double(latency, ms, tags) != CENSUS_OK ||
      census_record_int64(requests, 1, tags) != CENSUS_OK) {
    return 1;
  }
  census_span_end(span);
  if (unsampled) {
    census_trace_set_sampler(on);
  }
  census_sampler_free(off);
  census_sampler_free(on);
  char trace[33], id[17];
  hex(trace, c.trace_id, 16);
  hex(id, c.span_id, 8);
  snprintf(json, size, "{\"trace_id\": \"%s\", \"span_id\": \"%s\"}", trace, id);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: otlp_exemplar_app DIR\n");
    return 2;
  }
  if (census_exemplar_filter_get() != CENSUS_EXEMPLAR_FILTER_TRACE_BASED) {
    fprintf(stderr, "otlp_exemplar_app: run with OTEL_METRICS_EXEMPLAR_FILTER=trace_based\n");
    return 1;
  }
  census_status st;
  const census_tag_key *method = census_tag_key_new("method", &st);
  const census_tag_key *user = census_tag_key_new("user", &st);
  const census_measure *latency =
      census_measure_double_new("ex_test/latency", "Latency", "ms", &st);
  const census_measure *count = census_measure_int64_new("ex_test/requests", "Requests", "1", &st);
  const double bounds[] = {10, 100, 1000};
  census_aggregation *dist = census_aggregation_distribution_new(bounds, 3, &st);
  census_aggregation *sum = census_aggregation_sum_new();
  census_view *v1 = census_view_new("ex_test/latency", "Latency", latency, &method, 1, dist, &st);
  census_view *v2 = census_view_new("ex_test/requests", "Requests", count, &method, 1, sum, &st);
  CHECK(census_view_register(v1));
  CHECK(census_view_register(v2));
  /* Registered while the filter is always_off: this view keeps none, whatever comes later. */
  CHECK(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF));
  census_view *v3 = census_view_new("ex_test/plain", "Latency", latency, &method, 1, dist, &st);
  CHECK(census_view_register(v3));
  CHECK(census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_TRACE_BASED));
  census_view_free(v1);
  census_view_free(v2);
  census_view_free(v3);
  census_aggregation_free(dist);
  census_aggregation_free(sum);

  census_tag_map *get = census_tag_map_new(), *slow_tags = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(slow_tags, method, "GET");
  census_tag_map_put(slow_tags, user, "alice");
  char fast[3][128], unsampled[128], slow[128];
  for (int i = 0; i < 3; i++) {
    if (request(latency, count, 5, get, false, fast[i], sizeof fast[i])) {
      return 1;
    }
  }
  if (request(latency, count, 50, get, true, unsampled, sizeof unsampled)) {
    return 1;
  }
  CHECK(census_record_double(latency, 500, get)); /* no span at all */
  if (request(latency, count, 2500, slow_tags, false, slow, sizeof slow)) {
    return 1;
  }
  char expect[1024];
  int n =
      snprintf(expect, sizeof expect, "{\"fast\": [%s, %s, %s], \"unsampled\": %s, \"slow\": %s}\n",
               fast[0], fast[1], fast[2], unsampled, slow);
  if (write_file(argv[1], "expect.json", expect, (size_t)n)) {
    return 1;
  }

  census_view_data **views;
  size_t count_views;
  CHECK(census_view_data_get_all(&views, &count_views));
  const census_view_data *mine[3];
  size_t k = 0;
  for (size_t i = 0; i < count_views; i++) {
    if (strncmp(census_view_data_name(views[i]), "ex_test/", 8) == 0 && k < 3) {
      mine[k++] = views[i];
    }
  }
  for (int json = 0; json < 2; json++) {
    census_buf buf = CENSUS_BUF_INIT;
    CHECK(census__otlp_encode_metrics(mine, k, NULL, json, &buf, NULL));
    if (write_file(argv[1], json ? "metrics.json" : "metrics.pb", buf.data, buf.len)) {
      return 1;
    }
    census__buf_free(&buf);
  }
  /* A delta point carries the exemplars of its interval only: the latency row as one delta
   * point whose interval starts after every recording (none), into DIR/late.pb. */
  {
    census_otlp_row_point rp = {.row = 0, .has_min_max = true};
    CHECK(census_view_data_row_point(mine[0], 0, &rp.point));
    rp.start_ns = census_view_data_end_time_ns(mine[0]);
    census_otlp_view_points late = {.delta = true, .count = 1, .points = &rp};
    const census_otlp_view_points *points[] = {&late};
    census_buf buf = CENSUS_BUF_INIT;
    CHECK(census__otlp_encode_metrics_points(mine, points, 1, NULL, false, &buf, NULL));
    if (write_file(argv[1], "late.pb", buf.data, buf.len)) {
      return 1;
    }
    census__buf_free(&buf);
  }
  for (int om = 0; om < 2; om++) {
    census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
    o.format = om ? CENSUS_PROMETHEUS_OPENMETRICS : CENSUS_PROMETHEUS_TEXT;
    char *text;
    size_t len;
    CHECK(census_prometheus_render_views(mine, k, &o, &text, &len));
    if (write_file(argv[1], om ? "openmetrics.txt" : "text.txt", text, len)) {
      return 1;
    }
    census_prometheus_text_free(text);
  }
  census_view_data_free_all(views, count_views);
  census_prometheus_options po = CENSUS_PROMETHEUS_OPTIONS_INIT;
  po.any_port = 1;
  census_prometheus_exporter *server = NULL;
  CHECK(census_prometheus_exporter_start(&po, &server));
  char port[16];
  n = snprintf(port, sizeof port, "%u\n", (unsigned)census_prometheus_exporter_port(server));
  if (write_file(argv[1], "port.tmp", port, (size_t)n)) {
    return 1;
  }
  char from[512], to[512], done[512];
  snprintf(from, sizeof from, "%s/port.tmp", argv[1]);
  snprintf(to, sizeof to, "%s/port", argv[1]);
  snprintf(done, sizeof done, "%s/done", argv[1]);
  rename(from, to); /* the port file appears whole */
  for (int i = 0; i < 6000; i++) {
    FILE *f = fopen(done, "r");
    if (f) {
      fclose(f);
      break;
    }
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  census_prometheus_exporter_stop(server, 5000);
  census_tag_map_free(get);
  census_tag_map_free(slow_tags);
  census_shutdown(5000);
  return 0;
}
