/* cloud_trace_exporter.c - the Cloud Trace exporter: a census span exporter whose export callback
 * encodes each batch as a BatchWriteSpansRequest (cloud_trace_encode.c) and queues it on an HTTP
 * sender, which POSTs it to {endpoint}/v2/projects/{project}/traces:batchWrite from its own
 * thread, with an OAuth2 bearer token from google_auth.h added before every attempt.
 *
 * Lifetime: census owns the registered exporter; its shutdown callback (from _stop() through
 * census_span_exporter_unregister(), or from census_shutdown()) flushes and frees the sender, the
 * token source and the exporter. Live exporters are kept in a list under a mutex so that _stats()
 * and _stop() recognise a handle that census_shutdown() already freed (CENSUS_ENOTFOUND) instead
 * of touching freed memory; the shutdown callback leaves the list before freeing anything.
 *
 * Responses: 2xx delivered. 401: the cached token is dropped (google_auth fetches a new one
 * before the retry); with a fixed access token there is nothing to refresh, so the request fails.
 * 429, 500, 503, 504 and transport failures are retried. Anything else drops the request; the
 * message reports Google's {"error":{code,status,message}} as parsed by census__google_error_parse.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/exporters/google_cloud_trace.h"
#include "cloud_trace_internal.h"
#include "env_config.h"
#include "google_auth.h"
#include "google_internal.h"
#include "http_sender.h"

struct census_google_trace_exporter {
  census_http_sender *sender;
  census_google_auth *auth;
  char *project;
  char agent[64];
  size_t max_spans_per_request;
  struct census_google_trace_exporter *next; /* live list */
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct census_google_trace_exporter *live_head;

static bool live_contains(const struct census_google_trace_exporter *e) {
  for (struct census_google_trace_exporter *p = live_head; p; p = p->next)
    if (p == e)
      return true;
  return false;
}

static void live_remove(struct census_google_trace_exporter *e) {
  for (struct census_google_trace_exporter **pp = &live_head; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      return;
    }
  }
}

/* Adds the bearer token header before each attempt (sender thread). */
static census_status trace_authorize(void *user, char *buf, size_t size) {
  struct census_google_trace_exporter *e = user;
  return census__google_auth_header(e->auth, buf, size);
}

/* The response classifier (sender thread). */
static census_http_verdict trace_classify(void *user, const census_http_response *r,
                                          uint64_t *rejected, char *message, size_t message_size) {
  struct census_google_trace_exporter *e = user;
  *rejected = 0;
  if (r->status >= 200 && r->status < 300)
    return CENSUS_HTTP_DELIVERED;
  if (r->status == 0) {
    snprintf(message, message_size, "cloud trace: %s",
             r->curl_error ? r->curl_error : "no response");
    return CENSUS_HTTP_RETRY;
  }
  census_google_error err;
  census__google_error_parse(r->body, r->body ? r->body_len : 0, &err);
  if (err.parsed)
    snprintf(message, message_size, "cloud trace: HTTP %ld %s: %s", r->status,
             err.status[0] ? err.status : "(no status)", err.message);
  else
    snprintf(message, message_size, "cloud trace: HTTP %ld (unparsed error body)", r->status);
  if (r->status == 401) {
    if (census__google_auth_invalidate(e->auth))
      return CENSUS_HTTP_RETRY;
    size_t len = strlen(message);
    snprintf(message + len, message_size - len, " (the configured access token was refused)");
    return CENSUS_HTTP_FAILED;
  }
  if (r->status == 429 || r->status == 500 || r->status == 503 || r->status == 504)
    return CENSUS_HTTP_RETRY;
  return CENSUS_HTTP_FAILED;
}

