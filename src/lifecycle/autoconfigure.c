/* autoconfigure.c - census_autoconfigure_core(): OpenTelemetry's environment variables read in
 * one call (census/autoconfigure.h; the table of variables is docs/configuration.md).
 *
 * Each variable has one reader here, except those census already reads where they are used:
 * OTEL_METRIC_EXPORT_INTERVAL (export/worker.c, through census_export_interval_ms()) and
 * OTEL_BSP_* (trace/span_queue.c, through census_trace_export_options()) are read by calling
 * into those readers, so that a malformed value is reported once, by its own reader, now rather
 * than at the first export. The exporters' variables (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_*, OTEL_EXPORTER_ZIPKIN_*) are read by the
 * exporters as they start.
 *
 * Every value goes through one rule: the variable when set and non-empty; if it is malformed, one
 * CENSUS_ECONFIG diagnostic naming it, its value, what was expected and what is used instead;
 * then the program's default (census_autoconfigure_options), then the specification's. A program
 * default that is itself malformed is reported the same way, naming the options field.
 */
#include "census/autoconfigure.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "core/diagnostics.h"
#include "core/env.h"
#include "core/options.h"
#include "core/run_state.h"
#include "propagation/composite.h"

#define DEFAULT_SAMPLER "parentbased_always_on"
#define DEFAULT_PROPAGATORS "tracecontext,baggage"
#define DEFAULT_EXPORTER "otlp"
#define DEFAULT_PROMETHEUS_HOST "localhost"
#define DEFAULT_PROMETHEUS_PORT 9464
#define DEFAULT_EXIT_FLUSH_TIMEOUT_MS 5000 /* census_exit_flush_set_timeout_ms()'s default */

/* The value a setting is taken from: the variable, else the program's default, else the
 * specification's; `source` names where it came from, for diagnostics. */
typedef struct setting {
  const char *variable; /* e.g. "OTEL_TRACES_SAMPLER" */
  const char *field;    /* e.g. "options.traces_sampler" */
  const char *program;  /* the program's default, or NULL */
  const char *spec;     /* the specification's default */
} setting;

/* Parses text into *out; false, with what was expected in why[0..size), if malformed. */
typedef bool (*parse_fn)(const char *text, void *out, char *why, size_t size);

/* Resolves `s` with `parse`: the first of the variable, the program's default and the spec's
 * default that parses, each malformed one reported once with what was expected and the value
 * used instead (the next candidate). The spec's default always parses. */
static void resolve(const setting *s, parse_fn parse, void *out) {
  const char *env = getenv(s->variable);
  const char *candidates[3] = {env && *env ? env : NULL, s->program, s->spec};
  const char *names[3] = {s->variable, s->field, "the specification's default"};
  for (int i = 0; i < 3; i++) {
    char why[256];
    if (candidates[i] == NULL || parse(candidates[i], out, why, sizeof why)) {
      if (candidates[i] != NULL) {
        return;
      }
      continue;
    }
    const char *next = i == 0 && s->program ? s->program : s->spec;
    census__diag(CENSUS_ECONFIG, "%s=\"%.64s\" is malformed: %s; using \"%s\"", names[i],
                 candidates[i], why, next);
  }
}

/* Copies s without the spaces and tabs around it into out[0..size); false if it does not fit. */
static bool trimmed(const char *s, size_t length, char *out, size_t size) {
  while (length > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    length--;
  }
  while (length > 0 && (s[length - 1] == ' ' || s[length - 1] == '\t')) {
    length--;
  }
  if (length >= size) {
    return false;
  }
  memcpy(out, s, length);
  out[length] = '\0';
  return true;
}

/* ---- Parsers -------------------------------------------------------------------------------- */

static bool parse_bool(const char *text, void *out, char *why, size_t size) {
  char t[8];
  bool ok = trimmed(text, strlen(text), t, sizeof t) &&
            (strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0);
  if (ok) {
    *(bool *)out = strcasecmp(t, "true") == 0;
  } else {
    snprintf(why, size, "expected true or false");
  }
  return ok;
}

static const char *const log_levels[] = {"none", "error", "warn", "info", "debug"};
#define LOG_LEVELS (sizeof log_levels / sizeof log_levels[0])

