/* google_internal.h - helpers shared inside the Google Cloud exporters library, beyond the fixed
 * token interface of google_auth.h: dropping a refused token, the one synchronous request helper
 * and the metadata-server reads built on it (google_http.c), diagnostics, and the parsers of what
 * Google's endpoints answer (token responses, error bodies, the CreateTimeSeries summary). The
 * parsers take untrusted bytes and are fuzzed (tests/fuzz/fuzz_google_error.c).
 *
 * Thread-safety: every function is thread-safe (they share no state) except where noted.
 */
#ifndef CENSUS_GOOGLE_INTERNAL_H
#define CENSUS_GOOGLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"
#include "google_auth.h"

/* Forgets the cached token (the API answered 401 with it) so that the next
 * census__google_auth_header() fetches a new one. A directly given token cannot be refreshed:
 * returns false in that case (and when auth is NULL), true otherwise. Thread-safe. */
bool census__google_auth_invalidate(census_google_auth *auth);

/* The metadata host the auth object uses ("host[:port]"), or NULL when it does not use the
 * metadata server. Borrowed for the object's life. */
const char *census__google_auth_metadata_host(const census_google_auth *auth);

/* The metadata host from `configured`, else GCE_METADATA_HOST, else metadata.google.internal.
 * Borrowed (from the argument, the environment or a literal). */
const char *census__google_metadata_host(const char *configured);

/* GETs http://<host>/computeMetadata/v1/<path> with "Metadata-Flavor: Google", requires the
 * same header on a 200 response, and returns the body (malloc'd, NUL-terminated, caller frees)
 * or NULL on any failure (no report: absence of a metadata server is normal off Google Cloud).
 * Blocks up to timeout_ms (0 or less: 2000). */
char *census__google_metadata_get(const char *host, const char *path, int64_t timeout_ms);

/* How long each metadata-server question of start-up may wait (project id, monitored resource):
 * off Google Cloud nothing answers, and start-up should not wait long for that. */
#define CENSUS_GOOGLE_METADATA_TIMEOUT_MS 1000

/* The project id of a Google exporter (`who`, e.g. "cloud trace", names it in diagnostics), from
 * the first of these sources that has one, the same order for both Google exporters:
 *   1. `option` (the exporter's project_id option), when not empty;
 *   2. the service-account key file's project_id (`key_file_project`, from
 *      census__google_auth_new(); taken over: returned or freed);
 *   3. the GOOGLE_CLOUD_PROJECT environment variable;
 *   4. the metadata server's project/project-id, asked only when `auth` gets its tokens from the
 *      metadata server (on Google Cloud; elsewhere the question could only wait), at most
 *      CENSUS_GOOGLE_METADATA_TIMEOUT_MS.
 * Returns the id (malloc'd, caller frees), or NULL when no source has one (reported with
 * CENSUS_ECONFIG: "<who>: no project id: ...", saying how to give one) or memory ran out
 * (*status = CENSUS_ENOMEM; otherwise CENSUS_ECONFIG). */
char *census__google_project_id(const char *who, const char *option, char *key_file_project,
                                const census_google_auth *auth, census_status *status);

/* What census__google_http_request() received. */
typedef struct census_google_http_response {
  char *body;           /* malloc'd, NUL-terminated, at most 64 KiB; NULL if empty; caller frees */
  size_t len;           /* bytes in body */
  bool metadata_flavor; /* the response carried "Metadata-Flavor: Google" */
} census_google_http_response;

/* One synchronous request (libcurl easy, google_http.c): a POST of `post_body` (NUL-terminated)
 * or, when it is NULL, a GET, with the given header lines, waiting up to timeout_ms; ca_file may
 * be NULL. For the few calls whose caller needs the answer before going on (tokens, metadata,
 * metricDescriptors.create); everything else goes through the HTTP sender. Returns the HTTP
 * status, or 0 on a transport failure (curl's message in err). *out is always set; the caller
 * frees out->body, also on failure. */
long census__google_http_request(const char *url, const char *post_body, const char *const *headers,
                                 size_t header_count, int64_t timeout_ms, const char *ca_file,
                                 census_google_http_response *out, char *err, size_t err_size);

/* Parses an OAuth2 token response ({"access_token","expires_in","token_type"}), from the token
 * endpoint or the metadata server. On success copies the token into token[0..token_size) and
 * sets *expires_in_s (3600 when absent) and returns CENSUS_OK. On failure returns
 * CENSUS_EEXPORT with a reason in message (including an OAuth2 {"error","error_description"}
 * body's text), or CENSUS_ELIMIT when the token does not fit. `body` need not be
 * NUL-terminated. */
census_status census__google_token_response_parse(const char *body, size_t len, char *token,
                                                  size_t token_size, int64_t *expires_in_s,
                                                  char *message, size_t message_size);

/* What a Google API error body ({"error":{"code","message","status","details":[...]}}) says.
 * Every field is optional in the input; strings are truncated to fit. */
typedef struct census_google_error {
  bool parsed;       /* the body was a JSON object with an "error" object */
  int64_t code;      /* "code" (the HTTP status), 0 if absent */
  char status[48];   /* "status", e.g. "INVALID_ARGUMENT"; "" if absent */
  char message[384]; /* "message"; "" if absent */
  /* From a details entry of type google.monitoring.v3.CreateTimeSeriesSummary: */
  bool has_summary;
  int64_t total_point_count;
  int64_t success_point_count;
  size_t summary_error_count; /* entries in summary.errors */
  char summary_errors[256];   /* "<status code> x<pointCount>; ..." of those entries */
} census_google_error;

/* Parses an error body (need not be NUL-terminated). Never fails: an unparsable body leaves
 * err->parsed false and the fields empty. */
void census__google_error_parse(const char *body, size_t len, census_google_error *err);

/* census_diagnostics_report() of a printf-formatted message (cut at 511 bytes). Thread-safe. */
void census__google_reportf(census_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether Cloud Monitoring's answer `status` (an HTTP status, not 0) is worth retrying:
 * 429 RESOURCE_EXHAUSTED, 500, 502, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED. */
bool census__google_status_retryable(long status);

/* Base64url without padding (JWT segments) of in[0..len) into out (src/core/base64.h); returns
 * the length written, or 0 if out_size is too small (it must hold census__base64_encoded_size(len):
 * the unpadded length plus the NUL). */
size_t census__base64url_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif
