/* google_http.c - the synchronous one-shot HTTP request of the Google Cloud exporters (see
 * google_internal.h), and their printf-style diagnostics. The requests: tokens (google_auth.c),
 * metadata server reads (auth, project and resource detection) and metricDescriptors.create
 * (google_monitoring.c). Everything with
 * retries, queueing and backoff goes through the shared sender (exporters/http/http_sender.h)
 * instead; these calls are small, rare, and their caller needs the answer before going on.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "google_internal.h"

#define DEFAULT_METADATA_HOST "metadata.google.internal"
#define MAX_RESPONSE_BYTES (64 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct response {
  census_google_http_response *out;
  bool too_big;
} response;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user) {
  response *r = user;
  size_t n = size * nmemb;
  if (r->out->len + n > MAX_RESPONSE_BYTES) {
    r->too_big = true;
    return 0;
  }
  char *grown = realloc(r->out->body, r->out->len + n + 1);
  if (!grown)
    return 0;
  r->out->body = grown;
  memcpy(r->out->body + r->out->len, ptr, n);
  r->out->len += n;
  r->out->body[r->out->len] = '\0';
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user) {
  response *r = user;
  size_t n = size * nmemb;
  static const char name[] = "metadata-flavor:";
  if (n > sizeof name - 1 && strncasecmp(ptr, name, sizeof name - 1) == 0) {
    const char *v = ptr + sizeof name - 1;
    size_t vl = n - (sizeof name - 1);
    while (vl && (*v == ' ' || *v == '\t'))
      v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
      vl--;
    if (vl == 6 && strncmp(v, "Google", 6) == 0)
      r->out->metadata_flavor = true;
  }
  return n;
}

long census__google_http_request(const char *url, const char *post_body, const char *const *headers,
                                 size_t header_count, int64_t timeout_ms, const char *ca_file,
                                 census_google_http_response *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  struct curl_slist *list = NULL;
  for (size_t i = 0; i < header_count; i++) {
    struct curl_slist *grown = curl_slist_append(list, headers[i]);
    if (!grown) {
      curl_slist_free_all(list);
      snprintf(err, err_size, "out of memory");
      return 0;
    }
    list = grown;
  }
  pthread_once(&curl_once, curl_init_once);
  CURL *curl = curl_easy_init();
  if (!curl) {
    curl_slist_free_all(list);
    snprintf(err, err_size, "curl_easy_init failed");
    return 0;
  }
  response r = {out, false};
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (list)
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (post_body)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body);
  if (ca_file)
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  } else if (r.too_big) {
    snprintf(err, err_size, "response larger than %d bytes", MAX_RESPONSE_BYTES);
  } else {
    snprintf(err, err_size, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(list);
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
    free(r.body);
    return NULL;
  }
  return r.body;
}
