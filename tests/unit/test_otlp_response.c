/* test_otlp_response.c - reading OTLP/HTTP responses and the verdict per status.
 *
 * Protobuf bodies are made by protoc --encode (an independent encoder) from a schema written
 * here after opentelemetry-proto's Export*PartialSuccess and google.rpc.Status (the 0.38.0 .proto
 * files predate partial_success); extra unknown fields prove they are skipped. Proves: partial
 * success counts and messages in protobuf and JSON (number or string, camelCase or snake_case),
 * clamping to the request's items, warnings with 0 rejected, the Status message of a failure,
 * RETRY exactly for 429/502/503/504 and transport failures, FAILED for other errors, a body in
 * the response's own Content-Type, and that malformed bodies never fail a 200 delivery.
 *
 * OTLP/gRPC (grpc.c and census__otlp_classify_grpc): the 5-byte framing of a unary response,
 * grpc-status values, percent-decoded grpc-message, grpc-status-details-bin (base64 by coreutils,
 * padded and not) of a google.rpc.Status made by protoc with a RetryInfo among other details, and
 * the verdict per code: OTLP's retryable set, RESOURCE_EXHAUSTED only with RetryInfo (whose delay
 * raises the minimum wait), a missing trailer final, HTTP statuses mapped as gRPC does, partial
 * success read from the framed answer. None of this exists on main (no grpc.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grpc.h"
#include "otlp_response.h"

static char dir[] = "/tmp/census_otlp_response_XXXXXX";

static int group_setup(void **state) {
  if (!mkdtemp(dir)) {
    return -1;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/t.proto", dir);
  FILE *f = fopen(path, "w");
  fputs(
      "syntax = \"proto3\";\npackage t;\n"
      "message PartialSuccess { int64 rejected = 1; string error_message = 2; }\n"
      "message Response { PartialSuccess partial_success = 1; fixed64 unknown7 = 7;"
      " string unknown9 = 9; }\n"
      "message Status { int32 code = 1; string message = 2; repeated bytes details = 3; }\n"
      /* google.rpc.RetryInfo, google.protobuf.Duration, and google.protobuf.Any spelled with
       * the detail's type (the same bytes as an Any holding it). */
      "message Duration { int64 seconds = 1; int32 nanos = 2; }\n"
      "message RetryInfo { Duration retry_delay = 1; }\n"
      "message RetryAny { string type_url = 1; RetryInfo value = 2; }\n"
      "message OtherAny { string type_url = 1; bytes value = 2; }\n"
      "message RetryStatus { int32 code = 1; string message = 2; repeated RetryAny details = 3; }\n"
      "message OtherStatus { int32 code = 1; string message = 2; repeated OtherAny details = 3; "
      "}\n",
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

static void test_grpc_framing(void **state) {
  const char *m;
  size_t len;
  bool compressed;
  assert_true(census__grpc_unframe("\0\0\0\0\3abc", 8, &m, &len, &compressed));
  assert_int_equal(len, 3);
  assert_memory_equal(m, "abc", 3);
  assert_false(compressed);
  assert_true(census__grpc_unframe("\1\0\0\0\0", 5, &m, &len, &compressed));
  assert_true(compressed);
  assert_int_equal(len, 0);
  assert_true(census__grpc_unframe("", 0, &m, &len, &compressed));        /* no message at all */
  assert_false(census__grpc_unframe("\0\0\0", 3, &m, &len, &compressed)); /* short */
  assert_false(census__grpc_unframe("\0\0\0\0\4abc", 8, &m, &len, &compressed)); /* N+1 */
  assert_false(census__grpc_unframe("\0\0\0\0\2abc", 8, &m, &len, &compressed)); /* trailing */
  assert_false(census__grpc_unframe("\2\0\0\0\0", 5, &m, &len, &compressed));    /* flag */
  unsigned char prefix[5];
  census__grpc_prefix(prefix, true, 0x01020304);
  assert_memory_equal(prefix, "\1\1\2\3\4", 5);

  int code = -1;
  assert_true(census__grpc_parse_status(" 14 ", 4, &code));
  assert_int_equal(code, 14);
  assert_true(census__grpc_parse_status("2147483647", 10, &code));
  assert_false(census__grpc_parse_status("2147483648", 10, &code));
  assert_false(census__grpc_parse_status("", 0, &code));
  assert_false(census__grpc_parse_status("-1", 2, &code));
  assert_false(census__grpc_parse_status("1a", 2, &code));

  char out[64];
  const char *v = "bad%20data%3A%20100%25%0Aok%zz%4";
  census__grpc_decode_message(v, strlen(v), out, sizeof out);
  assert_string_equal(out, "bad data: 100% ok%zz%4");
  census__grpc_decode_message(v, strlen(v), out, 5);
  assert_string_equal(out, "bad ");
}

