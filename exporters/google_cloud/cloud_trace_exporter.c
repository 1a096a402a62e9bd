/* cloud_trace_exporter.c - the Cloud Trace exporter: a push exporter (exporters/http/
 * push_exporter.h, the skeleton every push exporter rides) whose encoder writes each chunk as a
 * BatchWriteSpansRequest (cloud_trace_encode.c), POSTed to
 * {endpoint}/v2/projects/{project}/traces:batchWrite with an OAuth2 bearer token from google_auth.h
 * added before every attempt. What is Cloud Trace's own here: the project resolution, the token
 * source, the URL, and the response classification below; batching, the sending thread, the
 * handle's lifetime (reference-counted: after census_shutdown() _stats() gives the final counters
 * and _stop() only frees) and shutdown (the sender is freed before the token source it calls) are
 * the push exporter's.
 *
 * Responses: 2xx delivered. 401: the cached token is dropped (google_auth fetches a new one
 * before the retry); with a fixed access token there is nothing to refresh, so the request fails.
 * 429, 500, 503, 504 and transport failures are retried. Anything else drops the request; the
 * message reports Google's {"error":{code,status,message}} as parsed by census__google_error_parse.
 *
 * The public handle is the push exporter's handle, converted to
 * census_google_trace_exporter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/exporters/google_cloud_trace.h"
#include "cloud_trace_internal.h"
#include "env_config.h"
#include "google_auth.h"
#include "google_internal.h"
#include "options.h"
#include "push_exporter.h"
#include "url.h"
#include "alloc.h"

/* Cloud Trace's own state (the push exporter's `user`). */
typedef struct trace_state {
  census_google_auth *auth;
  char *project;
  char agent[64];
} trace_state;

static census_push_exporter *push_of(census_google_trace_exporter *exporter) {
  return (census_push_exporter *)exporter;
}

/* Adds the bearer token header before each attempt (sender thread). */
static census_status trace_authorize(void *user, char *buf, size_t size) {
  trace_state *t = user;
  return census__google_auth_header(t->auth, buf, size);
}

/* The response classifier (sender thread): the common cases, then Google's error body, 401 and
 * Google's retryable codes. */
static census_http_verdict trace_classify(void *user, const census_http_response *r,
                                          uint64_t *rejected, char *message, size_t message_size) {
  trace_state *t = user;
  *rejected = 0;
  census_http_verdict verdict;
  if (census__push_classify_common("cloud trace", r, &verdict, message, message_size))
    return verdict;
  census_google_error err;
  census__google_error_parse(r->body, r->body ? r->body_len : 0, &err);
  if (err.parsed)
    snprintf(message, message_size, "cloud trace: HTTP %ld %s: %s", r->status,
             err.status[0] ? err.status : "(no status)", err.message);
  else
    snprintf(message, message_size, "cloud trace: HTTP %ld (unparsed error body)", r->status);
  if (r->status == 401) {
    if (census__google_auth_invalidate(t->auth))
      return CENSUS_HTTP_RETRY;
    size_t len = strlen(message);
    snprintf(message + len, message_size - len, " (the configured access token was refused)");
    return CENSUS_HTTP_FAILED;
  }
  return census__google_status_retryable(r->status) ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

/* Encode callback (census's export worker). */
static census_status trace_encode(void *user, const census_span_data *const *spans, size_t count,
                                  census_buf *out) {
  const trace_state *t = user;
  return census__cloud_trace_encode(spans, count, t->project, t->agent, out);
}

static void state_free(void *user) {
  trace_state *t = user;
  if (!t)
    return;
  census__google_auth_free(t->auth);
  census__free(t->project);
  census__free(t);
}

CENSUS_EXPORT census_status census_google_trace_exporter_start(
    const census_google_trace_options *options, census_google_trace_exporter **exporter) {
  if (!exporter)
    return CENSUS_EINVAL;
  *exporter = NULL;
  census_google_trace_options o;
  if (CENSUS_OPTIONS_COPY(&o, options, "cloud trace", google_trace, GOOGLE_TRACE) != CENSUS_OK)
    return CENSUS_EINVAL;
  const char *endpoint = o.trace_endpoint && *o.trace_endpoint
                             ? o.trace_endpoint
                             : CENSUS_GOOGLE_TRACE_DEFAULT_ENDPOINT;
  if (!census__url_check(CENSUS_EINVAL, "cloud trace", "options.trace_endpoint", endpoint,
                         "the exporter is not started"))
    return CENSUS_EINVAL;
  census_status status = CENSUS_OK;
  int64_t timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 10000;

  trace_state *t = census__calloc(1, sizeof *t);
  if (!t)
    return CENSUS_ENOMEM;
  snprintf(t->agent, sizeof t->agent, "census-c %s", census_version());

  census_google_auth_config auth_config = {
      .access_token = o.access_token,
      .credentials_file = o.credentials_file,
      .token_endpoint = o.token_endpoint,
      .metadata_host = o.metadata_host,
      .scopes = "https://www.googleapis.com/auth/trace.append",
      .timeout_ms = timeout_ms,
  };
  char *key_project = NULL;
  t->auth = census__google_auth_new(&auth_config, &key_project, &status);
  if (!t->auth) {
    census__free(key_project);
    state_free(t);
    return status ? status : CENSUS_ECONFIG;
  }
  /* The one order of both Google exporters (google_internal.h): option, key file,
   * GOOGLE_CLOUD_PROJECT, metadata server. */
  t->project =
      census__google_project_id("cloud trace", o.project_id, key_project, t->auth, &status);
  if (!t->project) {
    state_free(t);
    return status;
  }

  /* {endpoint without trailing '/'}/v2/projects/{project}/traces:batchWrite */
  size_t elen = strlen(endpoint);
  while (elen > 0 && endpoint[elen - 1] == '/')
    elen--;
  size_t url_size = elen + strlen(t->project) + 48;
  char *url = census__malloc(url_size);
  if (!url) {
    state_free(t);
    return CENSUS_ENOMEM;
  }
  snprintf(url, url_size, "%.*s/v2/projects/%s/traces:batchWrite", (int)elen, endpoint, t->project);
  census_push_config config = {.name = "cloud trace",
                               .encode_spans = trace_encode,
                               .http = {.url = url,
                                        .content_type = "application/json",
                                        .timeout_ms = timeout_ms,
                                        .classify = trace_classify,
                                        .authorize = trace_authorize},
                               .user = t,
                               .free_user = state_free};
  CENSUS_PUSH_APPLY_OPTIONS(config.http, o);
  config.max_spans_per_request = o.max_spans_per_request;
  config.http.gzip = o.gzip != 0;
  census_push_exporter *push = census__push_start(&config, &status);
  census__free(url);
  if (!push) {
    state_free(t);
    return status;
  }
  *exporter = (census_google_trace_exporter *)push;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_google_trace_exporter_stats(
    census_google_trace_exporter *exporter, census_google_trace_stats *stats) {
  census_http_stats h;
  census_status status = census__push_stats(push_of(exporter), stats ? &h : NULL);
  if (status == CENSUS_OK)
    *stats = CENSUS_PUSH_SPAN_STATS(census_google_trace_stats, h);
  return status;
}

CENSUS_EXPORT census_status
census_google_trace_exporter_stop(census_google_trace_exporter *exporter, int64_t timeout_ms) {
  return census__push_stop(push_of(exporter), timeout_ms);
}
