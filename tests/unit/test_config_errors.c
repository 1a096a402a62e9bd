/* test_config_errors.c - what a newcomer's configuration mistakes produce: for each, the status
 * the header documents and exactly one diagnostic line that names the option (or variable), says
 * what is wrong and what to write instead, and never echoes a secret (URL userinfo, query or
 * fragment). Only the public API is used, with the diagnostics callback capturing the lines.
 *
 * Cases: OTLP, Zipkin, Cloud Trace and Cloud Monitoring endpoints that are not URLs (no scheme,
 * another scheme, unparsable), as options (refused) and as environment variables (reported and
 * ignored); a Prometheus address that is a name or carries a port; a Prometheus port in use
 * (the address and EADDRINUSE named, errno kept); an options struct not initialised with its
 * CENSUS_<X>_OPTIONS_INIT macro (size 0), for every exporter; fields beyond the size a program was
 * compiled with, ignored. Each exporter's part is compiled when its
 * library is built (the CENSUS_HAVE_<X> definitions its CMake target carries).
 * Fails on main, where these refusals had no diagnostic at all (OTLP, Prometheus address, port in
 * use, Cloud Monitoring endpoint) or one that echoed the URL with its secrets and named no option
 * (Zipkin, Cloud Trace), and where a malformed OTEL_EXPORTER_ZIPKIN_ENDPOINT refused the start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h" /* cmocka, census/census.h */

#ifdef CENSUS_HAVE_OTLP
#include "census/exporters/otlp.h"
#endif
#ifdef CENSUS_HAVE_ZIPKIN
#include "census/exporters/zipkin.h"
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/google_cloud_trace.h"
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
#include "census/exporters/prometheus.h"
#endif
#include "census/exporters/stdout.h"

#include <stddef.h>

/* ---- the diagnostics channel --------------------------------------------------------------- */

static pthread_mutex_t diag_mu = PTHREAD_MUTEX_INITIALIZER;
static char lines[16][600];
static census_status statuses[16];
static int line_count;

static void capture(void *user, census_status status, const char *message) {
  (void)user;
  pthread_mutex_lock(&diag_mu);
  if (line_count < 16) {
    statuses[line_count] = status;
    snprintf(lines[line_count], sizeof lines[0], "%s", message);
  }
  line_count++;
  pthread_mutex_unlock(&diag_mu);
}