/* base64 (coreutils) of `len` bytes into out, padding dropped when `unpadded`. */
static void base64(const char *bytes, size_t len, bool unpadded, char *out, size_t size) {
  char path[300], cmd[700];
  snprintf(path, sizeof path, "%s/b64.bin", dir);
  FILE *f = fopen(path, "wb");
  fwrite(bytes, 1, len, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "base64 -w0 < %s%s", path, unpadded ? " | tr -d =" : "");
  FILE *p = popen(cmd, "r");
  size_t n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  pclose(p);
}

/* A google.rpc.Status {8, "quota"} with a DebugInfo-like detail, then a RetryInfo of 1.5 s, as
 * base64 (two protoc encodings concatenated: repeated fields append). */
static void retry_status(char *b64, size_t size, bool unpadded, const char *delay) {
  char bytes[512];
  size_t n = encode("OtherStatus",
                    "code: 8 message: \"quota\" details { type_url: "
                    "\"type.googleapis.com/google.rpc.DebugInfo\" value: \"\\001\\002\" }",
                    bytes, sizeof bytes);
  char text[256];
  snprintf(text, sizeof text,
           "details { type_url: \"type.googleapis.com/google.rpc.RetryInfo\" value { %s } }",
           delay);
  n += encode("RetryStatus", text, bytes + n, sizeof bytes - n);
  base64(bytes, n, unpadded, b64, size);
}

static void test_grpc_details(void **state) {
  char b64[1024];
  census_grpc_details d;
  for (int unpadded = 0; unpadded < 2; unpadded++) {
    retry_status(b64, sizeof b64, unpadded, "retry_delay { seconds: 1 nanos: 500000000 }");
    assert_true(census__grpc_parse_details(b64, strlen(b64), &d));
    assert_int_equal(d.code, 8);
    assert_string_equal(d.message, "quota");
    assert_true(d.retry_info);
    assert_int_equal(d.retry_delay_ms, 1500);
  }
  /* A RetryInfo without a delay is still a RetryInfo; nanos round up to the next ms. */
  retry_status(b64, sizeof b64, false, "");
  assert_true(census__grpc_parse_details(b64, strlen(b64), &d));
  assert_true(d.retry_info);
  assert_int_equal(d.retry_delay_ms, -1);
  retry_status(b64, sizeof b64, false, "retry_delay { nanos: 1 }");
  assert_true(census__grpc_parse_details(b64, strlen(b64), &d));
  assert_int_equal(d.retry_delay_ms, 1);
  /* No RetryInfo. */
  char bytes[256];
  size_t n = encode("Status", "code: 14 message: \"down\"", bytes, sizeof bytes);
  base64(bytes, n, false, b64, sizeof b64);
  assert_true(census__grpc_parse_details(b64, strlen(b64), &d));
  assert_int_equal(d.code, 14);
  assert_false(d.retry_info);
  /* Not base64, cut base64, truncated protobuf: absent. */
  assert_false(census__grpc_parse_details("not base64!", 11, &d));
  assert_false(census__grpc_parse_details("A", 1, &d));
  base64(bytes, n - 1, false, b64, sizeof b64);
  assert_false(census__grpc_parse_details(b64, strlen(b64), &d));
  assert_false(d.retry_info);
}

