/* span_push_exporter.h - the generic push exporter of spans that the Zipkin and Cloud Trace
 * exporters are built on: a census span exporter whose export callback encodes each batch with
 * the exporter's encoder, in chunks of at most max_spans_per_request spans, and queues every
 * chunk on an HTTP sender (http_sender.h), which POSTs it from its own thread with retries.
 *
 * What a concrete exporter keeps: its encoder (an encode callback), the translation of its public
 * options into a census_span_push_config, its exporter-specific state (passed back as `user`)
 * and, when the default classification does not fit, its own classifier, for which the pieces of
 * the default one are available (census__span_push_classify_common(),
 * census__span_push_body_excerpt()).
 *
 * Lifetime (the same contract as the OTLP exporter's): the handle is reference-counted, one
 * reference for the caller and one for the census registration. The shutdown callback (from
 * census__span_push_stop() through census_span_exporter_unregister(), or from census_shutdown())
 * flushes and closes the sender within the deadline, keeps its final counters, calls the
 * exporter's free_user(user) and drops the registration's reference. The handle stays valid
 * until census__span_push_stop() drops the caller's: after census_shutdown(),
 * census__span_push_stats() still gives the final counters and census__span_push_stop() only
 * frees.
 *
 * Drops: what the sender drops it counts and records in census/exporter_dropped_items; a chunk
 * whose encoding fails (out of memory) is dropped here, counted in the stats (items_dropped,
 * requests_dropped) and recorded under the sender's name with reason
 * CENSUS_EXPORTER_DROP_OUT_OF_MEMORY.
 *
 * A concrete exporter hands the census_span_push_exporter pointer to its caller as its own opaque
 * public handle (converted to the public struct type and back), so that handle is also the user
 * pointer census gives to census_span_exporter_unregister().
 *
 * Thread-safety: all functions are thread-safe.
 */
#ifndef CENSUS_HTTP_SPAN_PUSH_EXPORTER_H
#define CENSUS_HTTP_SPAN_PUSH_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/status.h"
#include "http_sender.h"

typedef struct census_span_push_exporter census_span_push_exporter;

/* Appends the request body for spans[0..count) (count >= 1, at most max_spans_per_request) to
 * `out`. Returns CENSUS_OK, or an error (CENSUS_ENOMEM) that drops the chunk, reported. Called on
 * census's export worker while the span data are borrowed. */
typedef census_status (*census_span_push_encode_fn)(void *user,
                                                    const census_span_data *const *spans,
                                                    size_t count, census_buf *out);

typedef struct census_span_push_config {
  const char *name;                  /* diagnostics prefix, e.g. "zipkin" (copied); required */
  census_span_push_encode_fn encode; /* required */
  size_t max_spans_per_request;      /* 0: 512 */
  /* The sender's configuration (see http_sender.h). `http.name` NULL: `name`. `http.classify`
   * NULL: census__span_push_classify_default() with `name`. `http.classify` and `http.authorize`
   * receive `user` (http.user is ignored). */
  census_http_sender_config http;
  void *user;                    /* passed to encode, classify, authorize and free_user */
  void (*free_user)(void *user); /* releases `user` at shutdown (after the sender); may be NULL */
} census_span_push_config;

/* Copies the delivery options every span exporter's public options struct has under these names
 * (census_zipkin_options, census_google_trace_options: max_spans_per_request, initial_backoff_ms,
 * max_backoff_ms, max_elapsed_ms, max_queued; 0 keeps the default) into a
 * census_span_push_config. timeout_ms is not copied: each exporter resolves its own default. */
#define CENSUS_SPAN_PUSH_APPLY_OPTIONS(config, o)                                                  \
  do {                                                                                             \
    (config).max_spans_per_request = (o).max_spans_per_request;                                    \
    (config).http.initial_backoff_ms = (o).initial_backoff_ms;                                     \
    (config).http.max_backoff_ms = (o).max_backoff_ms;                                             \
    (config).http.max_elapsed_ms = (o).max_elapsed_ms;                                             \
    (config).http.max_queued = (o).max_queued;                                                     \
    (config).http.spool_dir = (o).spool_dir;                                                       \
    (config).http.spool_max_bytes = (o).spool_max_bytes;                                           \
  } while (0)

