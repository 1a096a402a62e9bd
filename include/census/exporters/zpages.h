/* census/exporters/zpages.h - zPages: live pages a person can look at, served by the process
 * itself (OpenCensus's zPages): what census sees right now, when the backend is unreachable or
 * the question is "is this process even recording?".
 *
 *   <prefix>/          overview: census version, resource, export interval, every exporter with
 *                      its delivered/rejected/dropped counters and last error, the self-metrics,
 *                      the configuration in force (secrets masked)
 *   <prefix>/tracez    per span name: running spans, ended spans per latency bucket (0-10 us,
 *                      10-100 us, ... >100 s), errors; click through to sample spans (attributes,
 *                      events, links, status) and to the running ones
 *   <prefix>/statsz    every registered view with its rows, live, and a small chart: a
 *                      distribution's buckets as bars, other views as a sparkline of their total
 *                      over the last minutes
 *   <prefix>/overview.json, /tracez.json, /statsz.json   the same data for scripts
 * The prefix is "/zpages". Pages are read-only (GET and HEAD), need no external asset (they work
 * offline: inline CSS and SVG, no script), escape everything that comes from names, attributes
 * and tag values, and are served on loopback by default.
 *
 * Serving: on a running Prometheus exporter's server (options.prometheus: one port for /metrics
 * and the pages, e.g. http://127.0.0.1:9464/zpages/), or on a server of their own
 * (127.0.0.1:9465 by default). Memory is bounded whatever the span rate: span samples live in
 * fixed-size rings per span name and bucket, with a fixed number of names, each sample cut to a
 * byte budget; the view history is a fixed number of points per view (docs/exporters/zpages.md
 * gives the bound).
 *
 * Link with census_zpages (pkg-config census_zpages; CMake: find_package(census COMPONENTS
 * zpages), target census::census_zpages), which needs census_prometheus and libmicrohttpd.
 */
#ifndef CENSUS_EXPORTERS_ZPAGES_H
#define CENSUS_EXPORTERS_ZPAGES_H

#include <stddef.h>
#include <stdint.h>

#include "census/exporters/prometheus.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_ZPAGES_DEFAULT_PORT 9465
#define CENSUS_ZPAGES_DEFAULT_PREFIX "/zpages"

/* Options of the zPages. Initialise with CENSUS_ZPAGES_OPTIONS_INIT; 0 or NULL is the default
 * everywhere. Strings are copied. */
typedef struct census_zpages_options {
  size_t size; /* sizeof(census_zpages_options), set by the INIT macro */
  /* Serve on this running Prometheus exporter's server (borrowed: stop the zPages before it).
   * NULL: start a server of their own on address:port. */
  census_prometheus_exporter *prometheus;
  const char *address; /* own server: numeric IPv4 or IPv6; NULL: "127.0.0.1" (loopback) */
  uint16_t port;       /* own server: 0 means CENSUS_ZPAGES_DEFAULT_PORT */
  int any_port;        /* own server: non-zero lets the kernel choose (tests) */
  const char *prefix;  /* where the pages live; NULL: "/zpages" */
  /* Non-zero: spans the sampler refuses are recorded for tracez too (never exported; they cost
   * what a sampled span costs), so the pages count every span, not only the sampled ones. */
  int record_unsampled;
  unsigned max_span_names;     /* span names tracked; later names count under "(other names)";
                                  0: 128 */
  unsigned samples_per_bucket; /* sample spans kept per name and latency bucket, and of errors;
                                  0: 4 */
  unsigned running_samples;    /* running spans shown per name (all are counted); 0: 16 */
  size_t sample_max_bytes;     /* a sample span's budget (attributes, events and links beyond it
                                  are cut and counted); 0: 4096 */
  int64_t sample_interval_ms;  /* once a bucket's ring is full, at most one new sample per bucket
                                  per this many ms; 0: 1000 */
  int64_t history_interval_ms; /* statsz sparklines: one point per view every this many ms;
                                  0: 5000 */
  unsigned history_points;     /* points kept per view; 0: 120 (10 minutes at 5 s) */
  unsigned max_history_views;  /* views with a history; 0: 256 */
} census_zpages_options;

