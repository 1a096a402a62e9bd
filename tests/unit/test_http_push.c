/* test_http_push.c - the push exporter skeleton (exporters/http/push_exporter.c) that OTLP,
 * Zipkin, Cloud Trace and Cloud Monitoring are built on: its span path, its stats path (pre-round
 * hook, submits, supersede key, drops before the sender) and its stop outcome.
 *
 * Spans are made through the public tracing API (tests/support/span_fixture.h) and exported
 * through a span push exporter whose encoder writes the names of the spans of each chunk, to
 * tests/http/fault_receiver.js (node's HTTP server on loopback, port chosen by the OS, scripted
 * answers), which records every request; the receiver's record and the exporter's counters are
 * checked. The classification pieces are also checked directly on made-up responses, since they
 * are pure functions of the response. Drops before the sender (encoding failed) are read back
 * from census's self-metric view census/exporter_dropped_items with census_view_data_get().
 * Handle lifetime (the OTLP contract): the handle stays valid after census_shutdown() with the
 * final counters until stop frees it; the ASan run of this file proves stop frees everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../http/fault_receiver_fixture.h"
#include "diag_log.h" /* on_diag, diag_log, diag_lines, diag_reset(), diag_matches() */
#include "census/census.h"
#include "census/trace.h"
#include "span_fixture.h"
#include "push_exporter.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

/* receiver, start_receiver(), teardown: ../http/fault_receiver_fixture.h. */

/* The exporter's own state, as a concrete exporter would have it. */
typedef struct test_state {
  atomic_int encode_calls;
  atomic_int wrong_user; /* a callback got another user pointer */
  atomic_int classify_calls;
  atomic_int freed;
} test_state;

static test_state *expected_user;

/* Body: the chunk's span names, comma-separated. A chunk whose first span is named "oom..."
 * fails as an encoder out of memory would (CENSUS_ENOMEM). */
static census_status encode_names(void *user, const census_span_data *const *spans, size_t count,
                                  census_buf *out) {
  test_state *t = user;
  if (t != expected_user)
    atomic_fetch_add(&t->wrong_user, 1);
  atomic_fetch_add(&t->encode_calls, 1);
  if (strncmp(census_span_data_name(spans[0]), "oom", 3) == 0)
    return CENSUS_ENOMEM;
  for (size_t i = 0; i < count; i++)
    census__buf_printf(out, "%s%s", i ? "," : "", census_span_data_name(spans[i]));
  return out->failed ? CENSUS_ENOMEM : CENSUS_OK;
}

/* The stats path: what the pre-round hook and the encoder saw, round by round. */
static atomic_int rounds_hooked, rounds_encoded, hook_mismatch;
static const census_view_data *const *hooked_views;
static size_t hooked_count;

static void hook_round(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  /* Called before encode_rounds() of the same round: the count of rounds encoded is one less. */
  if (atomic_load(&rounds_encoded) != atomic_load(&rounds_hooked))
    atomic_fetch_add(&hook_mismatch, 1);
  atomic_fetch_add(&rounds_hooked, 1);
  hooked_views = views;
  hooked_count = count;
}

/* Body "round=<n>", one item; round 2 also drops 2 items before the sender (no_descriptor). */
static census_status encode_rounds(void *user, const census_view_data *const *views, size_t count,
                                   census_push_round *round) {
  (void)user;
  if (views != hooked_views || count != hooked_count)
    atomic_fetch_add(&hook_mismatch, 1);
  int n = atomic_fetch_add(&rounds_encoded, 1) + 1;
  census_buf body = CENSUS_BUF_INIT;
  census__buf_printf(&body, "round=%d", n);
  census_status st = census__push_submit(round, &body, 1);
  census__buf_free(&body);
  if (n == 2)
    census__push_drop(round, 2, CENSUS_EXPORTER_DROP_NO_DESCRIPTOR, "spt-stats: 2 items dropped");
  return st;
}

static void free_state(void *user) {
  test_state *t = user;
  atomic_fetch_add(&t->freed, 1);
}

/* A classifier of a concrete exporter: counts calls, then defers to the default. */
static census_http_verdict counting_classify(void *user, const census_http_response *r,
                                             uint64_t *rejected, char *message, size_t size) {
  test_state *t = user;
  if (t != expected_user)
    atomic_fetch_add(&t->wrong_user, 1);
  atomic_fetch_add(&t->classify_calls, 1);
  return census__push_classify_default("custom", r, rejected, message, size);
}

