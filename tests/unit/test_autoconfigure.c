/* test_autoconfigure.c - census_autoconfigure_core() (census/autoconfigure.h): every variable it
 * reads, valid and malformed, and the program's defaults.
 *
 * Proves, per variable: the value set is what census applies (the global sampler's decisions on
 * real spans, the propagator's headers, the exporter lists, the Prometheus address, the exit
 * flush timeout, the export interval and batch settings through census's own readers); a
 * malformed value gives exactly one CENSUS_ECONFIG diagnostic naming the variable, what was
 * expected and the default used, and that default is applied; a program default from
 * census_autoconfigure_options applies when the variable is unset and loses to it when set; and
 * every variable malformed at once gives one line each and nothing crashes. On main this file
 * does not build: census_autoconfigure() does not exist there (OTEL_SDK_DISABLED and
 * OTEL_TRACES_SAMPLER were ignored).
 *
 * The export interval and the batch settings are read once per process by their own readers, so
 * the first test sets them before anything reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/autoconfigure.h"
#include "census/exporter.h"
#include "census/propagation.h"
#include "census/trace.h"
#include "propagation_carrier.h"
#include "support.h"               /* cmocka, census/census.h */
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

/* ---- diagnostics captured --------------------------------------------------------------- */

#define MAX_LINES 32
static char lines[MAX_LINES][512];
static census_status line_status[MAX_LINES];
static int line_count;

static void capture(void *user, census_status status, const char *message) {
  (void)user;
  if (line_count < MAX_LINES) {
    snprintf(lines[line_count], sizeof lines[0], "%s", message);
    line_status[line_count] = status;
  }
  line_count++;
}

/* The number of captured lines containing every one of the (NULL-terminated) words. */
static int lines_with(const char *first, ...) {
  int n = 0;
  for (int i = 0; i < line_count && i < MAX_LINES; i++) {
    va_list ap;
    va_start(ap, first);
    bool all = true;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
      all &= strstr(lines[i], w) != NULL;
    }
    va_end(ap);
    n += all;
  }
  return n;
}

static const char *const variables[] = {"OTEL_SDK_DISABLED",
                                        "OTEL_LOG_LEVEL",
                                        "OTEL_TRACES_SAMPLER",
                                        "OTEL_TRACES_SAMPLER_ARG",
                                        "OTEL_PROPAGATORS",
                                        "OTEL_METRICS_EXPORTER",
                                        "OTEL_TRACES_EXPORTER",
                                        "OTEL_EXPORTER_PROMETHEUS_HOST",
                                        "OTEL_EXPORTER_PROMETHEUS_PORT",
                                        "OTEL_METRIC_EXPORT_TIMEOUT",
                                        "OTEL_SERVICE_NAME",
                                        "OTEL_RESOURCE_ATTRIBUTES"};

static int setup(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++) {
    unsetenv(variables[i]);
  }
  line_count = 0;
  census_diagnostics_set_callback(capture, NULL);
  return 0;
}

/* Runs the core with `options` (NULL: defaults) and fails the test unless it returns `expect`. */
static census_autoconfig configure(const census_autoconfigure_options *options,
                                   census_status expect) {
  census_autoconfig c = CENSUS_AUTOCONFIG_INIT;
  census_status st = census_autoconfigure_core(options, &c);
  if (st != expect) {
    fail_msg("census_autoconfigure_core: %s, expected %s (%d lines)", census_status_name(st),
             census_status_name(expect), line_count);
  }
  return c;
}

/* Whether a new root span is sampled under the global sampler now in force. */
static bool root_sampled(void) {
  census_span span = census_span_start("autoconfigure.root", NULL);
  census_trace_context ctx;
  bool sampled = census_span_context(span, &ctx) == CENSUS_OK && (ctx.trace_flags & 1);
  census_span_end(span);
  return sampled;
}

