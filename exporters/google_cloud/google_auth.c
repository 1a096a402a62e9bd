/* google_auth.c - OAuth2 access tokens for the Google Cloud exporters (see google_auth.h).
 *
 * Three sources, fixed when the object is made: a token given directly (used as-is, never
 * refreshed); a service-account key file, whose private key signs a JWT assertion
 * (RS256 = RSASSA-PKCS1-v1_5 over SHA-256, with OpenSSL) that the token endpoint exchanges for an
 * access token (RFC 7523 "jwt-bearer" grant); or the GCE/GKE metadata server, which hands out
 * the instance's service-account token to a GET carrying "Metadata-Flavor: Google".
 *
 * Invariants: one mutex guards the cached token; the thread that finds it stale fetches while
 * holding the mutex, so concurrent callers wait for that one fetch instead of each asking the
 * endpoint (the token requests are small and rare). A token is refreshed when less than
 * min(CENSUS_GOOGLE_TOKEN_REFRESH_MARGIN_S, lifetime / 2) of its lifetime remains: the margin
 * keeps a request from carrying a token that expires in flight, and the lifetime / 2 cap keeps a
 * short-lived token (a test's, or a metadata server's late in the token's life) from being
 * fetched again on every request. Times are CLOCK_MONOTONIC, so a wall-clock step does not make
 * a token look fresh; the JWT's iat/exp are wall-clock seconds, as the endpoint expects.
 *
 * Errors are reported through census_diagnostics_report() with the endpoint's own words
 * (OAuth2 {"error","error_description"} bodies) and returned as CENSUS_EEXPORT, which the HTTP
 * sender treats as a retryable failed attempt.
 */

#include "google_auth.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "core/base64.h"
#include "google_internal.h"
#include "url.h"
#include "alloc.h"
#include "env_config.h"

#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define DEFAULT_SCOPES "https://www.googleapis.com/auth/cloud-platform"
#define JWT_LIFETIME_S 3600

typedef enum auth_source { SOURCE_STATIC, SOURCE_KEY_FILE, SOURCE_METADATA } auth_source;

struct census_google_auth {
  auth_source source;
  pthread_mutex_t lock;
  char *token;           /* current access token or NULL (guarded by lock) */
  int64_t refresh_at_ns; /* monotonic time after which the token is refetched (lock) */
  uint64_t fetches;      /* token requests made (lock) */
  int64_t timeout_ms;
  char *scopes;
  /* SOURCE_KEY_FILE */
  char *client_email;
  char *private_key_id;
  char *token_uri;      /* JWT audience: the key file's token_uri or the default */
  char *token_endpoint; /* where the assertion is posted */
  EVP_PKEY *key;
  /* SOURCE_METADATA */
  char *metadata_host;
};

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *dup_or_null(const char *s) { return s ? census__strdup(s) : NULL; }

size_t census__base64url_encode(const unsigned char *in, size_t len, char *out, size_t out_size) {
  return census__base64_encode(in, len, true, out, out_size);
}

/* ---- Key file ------------------------------------------------------------------------------ */

