/* zipkin_exporter.c - the Zipkin exporter: a census span exporter whose export callback encodes
 * each batch (zipkin_encode.c) and queues it on an HTTP sender (exporters/http/http_sender.h),
 * which POSTs it from its own thread with retries.
 *
 * Lifetime: census owns the registered exporter; its shutdown callback (from
 * census_zipkin_exporter_stop() through census_span_exporter_unregister(), or from
 * census_shutdown()) flushes and frees the sender and the exporter. Because census_shutdown() can
 * free an exporter behind the application's back, live exporters are kept in a small list under a
 * mutex: _stats() and _stop() look the handle up there and answer CENSUS_ENOTFOUND for a handle
 * that is gone, instead of touching freed memory. _stats() holds the list lock while it reads the
 * sender's counters, and the shutdown callback takes the exporter off the list (under the lock)
 * before freeing it, so the two never overlap.
 *
 * Responses: 2xx delivered (Zipkin answers 202); 429, 5xx and transport failures retried; any
 * other status is a permanent failure whose spans are counted as dropped, with the status and the
 * start of the body reported.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/exporters/zipkin.h"
#include "env_config.h"
#include "http_sender.h"
#include "resource.h"
#include "zipkin_internal.h"

struct census_zipkin_exporter {
  census_http_sender *sender;
  char *service_name;
  char *ipv4;
  char *ipv6;
  uint16_t port;
  size_t max_spans_per_request;
  struct census_zipkin_exporter *next; /* live list */
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct census_zipkin_exporter *live_head;

/* True if `e` is a live exporter; call with live_lock held. */
static bool live_contains(const struct census_zipkin_exporter *e) {
  for (struct census_zipkin_exporter *p = live_head; p; p = p->next)
    if (p == e)
      return true;
  return false;
}

static void live_remove(struct census_zipkin_exporter *e) {
  for (struct census_zipkin_exporter **pp = &live_head; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      return;
    }
  }
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

/* Copies at most n-1 bytes of the response body, with control characters made spaces. */
static void body_excerpt(const census_http_response *r, char *out, size_t n) {
  size_t len = r->body ? r->body_len : 0;
  if (len > n - 1)
    len = n - 1;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)r->body[i];
    out[i] = c < 0x20 ? ' ' : (char)c;
  }
  out[len] = '\0';
}

/* The response classifier (sender thread). */
static census_http_verdict zipkin_classify(void *user, const census_http_response *r,
                                           uint64_t *rejected, char *message, size_t message_size) {
  (void)user;
  *rejected = 0;
  if (r->status >= 200 && r->status < 300)
    return CENSUS_HTTP_DELIVERED;
  if (r->status == 0) {
    snprintf(message, message_size, "zipkin: %s", r->curl_error ? r->curl_error : "no response");
    return CENSUS_HTTP_RETRY;
  }
  char excerpt[200];
  body_excerpt(r, excerpt, sizeof excerpt);
  snprintf(message, message_size, "zipkin: HTTP %ld%s%s", r->status, excerpt[0] ? ": " : "",
           excerpt);
  if (r->status == 429 || r->status >= 500)
    return CENSUS_HTTP_RETRY;
  return CENSUS_HTTP_FAILED;
}

/* Export callback (census's export worker): encode in chunks of max_spans_per_request and queue.
 * Encoding failures (out of memory) drop that chunk, reported. */
static census_status zipkin_export(void *user, const census_span_data *const *spans, size_t count) {
  struct census_zipkin_exporter *e = user;
  census_zipkin_endpoint local = {e->service_name, e->ipv4, e->ipv6, e->port};
  census_status result = CENSUS_OK;
  for (size_t off = 0; off < count; off += e->max_spans_per_request) {
    size_t n = count - off < e->max_spans_per_request ? count - off : e->max_spans_per_request;
    census_buf buf = CENSUS_BUF_INIT;
    if (census__zipkin_encode(spans + off, n, &local, &buf) != CENSUS_OK) {
      census__buf_free(&buf);
      census_diagnostics_report(CENSUS_ENOMEM, "zipkin: out of memory encoding spans; dropped");
      result = CENSUS_EEXPORT;
      continue;
    }
    size_t len = 0;
    char *body = census__buf_take(&buf, &len);
    if (!body) {
      result = CENSUS_EEXPORT;
      continue;
    }
    census_status s = census__http_sender_submit(e->sender, body, len, n, 0);
    if (s != CENSUS_OK && s != CENSUS_ELIMIT)
      result = CENSUS_EEXPORT;
  }
  return result;
}

static census_status zipkin_flush(void *user, int64_t timeout_ms) {
  struct census_zipkin_exporter *e = user;
  return census__http_sender_flush(e->sender, timeout_ms);
}

static void exporter_free(struct census_zipkin_exporter *e) {
  if (!e)
    return;
  free(e->service_name);
  free(e->ipv4);
  free(e->ipv6);
  free(e);
}

/* Shutdown callback: leave the live list first (so _stats() cannot see a half-freed exporter),
 * then flush and free the sender within the deadline. */
