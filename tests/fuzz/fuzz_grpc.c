/* fuzz_grpc.c - libFuzzer target for the OTLP/gRPC answer parsers: grpc.c (the response frame,
 * grpc-status, the percent-encoded grpc-message, the base64 google.rpc.Status of
 * grpc-status-details-bin with its RetryInfo) and census__otlp_classify_grpc(), which runs them
 * all on what a server sent.
 *
 * Input: byte 0 picks the HTTP status (200, 0 or another), byte 1 the grpc-status (-1: absent);
 * the rest is split at 0xff bytes into the grpc-message value, the details value and the body.
 * Invariants: nothing reads out of bounds (ASan); the verdict is one of the three; rejected items
 * never exceed the request's; every message is NUL-terminated, within its buffer and free of
 * control characters (it goes into one diagnostic line); the minimum wait only ever rises, and to
 * at most 30 days; a frame accepted is exactly its body; a details value that parses gives a delay
 * of at most 30 days (or none); parsing twice gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "grpc.h"
#include "otlp_response.h"

#define DAYS30_MS ((int64_t)30 * 24 * 3600 * 1000)

static void check_text(const char *s, size_t size) {
  const char *end = memchr(s, '\0', size);
  FUZZ_CHECK(end != NULL);
  for (const char *p = s; p < end; p++) {
    FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
  }
}

/* The next 0xff-separated piece of [*p, end) as a NUL-terminated copy (free() it). */
static char *piece(const uint8_t **p, const uint8_t *end, size_t *len) {
  const uint8_t *stop = memchr(*p, 0xff, (size_t)(end - *p));
  if (stop == NULL) {
    stop = end;
  }
  *len = (size_t)(stop - *p);
  char *s = malloc(*len + 1);
  if (s != NULL) {
    memcpy(s, *p, *len);
    s[*len] = '\0';
  }
  *p = stop < end ? stop + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) {
    return 0;
  }
  long status = data[0] < 200 ? 200 : data[0] < 220 ? 0 : 300 + data[0];
  int grpc_status = data[1] == 0xff ? -1 : data[1] % 20;
  const uint8_t *p = data + 2, *end = data + size;
  size_t mlen, dlen, blen;
  char *message = piece(&p, end, &mlen);
  char *details = piece(&p, end, &dlen);
  char *body = piece(&p, end, &blen);
  if (message == NULL || details == NULL || body == NULL) {
    free(message), free(details), free(body);
    return 0;
  }

  const char *msg;
  size_t len;
  bool compressed;
  if (census__grpc_unframe(body, blen, &msg, &len, &compressed)) {
    FUZZ_CHECK((len == 0 && blen == 0) || len + CENSUS_GRPC_PREFIX == blen);
  }
  census_grpc_details d, d2;
  bool parsed = census__grpc_parse_details(details, dlen, &d);
  FUZZ_CHECK(parsed == census__grpc_parse_details(details, dlen, &d2));
  if (parsed) {
    FUZZ_CHECK(d.retry_delay_ms >= -1 && d.retry_delay_ms <= DAYS30_MS);
    FUZZ_CHECK(d.retry_delay_ms == d2.retry_delay_ms && d.code == d2.code);
    check_text(d.message, sizeof d.message);
    FUZZ_CHECK(d.retry_info || d.retry_delay_ms == -1);
  } else {
    FUZZ_CHECK(!d.retry_info && d.retry_delay_ms == -1);
  }
  char decoded[64];
  census__grpc_decode_message(message, mlen, decoded, sizeof decoded);
  check_text(decoded, sizeof decoded);
  int code;
  if (census__grpc_parse_status(message, mlen, &code)) {
    FUZZ_CHECK(code >= 0);
  }

  int64_t wait = (int64_t)(data[0] & 0x0f) * 100 - 1, before = wait;
  census_http_response r;
  memset(&r, 0, sizeof r);
  r.status = status;
  r.curl_error = status == 0 ? "transport" : NULL;
  r.body = body;
  r.body_len = blen;
  r.items = data[1];
  r.grpc_status = grpc_status;
  r.grpc_message = message;
  r.grpc_details = details;
  r.retry_after_ms = &wait;
  uint64_t rejected = 0;
  char out[160];
  census_http_verdict v = census__otlp_classify_grpc(&r, "metrics", &rejected, out, sizeof out);
  FUZZ_CHECK(v == CENSUS_HTTP_DELIVERED || v == CENSUS_HTTP_RETRY || v == CENSUS_HTTP_FAILED);
  FUZZ_CHECK(rejected <= r.items);
  FUZZ_CHECK(v == CENSUS_HTTP_DELIVERED || rejected == 0);
  FUZZ_CHECK(wait >= before && wait <= (before > DAYS30_MS ? before : DAYS30_MS));
  check_text(out, sizeof out);
  free(message);
  free(details);
  free(body);
  return 0;
}
