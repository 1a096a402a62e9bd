/* test_http_sender_spool.c - the HTTP sender with a persistent spool, against
 * tests/http/fault_receiver.js (a real node HTTP server on loopback, scripted per path).
 *
 * Proves: with a spool, a full queue's oldest request is written to the spool instead of being
 * dropped (counted as spooled, nothing dropped); at shutdown the request in flight (aborted) and
 * the queued ones are spooled too; a new sender for the same identity delivers the spool's files
 * first, oldest first (by original submission time), with their original bodies (compressed on
 * the wire when the new sender compresses), before its own requests, and a flush waits for them;
 * delivered files are removed; within one process, what a full queue spooled is delivered as
 * soon as the backend accepts a request again, before the queue; a spooled request the backend
 * refuses for good (HTTP 400) is dropped and counted, its file removed; a spool_dir option naming a
 * missing directory makes the sender refuse to start with CENSUS_ECONFIG. On main there is no spool
 * (the queue-full request and the shutdown leftovers are dropped): every test here fails there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../http/fault_receiver.h"
#include "census/census.h"
#include "http_sender.h"
#include "spool.h"
#include "core/alloc.h"

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  (void)user;
  (void)message;
  (void)message_size;
  *rejected = 0;
  if (response->status >= 200 && response->status < 300) {
    return CENSUS_HTTP_DELIVERED;
  }
  return response->status == 0 || response->status >= 500 ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

static census_status submit_text(census_http_sender *s, const char *text, uint64_t items) {
  return census__http_sender_submit(s, census__strdup(text), strlen(text), items, 0);
}

static census_http_sender_config config_for(const char *url, const char *dir) {
  census_http_sender_config c = {0};
  c.name = "spool test";
  c.url = url;
  c.content_type = "text/plain";
  c.timeout_ms = 10000;
  c.initial_backoff_ms = 5;
  c.max_backoff_ms = 20;
  c.max_elapsed_ms = 3000;
  c.classify = classify;
  c.spool_dir = dir;
  c.service_name = "svc-test";
  return c;
}

/* The bodies the receiver got on `path`, in arrival order, joined with ','. */
static void bodies_on(const fault_receiver *rcv, const char *path, char *out, size_t size) {
  json_t *all = fault_receiver_requests(rcv);
  assert_non_null(all);
  out[0] = '\0';
  for (size_t i = 0; i < json_array_size(all); i++) {
    json_t *r = json_array_get(all, i);
    if (strcmp(json_string_value(json_object_get(r, "path")), path) != 0) {
      continue;
    }
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%s", used ? "," : "",
             json_string_value(json_object_get(r, "body")));
  }
  json_decref(all);
}