static void zipkin_shutdown(void *user, int64_t timeout_ms) {
  struct census_zipkin_exporter *e = user;
  pthread_mutex_lock(&live_lock);
  live_remove(e);
  pthread_mutex_unlock(&live_lock);
  census__http_sender_free(e->sender, timeout_ms);
  exporter_free(e);
}

static const census_span_exporter_ops zipkin_ops = {
    .export_spans = zipkin_export, .flush = zipkin_flush, .shutdown = zipkin_shutdown};

CENSUS_EXPORT census_status census_zipkin_exporter_start(const census_zipkin_options *options,
                                                         census_zipkin_exporter **exporter) {
  if (!exporter)
    return CENSUS_EINVAL;
  *exporter = NULL;
  census_zipkin_options o = {0};
  if (options)
    o = *options;

  const char *url =
      o.endpoint && *o.endpoint ? o.endpoint : census__env_string("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
  if (!url)
    url = CENSUS_ZIPKIN_DEFAULT_ENDPOINT;
  if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "zipkin: endpoint \"%.200s\" is not an http(s) URL", url);
    census_diagnostics_report(CENSUS_EINVAL, msg);
    return CENSUS_EINVAL;
  }
  int64_t timeout_ms =
      o.timeout_ms > 0 ? o.timeout_ms : census__env_ms("OTEL_EXPORTER_ZIPKIN_TIMEOUT", 10000);
  if (timeout_ms <= 0)
    timeout_ms = 10000;

  struct census_zipkin_exporter *e = calloc(1, sizeof *e);
  if (!e)
    return CENSUS_ENOMEM;
  census_status status = CENSUS_OK;
  census_resource *resource = census__resource_build(o.service_name, NULL, 0, &status);
  if (!resource) {
    free(e);
    return status ? status : CENSUS_ENOMEM;
  }
  const char *service = census__resource_get(resource, "service.name");
  e->service_name = dup_or_null(service);
  census__resource_free(resource);
  e->ipv4 = dup_or_null(o.local_ipv4);
  e->ipv6 = dup_or_null(o.local_ipv6);
  e->port = o.local_port;
  e->max_spans_per_request = o.max_spans_per_request ? o.max_spans_per_request : 512;
  if ((service && !e->service_name) || (o.local_ipv4 && *o.local_ipv4 && !e->ipv4) ||
      (o.local_ipv6 && *o.local_ipv6 && !e->ipv6)) {
    exporter_free(e);
    return CENSUS_ENOMEM;
  }

  census_http_sender_config config = {
      .name = "zipkin",
      .url = url,
      .content_type = "application/json",
      .timeout_ms = timeout_ms,
      .initial_backoff_ms = o.initial_backoff_ms,
      .max_backoff_ms = o.max_backoff_ms,
      .max_elapsed_ms = o.max_elapsed_ms,
      .max_queued = o.max_queued,
      .classify = zipkin_classify,
      .user = e,
  };
  e->sender = census__http_sender_new(&config, &status);
  if (!e->sender) {
    exporter_free(e);
    return status ? status : CENSUS_ESYSTEM;
  }
  pthread_mutex_lock(&live_lock);
  e->next = live_head;
  live_head = e;
  pthread_mutex_unlock(&live_lock);
  status = census_span_exporter_register(&zipkin_ops, e);
  if (status != CENSUS_OK) {
    pthread_mutex_lock(&live_lock);
    live_remove(e);
    pthread_mutex_unlock(&live_lock);
    census__http_sender_free(e->sender, 0);
    exporter_free(e);
    return status;
  }
  *exporter = e;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_zipkin_exporter_stats(census_zipkin_exporter *exporter,
                                                         census_zipkin_stats *stats) {
  if (!exporter || !stats)
    return CENSUS_EINVAL;
  pthread_mutex_lock(&live_lock);
  if (!live_contains(exporter)) {
    pthread_mutex_unlock(&live_lock);
    return CENSUS_ENOTFOUND;
  }
  census_http_stats h;
  census__http_sender_stats(exporter->sender, &h);
  pthread_mutex_unlock(&live_lock);
  memset(stats, 0, sizeof *stats);
  stats->spans_delivered = h.items_delivered;
  stats->spans_dropped = h.items_dropped;
  stats->requests_delivered = h.requests_delivered;
  stats->requests_dropped = h.requests_dropped;
  stats->attempts = h.attempts;
  stats->retries = h.retries;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_zipkin_exporter_stop(census_zipkin_exporter *exporter,
                                                        int64_t timeout_ms) {
  if (!exporter)
    return CENSUS_ENOTFOUND;
  pthread_mutex_lock(&live_lock);
  bool live = live_contains(exporter);
  pthread_mutex_unlock(&live_lock);
  if (!live)
    return CENSUS_ENOTFOUND;
  /* census calls zipkin_shutdown(), which frees the exporter. */
  return census_span_exporter_unregister(exporter, timeout_ms);
}
