/* census/exporters/prometheus.h - a pull exporter: every registered view as Prometheus text
 * (format 0.0.4) or OpenMetrics 1.0 text, served on /metrics by an embedded HTTP server
 * (libmicrohttpd), or rendered into a buffer for applications that run their own HTTP server.
 *
 * Mapping (docs/exporters/prometheus.md): Count and Sum views are counters, LastValue views
 * and Sums of signed measures (up-down counters) gauges, Distribution views histograms; a view's
 * columns are its labels. Names are sanitised to what Prometheus accepts and carry the measure's
 * unit as a suffix (OpenTelemetry's Prometheus compatibility rules; a Count view has unit 1),
 * counters end in _total. No view name, unit, label or value can make the text unparsable: names
 * that would collide or be empty are renamed deterministically and the renames reported once to the
 * diagnostics callback. Every scrape reads one consistent snapshot of all views
 * (census_view_data_get_all()), which never blocks recording threads.
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

#include "census/allocator.h"
#include "census/exporter.h"
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

/* Options of the exporter and of the renderer. Initialise with CENSUS_PROMETHEUS_OPTIONS_INIT,
 * then set what differs from the defaults: `size` lets the struct grow (the library reads only
 * the fields a program was compiled with). The renderer ignores the server fields. Strings and
 * arrays are copied. */
typedef struct census_prometheus_options {
  size_t size; /* sizeof(census_prometheus_options), set by the INIT macro */
  /* Rendering. */
  const char *name_prefix;       /* "myapp": names become myapp_<view>; NULL: none */
  const census_kv *const_labels; /* added to every sample (e.g. {"service", "checkout"}); key:
                                    [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", not "le",
                                    "quantile" or "otel_metric_overflow"; value: any UTF-8
                                    (invalid bytes are sent as U+FFFD). May be NULL */
  size_t const_label_count;
  census_prometheus_format format; /* census_prometheus_render() only; the server negotiates */
  /* Non-zero: convert to Prometheus's base units, as its naming rules recommend: ms, us, ns,
   * min, h, d become seconds; kBy, MBy, GBy, TBy, KiBy, MiBy, GiBy, TiBy become bytes. Values,
   * sums and bucket bounds are scaled to match (1500 ms is exported as 1.5 seconds). 0 (the
   * default) keeps the measure's unit (OpenTelemetry's naming: _milliseconds). */
  int base_units;

  /* Server. */
  const char *address; /* numeric IPv4/IPv6 address; NULL: "127.0.0.1" (loopback only) */
  uint16_t port;       /* 0: CENSUS_PROMETHEUS_DEFAULT_PORT */
  int any_port;        /* non-zero: let the kernel choose a free port (tests) */
  /* Concurrent connections; 0: 32. When all are taken, the one longest in its current request
   * (or idle since its last) is closed for the newcomer. */
  unsigned max_connections;
  size_t connection_memory; /* bytes per connection (request headers); 0: 32768 */
  unsigned timeout_s;       /* an idle or slow connection is closed after this; 0: 10 */
  int register_no_exporter; /* non-zero: census_shutdown() does not stop the server */
  /* Non-zero: do not serve /metrics: the server answers only the routes added with
   * census_prometheus_exporter_add_route() (the zPages' own server). */
  int no_metrics;
  /* Concurrent connections from one client address (within max_connections); 0: 8. Keeps one
   * address (a slowloris, a client leaking connections) from taking every connection. */
  unsigned max_connections_per_ip;
} census_prometheus_options;

#define CENSUS_PROMETHEUS_OPTIONS_INIT                                                             \
  { .size = sizeof(census_prometheus_options) }

/* Renders every registered view, collected now as one consistent snapshot, into a new
 * NUL-terminated buffer that the caller frees with census_prometheus_text_free(): *text receives
 * it and *length its length (without the NUL). For applications that serve /metrics with their
 * own HTTP server (with census_prometheus_negotiate() and census_prometheus_format_content_type()).
 * `options` may be NULL (text 0.0.4, no prefix, no constant labels). Errors: CENSUS_EINVAL (NULL
 * text or length, a bad constant label name, an unknown format, options not initialised with
 * CENSUS_PROMETHEUS_OPTIONS_INIT), CENSUS_ENOMEM, CENSUS_ESHUTDOWN; *text is then NULL.
 * Thread-safe; never blocks recording threads, but waits for a concurrent collection or export to
 * finish. */
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

/* A running /metrics endpoint. Thread-safety: the functions below are thread-safe;
 * census_prometheus_exporter_stop() must be the last call on a handle. */
typedef struct census_prometheus_exporter census_prometheus_exporter;

/* What the endpoint answered since it started; each count is exact. */
typedef struct census_prometheus_stats {
  uint64_t scrapes;          /* GET and HEAD /metrics answered 200 */
  uint64_t scrape_failures;  /* /metrics requests answered 503: census shut down, or the render
                                failed (out of memory) */
  uint64_t requests_refused; /* other paths (404) and methods (405) */
  uint64_t bytes_served;     /* exposition bytes rendered for the 200 answers */
} census_prometheus_stats;

