/* test_google_auth.c - the parts of the Google token source and error parsing that need no
 * server: base64url (RFC 4648 section 5 test vectors), token responses (good, OAuth2 error
 * bodies, wrong types, header-injection attempts, too long), API error bodies with and without a
 * CreateTimeSeriesSummary, key-file validation at creation (missing file, wrong type, bad key:
 * CENSUS_ECONFIG with a diagnostic) and a directly given token (used as-is, never fetched).
 * The end-to-end token flows are in tests/google_cloud/auth_e2e_test.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "census/census.h"
#include "google_auth.h"
#include "google_internal.h"

static char diag[1024];
static int diag_count;
static void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  snprintf(diag, sizeof diag, "%s", message);
  diag_count++;
}

static int setup(void **state) {
  (void)state;
  diag[0] = '\0';
  diag_count = 0;
  census_diagnostics_set_callback(on_diag, NULL);
  return 0;
}

/* RFC 4648 vectors, in the url alphabet without padding; plus the two url-specific digits. */
static void test_base64url(void **state) {
  (void)state;
  char out[64];
  struct {
    const char *in, *want;
  } v[] = {{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
           {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    census__base64url_encode((const unsigned char *)v[i].in, strlen(v[i].in), out, sizeof out);
    assert_string_equal(out, v[i].want);
  }
  const unsigned char b[] = {0xfb, 0xff, 0xbf};
  assert_int_equal(census__base64url_encode(b, 3, out, sizeof out), 4);
  assert_string_equal(out, "-_-_");
  assert_int_equal(census__base64url_encode(b, 3, out, 4), 0); /* needs 5 with the NUL */
}

static census_status parse(const char *body, char *tok, size_t size, int64_t *exp, char *msg) {
  return census__google_token_response_parse(body, strlen(body), tok, size, exp, msg, 256);
}

static void test_token_response(void **state) {
  (void)state;
  char tok[64], msg[256];
  int64_t exp = 0;
  assert_int_equal(parse("{\"access_token\":\"ya29.abc\",\"expires_in\":3599,"
                         "\"token_type\":\"Bearer\"}",
                         tok, sizeof tok, &exp, msg),
                   CENSUS_OK);
  assert_string_equal(tok, "ya29.abc");
  assert_int_equal(exp, 3599);
  /* expires_in absent: one hour. */
  assert_int_equal(parse("{\"access_token\":\"t\"}", tok, sizeof tok, &exp, msg), CENSUS_OK);
  assert_int_equal(exp, 3600);
  /* OAuth2 error body: its words reach the message. */
  assert_int_equal(parse("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT "
                         "Signature.\"}",
                         tok, sizeof tok, &exp, msg),
                   CENSUS_EEXPORT);
  assert_non_null(strstr(msg, "invalid_grant"));
  assert_non_null(strstr(msg, "Invalid JWT Signature."));
  /* Wrong shapes. */
  assert_int_equal(parse("[]", tok, sizeof tok, &exp, msg), CENSUS_EEXPORT);
  assert_int_equal(parse("not json", tok, sizeof tok, &exp, msg), CENSUS_EEXPORT);
  assert_int_equal(parse("{\"access_token\":5}", tok, sizeof tok, &exp, msg), CENSUS_EEXPORT);
  assert_int_equal(parse("{\"access_token\":\"\"}", tok, sizeof tok, &exp, msg), CENSUS_EEXPORT);
  assert_int_equal(
      parse("{\"access_token\":\"t\",\"expires_in\":\"60\"}", tok, sizeof tok, &exp, msg),
      CENSUS_EEXPORT);
  assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":0}", tok, sizeof tok, &exp, msg),
                   CENSUS_EEXPORT);
  assert_int_equal(
      parse("{\"access_token\":\"t\",\"token_type\":\"MAC\"}", tok, sizeof tok, &exp, msg),
      CENSUS_EEXPORT);
  /* A token that would inject a header line is refused. */
  assert_int_equal(parse("{\"access_token\":\"a\\r\\nX-Evil: 1\"}", tok, sizeof tok, &exp, msg),
                   CENSUS_EEXPORT);
  /* Length limit: 7 bytes fit in 8, 8 do not. */
  assert_int_equal(parse("{\"access_token\":\"1234567\"}", tok, 8, &exp, msg), CENSUS_OK);
  assert_int_equal(parse("{\"access_token\":\"12345678\"}", tok, 8, &exp, msg), CENSUS_ELIMIT);
}