/* Whether a new root span whose trace id has `low` as its lower 8 bytes (big-endian; the upper
 * 8 bytes fixed and non-zero) is sampled under the global sampler now in force. */
static bool root_sampled_with_id(uint64_t low) {
  uint8_t id[CENSUS_TRACE_ID_SIZE];
  memset(id, 0xab, 8);
  for (int i = 0; i < 8; i++) {
    id[8 + i] = (uint8_t)(low >> (56 - 8 * i));
  }
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.root = true;
  o.trace_id = id;
  census_span span = census_span_start("autoconfigure.ratio", &o);
  census_trace_context ctx;
  assert_int_equal(census_span_context(span, &ctx), CENSUS_OK);
  assert_memory_equal(ctx.trace_id, id, sizeof id); /* the id asked for is the one decided on */
  census_span_end(span);
  return ctx.trace_flags & 1;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* First: the readers census already has (export interval, batch span processor) are called. */
static void test_export_interval_and_bsp_read_through_census(void **state) {
  (void)state;
  setenv("OTEL_METRIC_EXPORT_INTERVAL", "2500", 1);
  setenv("OTEL_BSP_SCHEDULE_DELAY", "700", 1);
  setenv("OTEL_BSP_MAX_QUEUE_SIZE", "4096", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_int_equal(c.export_interval_ms, 2500);
  assert_int_equal(census_export_interval_ms(), 2500);
  assert_int_equal(c.bsp.schedule_delay_ms, 700);
  assert_int_equal(c.bsp.max_queue_size, 4096);
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
  unsetenv("OTEL_METRIC_EXPORT_INTERVAL");
  unsetenv("OTEL_BSP_SCHEDULE_DELAY");
  unsetenv("OTEL_BSP_MAX_QUEUE_SIZE");
}

/* Nothing set: the specification's defaults, and no diagnostic. */
static void test_defaults(void **state) {
  (void)state;
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_false(c.disabled);
  assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_OTLP);
  assert_int_equal(c.traces_exporters, CENSUS_AUTOCONFIG_OTLP);
  assert_int_equal(c.started, 0); /* the core starts only the console */
  assert_string_equal(c.sampler, "parentbased_always_on");
  assert_string_equal(c.log_level, "info");
  assert_string_equal(c.prometheus_address, "127.0.0.1");
  assert_int_equal(c.prometheus_port, 9464);
  assert_int_equal(c.export_timeout_ms, 5000);
  assert_false(c.service_name_set);
  assert_int_equal(census_propagator_format_count(c.propagator), 2);
  assert_string_equal(census_propagator_format(c.propagator, 0), "tracecontext");
  assert_string_equal(census_propagator_format(c.propagator, 1), "baggage");
  assert_true(root_sampled());
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
  assert_null(c.propagator);
}

/* OTEL_SDK_DISABLED=true (any case): no exporter, spans not sampled, no propagation. */
static void test_sdk_disabled(void **state) {
  (void)state;
  setenv("OTEL_SDK_DISABLED", "TRUE", 1);
  setenv("OTEL_METRICS_EXPORTER", "console", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_true(c.disabled);
  assert_int_equal(c.metrics_exporters | c.traces_exporters | c.started, 0);
  assert_null(c.console);
  assert_string_equal(c.sampler, "always_off");
  assert_false(root_sampled());
  assert_int_equal(census_propagator_format_count(c.propagator), 0);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_SDK_DISABLED", "false", 1);
  unsetenv("OTEL_METRICS_EXPORTER");
  c = configure(NULL, CENSUS_OK);
  assert_false(c.disabled);
  assert_true(root_sampled());
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
}

static void test_sdk_disabled_malformed(void **state) {
  (void)state;
  setenv("OTEL_SDK_DISABLED", "yes", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_false(c.disabled);
  assert_int_equal(line_count, 1);
  assert_int_equal(line_status[0], CENSUS_ECONFIG);
  assert_int_equal(
      lines_with("OTEL_SDK_DISABLED=\"yes\"", "true or false", "using \"false\"", NULL), 1);
  census_autoconfig_stop(&c, 0);
}

/* Each sampler name, decided on real root spans (ratios 0 and 1 decide every trace id). */
static void test_sampler(void **state) {
  (void)state;
  static const struct {
    const char *name, *arg;
    bool sampled;
  } cases[] = {{"always_off", NULL, false},
               {"always_on", NULL, true},
               {"traceidratio", "0", false},
               {"traceidratio", "1", true},
               {"parentbased_always_off", NULL, false},
               {"parentbased_traceidratio", " 0 ", false},
               {"ParentBased_Always_On", NULL, true}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setenv("OTEL_TRACES_SAMPLER", cases[i].name, 1);
    if (cases[i].arg) {
      setenv("OTEL_TRACES_SAMPLER_ARG", cases[i].arg, 1);
    } else {
      unsetenv("OTEL_TRACES_SAMPLER_ARG");
    }
    census_autoconfig c = configure(NULL, CENSUS_OK);
    assert_int_equal(root_sampled(), cases[i].sampled);
    census_autoconfig_stop(&c, 0);
  }
  /* A ratio between 0 and 1 is what the global sampler applies, not only what the struct says:
   * on GRID evenly spaced trace ids exactly ratio * GRID are sampled, and the two ids either side
   * of the rule's bound (ratio * 2^64 for the lower 8 bytes) fall on their sides. A sampler left
   * at always-on, or built with another ratio, fails the count or the bound. */
  setenv("OTEL_TRACES_SAMPLER", "traceidratio", 1);
  setenv("OTEL_TRACES_SAMPLER_ARG", "0.25", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.sampler, "traceidratio");
  assert_true(c.sampler_ratio == 0.25);
  assert_int_equal(line_count, 0);
  enum { GRID = 256 };
  int sampled = 0;
  for (uint64_t i = 0; i < GRID; i++) {
    sampled += root_sampled_with_id(i * (UINT64_MAX / GRID + 1));
  }
  assert_int_equal(sampled, (int)(0.25 * GRID));
  uint64_t bound = (uint64_t)(0.25 * 0x1p64);
  assert_true(root_sampled_with_id(bound - 1));
  assert_false(root_sampled_with_id(bound));
  census_autoconfig_stop(&c, 0);
}

static void test_sampler_malformed(void **state) {
  (void)state;
  setenv("OTEL_TRACES_SAMPLER", "jaeger_remote", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.sampler, "parentbased_always_on");
  assert_int_equal(line_count, 1);
  assert_int_equal(lines_with("OTEL_TRACES_SAMPLER=\"jaeger_remote\"", "traceidratio",
                              "using \"parentbased_always_on\"", NULL),
                   1);
  census_autoconfig_stop(&c, 0);
  const char *bad_args[] = {"abc", "1.5", "-0.1", "nan", "0.5x"};
  for (size_t i = 0; i < sizeof bad_args / sizeof bad_args[0]; i++) {
    line_count = 0;
    setenv("OTEL_TRACES_SAMPLER", "traceidratio", 1);
    setenv("OTEL_TRACES_SAMPLER_ARG", bad_args[i], 1);
    c = configure(NULL, CENSUS_OK);
    assert_true(c.sampler_ratio == 1);
    assert_true(root_sampled());
    assert_int_equal(line_count, 1);
    assert_int_equal(
        lines_with("OTEL_TRACES_SAMPLER_ARG", "a number from 0 to 1", "using \"1.0\"", NULL), 1);
    census_autoconfig_stop(&c, 0);
  }
}

/* The program's defaults apply when the variable is unset, and the variable wins over them. */
static void test_program_defaults(void **state) {
  (void)state;
  census_autoconfigure_options o = CENSUS_AUTOCONFIGURE_OPTIONS_INIT;
  o.traces_sampler = "traceidratio";
  o.traces_sampler_arg = "0";
  o.propagators = "b3";
  o.metrics_exporter = "prometheus";
  o.traces_exporter = "none";
  census_autoconfig c = configure(&o, CENSUS_OK);
  assert_false(root_sampled());
  assert_string_equal(census_propagator_format(c.propagator, 0), "b3");
  assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_PROMETHEUS);
  assert_int_equal(c.traces_exporters, 0);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_TRACES_SAMPLER", "always_on", 1);
  setenv("OTEL_PROPAGATORS", "tracecontext", 1);
  setenv("OTEL_METRICS_EXPORTER", "otlp", 1);
  c = configure(&o, CENSUS_OK);
  assert_true(root_sampled());
  assert_string_equal(census_propagator_format(c.propagator, 0), "tracecontext");
  assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_OTLP);
  census_autoconfig_stop(&c, 0);
  /* A malformed variable falls back to the program's default, and says so. */
  setenv("OTEL_TRACES_SAMPLER", "sometimes", 1);
  c = configure(&o, CENSUS_OK);
  assert_false(root_sampled());
  assert_int_equal(lines_with("OTEL_TRACES_SAMPLER=\"sometimes\"", "using \"traceidratio\"", NULL),
                   1);
  census_autoconfig_stop(&c, 0);
  /* A malformed program default is named as such, and the specification's default used. */
  unsetenv("OTEL_TRACES_SAMPLER");
  line_count = 0;
  o.traces_sampler = "often";
  c = configure(&o, CENSUS_OK);
  assert_string_equal(c.sampler, "parentbased_always_on");
  assert_int_equal(line_count, 1);
  assert_int_equal(lines_with("options.traces_sampler=\"often\"", NULL), 1);
  census_autoconfig_stop(&c, 0);
  o.size = 0;
  c = configure(&o, CENSUS_EINVAL);
  assert_null(c.propagator);
  assert_int_equal(census_autoconfigure_core(NULL, NULL), CENSUS_EINVAL);
  /* The output struct's size: 0 (not made with CENSUS_AUTOCONFIG_INIT) is refused, reported,
   * and nothing is written; a larger size than census knows likewise. */
  line_count = 0;
  census_autoconfig zero = {.size = 0, .sampler_ratio = 42};
  assert_int_equal(census_autoconfigure_core(NULL, &zero), CENSUS_EINVAL);
  assert_true(zero.sampler_ratio == 42);
  assert_int_equal(lines_with("CENSUS_AUTOCONFIG_INIT", NULL), 1);
  struct {
    census_autoconfig config;
    char newer[16];
  } big = {.config = {.size = sizeof big}};
  assert_int_equal(census_autoconfigure_core(NULL, &big.config), CENSUS_EINVAL);
  assert_null(big.config.propagator);
}

/* OTEL_PROPAGATORS: the composite propagator in that order; a b3 inject writes b3. */
static void test_propagators(void **state) {
  (void)state;
  setenv("OTEL_PROPAGATORS", "b3, tracecontext,b3multi,gcp_trace,grpc_trace_bin", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_int_equal(census_propagator_format_count(c.propagator), 5);
  assert_string_equal(census_propagator_format(c.propagator, 0), "b3");
  assert_string_equal(census_propagator_format(c.propagator, 4), "grpc_trace_bin");
  census_trace_context ctx = {.trace_id = {1, 2, 3}, .span_id = {4}, .trace_flags = 1};
  struct test_carrier carrier = {0};
  assert_int_equal(census_propagator_inject(c.propagator, &ctx, NULL, test_carrier_set, &carrier),
                   CENSUS_OK);
  assert_non_null(test_carrier_get(&carrier, "b3"));
  assert_non_null(test_carrier_get(&carrier, "traceparent"));
  assert_non_null(test_carrier_get(&carrier, "x-b3-traceid"));
  test_carrier_clear(&carrier);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_PROPAGATORS", "tracecontext,xray", 1);
  c = configure(NULL, CENSUS_OK);
  assert_int_equal(census_propagator_format_count(c.propagator), 2);
  assert_int_equal(line_count, 1);
  assert_int_equal(lines_with("OTEL_PROPAGATORS=\"tracecontext,xray\"",
                              "unknown propagation "
                              "format \"xray\"",
                              "using \"tracecontext,baggage\"", NULL),
                   1);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_PROPAGATORS", "none", 1);
  c = configure(NULL, CENSUS_OK);
  assert_int_equal(census_propagator_format_count(c.propagator), 0);
  census_autoconfig_stop(&c, 0);
}

static void test_exporter_lists(void **state) {
  (void)state;
  setenv("OTEL_METRICS_EXPORTER", " prometheus ,OTLP", 1);
  setenv("OTEL_TRACES_EXPORTER", "zipkin,otlp", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_PROMETHEUS | CENSUS_AUTOCONFIG_OTLP);
  assert_int_equal(c.traces_exporters, CENSUS_AUTOCONFIG_ZIPKIN | CENSUS_AUTOCONFIG_OTLP);
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_METRICS_EXPORTER", "none", 1);
  setenv("OTEL_TRACES_EXPORTER", "none", 1);
  c = configure(NULL, CENSUS_OK);
  assert_int_equal(c.metrics_exporters | c.traces_exporters, 0);
  census_autoconfig_stop(&c, 0);
  static const struct {
    const char *variable, *value, *why;
  } bad[] = {{"OTEL_METRICS_EXPORTER", "zipkin", "exports traces only"},
             {"OTEL_TRACES_EXPORTER", "prometheus", "exports metrics only"},
             {"OTEL_METRICS_EXPORTER", "otlp,jaeger", "unknown exporter \"jaeger\""},
             {"OTEL_TRACES_EXPORTER", "none,otlp", "\"none\" with other exporters"},
             {"OTEL_TRACES_EXPORTER", " , ", "no exporter named"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setup(NULL);
    setenv(bad[i].variable, bad[i].value, 1);
    c = configure(NULL, CENSUS_OK);
    assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_OTLP);
    assert_int_equal(c.traces_exporters, CENSUS_AUTOCONFIG_OTLP);
    assert_int_equal(line_count, 1);
    char named[96];
    snprintf(named, sizeof named, "%s=\"%s\"", bad[i].variable, bad[i].value);
    assert_int_equal(lines_with(named, bad[i].why, "using \"otlp\"", NULL), 1);
    census_autoconfig_stop(&c, 0);
  }
}

/* console in one list only: the stdout exporter prints that signal only (the span ended is in
 * its output once, the counter's row is not). */
static void test_console_exporter(void **state) {
  (void)state;
  FILE *out = tmpfile();
  assert_non_null(out);
  census_stdout_options console = CENSUS_STDOUT_OPTIONS_INIT;
  console.fd = fileno(out);
  census_autoconfigure_options o = CENSUS_AUTOCONFIGURE_OPTIONS_INIT;
  o.console = &console;
  setenv("OTEL_METRICS_EXPORTER", "none", 1);
  setenv("OTEL_TRACES_EXPORTER", "logging", 1);
  setenv("OTEL_TRACES_SAMPLER", "always_on", 1);
  census_autoconfig c = configure(&o, CENSUS_OK);
  assert_int_equal(c.started, CENSUS_AUTOCONFIG_CONSOLE);
  assert_non_null(c.console);
  census_span_end(census_span_start("autoconfigure.console", NULL));
  census_status st;
  census_counter *rows = census_counter_int64_new("autoconfigure.rows", NULL, &st);
  assert_int_equal(census_counter_add_int64(rows, 1, NULL), CENSUS_OK);
  assert_int_equal(census_flush(5000), CENSUS_OK);
  census_stdout_stats stats;
  assert_int_equal(census_stdout_exporter_stats(c.console, &stats), CENSUS_OK);
  assert_true(stats.spans_written >= 1);
  assert_int_equal(stats.rows_written, 0); /* views skipped, though a view has a row */
  /* What reached the file: the span, once, and not the counter's row. */
  char printed[1 << 14];
  rewind(out);
  size_t n = fread(printed, 1, sizeof printed - 1, out);
  printed[n] = '\0';
  int spans = 0;
  for (const char *p = printed; (p = strstr(p, "autoconfigure.console")) != NULL; p++) {
    spans++;
  }
  assert_int_equal(spans, 1);
  assert_null(strstr(printed, "autoconfigure.rows"));
  census_autoconfig_stop(&c, 0);
  assert_null(c.console);
  fclose(out);
}

static void test_prometheus_address(void **state) {
  (void)state;
  setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0", 1);
  setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "9999", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.prometheus_address, "0.0.0.0");
  assert_int_equal(c.prometheus_port, 9999);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "[::1]", 1);
  c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.prometheus_address, "::1");
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "metrics.example.com", 1);
  setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "70000", 1);
  c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.prometheus_address, "127.0.0.1");
  assert_int_equal(c.prometheus_port, 9464);
  assert_int_equal(line_count, 2);
  assert_int_equal(lines_with("OTEL_EXPORTER_PROMETHEUS_HOST=\"metrics.example.com\"",
                              "numeric IPv4 or IPv6", "using \"localhost\"", NULL),
                   1);
  assert_int_equal(
      lines_with("OTEL_EXPORTER_PROMETHEUS_PORT=\"70000\"", "1 to 65535", "using \"9464\"", NULL),
      1);
  census_autoconfig_stop(&c, 0);
}

