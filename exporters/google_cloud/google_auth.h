/* google_auth.h - OAuth2 access tokens for Google Cloud APIs, shared by the Cloud Monitoring and
 * Cloud Trace exporters.
 *
 * Sources, first that applies: a token given directly; a service-account JSON key file (path
 * given, else GOOGLE_APPLICATION_CREDENTIALS): a JWT (RS256, signed with OpenSSL) exchanged at
 * the key's token_uri (or the configured token endpoint) for an access token; else the GCE/GKE
 * metadata server (GCE_METADATA_HOST, else metadata.google.internal). Tokens are cached and
 * refreshed when less than CENSUS_GOOGLE_TOKEN_REFRESH_MARGIN_S remain. The endpoints are
 * configurable so tests (and private endpoints) work.
 *
 * Thread-safety: census__google_auth_header() is thread-safe (one refresh at a time; others
 * wait for it); new/free are not.
 */
#ifndef CENSUS_GOOGLE_AUTH_H
#define CENSUS_GOOGLE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#define CENSUS_GOOGLE_TOKEN_REFRESH_MARGIN_S 300

typedef struct census_google_auth census_google_auth;

typedef struct census_google_auth_config {
  const char *access_token;     /* used as-is, never refreshed; NULL: use a credentials source */
  const char *credentials_file; /* service-account JSON; NULL: GOOGLE_APPLICATION_CREDENTIALS */
  const char *token_endpoint;   /* NULL: the key file's token_uri, else
                                   https://oauth2.googleapis.com/token */
  const char *metadata_host;    /* "host[:port]"; NULL: GCE_METADATA_HOST, else
                                   metadata.google.internal */
  const char *scopes;           /* space-separated; NULL:
                                   https://www.googleapis.com/auth/cloud-platform */
  int64_t timeout_ms;           /* per token request; 0: 10000 */
} census_google_auth_config;

/* Creates the token source; reads and validates the key file now (so a bad file is reported at
 * start-up: CENSUS_ECONFIG with a diagnostic), fetches no token yet. *project_id (if not NULL)
 * receives the key file's project_id (malloc'd, caller frees) or NULL. */
census_google_auth *census__google_auth_new(const census_google_auth_config *config,
                                            char **project_id, census_status *status);

/* Writes "Authorization: Bearer <token>" into buf[0..size), fetching or refreshing the token if
 * needed (blocking up to the configured timeout). CENSUS_EEXPORT (token endpoint unreachable or
 * refused; reported), CENSUS_ELIMIT (buf too small). Matches census_http_authorize_fn when
 * passed with the auth object as user pointer. */
census_status census__google_auth_header(void *auth, char *buf, size_t size);

/* Token requests made so far (tests check reuse and refresh). */
uint64_t census__google_auth_fetch_count(const census_google_auth *auth);

void census__google_auth_free(census_google_auth *auth);

#endif