static census_http_verdict classify_grpc(long status, int grpc_status, const char *message,
                                         const char *details, const char *body, size_t len,
                                         int64_t *retry_after, uint64_t *rejected, char *msg,
                                         size_t size) {
  census_http_response r;
  memset(&r, 0, sizeof r);
  r.status = status;
  r.curl_error = status == 0 ? "Failed to connect" : NULL;
  r.body = body;
  r.body_len = len;
  r.items = 10;
  r.grpc_status = grpc_status;
  r.grpc_message = message;
  r.grpc_details = details;
  r.retry_after_ms = retry_after;
  return census__otlp_classify_grpc(&r, "metrics", rejected, msg, size);
}

static void test_grpc_verdicts(void **state) {
  char msg[512], b64[1024];
  uint64_t rejected;
  int64_t wait = -1;
  /* OTLP's retryable codes; the others (RESOURCE_EXHAUSTED without RetryInfo too) final. */
  int retryable[] = {1, 4, 10, 11, 14, 15};
  int final[] = {2, 3, 5, 6, 7, 8, 9, 12, 13, 16, 17};
  for (size_t i = 0; i < sizeof retryable / sizeof retryable[0]; i++) {
    assert_int_equal(
        classify_grpc(200, retryable[i], "", "", "", 0, &wait, &rejected, msg, sizeof msg),
        CENSUS_HTTP_RETRY);
  }
  for (size_t i = 0; i < sizeof final / sizeof final[0]; i++) {
    assert_int_equal(classify_grpc(200, final[i], "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                     CENSUS_HTTP_FAILED);
  }
  assert_string_equal(msg, "otlp metrics: grpc-status 17 (UNKNOWN_CODE)");
  classify_grpc(200, 8, "over%20quota", "", "", 0, &wait, &rejected, msg, sizeof msg);
  assert_string_equal(msg, "otlp metrics: grpc-status 8 (RESOURCE_EXHAUSTED): over quota "
                           "(no RetryInfo: not retried)");
  /* With RetryInfo: retried, and the wait is at least its delay (a shorter Retry-After loses). */
  retry_status(b64, sizeof b64, true, "retry_delay { seconds: 1 nanos: 500000000 }");
  wait = 200;
  assert_int_equal(classify_grpc(200, 8, "", b64, "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_RETRY);
  assert_int_equal(wait, 1500);
  assert_string_equal(msg, "otlp metrics: grpc-status 8 (RESOURCE_EXHAUSTED): quota, will retry");
  wait = 5000;
  classify_grpc(200, 14, "", b64, "", 0, &wait, &rejected, msg, sizeof msg);
  assert_int_equal(wait, 5000);
  /* A gRPC answer without grpc-status is not one: final. */
  assert_int_equal(classify_grpc(200, -1, "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  /* HTTP statuses, as gRPC maps them; transport failures. */
  assert_int_equal(classify_grpc(503, -1, "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_RETRY);
  assert_string_equal(msg, "otlp metrics: HTTP 503 (gRPC UNAVAILABLE), will retry");
  assert_int_equal(classify_grpc(404, -1, "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_FAILED);
  assert_int_equal(classify_grpc(0, -1, "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_RETRY);
  /* OK: the framed Export*ServiceResponse's partial success. */
  char body[256];
  size_t n = encode("Response", "partial_success { rejected: 2 error_message: \"two bad\" }",
                    body + 5, sizeof body - 5);
  census__grpc_prefix((unsigned char *)body, false, (uint32_t)n);
  assert_int_equal(classify_grpc(200, 0, "", "", body, n + 5, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_int_equal(rejected, 2);
  assert_string_equal(msg, "otlp metrics: partial success: 2 data points rejected: two bad");
  assert_int_equal(classify_grpc(200, 0, "", "", "", 0, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_int_equal(rejected, 0);
  assert_int_equal(classify_grpc(200, 0, "", "", body, n + 4, &wait, &rejected, msg, sizeof msg),
                   CENSUS_HTTP_DELIVERED);
  assert_string_equal(msg, "otlp metrics: grpc-status OK with an unreadable message");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_protobuf_partial_success),
      cmocka_unit_test(test_json_partial_success),
      cmocka_unit_test(test_malformed_200),
      cmocka_unit_test(test_verdicts),
      cmocka_unit_test(test_status_message),
      cmocka_unit_test(test_grpc_framing),
      cmocka_unit_test(test_grpc_details),
      cmocka_unit_test(test_grpc_verdicts),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
