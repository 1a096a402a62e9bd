/* test_http_sender_fork.c - the HTTP sender across fork().
 *
 * The parent has one request in flight (the receiver holds it unanswered) and one queued when it
 * forks. The child submits its own request through the same sender. Proves: the child's
 * request is delivered (its delivery thread restarted on first submit) and the child never
 * sends the queue it inherited (the parent's queued request arrives exactly once), while the
 * parent goes on to deliver both of its requests. Not labelled "threaded": ThreadSanitizer
 * kills a child that starts threads after a multi-threaded fork.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../http/fault_receiver.h"
#include "census/census.h"
#include "http_sender.h"

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  *rejected = 0;
  if (response->status >= 200 && response->status < 300) {
    return CENSUS_HTTP_DELIVERED;
  }
  return response->status == 0 || response->status >= 500 ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

static census_status submit_text(census_http_sender *s, const char *text) {
  char *body = strdup(text);
  return census__http_sender_submit(s, body, strlen(text), 1, 0);
}

static int count_body(json_t *all, const char *body) {
  int n = 0;
  for (size_t i = 0; i < json_array_size(all); i++) {
    const char *b = json_string_value(json_object_get(json_array_get(all, i), "body"));
    n += b != NULL && strcmp(b, body) == 0;
  }
  return n;
}

static void child_does_not_resend_parent_queue(void **state) {
  fault_receiver rcv;
  const char *args[] = {"--script", "hang", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/fork", rcv.url_base);
  census_http_sender_config c = {0};
  c.name = "fork test";
  c.url = url;
  c.content_type = "text/plain";
  c.timeout_ms = 700;
  c.initial_backoff_ms = 5;
  c.max_backoff_ms = 20;
  c.classify = classify;
  census_status st = 1;
  census_http_sender *s = census__http_sender_new(&c, &st);
  assert_non_null(s);
  assert_int_equal(submit_text(s, "parent-A"), CENSUS_OK);
  assert_true(fault_receiver_wait_count(&rcv, 1, 5000)); /* A in flight, unanswered */
  assert_int_equal(submit_text(s, "parent-B"), CENSUS_OK);

  fflush(NULL);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    int code = 0;
    if (submit_text(s, "child-C") != CENSUS_OK) {
      code = 1;
    } else if (census__http_sender_flush(s, 5000) != CENSUS_OK) {
      code = 2;
    }
    census__http_sender_free(s, 1000);
    _exit(code);
  }
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);

  assert_int_equal(census__http_sender_flush(s, 5000), CENSUS_OK);
  census_http_stats stats;
  census__http_sender_stats(s, &stats);
  assert_int_equal(stats.requests_delivered, 2);
  assert_int_equal(stats.requests_dropped, 0);
  census__http_sender_free(s, 1000);

  json_t *all = fault_receiver_requests(&rcv);
  assert_non_null(all);
  assert_int_equal(count_body(all, "child-C"), 1);
  assert_int_equal(count_body(all, "parent-B"), 1);
  assert_int_equal(count_body(all, "parent-A"), 2); /* hung, then retried */
  assert_int_equal(json_array_size(all), 4);
  json_decref(all);
  fault_receiver_stop(&rcv);
}

int main(void) {
  fault_receiver_unset_proxies(); /* the receiver is on loopback */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(child_does_not_resend_parent_queue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