/* Starts the sender thread and registers the span exporter. On success returns the handle and
 * owns `config->user` from then on (free_user is called at shutdown). On error returns NULL with
 * *status (if not NULL) set (CENSUS_EINVAL for a missing name or encode, CENSUS_ENOMEM,
 * CENSUS_ESYSTEM, or what census_span_exporter_register() returned, e.g. CENSUS_ESHUTDOWN); the
 * caller then still owns `user`. Does not touch the network. */
census_span_push_exporter *census__span_push_start(const census_span_push_config *config,
                                                   census_status *status);

/* Copies the counters into *stats: the sender's (live, or final once the shutdown callback ran)
 * plus the chunks dropped before the sender. CENSUS_EINVAL for NULL arguments. Valid until
 * census__span_push_stop(), including after census_shutdown(). Never blocks on the network. */
census_status census__span_push_stats(census_span_push_exporter *exporter,
                                      census_http_stats *stats);

/* A public stats struct of a span exporter (census_zipkin_stats, census_google_trace_stats: the
 * same six fields) as a compound literal of `type`, from the census_http_stats `h`. */
#define CENSUS_SPAN_PUSH_PUBLIC_STATS(type, h)                                                     \
  ((type){.spans_delivered = (h).items_delivered,                                                  \
          .spans_dropped = (h).items_dropped,                                                      \
          .requests_delivered = (h).requests_delivered,                                            \
          .requests_dropped = (h).requests_dropped,                                                \
          .attempts = (h).attempts,                                                                \
          .retries = (h).retries,                                                                  \
          .requests_spooled = (h).requests_spooled,                                                \
          .spans_spooled = (h).items_spooled,                                                      \
          .requests_from_spool = (h).requests_from_spool,                                          \
          .spans_from_spool = (h).items_from_spool})

/* Unregisters the span exporter unless its shutdown callback already ran (census exports what
 * it still holds and calls the shutdown callback, which waits up to timeout_ms for queued
 * requests), then frees the handle. Returns CENSUS_EINVAL for NULL; CENSUS_OK when the exporter
 * was already shut down (census_shutdown(): nothing left to deliver); else what
 * census_span_exporter_unregister() returns (CENSUS_OK, CENSUS_ETIMEDOUT). The handle is invalid
 * afterwards; a second call on it is undefined, like free() twice. Blocking (bounded by
 * timeout_ms); not from an exporter callback. */
census_status census__span_push_stop(census_span_push_exporter *exporter, int64_t timeout_ms);

/* ---- classification pieces (sender thread) ------------------------------------------------ */

/* Decides what every span backend answers alike: 2xx is DELIVERED, no response (transport
 * failure, status 0) is RETRY with "<name>: <curl error>" in message. Returns true and sets
 * *verdict when it decided, false (message untouched) for any other status. */
bool census__span_push_classify_common(const char *name, const census_http_response *response,
                                       census_http_verdict *verdict, char *message,
                                       size_t message_size);

/* Copies at most n-1 bytes of the response body into out (NUL-terminated; n >= 1), control
 * characters made spaces, so that a body can be quoted in a one-line diagnostic. */
void census__span_push_body_excerpt(const census_http_response *response, char *out, size_t n);

/* The default classifier: the common cases above; otherwise the message is
 * "<name>: HTTP <status>: <body excerpt>" and 429 and 5xx are RETRY, anything else FAILED. Never
 * rejects individual spans (*rejected = 0). */
census_http_verdict census__span_push_classify_default(const char *name,
                                                       const census_http_response *response,
                                                       uint64_t *rejected, char *message,
                                                       size_t message_size);

#endif
