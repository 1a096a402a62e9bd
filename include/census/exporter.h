/* census/exporter.h - the interface that stats exporters implement.
 *
 * An exporter is a table of callbacks and a user pointer. The export worker (and census_flush(),
 * and the flush at exit) calls export_views with a snapshot of every registered view; calls to one
 * exporter never overlap. Data are cumulative, so a failed export loses nothing: the next export
 * carries the same totals and more.
 *
 * A flush (census_flush(), census_shutdown(), the flush at exit and on a signal) first hands
 * everything to every exporter (export_views, export_spans), then calls every exporter's flush
 * callback at once, each on a thread of its own, each with the time left before the same
 * deadline, and waits for all of them (docs/lifecycle.md). So export_views and export_spans
 * should only encode and queue, never wait on the network, and a flush callback must return
 * within its timeout_ms: census waits for it.
 */
#ifndef CENSUS_EXPORTER_H
#define CENSUS_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "census/status.h"
#include "census/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Key/value pairs of the exporters' options ---------------------------------------------- */

/* A key and a string value: a Prometheus constant label, an HTTP header (OTLP), a resource
 * attribute (OTLP), a monitored-resource label (Cloud Monitoring). The functions that take them
 * copy both strings; `value` NULL is refused where a value is required and means "" elsewhere, as
 * each option says. Untyped on purpose: every one of these is a string in its protocol (HTTP
 * headers, Prometheus label values, Cloud Monitoring labels, OTEL_RESOURCE_ATTRIBUTES), so a typed
 * value such as census_attribute's (census/trace.h: a span's attributes) would only
 * make callers write a type that three of its four cases must refuse.
 * Thread-safety: plain data; borrowed for the duration of the call that takes it. */
typedef struct census_kv {
  const char *key;
  const char *value;
} census_kv;

/* A stats exporter's callbacks. Initialise with CENSUS_STATS_EXPORTER_OPS_INIT (which sets
 * `size`) and set the callbacks by name, or in a static initializer
 * {.size = sizeof(census_stats_exporter_ops), .export_views = f, ...}; census reads only the first
 * `size` bytes, so the table can gain callbacks without breaking exporters built against an older
 * header (docs/api-conventions.md). Copied at registration. */
typedef struct census_stats_exporter_ops {
  size_t size; /* sizeof(census_stats_exporter_ops), set by CENSUS_STATS_EXPORTER_OPS_INIT */
  /* Exports `count` snapshots, borrowed for the duration of the call. Returns CENSUS_OK or an
   * error, which census_flush() passes on. Required. */
  census_status (*export_views)(void *user, const census_view_data *const *views, size_t count);
  /* Pushes out anything the exporter buffered, within timeout_ms (it must return by then).
   * Returns CENSUS_OK when all of it was delivered, CENSUS_ETIMEDOUT when timeout_ms passed
   * first (census_flush() then returns CENSUS_ETIMEDOUT), any other error when data were lost
   * (census_flush() then returns CENSUS_EEXPORT). Called by census_flush(), census_shutdown() and
   * the flush at exit and on a signal, on a thread census starts for that flush (every signal
   * blocked) or on the thread that asked for the flush, concurrently with other exporters'
   * flushes but never with another call to this exporter. At exit,
   * census_exporter_is_flushing_at_exit() is true inside it. May be NULL. */
  census_status (*flush)(void *user, int64_t timeout_ms);
  /* Releases the exporter (and `user`, if it owns it), within timeout_ms. Called exactly once:
   * at unregistration or at census_shutdown(); not at process exit, where only flush runs.
   * May be NULL. */
  void (*shutdown)(void *user, int64_t timeout_ms);
} census_stats_exporter_ops;

#define CENSUS_STATS_EXPORTER_OPS_INIT                                                             \
  { .size = sizeof(census_stats_exporter_ops) }

/* Registers a stats exporter; `ops` is copied, `user` is passed to each callback (census does not
 * own it; the shutdown callback may free it). The first registration starts census's export
 * worker and its flush at exit. Errors: CENSUS_EINVAL (NULL ops or export_views, or an ops->size
 * census does not know, e.g. 0: not initialised with CENSUS_STATS_EXPORTER_OPS_INIT; reported to
 * the diagnostics callback), CENSUS_ENOMEM, CENSUS_ESHUTDOWN, CENSUS_ESYSTEM (the worker thread
 * could not be started). Thread-safe. */
