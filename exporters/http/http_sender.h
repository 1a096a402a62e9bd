/* http_sender.h - delivers encoded request bodies over HTTP(S) with libcurl, from its own thread,
 * with retries, so that a slow or dead backend never blocks census's export worker (and so never
 * the other exporters), and never a recording thread.
 *
 * Model: an exporter encodes a batch (a metrics snapshot, a batch of spans) and submits it; the
 * sender owns it from then on. Requests wait in a bounded queue and go out one at a time, in
 * order. A failed attempt that the exporter's classifier calls retryable (connection failure,
 * timeout, 429/502/503/504 for OTLP) is retried with exponential backoff and full jitter, waiting
 * at least what a Retry-After header asks (delay-seconds or HTTP-date), until the request's retry
 * budget (max_elapsed_ms since its first attempt) runs out; then it is dropped and its items
 * counted. Submitting to a full queue drops the oldest queued request (its items counted), except
 * that a request submitted with a non-zero `supersede_key` first replaces a queued, not yet
 * attempted request with the same key: cumulative metric snapshots carry all earlier totals, so
 * the newer one loses nothing and the older is counted as superseded, not dropped.
 * Every drop is counted in census_http_stats, recorded in the self-metric views
 * census/exporter_dropped_items {exporter = config name, reason} and census/exporter_rejected_items
 * (census_exporter_record_dropped/_rejected), and reported once per event through
 * census_diagnostics_report().
 *
 * Exit: in the flush that census runs at process exit or on a flush signal
 * (census_exporter_is_flushing_at_exit() true), a flush that runs out of time counts every request
 * still queued or in flight as dropped with reason exit_deadline, in one diagnostic line, without
 * stopping the thread or freeing the sender (other threads may still run).
 *
 * Spool (opt-in, spool.h): with a spool configured, what the exit or shutdown deadline leaves and
 * the oldest request a full queue pushes out are written to disk instead of being dropped
 * (counted as spooled), and a new sender first delivers what earlier processes of the same
 * service spooled for it, oldest first, before its own requests.
 *
 * Fork: the sender belongs to the process that made it. In a forked child the queue inherited
 * from the parent is discarded (the parent delivers it), the counters start again from zero (the
 * child's are its own) and the thread restarts on first use.
 *
 * Thread-safety: all functions are thread-safe except census__http_sender_free(), which must be
 * the last call.
 */
#ifndef CENSUS_HTTP_SENDER_H
#define CENSUS_HTTP_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

typedef struct census_http_sender census_http_sender;

/* What the exporter decides about one HTTP response (or transport failure). */
typedef enum census_http_verdict {
  CENSUS_HTTP_DELIVERED = 0, /* done; `rejected` items may still have been refused (partial) */
  CENSUS_HTTP_RETRY = 1,     /* try again after backoff, if the budget allows */
  CENSUS_HTTP_FAILED = 2,    /* permanent failure: drop the request, count its items */
} census_http_verdict;

/* One finished attempt, as the classifier sees it. */
typedef struct census_http_response {
  long status;            /* HTTP status; 0 when no response arrived (see curl_error) */
  const char *curl_error; /* libcurl's message when status == 0, else NULL */
  const char *body;       /* response body (at most max_response_bytes), NUL-terminated */
  size_t body_len;
  const char *content_type; /* response Content-Type or NULL */
  uint64_t items;           /* the request's item count, as submitted */
  /* gRPC senders only (config.grpc): the trailers (or Trailers-Only headers) as received. */
  int grpc_status;          /* grpc-status, -1 when absent */
  const char *grpc_message; /* grpc-message, percent-encoded; "" if absent */
  const char *grpc_details; /* grpc-status-details-bin, base64; "" if absent */
  /* The classifier may raise the wait before a retry (e.g. a gRPC RetryInfo): in, the response's
   * Retry-After in ms (-1 if none); what it leaves there is the minimum wait. */
  int64_t *retry_after_ms;
} census_http_response;

/* Classifies a response and may parse its body (partial success, error details). Sets *rejected
 * to the number of items the server refused in a DELIVERED response (0 if none) and may write
 * a human-readable reason into message[0..message_size) (reported through diagnostics when not
 * empty). Called on the sender's thread. */
