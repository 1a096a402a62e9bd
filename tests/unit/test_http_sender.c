/* test_http_sender.c - the push exporters' HTTP sender against a real HTTP server.
 *
 * Each test starts tests/http/fault_receiver.js (node's http server on loopback, port chosen by
 * the OS) with a script of answers, sends through census__http_sender, and checks both sides:
 * what the receiver recorded (method, path, headers, body, arrival times; gzip bodies are
 * decompressed by node's zlib, not by us) and the sender's exact counters. Backoffs are a few
 * milliseconds so the whole file runs in a few seconds; the Retry-After tests wait for real.
 *
 * Self-metrics: every test also checks that what the sender counted reached census's views
 * census/exporter_dropped_items (per reason) and census/exporter_rejected_items, read back with
 * census_view_data_get(): the setup takes a snapshot of the rows of "test sender" and the test
 * compares the growth of each row with the sender's own counters (census_http_stats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "../http/fault_receiver_fixture.h"
#include "diag_log.h" /* on_diag, diag_log, diag_lines, diag_reset(), diag_matches() */
#include "census/census.h"
#include "http_sender.h"
#include "core/alloc.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

/* receiver, start_receiver(), teardown: ../http/fault_receiver_fixture.h. */

/* A URL on the receiver. */
static const char *url(const char *path) {
  static char buf[160];
  snprintf(buf, sizeof buf, "%s%s", receiver.url_base, path);
  return buf;
}

/* The classifier the OTLP exporter will use, simplified: 2xx delivered (a body "rejected=N"
 * means N items refused), 429/502/503/504 and transport failures retryable, the rest final. */
static atomic_int classify_calls;

static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_body[64];
static size_t last_body_len;
static char last_content_type[64];

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  atomic_fetch_add(&classify_calls, 1);
  pthread_mutex_lock(&last_mu);
  snprintf(last_body, sizeof last_body, "%s", response->body);
  last_body_len = response->body_len;
  snprintf(last_content_type, sizeof last_content_type, "%s",
           response->content_type != NULL ? response->content_type : "");
  pthread_mutex_unlock(&last_mu);
  *rejected = 0;
  if (response->status >= 200 && response->status < 300) {
    if (strncmp(response->body, "rejected=", 9) == 0) {
      *rejected = strtoull(response->body + 9, NULL, 10);
      snprintf(message, message_size, "server rejected %llu items", (unsigned long long)*rejected);
    }
    return CENSUS_HTTP_DELIVERED;
  }
  long s = response->status;
  if (s == 0 || s == 429 || s == 502 || s == 503 || s == 504) {
    return CENSUS_HTTP_RETRY;
  }
  snprintf(message, message_size, "HTTP %ld: %s", s, response->body);
  return CENSUS_HTTP_FAILED;
}

static census_http_sender_config base_config(const char *target) {
  census_http_sender_config c = {0};
  c.name = "test sender";
  c.url = target;
  c.content_type = "text/plain";
  c.timeout_ms = 2000;
  c.initial_backoff_ms = 5;
  c.max_backoff_ms = 20;
  c.max_elapsed_ms = 5000;
  c.classify = classify;
  return c;
}

