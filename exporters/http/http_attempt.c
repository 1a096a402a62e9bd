/* http_attempt.c - one HTTP attempt with libcurl (see http_attempt.h).
 *
 * The easy handle is reset before each attempt (curl_easy_reset() keeps its connection cache),
 * configured from the request, added to the client's multi handle and driven with
 * curl_multi_perform() / curl_multi_poll() until it completes or an abort flag is set; the flags
 * are checked before and after every poll, and curl_multi_wakeup() from another thread ends a
 * poll early. The response body is kept up to the cap (the rest is read and discarded, so the
 * connection stays usable), and the headers are scanned for Retry-After and the captured one;
 * a new status line (after a 1xx) forgets what an earlier one said.
 */
#include "http_attempt.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "census/census.h"
#include "grpc.h"
#include "alloc.h"

#define DEFAULT_MAX_RESPONSE ((size_t)4 * 1024 * 1024)
#define CONNECT_TIMEOUT_MAX_MS 10000
/* Longest duration honoured anywhere (30 days), so that nanosecond arithmetic never overflows. */
#define MS_MAX ((int64_t)30 * 24 * 3600 * 1000)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void global_init(void) { curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

bool census__http_global_init(void) {
  pthread_once(&global_once, global_init);
  return curl_ok;
}

/* What the callbacks fill during one attempt. */
typedef struct receiving {
  census_http_result *result;
  size_t body_cap;
  size_t body_max;
  bool body_failed;
  const char *capture; /* header name, or NULL */
  bool grpc;           /* keep the grpc-* trailers */
} receiving;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
  receiving *r = user;
  census_http_result *res = r->result;
  size_t n = size * nmemb;
  size_t room = r->body_max - res->body_len;
  size_t take = n < room ? n : room;
  res->body_truncated |= take < n;
  if (take > 0 && !r->body_failed) {
    if (res->body_len + take + 1 > r->body_cap) {
      size_t cap = r->body_cap == 0 ? 4096 : r->body_cap;
      while (cap < res->body_len + take + 1) {
        cap *= 2;
      }
      if (cap > r->body_max + 1) {
        cap = r->body_max + 1;
      }
      char *b = census__realloc(r->body_cap ? res->body : NULL, cap);
      if (b == NULL) {
        r->body_failed = true;
        return n; /* keep the transfer going; the caller sees what was kept */
      }
      res->body = b;
      r->body_cap = cap;
    }
    memcpy(res->body + res->body_len, data, take);
    res->body_len += take;
    res->body[res->body_len] = '\0';
  }
  return n; /* bytes beyond the cap are read and discarded */
}

int64_t census__http_parse_retry_after(const char *v, size_t len) {
  while (len > 0 && (v[0] == ' ' || v[0] == '\t')) {
    v++;
    len--;
  }
  while (len > 0 &&
         (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n')) {
    len--;
  }
  if (len == 0) {
    return -1;
  }
  bool digits = true;
  int64_t seconds = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') {
      digits = false;
      break;
    }
    if (seconds < 100000000) { /* beyond three years is as good as forever */
      seconds = seconds * 10 + (v[i] - '0');
    }
  }
  if (digits) {
    return seconds * 1000 < MS_MAX ? seconds * 1000 : MS_MAX;
  }
  char date[128];
  if (len >= sizeof date) {
    return -1;
  }
  memcpy(date, v, len);
  date[len] = '\0';
  time_t when = curl_getdate(date, NULL);
  if (when == (time_t)-1) {
    return -1;
  }
  time_t now = time(NULL);
  if (when <= now) {
    return 0;
  }
  return (int64_t)(when - now) < MS_MAX / 1000 ? (int64_t)(when - now) * 1000 : MS_MAX;
}

/* The value of header line data[0..n) if its name is `name` (case-insensitive), trimmed, into
 * out[0..size); false if the line is another header. */
static bool header_value(const char *data, size_t n, const char *name, char *out, size_t size) {
  size_t k = strlen(name);
  if (n <= k || strncasecmp(data, name, k) != 0 || data[k] != ':') {
    return false;
  }
  const char *v = data + k + 1;
  size_t vl = n - k - 1;
  while (vl && (*v == ' ' || *v == '\t')) {
    v++, vl--;
  }
  while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ' || v[vl - 1] == '\t')) {
    vl--;
  }
  vl = vl < size - 1 ? vl : size - 1;
  memcpy(out, v, vl);
  out[vl] = '\0';
  return true;
}

