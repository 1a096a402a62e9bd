/* push_exporter.h - the one push exporter skeleton: what every exporter that POSTs its data has
 * in common, written once. OTLP (metrics and traces), Cloud Monitoring, Cloud Trace, Zipkin and
 * third-party exporters (examples/influx_exporter.c) are each an encoder and a configuration on
 * top of it.
 *
 * A push exporter is registered with census as a stats exporter or as a span exporter (one
 * signal; OTLP starts one of each). On census's export worker, its export callback hands what
 * census collected to the concrete exporter's encoder, which produces request bodies; each body
 * goes to the exporter's HTTP sender (http_sender.h), which delivers it from its own thread with
 * retries, the spool, exact counters, the exit-deadline accounting and the fork rules. What the
 * skeleton does:
 *   - stats: an optional pre-round hook (before_round; e.g. Cloud Monitoring creates its metric
 *     descriptors there, synchronously), then encode_views(), which submits one or more bodies
 *     through census__push_submit(). With a supersede_key, a snapshot's request replaces a queued
 *     one of an earlier snapshot (cumulative data: nothing is lost; counted as superseded);
 *   - spans: the batch is cut into chunks of at most max_spans_per_request spans, and
 *     encode_spans() writes each chunk's body;
 *   - drops before the sender: a body whose encoding ran out of memory, and what the encoder drops
 *     itself (census__push_drop(), e.g. Cloud Monitoring's points without a descriptor), are
 *     counted in the sender's counters (one set per exporter, reset in a fork child), recorded in
 *     census/exporter_dropped_items under the sender's name, and reported;
 *   - flush: the sender's flush, with its status (CENSUS_OK, CENSUS_ETIMEDOUT, CENSUS_EEXPORT);
 *   - shutdown (census_shutdown(), or the stop's unregistration): the sender is closed within the
 *     deadline, its final counters kept, then the concrete exporter's state freed (free_user);
 *   - stop: unregisters (census makes a final export and runs the shutdown), then frees the
 *     handle and returns the outcome of the final delivery (census__push_stop()).
 *
 * Lifetime: the handle is reference-counted (exporters/common/registration.h): one reference for
 * the caller, one for the census registration. After census_shutdown() the handle stays valid:
 * census__push_stats() gives the final counters and census__push_stop() only frees. When census
 * cannot take the registration out within the stop's timeout (an export holds its collection
 * lock), the exporter stops encoding (its exports do nothing), the stop returns CENSUS_ETIMEDOUT,
 * and the handle stays allocated until census's shutdown call releases it.
 *
 * A concrete exporter hands the census_push_exporter pointer to its caller as its own opaque
 * public handle (converted to its public struct type and back).
 *
 * Thread-safety: every function is thread-safe; census__push_stop() must be the last call on a
 * handle, not from an exporter callback, and not concurrently with census_shutdown().
 */
#ifndef CENSUS_HTTP_PUSH_EXPORTER_H
#define CENSUS_HTTP_PUSH_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/status.h"
#include "http_sender.h"

typedef struct census_push_exporter census_push_exporter;

/* Where encode_views() hands its bodies (valid during that call only). */
typedef struct census_push_round census_push_round;

/* Stats: encodes the snapshots views[0..count) (borrowed for the call) into request bodies, each
 * handed over with census__push_submit(). Returns CENSUS_OK or an error that census_flush()
 * passes on (what was lost must have been counted with census__push_drop()). */
typedef census_status (*census_push_encode_views_fn)(void *user,
                                                     const census_view_data *const *views,
                                                     size_t count, census_push_round *round);

/* Spans: appends the request body for spans[0..count) (1 <= count <= max_spans_per_request) to
 * `out`. Returns CENSUS_OK, or an error (CENSUS_ENOMEM) that drops the chunk, counted. */
typedef census_status (*census_push_encode_spans_fn)(void *user,
                                                     const census_span_data *const *spans,
                                                     size_t count, census_buf *out);

/* Stats: called before encode_views() in each round, with the same snapshots (e.g. to create
 * what the backend needs before the first point of a view). May block on the network, which holds
 * up census's export (and a flush's hand-over) for as long: keep it bounded. */
typedef void (*census_push_round_fn)(void *user, const census_view_data *const *views,
                                     size_t count);

typedef struct census_push_config {
  const char *name; /* the sender's name: diagnostics and the self-metrics' "exporter" (copied) */
  /* Exactly one of these: a stats exporter (encode_views) or a span exporter (encode_spans). */
  census_push_encode_views_fn encode_views;
  census_push_encode_spans_fn encode_spans;
  census_push_round_fn before_round; /* stats: may be NULL */
  /* Stats: non-zero for an exporter that sends each cumulative snapshot as one request, which
   * then supersedes a queued, not yet attempted request of an earlier snapshot. 0: never. */
  uint64_t supersede_key;
  size_t max_spans_per_request; /* spans: 0 means 512 */
  /* The sender's configuration (http_sender.h). `http.name` NULL: `name`. `http.classify` NULL:
   * census__push_classify_default() with `name`. `http.classify` and `http.authorize` receive
   * `user` (http.user is ignored). */
  census_http_sender_config http;
  void *user;                    /* passed to every callback */
  void (*free_user)(void *user); /* releases `user` at shutdown, after the sender; may be NULL */
} census_push_config;

