/* census/exporters/prometheus.h - a pull exporter: every registered view as Prometheus text
 * (format 0.0.4) or OpenMetrics 1.0 text, served on /metrics by an embedded HTTP server
 * (libmicrohttpd), or rendered into a buffer for applications that run their own HTTP server.
 *
 * Mapping (docs/exporters/prometheus.md): Count and Sum views are counters, LastValue views
 * gauges, Distribution views histograms; a view's columns are its labels. Names are sanitised to
 * what Prometheus accepts and carry the measure's unit as a suffix (OpenTelemetry's Prometheus
 * compatibility rules; a Count view has unit 1), counters end in _total. No view name, unit,
 * label or value can make the text unparsable: names that would collide or be empty are renamed
 * deterministically and the renames reported once to the diagnostics callback. Every scrape
 * reads one consistent snapshot of all views (census_view_data_get_all()), which never blocks
 * recording threads.
 *
 * Link with the census_prometheus library (installed as libcensus_prometheus, pkg-config
 * census_prometheus; CMake: find_package(census COMPONENTS prometheus), targets
 * census::census_prometheus and census::census_prometheus_static), which needs
 * libmicrohttpd (-lmicrohttpd); the core library does not.
 */
#ifndef CENSUS_EXPORTERS_PROMETHEUS_H
#define CENSUS_EXPORTERS_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default listening address and port (OpenTelemetry's OTEL_EXPORTER_PROMETHEUS_PORT). */
#define CENSUS_PROMETHEUS_DEFAULT_ADDRESS "127.0.0.1"
#define CENSUS_PROMETHEUS_DEFAULT_PORT 9464

/* The exposition formats. */
typedef enum census_prometheus_format {
  CENSUS_PROMETHEUS_TEXT = 0,        /* text/plain; version=0.0.4 */
  CENSUS_PROMETHEUS_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 */
} census_prometheus_format;

/* A constant label added to every sample (e.g. service="checkout"). Both strings are copied by
 * the functions that take options. */
typedef struct census_prometheus_label {
  const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", not "le", "quantile" or
                        "otel_metric_overflow" */
  const char *value; /* any UTF-8 (invalid bytes are sent as U+FFFD), may be "" */
} census_prometheus_label;

/* Options of the renderer and of the server. Zero-initialise, then set what differs from the
 * defaults; the renderer ignores the server fields. Strings and arrays are copied. */
typedef struct census_prometheus_options {
  /* Rendering. */
  const char *name_prefix;                     /* "myapp": names become myapp_<view>; NULL: none */
  const census_prometheus_label *const_labels; /* added to every sample; may be NULL */
  size_t const_label_count;
  census_prometheus_format format; /* census_prometheus_render() only; the server negotiates */
  /* Non-zero: convert to Prometheus's base units, as its naming rules recommend: ms, us, ns,
   * min, h, d become seconds; kBy, MBy, GBy, TBy, KiBy, MiBy, GiBy, TiBy become bytes. Values,
   * sums and bucket bounds are scaled to match (1500 ms is exported as 1.5 seconds). 0 (the
   * default) keeps the measure's unit (OpenTelemetry's naming: _milliseconds). */
  int base_units;

  /* Server. */
  const char *address;      /* numeric IPv4/IPv6 address; NULL: "127.0.0.1" (loopback only) */
  uint16_t port;            /* 0: CENSUS_PROMETHEUS_DEFAULT_PORT */
  int any_port;             /* non-zero: let the kernel choose a free port (tests) */
  unsigned max_connections; /* concurrent connections; 0: 32 */
  size_t connection_memory; /* bytes per connection (request headers); 0: 32768 */
  unsigned timeout_s;       /* an idle or slow connection is closed after this; 0: 10 */
  int register_no_exporter; /* non-zero: census_shutdown() does not stop the server */
} census_prometheus_options;

/* Renders every registered view, collected now as one consistent snapshot, into a new
 * NUL-terminated buffer that the caller frees with census_prometheus_text_free(): *text receives
 * it and *length its length (without the NUL). `options` may be NULL (text 0.0.4, no prefix, no
 * constant labels). Errors: CENSUS_EINVAL (NULL text or length, a bad constant label name, an
 * unknown format), CENSUS_ENOMEM, CENSUS_ESHUTDOWN; *text is then NULL. Thread-safe; never
 * blocks recording threads, but waits for a concurrent collection or export to finish. */
