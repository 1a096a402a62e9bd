/* census/trace.h - spans, samplers, the current span, and span exporters.
 *
 * A span is named by a handle: a 64-bit integer that stays meaningful after the span ends, so
 * calls with an ended (or never valid) handle are detected and do nothing. Handle 0 is "no span".
 * Span records come from a pool and are reused, which is why handles carry a generation.
 *
 * Sampling decides at start whether a span records. An unsampled span records nothing and costs
 * next to nothing, but it still has ids and still parents its children, so its context
 * propagates. Ended sampled spans go to a bounded queue that the export worker drains in batches
 * to the span exporters; when the queue is full a span is dropped and counted
 * (census_trace_dropped_spans(), the self-metric census/dropped_spans and the stdout exporter).
 */
#ifndef CENSUS_TRACE_H
#define CENSUS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"
#include "census/trace_context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Spans ------------------------------------------------------------------------------- */

/* A span handle; 0 means no span. Thread-safety: a span may be used by one thread at a time
 * (any thread); handles themselves are plain integers. */
typedef uint64_t census_span;

typedef enum census_span_kind {
  CENSUS_SPAN_KIND_INTERNAL = 0,
  CENSUS_SPAN_KIND_SERVER = 1,
  CENSUS_SPAN_KIND_CLIENT = 2,
  CENSUS_SPAN_KIND_PRODUCER = 3,
  CENSUS_SPAN_KIND_CONSUMER = 4,
} census_span_kind;

typedef enum census_span_status_code {
  CENSUS_SPAN_STATUS_UNSET = 0,
  CENSUS_SPAN_STATUS_OK = 1,
  CENSUS_SPAN_STATUS_ERROR = 2,
} census_span_status_code;

typedef struct census_sampler census_sampler;

/* Options for starting a span. Initialise with CENSUS_SPAN_OPTIONS_INIT (which sets `size`; every
 * other field starts at its default, 0) and set what differs by name:
 *   census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
 *   o.kind = CENSUS_SPAN_KIND_SERVER;
 * census reads only the first `size` bytes, so the struct can gain fields without breaking
 * programs built against an older header (docs/api-conventions.md). Thread-safety: a plain value
 * the caller owns; census only reads it during the call. */
typedef struct census_span_options {
  size_t size; /* sizeof(census_span_options), set by CENSUS_SPAN_OPTIONS_INIT */
  census_span_kind kind;
  /* The parent: a local span handle, or a remote context (e.g. extracted from headers), or
   * neither, in which case the thread's current span is the parent (see `root`). */
  census_span parent;
  const census_trace_context *remote_parent;
  bool root;                     /* true: start a new trace even if a current span exists */
  const census_sampler *sampler; /* NULL: the global sampler */
  int64_t start_time_ns;         /* Unix time in ns; 0: now */
  /* A root span's trace id (CENSUS_TRACE_ID_SIZE bytes, read during the
   * call), for a binding whose trace object owns its id before any span starts (an
   * opencensus-python Tracer). Used only when the span has no parent (none given, or `root`, or
   * no current span); NULL or all zeros: a new random id. The random-trace-id flag
   * (CENSUS_TRACE_FLAG_RANDOM) is set only if `trace_id_random` is true: set it only when at least
   * the id's right-most 7 bytes were drawn uniformly at random (W3C Trace Context Level 2,
   * 3.2.2.5.2). */
  const uint8_t *trace_id;
  bool trace_id_random;
} census_span_options;

#define CENSUS_SPAN_OPTIONS_INIT                                                                   \
  { .size = sizeof(census_span_options) }

/* Starts a span named `name` (copied; NULL is refused). `options` (borrowed for the call) may be
 * NULL: all defaults. Returns its handle, or 0 on error (NULL name; options->size not one census
 * knows, e.g. 0 for a struct not initialised with CENSUS_SPAN_OPTIONS_INIT; out of memory; after
 * census_shutdown()); the reason goes to diagnostics, once per process for the calls after
 * shutdown. An unsampled span returns a valid handle too. Never blocks; allocates only while the
 * thread's span pool grows. Thread-safe. */