CENSUS_EXPORT census_status census_stats_exporter_register(const census_stats_exporter_ops *ops,
                                                           void *user);

/* Unregisters the exporter registered with `user`, after a final export of everything recorded
 * so far and its flush, then calls its shutdown callback. Blocks up to timeout_ms. Returns
 * CENSUS_OK; CENSUS_ETIMEDOUT when the deadline cut the final export or flush short (it wins over
 * CENSUS_EEXPORT); CENSUS_EEXPORT when the final export or flush failed; CENSUS_ENOTFOUND if no
 * exporter has that user pointer; CENSUS_ESHUTDOWN after census_shutdown(), which already called
 * every exporter's shutdown. `user` is only compared, never dereferenced; what it points to is
 * the exporter's to release (in its shutdown callback). Thread-safe; must not be called from an
 * exporter callback. */
CENSUS_EXPORT census_status census_stats_exporter_unregister(void *user, int64_t timeout_ms);

/* ---- Exporter self-metrics ----------------------------------------------------------------- */

/* Push exporters (OTLP, Google Cloud, Zipkin, and third-party ones) report what they lose after
 * census handed it to them through two self-metric views, exported like every other view:
 *   census/exporter_dropped_items   Sum, unit "1", columns "exporter" and "reason"
 *   census/exporter_rejected_items  Sum, unit "1", column "exporter"
 * "exporter" is the exporter's (or its sender's) name, e.g. "otlp traces"; "reason" is one of
 * the strings below for the shipped exporters (third-party exporters should reuse them where
 * they fit). A snapshot replaced by a newer cumulative one before it was sent loses nothing and
 * is not a drop. */
#define CENSUS_EXPORTER_DROP_QUEUE_FULL "queue_full"               /* the send queue was full */
#define CENSUS_EXPORTER_DROP_RETRY_BUDGET "retry_budget"           /* retries ran out of time */
#define CENSUS_EXPORTER_DROP_PERMANENT_FAILURE "permanent_failure" /* a non-retryable error */
#define CENSUS_EXPORTER_DROP_SHUTDOWN "shutdown"                   /* still queued at shutdown */
/* Still queued or in flight when the deadline of the flush at process exit or on a flush signal
 * passed (census_exit_flush_set_timeout_ms()): never delivered, since the process is ending. */
#define CENSUS_EXPORTER_DROP_EXIT_DEADLINE "exit_deadline"
#define CENSUS_EXPORTER_DROP_OUT_OF_MEMORY "out_of_memory" /* encoding or queueing */
/* A persistent spool (docs/exporters/http-delivery.md, "Spool") dropped its oldest files to stay
 * within its bound in bytes. */
#define CENSUS_EXPORTER_DROP_SPOOL_FULL "spool_full"
/* The backend permanently refused the metric's descriptor (schema; e.g. Cloud Monitoring
 * metricDescriptors.create answered 400/403/404), so none of that metric's points can be sent. */
#define CENSUS_EXPORTER_DROP_NO_DESCRIPTOR "no_descriptor"

/* Adds `items` (spans, data points, ...) to census/exporter_dropped_items for the series
 * {exporter, reason}. Both strings are copied (borrowed for the call only); each must be a
 * non-empty tag value (1 to 255 bytes of printable ASCII). `items` 0 records nothing and creates
 * no series. Never blocks on export or I/O; allocates a small tag map per call.
 * Errors: CENSUS_EINVAL (NULL exporter or reason; items > INT64_MAX), CENSUS_EBADVALUE (an empty
 * or invalid string), CENSUS_ENOMEM; an invalid string or item count (not a NULL) is also
 * reported to the diagnostics callback and counted in census/dropped_measurements (reason
 * "invalid_value"), even with 0 items. Arguments are checked first; then 0 items returns
 * CENSUS_OK, and after census_shutdown() any other count records nothing and returns
 * CENSUS_ESHUTDOWN. In a fork()
 * child it records into the child's own (fresh) series.
 * Thread-safe; may be called from any thread, including an exporter's own threads and
 * callbacks, but not from a diagnostics callback. */