CENSUS_EXPORT census_status census_prometheus_render(const census_prometheus_options *options,
                                                     char **text, size_t *length);

/* As census_prometheus_render(), from snapshots the caller already holds (`views[0..count)`,
 * borrowed for the call; e.g. from census_view_data_get_all() or an exporter callback). Uses no
 * census state, so it works after census_shutdown() too. Thread-safe. */
CENSUS_EXPORT census_status census_prometheus_render_views(const census_view_data *const *views,
                                                           size_t count,
                                                           const census_prometheus_options *options,
                                                           char **text, size_t *length);

/* Frees what the render functions returned; NULL is a no-op. Thread-safe (the buffer is the
 * caller's: one call per buffer). */
CENSUS_EXPORT void census_prometheus_text_free(char *text);

/* The format to answer a request with, from its Accept header (may be NULL; only read during the
 * call): OpenMetrics when application/openmetrics-text is acceptable and preferred at least as
 * much as text/plain, otherwise text 0.0.4 (also for NULL or anything it cannot parse). Never
 * fails. Thread-safe. */
CENSUS_EXPORT census_prometheus_format census_prometheus_negotiate(const char *accept);

/* The Content-Type for `format`, e.g. "text/plain; version=0.0.4; charset=utf-8"; an unknown
 * format gives text 0.0.4's. Never fails; returns a static string. Thread-safe. */
CENSUS_EXPORT const char *census_prometheus_format_content_type(census_prometheus_format format);

/* A running /metrics endpoint. Thread-safety: the functions below are thread-safe, except that
 * census_prometheus_server_free() must be the last call on the handle. */
typedef struct census_prometheus_server census_prometheus_server;

/* Starts serving GET and HEAD /metrics on options->address:port (defaults 127.0.0.1:9464) with
 * libmicrohttpd's internal polling thread; other methods get 405 (with Allow), other paths 404,
 * oversized request headers 431, slow clients are cut off after timeout_s. Each scrape takes a
 * snapshot with census_view_data_get_all(): recording threads never wait for it. Unless
 * register_no_exporter is set, the server also registers a stats exporter (whose export does
 * nothing) so that census_shutdown() and census_stats_exporter_unregister(server, ...) stop it.
 * Returns the handle, or NULL with *status (if not NULL) = CENSUS_EINVAL (bad address or constant
 * label), CENSUS_ENOMEM, CENSUS_ESYSTEM (the address is in use or cannot be bound; errno is set,
 * e.g. EADDRINUSE) or CENSUS_ESHUTDOWN (after census_shutdown(): its exporter cannot register;
 * with register_no_exporter, which keeps the server out of census's lifecycle, it starts and
 * answers 503 to scrapes, as census_prometheus_render() gives CENSUS_ESHUTDOWN). A bad address and
 * a failure to listen are also reported through diagnostics in one line naming options.address (and
 * the port and errno name) and what to do. Thread-safe. */
CENSUS_EXPORT census_prometheus_server *
census_prometheus_server_start(const census_prometheus_options *options, census_status *status);

/* The port the server listens on (useful with any_port), or 0 once it is stopped or for NULL.
 * The handle is only read. Thread-safe. */
CENSUS_EXPORT uint16_t census_prometheus_server_port(const census_prometheus_server *server);

/* Stops the server: closes the listening socket and every connection and joins the server
 * thread, waiting for a scrape in progress to finish (rendering takes milliseconds; a scrape
 * waiting for a concurrent export waits for it, up to timeout_ms). Then unregisters its exporter.
 * Idempotent: CENSUS_OK when already stopped (also after census_shutdown()). Blocking; must not
 * be called from an exporter callback. The handle stays the caller's: free it with
 * census_prometheus_server_free(). Thread-safe. CENSUS_EINVAL for NULL. */
CENSUS_EXPORT census_status census_prometheus_server_stop(census_prometheus_server *server,
                                                          int64_t timeout_ms);

/* Stops the server (as census_prometheus_server_stop() with a 5 s limit) and frees the handle.
 * NULL is a no-op. Blocking. */
CENSUS_EXPORT void census_prometheus_server_free(census_prometheus_server *server);

#ifdef __cplusplus
}
#endif
#endif