typedef census_http_verdict (*census_http_classify_fn)(void *user,
                                                       const census_http_response *response,
                                                       uint64_t *rejected, char *message,
                                                       size_t message_size);

/* Produces extra headers for the next attempt (e.g. "Authorization: Bearer ..."), written as
 * complete header lines separated by '\n' into buf[0..size). Returns CENSUS_OK, or an error
 * (e.g. the token endpoint is down) that counts as a retryable failed attempt. Called on the
 * sender's thread before every attempt. May be NULL. */
typedef census_status (*census_http_authorize_fn)(void *user, char *buf, size_t size);

typedef struct census_http_sender_config {
  const char *name;           /* for diagnostics, e.g. "otlp traces" (copied) */
  const char *url;            /* full URL (copied) */
  const char *const *headers; /* "Name: value" lines added to every request (copied); may be NULL */
  size_t header_count;
  const char *content_type;         /* of every request body (copied) */
  bool gzip;                        /* compress bodies, send Content-Encoding: gzip */
  int64_t timeout_ms;               /* per attempt; 0: 10000 */
  int64_t initial_backoff_ms;       /* 0: 1000 */
  int64_t max_backoff_ms;           /* 0: 30000 */
  int64_t max_elapsed_ms;           /* retry budget per request from its first attempt; 0: 60000 */
  size_t max_queued;                /* requests waiting (not counting the one in flight); 0: 64 */
  size_t max_response_bytes;        /* response bytes kept for the classifier; 0: 4 MiB */
  const char *ca_file;              /* PEM CA bundle for https (copied); NULL: system default */
  const char *client_cert;          /* PEM client certificate for mTLS (copied); may be NULL */
  const char *client_key;           /* PEM client key for mTLS (copied); may be NULL */
  census_http_classify_fn classify; /* required */
  census_http_authorize_fn authorize; /* may be NULL */
  void *user;                         /* passed to classify and authorize */
  /* Persistent spool (docs/exporters/http-delivery.md, "Spool"): spool_dir (copied) or else
   * CENSUS_SPOOL_DIR turns it on; the bound is spool_max_bytes or else CENSUS_SPOOL_MAX_BYTES,
   * else 64 MiB. service_name (service.name) scopes it with `name` and `url`. */
  const char *spool_dir;
  uint64_t spool_max_bytes;
  const char *service_name;
  /* A gRPC unary call per request (grpc.h): the body is sent as one length-prefixed message over
   * HTTP/2 (h2c with prior knowledge for http://, ALPN for https://) with `te: trailers` and a
   * grpc-timeout; with gzip the message is compressed and flagged (grpc-encoding: gzip) instead of
   * the HTTP body. The classifier gets the grpc-* trailers. Spooled bodies are stored unframed. */
  bool grpc;
} census_http_sender_config;

/* Counters since creation; each is exact. "items" are whatever the exporter counts per request
 * (data points, spans). */
typedef struct census_http_stats {
  uint64_t requests_delivered;  /* got a DELIVERED verdict */
  uint64_t attempts;            /* HTTP attempts made, including retries */
  uint64_t retries;             /* attempts after the first, per request */
  uint64_t items_delivered;     /* items in delivered requests, minus rejected ones */
  uint64_t items_rejected;      /* refused by the server in a delivered (partial) response */
  uint64_t items_dropped;       /* dropped by us: queue full, retry budget spent, permanent
                                   failure, shutdown deadline, exit deadline, and by the exporter
                                   before submitting (census__http_sender_drop_unsent()) */
  uint64_t requests_superseded; /* replaced by a newer request with the same supersede_key */
  uint64_t requests_dropped;    /* requests behind items_dropped */
  uint64_t requests_spooled;    /* written to the spool instead of being dropped (exit or
                                   shutdown deadline, full queue): a later start delivers them */
  uint64_t items_spooled;       /* items behind requests_spooled */
  uint64_t requests_from_spool; /* spooled by an earlier process and delivered by this one (also
                                   in requests_delivered; their items in items_delivered) */
  uint64_t items_from_spool;    /* items behind requests_from_spool */
} census_http_stats;

