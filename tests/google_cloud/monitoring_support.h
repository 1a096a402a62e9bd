/* monitoring_support.h - what the Cloud Monitoring test programs (monitoring_app.c,
 * monitoring_drops_app.c, monitoring_limits_app.c) share. Single-threaded test code: every
 * function exits the process with status 1 when a census call it relies on fails.
 */
#ifndef CENSUS_TESTS_MONITORING_SUPPORT_H
#define CENSUS_TESTS_MONITORING_SUPPORT_H

#include "census/census.h"
#include "census/stats.h"

/* Installs a diagnostics callback that prints "diagnostic: <status name>: <message>" on stderr. */
void mon_diagnostics_to_stderr(void);

/* Sleeps `ms` milliseconds. */
void mon_sleep_ms(long ms);

/* Exits with status 1, printing "<what>: <status name>" on stderr, unless st is CENSUS_OK. */
void mon_check(census_status st, const char *what);

/* Registers view `name` ("test view") over m with column key (NULL: no column) and aggregation
 * agg, which it frees. */
void mon_view(const char *name, const census_measure *m, const census_tag_key *key,
              census_aggregation *agg);

#endif
