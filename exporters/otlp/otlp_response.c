/* otlp_response.c - OTLP/HTTP response parsing and classification (see otlp_response.h).
 *
 * The protobuf side is a tiny reader: walk (key, value) pairs, keep the fields asked for, skip
 * every other field by its wire type, and stop at the first byte that does not fit (truncated
 * varint, a length past the end, wire types 3/4/6/7). Only two shapes are needed: a message whose
 * field 1 is a nested message (ExportXServiceResponse.partial_success) with field 1 int64 and
 * field 2 string, and google.rpc.Status with field 2 string. JSON goes through jansson; numbers
 * given as strings (proto3 int64) or as JSON integers are both accepted, as are the proto field
 * names in snake_case (proto3 JSON parsers accept both spellings).
 */
#include "otlp_response.h"

#include "grpc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Protobuf reader ----------------------------------------------------------------------- */

typedef struct pb_reader {
  const uint8_t *p;
  const uint8_t *end;
} pb_reader;

static bool read_varint(pb_reader *r, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) {
      return false;
    }
    uint8_t byte = *r->p++;
    x |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false; /* more than 10 bytes */
}

/* One field: its number and wire type; for LEN fields `data`/`len`, for varints `value`. */
typedef struct pb_field {
  uint32_t number;
  unsigned wire;
  uint64_t value;
  const uint8_t *data;
  size_t len;
} pb_field;

/* Reads the next field; false at the end or on malformed input. */
static bool next_field(pb_reader *r, pb_field *f) {
  uint64_t key;
  if (r->p >= r->end || !read_varint(r, &key)) {
    return false;
  }
  f->number = (uint32_t)(key >> 3);
  f->wire = (unsigned)(key & 7);
  if (f->number == 0 || key >> 3 > 0x1fffffff) {
    return false;
  }
  switch (f->wire) {
  case 0:
    return read_varint(r, &f->value);
  case 1:
    if (r->end - r->p < 8) {
      return false;
    }
    r->p += 8;
    return true;
  case 5:
    if (r->end - r->p < 4) {
      return false;
    }
    r->p += 4;
    return true;
  case 2: {
    uint64_t len;
    if (!read_varint(r, &len) || len > (uint64_t)(r->end - r->p)) {
      return false;
    }
    f->data = r->p;
    f->len = (size_t)len;
    r->p += len;
    return true;
  }
  default:
    return false; /* groups (3, 4) are not used by OTLP; 6, 7 do not exist */
  }
}

static void copy_message(char *message, size_t size, const char *s, size_t len) {
  if (!message || size == 0) {
    return;
  }
  if (len >= size) {
    len = size - 1;
  }
  memcpy(message, s, len);
  message[len] = '\0';
}

static bool pb_partial_success(const uint8_t *body, size_t len, int64_t *rejected, char *message,
                               size_t size) {
  pb_reader r = {body, body + len};
  pb_field f = {0}; /* set by next_field(); zeroed for -Wmaybe-uninitialized at -O3 */
  while (r.p < r.end) {
    if (!next_field(&r, &f)) {
      return false;
    }
    if (f.number == 1 && f.wire == 2) {
      pb_reader inner = {f.data, f.data + f.len};
      pb_field g = {0}; /* set by next_field(); zeroed for -Wmaybe-uninitialized at -O3 */
      while (inner.p < inner.end) {
        if (!next_field(&inner, &g)) {
          return false;
        }
        if (g.number == 1 && g.wire == 0) {
          *rejected = (int64_t)g.value;
        } else if (g.number == 2 && g.wire == 2) {
          copy_message(message, size, (const char *)g.data, g.len);
        }
      }
    }
  }
  return true;
}

static bool pb_status_message(const uint8_t *body, size_t len, char *message, size_t size) {
  pb_reader r = {body, body + len};
  pb_field f = {0}; /* set by next_field(); zeroed for -Wmaybe-uninitialized at -O3 */
  bool found = false;
  while (r.p < r.end) {
    if (!next_field(&r, &f)) {
      return false;
    }
    if (f.number == 2 && f.wire == 2) {
      copy_message(message, size, (const char *)f.data, f.len);
      found = true;
    }
  }
  return found;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_t *object_get2(json_t *obj, const char *camel, const char *snake) {
  json_t *v = json_object_get(obj, camel);
  return v ? v : json_object_get(obj, snake);
}

/* An int64 given as a JSON integer or as a decimal string. */
static bool json_int64(json_t *v, int64_t *out) {
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return true;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
      return false;
    }
    *out = x;
    return true;
  }
  return false;
}

