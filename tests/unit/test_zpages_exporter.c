/* test_zpages_exporter.c - the zPages' serving rules, over real HTTP on loopback (plain sockets,
 * HTTP/1.0), with census's diagnostics captured.
 *
 * Proves:
 *   - loopback by default: a server of their own listens on 127.0.0.1 only (the kernel's
 *     /proc/net/tcp lists its listening socket with local address 127.0.0.1, not 0.0.0.0), and
 *     the exporter status registry shows that address;
 *   - read-only: GET and HEAD answer every page (GET with the whole HTML document or JSON object
 *     and its content type, HEAD without a body), POST, PUT and DELETE are
 *     405 and reach no page; an unknown page is 404; census_zpages_exporter_stats() counts the
 *     pages served and the requests refused exactly;
 *   - every answer carries the Content-Security-Policy that allows no script and no external
 *     asset (default-src 'none'), nosniff and no-store;
 *   - one server for both: on a Prometheus exporter's server /metrics still answers beside the
 *     pages, a second zPages on the same prefix is refused (CENSUS_EDUPLICATE) with a line naming
 *     options.prefix, another prefix is served too;
 *   - bad options are refused with CENSUS_EINVAL and one diagnostic line naming what was wrong:
 *     a struct not initialised with CENSUS_ZPAGES_OPTIONS_INIT, prefixes without '/', ending in
 *     '/', "/metrics", with a space or a quote; NULL for the handle;
 *   - after census_zpages_exporter_stop() the port no longer answers.
 * The zPages are new in issue 17: this file does not build on main.
 */
#include "http_client.h" /* http_request(), http_status(), http_body() */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/exporter.h"
#include "census/exporters/prometheus.h"
#include "census/exporters/zpages.h"

/* ---- HTTP and diagnostics -------------------------------------------------------------------- */

static pthread_mutex_t diag_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_line[600];
static int line_count;

static void capture(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  pthread_mutex_lock(&diag_mu);
  snprintf(last_line, sizeof last_line, "%s", message);
  line_count++;
  pthread_mutex_unlock(&diag_mu);
}

/* Exactly one diagnostic line arrived since the last call, and it contains `needle`. */
static void expect_line_with(const char *needle) {
  pthread_mutex_lock(&diag_mu);
  int count = line_count;
  char line[600];
  snprintf(line, sizeof line, "%s", last_line);
  line_count = 0;
  pthread_mutex_unlock(&diag_mu);
  if (count != 1 || !strstr(line, needle)) {
    fail_msg("expected one diagnostic line with \"%s\", got %d (last: \"%s\")", needle, count,
             line);
  }
}

static int setup(void **state) {
  (void)state;
  line_count = 0;
  census_diagnostics_set_callback(capture, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  return 0;
}

static census_zpages_exporter *start_own(void) {
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.any_port = 1;
  census_zpages_exporter *z = NULL;
  assert_int_equal(census_zpages_exporter_start(&o, &z), CENSUS_OK);
  assert_non_null(z);
  return z;
}

/* ---- loopback -------------------------------------------------------------------------------- */

/* The local address of the listening IPv4 socket on `port` as /proc/net/tcp gives it (hex, in
 * the kernel's byte order: 0100007F is 127.0.0.1), into `address`; false if there is none. */
static bool listening_address(uint16_t port, char address[16]) {
  FILE *f = fopen("/proc/net/tcp", "r");
  if (!f) {
    return false;
  }
  char line[512];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    char local[16];
    unsigned local_port, state;
    if (sscanf(line, " %*d: %8[0-9A-Fa-f]:%x %*8[0-9A-Fa-f]:%*x %x", local, &local_port, &state) ==
            3 &&
        local_port == port && state == 0x0A /* LISTEN */) {
      snprintf(address, 16, "%s", local);
      found = true;
    }
  }
  fclose(f);
  return found;
}

struct found_address {
  char value[64];
};

static void find_zpages_address(void *user, const census_exporter_status *s) {
  struct found_address *f = user;
  if (strcmp(s->name, "zpages") != 0) {
    return;
  }
  for (size_t i = 0; i < s->config_count; i++) {
    if (strcmp(s->config[i].key, "address") == 0) {
      snprintf(f->value, sizeof f->value, "%s", s->config[i].value);
    }
  }
}

static void test_loopback_by_default(void **state) {
  (void)state;
  census_zpages_exporter *z = start_own();
  uint16_t port = census_zpages_exporter_port(z);
  assert_true(port != 0);
  char address[16];
  assert_true(listening_address(port, address));
  assert_string_equal(address, "0100007F"); /* 127.0.0.1, not 00000000 (every interface) */
  struct found_address f = {{0}};
  census_exporter_status_visit(find_zpages_address, &f);
  assert_string_equal(f.value, "127.0.0.1");
  char *answer = http_request(port, "GET", "/zpages/");
  assert_int_equal(http_status(answer), 200);
  free(answer);
  assert_int_equal(census_zpages_exporter_stop(z, 5000), CENSUS_OK);
  answer = http_request(port, "GET", "/zpages/");
  assert_int_equal(http_status(answer), 0); /* nothing answers any more */
  free(answer);
}

/* ---- read-only ------------------------------------------------------------------------------- */

