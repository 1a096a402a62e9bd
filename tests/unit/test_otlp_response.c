/* test_otlp_response.c - reading OTLP/HTTP responses and the verdict per status.
 *
 * Protobuf bodies are made by protoc --encode (an independent encoder) from a schema written
 * here after opentelemetry-proto's Export*PartialSuccess and google.rpc.Status (the 0.38.0 .proto
 * files predate partial_success); extra unknown fields prove they are skipped. Proves: partial
 * success counts and messages in protobuf and JSON (number or string, camelCase or snake_case),
 * clamping to the request's items, warnings with 0 rejected, the Status message of a failure,
 * RETRY exactly for 429/502/503/504 and transport failures, FAILED for other errors, a body in
 * the response's own Content-Type, and that malformed bodies never fail a 200 delivery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_response.h"

static char dir[] = "/tmp/census_otlp_response_XXXXXX";

static int group_setup(void **state) {
  if (!mkdtemp(dir)) {
    return -1;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/t.proto", dir);
  FILE *f = fopen(path, "w");
  fputs("syntax = \"proto3\";\npackage t;\n"
        "message PartialSuccess { int64 rejected = 1; string error_message = 2; }\n"
        "message Response { PartialSuccess partial_success = 1; fixed64 unknown7 = 7;"
        " string unknown9 = 9; }\n"
        "message Status { int32 code = 1; string message = 2; repeated bytes details = 3; }\n",
        f);
  fclose(f);
  return 0;
}

static int group_teardown(void **state) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* protoc --encode=t.<type> of `text` into buf; returns the length. */
static size_t encode(const char *type, const char *text, char *buf, size_t size) {
  char in[300], out[300], cmd[1024];
  snprintf(in, sizeof in, "%s/in.txt", dir);
  snprintf(out, sizeof out, "%s/out.bin", dir);
  FILE *f = fopen(in, "w");
  fputs(text, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "protoc -I %s --encode=t.%s t.proto < %s > %s", dir, type, in, out);
  assert_int_equal(system(cmd), 0);
  f = fopen(out, "rb");
  size_t n = fread(buf, 1, size, f);
  fclose(f);
  return n;
}

static census_http_verdict classify(long status, const char *body, size_t len,
                                    const char *content_type, bool request_json, uint64_t items,
                                    const char *signal, uint64_t *rejected, char *msg,
                                    size_t msg_size) {
  census_http_response r;
  memset(&r, 0, sizeof r);
  r.status = status;
  r.body = body;
  r.body_len = len;
  r.content_type = content_type;
  r.items = items;
  r.curl_error = status == 0 ? "Couldn't connect to server" : NULL;
  return census__otlp_classify(&r, request_json, signal, rejected, msg, msg_size);
}

static void test_protobuf_partial_success(void **state) {
  char body[512], msg[512];
  uint64_t rejected = 99;
  /* Full success: an empty message. */
  assert_int_equal(classify(200, "", 0, "application/x-protobuf", false, 10, "metrics", &rejected,
                            msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, "");

  size_t n = encode("Response",
                    "unknown7: 77 partial_success { rejected: 5 error_message: \"bad points\" }"
                    " unknown9: \"zzz\"",
                    body, sizeof body);
  assert_int_equal(classify(200, body, n, "application/x-protobuf", false, 10, "metrics", &rejected,
                            msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_int_equal(rejected, 5);
  assert_string_equal(msg, "otlp metrics: partial success: 5 data points rejected: bad points");

  /* More rejected than sent: clamped. A warning: 0 rejected and a message. */
  n = encode("Response", "partial_success { rejected: 500 }", body, sizeof body);
  classify(200, body, n, NULL, false, 7, "traces", &rejected, msg, sizeof msg);
  assert_int_equal(rejected, 7);
  assert_string_equal(msg, "otlp traces: partial success: 7 spans rejected");
  n = encode("Response", "partial_success { error_message: \"slow down\" }", body, sizeof body);
  classify(200, body, n, NULL, false, 7, "traces", &rejected, msg, sizeof msg);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, "otlp traces: partial success: 0 spans rejected: slow down");
  /* A negative count (int64 on the wire) is not a rejection. */
  n = encode("Response", "partial_success { rejected: -3 }", body, sizeof body);
  classify(200, body, n, NULL, false, 7, "traces", &rejected, msg, sizeof msg);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, ""); /* nothing rejected, no error_message: nothing to say */
}

static void test_json_partial_success(void **state) {
  char msg[512];
  uint64_t rejected;
  const char *bodies[] = {
      "{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"x\"}}",
      "{\"partialSuccess\":{\"rejectedSpans\":3,\"errorMessage\":\"x\"}}",
      "{\"partial_success\":{\"rejected_spans\":\"3\",\"error_message\":\"x\"}}",
  };
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(classify(200, bodies[i], strlen(bodies[i]), "application/json", true, 10,
                              "traces", &rejected, msg, sizeof msg),
                     CENSUS_HTTP_DELIVERED);
    assert_int_equal(rejected, 3);
    assert_string_equal(msg, "otlp traces: partial success: 3 spans rejected: x");
  }
  const char *metrics = "{\"partialSuccess\":{\"rejectedDataPoints\":\"2\"}}";
  classify(200, metrics, strlen(metrics), "application/json", true, 10, "metrics", &rejected, msg,
           sizeof msg);
  assert_int_equal(rejected, 2);
  classify(200, "{}", 2, "application/json", true, 10, "metrics", &rejected, msg, sizeof msg);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, "");
}