static census_http_sender *new_sender(const census_http_sender_config *c) {
  census_status st = 1;
  census_http_sender *s = census__http_sender_new(c, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_non_null(s);
  return s;
}

static census_status submit_text(census_http_sender *s, const char *text, uint64_t items,
                                 uint64_t key) {
  char *body = census__strdup(text);
  assert_non_null(body);
  return census__http_sender_submit(s, body, strlen(text), items, key);
}

/* Submits text (items, supersede key) and asserts that it is accepted and that a flush (10 s)
 * then returns `flushed`. */
static void submit_flush(census_http_sender *s, const char *text, uint64_t items, uint64_t key,
                         census_status flushed) {
  assert_int_equal(submit_text(s, text, items, key), CENSUS_OK);
  assert_int_equal(census__http_sender_flush(s, 10000), flushed);
}

/* The sender's counters now. */
static census_http_stats stats_of(census_http_sender *s) {
  census_http_stats st;
  census__http_sender_stats(s, &st);
  return st;
}

static json_t *requests(void) {
  json_t *all = fault_receiver_requests(&receiver);
  assert_non_null(all);
  return all;
}

static const char *req_str(json_t *all, size_t i, const char *field) {
  json_t *r = json_array_get(all, i);
  assert_non_null(r);
  json_t *v = json_object_get(r, field);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static const char *req_header(json_t *all, size_t i, const char *name) {
  json_t *h = json_object_get(json_array_get(all, i), "headers");
  json_t *v = json_object_get(h, name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static double req_time(json_t *all, size_t i) {
  return json_number_value(json_object_get(json_array_get(all, i), "time_ms"));
}

/* Asserts that the receiver recorded exactly n requests, with the bodies want[0..n-1] in order. */
static void assert_bodies(size_t n, const char *const want[]) {
  json_t *all = requests();
  assert_int_equal(json_array_size(all), n);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(req_str(all, i, "body"), want[i]);
  }
  json_decref(all);
}

/* ---- self-metrics ------------------------------------------------------------------------ */

/* The reasons a drop can be recorded under, in the order of struct self_counts. */
static const char *const drop_reasons[] = {"queue_full", "retry_budget", "permanent_failure",
                                           "shutdown", "out_of_memory"};
#define REASONS (sizeof drop_reasons / sizeof drop_reasons[0])

typedef struct self_counts {
  int64_t dropped[REASONS]; /* census/exporter_dropped_items {exporter, reason} */
  int64_t rejected;         /* census/exporter_rejected_items {exporter} */
} self_counts;

/* The rows of exporter `name` in both views now (0 for a missing row). Fails the test on a row
 * with a reason outside drop_reasons (e.g. "superseded", which is not a drop). */
static self_counts self_now(const char *name) {
  self_counts c = {{0}, 0};
  census_status st = 1;
  census_view_data *d = census_view_data_get("census/exporter_dropped_items", &st);
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(census_view_data_column_count(d), 2);
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), name) != 0) {
      continue;
    }
    const char *reason = census_view_data_row_value(d, r, 1);
    size_t i = 0;
    while (i < REASONS && strcmp(drop_reasons[i], reason) != 0) {
      i++;
    }
    if (i == REASONS) {
      fail_msg("unexpected drop reason \"%s\"", reason);
    }
    census_point p;
    assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
    c.dropped[i] = p.int_value;
  }
  census_view_data_free(d);
  d = census_view_data_get("census/exporter_rejected_items", &st);
  assert_int_equal(st, CENSUS_OK);
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), name) == 0) {
      census_point p;
      assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
      c.rejected = p.int_value;
    }
  }
  census_view_data_free(d);
  return c;
}

static self_counts self_before;

static int setup(void **state) {
  self_before = self_now("test sender");
  return 0;
}

/* Asserts that since setup the rows of "test sender" grew by exactly `expected` items per
 * reason (in drop_reasons order) and `rejected`, and that these agree with the sender's own
 * counters `st`: the dropped rows add up to items_dropped, the rejected row to items_rejected. */
