/* google_http.c - the Google Cloud exporters' synchronous requests and their printf-style
 * diagnostics. The requests: tokens (google_auth.c), metadata server reads (auth, project and
 * resource detection) and metricDescriptors.create (google_monitoring.c). Each is one
 * census__http_attempt() (exporters/http/http_attempt.h, the one HTTP attempt every census
 * request goes through) made on the caller's thread; these calls are small, rare, and their
 * caller needs the answer before going on. Everything with retries, queueing and backoff goes
 * through the shared sender (exporters/http/http_sender.h) instead.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "google_internal.h"
#include "http_attempt.h"
#include "alloc.h"

#define DEFAULT_METADATA_HOST "metadata.google.internal"
#define MAX_RESPONSE_BYTES (64 * 1024)

long census__google_http_request(const char *url, const char *post_body, const char *const *headers,
                                 size_t header_count, int64_t timeout_ms, const char *ca_file,
                                 census_google_http_response *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  census_http_request q = {.url = url,
                           .body = post_body,
                           .body_len = post_body ? strlen(post_body) : 0,
                           .headers = headers,
                           .header_count = header_count,
                           .timeout_ms = timeout_ms,
                           .ca_file = ca_file,
                           .max_response_bytes = MAX_RESPONSE_BYTES,
                           .capture_header = "Metadata-Flavor"};
  census_http_result r;
  census__http_attempt_once(&q, &r);
  long status = r.status;
  if (status != 0 && r.body_truncated) {
    /* An answer larger than any token, metadata value or error body: not the expected one. */
    snprintf(err, err_size, "response larger than %d bytes", MAX_RESPONSE_BYTES);
    status = 0;
  } else if (status == 0) {
    snprintf(err, err_size, "%s", r.error);
  }
  out->metadata_flavor = strcmp(r.captured, "Google") == 0;
  if (r.body_len > 0) {
    out->body = r.body; /* ownership passes to the caller */
    out->len = r.body_len;
  }
  return status;
}

void census__google_reportf(census_status status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  census_diagnostics_report(status, msg);
}

const char *census__google_metadata_host(const char *configured) {
  if (configured && configured[0])
    return configured;
  const char *env = getenv("GCE_METADATA_HOST");
  if (env && env[0])
    return env;
  return DEFAULT_METADATA_HOST;
}

char *census__google_metadata_get(const char *host, const char *path, int64_t timeout_ms) {
  char url[1024];
  snprintf(url, sizeof url, "http://%s/computeMetadata/v1/%s", host, path);
  static const char *const headers[] = {"Metadata-Flavor: Google"};
  census_google_http_response r;
  char err[256];
  long status = census__google_http_request(
      url, NULL, headers, 1, timeout_ms > 0 ? timeout_ms : 2000, NULL, &r, err, sizeof err);
  if (status != 200 || !r.metadata_flavor || !r.body) {
    census__free(r.body);
    return NULL;
  }
  return r.body;
}

/* The sources in the order of google_internal.h; a source that answers "" has no id. */
char *census__google_project_id(const char *who, const char *option, char *key_file_project,
                                const census_google_auth *auth, census_status *status) {
  char *id = NULL;
  const char *env = getenv("GOOGLE_CLOUD_PROJECT");
  const char *metadata_host = census__google_auth_metadata_host(auth);
  if (option && option[0]) {
    id = census__strdup(option);
  } else if (key_file_project && key_file_project[0]) {
    id = key_file_project;
    key_file_project = NULL;
  } else if (env && env[0]) {
    id = census__strdup(env);
  } else if (metadata_host) {
    id = census__google_metadata_get(metadata_host, "project/project-id",
                                     CENSUS_GOOGLE_METADATA_TIMEOUT_MS);
    if (id && !id[0]) {
      census__free(id);
      id = NULL;
    }
    if (!id) {
      census__google_reportf(CENSUS_ECONFIG,
                             "%s: no project id: the metadata server at %s did not answer "
                             "project/project-id; set options.project_id or GOOGLE_CLOUD_PROJECT",
                             who, metadata_host);
      *status = CENSUS_ECONFIG;
    }
    census__free(key_file_project);
    return id;
  } else {
    census__google_reportf(CENSUS_ECONFIG,
                           "%s: no project id: set options.project_id, use a service-account key "
                           "file with a project_id, set GOOGLE_CLOUD_PROJECT, or run on Google "
                           "Cloud (the metadata server gives it when it gives the tokens)",
                           who);
    *status = CENSUS_ECONFIG;
    census__free(key_file_project);
    return NULL;
  }
  census__free(key_file_project);
  *status = id ? CENSUS_OK : CENSUS_ENOMEM;
  return id;
}
