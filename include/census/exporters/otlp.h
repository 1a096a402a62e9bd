/* census/exporters/otlp.h - a push exporter that sends every registered view and every sampled
 * span to an OpenTelemetry collector (or any OTLP backend) with OTLP over HTTP, in protobuf
 * (application/x-protobuf, the default) or JSON (application/json).
 *
 * Mapping (docs/exporters/otlp.md): Count views are monotonic cumulative Sums of integers, Sum
 * views cumulative Sums (monotonic unless the measure is signed: an up-down counter's), LastValue
 * views Gauges, Distribution views cumulative Histograms with explicit bounds; a view's columns
 * become attributes. Spans keep every field census records (ids, parent, tracestate, kind, times,
 * attributes, events, links, status, dropped counts). The resource has service.name and
 * process/host attributes; the instrumentation scope is "census" with census_version().
 *
 * With protocol CENSUS_OTLP_GRPC (or OTEL_EXPORTER_OTLP_PROTOCOL=grpc) the same protobuf messages
 * go as unary gRPC calls (MetricsService/Export, TraceService/Export) over HTTP/2 with libcurl,
 * to port 4317 by default; gRPC status codes are retried as OTLP specifies (UNAVAILABLE, ...;
 * RESOURCE_EXHAUSTED when the server sends a RetryInfo, whose delay is honoured). No gRPC library
 * is needed.
 *
 * Delivery runs on one background thread per signal: census's export worker only encodes and
 * queues, so a slow or dead backend never blocks it or any recording thread. Failed requests are
 * retried (429/502/503/504 and connection errors) with exponential backoff and jitter, honouring
 * Retry-After, within a retry budget; what must be dropped is counted (census_otlp_exporter_stats)
 * and reported through census_diagnostics_report(), as is a partial success.
 *
 * Configuration: the options below, else the standard environment variables
 * OTEL_EXPORTER_OTLP_{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION,PROTOCOL} and their per-signal
 * OTEL_EXPORTER_OTLP_{METRICS,TRACES}_* forms (per-signal wins over generic; options win over
 * both), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. A malformed variable is reported once
 * (CENSUS_ECONFIG) and its default used.
 *
 * Link with the census_otlp library (installed as libcensus_otlp, pkg-config census_otlp; CMake:
 * find_package(census COMPONENTS otlp), targets census::census_otlp and
 * census::census_otlp_static), which needs libcurl, zlib and jansson.
 */
#ifndef CENSUS_EXPORTERS_OTLP_H
#define CENSUS_EXPORTERS_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default base endpoint (OTLP/HTTP port 4318); /v1/metrics and /v1/traces are appended. */
#define CENSUS_OTLP_DEFAULT_ENDPOINT "http://localhost:4318"
/* The default endpoint of OTLP/gRPC (port 4317); the path of an endpoint is not used: every call
 * goes to /opentelemetry.proto.collector.<signal>.v1.<Service>/Export. */
#define CENSUS_OTLP_DEFAULT_GRPC_ENDPOINT "http://localhost:4317"

typedef enum census_otlp_protocol {
  CENSUS_OTLP_PROTOCOL_DEFAULT = 0, /* environment, else http/protobuf */
  CENSUS_OTLP_HTTP_PROTOBUF = 1,    /* application/x-protobuf */
  CENSUS_OTLP_HTTP_JSON = 2,        /* application/json (OTLP/JSON) */
  CENSUS_OTLP_GRPC = 3,             /* OTLP/gRPC: unary Export calls over HTTP/2 (h2c for
                                       http://, TLS with ALPN for https://), protobuf */
} census_otlp_protocol;

typedef enum census_otlp_compression {
  CENSUS_OTLP_COMPRESSION_DEFAULT = 0, /* environment, else none */
  CENSUS_OTLP_COMPRESSION_NONE = 1,
  CENSUS_OTLP_COMPRESSION_GZIP = 2, /* Content-Encoding: gzip */
} census_otlp_compression;

/* Aggregation temporality of the metrics (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE):
 * with DELTA and LOWMEMORY, Count and Sum views (counters) and Distribution views (histograms) go
 * as deltas, each point the measurements of one export interval; LastValue views are gauges
 * either way. docs/exporters/otlp.md ("Delta temporality") says how a failed, retried, replaced
 * or spooled request never counts an interval twice. */
