/* span_push_exporter.c - the generic span push exporter (see span_push_exporter.h).
 *
 * Design: one census span exporter per started exporter, whose user pointer is the
 * census_span_push_exporter itself. The export callback (census's export worker) encodes the
 * batch in chunks of max_spans_per_request with the concrete exporter's encode callback and
 * submits each chunk to the sender, which owns it from then on; the sender's classify and
 * authorize callbacks are trampolines that call the concrete exporter's with its `user`.
 *
 * Invariants: every exporter between a successful start and its shutdown callback is on the live
 * list (one list for all concrete exporters, under live_lock). census__span_push_stats() holds
 * live_lock while it reads the sender's counters, and the shutdown callback takes the exporter
 * off the list (under the lock) before freeing anything, so a stats call never reads freed
 * memory. The sender is freed before free_user(user), because its thread calls classify and
 * authorize with `user` until then.
 */
#include "span_push_exporter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"

struct census_span_push_exporter {
  census_http_sender *sender;
  char *name;
  census_span_push_encode_fn encode;
  census_http_classify_fn classify; /* NULL: the default classifier */
  census_http_authorize_fn authorize;
  void *user;
  void (*free_user)(void *user);
  size_t max_spans_per_request;
  struct census_span_push_exporter *next; /* live list */
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static census_span_push_exporter *live_head;

/* True if `e` is a live exporter; call with live_lock held. */
static bool live_contains(const census_span_push_exporter *e) {
  for (census_span_push_exporter *p = live_head; p; p = p->next)
    if (p == e)
      return true;
  return false;
}

static void live_add(census_span_push_exporter *e) {
  pthread_mutex_lock(&live_lock);
  e->next = live_head;
  live_head = e;
  pthread_mutex_unlock(&live_lock);
}

static void live_remove(census_span_push_exporter *e) {
  pthread_mutex_lock(&live_lock);
  for (census_span_push_exporter **pp = &live_head; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      break;
    }
  }
  pthread_mutex_unlock(&live_lock);
}

census_status census__span_push_check_url(const char *name, const char *url) {
  if (url && (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0))
    return CENSUS_OK;
  char msg[300];
  snprintf(msg, sizeof msg, "%s: endpoint \"%.200s\" is not an http(s) URL", name,
           url ? url : "(null)");
  census_diagnostics_report(CENSUS_EINVAL, msg);
  return CENSUS_EINVAL;
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
 * each. An encoding failure drops that chunk, reported; a full queue (CENSUS_ELIMIT) is already
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
      snprintf(msg, sizeof msg, "%s: out of memory encoding spans; dropped", e->name);
      census_diagnostics_report(s != CENSUS_OK ? s : CENSUS_ENOMEM, msg);
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

/* Frees the exporter after its sender; `with_user`: also the concrete exporter's state. */
static void push_free(census_span_push_exporter *e, int64_t timeout_ms, bool with_user) {
  census__http_sender_free(e->sender, timeout_ms);
  if (with_user && e->free_user)
    e->free_user(e->user);
  free(e->name);
  free(e);
}

/* Shutdown callback: leave the live list first (so a stats call cannot see a half-freed
 * exporter), then flush and free the sender within the deadline, then the rest. */
static void push_shutdown(void *user, int64_t timeout_ms) {
  census_span_push_exporter *e = user;
  live_remove(e);
  push_free(e, timeout_ms, true);
}

static const census_span_exporter_ops push_ops = {
    .export_spans = push_export, .flush = push_flush, .shutdown = push_shutdown};

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
    free(e->name);
    free(e);
    return NULL;
  }
  live_add(e);
  *status = census_span_exporter_register(&push_ops, e);
  if (*status != CENSUS_OK) {
    live_remove(e);
    push_free(e, 0, false);
    return NULL;
  }
  return e;
}

census_status census__span_push_stats(census_span_push_exporter *e, census_http_stats *stats) {
  if (!e || !stats)
    return CENSUS_EINVAL;
  pthread_mutex_lock(&live_lock);
  if (!live_contains(e)) {
    pthread_mutex_unlock(&live_lock);
    return CENSUS_ENOTFOUND;
  }
  census__http_sender_stats(e->sender, stats);
  pthread_mutex_unlock(&live_lock);
  return CENSUS_OK;
}

census_status census__span_push_stop(census_span_push_exporter *e, int64_t timeout_ms) {
  if (!e)
    return CENSUS_ENOTFOUND;
  pthread_mutex_lock(&live_lock);
  bool live = live_contains(e);
  pthread_mutex_unlock(&live_lock);
  if (!live)
    return CENSUS_ENOTFOUND;
  /* census calls push_shutdown(), which frees the exporter. */
  return census_span_exporter_unregister(e, timeout_ms);
}