static void test_read_only(void **state) {
  (void)state;
  census_zpages_exporter *z = start_own();
  uint16_t port = census_zpages_exporter_port(z);
  static const char *const pages[] = {"/zpages/",
                                      "/zpages/tracez",
                                      "/zpages/statsz",
                                      "/zpages/overview.json",
                                      "/zpages/tracez.json",
                                      "/zpages/statsz.json"};
  size_t n = sizeof pages / sizeof pages[0];
  for (size_t i = 0; i < n; i++) {
    char *get = http_request(port, "GET", pages[i]);
    assert_int_equal(http_status(get), 200);
    /* The page itself, whole: an HTML document or a JSON object, with its content type. */
    const char *body = http_body(get);
    size_t length = strlen(body);
    if (strstr(pages[i], ".json")) {
      assert_non_null(strstr(get, "Content-Type: application/json\r\n"));
      assert_true(length >= 2 && body[0] == '{' && body[length - 1] == '}');
    } else {
      assert_non_null(strstr(get, "Content-Type: text/html; charset=utf-8\r\n"));
      assert_int_equal(strncmp(body, "<!DOCTYPE html>\n", 16), 0);
      assert_true(length >= 8 && strcmp(body + length - 8, "</html>\n") == 0);
    }
    assert_non_null(strstr(get, "Content-Security-Policy: default-src 'none'"));
    assert_null(strstr(get, "script-src"));
    assert_non_null(strstr(get, "X-Content-Type-Options: nosniff"));
    assert_non_null(strstr(get, "Cache-Control: no-store"));
    free(get);
    char *head = http_request(port, "HEAD", pages[i]);
    assert_int_equal(http_status(head), 200);
    assert_string_equal(http_body(head), "");
    free(head);
    static const char *const writes[] = {"POST", "PUT", "DELETE"};
    for (size_t w = 0; w < 3; w++) {
      char *answer = http_request(port, writes[w], pages[i]);
      assert_int_equal(http_status(answer), 405);
      free(answer);
    }
  }
  char *unknown = http_request(port, "GET", "/zpages/rpcz");
  assert_int_equal(http_status(unknown), 404);
  free(unknown);
  census_zpages_stats s;
  assert_int_equal(census_zpages_exporter_stats(z, &s), CENSUS_OK);
  assert_int_equal(s.pages_served, 2 * n); /* GET and HEAD; the writes reached no page */
  assert_int_equal(s.requests_refused, 1);
  assert_int_equal(census_zpages_exporter_stop(z, 5000), CENSUS_OK);
}

/* ---- one server for both --------------------------------------------------------------------- */

static void test_on_prometheus_server(void **state) {
  (void)state;
  census_prometheus_options po = CENSUS_PROMETHEUS_OPTIONS_INIT;
  po.any_port = 1;
  census_prometheus_exporter *p = NULL;
  assert_int_equal(census_prometheus_exporter_start(&po, &p), CENSUS_OK);
  uint16_t port = census_prometheus_exporter_port(p);
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.prometheus = p;
  census_zpages_exporter *z = NULL, *again = (census_zpages_exporter *)1, *other = NULL;
  assert_int_equal(census_zpages_exporter_start(&o, &z), CENSUS_OK);
  assert_int_equal(census_zpages_exporter_port(z), port);
  line_count = 0;
  assert_int_equal(census_zpages_exporter_start(&o, &again), CENSUS_EDUPLICATE);
  assert_null(again);
  expect_line_with("options.prefix");
  o.prefix = "/debug/census";
  assert_int_equal(census_zpages_exporter_start(&o, &other), CENSUS_OK);
  char *metrics = http_request(port, "GET", "/metrics");
  char *pages = http_request(port, "GET", "/zpages/tracez");
  char *second = http_request(port, "GET", "/debug/census/statsz");
  assert_int_equal(http_status(metrics), 200);
  assert_int_equal(http_status(pages), 200);
  assert_int_equal(http_status(second), 200);
  assert_non_null(strstr(http_body(second), "href=\"/debug/census/tracez\""));
  free(metrics);
  free(pages);
  free(second);
  assert_int_equal(census_zpages_exporter_stop(other, 5000), CENSUS_OK);
  assert_int_equal(census_zpages_exporter_stop(z, 5000), CENSUS_OK);
  char *gone = http_request(port, "GET", "/zpages/tracez");
  assert_int_equal(http_status(gone), 404); /* the route is removed; the server still runs */
  free(gone);
  assert_int_equal(census_prometheus_exporter_stop(p, 5000), CENSUS_OK);
}

/* ---- refusals -------------------------------------------------------------------------------- */

static void test_bad_options(void **state) {
  (void)state;
  census_zpages_exporter *z = (census_zpages_exporter *)1;
  assert_int_equal(census_zpages_exporter_start(NULL, NULL), CENSUS_EINVAL);
  census_zpages_options zero = {0};
  line_count = 0;
  assert_int_equal(census_zpages_exporter_start(&zero, &z), CENSUS_EINVAL);
  assert_null(z);
  expect_line_with("CENSUS_ZPAGES_OPTIONS_INIT");
  static const char *const prefixes[] = {"zpages",   "/zpages/",  "/",    "/metrics",
                                         "/z pages", "/z\"pages", "/z<p>"};
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
    o.any_port = 1;
    o.prefix = prefixes[i];
    z = (census_zpages_exporter *)1;
    assert_int_equal(census_zpages_exporter_start(&o, &z), CENSUS_EINVAL);
    assert_null(z);
    expect_line_with("options.prefix");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_loopback_by_default, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_on_prometheus_server, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