/* The timeout a stats exporter's flush was given at exit, written to this pipe by the child. */
static int exit_timeout_pipe = -1;

static census_status ignore_views(void *user, const census_view_data *const *views, size_t n) {
  (void)user, (void)views, (void)n;
  return CENSUS_OK;
}

static census_status report_exit_timeout(void *user, int64_t timeout_ms) {
  (void)user;
  if (census_exporter_is_flushing_at_exit()) {
    ssize_t n = write(exit_timeout_pipe, &timeout_ms, sizeof timeout_ms);
    (void)n;
  }
  return CENSUS_OK;
}

/* Runs census_autoconfigure_core() with OTEL_METRIC_EXPORT_TIMEOUT = `value` in a child process
 * that then exits, and returns the timeout census gave a stats exporter's flush at that exit
 * (-1 if the child reported none). The child's exit flush is the one the variable sets. */
static int64_t exit_flush_timeout_under(const char *value) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    exit_timeout_pipe = fds[1];
    setenv("OTEL_METRIC_EXPORT_TIMEOUT", value, 1);
    census_stats_exporter_ops ops = CENSUS_STATS_EXPORTER_OPS_INIT;
    ops.export_views = ignore_views;
    ops.flush = report_exit_timeout;
    if (census_stats_exporter_register(&ops, &ops) != CENSUS_OK) {
      _exit(2);
    }
    census_autoconfig c = CENSUS_AUTOCONFIG_INIT;
    if (census_autoconfigure_core(NULL, &c) != CENSUS_OK) {
      _exit(3);
    }
    exit(0); /* the flush at exit runs here */
  }
  close(fds[1]);
  int64_t timeout = -1;
  ssize_t n = read(fds[0], &timeout, sizeof timeout);
  close(fds[0]);
  int wstatus = 0;
  assert_int_equal(waitpid(pid, &wstatus, 0), pid);
  assert_true(WIFEXITED(wstatus));
  assert_int_equal(WEXITSTATUS(wstatus), 0);
  return n == (ssize_t)sizeof timeout ? timeout : -1;
}