static census_push_config base_config(test_state *t, const char *path) {
  static char url[128];
  snprintf(url, sizeof url, "%s%s", receiver.url_base, path);
  census_push_config c = {.name = "spt",
                          .encode_spans = encode_names,
                          .http = {.url = url,
                                   .content_type = "text/plain",
                                   .timeout_ms = 2000,
                                   .initial_backoff_ms = 5,
                                   .max_backoff_ms = 20,
                                   .max_elapsed_ms = 5000},
                          .user = t,
                          .free_user = free_state};
  expected_user = t;
  return c;
}

static census_push_exporter *start_exporter(const census_push_config *c) {
  census_status st = 1;
  census_push_exporter *e = census__push_start(c, &st);
  assert_int_equal(st, CENSUS_OK);
  assert_non_null(e);
  return e;
}

/* Starts the receiver with `script` (NULL: every answer 200), zeroes *t and returns
 * base_config(t, path). */
static census_push_config receiver_and_config(test_state *t, const char *script, const char *path) {
  start_receiver(script);
  *t = (test_state){0};
  return base_config(t, path);
}

/* The exporter's counters now; fails the test unless the stats call answers CENSUS_OK. */
static census_http_stats push_stats(census_push_exporter *e) {
  census_http_stats s;
  assert_int_equal(census__push_stats(e, &s), CENSUS_OK);
  return s;
}

static void end_spans(const char *prefix, int count) {
  for (int i = 0; i < count; i++) {
    char name[32];
    snprintf(name, sizeof name, "%s%d", prefix, i);
    census_span_end(span_fixture_start(name, CENSUS_SPAN_KIND_CLIENT, 0, NULL, 0));
  }
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Proves: batches are encoded in chunks of at most max_spans_per_request spans, each chunk one
 * POST with the configured content type; every span arrives exactly once; encode gets the
 * exporter's user pointer; the counters match what the receiver recorded; stop frees the user
 * state once (and the handle: ASan); a NULL handle is CENSUS_EINVAL. */
static void chunks_and_delivers(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, NULL, "/spans");
  c.max_spans_per_request = 2;
  census_push_exporter *e = start_exporter(&c);
  end_spans("c", 5);
  assert_int_equal(census_flush(10000), CENSUS_OK);

  json_t *all = fault_receiver_requests(&receiver);
  assert_non_null(all);
  size_t n = json_array_size(all);
  assert_true(n >= 3); /* 5 spans, at most 2 a request */
  int seen[5] = {0};
  size_t i;
  json_t *r;
  json_array_foreach(all, i, r) {
    assert_string_equal(json_string_value(json_object_get(r, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(r, "path")), "/spans");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "headers"), "content-type")),
        "text/plain");
    char body[64];
    snprintf(body, sizeof body, "%s", json_string_value(json_object_get(r, "body")));
    int names = 0;
    for (char *save = NULL, *tok = strtok_r(body, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
      int k = -1;
      assert_int_equal(sscanf(tok, "c%d", &k), 1);
      assert_true(k >= 0 && k < 5);
      seen[k]++;
      names++;
    }
    assert_true(names >= 1 && names <= 2);
  }
  json_decref(all);
  for (int k = 0; k < 5; k++)
    assert_int_equal(seen[k], 1);
  assert_int_equal(atomic_load(&t.encode_calls), (int)n);
  assert_int_equal(atomic_load(&t.wrong_user), 0);

  census_http_stats s = push_stats(e);
  assert_int_equal(s.items_delivered, 5);
  assert_int_equal(s.requests_delivered, n);
  assert_int_equal(s.attempts, n);
  assert_int_equal(s.items_dropped, 0);
  assert_int_equal(census__push_stats(e, NULL), CENSUS_EINVAL);

  assert_int_equal(atomic_load(&t.freed), 0);
  assert_int_equal(census__push_stop(e, 5000), CENSUS_OK);
  assert_int_equal(atomic_load(&t.freed), 1);
  assert_int_equal(census__push_stop(NULL, 5000), CENSUS_EINVAL);
}

/* The value of the row {exporter = name, reason} of census/exporter_dropped_items now (0 when
 * the row does not exist). */
static int64_t self_dropped(const char *name, const char *reason) {
  census_status st = 1;
  census_view_data *d = census_view_data_get("census/exporter_dropped_items", &st);
  assert_int_equal(st, CENSUS_OK);
  int64_t value = 0;
  for (size_t r = 0; r < census_view_data_row_count(d); r++) {
    if (strcmp(census_view_data_row_value(d, r, 0), name) == 0 &&
        strcmp(census_view_data_row_value(d, r, 1), reason) == 0) {
      census_point p;
      assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
      value = p.int_value;
    }
  }
  census_view_data_free(d);
  return value;
}

