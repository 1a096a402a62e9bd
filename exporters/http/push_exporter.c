/* push_exporter.c - the push exporter skeleton (see push_exporter.h).
 *
 * Design: one census registration (stats or spans) per started exporter, whose user pointer is
 * the census_push_exporter itself; its reference counting is exporters/common/registration.h's.
 * The export callback (census's export worker) runs the concrete exporter's hook and encoder and
 * submits each body to the sender, which owns it from then on; the sender's classify and
 * authorize callbacks are trampolines that call the concrete exporter's with its `user`.
 *
 * `lock` guards `sender`, `final`, `final_flush` and `stopped`, so that a stats call can run
 * concurrently with the shutdown callback, which takes the sender off the handle (readers then
 * see the counters as they were when it was taken, then the final ones), closes it within the
 * deadline (what is left is counted by the sender: dropped, or spooled), keeps its final counters
 * and how its last flush ended, frees the concrete exporter's state and drops the registration's
 * reference. The sender is closed before free_user(user), because its thread calls classify and
 * authorize with `user` until then. The export callbacks read `sender` without the lock: census
 * never calls them after, or concurrently with, the registration's shutdown callback.
 */
#include "push_exporter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "registration.h"
#include "url.h"
#include "alloc.h"

#define DEFAULT_MAX_SPANS 512

struct census_push_exporter {
  census_registration registration; /* the handle's references */
  pthread_mutex_t lock;
  census_http_sender *sender; /* NULL once the shutdown callback took it */
  char *name;
  census_push_config config; /* callbacks, supersede key, max spans; strings not used */
  void *user;                /* NULL once freed */
  atomic_bool retired;       /* a stop could not unregister: exports do nothing */
  bool stopped;              /* the shutdown callback ran; `final` holds the counters */
  census_http_stats final;   /* the sender's final counters (with the shutdown's drops) */
  census_status final_flush; /* how the shutdown's flush ended */
  char final_error[256];     /* the sender's last error when the shutdown closed it */
  int64_t final_error_ns;
  bool status_registered; /* in census's exporter status registry (under `e` itself) */
};

struct census_push_round {
  census_push_exporter *exporter;
  census_status status; /* the worst outcome of the round's submits */
};

/* Frees the handle itself (the last reference went; sender and user state are gone). */
static void push_destroy(void *handle) {
  census_push_exporter *e = handle;
  if (e->status_registered) {
    census_exporter_status_unregister(e); /* waits for a read of the counters in progress */
  }
  pthread_mutex_destroy(&e->lock);
  census__free(e->name);
  census__free(e);
}

/* ---- classification ------------------------------------------------------------------------- */

void census__push_body_excerpt(const census_http_response *r, char *out, size_t n) {
  size_t len = r->body ? r->body_len : 0;
  if (len > n - 1) {
    len = n - 1;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)r->body[i];
    out[i] = c < 0x20 ? ' ' : (char)c;
  }
  out[len] = '\0';
}

bool census__push_classify_common(const char *name, const census_http_response *r,
                                  census_http_verdict *verdict, char *message,
                                  size_t message_size) {
  if (r->status >= 200 && r->status < 300) {
    *verdict = CENSUS_HTTP_DELIVERED;
    return true;
  }
  if (r->status == 0) {
    snprintf(message, message_size, "%s: %s", name, r->curl_error ? r->curl_error : "no response");
    *verdict = CENSUS_HTTP_RETRY;
    return true;
  }
  return false;
}

