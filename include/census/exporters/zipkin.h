/* census/exporters/zipkin.h - a push exporter of spans to Zipkin: Zipkin v2 JSON spans POSTed to
 * /api/v2/spans (the endpoint of a Zipkin server, or of any collector with a Zipkin receiver).
 *
 * Mapping (docs/exporters/zipkin.md) follows the OpenTelemetry "Zipkin exporter" transformation:
 * ids as lowercase hex, start and duration in microseconds (duration at least 1), span kind
 * (INTERNAL omitted), attributes as string tags, events as annotations, status as the tags
 * otel.status_code and error, otel.scope.name "census", and the local endpoint's serviceName from
 * the service name (option, else OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES service.name, else
 * "unknown_service:<executable>").
 *
 * Delivery: census's export worker hands each batch of ended spans to the exporter, which encodes
 * it and queues it on its own sending thread, so a slow or dead Zipkin never blocks recording
 * or other exporters. 2xx answers are delivered; 429, 5xx and transport failures are retried with
 * exponential backoff within a per-request budget; other answers fail the request, whose spans are
 * counted as dropped and reported through census_diagnostics_report(). census_flush() (and the
 * flush at exit) waits for queued requests, within its timeout.
 *
 * Link with the census_zipkin library (installed as libcensus_zipkin, pkg-config census_zipkin;
 * CMake: find_package(census COMPONENTS zipkin), targets census::census_zipkin /
 * census::census_zipkin_static), which needs libcurl and zlib; the core library does not.
 */
#ifndef CENSUS_EXPORTERS_ZIPKIN_H
#define CENSUS_EXPORTERS_ZIPKIN_H

#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The endpoint used when neither the options nor OTEL_EXPORTER_ZIPKIN_ENDPOINT give one. */
#define CENSUS_ZIPKIN_DEFAULT_ENDPOINT "http://localhost:9411/api/v2/spans"

/* Options. Initialise with CENSUS_ZIPKIN_OPTIONS_INIT, then set what differs from the defaults;
 * `size` lets the struct grow (the library reads only the fields a program was compiled with).
 * Strings are copied. */
typedef struct census_zipkin_options {
  size_t size;                /* sizeof(census_zipkin_options), set by the INIT macro */
  const char *endpoint;       /* full URL; NULL: OTEL_EXPORTER_ZIPKIN_ENDPOINT, else the default */
  const char *service_name;   /* localEndpoint.serviceName; NULL: the resource's service.name */
  const char *local_ipv4;     /* localEndpoint.ipv4, dotted quad; NULL: omitted */
  const char *local_ipv6;     /* localEndpoint.ipv6; NULL: omitted */
  uint16_t local_port;        /* localEndpoint.port; 0: omitted */
  int64_t timeout_ms;         /* per HTTP attempt; 0: OTEL_EXPORTER_ZIPKIN_TIMEOUT, else 10000 */
  int64_t initial_backoff_ms; /* first retry delay; 0: 1000 */
  int64_t max_backoff_ms;     /* largest retry delay; 0: 30000 */
  int64_t max_elapsed_ms;     /* retry budget per request from its first attempt; 0: 60000 */
  size_t max_queued;          /* requests waiting to be sent; 0: 64 (oldest dropped beyond) */
  size_t max_spans_per_request; /* spans in one POST; 0: 512 */
  /* Persistent spool (docs/exporters/http-delivery.md, "Spool"): a directory (must exist) where
   * requests that the exit or shutdown deadline, or a full queue, would drop are kept for the
   * next start of the same service, which delivers them first. NULL: CENSUS_SPOOL_DIR, else no
   * spool. A directory that cannot be used makes the start fail with CENSUS_ECONFIG. */
  const char *spool_dir;
  uint64_t spool_max_bytes; /* bound; 0: CENSUS_SPOOL_MAX_BYTES, else 64 MiB */
} census_zipkin_options;

#define CENSUS_ZIPKIN_OPTIONS_INIT                                                                 \
  { .size = sizeof(census_zipkin_options) }

/* A running exporter. Thread-safety: the functions below are thread-safe. */
typedef struct census_zipkin_exporter census_zipkin_exporter;

/* Delivery counters since start; each is exact. */
typedef struct census_zipkin_stats {
  uint64_t spans_delivered;     /* in requests Zipkin accepted */
  uint64_t spans_dropped;       /* queue full, retry budget spent, refused (4xx), shutdown, exit
                                   deadline, OOM */
  uint64_t requests_delivered;  /* POSTs answered 2xx */
  uint64_t requests_dropped;    /* POSTs behind spans_dropped */
  uint64_t attempts;            /* HTTP attempts, including retries */
  uint64_t retries;             /* attempts after the first of a request */
  uint64_t requests_spooled;    /* kept in the spool for the next start instead of dropped */
  uint64_t spans_spooled;       /* spans behind requests_spooled */
  uint64_t requests_from_spool; /* spooled earlier, delivered now (in requests_delivered too) */
  uint64_t spans_from_spool;    /* spans behind requests_from_spool */
} census_zipkin_stats;

/* Starts the exporter: builds the resource, starts the sending thread and registers a census
 * span exporter (census_span_exporter_register()), so that sampled spans ending from now on are
 * exported. `options` may be NULL (all defaults); it and its strings are copied. On success
 * *exporter receives the handle. Errors: CENSUS_EINVAL (NULL exporter, an options.endpoint that is
 * not an http(s) URL with a host, options not initialised with CENSUS_ZIPKIN_OPTIONS_INIT),
 * CENSUS_ENOMEM, CENSUS_ESYSTEM (thread or libcurl start-up), CENSUS_ESHUTDOWN (after
 * census_shutdown()); *exporter is then NULL and a diagnostic names the problem. Malformed
 * environment variables are reported and ignored. Thread-safe; does not touch the network. */
CENSUS_EXPORT census_status census_zipkin_exporter_start(const census_zipkin_options *options,
                                                         census_zipkin_exporter **exporter);

/* Copies the delivery counters into *stats. Valid from start until census_zipkin_exporter_stop(),
 * including after census_shutdown() stopped the exporter: the counters are then final (what the
 * shutdown deadline dropped included). CENSUS_EINVAL for NULL arguments. Thread-safe; never
 * blocks on the network. */
CENSUS_EXPORT census_status census_zipkin_exporter_stats(census_zipkin_exporter *exporter,
                                                         census_zipkin_stats *stats);

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
CENSUS_EXPORT census_status census_zipkin_exporter_stop(census_zipkin_exporter *exporter,
                                                        int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