typedef enum census_otlp_temporality {
  CENSUS_OTLP_TEMPORALITY_DEFAULT = 0,    /* environment, else cumulative */
  CENSUS_OTLP_TEMPORALITY_CUMULATIVE = 1, /* every point since the view's start */
  CENSUS_OTLP_TEMPORALITY_DELTA = 2,      /* counters and histograms as deltas */
  CENSUS_OTLP_TEMPORALITY_LOWMEMORY = 3,  /* the same for census's views (see the docs) */
} census_otlp_temporality;

/* Which signals to export (bitmask); 0 means both. */
#define CENSUS_OTLP_SIGNAL_METRICS 0x1u
#define CENSUS_OTLP_SIGNAL_TRACES 0x2u

/* Exporter options. Initialise with CENSUS_OTLP_OPTIONS_INIT, then set what differs; zero/NULL
 * fields take the value of the environment, else the default given. `size` lets the struct grow
 * (the library reads only the fields a program was compiled with). Strings and arrays are
 * copied. */
typedef struct census_otlp_options {
  size_t size;                  /* sizeof(census_otlp_options), set by the INIT macro */
  const char *endpoint;         /* base URL; /v1/metrics, /v1/traces appended. NULL:
                                   OTEL_EXPORTER_OTLP_ENDPOINT, else the default above */
  const char *metrics_endpoint; /* full URL used as-is; NULL: from endpoint (or
                                   OTEL_EXPORTER_OTLP_METRICS_ENDPOINT if no endpoint option) */
  const char *traces_endpoint;  /* likewise for traces */
  census_otlp_protocol protocol;
  const census_kv *headers; /* {name, value} added to every request (e.g. an API key); the same
                               name in the environment's headers is replaced. May be NULL */
  size_t header_count;
  int64_t timeout_ms; /* per HTTP attempt; 0: OTEL_..._TIMEOUT, else 10000 */
  census_otlp_compression compression;
  const char *service_name;             /* service.name; NULL: OTEL_SERVICE_NAME, else
                                           "unknown_service:<executable>" */
  const census_kv *resource_attributes; /* string attributes (override
                                           OTEL_RESOURCE_ATTRIBUTES); may be NULL */
  size_t resource_attribute_count;
  unsigned signals;             /* CENSUS_OTLP_SIGNAL_* bits; 0: metrics and traces */
  int64_t initial_backoff_ms;   /* first retry delay before jitter; 0: 1000 */
  int64_t max_backoff_ms;       /* cap of the delay between retries; 0: 30000 */
  int64_t max_elapsed_ms;       /* retry budget of one request from its first attempt; 0: 60000 */
  size_t max_queued_requests;   /* requests waiting per signal beyond the one in flight; 0: 64 */
  size_t max_spans_per_request; /* spans per trace request; 0: 512 */
  /* Persistent spool (docs/exporters/http-delivery.md, "Spool"): a directory (must exist) where
   * requests that the exit or shutdown deadline, or a full queue, would drop are kept for the
   * next start of the same service, which delivers them first. NULL: CENSUS_SPOOL_DIR, else no
   * spool. A directory that cannot be used makes the start fail with CENSUS_ECONFIG. */
  const char *spool_dir;
  uint64_t spool_max_bytes; /* bound per signal; 0: CENSUS_SPOOL_MAX_BYTES, else 64 MiB */
  /* Metrics temporality; 0: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, else
   * cumulative. */
  census_otlp_temporality temporality;
} census_otlp_options;

#define CENSUS_OTLP_OPTIONS_INIT                                                                   \
  { .size = sizeof(census_otlp_options) }

/* A running exporter. Thread-safety: all functions are thread-safe; census_otlp_exporter_stop()
 * must be the last call on a handle. */
typedef struct census_otlp_exporter census_otlp_exporter;

/* Delivery counters of one signal since the exporter started; each is exact. "items" are data
 * points (metrics) or spans (traces). */