static bool json_partial_success(const char *body, size_t len, int64_t *rejected, char *message,
                                 size_t size) {
  json_error_t error;
  json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &error);
  if (!root) {
    return false;
  }
  bool ok = json_is_object(root);
  json_t *ps = ok ? object_get2(root, "partialSuccess", "partial_success") : NULL;
  if (ps && json_is_object(ps)) {
    json_t *n = object_get2(ps, "rejectedDataPoints", "rejected_data_points");
    if (!n) {
      n = object_get2(ps, "rejectedSpans", "rejected_spans");
    }
    if (n && !json_int64(n, rejected)) {
      ok = false;
    }
    json_t *m = object_get2(ps, "errorMessage", "error_message");
    if (json_is_string(m)) {
      copy_message(message, size, json_string_value(m), json_string_length(m));
    }
  }
  json_decref(root);
  return ok;
}

static bool json_status_message(const char *body, size_t len, char *message, size_t size) {
  json_error_t error;
  json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &error);
  if (!root) {
    return false;
  }
  json_t *m = json_is_object(root) ? json_object_get(root, "message") : NULL;
  bool found = json_is_string(m);
  if (found) {
    copy_message(message, size, json_string_value(m), json_string_length(m));
  }
  json_decref(root);
  return found;
}

/* ---- Public ---------------------------------------------------------------------------------- */

bool census__otlp_parse_partial_success(const char *body, size_t len, bool json, int64_t *rejected,
                                        char *message, size_t message_size) {
  *rejected = 0;
  copy_message(message, message_size, "", 0);
  if (!body || len == 0) {
    return true; /* an empty message: full success */
  }
  bool ok = json ? json_partial_success(body, len, rejected, message, message_size)
                 : pb_partial_success((const uint8_t *)body, len, rejected, message, message_size);
  if (*rejected < 0) {
    *rejected = 0;
  }
  return ok;
}

bool census__otlp_parse_status_message(const char *body, size_t len, bool json, char *message,
                                       size_t message_size) {
  copy_message(message, message_size, "", 0);
  if (!body || len == 0) {
    return false;
  }
  return json ? json_status_message(body, len, message, message_size)
              : pb_status_message((const uint8_t *)body, len, message, message_size);
}

/* True if the response body is JSON: by its Content-Type when given, else by the request's. */
static bool response_is_json(const census_http_response *response, bool request_json) {
  const char *ct = response->content_type;
  if (ct && *ct) {
    if (strncasecmp(ct, "application/json", 16) == 0) {
      return true;
    }
    if (strncasecmp(ct, "application/x-protobuf", 22) == 0 ||
        strncasecmp(ct, "application/protobuf", 20) == 0) {
      return false;
    }
  }
  return request_json;
}

census_http_verdict census__otlp_classify(const census_http_response *response, bool request_json,
                                          const char *signal, uint64_t *rejected, char *message,
                                          size_t message_size) {
  *rejected = 0;
  copy_message(message, message_size, "", 0);
  long status = response->status;
  bool json = response_is_json(response, request_json);
  const char *items = strcmp(signal, "traces") == 0 ? "spans" : "data points";
  if (status == 200) {
    int64_t n = 0;
    char detail[512];
    if (!census__otlp_parse_partial_success(response->body, response->body_len, json, &n, detail,
                                            sizeof detail)) {
      /* Delivered all the same: the server said 200. Say that its body made no sense. */
      snprintf(message, message_size, "otlp %s: 200 response with an unreadable body", signal);
      return CENSUS_HTTP_DELIVERED;
    }
    if ((uint64_t)n > response->items) {
      n = (int64_t)response->items;
    }
    *rejected = (uint64_t)n;
    if (n > 0 || detail[0]) {
      snprintf(message, message_size, "otlp %s: partial success: %" PRId64 " %s rejected%s%s",
               signal, n, items, detail[0] ? ": " : "", detail);
    }
    return CENSUS_HTTP_DELIVERED;
  }
  if (status >= 200 && status < 300) {
    return CENSUS_HTTP_DELIVERED; /* other 2xx: accepted, no OTLP body to read */
  }
  if (status == 0 || status == 429 || status == 502 || status == 503 || status == 504) {
    if (status == 0) {
      snprintf(message, message_size, "otlp %s: %s", signal,
               response->curl_error ? response->curl_error : "transport failure");
    } else {
      snprintf(message, message_size, "otlp %s: HTTP %ld, will retry", signal, status);
    }
    return CENSUS_HTTP_RETRY;
  }
  char detail[512];
  if (census__otlp_parse_status_message(response->body, response->body_len, json, detail,
                                        sizeof detail)) {
    snprintf(message, message_size, "otlp %s: HTTP %ld: %s", signal, status, detail);
  } else {
    snprintf(message, message_size, "otlp %s: HTTP %ld", signal, status);
  }
  return CENSUS_HTTP_FAILED;
}