/* Starts serving GET and HEAD /metrics on options->address:port (defaults 127.0.0.1:9464) with
 * libmicrohttpd's internal polling thread; other methods get 405 (with Allow), other paths 404,
 * oversized request headers 431, slow clients are cut off after timeout_s. Each scrape takes a
 * snapshot with census_view_data_get_all(): recording threads never wait for it. Unless
 * register_no_exporter is set, the exporter also registers with census as a stats exporter
 * (whose export does nothing) so that census_shutdown() stops the server. `options` may be NULL
 * (all defaults); it is copied. On success *exporter receives the handle. Errors: CENSUS_EINVAL
 * (NULL exporter, a bad address or constant label, options not initialised with
 * CENSUS_PROMETHEUS_OPTIONS_INIT), CENSUS_ENOMEM, CENSUS_ESYSTEM (the address is in use or cannot
 * be bound; errno is set, e.g. EADDRINUSE) or CENSUS_ESHUTDOWN (after census_shutdown(): it cannot
 * register; with register_no_exporter, which keeps the server out of census's lifecycle, it starts
 * and answers 503 to scrapes, as census_prometheus_render() gives CENSUS_ESHUTDOWN); *exporter is
 * then NULL. A bad address and a failure to listen are also reported through diagnostics in one
 * line naming options.address (and the port and errno name) and what to do. Thread-safe. */
CENSUS_EXPORT census_status census_prometheus_exporter_start(
    const census_prometheus_options *options, census_prometheus_exporter **exporter);

/* Copies the counters into *stats. Valid until census_prometheus_exporter_stop(), including
 * after census_shutdown() stopped the server (the counters are then final). CENSUS_EINVAL for
 * NULL arguments. Thread-safe; never blocks on a scrape. */
CENSUS_EXPORT census_status census_prometheus_exporter_stats(census_prometheus_exporter *exporter,
                                                             census_prometheus_stats *stats);

/* The port the server listens on (useful with any_port), or 0 once it is stopped (also after
 * census_shutdown()) or for NULL. The handle is only read. Thread-safe. */
CENSUS_EXPORT uint16_t census_prometheus_exporter_port(const census_prometheus_exporter *exporter);

/* Stops the server and frees the handle: closes the listening socket and every connection and
 * joins the server thread, waiting for a scrape in progress to finish (rendering takes
 * milliseconds; a scrape waiting for a concurrent export waits for it, up to timeout_ms), then
 * unregisters its exporter. After census_shutdown() (which stopped the server and kept the
 * handle valid) it only frees. Returns CENSUS_OK, CENSUS_EINVAL for NULL, or CENSUS_ETIMEDOUT when
 * census could not take its registration out within timeout_ms (an export held census's
 * collection lock): the server is stopped, and the small handle stays allocated for census,
 * which calls it once more at census_shutdown(). Call it exactly once per handle: a second call
 * is undefined, like free() twice. Blocking; not from an exporter callback; not concurrently
 * with census_shutdown(). */
CENSUS_EXPORT census_status census_prometheus_exporter_stop(census_prometheus_exporter *exporter,
                                                            int64_t timeout_ms);

/* ---- Other pages on the same server ------------------------------------------------------ */

/* A request a route handler answers: opaque, valid during the handler call only. Thread-safety:
 * read it from the handler's thread only. */
typedef struct census_prometheus_request census_prometheus_request;

/* The request's path, without the query ("/zpages/tracez"), borrowed for the handler call. Never
 * NULL for a request; NULL for a NULL request. Only reads the request; from the handler's
 * thread. */
CENSUS_EXPORT const char *census_prometheus_request_path(const census_prometheus_request *request);

/* The decoded value of query parameter `name` ("?name=GET%20%2Fusers" gives "GET /users"), ""
 * for a parameter without a value, NULL when absent (or for NULL arguments). The string is
 * borrowed for the handler call. Only reads the request; from the handler's thread. */
CENSUS_EXPORT const char *census_prometheus_request_query(const census_prometheus_request *request,
                                                          const char *name);

/* What a route handler answers. The server fills it with status 200 and nothing else before the
 * call. */
typedef struct census_prometheus_response {
  unsigned status;          /* HTTP status; 200 unless the handler changes it */
  const char *content_type; /* borrowed until the handler returns; NULL: text/plain */
  char *body;    /* from census_allocator_malloc() (census/allocator.h), by the handler; the server
                  * frees it with census_allocator_free(); NULL: empty */
  size_t length; /* bytes of body */
  const census_kv *headers; /* extra response headers, borrowed until the handler returns */
  size_t header_count;
} census_prometheus_response;

/* Answers one GET or HEAD request under a route's prefix, on the server's thread (so it may take
 * the time a page takes: scrapes and other requests wait meanwhile). */
typedef void (*census_prometheus_route_fn)(void *user, const census_prometheus_request *request,
                                           census_prometheus_response *response);

/* Serves GET and HEAD requests for `prefix` (e.g. "/zpages": that path and every path below it,
 * "/zpages/..."; other methods get 405) with `handler`, on the running server, beside /metrics.
 * This is how the zPages (census/exporters/zpages.h) share the Prometheus exporter's server.
 * Every route response carries `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.
 * `prefix` (copied) must start with "/", not end with "/", and not be "/metrics"; `user` is
 * passed to the handler (not owned). At most 8 routes. Errors: CENSUS_EINVAL (NULL arguments, a
 * bad prefix), CENSUS_EDUPLICATE (the prefix is served already), CENSUS_ELIMIT (8 routes),
 * CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_status
census_prometheus_exporter_add_route(census_prometheus_exporter *exporter, const char *prefix,
                                     census_prometheus_route_fn handler, void *user);

/* Stops serving `prefix`: later requests get 404, and the call waits for the handler calls in
 * progress to return, so `user` may be freed afterwards. CENSUS_OK, CENSUS_EINVAL (NULL
 * arguments) or CENSUS_ENOTFOUND. Works after census_shutdown() stopped the server (until
 * census_prometheus_exporter_stop()). Thread-safe; blocking (for a page in progress); not from a
 * handler. Remove every route before stopping the exporter. */
CENSUS_EXPORT census_status
census_prometheus_exporter_remove_route(census_prometheus_exporter *exporter, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
