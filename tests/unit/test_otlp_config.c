/* test_otlp_config.c - the OTLP exporter's configuration and lifecycle.
 *
 * Proves, for options and the OTEL_EXPORTER_OTLP_* variables: the default endpoint; a base URL
 * gets /v1/<signal> with exactly one '/'; per-signal endpoints are used as-is (empty path -> "/");
 * per-signal variables win over generic ones and options over both; protocol, compression and
 * timeout parse (case-insensitive), and a malformed value is reported exactly once with
 * CENSUS_ECONFIG and the default used; protocol grpc (option or variable) is taken, not reported,
 * with the default port 4317 and the Export method's path in place of the endpoint's path (on
 * main it was reported as unsupported and http/protobuf used: test_grpc fails there); headers are
 * percent-decoded and an option header replaces the variable's of the same name; invalid options
 * are CENSUS_EINVAL. Lifecycle: a bad option starts nothing; an exporter whose backend is down
 * stops within its deadline; one that census_shutdown() stopped can still be read and freed (ASan
 * checks for leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "census/census.h"
#include "census/exporters/otlp.h"
#include "otlp_config.h"

static int config_reports;
static char last_report[512];

static void on_diag(void *user, census_status status, const char *message) {
  if (status == CENSUS_ECONFIG) {
    config_reports++;
    snprintf(last_report, sizeof last_report, "%s", message);
  }
}

static const char *const vars[] = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
};

static int setup(void **state) {
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    unsetenv(vars[i]);
  }
  config_reports = 0;
  last_report[0] = '\0';
  census_diagnostics_set_callback(on_diag, NULL);
  return 0;
}

/* Resolves `signal` with options `o` (NULL: zeroed); asserts CENSUS_OK. */
static census_otlp_signal_config resolve(const census_otlp_options *o, const char *signal) {
  census_otlp_options zero = CENSUS_OTLP_OPTIONS_INIT;
  census_otlp_signal_config c;
  assert_int_equal(census__otlp_config_resolve(o ? o : &zero, signal, NULL, &c), CENSUS_OK);
  return c;
}

/* OTLP/gRPC: the option or the variable selects it without a report; the default endpoint is
 * port 4317; only the scheme and authority of an endpoint are kept, the path being the Export
 * method's (per-signal endpoints too); protobuf, never JSON. */