CENSUS_EXPORT census_status census_exporter_record_dropped(const char *exporter, const char *reason,
                                                           uint64_t items);

/* True when called from a flush callback that census runs at process exit (return from main,
 * exit()) or on a flush signal (census_signal_flush_install()), false anywhere else. What the
 * exporter still holds when that callback returns will never be delivered: census does not call
 * it again, and the process is ending. A push exporter whose flush runs out of time then counts
 * every request it still holds (queued or in flight) as dropped, with reason
 * CENSUS_EXPORTER_DROP_EXIT_DEADLINE (census_exporter_record_dropped() and its own counters),
 * and says so in one diagnostic line, e.g. "otlp metrics: exit deadline reached, 3 requests
 * (1200 items) not delivered". The self-metric recorded then is never exported (nothing exports
 * after the exit flush): the diagnostic and the exporter's counters are what tell. Thread-safe;
 * the answer is for the calling thread. */
CENSUS_EXPORT bool census_exporter_is_flushing_at_exit(void);

/* Adds `items` to census/exporter_rejected_items for the series {exporter}: items a backend
 * refused in a response that otherwise accepted the request (OTLP partial success, Cloud
 * Monitoring per-point errors, ...). Same ownership, errors, shutdown, fork and thread-safety
 * rules as census_exporter_record_dropped() (without the reason). */
CENSUS_EXPORT census_status census_exporter_record_rejected(const char *exporter, uint64_t items);

/* ---- Exporter status ----------------------------------------------------------------------- */

/* Every exporter, shipped or third-party, can report what it has done so far to one registry, so
 * that a program (or the zPages' overview page, docs/exporters/zpages.md) can list every exporter
 * with its counters, its last error and its configuration in one place. The exporter registers
 * its name, kind and configuration once; census asks for its counters (the `report` callback)
 * each time someone reads the registry, so an exporter keeps counting the way it already does. */

/* What a report callback fills, through the two functions below. Opaque; valid during the
 * callback only. Thread-safety: the callback's own. */
typedef struct census_exporter_report census_exporter_report;

/* Sets the exporter's counters: items (the unit the exporter registered, e.g. data points or
 * spans) delivered to its backend, rejected by the backend, and dropped by the exporter (queue
 * full, retry budget, shutdown, ...). A NULL report is a no-op. Thread-safe (the report is the
 * calling callback's). */
CENSUS_EXPORT void census_exporter_report_counts(census_exporter_report *report, uint64_t delivered,
                                                 uint64_t rejected, uint64_t dropped);

/* Sets the exporter's last error: `message` (copied, at most 255 bytes kept; NULL or "" means
 * none) and when it happened (Unix time in ns; 0 if unknown). Never pass secrets (tokens, header
 * values). A NULL report is a no-op. Thread-safe (the report is the calling callback's). */
CENSUS_EXPORT void census_exporter_report_error(census_exporter_report *report, int64_t time_ns,
                                                const char *message);

/* An exporter's registration. Initialise with CENSUS_EXPORTER_STATUS_OPTIONS_INIT (the options
 * convention of docs/api-conventions.md); strings and the configuration are copied. */
typedef struct census_exporter_status_options {
  size_t size;       /* sizeof(census_exporter_status_options), set by the INIT macro */
  const char *name;  /* required: what a person recognises, e.g. "otlp traces"; printable ASCII */
  const char *kind;  /* e.g. "otlp", "prometheus", "stdout"; NULL: the name */
  const char *items; /* what the counters count, e.g. "data points", "spans"; NULL: "items" */
  /* The configuration in force, as key/value pairs shown to people (e.g. {"endpoint",
   * "http://collector:4318/v1/traces"}). Mask secrets yourself; census also replaces the value
   * of any key that contains "authorization", "token", "secret", "password", "credential",
   * "cookie", "api_key", "apikey" or "header" (any case) by "****". May be NULL. */
  const census_kv *config;
  size_t config_count;
  /* Fills `report` with census_exporter_report_counts() and census_exporter_report_error()
   * whenever the registry is read. Called on the reading thread while census holds the
   * registry's lock, so it must be quick and must not call census functions that take locks
   * (registration, flush, view data). May be NULL (counters 0, no error). */
  void (*report)(void *user, census_exporter_report *report);
} census_exporter_status_options;

