/* fuzz_otlp_response.c - libFuzzer target for the OTLP exporter's response parsing
 * (exporters/otlp/otlp_response.c): partial success and google.rpc.Status, protobuf and JSON.
 *
 * The first input byte picks the case (bit 0: JSON or protobuf; bits 1-3: the HTTP status among
 * 200, 400, 429, 500, 503, 0, 204, 413; bit 4: "traces" or "metrics"); the rest is the response
 * body. Build: compile exporters/otlp/otlp_response.c with this file, include exporters/otlp and
 * exporters/http, link jansson. Invariants: every verdict is one of the three; a DELIVERED response
 * never rejects more items than the request had; the message is always NUL-terminated within its
 * buffer; the parsers themselves give a rejected count >= 0 and a terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "otlp_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) {
    return 0;
  }
  static const long statuses[] = {200, 400, 429, 500, 503, 0, 204, 413};
  bool json = data[0] & 1;
  long status = statuses[(data[0] >> 1) & 7];
  /* The sender hands the classifier a NUL-terminated copy. */
  char *body = malloc(size);
  FUZZ_CHECK(body != NULL);
  memcpy(body, data + 1, size - 1);
  body[size - 1] = '\0';

  census_http_response r;
  memset(&r, 0, sizeof r);
  r.status = status;
  r.body = body;
  r.body_len = size - 1;
  r.content_type = json ? "application/json" : "application/x-protobuf";
  r.items = 10;
  r.curl_error = status == 0 ? "fuzz" : NULL;
  uint64_t rejected = 12345;
  char message[64];
  memset(message, 'x', sizeof message);
  census_http_verdict v = census__otlp_classify(&r, json, (data[0] & 16) ? "traces" : "metrics",
                                                &rejected, message, sizeof message);
  FUZZ_CHECK(v == CENSUS_HTTP_DELIVERED || v == CENSUS_HTTP_RETRY || v == CENSUS_HTTP_FAILED);
  FUZZ_CHECK(memchr(message, '\0', sizeof message) != NULL);
  if (v == CENSUS_HTTP_DELIVERED) {
    FUZZ_CHECK(rejected <= r.items);
  }

  int64_t n = -1;
  char small[8];
  census__otlp_parse_partial_success(body, size - 1, json, &n, small, sizeof small);
  FUZZ_CHECK(n >= 0);
  FUZZ_CHECK(memchr(small, '\0', sizeof small) != NULL);
  census__otlp_parse_status_message(body, size - 1, json, small, sizeof small);
  FUZZ_CHECK(memchr(small, '\0', sizeof small) != NULL);
  free(body);
  return 0;
}
