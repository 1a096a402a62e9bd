/* test_http_sender_fork.c - the HTTP sender across fork(), and at the exit deadline (which needs
 * a process of its own to end, or to take a signal).
 *
 * child_does_not_resend_parent_queue: the parent has one request in flight (the receiver holds it
 * unanswered) and one queued when it forks. The child submits its own request through the same
 * sender. Proves: the child's request is delivered (its delivery thread restarted on first
 * submit) and the child never sends the queue it inherited (the parent's queued request arrives
 * exactly once), while the parent goes on to deliver both of its requests.
 * child_counters_are_its_own, exit_flush_abandons_each_request_once, exit_counts_at_exit: see
 * their comments. Each child reports failure through its exit status (a distinct code per
 * check) or a pipe; the parent asserts.
 *
 * Not labelled "threaded": ThreadSanitizer kills a child that starts threads after a
 * multi-threaded fork.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>

#include "../http/fault_receiver.h"
#include "diag_log.h" /* on_diag, diag_log, diag_lines, diag_reset(), diag_matches() */
#include "census/census.h"
#include "census/exporter.h"
#include "http_sender.h"
#include "core/alloc.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  *rejected = 0;
  if (response->status >= 200 && response->status < 300) {
    return CENSUS_HTTP_DELIVERED;
  }
  return response->status == 0 || response->status >= 500 ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

static census_status submit_text(census_http_sender *s, const char *text) {
  char *body = census__strdup(text);
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
  pid_t child = fork_quiet();
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

/* Proves: a fork child's counters are its own: right after fork they are all zero (main: the
 * parent's two deliveries), and after the child's one request they count exactly that request;
 * the parent's stay as they were. */
static void child_counters_are_its_own(void **state) {
  fault_receiver rcv;
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, NULL));
  char url[128];
  snprintf(url, sizeof url, "%s/counters", rcv.url_base);
  census_http_sender_config c = {0};
  c.name = "fork counters";
  c.url = url;
  c.content_type = "text/plain";
  c.classify = classify;
  census_http_sender *s = census__http_sender_new(&c, NULL);
  assert_non_null(s);
  assert_int_equal(submit_text(s, "p1"), CENSUS_OK);
  assert_int_equal(submit_text(s, "p2"), CENSUS_OK);
  assert_int_equal(census__http_sender_flush(s, 5000), CENSUS_OK);

  fflush(NULL);
  pid_t child = fork_quiet();
  assert_true(child >= 0);
  if (child == 0) {
    census_http_stats st;
    census__http_sender_stats(s, &st);
    census_http_stats zero = {0};
    if (memcmp(&st, &zero, sizeof st) != 0) {
      _exit(10);
    }
    if (submit_text(s, "c1") != CENSUS_OK || census__http_sender_flush(s, 5000) != CENSUS_OK) {
      _exit(11);
    }
    census__http_sender_stats(s, &st);
    if (st.requests_delivered != 1 || st.attempts != 1 || st.items_delivered != 1 ||
        st.requests_dropped != 0 || st.retries != 0) {
      _exit(12);
    }
    census__http_sender_free(s, 1000);
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  census_http_stats st;
  census__http_sender_stats(s, &st);
  assert_int_equal(st.requests_delivered, 2);
  assert_int_equal(st.attempts, 2);
  census__http_sender_free(s, 1000);
  fault_receiver_stop(&rcv);
}

/* ---- the exit deadline -------------------------------------------------------------------- */

/* A census stats exporter whose only work is its flush: it flushes the sender (as every push
 * exporter's flush callback does), so census's exit flush reaches it. */
static census_status no_views(void *user, const census_view_data *const *views, size_t count) {
  return CENSUS_OK;
}

static census_status flush_sender(void *user, int64_t timeout_ms) {
  return census__http_sender_flush(user, timeout_ms);
}

/* The value of census/exporter_dropped_items {exporter, reason} (0 when absent). */
static int64_t self_dropped(const char *exporter, const char *reason) {
  census_view_data *d = census_view_data_get("census/exporter_dropped_items", NULL);
  int64_t value = 0;
  for (size_t r = 0; d != NULL && r < census_view_data_row_count(d); r++) {
    census_point p;
    if (strcmp(census_view_data_row_value(d, r, 0), exporter) == 0 &&
        strcmp(census_view_data_row_value(d, r, 1), reason) == 0 &&
        census_view_data_row_point(d, r, &p) == CENSUS_OK) {
      value = p.int_value;
    }
  }
  census_view_data_free(d);
  return value;
}

static census_status submit_items(census_http_sender *s, const char *text, uint64_t items) {
  return census__http_sender_submit(s, census__strdup(text), strlen(text), items, 0);
}

/* In a child: a sender to `url` whose first request the receiver holds unanswered, registered
 * with census through a stats exporter, an exit flush deadline of 400 ms, request A (10 items)
 * in flight and B (20), C (30) queued. Returns the sender, or _exits with `code`. */
static census_http_sender *child_with_pending(fault_receiver *rcv, const char *url, int code) {
  census_diagnostics_set_callback(on_diag, NULL);
  census_http_sender_config c = {0};
  c.name = "abandon test";
  c.url = url;
  c.content_type = "text/plain";
  c.timeout_ms = 10000; /* the held attempt does not end by itself during the test */
  c.initial_backoff_ms = 5;
  c.classify = classify;
  census_http_sender *s = census__http_sender_new(&c, NULL);
  census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                   .export_views = no_views,
                                   .flush = flush_sender,
                                   .shutdown = NULL};
  if (s == NULL || census_stats_exporter_register(&ops, s) != CENSUS_OK ||
      census_exit_flush_set_timeout_ms(400) != CENSUS_OK || submit_items(s, "A", 10) != CENSUS_OK ||
      !fault_receiver_wait_count(rcv, 1, 5000) || submit_items(s, "B", 20) != CENSUS_OK ||
      submit_items(s, "C", 30) != CENSUS_OK) {
    _exit(code);
  }
  return s;
}