static census_status trace_export(void *user, const census_span_data *const *spans, size_t count) {
  struct census_google_trace_exporter *e = user;
  census_status result = CENSUS_OK;
  for (size_t off = 0; off < count; off += e->max_spans_per_request) {
    size_t n = count - off < e->max_spans_per_request ? count - off : e->max_spans_per_request;
    census_buf buf = CENSUS_BUF_INIT;
    if (census__cloud_trace_encode(spans + off, n, e->project, e->agent, &buf) != CENSUS_OK) {
      census__buf_free(&buf);
      census_diagnostics_report(CENSUS_ENOMEM,
                                "cloud trace: out of memory encoding spans; dropped");
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

static census_status trace_flush(void *user, int64_t timeout_ms) {
  struct census_google_trace_exporter *e = user;
  return census__http_sender_flush(e->sender, timeout_ms);
}

static void exporter_free(struct census_google_trace_exporter *e) {
  if (!e)
    return;
  census__google_auth_free(e->auth);
  free(e->project);
  free(e);
}

static void trace_shutdown(void *user, int64_t timeout_ms) {
  struct census_google_trace_exporter *e = user;
  pthread_mutex_lock(&live_lock);
  live_remove(e);
  pthread_mutex_unlock(&live_lock);
  census__http_sender_free(e->sender, timeout_ms);
  exporter_free(e);
}

static const census_span_exporter_ops trace_ops = {
    .export_spans = trace_export, .flush = trace_flush, .shutdown = trace_shutdown};

/* The project id: option, key file, GOOGLE_CLOUD_PROJECT, then the metadata server (only when
 * the token source uses it too, i.e. on Google Cloud; elsewhere that lookup would only wait). */
static char *resolve_project(const census_google_trace_options *o, char *from_key_file,
                             int64_t timeout_ms) {
  if (o->project_id && *o->project_id) {
    free(from_key_file);
    return strdup(o->project_id);
  }
  if (from_key_file && *from_key_file)
    return from_key_file;
  free(from_key_file);
  const char *env = census__env_string("GOOGLE_CLOUD_PROJECT");
  if (env)
    return strdup(env);
  if (o->access_token && *o->access_token)
    return NULL;
  char *body = census__google_metadata_get(census__google_metadata_host(o->metadata_host),
                                           "project/project-id", timeout_ms);
  if (body && !*body) {
    free(body);
    body = NULL;
  }
  return body;
}

CENSUS_EXPORT census_status census_google_trace_exporter_start(
    const census_google_trace_options *options, census_google_trace_exporter **exporter) {
  if (!exporter)
    return CENSUS_EINVAL;
  *exporter = NULL;
  census_google_trace_options o = {0};
  if (options)
    o = *options;
  const char *endpoint = o.trace_endpoint && *o.trace_endpoint
                             ? o.trace_endpoint
                             : CENSUS_GOOGLE_TRACE_DEFAULT_ENDPOINT;
  if (strncasecmp(endpoint, "http://", 7) != 0 && strncasecmp(endpoint, "https://", 8) != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "cloud trace: endpoint \"%.200s\" is not an http(s) URL", endpoint);
    census_diagnostics_report(CENSUS_EINVAL, msg);
    return CENSUS_EINVAL;
  }
  int64_t timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 10000;

  struct census_google_trace_exporter *e = calloc(1, sizeof *e);
  if (!e)
    return CENSUS_ENOMEM;
  snprintf(e->agent, sizeof e->agent, "census-c %s", census_version());
  e->max_spans_per_request = o.max_spans_per_request ? o.max_spans_per_request : 512;

  census_google_auth_config auth_config = {
      .access_token = o.access_token,
      .credentials_file = o.credentials_file,
      .token_endpoint = o.token_endpoint,
      .metadata_host = o.metadata_host,
      .scopes = "https://www.googleapis.com/auth/trace.append",
      .timeout_ms = timeout_ms,
  };
  census_status status = CENSUS_OK;
  char *key_project = NULL;
  e->auth = census__google_auth_new(&auth_config, &key_project, &status);
  if (!e->auth) {
    free(key_project);
    exporter_free(e);
    return status ? status : CENSUS_ECONFIG;
  }
  e->project = resolve_project(&o, key_project, timeout_ms);
  if (!e->project) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "cloud trace: no project id (set project_id, use a service-account "
                              "key file, or set GOOGLE_CLOUD_PROJECT)");
    exporter_free(e);
    return CENSUS_ECONFIG;
  }

  /* {endpoint without trailing '/'}/v2/projects/{project}/traces:batchWrite */
  size_t elen = strlen(endpoint);
  while (elen > 0 && endpoint[elen - 1] == '/')
    elen--;
  size_t url_size = elen + strlen(e->project) + 48;
  char *url = malloc(url_size);
  if (!url) {
    exporter_free(e);
    return CENSUS_ENOMEM;
  }
  snprintf(url, url_size, "%.*s/v2/projects/%s/traces:batchWrite", (int)elen, endpoint, e->project);
  census_http_sender_config config = {
      .name = "cloud trace",
      .url = url,
      .content_type = "application/json",
      .timeout_ms = timeout_ms,
      .initial_backoff_ms = o.initial_backoff_ms,
      .max_backoff_ms = o.max_backoff_ms,
      .max_elapsed_ms = o.max_elapsed_ms,
      .max_queued = o.max_queued,
      .classify = trace_classify,
      .authorize = trace_authorize,
      .user = e,
  };
  e->sender = census__http_sender_new(&config, &status);
  free(url);
  if (!e->sender) {
    exporter_free(e);
    return status ? status : CENSUS_ESYSTEM;
  }
  pthread_mutex_lock(&live_lock);
  e->next = live_head;
  live_head = e;
  pthread_mutex_unlock(&live_lock);
  status = census_span_exporter_register(&trace_ops, e);
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

CENSUS_EXPORT census_status census_google_trace_exporter_stats(
    census_google_trace_exporter *exporter, census_google_trace_stats *stats) {
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

CENSUS_EXPORT census_status
census_google_trace_exporter_stop(census_google_trace_exporter *exporter, int64_t timeout_ms) {
  if (!exporter)
    return CENSUS_ENOTFOUND;
  pthread_mutex_lock(&live_lock);
  bool live = live_contains(exporter);
  pthread_mutex_unlock(&live_lock);
  if (!live)
    return CENSUS_ENOTFOUND;
  return census_span_exporter_unregister(exporter, timeout_ms);
}