static int setup(void **state) {
  (void)state;
  pthread_mutex_lock(&diag_mu);
  line_count = 0;
  pthread_mutex_unlock(&diag_mu);
  census_diagnostics_set_callback(capture, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  return 0;
}

/* The one line reported since the last call (fails the test unless exactly one line, with
 * `status`, arrived), which must equal `expected` and contain none of the NULL-terminated
 * `secrets`. */
static void expect_line(census_status status, const char *expected, const char *const *secrets) {
  pthread_mutex_lock(&diag_mu);
  int count = line_count;
  char line[600];
  snprintf(line, sizeof line, "%s", count > 0 ? lines[0] : "");
  census_status got = count > 0 ? statuses[0] : 0;
  line_count = 0;
  pthread_mutex_unlock(&diag_mu);
  if (count != 1) {
    fail_msg("expected one diagnostic line, got %d (first: \"%s\")", count, line);
  }
  assert_string_equal(census_status_name(got), census_status_name(status));
  if (strcmp(line, expected) != 0) {
    fail_msg("diagnostic\n  got:      %s\n  expected: %s", line, expected);
  }
  for (const char *const *s = secrets; s && *s; s++) {
    if (strstr(line, *s)) {
      fail_msg("diagnostic echoes the secret \"%s\": %s", *s, line);
    }
  }
}

static const char *const url_secrets[] = {"alice", "s3cret", "hunter2", "frag", NULL};

/* ---- OTLP ---------------------------------------------------------------------------------- */

#ifdef CENSUS_HAVE_OTLP
/* Proves: options.endpoint without a scheme is CENSUS_EINVAL with a line naming the option and
 * the URL to write; another scheme (a gRPC URL) names the scheme, with userinfo, query and
 * fragment replaced by "***"; an unparsable URL quotes libcurl's reason; options.metrics_endpoint
 * is named as such; the exporter is not started (handle NULL). */
static void test_otlp_endpoint_option(void **state) {
  (void)state;
  census_otlp_exporter *e = (census_otlp_exporter *)1;
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "localhost:4318";
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  expect_line(CENSUS_EINVAL,
              "otlp: options.endpoint \"localhost:4318\" is not a URL (no scheme): write "
              "\"http://localhost:4318\" (or https:// for TLS); the exporter is not started",
              NULL);

  o.endpoint = "grpc://alice:s3cret@collector:4317/v1?api_key=hunter2#frag";
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  expect_line(CENSUS_EINVAL,
              "otlp: options.endpoint \"grpc://***@collector:4317/v1?***\" has the scheme "
              "\"grpc\": census sends over HTTP only; use http:// or https://; the exporter is "
              "not started",
              url_secrets);

  o.endpoint = "http://alice:s3cret@collector:99999?token=hunter2";
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  expect_line(CENSUS_EINVAL,
              "otlp: options.endpoint \"http://***@collector:99999?***\" is not a valid URL "
              "(libcurl: Port number was not a decimal number between 0 and 65535): write "
              "http(s)://host[:port][/path]; the exporter is not started",
              url_secrets);

  o.endpoint = NULL;
  o.metrics_endpoint = "http://";
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  expect_line(CENSUS_EINVAL,
              "otlp: options.metrics_endpoint \"http://\" is not a valid URL (libcurl: No host "
              "part in the URL): write http(s)://host[:port][/path]; the exporter is not started",
              NULL);
}

/* Proves: a malformed OTEL_EXPORTER_OTLP_ENDPOINT is not an error: the exporter starts with the
 * default, and one CENSUS_ECONFIG line names the variable, the fix and the default used, without
 * the variable's userinfo or query. */
static void test_otlp_endpoint_variable(void **state) {
  (void)state;
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "alice:s3cret@collector:4318?k=hunter2", 1);
  census_otlp_exporter *e = NULL;
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.signals = CENSUS_OTLP_SIGNAL_TRACES; /* nothing is sent: no span ends */
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  expect_line(CENSUS_ECONFIG,
              "otlp: OTEL_EXPORTER_OTLP_ENDPOINT \"***@collector:4318?***\" is not a URL (no "
              "scheme): write \"http://***@collector:4318?***\" (or https:// for TLS); ignored, "
              "using the default http://localhost:4318",
              url_secrets);
  census_otlp_exporter_stop(e, 0);
}
#endif

/* ---- Zipkin -------------------------------------------------------------------------------- */

#ifdef CENSUS_HAVE_ZIPKIN
/* Proves: a bad options.endpoint is CENSUS_EINVAL naming the option; a bad
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT is reported (CENSUS_ECONFIG, naming the variable) and the default
 * used, as the header says of every malformed variable (main refused the start). */
