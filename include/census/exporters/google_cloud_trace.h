/* census/exporters/google_cloud_trace.h - a push exporter of spans to Google Cloud Trace (API v2,
 * projects.traces.batchWrite, REST JSON).
 *
 * Mapping (docs/exporters/google-cloud-trace.md): each span becomes a
 * google.devtools.cloudtrace.v2.Span named projects/<project>/traces/<trace id>/spans/<span id>,
 * with displayName, start/end times (RFC 3339), attributes (string, int, bool; doubles as
 * strings) plus the agent attribute "g.co/agent" = "census-c <version>", events as annotations,
 * links, status, span kind, parentSpanId and sameProcessAsParentSpan (false when the parent is a
 * remote context). Cloud Trace's limits are applied before sending: displayName 128 bytes,
 * attribute keys 128 bytes, string values 256 bytes (truncated at a UTF-8 boundary, counted in
 * truncatedByteCount), 32 attributes per span / annotation, 32 annotations, 128 links (beyond:
 * dropped and counted in the dropped* fields).
 *
 * Authentication: an OAuth2 access token from, in order, the access_token option, a service
 * account key file (credentials_file, else GOOGLE_APPLICATION_CREDENTIALS), or the GCE/GKE
 * metadata server; tokens are cached and refreshed, and a 401 answer makes the exporter fetch a
 * new one before retrying.
 *
 * Delivery: the export worker hands each batch of ended spans to the exporter, which encodes it
 * and queues it on its own sending thread (never blocking recording or other exporters). 2xx is
 * delivered; 401, 429, 500, 503, 504 and transport failures are retried with exponential backoff
 * within a per-request budget; other answers drop the request's spans, counted and reported with
 * Google's error status and message. census_flush() (and the flush at exit) waits for queued
 * requests within its timeout.
 *
 * Link with census_google_cloud (installed as libcensus_google_cloud, pkg-config
 * census_google_cloud; CMake: find_package(census COMPONENTS google_cloud), targets
 * census::census_google_cloud / census::census_google_cloud_static), which needs libcurl, zlib,
 * OpenSSL and jansson.
 */
#ifndef CENSUS_EXPORTERS_GOOGLE_CLOUD_TRACE_H
#define CENSUS_EXPORTERS_GOOGLE_CLOUD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_GOOGLE_TRACE_DEFAULT_ENDPOINT "https://cloudtrace.googleapis.com"

/* Options. Initialise with CENSUS_GOOGLE_TRACE_OPTIONS_INIT, then set what differs from the
 * defaults; `size` lets the struct grow (the library reads only the fields a program was compiled
 * with). Strings are copied. */
typedef struct census_google_trace_options {
  size_t size;            /* sizeof(census_google_trace_options), set by the INIT macro */
  const char *project_id; /* NULL: the key file's project_id, else GOOGLE_CLOUD_PROJECT, else the
                             metadata server's project-id when it also gives the tokens */
  const char *credentials_file; /* service-account JSON; NULL: GOOGLE_APPLICATION_CREDENTIALS */
  const char *access_token;     /* a token used as-is (never refreshed); NULL: use credentials */
  const char *trace_endpoint;   /* scheme://host[:port] of the API; NULL: the default above */
  const char *token_endpoint;   /* OAuth2 token URL; NULL: the key file's token_uri */
  const char *metadata_host;    /* "host[:port]"; NULL: GCE_METADATA_HOST, else
                                   metadata.google.internal */
  int64_t timeout_ms;           /* per HTTP attempt (and token request); 0: 10000 */
  int64_t initial_backoff_ms;   /* first retry delay; 0: 1000 */
  int64_t max_backoff_ms;       /* largest retry delay; 0: 30000 */
  int64_t max_elapsed_ms;       /* retry budget per request from its first attempt; 0: 60000 */
  size_t max_queued;            /* requests waiting to be sent; 0: 64 (oldest dropped beyond) */
  size_t max_spans_per_request; /* spans in one batchWrite; 0: 512 */
  int gzip; /* non-zero: gzip-compress request bodies (Content-Encoding: gzip) */
  /* Persistent spool (docs/exporters/http-delivery.md, "Spool"): a directory (must exist) where
   * requests that the exit or shutdown deadline, or a full queue, would drop are kept for the
   * next start of the same service, which delivers them first. NULL: CENSUS_SPOOL_DIR, else no
   * spool. A directory that cannot be used makes the start fail with CENSUS_ECONFIG. */
  const char *spool_dir;
  uint64_t spool_max_bytes; /* bound; 0: CENSUS_SPOOL_MAX_BYTES, else 64 MiB */
} census_google_trace_options;