static void test_malformed_200(void **state) {
  char msg[512];
  uint64_t rejected;
  const char truncated[] = {0x0a, 0x10, 0x08, 0x05}; /* length 16, 2 bytes follow */
  assert_int_equal(classify(200, truncated, sizeof truncated, "application/x-protobuf", false, 4,
                            "metrics", &rejected, msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_int_equal(rejected, 0);
  assert_string_equal(msg, "otlp metrics: 200 response with an unreadable body");
  const char *bad_json[] = {"{\"partialSuccess\":", "[1,2]",
                            "{\"partialSuccess\":{\"rejectedSpans\":\"many\"}}"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(classify(200, bad_json[i], strlen(bad_json[i]), "application/json", true, 4,
                              "traces", &rejected, msg, sizeof msg),
                     CENSUS_HTTP_DELIVERED);
    assert_int_equal(rejected, 0);
    assert_string_equal(msg, "otlp traces: 200 response with an unreadable body");
  }
}

static void test_verdicts(void **state) {
  char msg[512];
  uint64_t rejected;
  long retry[] = {0, 429, 502, 503, 504};
  for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++) {
    assert_int_equal(
        classify(retry[i], "", 0, NULL, false, 1, "metrics", &rejected, msg, sizeof msg),
        CENSUS_HTTP_RETRY);
  }
  long failed[] = {400, 401, 403, 404, 413, 500, 501, 505, 302};
  for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++) {
    assert_int_equal(
        classify(failed[i], "", 0, NULL, false, 1, "metrics", &rejected, msg, sizeof msg),
        CENSUS_HTTP_FAILED);
  }
  assert_int_equal(classify(202, "", 0, NULL, false, 1, "metrics", &rejected, msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  classify(0, "", 0, NULL, false, 1, "traces", &rejected, msg, sizeof msg);
  assert_string_equal(msg, "otlp traces: Couldn't connect to server");
}

static void test_status_message(void **state) {
  char body[512], msg[512];
  uint64_t rejected;
  size_t n = encode("Status", "code: 3 message: \"metric name is invalid\" details: \"\\001\"",
                    body, sizeof body);
  assert_int_equal(classify(400, body, n, "application/x-protobuf", false, 1, "metrics", &rejected,
                            msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  assert_string_equal(msg, "otlp metrics: HTTP 400: metric name is invalid");
  /* The response's Content-Type wins over the request's encoding. */
  assert_int_equal(classify(400, body, n, "application/x-protobuf", true, 1, "metrics", &rejected,
                            msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  assert_string_equal(msg, "otlp metrics: HTTP 400: metric name is invalid");
  const char *json = "{\"code\":3,\"message\":\"bad span\"}";
  classify(400, json, strlen(json), "application/json; charset=utf-8", false, 1, "traces",
           &rejected, msg, sizeof msg);
  assert_string_equal(msg, "otlp traces: HTTP 400: bad span");
  /* No body, or an HTML error page: just the status. */
  const char *html = "<html>Bad Gateway</html>";
  classify(401, html, strlen(html), "text/html", false, 1, "traces", &rejected, msg, sizeof msg);
  assert_string_equal(msg, "otlp traces: HTTP 401");
  /* A message longer than the buffer is cut, NUL-terminated. */
  char small[16];
  classify(400, json, strlen(json), "application/json", true, 1, "traces", &rejected, small,
           sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_protobuf_partial_success),
      cmocka_unit_test(test_json_partial_success),
      cmocka_unit_test(test_malformed_200),
      cmocka_unit_test(test_verdicts),
      cmocka_unit_test(test_status_message),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