CENSUS_EXPORT census_span census_span_start(const char *name, const census_span_options *options);

/* As census_span_start() (same arguments, ownership and errors: 0 on error, and then nothing
 * becomes current), and makes the span the calling thread's current span until it ends, when
 * the previous current span is restored. Thread-safe (affects the calling thread only). */
CENSUS_EXPORT census_span census_span_start_current(const char *name,
                                                    const census_span_options *options);

/* Ends the span now (or at end_time_ns, Unix ns, if not 0). A sampled span is queued for
 * export; if the queue is full it is dropped and counted. If the span is the thread's current
 * span, its previous current span is restored. Ending twice, or ending 0, does nothing.
 * A span started before census_shutdown() can still be annotated and ended after it, but nothing
 * exports any more: ending a sampled one then drops it, counted in census_trace_dropped_spans()
 * and reported (once per process). Never fails (a full queue is counted, as above); never
 * blocks. Thread-safety: one thread at a time per span (any thread may end it). */
CENSUS_EXPORT void census_span_end(census_span span);
CENSUS_EXPORT void census_span_end_at(census_span span, int64_t end_time_ns);

/* Copies the span's context (ids, flags, tracestate) into the caller's *context. Returns
 * CENSUS_OK, CENSUS_EINVAL for a NULL context, or CENSUS_ENOTFOUND for an ended or invalid
 * handle. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_context(census_span span, census_trace_context *context);

/* True if the span is sampled (records and will be exported). False for ended or invalid
 * handles. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT bool census_span_is_recording(census_span span);

/* Attributes. The key and string values are copied. Setting a key again replaces its value.
 * Beyond the attribute limit a new key is dropped, counted on the span and CENSUS_ELIMIT is
 * returned (census_span_limits); CENSUS_ENOMEM drops and counts it too. On an unsampled, ended
 * or invalid span these do nothing and return CENSUS_OK (unsampled) or CENSUS_ENOTFOUND
 * (ended/invalid); CENSUS_EINVAL for a NULL key or value. Never block. Thread-safety: one
 * thread at a time per span. */
CENSUS_EXPORT census_status census_span_set_attribute_string(census_span span, const char *key,
                                                             const char *value);
CENSUS_EXPORT census_status census_span_set_attribute_int64(census_span span, const char *key,
                                                            int64_t value);
CENSUS_EXPORT census_status census_span_set_attribute_double(census_span span, const char *key,
                                                             double value);
CENSUS_EXPORT census_status census_span_set_attribute_bool(census_span span, const char *key,
                                                           bool value);

/* Array-valued attributes (OpenTelemetry's homogeneous arrays of primitives: string[], int64[],
 * double[], bool[]; OTLP's AnyValue.array_value). `count` elements are read from `values` and
 * copied (each string too), so the caller's array may change or be freed after the call. An empty
 * array (count 0; `values` may then be NULL) is a valid value. Setting a key again replaces its
 * value, whatever either type. Errors and limits as for the scalar setters above: beyond the
 * attribute limit a new key is dropped, counted on the span and CENSUS_ELIMIT returned, and so is
 * an array of more than UINT32_MAX elements (what a span's record can count); CENSUS_ENOMEM drops
 * and counts it too. CENSUS_EINVAL for a NULL key, NULL `values` with count > 0, or (string
 * arrays) a NULL element: nothing is set then, sampled or not. On an unsampled span CENSUS_OK and
 * nothing is copied; CENSUS_ENOTFOUND for an ended or invalid one. They allocate from the span's
 * arena (as string values do) and never block. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_set_attribute_string_array(census_span span,
                                                                   const char *key,
                                                                   const char *const *values,
                                                                   size_t count);
CENSUS_EXPORT census_status census_span_set_attribute_int64_array(census_span span, const char *key,
                                                                  const int64_t *values,
                                                                  size_t count);
CENSUS_EXPORT census_status census_span_set_attribute_double_array(census_span span,
                                                                   const char *key,
                                                                   const double *values,
                                                                   size_t count);
CENSUS_EXPORT census_status census_span_set_attribute_bool_array(census_span span, const char *key,
                                                                 const bool *values, size_t count);

/* A typed attribute: what census_span_add_event_with_attributes() takes (its strings and arrays
 * are copied) and what a span exporter reads back (census_span_data_attribute(),
 * census/exporter.h; its strings and arrays are then borrowed from the span data). Only the value
 * fields that `type` names are read: an array type reads `value_count` elements at the pointer of
 * its element type (`string_values`, `int_values`, `double_values` or `bool_values`).
 * A span exporter built before a type existed meets it as an unknown value of `type`: exporters
 * should handle (e.g. stringify) or count what they do not know, never crash on it.
 * The array fields share storage with the scalar ones (the pointer with string_value, the count
 * with int_value), so the struct keeps the size and layout it had before arrays (the ABI holds);
 * set only the fields of the type you name. Thread-safety: a plain value. */