static volatile sig_atomic_t got_sigterm;

static void on_sigterm(int signo) {
  (void)signo;
  got_sigterm = 1;
}

/* Proves, in a child that takes SIGTERM with census's flush installed over a handler of its own
 * (so that, as census gives the signal back to that handler, the process goes on): the flush's
 * deadline counts the in-flight request and the two queued ones as dropped, exactly once each
 * (requests_dropped 3, items_dropped 60), records them in census/exporter_dropped_items
 * {exporter, "exit_deadline"} (60) and says so in one diagnostic line; the sender is not torn
 * down: a later request is delivered, and the abandoned in-flight request, whose attempt was
 * aborted, is not counted again (no delivery, no second drop); the queued ones are never sent.
 * Fails on the main branch: nothing was counted or reported at the deadline. */
static void exit_flush_abandons_each_request_once(void **state) {
  fault_receiver rcv;
  const char *args[] = {"--script", "/held=hang", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/held", rcv.url_base);
  fflush(NULL);
  pid_t child = fork_quiet();
  assert_true(child >= 0);
  if (child == 0) {
    census_http_sender *s = child_with_pending(&rcv, url, 20);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || census_signal_flush_install() != CENSUS_OK) {
      _exit(21);
    }
    kill(getpid(), SIGTERM);
    long long until = fault_receiver_now_ms() + 10000;
    while (!got_sigterm && fault_receiver_now_ms() < until) {
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
    if (!got_sigterm) {
      _exit(22); /* census never gave the signal back */
    }
    census_http_stats st;
    census__http_sender_stats(s, &st);
    if (st.requests_dropped != 3 || st.items_dropped != 60 || st.requests_delivered != 0) {
      _exit(23);
    }
    if (diag_matches("abandon test: exit deadline reached, 3 requests (60 items) not delivered") !=
        1) {
      _exit(24);
    }
    if (self_dropped("abandon test", CENSUS_EXPORTER_DROP_EXIT_DEADLINE) != 60) {
      _exit(25);
    }
    /* The sender goes on: D is delivered (the receiver answers 200 after the held request). */
    if (submit_items(s, "D", 5) != CENSUS_OK || census__http_sender_flush(s, 5000) != CENSUS_OK) {
      _exit(26);
    }
    census__http_sender_stats(s, &st);
    if (st.requests_delivered != 1 || st.items_delivered != 5 || st.requests_dropped != 3 ||
        st.items_dropped != 60) {
      _exit(27);
    }
    _exit(0); /* no second exit flush */
  }
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  json_t *all = fault_receiver_requests(&rcv);
  assert_non_null(all);
  assert_int_equal(count_body(all, "A"), 1);
  assert_int_equal(count_body(all, "D"), 1);
  assert_int_equal(count_body(all, "B"), 0);
  assert_int_equal(count_body(all, "C"), 0);
  json_decref(all);
  fault_receiver_stop(&rcv);
}

static census_http_sender *exit_sender;
static int exit_report_fd = -1;

/* Registered in the child before census starts, so it runs after census's exit flush: writes
 * one byte, 0 when the counters and the diagnostic are as expected, else the failed check. */
static void report_at_exit(void) {
  census_http_stats st;
  census__http_sender_stats(exit_sender, &st);
  unsigned char code = 0;
  if (st.requests_dropped != 3 || st.items_dropped != 60 || st.requests_delivered != 0) {
    code = 31;
  } else if (diag_matches("abandon test: exit deadline reached, 3 requests (60 items) not "
                          "delivered") != 1) {
    code = 32;
  }
  ssize_t ignored = write(exit_report_fd, &code, 1);
  (void)ignored;
}

/* Proves: at exit() (census's atexit flush), a sender whose backend holds its request counts the
 * in-flight request and the queued ones as dropped (3 requests, 60 items) with one diagnostic
 * line, and the process still ends soon after the 400 ms deadline (within 5 s). Fails on main:
 * the counters stayed at 0 and nothing was reported. */
static void exit_counts_at_exit(void **state) {
  fault_receiver rcv;
  const char *args[] = {"--script", "/held=hang", NULL};
  assert_true(fault_receiver_start(&rcv, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER, args));
  char url[128];
  snprintf(url, sizeof url, "%s/held", rcv.url_base);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  long long start = fault_receiver_now_ms();
  pid_t child = fork_quiet();
  assert_true(child >= 0);
  if (child == 0) {
    close(fds[0]);
    exit_report_fd = fds[1];
    atexit(report_at_exit); /* census has not started in this process yet */
    exit_sender = child_with_pending(&rcv, url, 30);
    exit(0);
  }
  close(fds[1]);
  unsigned char code = 255;
  ssize_t n = read(fds[0], &code, 1);
  close(fds[0]);
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  long long elapsed = fault_receiver_now_ms() - start;
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(n, 1);
  assert_int_equal(code, 0);
  assert_true(elapsed < 5000);
  fault_receiver_stop(&rcv);
}

int main(void) {
  fault_receiver_unset_proxies(); /* the receiver is on loopback */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(child_does_not_resend_parent_queue),
      cmocka_unit_test(child_counters_are_its_own),
      cmocka_unit_test(exit_flush_abandons_each_request_once),
      cmocka_unit_test(exit_counts_at_exit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