/* Proves OTEL_METRIC_EXPORT_TIMEOUT is applied as the flush timeout at exit: in a child process
 * that sets it to 1234 and exits, the exporter's flush at exit gets at most 1234 ms and not much
 * less (it is what is left of that deadline), not the default 5000; a malformed value leaves the
 * default 5000 at exit, with one diagnostic. Fails if autoconfigure only fills the struct
 * (c.export_timeout_ms) without calling census_exit_flush_set_timeout_ms(). */
static void test_export_timeout(void **state) {
  (void)state;
  setenv("OTEL_METRIC_EXPORT_TIMEOUT", "1234", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_int_equal(c.export_timeout_ms, 1234);
  census_autoconfig_stop(&c, 0);
  int64_t at_exit = exit_flush_timeout_under("1234");
  assert_true(at_exit <= 1234 && at_exit > 1234 - 1000);
  setenv("OTEL_METRIC_EXPORT_TIMEOUT", "soon", 1);
  c = configure(NULL, CENSUS_OK);
  assert_int_equal(c.export_timeout_ms, 5000);
  assert_int_equal(line_count, 1);
  assert_int_equal(lines_with("OTEL_METRIC_EXPORT_TIMEOUT", "milliseconds", "5000", NULL), 1);
  census_autoconfig_stop(&c, 0);
  assert_int_equal(census_exit_flush_set_timeout_ms(5000), CENSUS_OK);
  at_exit = exit_flush_timeout_under("soon");
  assert_true(at_exit <= 5000 && at_exit > 5000 - 1000);
}

static void test_service_name_from_environment(void **state) {
  (void)state;
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_false(c.service_name_set);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "a=b, service.name = shop", 1);
  c = configure(NULL, CENSUS_OK);
  assert_true(c.service_name_set);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "my.service.name=x", 1);
  c = configure(NULL, CENSUS_OK);
  assert_false(c.service_name_set);
  census_autoconfig_stop(&c, 0);
  setenv("OTEL_SERVICE_NAME", "shop", 1);
  c = configure(NULL, CENSUS_OK);
  assert_true(c.service_name_set);
  census_autoconfig_stop(&c, 0);
}