#define CENSUS_EXPORTER_STATUS_OPTIONS_INIT                                                        \
  { .size = sizeof(census_exporter_status_options) }

/* Registers an exporter in the status registry under `user` (passed to `report`; only compared,
 * never dereferenced by census). Errors: CENSUS_EINVAL (NULL options or name, or an
 * options->size census does not know: not initialised with
 * CENSUS_EXPORTER_STATUS_OPTIONS_INIT; reported), CENSUS_EBADNAME (a name that is empty, longer
 * than 255 bytes or not printable ASCII), CENSUS_EDUPLICATE (`user` is registered already),
 * CENSUS_ENOMEM. Works after census_shutdown() too (a handle outlives it). Thread-safe. */
CENSUS_EXPORT census_status
census_exporter_status_register(const census_exporter_status_options *options, void *user);

/* Removes the registration of `user` (only compared, never dereferenced), waiting for a read in
 * progress to finish; after it returns its report callback is never called again and census
 * keeps none of its copies. CENSUS_OK or CENSUS_ENOTFOUND. Thread-safe; not
 * from a report callback; may be called while census holds its collection lock (an exporter's
 * shutdown callback). */
CENSUS_EXPORT census_status census_exporter_status_unregister(void *user);

/* One exporter as the registry shows it: borrowed for the visit callback's duration. */
typedef struct census_exporter_status {
  const char *name;
  const char *kind;
  const char *items;
  const census_kv *config; /* secrets masked */
  size_t config_count;
  uint64_t delivered, rejected, dropped;
  int64_t last_error_time_ns; /* 0: unknown or none */
  const char *last_error;     /* "" if none */
} census_exporter_status;

/* Calls visit(context, status) once per registered exporter, in registration order, after
 * asking each for its counters. Holds the registry's lock throughout: `visit` must not register
 * or unregister and should only copy what it needs. Returns CENSUS_OK, or CENSUS_EINVAL for a
 * NULL visit. Works after census_shutdown() (final counters). Thread-safe. */
CENSUS_EXPORT census_status census_exporter_status_visit(
    void (*visit)(void *context, const census_exporter_status *status), void *context);

/* ---- Span exporters ------------------------------------------------------------------------ */

/* An ended, sampled span as exporters see it: borrowed for the duration of an export call,
 * immutable (so none exists after census_shutdown(); the accessors accept NULL). Thread-safety:
 * safe to read from any thread during the call. */
typedef struct census_span_data census_span_data;

/* census_attribute, the typed attribute the accessors below fill (their strings and arrays
 * borrowed from the span data), is declared in census/trace.h, which also takes it as input. An
 * exporter should show every type it knows and stringify or count one it does not (a type added
 * after it was built), never drop it silently. */

/* Accessors of an ended span, for a span exporter's export_spans callback. Strings are borrowed
 * for the span data's life (the callback); what is copied out goes into the caller's structs. A
 * NULL span gives NULL, 0, false or CENSUS_SPAN_KIND_INTERNAL / _STATUS_UNSET; the functions
 * returning a status give CENSUS_EINVAL for a NULL span or out-struct and CENSUS_ENOTFOUND for
 * an index out of range. They only read the span data. Thread-safe. */
/* The span's name. */
CENSUS_EXPORT const char *census_span_data_name(const census_span_data *span);
/* Copies the span's own context (trace id, span id, flags, tracestate) into *context; does
 * nothing if either is NULL. The tracestate is copied up to its NUL (the bytes after it in
 * context->tracestate are left as they were). */
CENSUS_EXPORT void census_span_data_context(const census_span_data *span,
                                            census_trace_context *context);
/* Copies the parent's span id (if parent_span_id is not NULL) and whether the parent is remote (if
 * parent_is_remote is not NULL) and returns true, or returns false for a root span. */
CENSUS_EXPORT bool census_span_data_parent(const census_span_data *span,
                                           uint8_t parent_span_id[CENSUS_SPAN_ID_SIZE],
                                           bool *parent_is_remote);