/* The verdict on a grpc-status `code` other than OK, with the call's message and details: OTLP's
 * retryable codes retry (RESOURCE_EXHAUSTED only with a RetryInfo, whose delay becomes the
 * minimum wait, as a Retry-After would; UNAVAILABLE's RetryInfo is honoured too), others fail. */
static census_http_verdict grpc_error(const census_http_response *response, int code,
                                      const char *signal, char *message, size_t message_size) {
  char text[512];
  census__grpc_decode_message(response->grpc_message ? response->grpc_message : "",
                              response->grpc_message ? strlen(response->grpc_message) : 0, text,
                              sizeof text);
  census_grpc_details details;
  bool has_details =
      response->grpc_details && response->grpc_details[0] &&
      census__grpc_parse_details(response->grpc_details, strlen(response->grpc_details), &details);
  if (!text[0] && has_details) {
    snprintf(text, sizeof text, "%s", details.message);
  }
  bool retry_info = has_details && details.retry_info;
  bool retry = census__grpc_retryable(code, retry_info);
  if (retry && retry_info && details.retry_delay_ms >= 0 && response->retry_after_ms &&
      details.retry_delay_ms > *response->retry_after_ms) {
    *response->retry_after_ms = details.retry_delay_ms;
  }
  snprintf(message, message_size, "otlp %s: grpc-status %d (%s)%s%s%s", signal, code,
           census__grpc_code_name(code), text[0] ? ": " : "", text,
           retry                                                   ? ", will retry"
           : code == CENSUS_GRPC_RESOURCE_EXHAUSTED && !retry_info ? " (no RetryInfo: not retried)"
                                                                   : "");
  return retry ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
}

census_http_verdict census__otlp_classify_grpc(const census_http_response *response,
                                               const char *signal, uint64_t *rejected,
                                               char *message, size_t message_size) {
  *rejected = 0;
  copy_message(message, message_size, "", 0);
  long status = response->status;
  if (status == 0) {
    snprintf(message, message_size, "otlp %s: %s", signal,
             response->curl_error ? response->curl_error : "transport failure");
    return CENSUS_HTTP_RETRY;
  }
  if (status != 200) {
    /* Not a gRPC answer (a proxy's, say): the status gRPC maps it to decides. */
    int code = census__grpc_code_of_http(status);
    bool retry = census__grpc_retryable(code, false);
    snprintf(message, message_size, "otlp %s: HTTP %ld (gRPC %s)%s", signal, status,
             census__grpc_code_name(code), retry ? ", will retry" : "");
    return retry ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
  }
  if (response->grpc_status < 0) {
    snprintf(message, message_size,
             "otlp %s: the gRPC answer has no valid grpc-status trailer (a server or proxy that "
             "is not gRPC?)",
             signal);
    return CENSUS_HTTP_FAILED;
  }
  if (response->grpc_status != CENSUS_GRPC_OK) {
    return grpc_error(response, response->grpc_status, signal, message, message_size);
  }
  const char *body;
  size_t len;
  bool compressed;
  int64_t n = 0;
  char detail[512] = "";
  if (!census__grpc_unframe(response->body, response->body_len, &body, &len, &compressed) ||
      compressed ||
      !census__otlp_parse_partial_success(body, len, false, &n, detail, sizeof detail)) {
    snprintf(message, message_size, "otlp %s: grpc-status OK with an unreadable message", signal);
    return CENSUS_HTTP_DELIVERED;
  }
  if ((uint64_t)n > response->items) {
    n = (int64_t)response->items;
  }
  *rejected = (uint64_t)n;
  if (n > 0 || detail[0]) {
    /* The server's error_message may hold any bytes: one line for the diagnostic. */
    for (char *c = detail; *c; c++) {
      *c = (unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c;
    }
    snprintf(message, message_size, "otlp %s: partial success: %" PRId64 " %s rejected%s%s", signal,
             n, strcmp(signal, "traces") == 0 ? "spans" : "data points", detail[0] ? ": " : "",
             detail);
  }
  return CENSUS_HTTP_DELIVERED;
}