typedef struct census_otlp_signal_stats {
  uint64_t requests_delivered;  /* requests the backend accepted (fully or partially) */
  uint64_t attempts;            /* HTTP attempts, retries included */
  uint64_t retries;             /* attempts after the first of a request */
  uint64_t items_delivered;     /* items accepted by the backend */
  uint64_t items_rejected;      /* items the backend refused in a partial success */
  uint64_t items_dropped;       /* items we dropped: queue full, retry budget spent, permanent
                                   failure (e.g. HTTP 400), shutdown deadline, exit deadline
                                   (what the flush at exit or on a signal could not deliver),
                                   encoding out of memory */
  uint64_t requests_superseded; /* metric snapshots replaced by a newer one (nothing lost: each
                                   snapshot holds all earlier totals) */
  uint64_t requests_dropped;    /* requests behind items_dropped */
  uint64_t requests_spooled;    /* kept in the spool instead of dropped (exit or shutdown
                                   deadline, full queue), for the next start */
  uint64_t items_spooled;       /* items behind requests_spooled */
  uint64_t requests_from_spool; /* spooled by an earlier process, delivered by this one (also
                                   counted in requests_delivered / items_delivered) */
  uint64_t items_from_spool;    /* items behind requests_from_spool */
} census_otlp_signal_stats;

typedef struct census_otlp_stats {
  census_otlp_signal_stats metrics;
  census_otlp_signal_stats traces;
} census_otlp_stats;

/* Starts an exporter: builds the configuration (options, then environment), starts the delivery
 * thread of each signal and registers a stats exporter (census_stats_exporter_register) and/or a
 * span exporter (census_span_exporter_register) with census. `options` may be NULL (all
 * defaults); it is copied. On success *out receives the handle (stop it with
 * census_otlp_exporter_stop()). Errors: CENSUS_EINVAL (NULL out, malformed option such as an
 * unknown protocol or an endpoint that is not an http(s):// URL with a host; a bad endpoint is
 * also reported through diagnostics, naming the option and what to write; options not
 * initialised with CENSUS_OTLP_OPTIONS_INIT, also reported), CENSUS_ENOMEM,
 * CENSUS_ESYSTEM (thread or libcurl initialisation), CENSUS_ESHUTDOWN (after census_shutdown());
 * *out is then NULL and nothing stays registered. Malformed environment variables are not errors:
 * each is reported once and its default used. Thread-safe. */
CENSUS_EXPORT census_status census_otlp_exporter_start(const census_otlp_options *options,
                                                       census_otlp_exporter **out);

/* Copies the delivery counters into *stats (zeros for a signal that is not exported). Counters
 * stay readable after census_shutdown() stopped the exporter, and after the flush at exit (from
 * an atexit handler registered before census started). In a fork() child they count the child's
 * requests only (they start at zero), and the child's requests carry its own process.pid.
 * CENSUS_EINVAL for NULL arguments. Thread-safe; never blocks on the network. */
CENSUS_EXPORT census_status census_otlp_exporter_stats(census_otlp_exporter *exporter,
                                                       census_otlp_stats *stats);

/* Stops the exporter and frees the handle: unregisters it from census (which makes a final
 * export of every view and of the queued spans), waits until everything queued is delivered or
 * timeout_ms has passed, and then drops (counting and reporting) what is left. Blocks up to about
 * timeout_ms in total. If census_shutdown() already stopped the exporter (its shutdown callbacks
 * did the same work within census_shutdown's deadline), this only frees the handle. Returns the
 * outcome of that final delivery: CENSUS_OK when nothing was dropped or rejected,
 * CENSUS_ETIMEDOUT when the deadline cut it short (for either signal), CENSUS_EEXPORT when data
 * were dropped or rejected during the exporter's life; CENSUS_ETIMEDOUT wins when both apply;
 * CENSUS_EEXPORT also when census's final export to it could not be made (out of memory: what
 * census held stays with census, for the other exporters and the next collection);
 * CENSUS_EINVAL for NULL. Must not be called from an
 * exporter callback; the handle is invalid afterwards (calling it twice is undefined, like
 * free() twice). Thread-safe against the other functions on other handles. */
CENSUS_EXPORT census_status census_otlp_exporter_stop(census_otlp_exporter *exporter,
                                                      int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
