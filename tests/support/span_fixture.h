/* span_fixture.h - spans made through the public tracing API for the span exporters' tests
 * (Zipkin, Cloud Trace): the unit tests of their encoders (tests/unit/test_*_encode.c) and the
 * drivers their loopback tests run (tests/zipkin/zipkin_driver.c,
 * tests/google_cloud/cloud_trace_driver.c).
 *
 * A driver prints what it recorded as JSON lines on stdout, which the test's checker (node)
 * compares field by field with what the receiver got: one {"event":"span",...} line per span
 * (ids read back with census_span_context()), then {"event":"stats",...} with the exporter's
 * counters and every diagnostic received. span_fixture_make_full() and span_fixture_make_batch()
 * make the two sets of spans both drivers export.
 *
 * Failure: a call the fixture relies on that fails ends the process (exit status 2 to 4, with a
 * message on stderr), which fails the test that runs it. Thread-safety: call from one thread,
 * except that the diagnostics callback may run on any.
 */
#ifndef CENSUS_TESTS_SPAN_FIXTURE_H
#define CENSUS_TESTS_SPAN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "census/census.h"
#include "census/trace.h"

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void span_fixture_hex(const uint8_t *bytes, size_t n, char *out);

/* Starts a span: a child of `parent` if not 0, else of `remote` if not NULL, else a root; at
 * start_ns (0: now). Exits (status 4) if the span is not recording (a sampler that drops it). */
census_span span_fixture_start(const char *name, census_span_kind kind, census_span parent,
                               const census_trace_context *remote, int64_t start_ns);

/* For drivers: collects census diagnostics (printed with the stats) and samples every span. */
void span_fixture_driver_init(void);

/* Makes, describes (one JSON line each) and ends the full-feature spans: a SERVER span whose
 * parent is a remote context with tracestate, attributes of every type, events with and without
 * attributes, a link and an ERROR status; CLIENT (status OK), PRODUCER, CONSUMER and INTERNAL
 * children; and an INTERNAL root named `root_name`. Starts one second ago, 1 µs apart. */
void span_fixture_make_full(const char *root_name);

/* Makes and ends `count` root CLIENT spans "span-<i>" with the int attribute index = i. */
void span_fixture_make_batch(int count);

/* Prints {"event":"stats",...,"diagnostics":"<every diagnostic so far>"}. */
void span_fixture_print_stats(uint64_t spans_delivered, uint64_t spans_dropped,
                              uint64_t requests_delivered, uint64_t requests_dropped,
                              uint64_t attempts, uint64_t retries);

/* The same from an exporter's public stats struct (its fields have these names). */
#define SPAN_FIXTURE_PRINT_STATS(st)                                                               \
  span_fixture_print_stats((st).spans_delivered, (st).spans_dropped, (st).requests_delivered,      \
                           (st).requests_dropped, (st).attempts, (st).retries)

/* Flushes census (up to 20 s), then prints the exporter's stats with print_stats(exporter) and
 * {"event":"flush","status":"<census_flush() result>"}. */
void span_fixture_flush_and_report(void (*print_stats)(void *exporter), void *exporter);

/* Prints {"event":"stop","status":"<stop result>","stats_after":"<the stats call made after
 * census_shutdown(), before the stop>"} (census status names). */
void span_fixture_print_stop(census_status stop_status, census_status stats_after);

#endif
