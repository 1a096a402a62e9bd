/* fuzz_google_error.c - libFuzzer target for the Google Cloud exporters' response parsers: API
 * error bodies (census__google_error_parse, with the CreateTimeSeriesSummary details) and OAuth2
 * token responses (census__google_token_response_parse), both fed untrusted bytes by servers.
 *
 * Invariants: no crash, leak or overread; every string field is NUL-terminated within its
 * buffer; a summary's error text fits its buffer; an accepted token is non-empty, fits the
 * buffer, holds no byte that could break an HTTP header line, and has a positive lifetime; a
 * refusal always comes with a message.
 *
 * Build (fuzz.cmake): census_fuzz_target(google_error
 *   SOURCES ${PROJECT_SOURCE_DIR}/exporters/google_cloud/google_error.c LIBS <jansson>).
 */
#include <stdint.h>
#include <string.h>

#include "../../exporters/google_cloud/google_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_google_error e;
  census__google_error_parse((const char *)data, size, &e);
  FUZZ_CHECK(memchr(e.status, 0, sizeof e.status) != NULL);
  FUZZ_CHECK(memchr(e.message, 0, sizeof e.message) != NULL);
  FUZZ_CHECK(memchr(e.summary_errors, 0, sizeof e.summary_errors) != NULL);
  FUZZ_CHECK(e.parsed || (!e.has_summary && e.code == 0 && e.status[0] == '\0'));
  FUZZ_CHECK(e.has_summary || e.summary_error_count == 0);

  char token[64];
  char message[128];
  int64_t expires = -1;
  census_status st = census__google_token_response_parse(
      (const char *)data, size, token, sizeof token, &expires, message, sizeof message);
  FUZZ_CHECK(memchr(message, 0, sizeof message) != NULL);
  if (st == CENSUS_OK) {
    size_t n = strnlen(token, sizeof token);
    FUZZ_CHECK(n > 0 && n < sizeof token);
    for (size_t i = 0; i < n; i++)
      FUZZ_CHECK(token[i] > 0x20 && token[i] < 0x7f);
    FUZZ_CHECK(expires > 0);
  } else {
    FUZZ_CHECK(st == CENSUS_EEXPORT || st == CENSUS_ELIMIT);
    FUZZ_CHECK(message[0] != '\0');
  }
  return 0;
}
