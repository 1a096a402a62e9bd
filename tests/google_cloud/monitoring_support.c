/* monitoring_support.c - see monitoring_support.h. */
#include "monitoring_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  fprintf(stderr, "diagnostic: %s: %s\n", census_status_name(status), message);
}

void mon_diagnostics_to_stderr(void) { census_diagnostics_set_callback(on_diag, NULL); }

void mon_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

void mon_check(census_status st, const char *what) {
  if (st != CENSUS_OK) {
    fprintf(stderr, "%s: %s\n", what, census_status_name(st));
    exit(1);
  }
}

void mon_view(const char *name, const census_measure *m, const census_tag_key *key,
              census_aggregation *agg) {
  census_status st;
  const census_tag_key *cols[1] = {key};
  census_view *v = census_view_new(name, "test view", m, cols, key ? 1 : 0, agg, &st);
  mon_check(st, name);
  mon_check(census_view_register(v), name);
  census_view_free(v);
  census_aggregation_free(agg);
}