census_http_verdict census__push_classify_default(const char *name, const census_http_response *r,
                                                  uint64_t *rejected, char *message,
                                                  size_t message_size) {
  *rejected = 0;
  census_http_verdict verdict;
  if (census__push_classify_common(name, r, &verdict, message, message_size)) {
    return verdict;
  }
  char excerpt[200];
  census__push_body_excerpt(r, excerpt, sizeof excerpt);
  snprintf(message, message_size, "%s: HTTP %ld%s%s", name, r->status, excerpt[0] ? ": " : "",
           excerpt);
  return r->status == 429 || r->status >= 500 ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

/* Sender-thread trampolines: the concrete exporter's callbacks with its own user pointer. */
static census_http_verdict push_classify(void *handle, const census_http_response *r,
                                         uint64_t *rejected, char *message, size_t message_size) {
  census_push_exporter *e = handle;
  if (e->config.http.classify) {
    return e->config.http.classify(e->user, r, rejected, message, message_size);
  }
  return census__push_classify_default(e->name, r, rejected, message, message_size);
}

static census_status push_authorize(void *handle, char *buf, size_t size) {
  census_push_exporter *e = handle;
  return e->config.http.authorize(e->user, buf, size);
}

/* ---- handing bodies to the sender ----------------------------------------------------------- */

void census__push_drop(census_push_round *round, uint64_t items, const char *reason,
                       const char *diag) {
  if (items > 0) {
    /* Counted in the sender, whose counters are the exporter's (and reset in a fork child). */
    census__http_sender_drop_unsent(round->exporter->sender, items, reason, diag);
  }
}

/* Submits one body of `items` items with `key`; a failed buffer is an out-of-memory drop. */
static census_status submit(census_push_round *round, census_buf *body, uint64_t items,
                            uint64_t key) {
  census_push_exporter *e = round->exporter;
  size_t len = 0;
  char *data = census__buf_take(body, &len);
  census_status status = CENSUS_OK;
  if (!data) {
    char diag[200];
    snprintf(diag, sizeof diag, "%s: out of memory encoding %llu %s; dropped", e->name,
             (unsigned long long)items, e->config.encode_spans ? "spans" : "items");
    census__push_drop(round, items, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY, diag);
    status = CENSUS_ENOMEM;
  } else {
    status = census__http_sender_submit(e->sender, data, len, items, key);
    /* ELIMIT: an older request was dropped to make room; counted and reported by the sender. */
    status = status == CENSUS_ELIMIT ? CENSUS_OK : status;
  }
  if (status != CENSUS_OK && round->status == CENSUS_OK) {
    round->status = CENSUS_EEXPORT;
  }
  return status;
}

bool census__push_withdraw(census_push_round *round) {
  census_push_exporter *e = round->exporter;
  return census__http_sender_withdraw(e->sender, e->config.supersede_key);
}

census_status census__push_submit(census_push_round *round, census_buf *body, uint64_t items) {
  return submit(round, body, items, round->exporter->config.supersede_key);
}

/* ---- the census callbacks ------------------------------------------------------------------- */

/* Stats export (census's export worker): the pre-round hook, then the encoder's submits. */
static census_status push_export_views(void *handle, const census_view_data *const *views,
                                       size_t count) {
  census_push_exporter *e = handle;
  if (atomic_load(&e->retired)) {
    return CENSUS_OK;
  }
  if (e->config.before_round) {
    e->config.before_round(e->user, views, count);
  }
  census_push_round round = {e, CENSUS_OK};
  census_status status = e->config.encode_views(e->user, views, count, &round);
  return status != CENSUS_OK ? status : round.status;
}

/* Span export (census's export worker): encode in chunks of max_spans_per_request and submit
 * each (never superseded: each batch is new data). A chunk whose encoding fails is dropped,
 * counted; the other chunks still go out. */
static census_status push_export_spans(void *handle, const census_span_data *const *spans,
                                       size_t count) {
  census_push_exporter *e = handle;
  if (atomic_load(&e->retired)) {
    return CENSUS_OK;
  }
  census_push_round round = {e, CENSUS_OK};
  size_t chunk = e->config.max_spans_per_request;
  for (size_t off = 0; off < count; off += chunk) {
    size_t n = count - off < chunk ? count - off : chunk;
    census_buf buf = CENSUS_BUF_INIT;
    if (e->config.encode_spans(e->user, spans + off, n, &buf) != CENSUS_OK) {
      buf.failed = true; /* dropped as out of memory by submit() */
    }
    submit(&round, &buf, n, 0);
    census__buf_free(&buf);
  }
  return round.status;
}

static census_status push_flush(void *handle, int64_t timeout_ms) {
  census_push_exporter *e = handle;
  return census__http_sender_flush(e->sender, timeout_ms);
}

/* Shutdown (census, once per registration): close the sender within the deadline, keeping its
 * final counters and how its flush ended; then free the concrete exporter's state and drop the
 * registration's reference. */
static void push_shutdown(census_push_exporter *e, int64_t timeout_ms, unsigned kind) {
  census_http_stats hs;
  census__http_sender_stats(e->sender, &hs);
  pthread_mutex_lock(&e->lock);
  census_http_sender *sender = e->sender;
  e->final = hs;
  e->sender = NULL;
  e->stopped = true;
  pthread_mutex_unlock(&e->lock);
  char error[sizeof e->final_error];
  int64_t error_ns = census__http_sender_last_error(sender, error, sizeof error);
  census_status flushed = census__http_sender_close(sender, timeout_ms, &hs);
  pthread_mutex_lock(&e->lock);
  e->final = hs;
  e->final_flush = flushed;
  memcpy(e->final_error, error, sizeof error);
  e->final_error_ns = error_ns;
  pthread_mutex_unlock(&e->lock);
  if (e->config.free_user) {
    e->config.free_user(e->user);
  }
  e->user = NULL;
  census__registration_shutdown_done(&e->registration, kind);
}

static void push_shutdown_stats(void *handle, int64_t timeout_ms) {
  push_shutdown(handle, timeout_ms, CENSUS_REGISTRATION_STATS);
}

static void push_shutdown_spans(void *handle, int64_t timeout_ms) {
  push_shutdown(handle, timeout_ms, CENSUS_REGISTRATION_SPANS);
}

static const census_stats_exporter_ops stats_ops = {.size = sizeof(census_stats_exporter_ops),
                                                    .export_views = push_export_views,
                                                    .flush = push_flush,
                                                    .shutdown = push_shutdown_stats};
static const census_span_exporter_ops span_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = push_export_spans,
                                                  .flush = push_flush,
                                                  .shutdown = push_shutdown_spans};