static bool parse_log_level(const char *text, void *out, char *why, size_t size) {
  char t[16];
  if (trimmed(text, strlen(text), t, sizeof t)) {
    for (size_t i = 0; i < LOG_LEVELS; i++) {
      if (strcasecmp(t, log_levels[i]) == 0) {
        *(size_t *)out = i;
        return true;
      }
    }
  }
  snprintf(why, size, "expected none, error, warn, info or debug");
  return false;
}

enum sampler_kind { ALWAYS_ON, ALWAYS_OFF, RATIO, PB_ALWAYS_ON, PB_ALWAYS_OFF, PB_RATIO, KINDS };
static const char *const sampler_names[KINDS] = {"always_on",
                                                 "always_off",
                                                 "traceidratio",
                                                 "parentbased_always_on",
                                                 "parentbased_always_off",
                                                 "parentbased_traceidratio"};

static bool parse_sampler(const char *text, void *out, char *why, size_t size) {
  char t[40];
  if (trimmed(text, strlen(text), t, sizeof t)) {
    for (int k = 0; k < KINDS; k++) {
      if (strcasecmp(t, sampler_names[k]) == 0) {
        *(int *)out = k;
        return true;
      }
    }
  }
  snprintf(why, size,
           "expected always_on, always_off, traceidratio, parentbased_always_on, "
           "parentbased_always_off or parentbased_traceidratio (census has no jaeger_remote or "
           "xray sampler)");
  return false;
}

static bool parse_ratio(const char *text, void *out, char *why, size_t size) {
  char *end;
  double r = strtod(text, &end);
  while (*end == ' ' || *end == '\t') {
    end++;
  }
  if (end == text || *end || !(r >= 0 && r <= 1)) {
    snprintf(why, size, "expected a number from 0 to 1 (the traceidratio samplers' ratio)");
    return false;
  }
  *(double *)out = r;
  return true;
}

static bool parse_propagators(const char *text, void *out, char *why, size_t size) {
  census_status status;
  census_propagator *p = census__propagator_parse(text, why, size, &status);
  *(census_propagator **)out = p;
  return status != CENSUS_EINVAL; /* CENSUS_ENOMEM: NULL, reported by the caller */
}

/* The exporter names and the bits they stand for; `allowed` is the list's set. */
typedef struct exporter_list {
  unsigned allowed; /* in: the names this variable takes */
  unsigned bits;    /* out */
} exporter_list;

static const struct {
  const char *name;
  unsigned bit;
} exporter_names[] = {
    {"otlp", CENSUS_AUTOCONFIG_OTLP},       {"prometheus", CENSUS_AUTOCONFIG_PROMETHEUS},
    {"zipkin", CENSUS_AUTOCONFIG_ZIPKIN},   {"console", CENSUS_AUTOCONFIG_CONSOLE},
    {"logging", CENSUS_AUTOCONFIG_CONSOLE}, {"none", 0}};
#define EXPORTER_NAMES (sizeof exporter_names / sizeof exporter_names[0])

/* One name of a list: its bit into *bits, or false with why. */
static bool exporter_name(const char *name, exporter_list *list, bool *none, char *why,
                          size_t size) {
  for (size_t i = 0; i < EXPORTER_NAMES; i++) {
    if (strcasecmp(name, exporter_names[i].name) != 0) {
      continue;
    }
    unsigned bit = exporter_names[i].bit;
    if (bit != 0 && !(list->allowed & bit)) {
      snprintf(why, size, "\"%s\" exports %s only", name,
               bit == CENSUS_AUTOCONFIG_ZIPKIN ? "traces" : "metrics");
      return false;
    }
    list->bits |= bit;
    *none |= bit == 0;
    return true;
  }
  snprintf(why, size, "unknown exporter \"%.40s\": expected a comma list of %s, console or none",
           name, list->allowed & CENSUS_AUTOCONFIG_ZIPKIN ? "otlp, zipkin" : "otlp, prometheus");
  return false;
}

static bool parse_exporters(const char *text, void *out, char *why, size_t size) {
  exporter_list *list = out;
  exporter_list parsed = {.allowed = list->allowed};
  bool none = false, any = false;
  for (const char *s = text;;) {
    size_t length = strcspn(s, ",");
    char name[48];
    if (!trimmed(s, length, name, sizeof name)) {
      snprintf(why, size, "an exporter name longer than %zu bytes", sizeof name - 1);
      return false;
    }
    if (*name && !exporter_name(name, &parsed, &none, why, size)) {
      return false;
    }
    any |= *name != '\0';
    if (!s[length]) {
      break;
    }
    s += length + 1;
  }
  if (!any || (none && parsed.bits)) {
    snprintf(why, size, "%s",
             any ? "\"none\" with other exporters: give none alone"
                 : "no exporter named: give none for no exporter");
    return false;
  }
  list->bits = parsed.bits;
  return true;
}