static const char *json_str(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/* Reads a service-account key file into `auth`. CENSUS_ECONFIG (reported) if unusable. */
static census_status load_key_file(census_google_auth *auth, const char *path, char **project_id) {
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root || !json_is_object(root)) {
    char why[CENSUS_QUOTE_SIZE]; /* jansson's message may quote the file's bytes */
    census__quote(root ? "not an object" : jerr.text, why, sizeof why);
    census__google_reportf(
        CENSUS_ECONFIG, "google credentials: cannot read service-account JSON %s: %s", path, why);
    json_decref(root);
    return CENSUS_ECONFIG;
  }
  census_status st = CENSUS_ECONFIG;
  const char *type = json_str(root, "type");
  const char *email = json_str(root, "client_email");
  const char *pem = json_str(root, "private_key");
  if (!type || strcmp(type, "service_account") != 0) {
    /* Escaped: the file's text must not split or forge a diagnostic line. */
    char quoted[CENSUS_QUOTE_SIZE];
    census__quote(type ? type : "(missing)", quoted, sizeof quoted);
    census__google_reportf(
        CENSUS_ECONFIG,
        "google credentials: %s: \"type\" is \"%s\", only \"service_account\" keys are "
        "supported",
        path, quoted);
  } else if (!email || !pem) {
    census__google_reportf(CENSUS_ECONFIG, "google credentials: %s: missing %s", path,
                           !email ? "client_email" : "private_key");
  } else {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
      census__google_reportf(CENSUS_ECONFIG,
                             "google credentials: %s: private_key is not a PEM RSA key", path);
      EVP_PKEY_free(key);
    } else {
      auth->key = key;
      auth->client_email = census__strdup(email);
      auth->private_key_id = dup_or_null(json_str(root, "private_key_id"));
      const char *uri = json_str(root, "token_uri");
      auth->token_uri = census__strdup(uri ? uri : DEFAULT_TOKEN_URI);
      if (!auth->token_endpoint)
        auth->token_endpoint = census__strdup(auth->token_uri);
      const char *project = json_str(root, "project_id");
      if (project_id && project)
        *project_id = census__strdup(project);
      st = (auth->client_email && auth->token_uri && auth->token_endpoint) ? CENSUS_OK
                                                                           : CENSUS_ENOMEM;
    }
  }
  json_decref(root);
  return st;
}

/* Frees a string json_dumps() made: jansson allocates with its own functions (the C library's
 * unless the program set others, json_set_alloc_funcs()), never census's. NULL is a no-op. */
static void jansson_free(char *s) {
  json_malloc_t malloc_fn;
  json_free_t free_fn;
  json_get_alloc_funcs(&malloc_fn, &free_fn);
  if (s) {
    free_fn(s);
  }
}

/* Builds and signs the JWT assertion: b64url(header) "." b64url(claims) "." b64url(sig). */
static char *make_assertion(census_google_auth *auth, char *err, size_t err_size) {
  json_t *header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
  if (header && auth->private_key_id)
    json_object_set_new(header, "kid", json_string(auth->private_key_id));
  time_t now = time(NULL);
  json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", auth->client_email, "scope",
                             auth->scopes, "aud", auth->token_uri, "iat", (json_int_t)now, "exp",
                             (json_int_t)now + JWT_LIFETIME_S);
  char *hs = header ? json_dumps(header, JSON_COMPACT) : NULL;
  char *cs = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
  json_decref(header);
  json_decref(claims);
  char *out = NULL;
  unsigned char *sig = NULL;
  EVP_MD_CTX *md = NULL;
  if (!hs || !cs)
    goto done;
  size_t hl = strlen(hs), cl = strlen(cs);
  size_t cap = (hl + 2) / 3 * 4 + (cl + 2) / 3 * 4 + 1024 + 3;
  out = census__malloc(cap);
  if (!out)
    goto done;
  size_t n = census__base64url_encode((const unsigned char *)hs, hl, out, cap);
  out[n++] = '.';
  n += census__base64url_encode((const unsigned char *)cs, cl, out + n, cap - n);
  size_t sig_len = 0;
  md = EVP_MD_CTX_new();
  if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, auth->key) != 1 ||
      EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)out, n) != 1 ||
      !(sig = census__malloc(sig_len)) ||
      EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)out, n) != 1) {
    snprintf(err, err_size, "signing the JWT assertion failed");
    census__free(out);
    out = NULL;
    goto done;
  }
  /* The signature of a key up to 8192 bits fits in the 1024 spare bytes. */
  if ((sig_len + 2) / 3 * 4 + 2 > cap - n) {
    snprintf(err, err_size, "RSA key too large");
    census__free(out);
    out = NULL;
    goto done;
  }
  out[n++] = '.';
  census__base64url_encode(sig, sig_len, out + n, cap - n);
