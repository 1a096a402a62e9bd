/* test_http_env_config.c - the exporters' environment readers (exporters/http/env_config.c).
 *
 * Sets variables with setenv() and checks the values read, the callbacks made (in order, with
 * exact keys and values) and the diagnostics reported (exactly one CENSUS_ECONFIG per malformed
 * read, naming the variable, and none for good values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "env_config.h"

static int diag_count;
static census_status diag_status;
static char diag_last[600];

static void on_diag(void *user, census_status status, const char *message) {
  diag_count++;
  diag_status = status;
  snprintf(diag_last, sizeof diag_last, "%s", message);
}

static int reset(void **state) {
  diag_count = 0;
  diag_status = CENSUS_OK;
  diag_last[0] = '\0';
  return 0;
}

/* Collects callback pairs as "k=v|k=v|". */
typedef struct pairs {
  char text[1024];
  int calls;
  int stop_after; /* 0: never stop */
} pairs;

static bool collect(void *user, const char *key, const char *value) {
  pairs *p = user;
  size_t used = strlen(p->text);
  snprintf(p->text + used, sizeof p->text - used, "%s=%s|", key, value);
  p->calls++;
  return p->stop_after == 0 || p->calls < p->stop_after;
}

static census_status parse(const char *list, pairs *p, char *why, size_t size) {
  memset(p, 0, sizeof *p);
  return census__kv_list_parse(list, collect, p, why, size);
}

/* Proves: well-formed lists give every pair in order, trimmed, with '=' allowed in values,
 * empty members skipped, and empty values kept. */