static void assert_self_metrics(const census_http_stats *st, const int64_t expected[REASONS],
                                int64_t rejected) {
  self_counts now = self_now("test sender");
  int64_t total = 0;
  for (size_t i = 0; i < REASONS; i++) {
    int64_t grown = now.dropped[i] - self_before.dropped[i];
    if (grown != expected[i]) {
      fail_msg("reason %s grew by %lld, expected %lld", drop_reasons[i], (long long)grown,
               (long long)expected[i]);
    }
    total += grown;
  }
  assert_int_equal(total, st->items_dropped);
  assert_int_equal(now.rejected - self_before.rejected, rejected);
  assert_int_equal(now.rejected - self_before.rejected, st->items_rejected);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Proves: requests arrive in submission order as POSTs to the URL's path with their bodies, a
 * flush waits for all of them, and the counters count each exactly once. */
static void delivers_in_order(void **state) {
  start_receiver(NULL);
  census_http_sender_config c = base_config(url("/v1/test?q=1"));
  census_http_sender *s = new_sender(&c);
  for (int i = 0; i < 5; i++) {
    char text[32];
    snprintf(text, sizeof text, "body-%d", i);
    assert_int_equal(submit_text(s, text, (uint64_t)i + 1, 0), CENSUS_OK);
  }
  assert_int_equal(census__http_sender_flush(s, 10000), CENSUS_OK);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 5);
  for (size_t i = 0; i < 5; i++) {
    char text[32];
    snprintf(text, sizeof text, "body-%zu", i);
    assert_string_equal(req_str(all, i, "body"), text);
    assert_string_equal(req_str(all, i, "method"), "POST");
    assert_string_equal(req_str(all, i, "path"), "/v1/test?q=1");
  }
  json_decref(all);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.requests_delivered, 5);
  assert_int_equal(st.attempts, 5);
  assert_int_equal(st.retries, 0);
  assert_int_equal(st.items_delivered, 1 + 2 + 3 + 4 + 5);
  assert_int_equal(st.items_dropped, 0);
  assert_int_equal(st.requests_dropped, 0);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 0, 0, 0, 0}, 0);
  census__http_sender_free(s, 1000);
}

/* Proves: 503 twice then 200 is delivered on the third attempt (two retries), the same body
 * each time, and counted exactly once as delivered. */
static void retries_then_delivers(void **state) {
  start_receiver("503,503,200");
  census_http_sender_config c = base_config(url("/r"));
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "payload", 7, 0, CENSUS_OK);
  assert_bodies(3, (const char *const[]){"payload", "payload", "payload"});
  census_http_stats st = stats_of(s);
  assert_int_equal(st.attempts, 3);
  assert_int_equal(st.retries, 2);
  assert_int_equal(st.requests_delivered, 1);
  assert_int_equal(st.items_delivered, 7);
  assert_int_equal(st.items_dropped, 0);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 0, 0, 0, 0}, 0); /* retries are not drops */
  census__http_sender_free(s, 1000);
}

/* Proves: a Retry-After (delay-seconds, then HTTP-date) is a minimum wait: with a 5 ms backoff
 * the retry still arrives at least a second later (the date form has one-second resolution, so
 * 2 s ahead means more than 1 s). */
static void retry_after_is_honoured(void **state) {
  start_receiver("429:retry-after=1,200,503:retry-after-date=2,200");
  census_http_sender_config c = base_config(url("/ra"));
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "a", 1, 0, CENSUS_OK);
  submit_flush(s, "b", 1, 0, CENSUS_OK);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 4);
  double wait1 = req_time(all, 1) - req_time(all, 0);
  double wait2 = req_time(all, 3) - req_time(all, 2);
  assert_true(wait1 >= 1000.0);
  assert_true(wait2 >= 1000.0);
  assert_true(wait1 < 4000.0);
  json_decref(all);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.retries, 2);
  assert_int_equal(st.requests_delivered, 2);
  census__http_sender_free(s, 1000);
}

/* A loopback port that nobody listens on: bound, read, closed. */
static int dead_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* Proves: refused connections are retried until the retry budget is spent, then each request
 * is dropped with its items counted exactly, one diagnostic per drop (none per retry), and the
 * flush reports the loss with CENSUS_EEXPORT. */
static void refused_until_budget_spent(void **state) {
  char target[64];
  snprintf(target, sizeof target, "http://127.0.0.1:%d/x", dead_port());
  census_http_sender_config c = base_config(target);
  c.max_elapsed_ms = 200;
  diag_reset();
  census_http_sender *s = new_sender(&c);
  assert_int_equal(submit_text(s, "one", 3, 0), CENSUS_OK);
  submit_flush(s, "two", 4, 0, CENSUS_EEXPORT);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.requests_dropped, 2);
  assert_int_equal(st.items_dropped, 7);
  assert_int_equal(st.requests_delivered, 0);
  assert_int_equal(st.items_delivered, 0);
  assert_true(st.attempts >= 4); /* several attempts each within 200 ms at <= 20 ms backoff */
  assert_int_equal(st.retries, st.attempts - 2);
  assert_int_equal(diag_matches("test sender: dropped a request of 3 items: retry budget"), 1);
  assert_int_equal(diag_matches("test sender: dropped a request of 4 items: retry budget"), 1);
  assert_int_equal(diag_matches("dropped"), 2);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 7, 0, 0, 0}, 0);
  census__http_sender_free(s, 1000);
}

