/* grpc.c - gRPC framing, trailers and status codes (see grpc.h).
 *
 * The details trailer is two decodings of outside input in a row: base64 (RFC 4648, the standard
 * alphabet, padding optional, as gRPC sends binary metadata), then a protobuf walk over
 * google.rpc.Status and its Any details. The walk reads a varint-tagged field at a time with its
 * length checked against what is left, skips what it does not know (wire types 0, 1, 2, 5) and
 * gives up on anything else, so no input makes it read outside the buffer.
 */
#include "grpc.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

#define DELAY_MS_MAX ((int64_t)30 * 24 * 3600 * 1000)

void census__grpc_prefix(unsigned char out[CENSUS_GRPC_PREFIX], bool compressed, uint32_t len) {
  out[0] = compressed ? 1 : 0;
  out[1] = (unsigned char)(len >> 24);
  out[2] = (unsigned char)(len >> 16);
  out[3] = (unsigned char)(len >> 8);
  out[4] = (unsigned char)len;
}

bool census__grpc_unframe(const char *body, size_t body_len, const char **message, size_t *len,
                          bool *compressed) {
  *message = body;
  *len = 0;
  *compressed = false;
  if (body_len == 0) {
    return true;
  }
  if (body_len < CENSUS_GRPC_PREFIX) {
    return false;
  }
  const unsigned char *p = (const unsigned char *)body;
  if (p[0] > 1) {
    return false;
  }
  uint64_t n = ((uint64_t)p[1] << 24) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 8) | p[4];
  if (n != body_len - CENSUS_GRPC_PREFIX) {
    return false;
  }
  *message = body + CENSUS_GRPC_PREFIX;
  *len = (size_t)n;
  *compressed = p[0] == 1;
  return true;
}

bool census__grpc_parse_status(const char *v, size_t len, int *code) {
  while (len > 0 && (*v == ' ' || *v == '\t')) {
    v++, len--;
  }
  while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) {
    len--;
  }
  if (len == 0 || len > 10) {
    return false;
  }
  int64_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') {
      return false;
    }
    n = n * 10 + (v[i] - '0');
  }
  if (n > INT32_MAX) {
    return false;
  }
  *code = (int)n;
  return true;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/* Appends byte c to out[0..size) at *at, a control character as a space; false when full. */
static bool put_text(char *out, size_t size, size_t *at, unsigned char c) {
  if (*at + 1 >= size) {
    return false;
  }
  out[(*at)++] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
  return true;
}

void census__grpc_decode_message(const char *v, size_t len, char *out, size_t size) {
  size_t at = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)v[i];
    int hi, lo;
    if (c == '%' && i + 2 < len && (hi = hex_digit(v[i + 1])) >= 0 &&
        (lo = hex_digit(v[i + 2])) >= 0) {
      c = (unsigned char)(hi * 16 + lo);
      i += 2;
    }
    if (!put_text(out, size, &at, c)) {
      break;
    }
  }
  out[at] = '\0';
}

/* Decodes base64 (padding optional; src/core/base64.h) into a new buffer (*out, *out_len;
 * census__free() it). False when malformed or out of memory. */
static bool b64_decode(const char *v, size_t len, unsigned char **out, size_t *out_len) {
  unsigned char *buf = census__malloc(len * 3 / 4 + 1);
  if (!buf) {
    return false;
  }
  long n = census__base64_decode(v, len, buf, len * 3 / 4 + 1);
  if (n < 0) {
    census__free(buf);
    return false;
  }
  *out = buf;
  *out_len = (size_t)n;
  return true;
}

/* A protobuf reader over [p, end). */
typedef struct pb_reader {
  const unsigned char *p, *end;
} pb_reader;