static void test_zipkin_endpoint(void **state) {
  (void)state;
  census_zipkin_exporter *e = NULL;
  census_zipkin_options o = CENSUS_ZIPKIN_OPTIONS_INIT;
  o.endpoint = "zipkin:9411/api/v2/spans";
  assert_int_equal(census_zipkin_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  expect_line(CENSUS_EINVAL,
              "zipkin: options.endpoint \"zipkin:9411/api/v2/spans\" is not a URL (no scheme): "
              "write \"http://zipkin:9411/api/v2/spans\" (or https:// for TLS); the exporter is "
              "not started",
              NULL);

  o.endpoint = NULL;
  setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", "ftp://alice:s3cret@zipkin/?k=hunter2", 1);
  assert_int_equal(census_zipkin_exporter_start(&o, &e), CENSUS_OK);
  unsetenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
  assert_non_null(e);
  expect_line(CENSUS_ECONFIG,
              "zipkin: OTEL_EXPORTER_ZIPKIN_ENDPOINT \"ftp://***@zipkin/?***\" has the scheme "
              "\"ftp\": census sends over HTTP only; use http:// or https://; ignored, using the "
              "default http://localhost:9411/api/v2/spans",
              url_secrets);
  census_zipkin_exporter_stop(e, 0);
}
#endif

/* ---- Google Cloud -------------------------------------------------------------------------- */

#ifdef CENSUS_HAVE_GOOGLE_CLOUD
/* Proves: Cloud Trace's trace_endpoint (CENSUS_EINVAL, as its header says) and token_endpoint
 * (CENSUS_ECONFIG), and Cloud Monitoring's monitoring_endpoint (CENSUS_ECONFIG, as its header
 * says of a bad option) are refused with a line naming the option, before any credentials are
 * read or any network is touched; the token URL's query is not echoed. */
static void test_google_endpoints(void **state) {
  (void)state;
  census_google_trace_exporter *t = NULL;
  census_google_trace_options to = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
  to.access_token = "ya29.hunter2";
  to.project_id = "p";
  to.trace_endpoint = "cloudtrace.googleapis.com";
  assert_int_equal(census_google_trace_exporter_start(&to, &t), CENSUS_EINVAL);
  assert_null(t);
  expect_line(CENSUS_EINVAL,
              "cloud trace: options.trace_endpoint \"cloudtrace.googleapis.com\" is not a URL (no "
              "scheme): write \"http://cloudtrace.googleapis.com\" (or https:// for TLS); the "
              "exporter is not started",
              url_secrets);

  to.trace_endpoint = NULL;
  to.access_token = NULL;
  to.credentials_file = "/nonexistent/key.json";
  to.token_endpoint = "oauth2.googleapis.com/token?key=hunter2";
  assert_int_equal(census_google_trace_exporter_start(&to, &t), CENSUS_ECONFIG);
  expect_line(CENSUS_ECONFIG,
              "google auth: options.token_endpoint \"oauth2.googleapis.com/token?***\" is not a "
              "URL (no scheme): write \"http://oauth2.googleapis.com/token?***\" (or https:// for "
              "TLS); the exporter is not started",
              url_secrets);

  census_google_monitoring_exporter *m = NULL;
  census_google_monitoring_options mo = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  mo.access_token = "ya29.hunter2";
  mo.project_id = "p";
  mo.monitoring_endpoint = "https://alice:s3cret@monitoring googleapis com";
  assert_int_equal(census_google_monitoring_exporter_start(&mo, &m), CENSUS_ECONFIG);
  assert_null(m);
  expect_line(CENSUS_ECONFIG,
              "google monitoring: options.monitoring_endpoint \"https://***@monitoring "
              "googleapis com\" is not a valid URL (libcurl: Bad hostname): write "
              "http(s)://host[:port][/path]; the exporter is not started",
              url_secrets);
}
#endif

/* ---- Prometheus ---------------------------------------------------------------------------- */

#ifdef CENSUS_HAVE_PROMETHEUS
/* Proves: a host name, and an address with the port written into it (IPv4 and bracketed IPv6),
 * are CENSUS_EINVAL with a line naming options.address and saying what to write; nothing
 * listens. */
static void test_prometheus_address(void **state) {
  (void)state;
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.register_no_exporter = 1;
  census_prometheus_exporter *e = NULL;
  o.address = "localhost";
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  expect_line(CENSUS_EINVAL,
              "prometheus: options.address \"localhost\" is not a numeric IPv4 or IPv6 address "
              "(names are not looked up, so that no lookup can pick another interface): write "
              "\"127.0.0.1\" (this machine only), \"0.0.0.0\" (every IPv4 interface), \"::1\" or "
              "\"::\"; the port goes in options.port; the server is not started",
              NULL);
  o.address = "127.0.0.1:9100";
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  expect_line(CENSUS_EINVAL,
              "prometheus: options.address \"127.0.0.1:9100\" contains a port: set "
              "options.address = \"127.0.0.1\" and options.port = 9100; the server is not started",
              NULL);
  o.address = "[::1]:9100";
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  expect_line(CENSUS_EINVAL,
              "prometheus: options.address \"[::1]:9100\" contains a port: set options.address = "
              "\"::1\" and options.port = 9100; the server is not started",
              NULL);
}

/* Proves: a port another socket listens on gives CENSUS_ESYSTEM with errno EADDRINUSE and one
 * line naming the address and port, EADDRINUSE, and what to do. */
static void test_prometheus_port_in_use(void **state) {
  (void)state;
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(holder >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(holder, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(holder, 1), 0);
  socklen_t length = sizeof a;
  assert_int_equal(getsockname(holder, (struct sockaddr *)&a, &length), 0);
  uint16_t port = ntohs(a.sin_port);

  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.register_no_exporter = 1;
  o.port = port;
  census_prometheus_exporter *e = NULL;
  errno = 0;
  census_status st = census_prometheus_exporter_start(&o, &e);
  int error = errno;
  assert_null(e);
  close(holder);
  assert_int_equal(st, CENSUS_ESYSTEM);
  assert_int_equal(error, EADDRINUSE);
  char expected[400];
  snprintf(expected, sizeof expected,
           "prometheus: cannot listen on 127.0.0.1:%u: Address already in use (EADDRINUSE): "
           "another process (or another census server in this one) listens there: stop it, "
           "choose a free port in options.port, or set options.any_port",
           (unsigned)port);
  expect_line(CENSUS_ESYSTEM, expected, NULL);
}
#endif

/* ---- the options size convention ------------------------------------------------------------ */

/* Proves, for every exporter built: an options struct that was zeroed instead of initialised with
 * its CENSUS_<X>_OPTIONS_INIT macro (size 0) is refused with CENSUS_EINVAL, no handle, and exactly
 * one line naming the struct and the macro to use. */
static void test_options_not_initialised(void **state) {
  (void)state;
  census_stdout_options so = {0};
  census_stdout_exporter *se = (census_stdout_exporter *)1;
  assert_int_equal(census_stdout_exporter_start(&so, &se), CENSUS_EINVAL);
  assert_null(se);
  expect_line(CENSUS_EINVAL,
              "stdout: census_stdout_options.size is 0: initialise census_stdout_options with "
              "CENSUS_STDOUT_OPTIONS_INIT",
              NULL);
#ifdef CENSUS_HAVE_OTLP
  census_otlp_options oo = {0};
  census_otlp_exporter *oe = (census_otlp_exporter *)1;
  assert_int_equal(census_otlp_exporter_start(&oo, &oe), CENSUS_EINVAL);
  assert_null(oe);
  expect_line(CENSUS_EINVAL,
              "otlp: census_otlp_options.size is 0: initialise census_otlp_options with "
              "CENSUS_OTLP_OPTIONS_INIT",
              NULL);
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  census_zipkin_options zo = {0};
  census_zipkin_exporter *ze = (census_zipkin_exporter *)1;
  assert_int_equal(census_zipkin_exporter_start(&zo, &ze), CENSUS_EINVAL);
  assert_null(ze);
  expect_line(CENSUS_EINVAL,
              "zipkin: census_zipkin_options.size is 0: initialise census_zipkin_options with "
              "CENSUS_ZIPKIN_OPTIONS_INIT",
              NULL);
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
  census_google_trace_options to = {0};
  census_google_trace_exporter *te = (census_google_trace_exporter *)1;
  assert_int_equal(census_google_trace_exporter_start(&to, &te), CENSUS_EINVAL);
  assert_null(te);
  expect_line(CENSUS_EINVAL,
              "cloud trace: census_google_trace_options.size is 0: initialise "
              "census_google_trace_options with CENSUS_GOOGLE_TRACE_OPTIONS_INIT",
              NULL);
  census_google_monitoring_options mo = {0};
  census_google_monitoring_exporter *me = (census_google_monitoring_exporter *)1;
  assert_int_equal(census_google_monitoring_exporter_start(&mo, &me), CENSUS_EINVAL);
  assert_null(me);
  expect_line(CENSUS_EINVAL,
              "google monitoring: census_google_monitoring_options.size is 0: initialise "
              "census_google_monitoring_options with CENSUS_GOOGLE_MONITORING_OPTIONS_INIT",
              NULL);
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
  census_prometheus_options po = {0};
  census_prometheus_exporter *pe = (census_prometheus_exporter *)1;
  assert_int_equal(census_prometheus_exporter_start(&po, &pe), CENSUS_EINVAL);
  assert_null(pe);
  expect_line(CENSUS_EINVAL,
              "prometheus: census_prometheus_options.size is 0: initialise "
              "census_prometheus_options with CENSUS_PROMETHEUS_OPTIONS_INIT",
              NULL);
#endif
}

#ifdef CENSUS_HAVE_OTLP
/* Proves that the library reads only the first `size` bytes: a program compiled when the struct
 * ended before spool_dir (an older census) has whatever follows in memory ignored, so a garbage
 * spool_dir there (which, read, would refuse the start: "missing directory") takes its default and
 * the exporter starts; the same struct with the full size is refused for that spool_dir. */
static void test_options_read_up_to_size(void **state) {
  (void)state;
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "http://127.0.0.1:9";
  o.signals = CENSUS_OTLP_SIGNAL_TRACES; /* nothing is sent: no span ends */
  o.spool_dir = "/nonexistent/census-spool";
  census_otlp_exporter *e = NULL;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_ECONFIG);
  assert_null(e);
  pthread_mutex_lock(&diag_mu);
  line_count = 0; /* the spool_dir refusal, checked by unit_spool_exporters */
  pthread_mutex_unlock(&diag_mu);
  o.size = offsetof(census_otlp_options, spool_dir);
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_OK);
  assert_non_null(e);
  assert_int_equal(census_otlp_exporter_stop(e, 1000), CENSUS_OK);
  /* A size larger than this census knows (a program built against a newer one) is refused with
   * one line saying so: its extra fields could not be read. */
  pthread_mutex_lock(&diag_mu);
  line_count = 0;
  pthread_mutex_unlock(&diag_mu);
  o.size = sizeof o + 8;
  assert_int_equal(census_otlp_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  char expected[256];
  snprintf(expected, sizeof expected,
           "otlp: census_otlp_options.size is %zu, larger than this census knows: initialise "
           "census_otlp_options with CENSUS_OTLP_OPTIONS_INIT and run the program with the census "
           "it was built against",
           sizeof o + 8);
  expect_line(CENSUS_EINVAL, expected, NULL);
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_options_not_initialised, setup, teardown),
#ifdef CENSUS_HAVE_OTLP
      cmocka_unit_test_setup_teardown(test_otlp_endpoint_option, setup, teardown),
      cmocka_unit_test_setup_teardown(test_options_read_up_to_size, setup, teardown),
      cmocka_unit_test_setup_teardown(test_otlp_endpoint_variable, setup, teardown),
#endif
#ifdef CENSUS_HAVE_ZIPKIN
      cmocka_unit_test_setup_teardown(test_zipkin_endpoint, setup, teardown),
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
      cmocka_unit_test_setup_teardown(test_google_endpoints, setup, teardown),
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
      cmocka_unit_test_setup_teardown(test_prometheus_address, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prometheus_port_in_use, setup, teardown),
#endif
  };
  return cmocka_run_group_tests_name("config_errors", tests, NULL, NULL);
}