done:
  if (!out && !err[0])
    snprintf(err, err_size, "out of memory building the JWT assertion");
  EVP_MD_CTX_free(md);
  census__free(sig);
  jansson_free(hs);
  jansson_free(cs);
  return out;
}

/* Fetches a new token into auth (lock held). Returns CENSUS_OK or CENSUS_EEXPORT (reported). */
static census_status fetch_token(census_google_auth *auth) {
  char err[384] = "";
  char url[1024];
  char *post = NULL;
  const char *header;
  char where[200]; /* the endpoint as reports show it: no userinfo, query or fragment */
  if (auth->source == SOURCE_KEY_FILE) {
    census__url_redact(auth->token_endpoint, where, sizeof where);
    char *assertion = make_assertion(auth, err, sizeof err);
    if (!assertion) {
      census__google_reportf(CENSUS_EEXPORT, "google auth: %s", err);
      return CENSUS_EEXPORT;
    }
    static const char prefix[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    /* The assertion is base64url and '.', all unreserved in a form body: no escaping. */
    if (census__asprintf(&post, "%s%s", prefix, assertion) < 0)
      post = NULL;
    census__free(assertion);
    if (!post)
      return CENSUS_ENOMEM;
    snprintf(url, sizeof url, "%s", auth->token_endpoint);
    header = "Content-Type: application/x-www-form-urlencoded";
  } else {
    census__url_redact(auth->metadata_host, where, sizeof where);
    snprintf(url, sizeof url,
             "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
             auth->metadata_host);
    header = "Metadata-Flavor: Google";
  }
  auth->fetches++;
  census_google_http_response r;
  long status = census__google_http_request(url, post, &header, 1, auth->timeout_ms, NULL, &r, err,
                                            sizeof err);
  census__free(post);
  census_status st = CENSUS_EEXPORT;
  char token[4096];
  int64_t expires_in = 0;
  if (status == 0) {
    census__google_reportf(CENSUS_EEXPORT, "google auth: token request to %s failed: %s", where,
                           err);
  } else if (auth->source == SOURCE_METADATA && !r.metadata_flavor) {
    census__google_reportf(
        CENSUS_EEXPORT,
        "google auth: %s answered without \"Metadata-Flavor: Google\"; not a metadata server",
        where);
  } else {
    char msg[384];
    census_status pst = census__google_token_response_parse(r.body, r.len, token, sizeof token,
                                                            &expires_in, msg, sizeof msg);
    if (status != 200 || pst != CENSUS_OK) {
      census__google_reportf(CENSUS_EEXPORT, "google auth: token endpoint %s answered HTTP %ld: %s",
                             where, status, pst != CENSUS_OK ? msg : "unexpected status");
    } else {
      char *copy = census__strdup(token);
      if (copy) {
        census__free(auth->token);
        auth->token = copy;
        int64_t margin = CENSUS_GOOGLE_TOKEN_REFRESH_MARGIN_S;
        if (margin > expires_in / 2)
          margin = expires_in / 2;
        auth->refresh_at_ns = monotonic_ns() + (expires_in - margin) * 1000000000LL;
        st = CENSUS_OK;
      } else {
        st = CENSUS_ENOMEM;
      }
    }
  }
  census__free(r.body);
  return st;
}

/* ---- Public (internal) API ----------------------------------------------------------------- */

census_google_auth *census__google_auth_new(const census_google_auth_config *config,
                                            char **project_id, census_status *status) {
  census_google_auth_config none = {0};
  if (!config)
    config = &none;
  if (project_id)
    *project_id = NULL;
  census_google_auth *auth = census__calloc(1, sizeof *auth);
  census_status st = CENSUS_ENOMEM;
  if (!auth)
    goto fail;
  pthread_mutex_init(&auth->lock, NULL);
  auth->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 10000;
  auth->scopes =
      census__strdup(config->scopes && config->scopes[0] ? config->scopes : DEFAULT_SCOPES);
  if (!auth->scopes)
    goto fail;
  if (config->access_token && config->access_token[0]) {
    auth->source = SOURCE_STATIC;
    auth->token = census__strdup(config->access_token);
    if (!auth->token)
      goto fail;
    if (strpbrk(auth->token, "\r\n")) {
      census_diagnostics_report(CENSUS_ECONFIG, "google auth: access_token contains a newline");
      st = CENSUS_ECONFIG;
      goto fail;
    }
  } else {
    const char *file = config->credentials_file;
    if (!file || !file[0])
      file = getenv("GOOGLE_APPLICATION_CREDENTIALS");
    if (file && file[0]) {
      auth->source = SOURCE_KEY_FILE;
      if (config->token_endpoint && config->token_endpoint[0] &&
          !census__url_check(CENSUS_ECONFIG, "google auth", "options.token_endpoint",
                             config->token_endpoint, "the exporter is not started")) {
        st = CENSUS_ECONFIG;
        goto fail;
      }
      if (config->token_endpoint && config->token_endpoint[0] &&
          !(auth->token_endpoint = census__strdup(config->token_endpoint)))
        goto fail;
      st = load_key_file(auth, file, project_id);
      if (st != CENSUS_OK)
        goto fail;
    } else {
      auth->source = SOURCE_METADATA;
      auth->metadata_host = census__strdup(census__google_metadata_host(config->metadata_host));
      if (!auth->metadata_host)
        goto fail;
    }
  }
  if (status)
    *status = CENSUS_OK;
  return auth;
fail:
  if (project_id) {
    census__free(*project_id);
    *project_id = NULL;
  }
  census__google_auth_free(auth);
  if (status)
    *status = st;
  return NULL;
}

census_status census__google_auth_header(void *user, char *buf, size_t size) {
  census_google_auth *auth = user;
  if (!auth || !buf)
    return CENSUS_EINVAL;
  pthread_mutex_lock(&auth->lock);
  census_status st = CENSUS_OK;
  if (auth->source != SOURCE_STATIC && (!auth->token || monotonic_ns() >= auth->refresh_at_ns))
    st = fetch_token(auth);
  if (st == CENSUS_OK) {
    int n = snprintf(buf, size, "Authorization: Bearer %s", auth->token);
    if (n < 0 || (size_t)n >= size) {
      if (size)
        buf[0] = '\0';
      st = CENSUS_ELIMIT;
    }
  }
  pthread_mutex_unlock(&auth->lock);
  return st;
}

bool census__google_auth_invalidate(census_google_auth *auth) {
  if (!auth || auth->source == SOURCE_STATIC)
    return false;
  pthread_mutex_lock(&auth->lock);
  census__free(auth->token);
  auth->token = NULL;
  pthread_mutex_unlock(&auth->lock);
  return true;
}

const char *census__google_auth_metadata_host(const census_google_auth *auth) {
  return auth && auth->source == SOURCE_METADATA ? auth->metadata_host : NULL;
}

uint64_t census__google_auth_fetch_count(const census_google_auth *auth) {
  if (!auth)
    return 0;
  pthread_mutex_lock((pthread_mutex_t *)&auth->lock);
  uint64_t n = auth->fetches;
  pthread_mutex_unlock((pthread_mutex_t *)&auth->lock);
  return n;
}

void census__google_auth_free(census_google_auth *auth) {
  if (!auth)
    return;
  pthread_mutex_destroy(&auth->lock);
  census__free(auth->token);
  census__free(auth->scopes);
  census__free(auth->client_email);
  census__free(auth->private_key_id);
  census__free(auth->token_uri);
  census__free(auth->token_endpoint);
  EVP_PKEY_free(auth->key);
  census__free(auth->metadata_host);
  census__free(auth);
}