static bool pb_varint(pb_reader *r, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
    unsigned char b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

/* Reads one field's key and, for a length-delimited one, its bytes (*data, *len); for a varint
 * its value (*value). Skips fixed32/fixed64. False at the end or on malformed input. */
static bool pb_field(pb_reader *r, uint32_t *field, uint32_t *wire, uint64_t *value,
                     const unsigned char **data, size_t *len) {
  uint64_t key;
  if (r->p >= r->end || !pb_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) {
    return false;
  }
  *field = (uint32_t)(key >> 3);
  *wire = (uint32_t)(key & 7);
  size_t left = (size_t)(r->end - r->p);
  switch (*wire) {
  case 0:
    return pb_varint(r, value);
  case 1:
    if (left < 8) {
      return false;
    }
    r->p += 8;
    return true;
  case 5:
    if (left < 4) {
      return false;
    }
    r->p += 4;
    return true;
  case 2: {
    uint64_t n;
    if (!pb_varint(r, &n) || n > (uint64_t)(r->end - r->p)) {
      return false;
    }
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return true;
  }
  default:
    return false;
  }
}

/* google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2;} in ms, rounded up, clamped to
 * 0 .. 30 days. False when malformed. */
static bool parse_duration(const unsigned char *p, size_t len, int64_t *ms) {
  pb_reader r = {p, p + len};
  int64_t seconds = 0, nanos = 0;
  uint32_t field, wire;
  uint64_t value = 0;
  const unsigned char *data;
  size_t n;
  while (r.p < r.end) {
    if (!pb_field(&r, &field, &wire, &value, &data, &n)) {
      return false;
    }
    if (field == 1 && wire == 0) {
      seconds = (int64_t)value;
    } else if (field == 2 && wire == 0) {
      nanos = (int64_t)(int32_t)value;
    }
  }
  if (seconds < 0 || nanos < 0) {
    *ms = 0;
  } else if (seconds >= DELAY_MS_MAX / 1000) {
    *ms = DELAY_MS_MAX;
  } else {
    *ms = seconds * 1000 + (nanos + 999999) / 1000000;
  }
  return true;
}

#define RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"

/* One google.protobuf.Any of Status.details: a RetryInfo {Duration retry_delay = 1;} sets
 * out->retry_info and out->retry_delay_ms. False when malformed. */
static bool parse_any(const unsigned char *p, size_t len, census_grpc_details *out) {
  pb_reader r = {p, p + len};
  const unsigned char *type = NULL, *value = NULL;
  size_t type_len = 0, value_len = 0;
  uint32_t field, wire;
  uint64_t v;
  const unsigned char *data;
  size_t n;
  while (r.p < r.end) {
    if (!pb_field(&r, &field, &wire, &v, &data, &n)) {
      return false;
    }
    if (field == 1 && wire == 2) {
      type = data, type_len = n;
    } else if (field == 2 && wire == 2) {
      value = data, value_len = n;
    }
  }
  if (type && type_len == strlen(RETRY_INFO_TYPE) && memcmp(type, RETRY_INFO_TYPE, type_len) == 0) {
    out->retry_info = true;
    static const unsigned char none[1];
    pb_reader ri = {value ? value : none, value ? value + value_len : none};
    while (ri.p < ri.end) {
      if (!pb_field(&ri, &field, &wire, &v, &data, &n)) {
        return false;
      }
      if (field == 1 && wire == 2 && !parse_duration(data, n, &out->retry_delay_ms)) {
        return false;
      }
    }
  }
  return true;
}

/* google.rpc.Status {int32 code = 1; string message = 2; repeated Any details = 3;}. */
static bool parse_status(const unsigned char *p, size_t len, census_grpc_details *out) {
  pb_reader r = {p, p + len};
  uint32_t field, wire;
  uint64_t value = 0;
  const unsigned char *data;
  size_t n;
  while (r.p < r.end) {
    if (!pb_field(&r, &field, &wire, &value, &data, &n)) {
      return false;
    }
    if (field == 1 && wire == 0) {
      out->code = (int)(int32_t)value;
    } else if (field == 2 && wire == 2) {
      size_t at = 0;
      for (size_t i = 0; i < n && put_text(out->message, sizeof out->message, &at, data[i]); i++) {
      }
      out->message[at] = '\0';
    } else if (field == 3 && wire == 2 && !parse_any(data, n, out)) {
      return false;
    }
  }
  return true;
}

bool census__grpc_parse_details(const char *value, size_t len, census_grpc_details *out) {
  memset(out, 0, sizeof *out);
  out->retry_delay_ms = -1;
  while (len > 0 && (*value == ' ' || *value == '\t')) {
    value++, len--;
  }
  while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) {
    len--;
  }
  unsigned char *bytes;
  size_t n;
  if (!b64_decode(value, len, &bytes, &n)) {
    return false;
  }
  bool ok = parse_status(bytes, n, out);
  census__free(bytes);
  if (!ok) {
    memset(out, 0, sizeof *out);
    out->retry_delay_ms = -1;
  }
  return ok;
}

const char *census__grpc_code_name(int code) {
  static const char *const names[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? names[code] : "UNKNOWN_CODE";
}

bool census__grpc_retryable(int code, bool retry_info) {
  switch (code) {
  case CENSUS_GRPC_CANCELLED:
  case CENSUS_GRPC_DEADLINE_EXCEEDED:
  case CENSUS_GRPC_ABORTED:
  case CENSUS_GRPC_OUT_OF_RANGE:
  case CENSUS_GRPC_UNAVAILABLE:
  case CENSUS_GRPC_DATA_LOSS:
    return true;
  case CENSUS_GRPC_RESOURCE_EXHAUSTED:
    return retry_info;
  default:
    return false;
  }
}

int census__grpc_code_of_http(long status) {
  switch (status) {
  case 400:
    return CENSUS_GRPC_INTERNAL;
  case 401:
    return CENSUS_GRPC_UNAUTHENTICATED;
  case 403:
    return CENSUS_GRPC_PERMISSION_DENIED;
  case 404:
    return CENSUS_GRPC_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return CENSUS_GRPC_UNAVAILABLE;
  default:
    return CENSUS_GRPC_UNKNOWN;
  }
}