#define CENSUS_GOOGLE_TRACE_OPTIONS_INIT                                                           \
  { .size = sizeof(census_google_trace_options) }

/* A running exporter. Thread-safety: the functions below are thread-safe. */
typedef struct census_google_trace_exporter census_google_trace_exporter;

/* Delivery counters since start; each is exact. */
typedef struct census_google_trace_stats {
  uint64_t spans_delivered;     /* in requests Cloud Trace accepted */
  uint64_t spans_dropped;       /* queue full, retry budget spent, refused, shutdown, exit
                                   deadline, OOM */
  uint64_t requests_delivered;  /* batchWrite calls answered 2xx */
  uint64_t requests_dropped;    /* calls behind spans_dropped */
  uint64_t attempts;            /* HTTP attempts, including retries */
  uint64_t retries;             /* attempts after the first of a request */
  uint64_t requests_spooled;    /* kept in the spool for the next start instead of dropped */
  uint64_t spans_spooled;       /* spans behind requests_spooled */
  uint64_t requests_from_spool; /* spooled earlier, delivered now (in requests_delivered too) */
  uint64_t spans_from_spool;    /* spans behind requests_from_spool */
} census_google_trace_stats;

/* Starts the exporter: resolves the project, prepares the token source (a bad key file is
 * reported now), starts the sending thread and registers a census span exporter, so that sampled
 * spans ending from now on are exported. `options` may be NULL; it and its strings are copied.
 * On success *exporter receives the handle. Errors: CENSUS_EINVAL (NULL exporter, a
 * trace_endpoint that is not an http(s) URL with a host, options not initialised with
 * CENSUS_GOOGLE_TRACE_OPTIONS_INIT), CENSUS_ECONFIG (no project id could be
 * found, unreadable or invalid key file, a token_endpoint that is not an http(s) URL),
 * CENSUS_ENOMEM, CENSUS_ESYSTEM, CENSUS_ESHUTDOWN; *exporter is then NULL and a diagnostic
 * says why. May block up to 1 s asking the metadata server for the project id when no other
 * source gives one; fetches no token. Thread-safe. */
CENSUS_EXPORT census_status census_google_trace_exporter_start(
    const census_google_trace_options *options, census_google_trace_exporter **exporter);

/* Copies the delivery counters into *stats. Valid from start until
 * census_google_trace_exporter_stop(), including after census_shutdown() stopped the exporter:
 * the counters are then final (what the shutdown deadline dropped included). CENSUS_EINVAL for
 * NULL arguments. Thread-safe; non-blocking. */
CENSUS_EXPORT census_status census_google_trace_exporter_stats(
    census_google_trace_exporter *exporter, census_google_trace_stats *stats);

/* Stops the exporter and frees the handle: unregisters it from census (which makes a final
 * export of what it still holds), waits up to timeout_ms for the queued requests to be delivered,
 * then drops (counting and reporting) or spools what is left. If census_shutdown() already
 * stopped the exporter (the same work within its deadline, keeping the handle valid), this only
 * frees the handle. Returns the outcome of that final delivery, whichever ran it (the same rule
 * for every push exporter): CENSUS_OK when nothing was dropped or rejected, CENSUS_ETIMEDOUT when
 * the deadline cut it short, CENSUS_EEXPORT when items were dropped or rejected during the
 * exporter's life (its counters say which); CENSUS_ETIMEDOUT wins;
 * CENSUS_EEXPORT also when census's final export to it could not be made (out of memory: what
 * census held stays with census, for the other exporters and the next collection);
 * CENSUS_EINVAL for NULL. If
 * census cannot take the exporter out within timeout_ms (an export holds its collection lock),
 * the exporter stops exporting, CENSUS_ETIMEDOUT is returned, and its small handle stays
 * allocated until census_shutdown() releases it. Call it exactly once per handle: a second call is
 * undefined, like free() twice. Blocking (bounded by timeout_ms); not from an exporter callback;
 * not concurrently with census_shutdown() or another call on the handle (not thread-safe with
 * them). */
CENSUS_EXPORT census_status
census_google_trace_exporter_stop(census_google_trace_exporter *exporter, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