/* ---- the exporter status registry ----------------------------------------------------------- */

/* The report callback: the sender's counters and last error (the final ones after shutdown). */
static void push_report(void *handle, census_exporter_report *report) {
  census_push_exporter *e = handle;
  census_http_stats stats;
  char error[sizeof e->final_error];
  int64_t error_ns;
  pthread_mutex_lock(&e->lock);
  if (e->sender) {
    census__http_sender_stats(e->sender, &stats);
    error_ns = census__http_sender_last_error(e->sender, error, sizeof error);
  } else {
    stats = e->final;
    memcpy(error, e->final_error, sizeof error);
    error_ns = e->final_error_ns;
  }
  pthread_mutex_unlock(&e->lock);
  census_exporter_report_counts(report, stats.items_delivered, stats.items_rejected,
                                stats.items_dropped);
  census_exporter_report_error(report, error_ns, error);
}

/* Registers the exporter in census's status registry with its delivery configuration (the URL
 * redacted; header values masked by the registry, whose rule masks keys naming a header). A
 * failure to register only leaves the exporter off the list. */
static void push_status_register(census_push_exporter *e, const census_push_config *config) {
  char url[512], timeout[32], queued[32];
  census__url_redact(config->http.url ? config->http.url : "", url, sizeof url);
  snprintf(timeout, sizeof timeout, "%lld", (long long)config->http.timeout_ms);
  snprintf(queued, sizeof queued, "%zu", config->http.max_queued);
  census_kv kv[8 + 16];
  size_t n = 0;
  kv[n++] = (census_kv){"endpoint", url};
  kv[n++] = (census_kv){"content_type", config->http.content_type ? config->http.content_type : ""};
  kv[n++] = (census_kv){"gzip", config->http.gzip ? "on" : "off"};
  kv[n++] = (census_kv){"timeout_ms", config->http.timeout_ms ? timeout : "default"};
  kv[n++] = (census_kv){"max_queued", config->http.max_queued ? queued : "default"};
  kv[n++] = (census_kv){"spool_dir", config->http.spool_dir ? config->http.spool_dir : ""};
  kv[n++] = (census_kv){"client_key", config->http.client_key ? config->http.client_key : ""};
  char names[16][80];
  for (size_t i = 0; i < config->http.header_count && i < 16; i++) {
    const char *line = config->http.headers[i];
    size_t name_length = strcspn(line, ":");
    snprintf(names[i], sizeof names[i], "header %.*s", (int)(name_length < 64 ? name_length : 64),
             line);
    kv[n++] = (census_kv){names[i], "****"};
  }
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o.name = e->name;
  o.items = config->encode_spans ? "spans" : "data points";
  o.config = kv;
  o.config_count = n;
  o.report = push_report;
  e->status_registered = census_exporter_status_register(&o, e) == CENSUS_OK;
}

