/* test_exposition_check.c - the strict exposition checker (tests/fuzz/exposition_check.c) that the
 * renderer's fuzz target and tests rely on, checked against the real parsers.
 *
 * A checker that accepts too much would make the fuzz target's invariant ("both formats parse
 * strictly") unable to fail. So every case below states two verdicts: the checker's, and that of
 * the real parser of its format: Debian's python3-prometheus-client strict OpenMetrics parser
 * (tests/prometheus/strict_parse.py) for OpenMetrics, promtool check metrics (Prometheus's Go
 * text parser; exit 1 is a parse error, 0 and 3 accept) for text 0.0.4. The test asserts both,
 * so it proves that the checker rejects each thing the real parsers reject here, and shows (as
 * "stricter" cases) where it refuses more than they do: constructs census never writes
 * (timestamps, bucket without le) and data loss the parsers let through (a duplicated series,
 * which Prometheus keeps once). Positive cases prove it is not simply refusing everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fuzz/exposition_check.h"

#define OM EXPOSITION_OPENMETRICS
#define TEXT EXPOSITION_TEXT

struct check_case {
  enum exposition_format format;
  const char *what;
  const char *text;
  bool valid;      /* the checker's verdict */
  bool real_valid; /* the real parser's verdict */
};

static const struct check_case cases[] = {
    /* ---- OpenMetrics, valid ---- */
    {OM, "empty exposition", "# EOF\n", true, true},
    {OM, "# EOF without newline", "# EOF", true, true},
    {OM, "counter with unit and _created",
     "# HELP a_bytes Sent \\\"bytes\\\"\\n2\n# TYPE a_bytes counter\n# UNIT a_bytes bytes\n"
     "a_bytes_total{k=\"v\"} 3\na_bytes_created{k=\"v\"} 1700000000.5\n"
     "a_bytes_total{k=\"w\"} 1e+21\na_bytes_created{k=\"w\"} 1700000000\n# EOF\n",
     true, true},
    {OM, "histogram",
     "# TYPE h histogram\nh_bucket{le=\"0.0\"} 0\nh_bucket{le=\"1.5\"} 2\n"
     "h_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\nh_created 1.25\n# EOF\n",
     true, true},
    {OM, "histogram with a negative bound, no _sum or _count",
     "# TYPE h histogram\nh_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 3\nh_created 1\n# EOF\n",
     true, true},
    {OM, "gauge with escaped and UTF-8 label values, empty value",
     "# TYPE g gauge\ng{a=\"q\\\"b\\\\c\\nd\",b=\"h\xc3\xa9 \xe2\x9c\x93\",c=\"\"} -0.5\n"
     "g{a=\"x\"} NaN\n# EOF\n",
     true, true},
    {OM, "sample without metadata (unknown)", "x_y 1\n# EOF\n", true, true},
    {OM, "exemplars on a bucket and a counter (census's shape)",
     "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\","
     "span_id=\"b7ad6b7169203331\"} 0.5 1700000000.123\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\n"
     "h_count 2\n# TYPE c counter\nc_total 3 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\"} 1\n"
     "# EOF\n",
     true, true},
    {OM, "exemplar on a gauge", "# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n", false, false},
    {OM, "exemplar on a histogram's _count",
     "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2 # {a=\"b\"} 1\n# EOF\n",
     false, false},
    {OM, "exemplar labels over 128 characters",
     "# TYPE c counter\nc_total 3 # {a=\"0123456789012345678901234567890123456789012345678901234567"
     "8901234567890123456789012345678901234567890123456789012345678901234567890\"} 1\n# EOF\n",
     false, false},
    {OM, "exemplar without a value", "# TYPE c counter\nc_total 3 # {a=\"b\"}\n# EOF\n", false,
     false},

    /* ---- OpenMetrics, rejected by both ---- */
    {OM, "family with an empty name (view \"_total\" on today's main)",
     "# HELP  h\n# TYPE  counter\n_total 1\n# EOF\n", false, false},
    {OM, "missing # EOF", "# TYPE g gauge\ng 1\n", false, false},
    {OM, "data after # EOF", "# EOF\ng 1\n", false, false},
    {OM, "blank line", "g 1\n\n# EOF\n", false, false},
    {OM, "comment line", "# just a comment\ng 1\n# EOF\n", false, false},
    {OM, "_sum with a negative bucket",
     "# TYPE h histogram\nh_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 3\nh_sum 4\n"
     "h_count 3\n# EOF\n",
     false, false},
    {OM, "_count without _sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 3\nh_count 3\n# EOF\n",
     false, false},
    {OM, "+Inf bucket missing",
     "# TYPE h histogram\nh_bucket{le=\"1.0\"} 3\nh_sum 1\nh_count 3\n# EOF\n", false, false},
    {OM, "_count different from the +Inf bucket",
     "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 4\n# EOF\n", false, false},
    {OM, "buckets out of order",
     "# TYPE h histogram\nh_bucket{le=\"2.0\"} 1\nh_bucket{le=\"1.0\"} 1\n"
     "h_bucket{le=\"+Inf\"} 1\n# EOF\n",
     false, false},
    {OM, "bucket counts decreasing",
     "# TYPE h histogram\nh_bucket{le=\"1.0\"} 2\nh_bucket{le=\"+Inf\"} 1\n# EOF\n", false, false},
    {OM, "+Inf spelled +inf", "# TYPE h histogram\nh_bucket{le=\"+inf\"} 1\n# EOF\n", false, false},
    {OM, "non-integer bucket count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\n# EOF\n",
     false, false},
    {OM, "negative counter", "# TYPE c counter\nc_total -1\n# EOF\n", false, false},
    {OM, "NaN counter", "# TYPE c counter\nc_total NaN\n# EOF\n", false, false},
    {OM, "unit not a suffix of the name", "# TYPE c counter\n# UNIT c seconds\nc_total 1\n# EOF\n",
     false, false},
    {OM, "metadata after samples", "# TYPE g gauge\ng 1\n# HELP g late\n# EOF\n", false, false},
    {OM, "second HELP", "# HELP g a\n# HELP g b\ng 1\n# EOF\n", false, false},
    {OM, "type untyped", "# TYPE g untyped\ng 1\n# EOF\n", false, false},
    {OM, "clashing names: counter foo and gauge foo_created",
     "# TYPE foo counter\nfoo_total 1\n# TYPE foo_created gauge\nfoo_created 1\n# EOF\n", false,
     false},
    {OM, "a family twice",
     "# TYPE g gauge\ng{a=\"1\"} 1\n# TYPE x gauge\nx 1\ng{a=\"2\"} 1\n# EOF\n", false, false},
    {OM, "duplicate label name", "g{a=\"1\",a=\"2\"} 1\n# EOF\n", false, false},
    {OM, "trailing comma in labels", "g{a=\"1\",} 1\n# EOF\n", false, false},
    {OM, "label group that comes back",
     "# TYPE c counter\nc_total{a=\"1\"} 1\nc_total{a=\"2\"} 1\nc_created{a=\"1\"} 1\n# EOF\n",
     false, false},
    {OM, "metric name starting with a digit", "1x 1\n# EOF\n", false, false},
    {OM, "invalid value", "g 1,5\n# EOF\n", false, false},
    {OM, "value with underscore", "g 1_000\n# EOF\n", false, false},
    {OM, "invalid UTF-8 in a label value", "g{a=\"\xff\"} 1\n# EOF\n", false, false},

    /* ---- OpenMetrics, refused by the checker only ---- */
    {OM, "stricter: duplicate series (Prometheus keeps one)", "g 1\ng 2\n# EOF\n", false, true},
    {OM, "stricter: timestamp (census writes none)", "g 1 1700000000\n# EOF\n", false, true},
    {OM, "stricter: unknown escape in a label value", "g{a=\"\\x\"} 1\n# EOF\n", false, true},
    {OM, "stricter: raw quote in HELP (the ABNF escapes it)", "# HELP g a \"q\"\ng 1\n# EOF\n",
     false, true},

    /* ---- text 0.0.4, valid ---- */
    {TEXT, "empty exposition", "", true, true},
    {TEXT, "counter, gauge and histogram with escapes",
     "# HELP c_total Requests \"quoted\" \\\\ \\n\n# TYPE c_total counter\n"
     "c_total{m=\"G\\\"E\\\\T\\n\",u=\"h\xc3\xa9\"} 3\n# TYPE g gauge\ng -1.5e-07\n"
     "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 2\n"
     "h_sum 3\nh_count 2\n",
     true, true},
    {TEXT, "comments and a blank line", "# a comment\n\n# HELP g x\n# TYPE g gauge\ng 1\n", true,
     true},

    /* ---- text 0.0.4, rejected by both ---- */
    {TEXT, "empty metric name", "{a=\"b\"} 1\n", false, false},
    {TEXT, "no newline at the end", "g 1", false, false},
    {TEXT, "escaped quote in HELP (expfmt knows only \\\\ and \\n)", "# HELP g a \\\"q\\\"\ng 1\n",
     false, false},
    {TEXT, "invalid escape in a label value", "g{a=\"\\x\"} 1\n", false, false},
    {TEXT, "unterminated label value", "g{a=\"x} 1\n", false, false},
    {TEXT, "invalid type", "# TYPE g thing\ng 1\n", false, false},
    {TEXT, "second TYPE", "# TYPE g gauge\n# TYPE g gauge\ng 1\n", false, false},
    {TEXT, "TYPE after samples", "g 1\n# TYPE g gauge\n", false, false},
    {TEXT, "duplicate label name", "g{a=\"1\",a=\"2\"} 1\n", false, false},
    {TEXT, "label __name__", "g{__name__=\"x\"} 1\n", false, false},
    {TEXT, "label name starting with a digit", "g{1a=\"x\"} 1\n", false, false},
    {TEXT, "missing value", "g\n", false, false},
    {TEXT, "an exemplar (text 0.0.4 has none)", "# TYPE c counter\nc_total 3 # {a=\"b\"} 1\n",
     false, false},
    {TEXT, "invalid value", "g one\n", false, false},
    {TEXT, "invalid le", "# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_bucket{le=\"+Inf\"} 1\n",
     false, false},

    /* ---- text 0.0.4, refused by the checker only ---- */
    {TEXT, "stricter: duplicate series", "g 1\ng 2\n", false, true},
    {TEXT, "stricter: bucket without le",
     "# TYPE h histogram\nh_bucket{a=\"b\"} 1\nh_sum 1\nh_count 1\n", false, true},
    {TEXT, "stricter: histogram without +Inf bucket",
     "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", false, true},
    {TEXT, "stricter: trailing comma in labels", "g{a=\"1\",} 1\n", false, true},
    {TEXT, "stricter: timestamp", "g 1 1700000000\n", false, true},
};