typedef struct listen_address {
  char address[64];
  uint16_t port;
} listen_address;

static bool parse_host(const char *text, void *out, char *why, size_t size) {
  char t[64];
  unsigned char buf[16];
  bool ok = trimmed(text, strlen(text), t, sizeof t);
  size_t n = ok ? strlen(t) : 0;
  if (ok && n >= 2 && t[0] == '[' && t[n - 1] == ']') { /* [::1] */
    memmove(t, t + 1, n - 2);
    t[n - 2] = '\0';
  }
  if (ok && strcasecmp(t, "localhost") == 0) {
    snprintf(t, sizeof t, "127.0.0.1");
  }
  ok = ok && (inet_pton(AF_INET, t, buf) == 1 || inet_pton(AF_INET6, t, buf) == 1);
  if (!ok) {
    snprintf(why, size,
             "expected localhost or a numeric IPv4 or IPv6 address (census does "
             "not resolve host names)");
    return false;
  }
  snprintf(((listen_address *)out)->address, sizeof t, "%s", t);
  return true;
}

static bool parse_port(const char *text, void *out, char *why, size_t size) {
  char *end;
  long v = strtol(text, &end, 10);
  while (*end == ' ' || *end == '\t') {
    end++;
  }
  if (end == text || *end || v < 1 || v > 65535 || *text == '-' || *text == '+') {
    snprintf(why, size, "expected a port number from 1 to 65535");
    return false;
  }
  ((listen_address *)out)->port = (uint16_t)v;
  return true;
}

/* ---- Applying ------------------------------------------------------------------------------- */

static census_sampler *make_sampler(int kind, double ratio) {
  census_sampler *root = kind == ALWAYS_OFF || kind == PB_ALWAYS_OFF ? census_sampler_always_off()
                         : kind == RATIO || kind == PB_RATIO
                             ? census_sampler_trace_id_ratio(ratio, NULL)
                             : census_sampler_always_on();
  if (kind < PB_ALWAYS_ON || root == NULL) {
    return root;
  }
  census_sampler *parent_based = census_sampler_parent_based(root);
  census_sampler_free(root);
  return parent_based;
}

/* OTEL_TRACES_SAMPLER and _ARG (always_off when disabled) into the global sampler. */
static census_status apply_sampler(const census_autoconfigure_options *o, census_autoconfig *c) {
  int kind = PB_ALWAYS_ON;
  double ratio = 1;
  if (c->disabled) {
    kind = ALWAYS_OFF;
  } else {
    resolve(&(setting){"OTEL_TRACES_SAMPLER", "options.traces_sampler", o->traces_sampler,
                       DEFAULT_SAMPLER},
            parse_sampler, &kind);
    if (kind == RATIO || kind == PB_RATIO) {
      resolve(&(setting){"OTEL_TRACES_SAMPLER_ARG", "options.traces_sampler_arg",
                         o->traces_sampler_arg, "1.0"},
              parse_ratio, &ratio);
    }
  }
  snprintf(c->sampler, sizeof c->sampler, "%s", sampler_names[kind]);
  c->sampler_ratio = ratio;
  census_sampler *sampler = make_sampler(kind, ratio);
  census_status status = sampler ? census_trace_set_sampler(sampler) : CENSUS_ENOMEM;
  census_sampler_free(sampler);
  return status;
}

/* OTEL_LOG_LEVEL: "none" silences the diagnostics callback (they are still counted). */
static void apply_log_level(census_autoconfig *c) {
  size_t level = 3; /* info */
  resolve(&(setting){"OTEL_LOG_LEVEL", "(none)", NULL, "info"}, parse_log_level, &level);
  snprintf(c->log_level, sizeof c->log_level, "%s", log_levels[level]);
  if (level == 0) {
    census_diagnostics_set_callback(NULL, NULL);
  }
}

