/* test_prometheus_routes.c - other pages on the Prometheus exporter's server
 * (census_prometheus_exporter_add_route(), _remove_route(), census_prometheus_request_*(): what
 * the zPages attach to), and the status registry entry of the exporter.
 *
 * Proves, over real HTTP on loopback (plain sockets, HTTP/1.0):
 *   - a route answers its prefix and the paths below it, not a path that merely starts alike
 *     ("/zpagesx"); /metrics still answers beside it; the handler's status, content type, body
 *     and extra headers arrive, with X-Content-Type-Options: nosniff and Cache-Control: no-store;
 *   - query parameters arrive decoded ("a%20b" is "a b"), a parameter without "=" as "";
 *   - only GET and HEAD reach a handler (POST: 405 with Allow); HEAD has no body;
 *   - removal waits for a handler call in progress, and afterwards the path is 404;
 *   - the refusals: bad prefixes, "/metrics", a prefix served twice, a ninth route;
 *   - with no_metrics the server answers only its routes (/metrics is 404);
 *   - the exporter is listed in census's exporter status registry with its scrapes and port.
 * The functions are new in issue 17: this file does not build on main.
 */
#include "http_client.h" /* http_request(), http_status(), http_body() */
#include "support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/exporter.h"
#include "census/exporters/prometheus.h"

struct page {
  _Atomic int calls;
  atomic_bool hold; /* the handler waits while set (removal must wait for it) */
  _Atomic int inside;
};

static void handler(void *user, const census_prometheus_request *request,
                    census_prometheus_response *response) {
  struct page *p = user;
  atomic_fetch_add(&p->calls, 1);
  atomic_fetch_add(&p->inside, 1);
  while (atomic_load(&p->hold)) {
    sleep_ms(1);
  }
  const char *q = census_prometheus_request_query(request, "q");
  const char *flag = census_prometheus_request_query(request, "flag");
  static const census_kv extra[] = {{"X-Test", "yes"}};
  char *body = census_allocator_malloc(512); /* the server frees it (prometheus.h) */
  int n = snprintf(body, 512, "path=%s q=[%s] flag=%s", census_prometheus_request_path(request),
                   q ? q : "(none)", flag ? (flag[0] ? flag : "(empty)") : "(none)");
  response->status = strcmp(census_prometheus_request_path(request), "/p/teapot") == 0 ? 418 : 200;
  response->content_type = "text/html; charset=utf-8";
  response->body = body;
  response->length = (size_t)n;
  response->headers = extra;
  response->header_count = 1;
  atomic_fetch_sub(&p->inside, 1);
}

static census_prometheus_exporter *start(bool no_metrics) {
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.any_port = 1;
  o.no_metrics = no_metrics;
  o.register_no_exporter = 1;
  census_prometheus_exporter *e = NULL;
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_OK);
  return e;
}

static void test_route_answers(void **state) {
  (void)state;
  census_prometheus_exporter *e = start(false);
  uint16_t port = census_prometheus_exporter_port(e);
  struct page p = {0};
  assert_int_equal(census_prometheus_exporter_add_route(e, "/p", handler, &p), CENSUS_OK);
  char *a = http_request(port, "GET", "/p/x?q=a%20b&flag");
  assert_int_equal(http_status(a), 200);
  assert_string_equal(http_body(a), "path=/p/x q=[a b] flag=(empty)");
  assert_non_null(strstr(a, "Content-Type: text/html; charset=utf-8"));
  assert_non_null(strstr(a, "X-Content-Type-Options: nosniff"));
  assert_non_null(strstr(a, "Cache-Control: no-store"));
  assert_non_null(strstr(a, "X-Test: yes"));
  free(a);
  a = http_request(port, "GET", "/p");
  assert_string_equal(http_body(a), "path=/p q=[(none)] flag=(none)");
  free(a);
  a = http_request(port, "GET", "/p/teapot");
  assert_int_equal(http_status(a), 418);
  free(a);
  a = http_request(port, "GET", "/px");
  assert_int_equal(http_status(a), 404);
  free(a);
  a = http_request(port, "HEAD", "/p");
  assert_int_equal(http_status(a), 200);
  assert_string_equal(http_body(a), "");
  free(a);
  a = http_request(port, "POST", "/p");
  assert_int_equal(http_status(a), 405);
  assert_non_null(strstr(a, "Allow: GET, HEAD"));
  free(a);
  a = http_request(port, "GET", "/metrics");
  assert_int_equal(http_status(a), 200);
  free(a);
  assert_int_equal(atomic_load(&p.calls), 4); /* GET x3 and HEAD; not POST, not /px */
  assert_int_equal(census_prometheus_exporter_remove_route(e, "/p"), CENSUS_OK);
  a = http_request(port, "GET", "/p");
  assert_int_equal(http_status(a), 404);
  free(a);
  assert_int_equal(census_prometheus_exporter_stop(e, 1000), CENSUS_OK);
}

struct request_thread {
  uint16_t port;
  char *answer;
};

static void *request_main(void *arg) {
  struct request_thread *t = arg;
  t->answer = http_request(t->port, "GET", "/slow");
  return NULL;
}