#define CENSUS_ZPAGES_OPTIONS_INIT                                                                 \
  { .size = sizeof(census_zpages_options) }

/* Running zPages. Thread-safety: the functions below are thread-safe;
 * census_zpages_exporter_stop() must be the last call on a handle. */
typedef struct census_zpages_exporter census_zpages_exporter;

/* What the zPages did and hold; each count is exact at the time of the call. */
typedef struct census_zpages_stats {
  uint64_t pages_served;      /* pages and JSON documents answered (200) */
  uint64_t requests_refused;  /* unknown pages (404) and requests while stopping (503) */
  uint64_t spans_started;     /* recording spans seen starting */
  uint64_t spans_ended;       /* recording spans seen ending (counted in a bucket or as errors) */
  uint64_t span_names;        /* names tracked (at most max_span_names) */
  uint64_t spans_other_names; /* spans that ended under "(other names)" (table full), once each */
  uint64_t samples_taken;     /* sample spans copied (each replaces the oldest of its ring) */
  uint64_t samples_cut;       /* samples whose attributes, events or links were cut to fit */
  uint64_t samples_held;      /* sample spans held now */
  uint64_t bytes_held;        /* bytes held now by samples, names and the view history */
  uint64_t bytes_bound;       /* what bytes_held can never exceed with these options */
} census_zpages_stats;

/* Starts the zPages with `options` (NULL: all defaults; copied): registers a span observer (the
 * running spans and latency buckets of tracez; census_span_observer_register()), starts the
 * history thread of statsz, and serves the pages on options->prometheus's server or on a server
 * of their own. Also registers with census as a stats exporter (whose export does nothing) so
 * that census_shutdown() stops them, and in the exporter status registry. On success *exporter
 * receives the handle. Errors: CENSUS_EINVAL (NULL exporter, a bad prefix or address, options
 * not initialised with CENSUS_ZPAGES_OPTIONS_INIT), CENSUS_EDUPLICATE (the prefix is served on
 * that Prometheus server already), CENSUS_ELIMIT (4 span observers are registered),
 * CENSUS_ENOMEM, CENSUS_ESYSTEM (a thread could not start, or the address cannot be listened on:
 * errno set, reported), CENSUS_ESHUTDOWN; *exporter is then NULL. Thread-safe. */
CENSUS_EXPORT census_status census_zpages_exporter_start(const census_zpages_options *options,
                                                         census_zpages_exporter **exporter);

/* Copies the counters into *stats. CENSUS_EINVAL for NULL arguments. The handle is only read;
 * valid until census_zpages_exporter_stop(), also after census_shutdown(). Thread-safe. */
CENSUS_EXPORT census_status census_zpages_exporter_stats(census_zpages_exporter *exporter,
                                                         census_zpages_stats *stats);

/* The port the pages are served on (the Prometheus server's when attached to one), 0 once
 * stopped (also after census_shutdown()) or for NULL. The handle is only read. Thread-safe. */
CENSUS_EXPORT uint16_t census_zpages_exporter_port(const census_zpages_exporter *exporter);

/* Stops serving the pages (waiting for a page in progress), unregisters the span observer, stops
 * the history thread and frees the handle and everything it held. After census_shutdown()
 * (which stopped them and kept the handle valid) it only frees. Returns CENSUS_OK, CENSUS_EINVAL
 * for NULL, or CENSUS_ETIMEDOUT when census could not take its registration out within
 * timeout_ms (an export held census's collection lock; the small handle then stays allocated for
 * census's later shutdown call). Call it exactly once per handle, before stopping the Prometheus
 * exporter it is attached to. Blocking; not from a page or exporter callback. */
CENSUS_EXPORT census_status census_zpages_exporter_stop(census_zpages_exporter *exporter,
                                                        int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