/* Proves: a chunk whose encoding fails is dropped before the sender: nothing is sent for it,
 * its spans and request are counted in the stats (items_dropped, requests_dropped), it is
 * reported, and it is recorded in the self-metric under the sender's name with reason
 * out_of_memory, exactly as many spans as the stats count; the other chunks still go out. */
static void encoding_failure_dropped_and_recorded(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, NULL, "/oom");
  c.max_spans_per_request = 2;
  census_push_exporter *e = start_exporter(&c);
  int64_t before = self_dropped("spt", CENSUS_EXPORTER_DROP_OUT_OF_MEMORY);
  end_spans("oom", 3); /* chunks "oom0,oom1" and "oom2": both fail */
  assert_int_equal(census_flush(10000), CENSUS_EEXPORT);
  end_spans("ok", 1);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  census_http_stats s = push_stats(e);
  assert_int_equal(s.items_dropped, 3);
  assert_int_equal(s.requests_dropped, 2);
  assert_int_equal(s.items_delivered, 1);
  assert_true(diag_contains("spt: out of memory encoding 2 spans; dropped"));
  assert_true(diag_contains("spt: out of memory encoding 1 spans; dropped"));
  assert_int_equal(self_dropped("spt", CENSUS_EXPORTER_DROP_OUT_OF_MEMORY) - before,
                   (int64_t)s.items_dropped);
  json_t *all = fault_receiver_requests(&receiver);
  assert_non_null(all);
  assert_int_equal(json_array_size(all), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "body")), "ok0");
  json_decref(all);
  /* The stop's outcome says that items were lost during the exporter's life. */
  assert_int_equal(census__push_stop(e, 5000), CENSUS_EEXPORT);
}

/* Proves the default classification end to end: 503 is retried, then 400 is final: the span
 * is dropped and counted, and the diagnostic names the exporter, the status and the body with
 * control characters made spaces. */
static void default_classification_over_http(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, "503,400:body=bad%0Aspan", "/v2");
  census_push_exporter *e = start_exporter(&c);
  end_spans("d", 1);
  assert_int_equal(census_flush(10000), CENSUS_EEXPORT);
  census_http_stats s = push_stats(e);
  assert_int_equal(s.attempts, 2);
  assert_int_equal(s.retries, 1);
  assert_int_equal(s.requests_dropped, 1);
  assert_int_equal(s.items_dropped, 1);
  assert_int_equal(s.items_delivered, 0);
  assert_true(diag_contains("spt: HTTP 400: bad span"));
  assert_int_equal(census__push_stop(e, 5000), CENSUS_EEXPORT); /* the span the 400 dropped */
}

/* Proves: a concrete exporter's classifier replaces the default and gets its own user pointer
 * (here it defers to the default, named "custom"); the sender is freed before free_user. */
static void custom_classifier(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, "404:body=nope", "/x");
  c.http.classify = counting_classify;
  census_push_exporter *e = start_exporter(&c);
  end_spans("e", 1);
  assert_int_equal(census_flush(10000), CENSUS_EEXPORT);
  assert_int_equal(atomic_load(&t.classify_calls), 1);
  assert_int_equal(atomic_load(&t.wrong_user), 0);
  assert_true(diag_contains("custom: HTTP 404: nope"));
  assert_int_equal(census__push_stop(e, 5000), CENSUS_EEXPORT);
  assert_int_equal(atomic_load(&t.freed), 1);
}

/* Proves: stopping the exporter against a backend that holds its request returns
 * CENSUS_ETIMEDOUT (main: CENSUS_OK, because census_span_exporter_unregister() ignored its final
 * flush) within about the timeout, and the undelivered span is counted as dropped. */