/* Proves: an attempt the server never answers ends at timeout_ms and is retried. */
static void hang_times_out_and_retries(void **state) {
  start_receiver("hang,200");
  census_http_sender_config c = base_config(url("/h"));
  c.timeout_ms = 300;
  census_http_sender *s = new_sender(&c);
  long long t0 = fault_receiver_now_ms();
  submit_flush(s, "slow", 2, 0, CENSUS_OK);
  long long elapsed = fault_receiver_now_ms() - t0;
  assert_true(elapsed >= 300);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 2);
  assert_string_equal(req_str(all, 1, "body"), "slow");
  json_decref(all);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.attempts, 2);
  assert_int_equal(st.retries, 1);
  assert_int_equal(st.items_delivered, 2);
  census__http_sender_free(s, 1000);
}

/* Proves: with the first request hanging in flight, a full queue (max_queued 2) drops its
 * oldest request per extra submit with CENSUS_ELIMIT, exactly counted; the survivors go out
 * in order afterwards. */
static void queue_full_drops_oldest(void **state) {
  start_receiver("hang,200,200,200");
  census_http_sender_config c = base_config(url("/q"));
  c.timeout_ms = 500;
  c.max_queued = 2;
  diag_reset();
  census_http_sender *s = new_sender(&c);
  assert_int_equal(submit_text(s, "A", 1, 0), CENSUS_OK);
  assert_true(fault_receiver_wait_count(&receiver, 1, 5000)); /* A is in flight, hanging */
  assert_int_equal(submit_text(s, "B", 10, 0), CENSUS_OK);
  assert_int_equal(submit_text(s, "C", 100, 0), CENSUS_OK);
  assert_int_equal(submit_text(s, "D", 1000, 0), CENSUS_ELIMIT);
  assert_int_equal(submit_text(s, "E", 10000, 0), CENSUS_ELIMIT);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.requests_dropped, 2);
  assert_int_equal(st.items_dropped, 110);
  assert_int_equal(diag_matches("queue is full"), 2);
  assert_self_metrics(&st, (const int64_t[REASONS]){110, 0, 0, 0, 0}, 0);
  assert_int_equal(census__http_sender_flush(s, 10000), CENSUS_OK);
  assert_bodies(4, (const char *const[]){"A", "A", "D", "E"});
  census__http_sender_stats(s, &st);
  assert_int_equal(st.items_delivered, 11001);
  assert_int_equal(st.requests_delivered, 3);
  census__http_sender_free(s, 1000);
}

/* Proves: a request with a supersede_key replaces the queued, never attempted request with the
 * same key, in its place in the queue; the replaced one is counted as superseded, not dropped,
 * and requests with other keys are untouched. */
static void supersede_replaces_queued(void **state) {
  start_receiver("hang,200,200,200");
  census_http_sender_config c = base_config(url("/s"));
  c.timeout_ms = 500;
  census_http_sender *s = new_sender(&c);
  assert_int_equal(submit_text(s, "A", 1, 1), CENSUS_OK);
  assert_true(fault_receiver_wait_count(&receiver, 1, 5000)); /* A in flight: not replaceable */
  assert_int_equal(submit_text(s, "B-old", 5, 1), CENSUS_OK); /* replaces nothing: A flies */
  assert_int_equal(submit_text(s, "C", 1, 2), CENSUS_OK);
  assert_int_equal(submit_text(s, "B-new", 6, 1), CENSUS_OK); /* replaces B-old */
  assert_int_equal(census__http_sender_flush(s, 10000), CENSUS_OK);
  assert_bodies(4, (const char *const[]){"A", "A", "B-new", "C"});
  census_http_stats st = stats_of(s);
  assert_int_equal(st.requests_superseded, 1);
  assert_int_equal(st.requests_dropped, 0);
  assert_int_equal(st.items_dropped, 0);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 0, 0, 0, 0},
                      0); /* superseded is not a drop */
  assert_int_equal(st.items_delivered, 1 + 6 + 1);
  census__http_sender_free(s, 1000);
}