/* The checker's verdict on every case. */
static void test_checker_verdicts(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char why[256];
    bool valid =
        exposition_check(cases[i].text, strlen(cases[i].text), cases[i].format, why, sizeof why);
    if (valid != cases[i].valid) {
      fail_msg("%s case \"%s\": checker says %s (%s)", cases[i].format == OM ? "OM" : "text",
               cases[i].what, valid ? "valid" : "invalid", why);
    }
    if (!valid) {
      assert_true(why[0] != '\0'); /* a rejection always says why */
    }
    /* Table sanity: what a real parser rejects, the checker must reject. */
    assert_true(cases[i].real_valid || !cases[i].valid);
  }
}

/* Runs `command`; its exit status (-1 if it did not exit), its output into out[0..size). */
static int run(const char *command, char *out, size_t size) {
  FILE *p = popen(command, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The real parsers' verdicts on every case: the strict Python parser for OpenMetrics (all files
 * in one run), promtool for text 0.0.4. */
static void test_real_parsers_agree(void **state) {
  (void)state;
  const char *script = getenv("CENSUS_STRICT_PARSE");
  const char *promtool = getenv("CENSUS_PROMTOOL");
  assert_non_null(script);
  promtool = promtool && *promtool && !strstr(promtool, "NOTFOUND") ? promtool : "promtool";
  char dir[] = "/tmp/census_check_XXXXXX";
  assert_non_null(mkdtemp(dir));
  size_t count = sizeof cases / sizeof cases[0];
  static char command[65536];
  int n = snprintf(command, sizeof command, "/usr/bin/python3 '%s'", script);
  for (size_t i = 0; i < count; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%02zu.%s", dir, i, cases[i].format == OM ? "om" : "txt");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(cases[i].text, 1, strlen(cases[i].text), f), strlen(cases[i].text));
    fclose(f);
    if (cases[i].format == OM) {
      n += snprintf(command + n, sizeof command - (size_t)n, " %s", path);
    }
  }
  static char output[65536];
  run(command, output, sizeof output);
  for (size_t i = 0; i < count; i++) {
    char path[256], text_out[4096];
    const char *out = text_out;
    snprintf(path, sizeof path, "%s/%02zu.%s", dir, i, cases[i].format == OM ? "om" : "txt");
    bool real_valid;
    if (cases[i].format == OM) {
      char ok_line[300];
      snprintf(ok_line, sizeof ok_line, "ok %s ", path);
      char error_line[300];
      snprintf(error_line, sizeof error_line, "error %s:", path);
      assert_true(strstr(output, ok_line) || strstr(output, error_line));
      real_valid = strstr(output, ok_line) != NULL;
      out = output;
    } else {
      char c[600];
      snprintf(c, sizeof c, "'%s' check metrics < %s 2>&1", promtool, path);
      int status = run(c, text_out, sizeof text_out);
      assert_true(status == 0 || status == 1 || status == 3);
      real_valid = status != 1;
    }
    if (real_valid != cases[i].real_valid) {
      fail_msg("%s case \"%s\": the real parser says %s, the table %s\n%s",
               cases[i].format == OM ? "OM" : "text", cases[i].what,
               real_valid ? "valid" : "invalid", cases[i].real_valid ? "valid" : "invalid", out);
    }
    unlink(path);
  }
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checker_verdicts),
      cmocka_unit_test(test_real_parsers_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