/* Keeps the grpc-status, grpc-message and grpc-status-details-bin trailers (or Trailers-Only
 * headers) of a gRPC call; true when data[0..n) was one of them. A details value too long for
 * its buffer is dropped whole (a cut base64 text would not decode). */
static bool on_grpc_header(census_http_result *res, const char *data, size_t n) {
  char value[128];
  if (header_value(data, n, "grpc-status", value, sizeof value)) {
    int code;
    res->grpc_status = census__grpc_parse_status(value, strlen(value), &code) ? code : -1;
    return true;
  }
  if (header_value(data, n, "grpc-message", res->grpc_message, sizeof res->grpc_message)) {
    return true;
  }
  if (n > 24 && strncasecmp(data, "grpc-status-details-bin:", 24) == 0) {
    size_t room = sizeof res->grpc_details;
    if (n - 24 >= room ||
        !header_value(data, n, "grpc-status-details-bin", res->grpc_details, room)) {
      res->grpc_details[0] = '\0';
    }
    return true;
  }
  return false;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user) {
  receiving *r = user;
  size_t n = size * nmemb;
  char value[128];
  if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after 1xx): forget the previous one's headers. */
    r->result->retry_after_ms = -1;
    r->result->captured[0] = '\0';
    r->result->grpc_status = -1;
    r->result->grpc_message[0] = '\0';
    r->result->grpc_details[0] = '\0';
  } else if (header_value(data, n, "retry-after", value, sizeof value)) {
    r->result->retry_after_ms = census__http_parse_retry_after(value, strlen(value));
  } else if (r->grpc && on_grpc_header(r->result, data, n)) {
    /* a grpc-* trailer, kept */
  } else if (r->capture) {
    header_value(data, n, r->capture, r->result->captured, sizeof r->result->captured);
  }
  return n;
}

/* Appends "Name: value" lines (separated by '\n', '\r' ignored) from `text` to `list`. False on
 * ENOMEM. */
static bool append_header_lines(struct curl_slist **list, const char *text) {
  const char *p = text;
  while (*p != '\0') {
    const char *end = strchr(p, '\n');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    while (len > 0 && p[len - 1] == '\r') {
      len--;
    }
    if (len > 0) {
      char *line = census__strndup(p, len);
      struct curl_slist *l = line != NULL ? curl_slist_append(*list, line) : NULL;
      census__free(line);
      if (l == NULL) {
        return false;
      }
      *list = l;
    }
    if (end == NULL) {
      break;
    }
    p = end + 1;
  }
  return true;
}

/* The request's header lines as a libcurl list, or false (out of memory). A POST carries no
 * "Expect: 100-continue" (one round trip less). */
static bool header_list(const census_http_request *q, struct curl_slist **list) {
  bool ok = q->body == NULL || append_header_lines(list, "Expect:");
  for (size_t i = 0; ok && i < q->header_count; i++) {
    ok = append_header_lines(list, q->headers[i]);
  }
  if (ok && q->header_text != NULL) {
    ok = append_header_lines(list, q->header_text);
  }
  return ok;
}

/* Sets every option of one attempt on the (reset) easy handle. */
static void configure(CURL *e, const census_http_request *q, struct curl_slist *headers,
                      receiving *r, char *errbuf, const char *user_agent) {
  curl_easy_setopt(e, CURLOPT_URL, q->url);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (q->body != NULL) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
  }
  if (headers != NULL) {
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent);
  int64_t timeout_ms = q->timeout_ms > 0 ? q->timeout_ms : 10000;
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(
      e, CURLOPT_CONNECTTIMEOUT_MS,
      (long)(timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  if (q->ca_file != NULL) {
    curl_easy_setopt(e, CURLOPT_CAINFO, q->ca_file);
  }
  if (q->client_cert != NULL) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, q->client_cert);
  }
  if (q->client_key != NULL) {
    curl_easy_setopt(e, CURLOPT_SSLKEY, q->client_key);
  }
  if (q->grpc) {
    /* h2c with prior knowledge for http:// (a gRPC server speaks no HTTP/1.1 to upgrade from);
     * for https:// libcurl offers h2 by ALPN, and the attempt checks that it was chosen. */
    bool tls = strncasecmp(q->url, "https:", 6) == 0;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     (long)(tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    /* A fresh connection per call: Debian 12's libcurl (7.88) sends nothing on a second stream
     * of a reused HTTP/2 connection (the curl tool shows the same against a gRPC server), and the
     * call then fails with "Error in the HTTP2 framing layer". One connect per export is cheap
     * at export intervals. */
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  }
}