static void test_log_level(void **state) {
  (void)state;
  setenv("OTEL_LOG_LEVEL", "debug", 1);
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.log_level, "debug");
  assert_int_equal(line_count, 1);
  assert_int_equal(line_status[0], CENSUS_OK);
  assert_int_equal(lines_with("census_autoconfigure:", "sampler parentbased_always_on",
                              "propagators tracecontext,baggage", NULL),
                   1);
  census_autoconfig_stop(&c, 0);
  line_count = 0;
  setenv("OTEL_LOG_LEVEL", "verbose", 1);
  c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.log_level, "info");
  assert_int_equal(lines_with("OTEL_LOG_LEVEL=\"verbose\"", "none, error, warn, info or debug",
                              "using \"info\"", NULL),
                   1);
  census_autoconfig_stop(&c, 0);
  /* none silences the callback: the malformed sampler below reaches nobody. */
  line_count = 0;
  setenv("OTEL_LOG_LEVEL", "none", 1);
  setenv("OTEL_TRACES_SAMPLER", "bogus", 1);
  c = configure(NULL, CENSUS_OK);
  assert_string_equal(c.log_level, "none");
  assert_int_equal(line_count, 0);
  census_autoconfig_stop(&c, 0);
}

/* census_autoconfigure() (the header's part) in a program built without the OTLP, Prometheus and
 * Zipkin libraries (this test links census_static only): each exporter asked for is reported
 * once, naming the variable and the library, and skipped; the rest is configured. */