/* The kind, and the start and end, Unix time in nanoseconds. */
CENSUS_EXPORT census_span_kind census_span_data_kind(const census_span_data *span);
CENSUS_EXPORT int64_t census_span_data_start_time_ns(const census_span_data *span);
CENSUS_EXPORT int64_t census_span_data_end_time_ns(const census_span_data *span);
/* The status code; *message (if not NULL) is set to the message ("" if none). */
CENSUS_EXPORT census_span_status_code census_span_data_status(const census_span_data *span,
                                                              const char **message);
/* Number of attributes; attribute i into the caller's *attribute (its strings, and an array
 * attribute's elements, borrowed: census/trace.h's census_attribute). */
CENSUS_EXPORT size_t census_span_data_attribute_count(const census_span_data *span);
CENSUS_EXPORT census_status census_span_data_attribute(const census_span_data *span, size_t i,
                                                       census_attribute *attribute);
/* Number of events; event i: its name (borrowed), Unix time in ns and number of attributes, each
 * set if its pointer is not NULL; attribute i of an event into the caller's *attribute. */
CENSUS_EXPORT size_t census_span_data_event_count(const census_span_data *span);
CENSUS_EXPORT census_status census_span_data_event(const census_span_data *span, size_t i,
                                                   const char **name, int64_t *time_ns,
                                                   size_t *attribute_count);
CENSUS_EXPORT census_status census_span_data_event_attribute(const census_span_data *span,
                                                             size_t event, size_t i,
                                                             census_attribute *attribute);
/* Number of links; link i's context copied into the caller's *linked. */
CENSUS_EXPORT size_t census_span_data_link_count(const census_span_data *span);
CENSUS_EXPORT census_status census_span_data_link(const census_span_data *span, size_t i,
                                                  census_trace_context *linked);
/* What the limits (or a failed allocation) dropped from this span. */
CENSUS_EXPORT uint32_t census_span_data_dropped_attributes(const census_span_data *span);
CENSUS_EXPORT uint32_t census_span_data_dropped_events(const census_span_data *span);
CENSUS_EXPORT uint32_t census_span_data_dropped_links(const census_span_data *span);

/* A span exporter's callbacks; initialised and read like census_stats_exporter_ops, with
 * CENSUS_SPAN_EXPORTER_OPS_INIT. Copied at registration. */
typedef struct census_span_exporter_ops {
  size_t size; /* sizeof(census_span_exporter_ops), set by CENSUS_SPAN_EXPORTER_OPS_INIT */
  /* Exports `count` ended spans, borrowed for the duration of the call. Required. */
  census_status (*export_spans)(void *user, const census_span_data *const *spans, size_t count);
  /* Pushes out anything buffered, within timeout_ms. May be NULL. */
  census_status (*flush)(void *user, int64_t timeout_ms);
  /* Releases the exporter; called once, at unregistration or census_shutdown(). May be NULL. */
  void (*shutdown)(void *user, int64_t timeout_ms);
} census_span_exporter_ops;

#define CENSUS_SPAN_EXPORTER_OPS_INIT                                                              \
  { .size = sizeof(census_span_exporter_ops) }

/* Registers a span exporter; `ops` is copied, `user` is passed to each callback (not owned by
 * census). Spans that end from then on are queued for it (a span that ends while no span exporter
 * is registered is not queued). The first registration starts census's export worker and its
 * flush at exit. Errors: CENSUS_EINVAL (NULL ops or export_spans, or an ops->size census does not
 * know, e.g. 0: not initialised with CENSUS_SPAN_EXPORTER_OPS_INIT; reported to the diagnostics
 * callback), CENSUS_ENOMEM, CENSUS_ESHUTDOWN, CENSUS_ESYSTEM. Thread-safe. */
CENSUS_EXPORT census_status census_span_exporter_register(const census_span_exporter_ops *ops,
                                                          void *user);

