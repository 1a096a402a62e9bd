/* test_prometheus_server.c - the /metrics server's lifecycle (exporters/prometheus/).
 *
 * Proves: the server listens where asked (any_port) and answers a scrape; bad addresses and a
 * port in use are refused with the documented statuses; stop is idempotent and closes the port;
 * census_stats_exporter_unregister(server) stops it even while scrapes are running (the case
 * where a scrape waits for the lock the unregistering thread holds), within a bound; and
 * census_shutdown() stops a running server. Requests are made with plain sockets (HTTP/1.0).
 */
#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "census/exporters/prometheus.h"

/* Sends one GET /metrics (HTTP/1.0) to 127.0.0.1:port; returns the status code, 0 if the
 * connection was refused or closed without an answer. */
static int http_get(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int code = 0;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    const char request[] = "GET /metrics HTTP/1.0\r\n\r\n";
    if (write(fd, request, sizeof request - 1) == (ssize_t)(sizeof request - 1)) {
      char head[64] = {0};
      ssize_t n = read(fd, head, sizeof head - 1);
      if (n > 12 && strncmp(head, "HTTP/1.", 7) == 0) {
        code = atoi(head + 9);
      }
      char sink[4096];
      while (read(fd, sink, sizeof sink) > 0) {
      }
    }
  }
  close(fd);
  return code;
}

static census_prometheus_server *start_any(census_status *st) {
  census_prometheus_options o = {0};
  o.any_port = 1;
  return census_prometheus_server_start(&o, st);
}

static void test_start_scrape_stop(void **state) {
  (void)state;
  const census_measure *m = int_measure("ps/m");
  register_view("ps/count", m, NULL, 0, census_aggregation_count_new());
  census_record_int64(m, 1, NULL);
  census_status st = 1;
  census_prometheus_server *s = start_any(&st);
  assert_non_null(s);
  assert_int_equal(st, CENSUS_OK);
  uint16_t port = census_prometheus_server_port(s);
  assert_true(port > 0);
  assert_int_equal(http_get(port), 200);

  /* The same port again: in use. */
  census_prometheus_options o = {0};
  o.port = port;
  assert_null(census_prometheus_server_start(&o, &st));
  assert_int_equal(st, CENSUS_ESYSTEM);

  assert_int_equal(census_prometheus_server_stop(s, 2000), CENSUS_OK);
  assert_int_equal(census_prometheus_server_port(s), 0);
  assert_int_equal(http_get(port), 0);
  assert_int_equal(census_prometheus_server_stop(s, 2000), CENSUS_OK); /* idempotent */
  census_prometheus_server_free(s);
  census_prometheus_server_free(NULL);
  assert_int_equal(census_prometheus_server_stop(NULL, 0), CENSUS_EINVAL);
}

static void test_bad_options(void **state) {
  (void)state;
  census_status st = 1;
  census_prometheus_options o = {0};
  o.address = "localhost"; /* numeric addresses only */
  assert_null(census_prometheus_server_start(&o, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  o.address = "300.1.1.1";
  assert_null(census_prometheus_server_start(&o, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  census_prometheus_label bad = {"bad-name", "x"};
  o = (census_prometheus_options){0};
  o.any_port = 1;
  o.const_labels = &bad;
  o.const_label_count = 1;
  assert_null(census_prometheus_server_start(&o, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  o = (census_prometheus_options){0};
  o.any_port = 1;
  o.address = "::1";
  census_prometheus_server *s = census_prometheus_server_start(&o, &st);
  if (s) { /* IPv6 loopback may be missing in a container */
    assert_true(census_prometheus_server_port(s) > 0);
    census_prometheus_server_free(s);
  }
}

struct scraper {
  uint16_t port;
  atomic_bool run;
  atomic_int answered;
};

static void *scrape_loop(void *arg) {
  struct scraper *sc = arg;
  while (atomic_load(&sc->run)) {
    if (http_get(sc->port) != 0) {
      atomic_fetch_add(&sc->answered, 1);
    }
  }
  return NULL;
}

/* Unregistering the server's exporter stops it, bounded, while scrapes keep coming. */
static void test_unregister_while_scraping(void **state) {
  (void)state;
  for (int round = 0; round < 5; round++) {
    census_status st;
    census_prometheus_server *s = start_any(&st);
    assert_non_null(s);
    struct scraper sc = {.port = census_prometheus_server_port(s)};
    atomic_store(&sc.run, true);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
      assert_int_equal(pthread_create(&threads[i], NULL, scrape_loop, &sc), 0);
    }
    while (atomic_load(&sc.answered) < 5) {
      sleep_ms(1);
    }
    int64_t start = now_ns();
    assert_int_equal(census_stats_exporter_unregister(s, 2000), CENSUS_OK);
    int64_t took_ms = (now_ns() - start) / 1000000;
    assert_true(took_ms < 2000);
    atomic_store(&sc.run, false);
    for (int i = 0; i < 2; i++) {
      pthread_join(threads[i], NULL);
    }
    census_prometheus_server_free(s); /* waits for a helper that stopped it, if any */
    assert_int_equal(http_get(sc.port), 0);
  }
}

/* census_shutdown() stops a running server; stop and free afterwards are harmless. */
static void test_shutdown_stops(void **state) {
  (void)state;
  census_status st;
  census_prometheus_server *s = start_any(&st);
  assert_non_null(s);
  uint16_t port = census_prometheus_server_port(s);
  assert_int_equal(http_get(port), 200);
  assert_int_equal(census_shutdown(5000), CENSUS_OK);
  assert_int_equal(http_get(port), 0);
  assert_int_equal(census_prometheus_server_stop(s, 1000), CENSUS_OK);
  census_prometheus_server_free(s);
  /* After shutdown a new server cannot start. */
  assert_null(start_any(&st));
  assert_int_equal(st, CENSUS_ESHUTDOWN);
}

int main(void) {
  census_diagnostics_set_callback(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_scrape_stop), cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_unregister_while_scraping),
      cmocka_unit_test(test_shutdown_stops), /* last: shuts census down */
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