static void test_exporters_not_built_in(void **state) {
  (void)state;
  setenv("OTEL_METRICS_EXPORTER", "prometheus", 1);
  setenv("OTEL_TRACES_EXPORTER", "zipkin", 1);
  census_autoconfig c = CENSUS_AUTOCONFIG_INIT;
  assert_int_equal(census_autoconfigure(NULL, &c), CENSUS_ECONFIG);
  assert_int_equal(c.started, 0);
  assert_non_null(c.propagator);
  assert_int_equal(line_count, 2);
  assert_int_equal(lines_with("OTEL_METRICS_EXPORTER asks for the prometheus exporter",
                              "census_prometheus", NULL),
                   1);
  assert_int_equal(
      lines_with("OTEL_TRACES_EXPORTER asks for the zipkin exporter", "census_zipkin", NULL), 1);
  census_autoconfig_stop(&c, 0);
  line_count = 0;
  setenv("OTEL_METRICS_EXPORTER", "none", 1);
  setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
  c = (census_autoconfig)CENSUS_AUTOCONFIG_INIT;
  assert_int_equal(census_autoconfigure(NULL, &c), CENSUS_ECONFIG);
  assert_int_equal(lines_with("OTEL_TRACES_EXPORTER asks for the otlp exporter", NULL), 1);
  census_autoconfig_stop(&c, 0);
}