/* Exports the queued spans, then unregisters the span exporter registered with `user`, calls its
 * flush and then its shutdown, within timeout_ms. Returns CENSUS_OK; CENSUS_ETIMEDOUT when the
 * deadline cut the export or the flush short (it wins over CENSUS_EEXPORT); CENSUS_EEXPORT when
 * its flush reported lost data; CENSUS_ENOMEM when the queued spans could not be handed to it for
 * lack of memory (it is unregistered all the same; they stay queued for the other span
 * exporters); CENSUS_ENOTFOUND if none; CENSUS_ESHUTDOWN after census_shutdown() (which already
 * shut every span exporter down). Blocks up to timeout_ms.
 * `user` is only compared, never dereferenced. Thread-safe; not from an exporter callback. */
CENSUS_EXPORT census_status census_span_exporter_unregister(void *user, int64_t timeout_ms);

/* ---- Span observers ------------------------------------------------------------------------ */

/* Whether the span was sampled (so it goes to the span exporters), as opposed to recorded only
 * for the span observers (census_span_observer_ops.record_unsampled). false for NULL. Only reads
 * the span data. Thread-safe. */
CENSUS_EXPORT bool census_span_data_is_sampled(const census_span_data *span);

/* A span observer sees recording spans start and end, on the threads that start and end them,
 * for in-process views of live tracing (the zPages' tracez page: running spans, latency
 * buckets). Initialised and read like census_stats_exporter_ops, with
 * CENSUS_SPAN_OBSERVER_OPS_INIT; copied at registration.
 *
 * The callbacks run on recording threads, holding no census lock: they must be quick and must
 * not block, start or end spans, or call census functions that take locks (registration,
 * flushes, view data). The span data are borrowed for the call, and read from the calling
 * thread only (the span is that thread's). census costs one relaxed load and a branch per span
 * start while no observer is registered. */
typedef struct census_span_observer_ops {
  size_t size; /* sizeof(census_span_observer_ops), set by CENSUS_SPAN_OBSERVER_OPS_INIT */
  /* Called when a recording span starts, after its ids, name, kind, parent and start time are
   * set (attributes, events and links come later). Returns a value that census keeps with the
   * span and passes to on_end. May be NULL. */
  uint64_t (*on_start)(void *user, const census_span_data *span);
  /* Called when a span whose start this observer saw ends, with the span complete (end time,
   * status, attributes, events, links), before it is queued for the span exporters. May be NULL.
   * A span that started before the observer was registered is never passed to it. */
  void (*on_end)(void *user, const census_span_data *span, uint64_t cookie);
  /* Non-zero: spans the sampler refuses are recorded too while this observer is registered (as
   * OpenTelemetry's RECORD_ONLY decision): they keep the sampled flag off in their context and
   * in the headers injected from them, census_span_is_recording() is true for them, the
   * observers see them (census_span_data_is_sampled() false), and they are never exported. They
   * then cost what a sampled span costs (clock reads, name copy, attributes). */
  int record_unsampled;
} census_span_observer_ops;

#define CENSUS_SPAN_OBSERVER_OPS_INIT                                                              \
  { .size = sizeof(census_span_observer_ops) }

/* Registers a span observer; `ops` is copied, `user` is passed to each callback (not owned by
 * census). Spans that start from then on are observed. Starts no thread. At most 4 observers at
 * once. Errors: CENSUS_EINVAL (NULL ops, or an ops->size census does not know, e.g. 0: not
 * initialised with CENSUS_SPAN_OBSERVER_OPS_INIT; reported), CENSUS_EDUPLICATE (`user` is
 * registered already), CENSUS_ELIMIT (4 observers are registered; reported), CENSUS_ESHUTDOWN.
 * Thread-safe. */
CENSUS_EXPORT census_status census_span_observer_register(const census_span_observer_ops *ops,
                                                          void *user);

/* Unregisters the observer registered with `user` and waits, up to timeout_ms, until none of its
 * callbacks is running on any thread: after CENSUS_OK, census never calls it again and what
 * `user` points to may be freed. Spans it saw start and that end later are not passed to it.
 * Returns CENSUS_OK, CENSUS_ENOTFOUND (no observer has that user pointer) or CENSUS_ETIMEDOUT
 * (a callback still runs: no new one starts, but `user` must stay valid). Works after
 * census_shutdown() too. Thread-safe; blocking (polls every 100 us); not from a callback. */
CENSUS_EXPORT census_status census_span_observer_unregister(void *user, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