/* Starts the sender and registers the exporter. On success returns the handle and owns
 * `config->user` from then on (free_user is called at shutdown). On error returns NULL with
 * *status (if not NULL) set: CENSUS_EINVAL (no name, not exactly one encoder), CENSUS_ENOMEM,
 * CENSUS_ESYSTEM, CENSUS_ECONFIG (an unusable spool_dir option: reported), or what census's
 * register function returned (CENSUS_ESHUTDOWN); the caller then still owns `user`. Does not
 * touch the network. */
census_push_exporter *census__push_start(const census_push_config *config, census_status *status);

/* Hands one encoded body to the sender: takes the contents of `body` (left empty) as a request of
 * `items` items. A buffer whose allocation failed drops the items (counted, recorded as
 * out_of_memory, reported). Returns CENSUS_OK when the sender took it (a full queue that had to
 * drop an older request counts that drop itself), CENSUS_ENOMEM when the body was dropped,
 * CENSUS_ESHUTDOWN when the sender is closing (counted by the sender). */
census_status census__push_submit(census_push_round *round, census_buf *body, uint64_t items);

/* Takes back this exporter's queued, never attempted request (the config's supersede_key), as
 * census__http_sender_withdraw(): true when it did (counted as superseded; the caller's next
 * submit must carry its data), false when none was queued. For encoders whose requests carry
 * what changed (delta temporality) rather than cumulative totals. */
bool census__push_withdraw(census_push_round *round);

/* Counts `items` the encoder drops before submitting them (reason: a CENSUS_EXPORTER_DROP_*
 * string) in the sender's counters (items_dropped, requests_dropped) and in
 * census/exporter_dropped_items, and reports `diag` (may be NULL). 0 items: nothing. */
void census__push_drop(census_push_round *round, uint64_t items, const char *reason,
                       const char *diag);

/* Copies the counters into *stats: the sender's (live, or final once the shutdown ran).
 * CENSUS_EINVAL for NULL arguments. Never blocks on the network. */
census_status census__push_stats(census_push_exporter *exporter, census_http_stats *stats);

/* Stops the exporter, within timeout_ms: unregisters it unless census_shutdown() already did
 * (census makes a final export and runs the shutdown, which closes the sender), then frees the
 * handle. Returns the outcome of the final delivery, whichever ran it: CENSUS_ETIMEDOUT when the
 * deadline cut it short (or census could not take the registration out in time: see the file
 * comment), else CENSUS_EEXPORT when items were dropped or rejected during the exporter's life
 * (the counters say which) or when census's final export to it could not be made (out of
 * memory), else CENSUS_OK; CENSUS_EINVAL for NULL. The handle is invalid
 * afterwards; a second call is undefined, like free() twice. Blocking (bounded by timeout_ms). */
census_status census__push_stop(census_push_exporter *exporter, int64_t timeout_ms);

/* The outcome census__push_stop() would give for a final flush status and final counters. */
census_status census__push_outcome(census_status final_flush, const census_http_stats *final);

/* ---- classification pieces (sender thread) ------------------------------------------------ */

/* Decides what every backend answers alike: 2xx is DELIVERED, no response (transport failure,
 * status 0) is RETRY with "<name>: <curl error>" in message. Returns true and sets *verdict when
 * it decided, false (message untouched) for any other status. */
bool census__push_classify_common(const char *name, const census_http_response *response,
                                  census_http_verdict *verdict, char *message, size_t message_size);

/* Copies at most n-1 bytes of the response body into out (NUL-terminated; n >= 1), control
 * characters made spaces, so that a body can be quoted in a one-line diagnostic. */
void census__push_body_excerpt(const census_http_response *response, char *out, size_t n);

/* The default classifier: the common cases above; otherwise the message is
 * "<name>: HTTP <status>: <body excerpt>" and 429 and 5xx are RETRY, anything else FAILED. Never
 * rejects individual items (*rejected = 0). */
census_http_verdict census__push_classify_default(const char *name,
                                                  const census_http_response *response,
                                                  uint64_t *rejected, char *message,
                                                  size_t message_size);

/* ---- the options every push exporter shares ----------------------------------------------- */

/* Copies the delivery options a push exporter's public options struct has under these names
 * (initial_backoff_ms, max_backoff_ms, max_elapsed_ms, max_queued, spool_dir, spool_max_bytes;
 * 0/NULL keeps the default) into the sender's configuration. timeout_ms is not copied: each
 * exporter resolves its own default (and environment variable). */
#define CENSUS_PUSH_APPLY_OPTIONS(http_config, o)                                                  \
  do {                                                                                             \
    (http_config).initial_backoff_ms = (o).initial_backoff_ms;                                     \
    (http_config).max_backoff_ms = (o).max_backoff_ms;                                             \
    (http_config).max_elapsed_ms = (o).max_elapsed_ms;                                             \
    (http_config).max_queued = (o).max_queued;                                                     \
    (http_config).spool_dir = (o).spool_dir;                                                       \
    (http_config).spool_max_bytes = (o).spool_max_bytes;                                           \
  } while (0)

/* A span exporter's public stats struct (census_zipkin_stats, census_google_trace_stats: the same
 * ten fields) as a compound literal of `type`, from the census_http_stats `h`. */
#define CENSUS_PUSH_SPAN_STATS(type, h)                                                            \
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

#endif