/* Every variable malformed at once: one line each, each naming its variable, nothing crashes. */
static void test_everything_malformed_once(void **state) {
  (void)state;
  static const struct {
    const char *name, *value;
  } bad[] = {{"OTEL_SDK_DISABLED", "maybe"},
             {"OTEL_LOG_LEVEL", "loud"},
             {"OTEL_TRACES_SAMPLER", "traceidratio"}, /* valid: makes the ARG count */
             {"OTEL_TRACES_SAMPLER_ARG", "half"},
             {"OTEL_PROPAGATORS", "w3c"},
             {"OTEL_METRICS_EXPORTER", "statsd"},
             {"OTEL_TRACES_EXPORTER", "jaeger"},
             {"OTEL_EXPORTER_PROMETHEUS_HOST", "::1::2"},
             {"OTEL_EXPORTER_PROMETHEUS_PORT", "-1"},
             {"OTEL_METRIC_EXPORT_TIMEOUT", "-5"}};
  size_t n = sizeof bad / sizeof bad[0];
  for (size_t i = 0; i < n; i++) {
    setenv(bad[i].name, bad[i].value, 1);
  }
  census_autoconfig c = configure(NULL, CENSUS_OK);
  assert_int_equal(line_count, (int)n - 1);
  for (size_t i = 0; i < n; i++) {
    if (i != 2) {
      char named[96];
      snprintf(named, sizeof named, "%s=\"%s\"", bad[i].name, bad[i].value);
      if (lines_with(named, NULL) != 1) {
        fail_msg("%s: %d lines", named, lines_with(named, NULL));
      }
    }
  }
  assert_int_equal(lines_with("using", NULL), (int)n - 1);
  assert_int_equal(c.metrics_exporters, CENSUS_AUTOCONFIG_OTLP);
  census_autoconfig_stop(&c, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_export_interval_and_bsp_read_through_census, setup),
      cmocka_unit_test_setup(test_defaults, setup),
      cmocka_unit_test_setup(test_sdk_disabled, setup),
      cmocka_unit_test_setup(test_sdk_disabled_malformed, setup),
      cmocka_unit_test_setup(test_sampler, setup),
      cmocka_unit_test_setup(test_sampler_malformed, setup),
      cmocka_unit_test_setup(test_program_defaults, setup),
      cmocka_unit_test_setup(test_propagators, setup),
      cmocka_unit_test_setup(test_exporter_lists, setup),
      cmocka_unit_test_setup(test_console_exporter, setup),
      cmocka_unit_test_setup(test_prometheus_address, setup),
      cmocka_unit_test_setup(test_export_timeout, setup),
      cmocka_unit_test_setup(test_service_name_from_environment, setup),
      cmocka_unit_test_setup(test_log_level, setup),
      cmocka_unit_test_setup(test_exporters_not_built_in, setup),
      cmocka_unit_test_setup(test_everything_malformed_once, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