static void test_grpc(void **state) {
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.protocol = CENSUS_OTLP_GRPC;
  census_otlp_signal_config c = resolve(&o, "metrics");
  assert_true(c.grpc);
  assert_false(c.json);
  assert_string_equal(
      c.url,
      "http://localhost:4317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
  census__otlp_config_free(&c);
  o.endpoint = "https://collector.example:4317/some/path?q=1";
  c = resolve(&o, "traces");
  assert_string_equal(
      c.url,
      "https://collector.example:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  census__otlp_config_free(&c);

  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  c = resolve(NULL, "traces");
  assert_true(c.grpc);
  assert_string_equal(
      c.url, "http://localhost:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  census__otlp_config_free(&c);
  setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://10.0.0.7:5317/v1/metrics", 1);
  c = resolve(NULL, "metrics");
  assert_string_equal(
      c.url, "http://10.0.0.7:5317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
  census__otlp_config_free(&c);
  /* A per-signal protocol wins: traces over HTTP while metrics use gRPC. */
  setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", 1);
  c = resolve(NULL, "traces");
  assert_false(c.grpc);
  assert_string_equal(c.url, "http://localhost:4318/v1/traces");
  census__otlp_config_free(&c);
  assert_int_equal(config_reports, 0);
}

static void test_defaults(void **state) {
  census_otlp_signal_config c = resolve(NULL, "metrics");
  assert_string_equal(c.url, "http://localhost:4318/v1/metrics");
  assert_false(c.json);
  assert_false(c.gzip);
  assert_int_equal(c.timeout_ms, 10000);
  assert_int_equal(c.header_count, 1);
  assert_string_equal(c.headers[0],
                      "User-Agent: OTel-OTLP-Exporter-C/census-" CENSUS_VERSION_STRING);
  census__otlp_config_free(&c);
  c = resolve(NULL, "traces");
  assert_string_equal(c.url, "http://localhost:4318/v1/traces");
  census__otlp_config_free(&c);
  assert_int_equal(config_reports, 0);
}

static void test_endpoints(void **state) {
  struct {
    const char *base, *metrics_var, *want_metrics, *want_traces;
  } cases[] = {
      {"http://collector:4318", NULL, "http://collector:4318/v1/metrics",
       "http://collector:4318/v1/traces"},
      {"http://collector:4318/", NULL, "http://collector:4318/v1/metrics",
       "http://collector:4318/v1/traces"},
      {"https://h/otlp//", NULL, "https://h/otlp/v1/metrics", "https://h/otlp/v1/traces"},
      {"http://base:1", "http://m:9/custom/path", "http://m:9/custom/path",
       "http://base:1/v1/traces"},
      {NULL, "http://m:9", "http://m:9/", "http://localhost:4318/v1/traces"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setup(NULL);
    if (cases[i].base) {
      setenv("OTEL_EXPORTER_OTLP_ENDPOINT", cases[i].base, 1);
    }
    if (cases[i].metrics_var) {
      setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", cases[i].metrics_var, 1);
    }
    census_otlp_signal_config m = resolve(NULL, "metrics"), t = resolve(NULL, "traces");
    assert_string_equal(m.url, cases[i].want_metrics);
    assert_string_equal(t.url, cases[i].want_traces);
    census__otlp_config_free(&m);
    census__otlp_config_free(&t);
  }
  /* Options win over both variables. */
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:1", 1);
  setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://env-metrics:2/x", 1);
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "http://api:3";
  census_otlp_signal_config m = resolve(&o, "metrics");
  assert_string_equal(m.url, "http://api:3/v1/metrics");
  census__otlp_config_free(&m);
  o.metrics_endpoint = "http://api-metrics:4/y";
  m = resolve(&o, "metrics");
  assert_string_equal(m.url, "http://api-metrics:4/y");
  census__otlp_config_free(&m);
  /* A variable that is not an http(s) URL: reported once, the next source used. */
  setup(NULL);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", 1);
  m = resolve(NULL, "metrics");
  assert_string_equal(m.url, "http://localhost:4318/v1/metrics");
  assert_int_equal(config_reports, 1);
  assert_non_null(strstr(last_report, "OTEL_EXPORTER_OTLP_ENDPOINT"));
  census__otlp_config_free(&m);
}

/* Asserts a signal's resolved protocol (json: http/json, else http/protobuf), compression and
 * timeout. */
static void assert_transport(const census_otlp_signal_config *c, bool json, bool gzip,
                             int64_t timeout_ms) {
  assert_int_equal(c->json, json);
  assert_int_equal(c->gzip, gzip);
  assert_int_equal(c->timeout_ms, timeout_ms);
}

static void test_protocol_compression_timeout(void **state) {
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/JSON", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500", 1);
  setenv("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700", 1);
  census_otlp_signal_config m = resolve(NULL, "metrics"), t = resolve(NULL, "traces");
  assert_transport(&m, true, true, 700);
  assert_transport(&t, false, false, 2500);
  census__otlp_config_free(&m);
  census__otlp_config_free(&t);
  assert_int_equal(config_reports, 0);

  /* Options win. */
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.protocol = CENSUS_OTLP_HTTP_PROTOBUF;
  o.compression = CENSUS_OTLP_COMPRESSION_NONE;
  o.timeout_ms = 42;
  m = resolve(&o, "metrics");
  assert_transport(&m, false, false, 42);
  census__otlp_config_free(&m);

  /* Malformed or unsupported values: one report each, default used. */
  struct {
    const char *var, *value;
  } bad[] = {
      {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc-web"},
      {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/xml"},
      {"OTEL_EXPORTER_OTLP_COMPRESSION", "brotli"},
      {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "-5"},
      {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "10s"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setup(NULL);
    setenv(bad[i].var, bad[i].value, 1);
    m = resolve(NULL, "metrics");
    assert_int_equal(config_reports, 1);
    assert_non_null(strstr(last_report, bad[i].var));
    assert_transport(&m, false, false, 10000);
    census__otlp_config_free(&m);
  }
}

/* A malformed generic variable is read for both signals but reported once: the second signal
 * copies what the first took from it; a per-signal variable is still read for its signal. */
static void test_reported_once_per_exporter(void **state) {
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc/json", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "broken", 1);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", 1);
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  census_otlp_signal_config m, t;
  assert_int_equal(census__otlp_config_resolve(&o, "metrics", NULL, &m), CENSUS_OK);
  assert_int_equal(config_reports, 5);
  assert_int_equal(census__otlp_config_resolve(&o, "traces", &m, &t), CENSUS_OK);
  assert_int_equal(config_reports, 5);
  assert_string_equal(t.url, "http://localhost:4318/v1/traces");
  assert_transport(&t, false, false, 10000);
  assert_int_equal(t.header_count, 1);
  census__otlp_config_free(&t);
  /* A per-signal variable is this signal's own: read (and reported) for it. */
  setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "later", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json", 1);
  assert_int_equal(census__otlp_config_resolve(&o, "traces", &m, &t), CENSUS_OK);
  assert_int_equal(config_reports, 6);
  assert_non_null(strstr(last_report, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"));
  assert_true(t.json);
  census__otlp_config_free(&t);
  census__otlp_config_free(&m);

  /* Through the exporter: both signals, each bad variable reported once. */
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
  config_reports = 0;
  o.endpoint = "http://127.0.0.1:1";
  census_otlp_exporter *e = NULL;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 4); /* the endpoint option hides the bad variable */
  census_otlp_exporter_stop(e, 100);
}

/* Proves: the metric preference census cannot honour (exponential histograms by default) is
 * reported once when the exporter starts with metrics; delta and lowmemory temporality are
 * honoured and not reported (main reported them as unsupported), a malformed temporality is;
 * the supported values and a traces-only exporter report nothing, and the exporter starts. */
static void test_unsupported_metric_preferences(void **state) {
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "http://127.0.0.1:1";
  census_otlp_exporter *e = NULL;
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Cumulative", 1);
  setenv("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "explicit_bucket_histogram",
         1);
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 0);
  census_otlp_exporter_stop(e, 100);

  /* Delta temporality is honoured (otlp_delta.c): no report; a malformed value is. */
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta", 1);
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 0);
  census_otlp_exporter_stop(e, 100);
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes", 1);
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 1);
  assert_non_null(strstr(last_report, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"));
  census_otlp_exporter_stop(e, 100);

  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory", 1);
  setenv("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
         "base2_exponential_bucket_histogram", 1);
  config_reports = 0;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 1);
  assert_non_null(strstr(last_report, "exponential histograms"));
  census_otlp_exporter_stop(e, 100);

  config_reports = 0;
  o.signals = CENSUS_OTLP_SIGNAL_TRACES;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_int_equal(config_reports, 0);
  census_otlp_exporter_stop(e, 100);
}

static bool has_header(const census_otlp_signal_config *c, const char *line) {
  for (size_t i = 0; i < c->header_count; i++) {
    if (strcmp(c->headers[i], line) == 0) {
      return true;
    }
  }
  return false;
}

static void test_headers(void **state) {
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%20def, tenant = t1", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-trace-key=tk", 1);
  census_otlp_signal_config m = resolve(NULL, "metrics"), t = resolve(NULL, "traces");
  assert_int_equal(m.header_count, 3);
  assert_true(has_header(&m, "x-api-key: abc def"));
  assert_true(has_header(&m, "tenant: t1"));
  assert_int_equal(t.header_count, 2); /* the per-signal list replaces the generic one */
  assert_true(has_header(&t, "x-trace-key: tk"));
  census__otlp_config_free(&m);
  census__otlp_config_free(&t);

  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  census_kv h[] = {{"X-API-Key", "from-api"}, {"extra", "e"}};
  o.headers = h;
  o.header_count = 2;
  m = resolve(&o, "metrics");
  assert_int_equal(m.header_count, 4);
  assert_true(has_header(&m, "X-API-Key: from-api"));
  assert_false(has_header(&m, "x-api-key: abc def"));
  census__otlp_config_free(&m);

  /* A malformed list: reported once, ignored as a whole. */
  setup(NULL);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=ok,novalue", 1);
  m = resolve(NULL, "metrics");
  assert_int_equal(m.header_count, 1);
  assert_int_equal(config_reports, 1);
  census__otlp_config_free(&m);
}

static void test_invalid_options(void **state) {
  census_otlp_options o;
  census_otlp_signal_config c;
  o = (census_otlp_options)CENSUS_OTLP_OPTIONS_INIT;
  o.protocol = (census_otlp_protocol)7;
  assert_int_equal(census__otlp_config_resolve(&o, "metrics", NULL, &c), CENSUS_EINVAL);
  census__otlp_config_free(&c);
  o = (census_otlp_options)CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "ftp://x";
  assert_int_equal(census__otlp_config_resolve(&o, "metrics", NULL, &c), CENSUS_EINVAL);
  census__otlp_config_free(&c);
  o = (census_otlp_options)CENSUS_OTLP_OPTIONS_INIT;
  census_kv h = {"x-api-key", "a\r\nInjected: 1"};
  o.headers = &h;
  o.header_count = 1;
  assert_int_equal(census__otlp_config_resolve(&o, "traces", NULL, &c), CENSUS_EINVAL);
  census__otlp_config_free(&c);

  census_otlp_exporter *e = (census_otlp_exporter *)&o;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  assert_int_equal(census_otlp_exporter_start(NULL, NULL), CENSUS_EINVAL);
  assert_int_equal(census_otlp_exporter_stop(NULL, 0), CENSUS_EINVAL);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_lifecycle(void **state) {
  /* A backend that is down (port 1 on loopback refuses): stop returns within its deadline. */
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "http://127.0.0.1:1";
  o.initial_backoff_ms = 50;
  census_otlp_exporter *e = NULL;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_non_null(e);
  census_span_options so = CENSUS_SPAN_OPTIONS_INIT;
  census_span_end(census_span_start("lifecycle", &so));
  int64_t t0 = now_ms();
  census_status st = census_otlp_exporter_stop(e, 500);
  assert_true(st == CENSUS_ETIMEDOUT || st == CENSUS_EEXPORT);
  assert_true(now_ms() - t0 < 3000);

  /* census_shutdown() stops a running exporter; its counters stay readable, stop frees it. */
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  census_span_end(census_span_start("lifecycle-2", &so));
  census_shutdown(500);
  census_otlp_stats stats;
  assert_int_equal(census_otlp_exporter_stats(e, &stats), CENSUS_OK);
  assert_int_equal(stats.traces.items_delivered, 0);
  assert_int_equal(stats.traces.items_dropped, 1);
  census_otlp_exporter_stop(e, 0);
  e = (census_otlp_exporter *)&o;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_ESHUTDOWN);
  assert_null(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_defaults, setup),
      cmocka_unit_test_setup(test_grpc, setup),
      cmocka_unit_test_setup(test_endpoints, setup),
      cmocka_unit_test_setup(test_protocol_compression_timeout, setup),
      cmocka_unit_test_setup(test_headers, setup),
      cmocka_unit_test_setup(test_reported_once_per_exporter, setup),
      cmocka_unit_test_setup(test_unsupported_metric_preferences, setup),
      cmocka_unit_test_setup(test_invalid_options, setup),
      cmocka_unit_test_setup(test_lifecycle, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