static bool aborted(const census_http_request *q) {
  return (q->abort != NULL && atomic_load(q->abort)) ||
         (q->abort_too != NULL && atomic_load(q->abort_too));
}

/* Drives the configured easy handle through the multi handle until it completes (its CURLcode)
 * or an abort flag is set (*was_aborted). */
static CURLcode drive(CURLM *multi, CURL *e, const census_http_request *q, bool *was_aborted) {
  if (curl_multi_add_handle(multi, e) != CURLM_OK) {
    return CURLE_FAILED_INIT;
  }
  CURLcode rc = CURLE_OK;
  for (bool done = false; !done;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
    int left = 0;
    CURLMsg *m;
    while ((m = curl_multi_info_read(multi, &left)) != NULL) {
      if (m->msg == CURLMSG_DONE && m->easy_handle == e) {
        rc = m->data.result;
        done = true;
      }
    }
    if (!done && !(*was_aborted = aborted(q))) {
      curl_multi_poll(multi, NULL, 0, 1000, NULL);
      *was_aborted = aborted(q);
    }
    done |= *was_aborted;
  }
  curl_multi_remove_handle(multi, e);
  return rc;
}

/* Whether the finished transfer on `e` was HTTP/2. */
static bool answered_in_http2(CURL *e) {
  long version = 0;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  return version == CURL_HTTP_VERSION_2_0;
}

bool census__http_client_prepare(census_http_client *c) {
  if (!census__http_global_init()) {
    return false;
  }
  if (c->multi == NULL) {
    c->multi = curl_multi_init();
  }
  if (c->easy == NULL) {
    c->easy = curl_easy_init();
  }
  return c->multi != NULL && c->easy != NULL;
}

void census__http_attempt(census_http_client *client, const census_http_request *q,
                          census_http_result *res) {
  memset(res, 0, sizeof *res);
  res->retry_after_ms = -1;
  res->grpc_status = -1;
  res->body = "";
  struct curl_slist *headers = NULL;
  if (!census__http_client_prepare(client)) {
    snprintf(res->error, sizeof res->error, "libcurl could not be initialised");
    return;
  }
  if (!header_list(q, &headers)) {
    curl_slist_free_all(headers);
    snprintf(res->error, sizeof res->error, "out of memory building the request");
    return;
  }
  receiving r = {res,
                 0,
                 q->max_response_bytes ? q->max_response_bytes : DEFAULT_MAX_RESPONSE,
                 false,
                 q->capture_header,
                 q->grpc};
  char errbuf[CURL_ERROR_SIZE] = "";
  char user_agent[64];
  snprintf(user_agent, sizeof user_agent, "census-c/%s", census_version());
  CURL *e = client->easy;
  curl_easy_reset(e);
  configure(e, q, headers, &r, errbuf, q->user_agent ? q->user_agent : user_agent);
  CURLcode rc = drive(client->multi, e, q, &res->aborted);
  curl_slist_free_all(headers);
  if (res->aborted) {
    res->status = 0;
    snprintf(res->error, sizeof res->error, "attempt aborted");
  } else if (rc == CURLE_OK && q->grpc && !answered_in_http2(e)) {
    res->status = 0;
    snprintf(res->error, sizeof res->error,
             "the server answered in HTTP/1.x: gRPC needs HTTP/2 (h2c with prior knowledge for "
             "http://, ALPN h2 for https://)");
  } else if (rc == CURLE_OK) {
    const char *ctype = NULL;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype);
    snprintf(res->content_type, sizeof res->content_type, "%s", ctype ? ctype : "");
  } else {
    res->status = 0;
    snprintf(res->error, sizeof res->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
  }
}

void census__http_attempt_once(const census_http_request *request, census_http_result *result) {
  census_http_client client = {0};
  census__http_attempt(&client, request, result);
  census__http_client_cleanup(&client);
}

void census__http_client_wakeup(census_http_client *client) {
  if (client->multi != NULL) {
    curl_multi_wakeup(client->multi); /* thread-safe */
  }
}

void census__http_client_cleanup(census_http_client *client) {
  if (client->easy != NULL) {
    curl_easy_cleanup(client->easy);
  }
  if (client->multi != NULL) {
    curl_multi_cleanup(client->multi);
  }
  client->easy = client->multi = NULL;
}

/* The body is allocated exactly when bytes were kept (body_len > 0); otherwise it is the static
 * empty string. */
void census__http_result_free(census_http_result *result) {
  if (result->body_len > 0) {
    census__free(result->body);
  }
  result->body = "";
  result->body_len = 0;
}
