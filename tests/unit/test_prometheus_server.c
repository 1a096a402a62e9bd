/* test_prometheus_server.c - the Prometheus exporter's /metrics server and its lifecycle
 * (exporters/prometheus/prometheus_exporter.c).
 *
 * Proves: the exporter listens where asked (any_port) and answers a scrape; its counters say
 * exactly what it answered (scrapes, bytes of the exposition, refused paths); bad addresses, a
 * zeroed options struct and a port in use are refused with the documented statuses; stop closes
 * the port; census_stats_exporter_unregister(exporter) stops it even while scrapes are running
 * (the case where a scrape waits for the lock the unregistering thread holds), within a bound;
 * and census_shutdown() stops a running server, leaving the handle for _stats() and _stop().
 * Requests are made with plain sockets (HTTP/1.0).
 */
#include "http_client.h" /* http_request(), http_status(), http_body() */
#include "support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/exporters/prometheus.h"

/* Sends GET `path` to 127.0.0.1:port; returns the status code, 0 if the connection was refused
 * or closed without an answer, and the body's length in *body_bytes (if not NULL). */
static int http_get_path(uint16_t port, const char *path, size_t *body_bytes) {
  char *answer = http_request(port, "GET", path);
  int code = http_status(answer);
  if (body_bytes) {
    *body_bytes = strlen(http_body(answer));
  }
  free(answer);
  return code;
}

static int http_get(uint16_t port) { return http_get_path(port, "/metrics", NULL); }

static census_prometheus_exporter *start_any(census_status *st) {
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.any_port = 1;
  census_prometheus_exporter *e = NULL;
  *st = census_prometheus_exporter_start(&o, &e);
  return e;
}

static void test_start_scrape_stop(void **state) {
  (void)state;
  const census_measure *m = int_measure("ps/m");
  register_view("ps/count", m, NULL, 0, census_aggregation_count_new());
  census_record_int64(m, 1, NULL);
  census_status st = 1;
  census_prometheus_exporter *s = start_any(&st);
  assert_non_null(s);
  assert_int_equal(st, CENSUS_OK);
  uint16_t port = census_prometheus_exporter_port(s);
  assert_true(port > 0);
  size_t first = 0, second = 0;
  assert_int_equal(http_get_path(port, "/metrics", &first), 200);
  assert_int_equal(http_get_path(port, "/metrics", &second), 200);
  assert_int_equal(http_get_path(port, "/other", NULL), 404);

  /* The counters: two scrapes of exactly the bytes received, one refused path. */
  census_prometheus_stats stats;
  assert_int_equal(census_prometheus_exporter_stats(s, &stats), CENSUS_OK);
  assert_int_equal(stats.scrapes, 2);
  assert_true(first > 0);
  assert_int_equal(stats.bytes_served, first + second);
  assert_int_equal(stats.requests_refused, 1);
  assert_int_equal(stats.scrape_failures, 0);
  assert_int_equal(census_prometheus_exporter_stats(NULL, &stats), CENSUS_EINVAL);
  assert_int_equal(census_prometheus_exporter_stats(s, NULL), CENSUS_EINVAL);

  /* The same port again: in use. */
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.port = port;
  census_prometheus_exporter *again = (census_prometheus_exporter *)&o;
  assert_int_equal(census_prometheus_exporter_start(&o, &again), CENSUS_ESYSTEM);
  assert_null(again);

  assert_int_equal(census_prometheus_exporter_stop(s, 2000), CENSUS_OK);
  assert_int_equal(http_get(port), 0);
  assert_int_equal(census_prometheus_exporter_stop(NULL, 0), CENSUS_EINVAL);
  assert_int_equal(census_prometheus_exporter_port(NULL), 0);
}

static void test_bad_options(void **state) {
  (void)state;
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  census_prometheus_exporter *e = NULL;
  o.address = "localhost"; /* numeric addresses only */
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  assert_null(e);
  o.address = "300.1.1.1";
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  census_kv bad = {"bad-name", "x"};
  o = (census_prometheus_options)CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.any_port = 1;
  o.const_labels = &bad;
  o.const_label_count = 1;
  assert_int_equal(census_prometheus_exporter_start(&o, &e), CENSUS_EINVAL);
  /* A zeroed struct (size 0) is refused: it was not initialised with the INIT macro. */
  census_prometheus_options zeroed = {0};
  zeroed.any_port = 1;
  assert_int_equal(census_prometheus_exporter_start(&zeroed, &e), CENSUS_EINVAL);
  assert_null(e);
  assert_int_equal(census_prometheus_exporter_start(&o, NULL), CENSUS_EINVAL);
  o = (census_prometheus_options)CENSUS_PROMETHEUS_OPTIONS_INIT;
  o.any_port = 1;
  o.address = "::1";
  if (census_prometheus_exporter_start(&o, &e) == CENSUS_OK) {
    /* IPv6 loopback may be missing in a container */
    assert_true(census_prometheus_exporter_port(e) > 0);
    assert_int_equal(census_prometheus_exporter_stop(e, 2000), CENSUS_OK);
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
    census_prometheus_exporter *s = start_any(&st);
    assert_non_null(s);
    struct scraper sc = {.port = census_prometheus_exporter_port(s)};
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
    /* Waits for a helper that stopped it, if any, and frees. */
    assert_int_equal(census_prometheus_exporter_stop(s, 2000), CENSUS_OK);
    assert_int_equal(http_get(sc.port), 0);
  }
}

/* census_shutdown() stops a running server; the handle stays valid: its port reads 0, its
 * counters are final, and _stop() only frees. */
static void test_shutdown_stops(void **state) {
  (void)state;
  census_status st;
  census_prometheus_exporter *s = start_any(&st);
  assert_non_null(s);
  uint16_t port = census_prometheus_exporter_port(s);
  assert_int_equal(http_get(port), 200);
  assert_int_equal(census_shutdown(5000), CENSUS_OK);
  assert_int_equal(http_get(port), 0);
  assert_int_equal(census_prometheus_exporter_port(s), 0);
  census_prometheus_stats stats;
  assert_int_equal(census_prometheus_exporter_stats(s, &stats), CENSUS_OK);
  assert_int_equal(stats.scrapes, 1);
  assert_int_equal(census_prometheus_exporter_stop(s, 1000), CENSUS_OK);
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