/* Proves: with gzip on, the body goes out compressed (fewer bytes on the wire, Content-Encoding
 * gzip) and node's zlib decompresses it to exactly the original bytes. */
static void gzip_body_arrives_intact(void **state) {
  start_receiver(NULL);
  census_http_sender_config c = base_config(url("/gz"));
  c.gzip = true;
  census_http_sender *s = new_sender(&c);
  size_t len = 50000;
  char *text = census__malloc(len + 1) /* the sender frees it */;
  assert_non_null(text);
  uint32_t x = 12345;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    text[i] = (char)('a' + (i % 7 == 0 ? (x >> 16) % 26 : i % 5));
  }
  text[len] = '\0';
  char *expected = strdup(text);
  assert_non_null(expected);
  assert_int_equal(census__http_sender_submit(s, text, len, 1, 0), CENSUS_OK);
  assert_int_equal(census__http_sender_flush(s, 10000), CENSUS_OK);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 1);
  assert_string_equal(req_header(all, 0, "content-encoding"), "gzip");
  assert_null(json_object_get(json_array_get(all, 0), "gunzip_error"));
  assert_string_equal(req_str(all, 0, "body"), expected);
  json_int_t raw = json_integer_value(json_object_get(json_array_get(all, 0), "raw_length"));
  assert_true(raw > 0 && (size_t)raw < len / 2);
  json_decref(all);
  free(expected);
  census__http_sender_free(s, 1000);
}

/* Proves: the configured headers, the Content-Type, and the User-Agent census-c/<version>
 * arrive; no Expect: 100-continue; no Content-Encoding without gzip. */
static void headers_arrive(void **state) {
  start_receiver(NULL);
  census_http_sender_config c = base_config(url("/hd"));
  const char *headers[] = {"X-Census-Test: one two", "Authorization: Basic dXNlcjpwdw=="};
  c.headers = headers;
  c.header_count = 2;
  c.content_type = "application/x-protobuf";
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "h", 1, 0, CENSUS_OK);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 1);
  assert_string_equal(req_header(all, 0, "x-census-test"), "one two");
  assert_string_equal(req_header(all, 0, "authorization"), "Basic dXNlcjpwdw==");
  assert_string_equal(req_header(all, 0, "content-type"), "application/x-protobuf");
  char ua[64];
  snprintf(ua, sizeof ua, "census-c/%s", census_version());
  assert_string_equal(req_header(all, 0, "user-agent"), ua);
  assert_null(req_header(all, 0, "expect"));
  assert_null(req_header(all, 0, "content-encoding"));
  json_decref(all);
  census__http_sender_free(s, 1000);
}

/* Proves: a flush against a backend that never answers returns CENSUS_ETIMEDOUT at its deadline
 * (not at the 10 s attempt timeout), and free() then aborts the attempt in flight promptly,
 * counting and reporting the request as dropped. */
