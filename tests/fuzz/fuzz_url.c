/* fuzz_url.c - libFuzzer target for the endpoint URL check and redaction (exporters/http/url.c):
 * URLs come from options and from environment variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT, ...), written by people, and may carry credentials.
 *
 * The input, cut at its first NUL as an environment variable would be, goes through
 * census__url_ok() (libcurl's parser behind it) and census__url_redact() into buffers of several
 * sizes. Invariants: nothing crashes or reads out of bounds (ASan); every output is
 * NUL-terminated inside its buffer and holds printable ASCII only (no control byte of the input
 * can reach a diagnostic line); a refusal says why (non-empty); the redacted text never holds the
 * query or fragment (what follows the first '?' or '#' is "***") nor the userinfo of an
 * authority ("user:password@" becomes "***@"); both functions give the same answer twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "url.h"

static void check_printable(const char *out, size_t size) {
  size_t n = strnlen(out, size);
  FUZZ_CHECK(n < size);
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(out[i] >= 0x20 && out[i] <= 0x7e);
  }
}

/* The redaction of `url` into `size` bytes: bounded, printable, without the secrets. */
static void check_redact(const char *url, size_t size) {
  char *out = malloc(size);
  char *again = malloc(size);
  if (!out || !again) {
    free(out);
    free(again);
    return;
  }
  census__url_redact(url, out, size);
  census__url_redact(url, again, size);
  check_printable(out, size);
  FUZZ_CHECK(strcmp(out, again) == 0);
  /* The query or fragment never appears: when nothing is cut, the output is the redaction of
   * what precedes the input's first '?' or '#', then "?***" or "#***". (Comparing texts instead
   * would see the secret's first letters joined to the end of what precedes it.) */
  const char *secret = url + strcspn(url, "?#");
  if (*secret && size == 4096 && strlen(url) < 1000) {
    char *before = strndup(url, (size_t)(secret - url));
    char *shown = malloc(size);
    if (before && shown) {
      census__url_redact(before, shown, size);
      size_t n = strlen(shown);
      FUZZ_CHECK(strncmp(out, shown, n) == 0);
      FUZZ_CHECK(strcmp(out + n, *secret == '?' ? "?***" : "#***") == 0);
    }
    free(before);
    free(shown);
  }
  /* Userinfo: the text between "://" and the authority's last '@' never appears. */
  const char *scheme_end = strstr(url, "://");
  if (scheme_end && scheme_end > url + strcspn(url, "/?#")) {
    scheme_end = NULL; /* in a path, query or fragment: no scheme */
  }
  const char *authority = scheme_end ? scheme_end + 3 : url;
  size_t authority_length = strcspn(authority, "/?#");
  const char *at = NULL;
  for (const char *p = authority; p < authority + authority_length; p++) {
    at = *p == '@' ? p : at;
  }
  if (at && at - authority >= 4) {
    char *userinfo = strndup(authority, (size_t)(at - authority));
    char *shown = strndup(url, (size_t)(authority - url)); /* the scheme, printed */
    if (userinfo && shown && !strpbrk(userinfo, "?*.@") && !strstr(at + 1, userinfo) &&
        !strstr(shown, userinfo)) {
      FUZZ_CHECK(strstr(out, userinfo) == NULL);
    }
    free(userinfo);
    free(shown);
  }
  free(out);
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *url = malloc(size + 1);
  if (!url) {
    return 0;
  }
  memcpy(url, data, size);
  url[size] = '\0';
  char why[256], why_again[256];
  bool ok = census__url_ok(url, why, sizeof why);
  FUZZ_CHECK(census__url_ok(url, why_again, sizeof why_again) == ok);
  if (!ok) {
    check_printable(why, sizeof why);
    FUZZ_CHECK(why[0] != '\0');
    FUZZ_CHECK(strcmp(why, why_again) == 0);
    char tiny[8];
    FUZZ_CHECK(!census__url_ok(url, tiny, sizeof tiny));
    check_printable(tiny, sizeof tiny);
  }
  static const size_t sizes[] = {1, 2, 3, 4, 5, 16, 160, 4096};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    check_redact(url, sizes[i]);
  }
  free(url);
  return 0;
}
