/* span_push_exporter.c - the generic span push exporter (see span_push_exporter.h).
 *
 * Design: one census span exporter per started exporter, whose user pointer is the
 * census_span_push_exporter itself. The export callback (census's export worker) encodes the
 * batch in chunks of max_spans_per_request with the concrete exporter's encode callback and
 * submits each chunk to the sender, which owns it from then on; the sender's classify and
 * authorize callbacks are trampolines that call the concrete exporter's with its `user`.
 *
 * Lifetime: the handle is reference-counted, like the OTLP exporter's: one reference for the
 * caller (released by census__span_push_stop()) and one for the census registration (released
 * by the shutdown callback, which census runs at unregistration or at census_shutdown()). The
 * shutdown callback closes the sender, keeps its final counters in `final`, frees the concrete
 * exporter's state and drops its reference; the last reference frees the handle. `lock` guards
 * `sender`, `final` and `stopped`, so a stats call can run concurrently with a shutdown. Chunks
 * dropped before the sender (encoding failed) are counted in the sender's counters
 * (census__http_sender_drop_unsent()), so the exporter has one set, which a fork resets. The sender
 * is freed before free_user(user), because its thread calls classify and authorize with `user`
 * until then.
 */
#include "span_push_exporter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"

struct census_span_push_exporter {
  pthread_mutex_t lock;
  atomic_int refs;
  census_http_sender *sender; /* NULL once the shutdown callback took it */
  char *name;
  census_span_push_encode_fn encode;
  census_http_classify_fn classify; /* NULL: the default classifier */
  census_http_authorize_fn authorize;
  void *user;
  void (*free_user)(void *user);
  size_t max_spans_per_request;
  bool stopped;            /* the shutdown callback ran; `final` holds the counters */
  census_http_stats final; /* the sender's final counters (with the shutdown drops) */
};

/* Frees the handle itself (the sender and the user state are gone by then, or never were). */
static void push_destroy(census_span_push_exporter *e) {
  pthread_mutex_destroy(&e->lock);
  free(e->name);
  free(e);
}

static void push_release(census_span_push_exporter *e) {
  if (atomic_fetch_sub(&e->refs, 1) == 1)
    push_destroy(e);
}

void census__span_push_body_excerpt(const census_http_response *r, char *out, size_t n) {
  size_t len = r->body ? r->body_len : 0;
  if (len > n - 1)
    len = n - 1;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)r->body[i];
    out[i] = c < 0x20 ? ' ' : (char)c;
  }
  out[len] = '\0';
}

bool census__span_push_classify_common(const char *name, const census_http_response *r,
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

census_http_verdict census__span_push_classify_default(const char *name,
                                                       const census_http_response *r,
                                                       uint64_t *rejected, char *message,
                                                       size_t message_size) {
  *rejected = 0;
  census_http_verdict verdict;
  if (census__span_push_classify_common(name, r, &verdict, message, message_size))
    return verdict;
  char excerpt[200];
  census__span_push_body_excerpt(r, excerpt, sizeof excerpt);
  snprintf(message, message_size, "%s: HTTP %ld%s%s", name, r->status, excerpt[0] ? ": " : "",
           excerpt);
  if (r->status == 429 || r->status >= 500)
    return CENSUS_HTTP_RETRY;
  return CENSUS_HTTP_FAILED;
}

/* Sender-thread trampolines: the concrete exporter's callbacks with its own user pointer. */
static census_http_verdict push_classify(void *user, const census_http_response *r,
                                         uint64_t *rejected, char *message, size_t message_size) {
  census_span_push_exporter *e = user;
  if (e->classify)
    return e->classify(e->user, r, rejected, message, message_size);
  return census__span_push_classify_default(e->name, r, rejected, message, message_size);
}

static census_status push_authorize(void *user, char *buf, size_t size) {
  census_span_push_exporter *e = user;
  return e->authorize(e->user, buf, size);
}

/* Export callback (census's export worker): encode in chunks of max_spans_per_request and queue
 * each. An encoding failure drops that chunk (counted in the stats and in the self-metric as
 * out_of_memory, reported); a full queue (CENSUS_ELIMIT) is already
 * counted and reported by the sender and does not fail the export. */
static census_status push_export(void *user, const census_span_data *const *spans, size_t count) {
  census_span_push_exporter *e = user;
  census_status result = CENSUS_OK;
  for (size_t off = 0; off < count; off += e->max_spans_per_request) {
    size_t n = count - off < e->max_spans_per_request ? count - off : e->max_spans_per_request;
    census_buf buf = CENSUS_BUF_INIT;
    census_status s = e->encode(e->user, spans + off, n, &buf);
    size_t len = 0;
    char *body = s == CENSUS_OK ? census__buf_take(&buf, &len) : NULL;
    if (!body) {
      census__buf_free(&buf);
      char msg[160];
      snprintf(msg, sizeof msg, "%s: out of memory encoding %zu spans; dropped", e->name, n);
      /* Counted in the sender, whose counters are the exporter's (and reset in a fork child). */
      census__http_sender_drop_unsent(e->sender, n, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY, msg);
      result = CENSUS_EEXPORT;
      continue;
    }
    s = census__http_sender_submit(e->sender, body, len, n, 0);
    if (s != CENSUS_OK && s != CENSUS_ELIMIT)
      result = CENSUS_EEXPORT;
  }
  return result;
}

static census_status push_flush(void *user, int64_t timeout_ms) {
  census_span_push_exporter *e = user;
  return census__http_sender_flush(e->sender, timeout_ms);
}

/* Shutdown callback (census, once): flush and close the sender within the deadline, keeping its
 * final counters (which include what the deadline made it drop); then free the concrete
 * exporter's state and drop the registration's reference. While the sender is being closed,
 * readers see the counters as they were when it was taken off the handle. */
static void push_shutdown(void *user, int64_t timeout_ms) {
  census_span_push_exporter *e = user;
  census_http_stats hs;
  census__http_sender_stats(e->sender, &hs);
  pthread_mutex_lock(&e->lock);
  census_http_sender *sender = e->sender;
  e->final = hs;
  e->sender = NULL;
  e->stopped = true;
  pthread_mutex_unlock(&e->lock);
  census__http_sender_close(sender, timeout_ms, &hs);
  pthread_mutex_lock(&e->lock);
  e->final = hs;
  pthread_mutex_unlock(&e->lock);
  if (e->free_user)
    e->free_user(e->user);
  e->user = NULL;
  push_release(e);
}

static const census_span_exporter_ops push_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = push_export,
                                                  .flush = push_flush,
                                                  .shutdown = push_shutdown};

