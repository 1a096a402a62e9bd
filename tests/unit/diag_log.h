/* diag_log.h - census's diagnostics collected as text, for the unit tests that count what census
 * reported (test_after_shutdown.c, test_http_sender.c, test_http_sender_fork.c, test_http_push.c,
 * test_flush.c, test_spool_exporters.c).
 *
 * Install on_diag with census_diagnostics_set_callback(on_diag, NULL); every line census reports,
 * from any thread, is appended to diag_log as "message\n" (cut when the log is full) and counted
 * in diag_lines. Reads and writes of both take diag_mu. Static (each test file is its own
 * executable, as support.h); none of these functions fails the running test.
 */
#ifndef CENSUS_TESTS_UNIT_DIAG_LOG_H
#define CENSUS_TESTS_UNIT_DIAG_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "census/census.h"

static pthread_mutex_t diag_mu = PTHREAD_MUTEX_INITIALIZER;
static char diag_log[16384];
static int diag_lines;

/* The diagnostics callback. Thread-safe. */
static inline void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  pthread_mutex_lock(&diag_mu);
  size_t used = strlen(diag_log);
  snprintf(diag_log + used, sizeof diag_log - used, "%s\n", message);
  diag_lines++;
  pthread_mutex_unlock(&diag_mu);
}

/* Empties the log and its line count. Thread-safe. */
static inline void diag_reset(void) {
  pthread_mutex_lock(&diag_mu);
  diag_log[0] = '\0';
  diag_lines = 0;
  pthread_mutex_unlock(&diag_mu);
}

/* How many times `needle` occurs in the log (occurrences that do not overlap). Thread-safe. */
static inline int diag_matches(const char *needle) {
  pthread_mutex_lock(&diag_mu);
  int n = 0;
  for (const char *p = diag_log; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
    n++;
  }
  pthread_mutex_unlock(&diag_mu);
  return n;
}

/* Whether `needle` occurs in the log. Thread-safe. */
static inline bool diag_contains(const char *needle) { return diag_matches(needle) > 0; }

#endif