typedef enum census_attribute_type {
  CENSUS_ATTRIBUTE_STRING = 0,
  CENSUS_ATTRIBUTE_INT64 = 1,
  CENSUS_ATTRIBUTE_DOUBLE = 2,
  CENSUS_ATTRIBUTE_BOOL = 3,
  CENSUS_ATTRIBUTE_STRING_ARRAY = 4, /* string_values[value_count], no NULL element */
  CENSUS_ATTRIBUTE_INT64_ARRAY = 5,  /* int_values[value_count] */
  CENSUS_ATTRIBUTE_DOUBLE_ARRAY = 6, /* double_values[value_count] */
  CENSUS_ATTRIBUTE_BOOL_ARRAY = 7,   /* bool_values[value_count] */
} census_attribute_type;

typedef struct census_attribute {
  const char *key;
  census_attribute_type type;
  union {
    const char *string_value;
    const char *const *string_values; /* CENSUS_ATTRIBUTE_STRING_ARRAY */
    const int64_t *int_values;        /* CENSUS_ATTRIBUTE_INT64_ARRAY */
    const double *double_values;      /* CENSUS_ATTRIBUTE_DOUBLE_ARRAY */
    const bool *bool_values;          /* CENSUS_ATTRIBUTE_BOOL_ARRAY */
  };
  union {
    int64_t int_value;
    size_t value_count; /* the array types' number of elements (0: an empty array) */
  };
  double double_value;
  bool bool_value;
} census_attribute;