census_span_push_exporter *census__span_push_start(const census_span_push_config *config,
                                                   census_status *status) {
  census_status unused;
  if (!status)
    status = &unused;
  if (!config || !config->name || !config->encode) {
    *status = CENSUS_EINVAL;
    return NULL;
  }
  census_span_push_exporter *e = calloc(1, sizeof *e);
  if (!e || !(e->name = strdup(config->name))) {
    free(e);
    *status = CENSUS_ENOMEM;
    return NULL;
  }
  if (pthread_mutex_init(&e->lock, NULL) != 0) {
    free(e->name);
    free(e);
    *status = CENSUS_ESYSTEM;
    return NULL;
  }
  atomic_init(&e->refs, 2); /* the caller's and the registration's */
  e->encode = config->encode;
  e->classify = config->http.classify;
  e->authorize = config->http.authorize;
  e->user = config->user;
  e->free_user = config->free_user;
  e->max_spans_per_request = config->max_spans_per_request ? config->max_spans_per_request : 512;

  census_http_sender_config http = config->http;
  if (!http.name)
    http.name = config->name;
  http.classify = push_classify;
  http.authorize = config->http.authorize ? push_authorize : NULL;
  http.user = e;
  *status = CENSUS_OK;
  e->sender = census__http_sender_new(&http, status);
  if (!e->sender) {
    if (*status == CENSUS_OK)
      *status = CENSUS_ESYSTEM;
    push_destroy(e);
    return NULL;
  }
  *status = census_span_exporter_register(&push_ops, e);
  if (*status != CENSUS_OK) {
    census__http_sender_free(e->sender, 0); /* nothing was submitted */
    push_destroy(e);
    return NULL;
  }
  return e;
}

census_status census__span_push_stats(census_span_push_exporter *e, census_http_stats *stats) {
  if (!e || !stats)
    return CENSUS_EINVAL;
  pthread_mutex_lock(&e->lock);
  if (e->sender)
    census__http_sender_stats(e->sender, stats);
  else
    *stats = e->final;
  pthread_mutex_unlock(&e->lock);
  return CENSUS_OK;
}

census_status census__span_push_stop(census_span_push_exporter *e, int64_t timeout_ms) {
  if (!e)
    return CENSUS_EINVAL;
  pthread_mutex_lock(&e->lock);
  bool stopped = e->stopped;
  pthread_mutex_unlock(&e->lock);
  census_status status = CENSUS_OK;
  if (!stopped) {
    /* census exports what it holds and runs push_shutdown(). ENOTFOUND / ESHUTDOWN: census's
     * shutdown took the registration (and runs or ran push_shutdown()): nothing left to do. */
    status = census_span_exporter_unregister(e, timeout_ms);
    if (status == CENSUS_ENOTFOUND || status == CENSUS_ESHUTDOWN)
      status = CENSUS_OK;
  }
  push_release(e);
  return status;
}
