/* http_attempt.h - one HTTP attempt with libcurl: the only place census talks HTTP as a client.
 *
 * Every request census sends goes through census__http_attempt(): the push exporters' sender
 * (http_sender.c: its requests, retried from its own thread) and the Google Cloud exporters'
 * small synchronous calls (google_http.c: OAuth2 tokens, metadata-server reads,
 * metricDescriptors.create). One function means one set of rules for every request: http and
 * https only, no redirects followed, no signals (CURLOPT_NOSIGNAL), a per-attempt timeout with the
 * connection phase capped at 10 s, a bounded response body (bytes beyond the cap are read and
 * discarded, and the result says so), Retry-After parsed (delay-seconds or HTTP-date), and an
 * attempt that can be aborted at once from another thread.
 *
 * A client is a libcurl multi handle and an easy handle, reused from attempt to attempt so that
 * connections stay alive. The attempt is driven with curl_multi_poll(), so that an abort flag
 * set from another thread (followed by census__http_client_wakeup()) ends it within
 * milliseconds, not at the end of its timeout.
 *
 * Thread-safety: a client serves one attempt at a time (its owner's thread);
 * census__http_client_wakeup() may be called from any thread. census__http_attempt_once() is
 * thread-safe (a client of its own per call).
 */
#ifndef CENSUS_HTTP_ATTEMPT_H
#define CENSUS_HTTP_ATTEMPT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

/* A connection cache for attempts made one after another. Zero-initialise; handles are made on
 * first use. */
typedef struct census_http_client {
  void *multi; /* CURLM * */
  void *easy;  /* CURL * */
} census_http_client;

/* What to send. */
typedef struct census_http_request {
  const char *url;            /* http:// or https:// */
  const char *body;           /* POST body; NULL: a GET */
  size_t body_len;            /* bytes of body */
  const char *const *headers; /* "Name: value" lines; may be NULL */
  size_t header_count;
  const char *header_text;      /* more header lines, '\n'-separated ('\r' ignored); may be NULL */
  const char *user_agent;       /* NULL: "census-c/<version>" */
  int64_t timeout_ms;           /* whole attempt; the connection phase at most 10 s of it */
  const char *ca_file;          /* PEM CA bundle for https; NULL: the system's */
  const char *client_cert;      /* PEM client certificate (mTLS); may be NULL */
  const char *client_key;       /* PEM client key (mTLS); may be NULL */
  size_t max_response_bytes;    /* response bytes kept (the rest read and discarded); 0: 4 MiB */
  const char *capture_header;   /* a response header whose value to keep (e.g.
                                   "Metadata-Flavor"), case-insensitive; may be NULL */
  const atomic_bool *abort;     /* the attempt ends at once when either is set; may be NULL */
  const atomic_bool *abort_too; /* (census__http_client_wakeup() interrupts the wait) */
  /* A gRPC call (grpc.h): HTTP/2 only, with prior knowledge for http:// (h2c, no upgrade) and
   * negotiated by ALPN for https://; a server that answers in HTTP/1.x fails the attempt (status
   * 0, error says so). The grpc-* trailers (or Trailers-Only headers) are kept in the result. */
  bool grpc;
} census_http_request;

/* What came back. Free with census__http_result_free(). */
typedef struct census_http_result {
  long status;            /* HTTP status; 0 when no response arrived (see error) */
  char error[256];        /* why no response arrived (libcurl's message); "" otherwise */
  bool aborted;           /* an abort flag ended the attempt (status 0) */
  char *body;             /* NUL-terminated, at most max_response_bytes; never NULL */
  size_t body_len;        /* bytes in body */
  bool body_truncated;    /* the response was longer than max_response_bytes */
  char content_type[128]; /* the response's Content-Type; "" if none */
  int64_t retry_after_ms; /* the response's Retry-After, in ms from now; -1 if none or bad */
  char captured[128];     /* the value of capture_header, trimmed; "" if absent */
  /* gRPC (request.grpc): the trailers (or Trailers-Only headers) as received. */
  int grpc_status;         /* grpc-status, or -1 when absent or malformed */
  char grpc_message[512];  /* grpc-message, still percent-encoded; "" if absent */
  char grpc_details[4096]; /* grpc-status-details-bin (base64); "" if absent or too long */
} census_http_result;

/* Makes one attempt with `client`'s handles (made on first use). Never fails without saying why:
 * result->status is the HTTP status, or 0 with result->error set (a transport failure, an
 * abort, out of memory). result->body is always a valid string; free it with
 * census__http_result_free(). Blocks up to request->timeout_ms, or until an abort flag is set. */
void census__http_attempt(census_http_client *client, const census_http_request *request,
                          census_http_result *result);

/* census__http_attempt() with a client made and freed for this call. */
void census__http_attempt_once(const census_http_request *request, census_http_result *result);

/* Makes the client's handles now if it has none (an attempt makes them too); false if libcurl
 * cannot. */
bool census__http_client_prepare(census_http_client *client);

/* Interrupts the client's wait in an attempt in progress (after setting its abort flag), from any
 * thread. No-op when the client has no handles yet. */
void census__http_client_wakeup(census_http_client *client);

/* Frees the client's handles (closing its connections). */
void census__http_client_cleanup(census_http_client *client);

void census__http_result_free(census_http_result *result);

/* Parses a Retry-After value: delay-seconds or an HTTP-date, in ms from now (at most 30 days);
 * -1 when malformed. */
int64_t census__http_parse_retry_after(const char *value, size_t len);

/* Initialises libcurl once per process (curl_global_init); false if it failed. Thread-safe. */
bool census__http_global_init(void);

#endif