static void test_error_body(void **state) {
  (void)state;
  census_google_error e;
  const char *body =
      "{\"error\":{\"code\":400,\"message\":\"One or more TimeSeries could not be written\","
      "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/"
      "google.rpc.BadRequest\"},{\"@type\":\"type.googleapis.com/"
      "google.monitoring.v3.CreateTimeSeriesSummary\",\"totalPointCount\":5,"
      "\"successPointCount\":\"2\",\"errors\":[{\"status\":{\"code\":3,\"message\":\"bad\"},"
      "\"pointCount\":2},{\"status\":{\"code\":9},\"pointCount\":1}]}]}}";
  census__google_error_parse(body, strlen(body), &e);
  assert_true(e.parsed);
  assert_int_equal(e.code, 400);
  assert_string_equal(e.status, "INVALID_ARGUMENT");
  assert_string_equal(e.message, "One or more TimeSeries could not be written");
  assert_true(e.has_summary);
  assert_int_equal(e.total_point_count, 5);
  assert_int_equal(e.success_point_count, 2);
  assert_int_equal(e.summary_error_count, 2);
  assert_string_equal(e.summary_errors, "code 3 x2 bad; code 9 x1");

  body = "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}";
  census__google_error_parse(body, strlen(body), &e);
  assert_true(e.parsed);
  assert_int_equal(e.code, 429);
  assert_false(e.has_summary);
  assert_string_equal(e.message, "");

  const char *bad[] = {"", "<html>502</html>", "{\"error\":\"x\"}", "{\"error\":{\"code\":[]}}",
                       "{\"error\":{\"details\":{}}}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    census__google_error_parse(bad[i], strlen(bad[i]), &e);
    assert_int_equal(e.code, 0);
    assert_false(e.has_summary);
    /* The first three have no "error" object; the last two have one with wrong-typed fields. */
    assert_int_equal(e.parsed, i >= 3);
  }
  /* A long message is truncated, NUL-terminated. */
  char big[2048];
  int n = snprintf(big, sizeof big, "{\"error\":{\"message\":\"");
  memset(big + n, 'm', 1000);
  strcpy(big + n + 1000, "\"}}");
  census__google_error_parse(big, strlen(big), &e);
  assert_int_equal(strlen(e.message), sizeof e.message - 1);
}

/* The statuses Cloud Monitoring's classifiers retry, and neighbours that must not be retried. */
static void test_retryable_status(void **state) {
  (void)state;
  const long retry[] = {429, 500, 502, 503, 504};
  for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
    assert_true(census__google_status_retryable(retry[i]));
  const long final[] = {200, 400, 401, 403, 404, 409, 428, 501, 505};
  for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
    assert_false(census__google_status_retryable(final[i]));
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_key_file_errors(void **state) {
  (void)state;
  census_status st = CENSUS_OK;
  char *project = (char *)"unset";
  census_google_auth_config cfg = {0};
  cfg.credentials_file = "/nonexistent/key.json";
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_null(project);
  assert_non_null(strstr(diag, "/nonexistent/key.json"));

  char path[] = "/tmp/census_google_keyXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  cfg.credentials_file = path;
  write_file(path, "{\"type\":\"authorized_user\",\"client_id\":\"x\"}");
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(diag, "authorized_user"));

  write_file(path, "{\"type\":\"service_account\",\"client_email\":\"a@b\","
                   "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE "
                   "KEY-----\\n\",\"project_id\":\"p\"}");
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(diag, "private_key"));
  assert_null(project);

  write_file(path, "{\"type\":\"service_account\",\"private_key\":\"x\"}");
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(diag, "client_email"));

  /* The key file's "type" is outside text: quoted escaped, so a newline cannot forge a second
   * log line nor an escape sequence reach the terminal. Fails on main (quoted raw). */
  write_file(path, "{\"type\":\"x\\ncensus: forged line \\u001b[31m\\\"\"}");
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_null(strchr(diag, '\n'));
  assert_null(strchr(diag, '\x1b'));
  assert_non_null(strstr(diag, "\"type\" is \"x\\ncensus: forged line \\x1b[31m\\\"\""));

  /* jansson's parse error may quote the file's bytes: escaped too. */
  write_file(path, "{\"type\": \x01\x1b[2J}");
  assert_null(census__google_auth_new(&cfg, &project, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_null(strchr(diag, '\x1b'));
  assert_null(strchr(diag, '\x01'));
  unlink(path);
}

static void test_static_token(void **state) {
  (void)state;
  census_google_auth_config cfg = {0};
  cfg.access_token = "given-token";
  cfg.credentials_file = "/nonexistent/ignored.json"; /* a given token wins */
  census_status st;
  char *project = NULL;
  census_google_auth *auth = census__google_auth_new(&cfg, &project, &st);
  assert_non_null(auth);
  assert_int_equal(st, CENSUS_OK);
  assert_null(project);
  char buf[64];
  assert_int_equal(census__google_auth_header(auth, buf, sizeof buf), CENSUS_OK);
  assert_string_equal(buf, "Authorization: Bearer given-token");
  /* "Authorization: Bearer given-token" is 33 bytes: 34 fit, 33 do not. */
  assert_int_equal(census__google_auth_header(auth, buf, 34), CENSUS_OK);
  assert_int_equal(census__google_auth_header(auth, buf, 33), CENSUS_ELIMIT);
  assert_false(census__google_auth_invalidate(auth)); /* cannot refresh a given token */
  assert_int_equal(census__google_auth_fetch_count(auth), 0);
  census__google_auth_free(auth);
  census__google_auth_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_base64url, setup),
      cmocka_unit_test_setup(test_token_response, setup),
      cmocka_unit_test_setup(test_error_body, setup),
      cmocka_unit_test_setup(test_retryable_status, setup),
      cmocka_unit_test_setup(test_key_file_errors, setup),
      cmocka_unit_test_setup(test_static_token, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