static int spool_files(const char *root) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "find '%s' -name '*.spool' | wc -l", root);
  FILE *p = popen(cmd, "r");
  int n = -1;
  assert_int_equal(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

static void queue_full_and_shutdown_spool_then_next_sender_delivers_first(void **state) {
  (void)state;
  char root[] = "/tmp/census-sender-spool-XXXXXX";
  assert_non_null(mkdtemp(root));
  fault_receiver rcv;
  const char *args[] = {"--script", "/spool=hang", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/spool", rcv.url_base);

  /* Sender 1: A hangs in flight, B waits, C pushes B out of the one-place queue. */
  census_http_sender_config c = config_for(url, root);
  c.max_queued = 1;
  census_status st = 1;
  census_http_sender *s1 = census__http_sender_new(&c, &st);
  assert_non_null(s1);
  assert_int_equal(submit_text(s1, "A", 1), CENSUS_OK);
  assert_true(fault_receiver_wait_count(&rcv, 1, 5000));
  assert_int_equal(submit_text(s1, "B", 10), CENSUS_OK);
  assert_int_equal(submit_text(s1, "C", 100), CENSUS_OK); /* B spooled, not dropped */
  census_http_stats stats;
  census__http_sender_stats(s1, &stats);
  assert_int_equal(stats.requests_spooled, 1);
  assert_int_equal(stats.items_spooled, 10);
  assert_int_equal(stats.requests_dropped, 0);
  assert_int_equal(spool_files(root), 1);
  /* Shutdown with A still hanging: A (aborted) and C (queued) are spooled too. */
  assert_int_equal(census__http_sender_close(s1, 200, &stats), CENSUS_ETIMEDOUT);
  assert_int_equal(stats.requests_spooled, 3);
  assert_int_equal(stats.items_spooled, 111);
  assert_int_equal(stats.requests_dropped, 0);
  assert_int_equal(stats.items_dropped, 0);
  assert_int_equal(spool_files(root), 3);

  /* Sender 2, same identity, compressing: the spool first (A, B, C by submission time), then
   * its own D; a flush waits for all of it. */
  c = config_for(url, root);
  c.gzip = true;
  census_http_sender *s2 = census__http_sender_new(&c, &st);
  assert_non_null(s2);
  assert_int_equal(submit_text(s2, "D", 1000), CENSUS_OK);
  assert_int_equal(census__http_sender_flush(s2, 10000), CENSUS_OK);
  census__http_sender_stats(s2, &stats);
  assert_int_equal(stats.requests_from_spool, 3);
  assert_int_equal(stats.items_from_spool, 111);
  assert_int_equal(stats.requests_delivered, 4);
  assert_int_equal(stats.items_delivered, 1111);
  assert_int_equal(stats.requests_dropped, 0);
  char got[128];
  bodies_on(&rcv, "/spool", got, sizeof got);
  assert_string_equal(got, "A,A,B,C,D"); /* the first A is the hung attempt */
  json_t *all = fault_receiver_requests(&rcv);
  json_t *last = json_array_get(all, json_array_size(all) - 1);
  json_t *enc = json_object_get(json_object_get(last, "headers"), "content-encoding");
  assert_string_equal(json_string_value(enc), "gzip");
  json_decref(all);
  assert_int_equal(spool_files(root), 0);
  census__http_sender_free(s2, 1000);
  fault_receiver_stop(&rcv);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

/* Within one process: the request a full queue pushed into the spool is delivered as soon as
 * the backend accepts a request again, before the rest of the queue (it is older). */
static void spooled_by_full_queue_delivered_when_backend_returns(void **state) {
  (void)state;
  char root[] = "/tmp/census-sender-spool-XXXXXX";
  assert_non_null(mkdtemp(root));
  fault_receiver rcv;
  const char *args[] = {"--script", "/back=hang", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/back", rcv.url_base);
  census_http_sender_config c = config_for(url, root);
  c.max_queued = 1;
  c.timeout_ms = 1000; /* A's first attempt hangs until then; its retry is answered 200 */
  census_status st = 1;
  census_http_sender *s = census__http_sender_new(&c, &st);
  assert_non_null(s);
  assert_int_equal(submit_text(s, "A", 1), CENSUS_OK);
  assert_true(fault_receiver_wait_count(&rcv, 1, 5000));
  assert_int_equal(submit_text(s, "B", 10), CENSUS_OK);
  assert_int_equal(submit_text(s, "C", 100), CENSUS_OK); /* B spooled */
  /* The flush began after B left the queue: it waits for A, the re-drain (B) and C. */
  assert_int_equal(census__http_sender_flush(s, 10000), CENSUS_OK);
  census_http_stats stats;
  census__http_sender_stats(s, &stats);
  assert_int_equal(stats.requests_spooled, 1);
  assert_int_equal(stats.requests_from_spool, 1);
  assert_int_equal(stats.items_from_spool, 10);
  assert_int_equal(stats.requests_delivered, 3);
  assert_int_equal(stats.items_delivered, 111);
  assert_int_equal(stats.requests_dropped, 0);
  char got[64];
  bodies_on(&rcv, "/back", got, sizeof got);
  assert_string_equal(got, "A,A,B,C");
  assert_int_equal(spool_files(root), 0);
  census__http_sender_free(s, 1000);
  fault_receiver_stop(&rcv);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

/* A spooled request that the backend refuses for good is dropped, counted, and its file
 * removed; the sender's own request is delivered after it. */
static void spooled_permanent_failure_dropped_and_counted(void **state) {
  (void)state;
  char root[] = "/tmp/census-sender-spool-XXXXXX";
  assert_non_null(mkdtemp(root));
  fault_receiver rcv;
  const char *args[] = {"--script", "/perm=400", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/perm", rcv.url_base);
  /* What an earlier process left: one file for this identity, written through the spool. */
  census_spool_config sc = {root, "svc-test", "spool test", url, 0, 0, 0};
  census_status st = 1;
  census_spool *sp = census__spool_open(&sc, NULL, &st, NULL, 0);
  assert_non_null(sp);
  census_spool_meta meta = {1000, 7, "text/plain", NULL};
  assert_int_equal(census__spool_write(sp, &meta, "old", 3, NULL), CENSUS_OK);
  census__spool_close(sp);

  census_http_sender_config c = config_for(url, root);
  census_http_sender *s = census__http_sender_new(&c, &st);
  assert_non_null(s);
  assert_int_equal(submit_text(s, "new", 1), CENSUS_OK);
  /* CENSUS_EEXPORT if the drop came while the flush waited, CENSUS_OK if before: either way
   * not a timeout, and the counters below are exact. */
  assert_int_not_equal(census__http_sender_flush(s, 10000), CENSUS_ETIMEDOUT);
  census_http_stats stats;
  census__http_sender_stats(s, &stats);
  assert_int_equal(stats.requests_dropped, 1);
  assert_int_equal(stats.items_dropped, 7);
  assert_int_equal(stats.requests_from_spool, 0);
  assert_int_equal(stats.requests_delivered, 1);
  assert_int_equal(spool_files(root), 0);
  char got[64];
  bodies_on(&rcv, "/perm", got, sizeof got);
  assert_string_equal(got, "old,new");
  census__http_sender_free(s, 1000);
  fault_receiver_stop(&rcv);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

/* A spool_dir option naming a missing directory: the sender does not start (CENSUS_ECONFIG). */
static void bad_spool_option_refused(void **state) {
  (void)state;
  census_http_sender_config c = config_for("http://127.0.0.1:9/x", "/nonexistent/census-spool");
  census_status st = CENSUS_OK;
  assert_null(census__http_sender_new(&c, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
}

int main(void) {
  fault_receiver_unset_proxies(); /* the receiver is on loopback */
  unsetenv("CENSUS_SPOOL_DIR");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(queue_full_and_shutdown_spool_then_next_sender_delivers_first),
      cmocka_unit_test(spooled_by_full_queue_delivered_when_backend_returns),
      cmocka_unit_test(spooled_permanent_failure_dropped_and_counted),
      cmocka_unit_test(bad_spool_option_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
