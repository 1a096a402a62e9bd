/* test_autoconfigure_exporters.c - census_autoconfigure() in a program linked with the OTLP,
 * Prometheus and Zipkin libraries (so CENSUS_HAVE_OTLP, _PROMETHEUS and _ZIPKIN are defined, as
 * their CMake targets do): the exporters the two lists name start, each for its signals only.
 *
 * Proves: OTEL_METRICS_EXPORTER=otlp,prometheus with OTEL_TRACES_EXPORTER=zipkin starts all
 * three (config.started, live handles, the Prometheus port the exporter bound reported back); the
 * OTLP exporter gets the metrics signal only (after a span and a flush, OTLP made metrics
 * attempts and no traces attempt: its traces go to Zipkin alone); the Zipkin exporter started
 * from OTEL_EXPORTER_ZIPKIN_ENDPOINT delivers: the span ended reaches a real HTTP receiver on
 * loopback (tests/http/fault_receiver.js) as one POST to /api/v2/spans whose JSON body (parsed
 * by jansson) holds that span, by name and trace id; the program's exporter options are used
 * (Prometheus any_port). On main this file does not build (no census_autoconfigure()).
 * The OTLP endpoint is a closed loopback port: its delivery fails, which is not what is tested
 * here (the delivery tests do that); diagnostics are silenced.
 */
#include <stdio.h>
#include <stdlib.h>

#include "census/autoconfigure.h"
#include "census/trace.h"
#include "support.h" /* cmocka, census/census.h */

#include "../http/fault_receiver_fixture.h" /* receiver, start_receiver(), teardown */

#if !defined(CENSUS_HAVE_OTLP) || !defined(CENSUS_HAVE_PROMETHEUS) || !defined(CENSUS_HAVE_ZIPKIN)
#error "test_autoconfigure_exporters links census_otlp, census_prometheus and census_zipkin"
#endif

static void test_each_exporter_its_signals(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  setenv("OTEL_METRICS_EXPORTER", "otlp, prometheus", 1);
  setenv("OTEL_TRACES_EXPORTER", "zipkin", 1);
  setenv("OTEL_TRACES_SAMPLER", "always_on", 1);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", 1);
  fault_receiver_unset_proxies();
  start_receiver(NULL); /* answers 200 to every request */
  char zipkin_url[128];
  snprintf(zipkin_url, sizeof zipkin_url, "%s/api/v2/spans", receiver.url_base);
  setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", zipkin_url, 1);
  census_prometheus_options prometheus = CENSUS_PROMETHEUS_OPTIONS_INIT;
  prometheus.any_port = 1;
  census_autoconfigure_options o = CENSUS_AUTOCONFIGURE_OPTIONS_INIT;
  o.prometheus = &prometheus;
  census_autoconfig c = CENSUS_AUTOCONFIG_INIT;
  assert_int_equal(census_autoconfigure(&o, &c), CENSUS_OK);
  assert_int_equal(c.started, CENSUS_AUTOCONFIG_OTLP | CENSUS_AUTOCONFIG_PROMETHEUS |
                                  CENSUS_AUTOCONFIG_ZIPKIN);
  assert_non_null(c.otlp);
  assert_non_null(c.prometheus);
  assert_non_null(c.zipkin);
  assert_null(c.console);
  assert_true(c.prometheus_port > 0);
  assert_int_equal(c.prometheus_port, census_prometheus_exporter_port(c.prometheus));

  census_span span = census_span_start("autoconfigure.exporters", NULL);
  census_trace_context ctx;
  assert_int_equal(census_span_context(span, &ctx), CENSUS_OK);
  census_span_end(span);
  char trace_id[2 * CENSUS_TRACE_ID_SIZE + 1];
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    snprintf(trace_id + 2 * i, 3, "%02x", ctx.trace_id[i]);
  }
  census_status st;
  census_counter *counter = census_counter_int64_new("autoconfigure.exporters", NULL, &st);
  assert_int_equal(census_counter_add_int64(counter, 1, NULL), CENSUS_OK); /* a row to send */
  census_flush(1000); /* fails: nothing listens; the attempts are what count */
  census_otlp_stats stats;
  assert_int_equal(census_otlp_exporter_stats(c.otlp, &stats), CENSUS_OK);
  assert_true(stats.metrics.attempts >= 1);
  assert_int_equal(stats.traces.attempts, 0);
  /* The span reached the Zipkin receiver: exactly one span by that name and trace id. */
  assert_true(fault_receiver_wait_count(&receiver, 1, 10000));
  json_t *requests = fault_receiver_requests(&receiver);
  assert_non_null(requests);
  int found = 0;
  size_t i;
  json_t *request;
  json_array_foreach(requests, i, request) {
    assert_string_equal(json_string_value(json_object_get(request, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(request, "path")), "/api/v2/spans");
    json_error_t error;
    json_t *body = json_loads(json_string_value(json_object_get(request, "body")), 0, &error);
    assert_true(json_is_array(body));
    size_t j;
    json_t *zipkin_span;
    json_array_foreach(body, j, zipkin_span) {
      const char *name = json_string_value(json_object_get(zipkin_span, "name"));
      const char *id = json_string_value(json_object_get(zipkin_span, "traceId"));
      found +=
          name && id && strcmp(name, "autoconfigure.exporters") == 0 && strcmp(id, trace_id) == 0;
    }
    json_decref(body);
  }
  json_decref(requests);
  assert_int_equal(found, 1);
  census_autoconfig_stop(&c, 0);
  assert_null(c.otlp);
  assert_null(c.prometheus);
  assert_null(c.zipkin);
  assert_null(c.propagator);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_each_exporter_its_signals, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
