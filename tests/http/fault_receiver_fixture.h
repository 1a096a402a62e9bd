/* fault_receiver_fixture.h - the cmocka fixture of the C tests that send to one
 * tests/http/fault_receiver.js per test (test_http_sender.c, test_http_push.c).
 *
 * Include after <cmocka.h>; the test target defines CENSUS_TEST_NODE and
 * CENSUS_TEST_FAULT_RECEIVER (tests/http/http.cmake, tests/support/span_exporter_tests.cmake).
 * It defines, static to the including file:
 *   receiver              the running receiver (receiver.url_base: "http://127.0.0.1:<port>");
 *   start_receiver(s)     starts it with `--script s` (s NULL: no script, every answer 200) and
 *                         fails the test if it does not start;
 *   teardown              a cmocka teardown that stops it (if started) and removes its files.
 * Not thread-safe: call from the test's main thread.
 */
#ifndef CENSUS_TESTS_HTTP_FAULT_RECEIVER_FIXTURE_H
#define CENSUS_TESTS_HTTP_FAULT_RECEIVER_FIXTURE_H

#include "fault_receiver.h"

static fault_receiver receiver;
static bool receiver_up;

static void start_receiver(const char *script) {
  const char *args[] = {"--script", script, NULL};
  receiver_up = fault_receiver_start(&receiver, CENSUS_TEST_NODE, CENSUS_TEST_FAULT_RECEIVER,
                                     script != NULL ? args : NULL);
  assert_true(receiver_up);
}

static int teardown(void **state) {
  (void)state;
  if (receiver_up) {
    fault_receiver_stop(&receiver);
    receiver_up = false;
  }
  return 0;
}

#endif
