/* test_http_url.c - exporters/http/url.c: which endpoint URLs pass, the reason given for each kind
 * of refusal, and the redaction that keeps credentials out of every printed URL.
 * (What each exporter reports with it: test_config_errors.c.)
 */
#include <string.h>

#include "support.h" /* cmocka, census/census.h */
#include "url.h"

/* Proves: http and https URLs with a host pass, in any case, with port, path and query; NULL,
 * empty, no scheme, another scheme, no host, a bad port and a space are refused, each with its
 * own reason. */
static void test_url_ok(void **state) {
  (void)state;
  char why[400];
  const char *good[] = {"http://localhost:4318", "HTTPS://example.test/x", "http://127.0.0.1:1/",
                        "http://[::1]:4318/v1/traces", "https://u:p@h/?q=1#f"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    if (!census__url_ok(good[i], why, sizeof why)) {
      fail_msg("%s refused: %s", good[i], why);
    }
  }
  assert_false(census__url_ok(NULL, why, sizeof why));
  assert_string_equal(why, "is not set: give an http:// or https:// URL");
  assert_false(census__url_ok("", why, sizeof why));
  assert_string_equal(why, "is not set: give an http:// or https:// URL");
  assert_false(census__url_ok("localhost:4318", why, sizeof why));
  assert_string_equal(why, "\"localhost:4318\" is not a URL (no scheme): write "
                           "\"http://localhost:4318\" (or https:// for TLS)");
  assert_false(census__url_ok("ftp://example.test/", why, sizeof why));
  assert_string_equal(why, "\"ftp://example.test/\" has the scheme \"ftp\": census sends over "
                           "HTTP only; use http:// or https://");
  assert_false(census__url_ok("http://", why, sizeof why));
  assert_string_equal(why, "\"http://\" is not a valid URL (libcurl: No host part in the URL): "
                           "write http(s)://host[:port][/path]");
  assert_false(census__url_ok("http://h:70000/", why, sizeof why));
  assert_non_null(strstr(why, "libcurl: Port number"));
  assert_false(census__url_ok("http://exa mple/", why, sizeof why));
  assert_non_null(strstr(why, "is not a valid URL (libcurl: "));
}

/* Proves: userinfo becomes "***@" (only in the authority: an '@' in the path stays), the query
 * and fragment become "?***" / "#***", control bytes become '?', strings without a scheme are
 * redacted too, and a long URL is cut with "..." within the buffer. */
static void test_url_redact(void **state) {
  (void)state;
  char out[64];
  census__url_redact("https://alice:s3cret@h:1/p?token=x#frag", out, sizeof out);
  assert_string_equal(out, "https://***@h:1/p?***");
  census__url_redact("http://h/a@b#frag", out, sizeof out);
  assert_string_equal(out, "http://h/a@b#***");
  census__url_redact("alice:pw@host:4318", out, sizeof out);
  assert_string_equal(out, "***@host:4318");
  /* A "://" in the query or fragment ends no scheme (found by fuzz_url; on main before issue 19
   * the authority began after it and "alice:pw" was printed). */
  census__url_redact("alice:pw@host:4318#x://y", out, sizeof out);
  assert_string_equal(out, "***@host:4318#***");
  census__url_redact("alice:pw@host:4318/p?u=http://z", out, sizeof out);
  assert_string_equal(out, "***@host:4318/p?***");
  census__url_redact("http://h/\x01\n", out, sizeof out);
  assert_string_equal(out, "http://h/??");
  census__url_redact(NULL, out, sizeof out);
  assert_string_equal(out, "(null)");
  char small[12];
  census__url_redact("http://example.test/long/path", small, sizeof small);
  assert_string_equal(small, "http://e...");
  census__url_redact("http://example.test/?secret", small, sizeof small);
  assert_null(strstr(small, "secret"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_url_ok),
      cmocka_unit_test(test_url_redact),
  };
  return cmocka_run_group_tests_name("http_url", tests, NULL, NULL);
}
