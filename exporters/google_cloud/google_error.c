/* google_error.c - parsers of what Google's endpoints answer: OAuth2 token responses, and API
 * error bodies (google.rpc.Status in REST form):
 *
 *   {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT",
 *              "details": [{"@type": "type.googleapis.com/google.monitoring.v3.
 *                                     CreateTimeSeriesSummary",
 *                           "totalPointCount": 3, "successPointCount": 1,
 *                           "errors": [{"status": {"code": 3, "message": ".."},
 *                                       "pointCount": 2}]}]}}
 *
 * The input is untrusted (fuzzed): every field is optional and type-checked, strings are
 * truncated into fixed buffers, and nothing is assumed about sizes. int32 fields are accepted
 * as JSON numbers or decimal strings (proto3 JSON allows both).
 */
#include <jansson.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google_internal.h"

#define SUMMARY_TYPE "type.googleapis.com/google.monitoring.v3.CreateTimeSeriesSummary"

static bool json_int(json_t *v, int64_t *out) {
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return true;
  }
  if (json_is_string(v)) {
    char *end = NULL;
    long long n = strtoll(json_string_value(v), &end, 10);
    if (end && end != json_string_value(v) && *end == '\0') {
      *out = n;
      return true;
    }
  }
  return false;
}

static void copy_str(char *dst, size_t size, json_t *v) {
  if (json_is_string(v))
    snprintf(dst, size, "%s", json_string_value(v));
}

static void parse_summary(json_t *detail, census_google_error *err) {
  err->has_summary = true;
  json_int(json_object_get(detail, "totalPointCount"), &err->total_point_count);
  json_int(json_object_get(detail, "successPointCount"), &err->success_point_count);
  json_t *errors = json_object_get(detail, "errors");
  if (!json_is_array(errors))
    return;
  size_t used = 0;
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    if (!json_is_object(e))
      continue;
    err->summary_error_count++;
    int64_t code = 0, points = 0;
    json_t *status = json_object_get(e, "status");
    const char *msg = "";
    if (json_is_object(status)) {
      json_int(json_object_get(status, "code"), &code);
      json_t *m = json_object_get(status, "message");
      if (json_is_string(m))
        msg = json_string_value(m);
    }
    json_int(json_object_get(e, "pointCount"), &points);
    if (used + 1 < sizeof err->summary_errors) {
      int n = snprintf(err->summary_errors + used, sizeof err->summary_errors - used,
                       "%scode %lld x%lld%s%.80s", used ? "; " : "", (long long)code,
                       (long long)points, msg[0] ? " " : "", msg);
      if (n > 0)
        used += (size_t)n;
      if (used >= sizeof err->summary_errors)
        used = sizeof err->summary_errors - 1;
    }
  }
}

void census__google_error_parse(const char *body, size_t len, census_google_error *err) {
  memset(err, 0, sizeof *err);
  if (!body || len == 0)
    return;
  json_error_t jerr;
  json_t *root = json_loadb(body, len, 0, &jerr);
  json_t *e = json_is_object(root) ? json_object_get(root, "error") : NULL;
  if (json_is_object(e)) {
    err->parsed = true;
    json_int(json_object_get(e, "code"), &err->code);
    copy_str(err->status, sizeof err->status, json_object_get(e, "status"));
    copy_str(err->message, sizeof err->message, json_object_get(e, "message"));
    json_t *details = json_object_get(e, "details");
    if (json_is_array(details)) {
      size_t i;
      json_t *d;
      json_array_foreach(details, i, d) {
        json_t *type = json_is_object(d) ? json_object_get(d, "@type") : NULL;
        if (json_is_string(type) && strcmp(json_string_value(type), SUMMARY_TYPE) == 0 &&
            !err->has_summary)
          parse_summary(d, err);
      }
    }
  }
  json_decref(root);
}

bool census__google_status_retryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* ---- Token responses ----------------------------------------------------------------------- */

census_status census__google_token_response_parse(const char *body, size_t len, char *token,
                                                  size_t token_size, int64_t *expires_in_s,
                                                  char *message, size_t message_size) {
  json_error_t jerr;
  if (message_size)
    message[0] = '\0';
  json_t *root = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!root || !json_is_object(root)) {
    snprintf(message, message_size, "token response is not a JSON object");
    json_decref(root);
    return CENSUS_EEXPORT;
  }
  census_status st = CENSUS_OK;
  json_t *tok = json_object_get(root, "access_token");
  json_t *exp = json_object_get(root, "expires_in");
  json_t *type = json_object_get(root, "token_type");
  if (!json_is_string(tok) || json_string_length(tok) == 0) {
    json_t *e = json_object_get(root, "error");
    json_t *d = json_object_get(root, "error_description");
    snprintf(message, message_size, "token response has no access_token%s%s%s%s",
             json_is_string(e) ? ": " : "", json_is_string(e) ? json_string_value(e) : "",
             json_is_string(d) ? ": " : "", json_is_string(d) ? json_string_value(d) : "");
    st = CENSUS_EEXPORT;
  } else if (type &&
             (!json_is_string(type) || strcasecmp(json_string_value(type), "Bearer") != 0)) {
    snprintf(message, message_size, "token response has token_type other than Bearer");
    st = CENSUS_EEXPORT;
  } else if (exp && !(json_is_integer(exp) && json_integer_value(exp) > 0)) {
    snprintf(message, message_size, "token response has an invalid expires_in");
    st = CENSUS_EEXPORT;
  } else {
    const char *t = json_string_value(tok);
    size_t tl = json_string_length(tok);
    /* The token goes into an HTTP header: refuse bytes that would break or inject one. */
    for (size_t i = 0; i < tl; i++) {
      unsigned char c = (unsigned char)t[i];
      if (c <= 0x20 || c >= 0x7f) {
        snprintf(message, message_size,
                 "access_token contains a character not allowed in a "
                 "header");
        st = CENSUS_EEXPORT;
        break;
      }
    }
    if (st == CENSUS_OK) {
      if (tl + 1 > token_size) {
        snprintf(message, message_size, "access_token longer than %zu bytes", token_size - 1);
        st = CENSUS_ELIMIT;
      } else {
        memcpy(token, t, tl + 1);
        *expires_in_s = exp ? (int64_t)json_integer_value(exp) : 3600;
      }
    }
  }
  json_decref(root);
  return st;
}