static void flush_timeout_and_bounded_free(void **state) {
  start_receiver("hang");
  census_http_sender_config c = base_config(url("/f"));
  c.timeout_ms = 10000;
  diag_reset();
  census_http_sender *s = new_sender(&c);
  assert_int_equal(submit_text(s, "stuck", 9, 0), CENSUS_OK);
  assert_int_equal(submit_text(s, "behind", 4, 0), CENSUS_OK);
  long long t0 = fault_receiver_now_ms();
  assert_int_equal(census__http_sender_flush(s, 300), CENSUS_ETIMEDOUT);
  long long flush_ms = fault_receiver_now_ms() - t0;
  assert_true(flush_ms >= 300 && flush_ms < 2000);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.requests_dropped, 0); /* still queued and in flight after the timeout */
  t0 = fault_receiver_now_ms();
  census__http_sender_close(s, 200, &st);
  long long free_ms = fault_receiver_now_ms() - t0;
  assert_true(free_ms >= 200 && free_ms < 1500);
  assert_int_equal(diag_matches("dropped a request of 9 items: shutdown"), 1);
  assert_int_equal(diag_matches("dropped 1 queued requests (4 items) at shutdown"), 1);
  assert_int_equal(st.items_dropped, 13);
  /* The aborted attempt and the still queued request, both recorded before close returned. */
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 0, 0, 13, 0}, 0);
}

/* Proves: a failing authorize callback counts as a retryable failed attempt (no HTTP request is
 * made for it), and the headers it produces on the next attempt are sent. */
static atomic_int authorize_calls;

static census_status authorize(void *user, char *buf, size_t size) {
  int n = atomic_fetch_add(&authorize_calls, 1);
  if (n == 0) {
    return CENSUS_EEXPORT; /* the token endpoint is down */
  }
  snprintf(buf, size, "Authorization: Bearer token-%d\r\nX-Goog-User-Project: p1\n", n);
  return CENSUS_OK;
}

static void authorize_failure_is_retryable(void **state) {
  start_receiver(NULL);
  atomic_store(&authorize_calls, 0);
  census_http_sender_config c = base_config(url("/auth"));
  c.authorize = authorize;
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "secret", 2, 0, CENSUS_OK);
  json_t *all = requests();
  assert_int_equal(json_array_size(all), 1);
  assert_string_equal(req_header(all, 0, "authorization"), "Bearer token-1");
  assert_string_equal(req_header(all, 0, "x-goog-user-project"), "p1");
  json_decref(all);
  census_http_stats st = stats_of(s);
  assert_int_equal(atomic_load(&authorize_calls), 2);
  assert_int_equal(st.attempts, 2);
  assert_int_equal(st.retries, 1);
  assert_int_equal(st.requests_delivered, 1);
  census__http_sender_free(s, 1000);
}

/* Proves: a permanent failure (400) is not retried, drops the request with its items counted,
 * passes the response body to the classifier, and makes the flush report CENSUS_EEXPORT; a
 * partially rejected delivery counts the rejected items apart. */
static void permanent_failure_and_partial(void **state) {
  start_receiver("400:body=bad%20request,200:body=rejected%3D2");
  census_http_sender_config c = base_config(url("/p"));
  diag_reset();
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "x", 5, 0, CENSUS_EEXPORT);
  submit_flush(s, "y", 6, 0, CENSUS_OK);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.attempts, 2);
  assert_int_equal(st.retries, 0);
  assert_int_equal(st.requests_dropped, 1);
  assert_int_equal(st.items_dropped, 5);
  assert_int_equal(st.requests_delivered, 1);
  assert_int_equal(st.items_delivered, 4);
  assert_int_equal(st.items_rejected, 2);
  assert_int_equal(diag_matches("HTTP 400: bad request"), 1);
  assert_int_equal(diag_matches("server rejected 2 items"), 1);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 0, 5, 0, 0}, 2);
  census__http_sender_free(s, 1000);
}

/* Proves: a Retry-After beyond the retry budget drops the request at once (one attempt, no
 * pointless wait), and says why. */
static void retry_after_beyond_budget_drops(void **state) {
  start_receiver("503:retry-after=60");
  census_http_sender_config c = base_config(url("/rb"));
  c.max_elapsed_ms = 2000;
  diag_reset();
  census_http_sender *s = new_sender(&c);
  long long t0 = fault_receiver_now_ms();
  submit_flush(s, "z", 3, 0, CENSUS_EEXPORT);
  assert_true(fault_receiver_now_ms() - t0 < 1500);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.attempts, 1);
  assert_int_equal(st.items_dropped, 3);
  assert_int_equal(diag_matches("Retry-After exceeds the budget"), 1);
  assert_self_metrics(&st, (const int64_t[REASONS]){0, 3, 0, 0, 0}, 0);
  census__http_sender_free(s, 1000);
}