static void stop_against_hung_backend_times_out(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, "hang", "/hung");
  c.http.timeout_ms = 10000; /* the held attempt outlives the stop's timeout */
  census_push_exporter *e = start_exporter(&c);
  int64_t before = self_dropped("spt", CENSUS_EXPORTER_DROP_SHUTDOWN);
  end_spans("h", 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(census__push_stop(e, 500), CENSUS_ETIMEDOUT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  assert_true(ms < 3000);
  assert_int_equal(atomic_load(&t.freed), 1);
  assert_int_equal(self_dropped("spt", CENSUS_EXPORTER_DROP_SHUTDOWN) - before, 1);
}

/* Proves the classification pieces on made-up responses: 2xx delivered, no response retried
 * with libcurl's message, other statuses left to the caller by the common part; the default
 * retries 429 and 5xx and fails the rest; the excerpt is cut at n-1 bytes, control characters
 * made spaces, NULL body empty. */
static void classification_pieces(void **state) {
  (void)state;
  char msg[128] = "untouched";
  census_http_verdict v = CENSUS_HTTP_FAILED;
  census_http_response ok = {.status = 204};
  assert_true(census__push_classify_common("n", &ok, &v, msg, sizeof msg));
  assert_int_equal(v, CENSUS_HTTP_DELIVERED);
  census_http_response down = {.status = 0, .curl_error = "Couldn't connect to server"};
  assert_true(census__push_classify_common("n", &down, &v, msg, sizeof msg));
  assert_int_equal(v, CENSUS_HTTP_RETRY);
  assert_string_equal(msg, "n: Couldn't connect to server");
  strcpy(msg, "untouched");
  census_http_response notfound = {.status = 404, .body = "gone", .body_len = 4};
  assert_false(census__push_classify_common("n", &notfound, &v, msg, sizeof msg));
  assert_string_equal(msg, "untouched");

  uint64_t rejected = 99;
  assert_int_equal(census__push_classify_default("n", &notfound, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, "n: HTTP 404: gone");
  const long retried[] = {429, 500, 502, 503, 504, 599};
  for (size_t i = 0; i < sizeof retried / sizeof retried[0]; i++) {
    census_http_response r = {.status = retried[i]};
    assert_int_equal(census__push_classify_default("n", &r, &rejected, msg, sizeof msg),
                     CENSUS_HTTP_RETRY);
  }
  census_http_response r428 = {.status = 428};
  assert_int_equal(census__push_classify_default("n", &r428, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  assert_string_equal(msg, "n: HTTP 428"); /* no body: no ": " */

  char ex[5];
  census_http_response body = {.status = 400, .body = "a\tb\ncdefgh", .body_len = 10};
  census__push_body_excerpt(&body, ex, sizeof ex);
  assert_string_equal(ex, "a b ");
  census_http_response none = {.status = 400};
  census__push_body_excerpt(&none, ex, sizeof ex);
  assert_string_equal(ex, "");
}

/* Proves: a config without name, without an encoder or with both is refused and nothing is
 * freed. (Endpoint URLs are
 * checked by the exporters with exporters/http/url.c: tests/unit/test_config_errors.c.) */
static void refused_configs(void **state) {
  (void)state;
  test_state t = {0};
  census_push_config c = {.name = "spt", .user = &t, .free_user = free_state};
  census_status st = CENSUS_OK;
  assert_null(census__push_start(&c, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  c.encode_spans = encode_names;
  c.name = NULL;
  assert_null(census__push_start(&c, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  c.name = "spt";
  c.encode_views = encode_rounds; /* both encoders: neither a stats nor a span exporter */
  assert_null(census__push_start(&c, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_int_equal(atomic_load(&t.freed), 0);
}

/* Counts the spans in the bodies of the requests the receiver answered with `answer`. */
static uint64_t receiver_spans(const char *answer, uint64_t *requests) {
  json_t *all = fault_receiver_requests(&receiver);
  assert_non_null(all);
  uint64_t spans = 0;
  *requests = 0;
  size_t i;
  json_t *r;
  json_array_foreach(all, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "answer")), answer) != 0)
      continue;
    (*requests)++;
    spans++;
    for (const char *b = json_string_value(json_object_get(r, "body")); *b; b++)
      spans += *b == ',';
  }
  json_decref(all);
  return spans;
}

/* Proves the handle contract after census_shutdown() (the OTLP one): census_shutdown() stops the
 * exporter (final export; what the deadline cannot deliver is dropped) and frees the concrete
 * exporter's state, but the handle stays valid: stats gives the final counters, equal to what
 * the receiver got (delivered: the spans of the requests it answered 200; dropped: the spans of
 * the request it never answered, cut off by the shutdown deadline); stop then returns the outcome
 * of that final delivery, CENSUS_ETIMEDOUT (the deadline cut it short), and frees the handle
 * (ASan's leak check fails otherwise). Runs last: census is shut down for
 * the rest of the process. */
static void shutdown_keeps_final_counters(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, "200,hang", "/s");
  census_push_exporter *e = start_exporter(&c);
  end_spans("s", 2);
  assert_int_equal(census_flush(10000), CENSUS_OK);
  end_spans("h", 3); /* exported by census_shutdown(); the receiver never answers */
  census_shutdown(1000);
  assert_int_equal(atomic_load(&t.freed), 1);
  census_http_stats s = push_stats(e);
  uint64_t requests_ok = 0, requests_hung = 0;
  uint64_t delivered = receiver_spans("200", &requests_ok);
  uint64_t hung = receiver_spans("hang", &requests_hung);
  assert_int_equal(requests_ok, 1);
  assert_int_equal(requests_hung, 1);
  assert_int_equal(s.items_delivered, delivered);
  assert_int_equal(s.requests_delivered, requests_ok);
  assert_int_equal(s.items_dropped, hung);
  assert_int_equal(s.requests_dropped, requests_hung);
  assert_int_equal(s.items_delivered + s.items_dropped, 5);
  assert_int_equal(census__push_stats(e, NULL), CENSUS_EINVAL);
  assert_int_equal(census__push_stop(e, 100), CENSUS_ETIMEDOUT);
  assert_int_equal(atomic_load(&t.freed), 1);
}

/* Proves the stats path: each export round calls the pre-round hook, then the encoder, with the
 * same snapshots; a snapshot submitted with the supersede key replaces a queued, not yet
 * attempted one of an earlier round: while round 1's request is in flight (answered after
 * 800 ms), round 2 queues, round 3 replaces it and round 4 replaces round 3, so the receiver gets
 * rounds 1 and 4 only and two requests count as superseded (not dropped: each snapshot holds the
 * earlier totals); items the encoder drops before the sender (census__push_drop()) are counted
 * in the sender's counters and in census/exporter_dropped_items under the exporter's name with
 * their reason; the stop's outcome is CENSUS_EEXPORT (items were dropped). */
static void stats_rounds_hook_and_supersede(void **state) {
  (void)state;
  static test_state t;
  census_push_config c = receiver_and_config(&t, "200:delay=800", "/metrics");
  c.name = "spt-stats";
  c.encode_spans = NULL;
  c.encode_views = encode_rounds;
  c.before_round = hook_round;
  c.supersede_key = 1;
  census_push_exporter *e = start_exporter(&c);
  int64_t before = self_dropped("spt-stats", CENSUS_EXPORTER_DROP_NO_DESCRIPTOR);
  /* Round 1 goes in flight; rounds 2, 3 and 4 queue one after the other in the same slot. */
  assert_int_equal(census_flush(100), CENSUS_ETIMEDOUT);
  assert_int_equal(census_flush(100), CENSUS_ETIMEDOUT);
  assert_int_equal(census_flush(100), CENSUS_ETIMEDOUT);
  assert_int_equal(census_flush(10000), CENSUS_OK); /* round 4, delivered after round 1 */
  assert_int_equal(atomic_load(&rounds_hooked), 4);
  assert_int_equal(atomic_load(&rounds_encoded), 4);
  assert_int_equal(atomic_load(&hook_mismatch), 0);

  json_t *all = fault_receiver_requests(&receiver);
  assert_non_null(all);
  assert_int_equal(json_array_size(all), 2);
  const char *expected[] = {"round=1", "round=4"};
  for (size_t i = 0; i < 2; i++)
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, i), "body")),
                        expected[i]);
  json_decref(all);
  census_http_stats s = push_stats(e);
  assert_int_equal(s.requests_superseded, 2);
  assert_int_equal(s.requests_delivered, 2);
  assert_int_equal(s.items_delivered, 2);
  assert_int_equal(s.items_dropped, 2);
  assert_int_equal(s.requests_dropped, 1);
  assert_int_equal(self_dropped("spt-stats", CENSUS_EXPORTER_DROP_NO_DESCRIPTOR) - before, 2);
  assert_true(diag_contains("spt-stats: 2 items dropped"));
  assert_int_equal(census__push_stop(e, 5000), CENSUS_EEXPORT);
}

int main(void) {
  census_diagnostics_set_callback(on_diag, NULL);
  census_sampler *always = census_sampler_always_on();
  census_trace_set_sampler(always);
  census_sampler_free(always);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(classification_pieces),
      cmocka_unit_test(refused_configs),
      cmocka_unit_test_teardown(chunks_and_delivers, teardown),
      cmocka_unit_test_teardown(default_classification_over_http, teardown),
      cmocka_unit_test_teardown(custom_classifier, teardown),
      cmocka_unit_test_teardown(encoding_failure_dropped_and_recorded, teardown),
      cmocka_unit_test_teardown(stop_against_hung_backend_times_out, teardown),
      cmocka_unit_test_teardown(stats_rounds_hook_and_supersede, teardown),
      cmocka_unit_test_teardown(shutdown_keeps_final_counters, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