static void kv_good_lists(void **state) {
  pairs p;
  char why[128];
  assert_int_equal(parse("a=1,b=2", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "a=1|b=2|");
  assert_string_equal(why, "");
  assert_int_equal(parse("  key one = value one\t,\tk2=v=2 ,", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "key one=value one|k2=v=2|");
  assert_int_equal(parse("x=", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "x=|");
  assert_int_equal(parse("", &p, why, sizeof why), CENSUS_OK);
  assert_int_equal(p.calls, 0);
  assert_int_equal(parse(",, ,a=b", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "a=b|");
  assert_int_equal(parse("service.name=shop,deployment.environment=prod", &p, why, sizeof why),
                   CENSUS_OK);
  assert_string_equal(p.text, "service.name=shop|deployment.environment=prod|");
}

/* Proves: keys and values are percent-decoded after trimming (so encoded spaces and commas
 * survive), hex digits in either case, UTF-8 passes through. */
static void kv_percent_decoding(void **state) {
  pairs p;
  char why[128];
  assert_int_equal(parse("a%20b=%20x%2Cy%3d%20, k=%e2%82%AC", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "a b= x,y= |k=\xe2\x82\xac|");
  assert_int_equal(parse("Authorization=Basic%20dXNlcjpwdw%3D%3D", &p, why, sizeof why), CENSUS_OK);
  assert_string_equal(p.text, "Authorization=Basic dXNlcjpwdw==|");
}

/* Proves: each kind of malformed member gives CENSUS_ECONFIG with a reason naming its position
 * and, all-or-nothing, no callback at all, even for the good members before it. */
static void kv_malformed(void **state) {
  pairs p;
  char why[128];
  assert_int_equal(parse("a=1,b", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(p.calls, 0);
  assert_string_equal(why, "member 2 has no '='");
  assert_int_equal(parse("a=1, =2", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(p.calls, 0);
  assert_string_equal(why, "member 2 has an empty key");
  assert_int_equal(parse("a=1,b=%zz", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(p.calls, 0);
  assert_non_null(strstr(why, "member 2"));
  assert_non_null(strstr(why, "two hex digits"));
  assert_int_equal(parse("a=%4", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(parse("a=%", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(parse("%zz=1", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_non_null(strstr(why, "key of member 1"));
  /* Control characters would let a header value smuggle in another header. */
  assert_int_equal(parse("a=x%0D%0AInjected: 1", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_non_null(strstr(why, "control character"));
  assert_int_equal(parse("a=%00", &p, why, sizeof why), CENSUS_ECONFIG);
  assert_int_equal(p.calls, 0);
  /* NULL or zero-size message buffers are allowed. */
  memset(&p, 0, sizeof p);
  assert_int_equal(census__kv_list_parse("b", collect, &p, NULL, 0), CENSUS_ECONFIG);
  assert_int_equal(census__kv_list_parse(NULL, collect, &p, NULL, 0), CENSUS_OK);
  assert_int_equal(p.calls, 0);
}

/* Proves: a callback returning false stops the calls. */
static void kv_stop(void **state) {
  pairs p;
  memset(&p, 0, sizeof p);
  p.stop_after = 2;
  assert_int_equal(census__kv_list_parse("a=1,b=2,c=3", collect, &p, NULL, 0), CENSUS_OK);
  assert_string_equal(p.text, "a=1|b=2|");
}

/* Proves: the variable form reports a malformed list exactly once with CENSUS_ECONFIG naming the
 * variable and never echoing the value (it may hold credentials), applies nothing, and is
 * silent for unset, empty and good values. */
static void kv_env(void **state) {
  pairs p;
  memset(&p, 0, sizeof p);
  unsetenv("CENSUS_TEST_KV");
  assert_int_equal(census__env_kv_list("CENSUS_TEST_KV", collect, &p), CENSUS_OK);
  setenv("CENSUS_TEST_KV", "", 1);
  assert_int_equal(census__env_kv_list("CENSUS_TEST_KV", collect, &p), CENSUS_OK);
  assert_int_equal(p.calls, 0);
  assert_int_equal(diag_count, 0);
  setenv("CENSUS_TEST_KV", "api-key=s3cr3t,broken", 1);
  assert_int_equal(census__env_kv_list("CENSUS_TEST_KV", collect, &p), CENSUS_ECONFIG);
  assert_int_equal(p.calls, 0);
  assert_int_equal(diag_count, 1);
  assert_int_equal(diag_status, CENSUS_ECONFIG);
  assert_non_null(strstr(diag_last, "CENSUS_TEST_KV"));
  assert_non_null(strstr(diag_last, "member 2 has no '='"));
  assert_null(strstr(diag_last, "s3cr3t"));
  setenv("CENSUS_TEST_KV", "a=1, b = x%2Fy", 1);
  assert_int_equal(census__env_kv_list("CENSUS_TEST_KV", collect, &p), CENSUS_OK);
  assert_string_equal(p.text, "a=1|b=x/y|");
  assert_int_equal(diag_count, 1);
  unsetenv("CENSUS_TEST_KV");
}

/* Proves: milliseconds parse with surrounding whitespace, 0 and INT64_MAX are accepted, unset
 * and empty give the default silently, and each malformed value (sign, unit, fraction, overflow,
 * blank) gives the default with one diagnostic naming variable and value. */
static void ms_values(void **state) {
  unsetenv("CENSUS_TEST_MS");
  assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 1234);
  setenv("CENSUS_TEST_MS", "", 1);
  assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 1234);
  setenv("CENSUS_TEST_MS", " 250 ", 1);
  assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 250);
  setenv("CENSUS_TEST_MS", "0", 1);
  assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 0);
  setenv("CENSUS_TEST_MS", "9223372036854775807", 1);
  assert_true(census__env_ms("CENSUS_TEST_MS", 1234) == INT64_MAX);
  assert_int_equal(diag_count, 0);
  const char *bad[] = {"-5", "10s", "1.5", "9223372036854775808", "   ", "+3", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("CENSUS_TEST_MS", bad[i], 1);
    assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 1234);
    assert_int_equal(diag_count, (int)i + 1);
    assert_int_equal(diag_status, CENSUS_ECONFIG);
    assert_non_null(strstr(diag_last, "CENSUS_TEST_MS"));
    assert_non_null(strstr(diag_last, bad[i]));
    assert_non_null(strstr(diag_last, "milliseconds"));
  }
  unsetenv("CENSUS_TEST_MS");
}

/* Proves: byte sizes are digits with an optional KiB/MiB/GiB unit (any case, spaces allowed),
 * unset or empty give the default silently, and each malformed or overflowing value is reported
 * once (naming the variable and the value) and gives the default. */
static void bytes_values(void **state) {
  (void)state;
  diag_count = 0;
  unsetenv("CENSUS_TEST_BYTES");
  assert_int_equal(census__env_bytes("CENSUS_TEST_BYTES", 77), 77);
  const struct {
    const char *text;
    uint64_t value;
  } good[] = {{"0", 0},
              {" 4096 ", 4096},
              {"1KiB", 1024},
              {"3 mib", 3 << 20},
              {"2GiB", (uint64_t)2 << 30},
              {"17179869183GiB", 17179869183ULL << 30}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    setenv("CENSUS_TEST_BYTES", good[i].text, 1);
    assert_true(census__env_bytes("CENSUS_TEST_BYTES", 77) == good[i].value);
  }
  assert_int_equal(diag_count, 0);
  const char *bad[] = {"-1", "1.5MiB", "10MB", "MiB", "17179869184GiB", "1 KiB x", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("CENSUS_TEST_BYTES", bad[i], 1);
    assert_int_equal(census__env_bytes("CENSUS_TEST_BYTES", 77), 77);
    assert_int_equal(diag_count, (int)i + 1);
    assert_int_equal(diag_status, CENSUS_ECONFIG);
    assert_non_null(strstr(diag_last, "CENSUS_TEST_BYTES"));
    assert_non_null(strstr(diag_last, bad[i]));
  }
  unsetenv("CENSUS_TEST_BYTES");
}

/* Proves: choices match case-insensitively after trimming, unset gives the default silently,
 * an unknown value gives the default with one diagnostic listing the choices. */
static void choices(void **state) {
  const char *const protocols[] = {"http/protobuf", "http/json", "grpc"};
  unsetenv("CENSUS_TEST_CHOICE");
  assert_int_equal(census__env_choice("CENSUS_TEST_CHOICE", protocols, 3, 0), 0);
  setenv("CENSUS_TEST_CHOICE", " HTTP/JSON ", 1);
  assert_int_equal(census__env_choice("CENSUS_TEST_CHOICE", protocols, 3, 0), 1);
  setenv("CENSUS_TEST_CHOICE", "grpc", 1);
  assert_int_equal(census__env_choice("CENSUS_TEST_CHOICE", protocols, 3, 0), 2);
  assert_int_equal(diag_count, 0);
  setenv("CENSUS_TEST_CHOICE", "http/xml", 1);
  assert_int_equal(census__env_choice("CENSUS_TEST_CHOICE", protocols, 3, 1), 1);
  assert_int_equal(diag_count, 1);
  assert_int_equal(diag_status, CENSUS_ECONFIG);
  assert_non_null(strstr(diag_last, "CENSUS_TEST_CHOICE=\"http/xml\""));
  assert_non_null(strstr(diag_last, "\"grpc\""));
  setenv("CENSUS_TEST_CHOICE", "grpcx", 1); /* a prefix match is no match */
  assert_int_equal(census__env_choice("CENSUS_TEST_CHOICE", protocols, 3, 0), 0);
  assert_int_equal(diag_count, 2);
  unsetenv("CENSUS_TEST_CHOICE");
}

/* Proves: strings are returned as set; unset and empty are NULL. */
static void strings(void **state) {
  unsetenv("CENSUS_TEST_STR");
  assert_null(census__env_string("CENSUS_TEST_STR"));
  setenv("CENSUS_TEST_STR", "", 1);
  assert_null(census__env_string("CENSUS_TEST_STR"));
  setenv("CENSUS_TEST_STR", " v ", 1);
  assert_string_equal(census__env_string("CENSUS_TEST_STR"), " v ");
  unsetenv("CENSUS_TEST_STR");
}

/* Proves: a refused value is quoted with its control bytes, quotes, backslashes and non-ASCII
 * bytes escaped (\n, \t, \", \\, \xNN), so the diagnostic stays one printable line. Fails on
 * main before issue 19, which copied the value as it was (found by fuzz_env: " -5<tab>" put a
 * tab in the line; a newline would forge a second one). */
static void refused_values_escaped(void **state) {
  (void)state;
  setenv("CENSUS_TEST_MS", "5\n[census] forged\t\"q\"\\\x1b\xc3", 1);
  assert_int_equal(census__env_ms("CENSUS_TEST_MS", 1234), 1234);
  assert_int_equal(diag_count, 1);
  assert_non_null(
      strstr(diag_last, "CENSUS_TEST_MS=\"5\\n[census] forged\\t\\\"q\\\"\\\\\\x1b\\xc3\""));
  for (const char *p = diag_last; *p; p++) {
    assert_true(*p >= 0x20 && *p <= 0x7e);
  }
  char long_value[200];
  memset(long_value, '\n', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  setenv("CENSUS_TEST_BYTES", long_value, 1);
  assert_int_equal(census__env_bytes("CENSUS_TEST_BYTES", 9), 9);
  assert_int_equal(diag_count, 2);
  /* 64 bytes quoted, each as \n, then "..." */
  assert_non_null(strstr(diag_last, "\\n\\n...\" is not a non-negative number of bytes"));
  unsetenv("CENSUS_TEST_MS");
  unsetenv("CENSUS_TEST_BYTES");
}

int main(void) {
  census_diagnostics_set_callback(on_diag, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(kv_good_lists, reset),
      cmocka_unit_test_setup(kv_percent_decoding, reset),
      cmocka_unit_test_setup(kv_malformed, reset),
      cmocka_unit_test_setup(kv_stop, reset),
      cmocka_unit_test_setup(kv_env, reset),
      cmocka_unit_test_setup(ms_values, reset),
      cmocka_unit_test_setup(bytes_values, reset),
      cmocka_unit_test_setup(choices, reset),
      cmocka_unit_test_setup(strings, reset),
      cmocka_unit_test_setup(refused_values_escaped, reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