/* Proves: while a flush waits, a long backoff (up to 10 s here) is cut to at most half the time
 * left before its deadline, so the retry happens and the flush succeeds in time. */
static void flush_shortens_backoff(void **state) {
  start_receiver("503,503,200");
  census_http_sender_config c = base_config(url("/fb"));
  c.initial_backoff_ms = 10000;
  c.max_backoff_ms = 10000;
  c.max_elapsed_ms = 60000;
  census_http_sender *s = new_sender(&c);
  long long t0 = fault_receiver_now_ms();
  assert_int_equal(submit_text(s, "w", 1, 0), CENSUS_OK);
  assert_int_equal(census__http_sender_flush(s, 4000), CENSUS_OK);
  assert_true(fault_receiver_now_ms() - t0 < 4000);
  census_http_stats st = stats_of(s);
  assert_int_equal(st.retries, 2);
  assert_int_equal(st.requests_delivered, 1);
  census__http_sender_free(s, 1000);
}

/* Proves: the classifier sees at most max_response_bytes of the response body, NUL-terminated,
 * and the response's Content-Type. */
static void response_body_capped(void **state) {
  start_receiver("200:body=0123456789abcdef:content-type=application%2Fjson");
  census_http_sender_config c = base_config(url("/cap"));
  c.max_response_bytes = 4;
  census_http_sender *s = new_sender(&c);
  submit_flush(s, "q", 1, 0, CENSUS_OK);
  pthread_mutex_lock(&last_mu);
  assert_string_equal(last_body, "0123");
  assert_int_equal(last_body_len, 4);
  assert_string_equal(last_content_type, "application/json");
  pthread_mutex_unlock(&last_mu);
  census__http_sender_free(s, 1000);
}

/* Proves: the argument checks: a missing URL or classifier is CENSUS_EINVAL, and submit to a
 * NULL sender frees the body (ASan would report the leak) with CENSUS_EINVAL. */
static void invalid_arguments(void **state) {
  census_http_sender_config c = base_config(NULL);
  census_status st = 0;
  assert_null(census__http_sender_new(&c, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  c = base_config("http://127.0.0.1:1/");
  c.classify = NULL;
  assert_null(census__http_sender_new(&c, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_int_equal(census__http_sender_submit(NULL, census__strdup("x"), 1, 1, 0), CENSUS_EINVAL);
  census__http_sender_free(NULL, 0);
}

int main(void) {
  fault_receiver_unset_proxies(); /* the receiver is on loopback */
  census_diagnostics_set_callback(on_diag, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(delivers_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(retries_then_delivers, setup, teardown),
      cmocka_unit_test_setup_teardown(retry_after_is_honoured, setup, teardown),
      cmocka_unit_test_setup_teardown(refused_until_budget_spent, setup, teardown),
      cmocka_unit_test_setup_teardown(hang_times_out_and_retries, setup, teardown),
      cmocka_unit_test_setup_teardown(queue_full_drops_oldest, setup, teardown),
      cmocka_unit_test_setup_teardown(supersede_replaces_queued, setup, teardown),
      cmocka_unit_test_setup_teardown(gzip_body_arrives_intact, setup, teardown),
      cmocka_unit_test_setup_teardown(headers_arrive, setup, teardown),
      cmocka_unit_test_setup_teardown(flush_timeout_and_bounded_free, setup, teardown),
      cmocka_unit_test_setup_teardown(authorize_failure_is_retryable, setup, teardown),
      cmocka_unit_test_setup_teardown(permanent_failure_and_partial, setup, teardown),
      cmocka_unit_test_setup_teardown(retry_after_beyond_budget_drops, setup, teardown),
      cmocka_unit_test_setup_teardown(flush_shortens_backoff, setup, teardown),
      cmocka_unit_test_setup_teardown(response_body_capped, setup, teardown),
      cmocka_unit_test(invalid_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