/* ---- start, stats, stop --------------------------------------------------------------------- */

census_push_exporter *census__push_start(const census_push_config *config, census_status *status) {
  census_status unused;
  status = status ? status : &unused;
  if (!config || !config->name || !config->encode_views == !config->encode_spans) {
    *status = CENSUS_EINVAL;
    return NULL;
  }
  census_push_exporter *e = census__calloc(1, sizeof *e);
  if (!e || !(e->name = census__strdup(config->name))) {
    census__free(e);
    *status = CENSUS_ENOMEM;
    return NULL;
  }
  pthread_mutex_init(&e->lock, NULL);
  census__registration_init(&e->registration, e, push_destroy);
  e->config = *config;
  e->user = config->user;
  if (!e->config.max_spans_per_request) {
    e->config.max_spans_per_request = DEFAULT_MAX_SPANS;
  }
  census_http_sender_config http = config->http;
  http.name = http.name ? http.name : config->name;
  http.classify = push_classify;
  http.authorize = config->http.authorize ? push_authorize : NULL;
  http.user = e;
  *status = CENSUS_OK;
  e->sender = census__http_sender_new(&http, status);
  if (!e->sender) {
    *status = *status != CENSUS_OK ? *status : CENSUS_ESYSTEM;
    census__registration_release(&e->registration);
    return NULL;
  }
  *status = census__registration_add(&e->registration, config->encode_views ? &stats_ops : NULL,
                                     config->encode_spans ? &span_ops : NULL);
  if (*status != CENSUS_OK) {
    census__http_sender_free(e->sender, 0); /* nothing was submitted */
    census__registration_release(&e->registration);
    return NULL;
  }
  push_status_register(e, config);
  return e;
}

census_status census__push_stats(census_push_exporter *e, census_http_stats *stats) {
  if (!e || !stats) {
    return CENSUS_EINVAL;
  }
  pthread_mutex_lock(&e->lock);
  if (e->sender) {
    census__http_sender_stats(e->sender, stats);
  } else {
    *stats = e->final;
  }
  pthread_mutex_unlock(&e->lock);
  return CENSUS_OK;
}

census_status census__push_outcome(census_status final_flush, const census_http_stats *final) {
  if (final_flush == CENSUS_ETIMEDOUT) {
    return CENSUS_ETIMEDOUT;
  }
  if (final_flush != CENSUS_OK || final->items_dropped || final->items_rejected) {
    return CENSUS_EEXPORT;
  }
  return CENSUS_OK;
}

census_status census__push_stop(census_push_exporter *e, int64_t timeout_ms) {
  if (!e) {
    return CENSUS_EINVAL;
  }
  /* census exports what it holds and runs push_shutdown(), unless census_shutdown() did. */
  census_status status = census__registration_unregister(&e->registration, timeout_ms);
  pthread_mutex_lock(&e->lock);
  bool stopped = e->stopped;
  census_status outcome = stopped ? census__push_outcome(e->final_flush, &e->final) : status;
  pthread_mutex_unlock(&e->lock);
  if (!stopped) {
    /* census still holds the registration: it calls the shutdown later, which releases it. */
    atomic_store(&e->retired, true);
    outcome = CENSUS_ETIMEDOUT;
  } else if (status == CENSUS_ETIMEDOUT) {
    outcome = CENSUS_ETIMEDOUT; /* the final export itself was cut short */
  } else if (status != CENSUS_OK && outcome == CENSUS_OK) {
    /* census's final export to it failed (out of memory): not everything was sent.
     * tests/reliability/alloc_failure.c saw CENSUS_OK here. */
    outcome = CENSUS_EEXPORT;
  }
  census__registration_release(&e->registration);
  return outcome;
}