/* Adds an event (OpenCensus: annotation) named `name` at now, with no attributes or with one
 * string attribute (`key` may be NULL, and then `value` is ignored); the strings are copied.
 * Beyond the event limit the event is dropped, counted on the span and CENSUS_ELIMIT returned
 * (CENSUS_ENOMEM likewise). Other results as for the attribute setters: CENSUS_OK for an
 * unsampled span, CENSUS_ENOTFOUND for an ended or invalid one, CENSUS_EINVAL for a NULL name (or
 * a key without a value). Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_add_event(census_span span, const char *name);
CENSUS_EXPORT census_status census_span_add_event_with_attribute(census_span span, const char *name,
                                                                 const char *key,
                                                                 const char *value);

/* Adds an event named `name` at now with `count` typed attributes (`attributes` may be NULL when
 * count is 0); the event name, keys and string values are copied. A key repeated in the array
 * is kept once, with the last value. Array types (CENSUS_ATTRIBUTE_*_ARRAY) are copied element
 * by element, as the array setters do. Distinct keys beyond the per-event limit
 * (census_span_limits.max_attributes_per_event, default 128) are left off the event; census keeps
 * no per-event count of them (the span's dropped-attribute count is for the span's own). The event
 * itself follows the event limit as above (CENSUS_ELIMIT, counted). Errors: CENSUS_EINVAL for a
 * NULL name, NULL attributes with count > 0, an attribute with a NULL key, an unknown type, a
 * NULL string value, an array with NULL values and value_count > 0, a NULL element of a string
 * array or more than UINT32_MAX elements (nothing is added then); CENSUS_ENOMEM (the event is
 * dropped and counted). CENSUS_OK for an unsampled span, CENSUS_ENOTFOUND for an ended or invalid
 * one. Never blocks. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_add_event_with_attributes(
    census_span span, const char *name, const census_attribute *attributes, size_t count);

/* Adds a link to another span's context (copied, tracestate included). Beyond the link limit
 * the link is dropped, counted on the span and CENSUS_ELIMIT returned (CENSUS_ENOMEM likewise).
 * CENSUS_EINVAL for a NULL context; CENSUS_OK for an unsampled span, CENSUS_ENOTFOUND for an
 * ended or invalid one. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_add_link(census_span span,
                                                 const census_trace_context *linked);

/* Sets the status; `message` (may be NULL; copied) is kept only for CENSUS_SPAN_STATUS_ERROR, as
 * OpenTelemetry specifies. OK is final: later calls do not change it, and setting UNSET is
 * ignored. CENSUS_EINVAL for an unknown code; CENSUS_OK for an unsampled span, CENSUS_ENOTFOUND
 * for an ended or invalid one. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_set_status(census_span span, census_span_status_code code,
                                                   const char *message);

/* Changes the span's kind, which census_span_options.kind set at start. For bindings of APIs
 * that let the kind be set after start (opencensus-python: `span.span_kind = SpanKind.SERVER`
 * after `tracer.start_span()`). CENSUS_EINVAL for an unknown kind, CENSUS_OK for an unsampled
 * span (nothing recorded), CENSUS_ENOTFOUND for an ended or invalid one. Never blocks.
 * Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_set_kind(census_span span, census_span_kind kind);

/* Renames the span; `name` is copied. CENSUS_EINVAL for a NULL name, CENSUS_ENOMEM (the old
 * name stays), CENSUS_OK for an unsampled span (nothing to rename), CENSUS_ENOTFOUND for an
 * ended or invalid one. Thread-safety: one thread at a time per span. */
CENSUS_EXPORT census_status census_span_set_name(census_span span, const char *name);

/* The calling thread's current span, or 0 if none (or it has ended). Never fails. Thread-safe
 * (reads the calling thread's own setting). */
CENSUS_EXPORT census_span census_span_current(void);

/* ---- Samplers ---------------------------------------------------------------------------- */

/* New samplers, immutable, owned by the caller (free with census_sampler_free()); they belong
 * to no census state and work before start and after census_shutdown(). NULL only if memory is
 * exhausted. Thread-safe, and a sampler may be used by any number of threads. */
CENSUS_EXPORT census_sampler *census_sampler_always_on(void);
CENSUS_EXPORT census_sampler *census_sampler_always_off(void);
/* Samples a trace when the lower 8 bytes of its trace id, as a big-endian integer shifted right
 * by one, are below ratio * 2^63: the same trace id gets the same decision in every process and
 * every OpenTelemetry SDK that uses this rule. Returns the sampler (owned by the caller) with
 * *status (if not NULL) = CENSUS_OK, or NULL with *status = CENSUS_EINVAL (ratio outside [0, 1]
 * or NaN) or CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_sampler *census_sampler_trace_id_ratio(double ratio, census_status *status);
/* Follows the parent's sampled flag when there is a parent (local or remote); uses `root` (a
 * copy is taken; NULL: always on) for root spans. Returns the sampler (owned by the caller), or
 * NULL if memory is exhausted. Thread-safe. */
CENSUS_EXPORT census_sampler *census_sampler_parent_based(const census_sampler *root);
/* Frees a sampler; NULL is a no-op. Spans already started and the global sampler (a copy) are
 * unaffected. No other thread may use it during or after the call. */
CENSUS_EXPORT void census_sampler_free(census_sampler *sampler);