/* Creates a sender and starts its thread, which first delivers what the spool (if configured)
 * holds for this sender. NULL on error, with *status (if not NULL) set: CENSUS_EINVAL (missing
 * url/classify), CENSUS_ENOMEM, CENSUS_ESYSTEM (thread or curl init), CENSUS_ECONFIG (the
 * spool_dir option names a directory that cannot be used; reported naming the option). */
census_http_sender *census__http_sender_new(const census_http_sender_config *config,
                                            census_status *status);

/* Queues `body` (ownership passes to the sender, which free()s it, on every path including
 * errors) carrying `items` items. Never blocks on the network. supersede_key 0: never replaced.
 * Returns CENSUS_OK, CENSUS_ELIMIT when an older request was dropped to make room (counted),
 * or CENSUS_ESHUTDOWN after census__http_sender_free() started (the body is freed and counted). */
census_status census__http_sender_submit(census_http_sender *sender, char *body, size_t len,
                                         uint64_t items, uint64_t supersede_key);

/* Takes back a queued, never attempted request submitted with `supersede_key` (non-zero), as if
 * superseded (counted in requests_superseded): an exporter whose next request will carry that one's
 * data too (delta temporality, otlp_delta.h) calls it first, and learns under the sender's lock
 * whether the older request can still be replaced (true) or has left the queue (false: it is in
 * flight, delivered, dropped or spooled, and will not be replaced). */
bool census__http_sender_withdraw(census_http_sender *sender, uint64_t supersede_key);

/* Blocks until every request submitted before the call is delivered or dropped, or until
 * timeout_ms passes (CENSUS_ETIMEDOUT; the requests stay queued, except at exit, below). During a
 * flush, waits between retries are cut short to what the deadline allows. CENSUS_OK when all were
 * delivered, CENSUS_EEXPORT when some were dropped; CENSUS_ETIMEDOUT wins when both apply.
 * Called from the flush census runs at process exit or on a flush signal
 * (census_exporter_is_flushing_at_exit()), a flush that times out then counts everything still
 * queued or in flight as dropped (CENSUS_EXPORTER_DROP_EXIT_DEADLINE), aborts the attempt in flight
 * and reports "<name>: exit deadline reached, R requests (I items) not delivered[; last failure:
 * ...]" once; the sender stays usable. */
census_status census__http_sender_flush(census_http_sender *sender, int64_t timeout_ms);

/* Counts a request of `items` items that the exporter dropped before submitting it (e.g. its
 * encoding ran out of memory) in this sender's counters (requests_dropped, items_dropped),
 * records it in census/exporter_dropped_items under the sender's name with `reason` (a
 * CENSUS_EXPORTER_DROP_* string) and reports `diag` (may be NULL). Keeping these counts in the
 * sender gives every exporter one set of counters that a fork resets. NULL sender: no-op. */
void census__http_sender_drop_unsent(census_http_sender *sender, uint64_t items, const char *reason,
                                     const char *diag);

void census__http_sender_stats(census_http_sender *sender, census_http_stats *stats);

/* Copies the sender's last error (the message of its last failed attempt or drop, "" if none)
 * into out[0..size) and returns when it happened (Unix ns; 0 if none). Kept for the life of the
 * sender (a later success does not clear it). NULL sender: "" and 0. */
int64_t census__http_sender_last_error(census_http_sender *sender, char *out, size_t size);

/* Flushes for up to timeout_ms, then stops the thread (an attempt in flight is aborted), counts
 * what is left as dropped, reports it, and frees everything. NULL is a no-op. */
void census__http_sender_free(census_http_sender *sender, int64_t timeout_ms);

/* census__http_sender_free() that also hands back the final counters, which include what the
 * deadline made it drop (`final` may be NULL), and returns how its flush ended: CENSUS_OK (all
 * delivered), CENSUS_ETIMEDOUT (the deadline passed first: what was left is dropped, reason
 * shutdown), CENSUS_EEXPORT (some requests were dropped); ETIMEDOUT wins. NULL: CENSUS_OK. */
census_status census__http_sender_close(census_http_sender *sender, int64_t timeout_ms,
                                        census_http_stats *final);

#endif