/* True when OTEL_SERVICE_NAME is set or OTEL_RESOURCE_ATTRIBUTES has a service.name member. */
static bool service_name_in_environment(void) {
  const char *name = getenv("OTEL_SERVICE_NAME");
  const char *attributes = getenv("OTEL_RESOURCE_ATTRIBUTES");
  if (name && *name) {
    return true;
  }
  for (const char *s = attributes; s && *s;) {
    s += strspn(s, " \t");
    const char *key = "service.name";
    size_t n = strlen(key);
    if (strncmp(s, key, n) == 0 && s[n + strspn(s + n, " \t")] == '=') {
      return true;
    }
    s = strchr(s, ',');
    s = s ? s + 1 : NULL;
  }
  return false;
}

/* The exporter lists and where Prometheus listens. */
static void read_exporters(const census_autoconfigure_options *o, census_autoconfig *c) {
  exporter_list metrics = {.allowed = CENSUS_AUTOCONFIG_OTLP | CENSUS_AUTOCONFIG_PROMETHEUS |
                                      CENSUS_AUTOCONFIG_CONSOLE};
  exporter_list traces = {.allowed = CENSUS_AUTOCONFIG_OTLP | CENSUS_AUTOCONFIG_ZIPKIN |
                                     CENSUS_AUTOCONFIG_CONSOLE};
  resolve(&(setting){"OTEL_METRICS_EXPORTER", "options.metrics_exporter", o->metrics_exporter,
                     DEFAULT_EXPORTER},
          parse_exporters, &metrics);
  resolve(&(setting){"OTEL_TRACES_EXPORTER", "options.traces_exporter", o->traces_exporter,
                     DEFAULT_EXPORTER},
          parse_exporters, &traces);
  c->metrics_exporters = c->disabled ? 0 : metrics.bits;
  c->traces_exporters = c->disabled ? 0 : traces.bits;
  listen_address listen = {.port = DEFAULT_PROMETHEUS_PORT};
  resolve(&(setting){"OTEL_EXPORTER_PROMETHEUS_HOST", "(none)", NULL, DEFAULT_PROMETHEUS_HOST},
          parse_host, &listen);
  resolve(&(setting){"OTEL_EXPORTER_PROMETHEUS_PORT", "(none)", NULL, "9464"}, parse_port, &listen);
  snprintf(c->prometheus_address, sizeof c->prometheus_address, "%s", listen.address);
  c->prometheus_port = listen.port;
  c->service_name_set = service_name_in_environment();
}

/* OTEL_METRIC_EXPORT_INTERVAL and OTEL_BSP_* through census's own readers; OTEL_METRIC_EXPORT_
 * TIMEOUT as the flush timeout at exit and on signals (only when set). */
static void read_export_settings(census_autoconfig *c) {
  c->export_interval_ms = census_export_interval_ms();
  c->bsp = (census_span_export_options)CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  census_trace_export_options(&c->bsp);
  int64_t timeout = DEFAULT_EXIT_FLUSH_TIMEOUT_MS;
  if (census__env_positive("OTEL_METRIC_EXPORT_TIMEOUT", INT32_MAX, "milliseconds", &timeout)) {
    census_exit_flush_set_timeout_ms(timeout);
  }
  c->export_timeout_ms = timeout;
}

/* Starts the console (stdout) exporter when either list names it. */
static census_status start_console(const census_autoconfigure_options *o, census_autoconfig *c) {
  bool views = c->metrics_exporters & CENSUS_AUTOCONFIG_CONSOLE;
  bool spans = c->traces_exporters & CENSUS_AUTOCONFIG_CONSOLE;
  if (!views && !spans) {
    return CENSUS_OK;
  }
#ifdef CENSUS_WITH_STDOUT
  census_stdout_options console = CENSUS_STDOUT_OPTIONS_INIT;
  if (o->console) {
    console = *o->console;
  }
  console.skip_views |= !views;
  console.skip_spans |= !spans;
  census_status status = census_stdout_exporter_start(&console, &c->console);
  c->started |= status == CENSUS_OK ? CENSUS_AUTOCONFIG_CONSOLE : 0;
  return status;
#else
  (void)o;
  census_autoconfig_missing(views ? "OTEL_METRICS_EXPORTER" : "OTEL_TRACES_EXPORTER", "console",
                            "census built with CENSUS_EXPORTER_STDOUT");
  return CENSUS_ECONFIG;
#endif
}