/* Makes a copy of `sampler` (the caller keeps its own) the global default (initially parent-based
 * always-on, as OpenTelemetry's default). CENSUS_EINVAL for NULL, CENSUS_ENOMEM, CENSUS_ESHUTDOWN
 * after census_shutdown(). Thread-safe; spans already started keep their decision. Samplers
 * themselves belong to the caller and work after shutdown too. */
CENSUS_EXPORT census_status census_trace_set_sampler(const census_sampler *sampler);

/* ---- Limits and export configuration ------------------------------------------------------- */

/* Limits on what one span keeps; 0 fields keep the value in force. Initialise with
 * CENSUS_SPAN_LIMITS_INIT and set fields by name (census reads only the first `size` bytes;
 * docs/api-conventions.md). Thread-safety: a plain value the caller owns. */
typedef struct census_span_limits {
  size_t size;             /* sizeof(census_span_limits), set by CENSUS_SPAN_LIMITS_INIT */
  uint32_t max_attributes; /* default 128 */
  uint32_t max_events;     /* default 128 */
  uint32_t max_links;      /* default 128 */
  uint32_t max_attributes_per_event; /* default 128 */
} census_span_limits;

#define CENSUS_SPAN_LIMITS_INIT                                                                    \
  { .size = sizeof(census_span_limits) }

/* Sets the limits for spans started afterwards; 0 fields keep their current value.
 * OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT and OTEL_SPAN_LINK_COUNT_LIMIT
 * set the defaults. `limits` is read during the call only. Errors: CENSUS_EINVAL for NULL or a
 * size census does not know (0: not initialised with CENSUS_SPAN_LIMITS_INIT; reported to the
 * diagnostics callback), CENSUS_ESHUTDOWN after census_shutdown(); nothing changes then.
 * Thread-safe. */
CENSUS_EXPORT census_status census_trace_set_limits(const census_span_limits *limits);

/* The batch span processor's settings (OTEL_BSP_* variables; zero fields keep the value).
 * Initialise with CENSUS_SPAN_EXPORT_OPTIONS_INIT and set fields by name (census reads, and the
 * getter writes, only the first `size` bytes; docs/api-conventions.md). Thread-safety: a plain
 * value the caller owns. */
typedef struct census_span_export_options {
  size_t size; /* sizeof(census_span_export_options), set by CENSUS_SPAN_EXPORT_OPTIONS_INIT */
  uint32_t max_queue_size;        /* OTEL_BSP_MAX_QUEUE_SIZE, default 2048 */
  uint32_t max_export_batch_size; /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512 */
  int64_t schedule_delay_ms;      /* OTEL_BSP_SCHEDULE_DELAY, default 5000 */
  int64_t export_timeout_ms;      /* OTEL_BSP_EXPORT_TIMEOUT, default 30000 */
} census_span_export_options;

#define CENSUS_SPAN_EXPORT_OPTIONS_INIT                                                            \
  { .size = sizeof(census_span_export_options) }

/* Applies span export options (read during the call only). A smaller queue than the spans now
 * waiting keeps those spans. Errors: CENSUS_EINVAL for NULL, a size census does not know (0: not
 * initialised with CENSUS_SPAN_EXPORT_OPTIONS_INIT; reported to the diagnostics callback), batch
 * size > queue size or a negative time; CENSUS_ESHUTDOWN after census_shutdown(); nothing
 * changes then. Thread-safe. */
CENSUS_EXPORT census_status census_trace_set_export_options(const census_span_export_options *o);

/* Fills the caller's *options with the span export options in force (also after census_shutdown()),
 * writing only the first options->size bytes: initialise it with CENSUS_SPAN_EXPORT_OPTIONS_INIT.
 * Errors: CENSUS_EINVAL for NULL or a size census does not know (reported to the diagnostics
 * callback; *options is then unchanged). Thread-safe. */
CENSUS_EXPORT census_status census_trace_export_options(census_span_export_options *options);

/* Spans dropped so far in this process: the export queue was full, or they ended after
 * census_shutdown(). Never fails. Thread-safe. */
CENSUS_EXPORT uint64_t census_trace_dropped_spans(void);

#ifdef __cplusplus
}
#endif
#endif