static void *release_later(void *arg) {
  struct page *p = arg;
  sleep_ms(50);
  atomic_store(&p->hold, false);
  return NULL;
}

static void test_remove_waits_for_handler(void **state) {
  (void)state;
  census_prometheus_exporter *e = start(false);
  struct page p = {0};
  atomic_store(&p.hold, true);
  assert_int_equal(census_prometheus_exporter_add_route(e, "/slow", handler, &p), CENSUS_OK);
  struct request_thread t = {census_prometheus_exporter_port(e), NULL};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, request_main, &t), 0);
  while (atomic_load(&p.inside) == 0) {
    sleep_ms(1);
  }
  /* Release the handler 50 ms from now, from another thread: removal must not return before. */
  int64_t begin = now_ns();
  pthread_t releaser;
  assert_int_equal(pthread_create(&releaser, NULL, release_later, &p), 0);
  assert_int_equal(census_prometheus_exporter_remove_route(e, "/slow"), CENSUS_OK);
  assert_int_equal(atomic_load(&p.inside), 0);
  assert_true(now_ns() - begin >= 40 * 1000000LL);
  pthread_join(releaser, NULL);
  pthread_join(thread, NULL);
  assert_int_equal(http_status(t.answer), 200);
  free(t.answer);
  assert_int_equal(census_prometheus_exporter_stop(e, 1000), CENSUS_OK);
}

static void test_refusals(void **state) {
  (void)state;
  census_prometheus_exporter *e = start(false);
  struct page p = {0};
  const char *bad[] = {"", "/", "p", "/p/", "/metrics", "/a?b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(census_prometheus_exporter_add_route(e, bad[i], handler, &p), CENSUS_EINVAL);
  }
  assert_int_equal(census_prometheus_exporter_add_route(e, "/a", NULL, &p), CENSUS_EINVAL);
  assert_int_equal(census_prometheus_exporter_add_route(NULL, "/a", handler, &p), CENSUS_EINVAL);
  char prefix[8][8];
  for (int i = 0; i < 8; i++) {
    snprintf(prefix[i], sizeof prefix[i], "/r%d", i);
    assert_int_equal(census_prometheus_exporter_add_route(e, prefix[i], handler, &p), CENSUS_OK);
  }
  assert_int_equal(census_prometheus_exporter_add_route(e, "/r0", handler, &p), CENSUS_EDUPLICATE);
  assert_int_equal(census_prometheus_exporter_add_route(e, "/r9", handler, &p), CENSUS_ELIMIT);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(census_prometheus_exporter_remove_route(e, prefix[i]), CENSUS_OK);
  }
  assert_int_equal(census_prometheus_exporter_remove_route(e, "/r0"), CENSUS_ENOTFOUND);
  assert_int_equal(census_prometheus_exporter_stop(e, 1000), CENSUS_OK);
}

static void test_no_metrics(void **state) {
  (void)state;
  census_prometheus_exporter *e = start(true);
  uint16_t port = census_prometheus_exporter_port(e);
  struct page p = {0};
  assert_int_equal(census_prometheus_exporter_add_route(e, "/only", handler, &p), CENSUS_OK);
  char *a = http_request(port, "GET", "/metrics");
  assert_int_equal(http_status(a), 404);
  free(a);
  a = http_request(port, "GET", "/only");
  assert_int_equal(http_status(a), 200);
  free(a);
  assert_int_equal(census_prometheus_exporter_remove_route(e, "/only"), CENSUS_OK);
  assert_int_equal(census_prometheus_exporter_stop(e, 1000), CENSUS_OK);
}

struct found {
  bool seen;
  uint64_t delivered;
  char port[16];
};

static void find_prometheus(void *context, const census_exporter_status *status) {
  struct found *f = context;
  if (strcmp(status->name, "prometheus") != 0) {
    return;
  }
  f->seen = true;
  f->delivered = status->delivered;
  for (size_t i = 0; i < status->config_count; i++) {
    if (strcmp(status->config[i].key, "port") == 0) {
      snprintf(f->port, sizeof f->port, "%s", status->config[i].value);
    }
  }
}

static void test_status_registry(void **state) {
  (void)state;
  census_prometheus_exporter *e = start(false);
  uint16_t port = census_prometheus_exporter_port(e);
  free(http_request(port, "GET", "/metrics"));
  free(http_request(port, "GET", "/metrics"));
  struct found f = {0};
  assert_int_equal(census_exporter_status_visit(find_prometheus, &f), CENSUS_OK);
  assert_true(f.seen);
  assert_int_equal(f.delivered, 2);
  char expected[16];
  snprintf(expected, sizeof expected, "%u", (unsigned)port);
  assert_string_equal(f.port, expected);
  assert_int_equal(census_prometheus_exporter_stop(e, 1000), CENSUS_OK);
  f = (struct found){0};
  assert_int_equal(census_exporter_status_visit(find_prometheus, &f), CENSUS_OK);
  assert_false(f.seen); /* gone with the handle */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_route_answers),   cmocka_unit_test(test_remove_waits_for_handler),
      cmocka_unit_test(test_refusals),        cmocka_unit_test(test_no_metrics),
      cmocka_unit_test(test_status_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