/* Names the bits of `bits` into out ("otlp,console"; "none"). */
static void exporter_names_of(unsigned bits, char *out, size_t size) {
  snprintf(out, size, "%s", bits ? "" : "none");
  for (size_t i = 0; i < EXPORTER_NAMES; i++) {
    unsigned bit = exporter_names[i].bit;
    if ((bits & bit) && strcmp(exporter_names[i].name, "logging") != 0) {
      size_t n = strlen(out);
      snprintf(out + n, size - n, "%s%s", n ? "," : "", exporter_names[i].name);
    }
  }
}

/* OTEL_LOG_LEVEL=debug: the configuration in one line. */
static void report_configuration(const census_autoconfig *c) {
  char metrics[64], traces[64], propagators[128] = "";
  exporter_names_of(c->metrics_exporters, metrics, sizeof metrics);
  exporter_names_of(c->traces_exporters, traces, sizeof traces);
  for (size_t i = 0; i < census_propagator_format_count(c->propagator); i++) {
    size_t n = strlen(propagators);
    snprintf(propagators + n, sizeof propagators - n, "%s%s", i ? "," : "",
             census_propagator_format(c->propagator, i));
  }
  census__diag(CENSUS_OK,
               "census_autoconfigure: sdk %s; sampler %s (ratio %g); propagators %s; metrics "
               "exporters %s; traces exporters %s; prometheus %s port %u; export interval %lld "
               "ms, timeout %lld ms",
               c->disabled ? "disabled" : "enabled", c->sampler, c->sampler_ratio,
               *propagators ? propagators : "none", metrics, traces, c->prometheus_address,
               (unsigned)c->prometheus_port, (long long)c->export_interval_ms,
               (long long)c->export_timeout_ms);
}

/* Reads and applies everything into *config (census's layout, cleared by the caller). */
static census_status configure(const census_autoconfigure_options *options,
                               census_autoconfig *config) {
  census_autoconfigure_options o = CENSUS_AUTOCONFIGURE_OPTIONS_INIT;
  if (options != NULL) {
    census_status status =
        census__options_read(options, CENSUS__END_OF(census_autoconfigure_options, zipkin),
                             sizeof o, &o, "census_autoconfigure", "census_autoconfigure_options",
                             "CENSUS_AUTOCONFIGURE_OPTIONS_INIT");
    if (status != CENSUS_OK) {
      return status;
    }
  }
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN;
  }
  apply_log_level(config);
  resolve(&(setting){"OTEL_SDK_DISABLED", "(none)", NULL, "false"}, parse_bool, &config->disabled);
  census_status status = apply_sampler(&o, config);
  census_propagator *propagator = NULL;
  if (config->disabled) {
    propagator = census_propagator_new("none", NULL);
  } else {
    resolve(
        &(setting){"OTEL_PROPAGATORS", "options.propagators", o.propagators, DEFAULT_PROPAGATORS},
        parse_propagators, &propagator);
  }
  read_exporters(&o, config);
  read_export_settings(config);
  if (status != CENSUS_OK || propagator == NULL) {
    census_propagator_free(propagator);
    return status != CENSUS_OK ? status : CENSUS_ENOMEM;
  }
  config->propagator = propagator;
  status = start_console(&o, config);
  if (strcmp(config->log_level, "debug") == 0) {
    report_configuration(config);
  }
  return status;
}

CENSUS_EXPORT census_status census_autoconfigure_core(const census_autoconfigure_options *options,
                                                      census_autoconfig *config) {
  if (config == NULL) {
    return CENSUS_EINVAL;
  }
  /* An output struct: its size is checked as an input's, and only `size` bytes are written. */
  census_autoconfig full = {0};
  census_status status =
      census__options_read(config, CENSUS__END_OF(census_autoconfig, zipkin), sizeof full, &full,
                           "census_autoconfigure", "census_autoconfig", "CENSUS_AUTOCONFIG_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  size_t size = config->size;
  memset(&full, 0, sizeof full);
  full.size = size;
  status = configure(options, &full);
  memcpy(config, &full, size);
  return status;
}

CENSUS_EXPORT void census_autoconfig_missing(const char *variable, const char *name,
                                             const char *library) {
  census__diag(CENSUS_ECONFIG,
               "census_autoconfigure: %s asks for the %s exporter, but this program was not "
               "built with %s (link CMake's census::%s, or compile with pkg-config's --cflags "
               "%s, which define what census/autoconfigure.h needs); not exporting to %s",
               variable, name, library, library, library, name);
}
