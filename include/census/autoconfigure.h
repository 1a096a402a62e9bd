/* census/autoconfigure.h - census configured from OpenTelemetry's environment variables in one
 * call: census_autoconfigure().
 *
 *   census_autoconfig config = CENSUS_AUTOCONFIG_INIT;
 *   census_autoconfigure(NULL, &config); // OTEL_* variables, else OpenTelemetry's defaults
 *   ... record, trace; census_propagator_inject(config.propagator, ...) ...
 *   census_autoconfig_stop(&config, 5000); // or let the flush at exit export the rest
 *
 * Read: OTEL_SDK_DISABLED, OTEL_LOG_LEVEL, OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG,
 * OTEL_PROPAGATORS, OTEL_METRICS_EXPORTER and OTEL_TRACES_EXPORTER (otlp, prometheus, zipkin,
 * console, none; comma lists), OTEL_EXPORTER_PROMETHEUS_HOST / _PORT, OTEL_METRIC_EXPORT_INTERVAL
 * / _TIMEOUT and OTEL_BSP_* here; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_ZIPKIN_* by the exporters it starts, as when a program
 * starts them itself. Every malformed value is reported once per call to the diagnostics
 * callback (CENSUS_ECONFIG, naming the variable, what was expected and the default used instead)
 * and never stops anything. docs/configuration.md has the table of every variable, its default
 * and where census differs from the specification.
 *
 * Two parts. census_autoconfigure_core() (in libcensus, libc only) reads every variable, applies
 * what the core owns (sampler, log level, export timeout, batch span processor settings), makes
 * the propagator and starts the console (stdout) exporter; census_autoconfigure(), defined in
 * this header, calls it and then starts the OTLP, Prometheus and Zipkin exporters the lists name,
 * each compiled in only when the program links that exporter's library: linking the CMake target
 * census::census_otlp (or _prometheus, _zipkin) defines CENSUS_HAVE_OTLP (CENSUS_HAVE_PROMETHEUS,
 * CENSUS_HAVE_ZIPKIN); with pkg-config, census_otlp.pc and the others put the same definition in
 * their Cflags. An exporter the environment asks for that the program was not linked with is
 * reported and skipped.
 */
#ifndef CENSUS_AUTOCONFIGURE_H
#define CENSUS_AUTOCONFIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporters/stdout.h"
#include "census/propagation.h"
#include "census/status.h"
#include "census/trace.h"

#ifdef CENSUS_HAVE_OTLP
#include "census/exporters/otlp.h"
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
#include "census/exporters/prometheus.h"
#endif
#ifdef CENSUS_HAVE_ZIPKIN
#include "census/exporters/zipkin.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The exporters of OTEL_METRICS_EXPORTER / OTEL_TRACES_EXPORTER, as bits. */
#define CENSUS_AUTOCONFIG_OTLP 0x1u       /* "otlp": metrics and traces */
#define CENSUS_AUTOCONFIG_PROMETHEUS 0x2u /* "prometheus": metrics only */
#define CENSUS_AUTOCONFIG_ZIPKIN 0x4u     /* "zipkin": traces only */
#define CENSUS_AUTOCONFIG_CONSOLE 0x8u    /* "console" (or "logging"): the stdout exporter */

struct census_otlp_options;
struct census_otlp_exporter;
struct census_prometheus_options;
struct census_prometheus_exporter;
struct census_zipkin_options;
struct census_zipkin_exporter;

/* What the program says besides the environment. Initialise with
 * CENSUS_AUTOCONFIGURE_OPTIONS_INIT (which sets `size`; every other field starts at 0: the
 * specification's defaults) and set fields by name; NULL options mean all defaults. The strings
 * are the variables' own syntax and are used only when the variable is unset or empty (the
 * environment wins over them: a deployment overrides the program's defaults). The exporter
 * options are passed to the exporter's _start() as given, except that autoconfiguration fills
 * the Prometheus address and port when they are unset (NULL, 0) and the OTLP signals. Everything
 * is read during the call only. Thread-safety: a plain value the caller owns. */
typedef struct census_autoconfigure_options {
  size_t size;                    /* sizeof(census_autoconfigure_options), set by the INIT macro */
  const char *metrics_exporter;   /* OTEL_METRICS_EXPORTER's default; NULL: "otlp" */
  const char *traces_exporter;    /* OTEL_TRACES_EXPORTER's default; NULL: "otlp" */
  const char *traces_sampler;     /* OTEL_TRACES_SAMPLER's default; NULL: "parentbased_always_on" */
  const char *traces_sampler_arg; /* OTEL_TRACES_SAMPLER_ARG's default; NULL: "1.0" */
  const char *propagators;        /* OTEL_PROPAGATORS's default; NULL: "tracecontext,baggage" */
  /* service.name when OTEL_SERVICE_NAME is unset (and the exporter options give none); NULL:
   * the resource's (OTEL_RESOURCE_ATTRIBUTES, else unknown_service:<executable>). */
  const char *service_name;
  const census_stdout_options *console;               /* NULL: defaults */
  const struct census_otlp_options *otlp;             /* NULL: defaults */
  const struct census_prometheus_options *prometheus; /* NULL: defaults */
  const struct census_zipkin_options *zipkin;         /* NULL: defaults */
} census_autoconfigure_options;

#define CENSUS_AUTOCONFIGURE_OPTIONS_INIT                                                          \
  { .size = sizeof(census_autoconfigure_options) }

/* What autoconfiguration decided and started; filled by census_autoconfigure(). Initialise with
 * CENSUS_AUTOCONFIG_INIT (which sets `size`): census writes only the first `size` bytes, so the
 * struct can grow (docs/api-conventions.md). The caller owns it (stop and free with
 * census_autoconfig_stop()). Thread-safety: plain data; `propagator` is immutable and may be
 * shared by any number of threads. */
typedef struct census_autoconfig {
  size_t size;                /* sizeof(census_autoconfig), set by the INIT macro */
  bool disabled;              /* OTEL_SDK_DISABLED=true: nothing started, spans not sampled */
  unsigned metrics_exporters; /* CENSUS_AUTOCONFIG_* bits asked for (after defaults) */
  unsigned traces_exporters;
  unsigned started;            /* CENSUS_AUTOCONFIG_* bits of the exporters running */
  char sampler[32];            /* the sampler in force, by its OTEL_TRACES_SAMPLER name */
  double sampler_ratio;        /* its ratio (traceidratio kinds; 1 otherwise) */
  char log_level[8];           /* "none", "error", "warn", "info" or "debug" */
  char prometheus_address[64]; /* where the Prometheus exporter listens (numeric) */
  uint16_t prometheus_port;
  int64_t export_interval_ms; /* census_export_interval_ms() after OTEL_METRIC_EXPORT_INTERVAL */
  int64_t export_timeout_ms;  /* the flush timeout at exit and on signals */
  census_span_export_options bsp; /* the batch span processor's settings (OTEL_BSP_*) */
  /* OTEL_SERVICE_NAME is set, or OTEL_RESOURCE_ATTRIBUTES names service.name: the options'
   * service_name is then not given to the exporters (the environment wins). */
  bool service_name_set;
  /* The OTEL_PROPAGATORS propagator (owned; "none" when disabled): use it with
   * census_propagator_inject() / _extract(). NULL only if memory ran out. */
  census_propagator *propagator;
  census_stdout_exporter *console; /* the started exporters (NULL: not started) */
  struct census_otlp_exporter *otlp;
  struct census_prometheus_exporter *prometheus;
  struct census_zipkin_exporter *zipkin;
} census_autoconfig;

#define CENSUS_AUTOCONFIG_INIT                                                                     \
  { .size = sizeof(census_autoconfig) }

/* Reads every variable into *config and applies the core's part: OTEL_SDK_DISABLED (true: the
 * sampler becomes always_off, the propagator "none", no exporter is asked for), OTEL_LOG_LEVEL
 * (none silences the diagnostics callback; debug reports the configuration in one line),
 * OTEL_TRACES_SAMPLER / _ARG (census_trace_set_sampler()), OTEL_METRIC_EXPORT_TIMEOUT
 * (census_exit_flush_set_timeout_ms()), OTEL_METRIC_EXPORT_INTERVAL and OTEL_BSP_* (read through
 * census's own readers, census_export_interval_ms() and census_trace_export_options()),
 * OTEL_PROPAGATORS (config->propagator), the exporter lists and OTEL_EXPORTER_PROMETHEUS_HOST /
 * _PORT (into config, for census_autoconfigure() to start), and starts the console exporter when
 * either list names it. A malformed value is reported once (CENSUS_ECONFIG) and its default is
 * used. The first config->size bytes of *config are written (cleared first, so a failed call
 * leaves config->propagator NULL). Returns CENSUS_OK (malformed values included); CENSUS_EINVAL
 * for NULL config, a config not made with CENSUS_AUTOCONFIG_INIT (nothing written) or options
 * not made with CENSUS_AUTOCONFIGURE_OPTIONS_INIT (both reported), CENSUS_ENOMEM, CENSUS_ESHUTDOWN
 * after census_shutdown() (nothing applied, config->propagator NULL); or the console exporter's
 * error (everything else applied, the console not started). Call once, early, before other threads
 * trace. Thread-safe. */
CENSUS_EXPORT census_status census_autoconfigure_core(const census_autoconfigure_options *options,
                                                      census_autoconfig *config);

/* Reports that the environment asks for exporter `name` (from variable `variable`) that the
 * program was not linked with (`library`): for census_autoconfigure(). The strings are
 * borrowed, read during the call only. Never fails. Thread-safe. */
CENSUS_EXPORT void census_autoconfig_missing(const char *variable, const char *name,
                                             const char *library);

#ifdef CENSUS_HAVE_OTLP
static inline census_status census_autoconfig__otlp(const census_autoconfigure_options *o,
                                                    census_autoconfig *c) {
  unsigned signals = 0;
  signals |= (c->metrics_exporters & CENSUS_AUTOCONFIG_OTLP) ? CENSUS_OTLP_SIGNAL_METRICS : 0;
  signals |= (c->traces_exporters & CENSUS_AUTOCONFIG_OTLP) ? CENSUS_OTLP_SIGNAL_TRACES : 0;
  if (!signals) {
    return CENSUS_OK;
  }
  census_otlp_options otlp = CENSUS_OTLP_OPTIONS_INIT;
  if (o && o->otlp) {
    otlp = *o->otlp;
  }
  otlp.signals = signals;
  if (!otlp.service_name && !c->service_name_set && o) {
    otlp.service_name = o->service_name;
  }
  census_status st = census_otlp_exporter_start(&otlp, &c->otlp);
  c->started |= st == CENSUS_OK ? CENSUS_AUTOCONFIG_OTLP : 0;
  return st;
}
#endif

#ifdef CENSUS_HAVE_PROMETHEUS
static inline census_status census_autoconfig__prometheus(const census_autoconfigure_options *o,
                                                          census_autoconfig *c) {
  if (!(c->metrics_exporters & CENSUS_AUTOCONFIG_PROMETHEUS)) {
    return CENSUS_OK;
  }
  census_prometheus_options prometheus = CENSUS_PROMETHEUS_OPTIONS_INIT;
  if (o && o->prometheus) {
    prometheus = *o->prometheus;
  }
  if (!prometheus.address && !prometheus.port && !prometheus.any_port) {
    prometheus.address = c->prometheus_address;
    prometheus.port = c->prometheus_port;
  }
  census_status st = census_prometheus_exporter_start(&prometheus, &c->prometheus);
  if (st == CENSUS_OK) {
    c->started |= CENSUS_AUTOCONFIG_PROMETHEUS;
    c->prometheus_port = census_prometheus_exporter_port(c->prometheus);
  }
  return st;
}
#endif

#ifdef CENSUS_HAVE_ZIPKIN
static inline census_status census_autoconfig__zipkin(const census_autoconfigure_options *o,
                                                      census_autoconfig *c) {
  if (!(c->traces_exporters & CENSUS_AUTOCONFIG_ZIPKIN)) {
    return CENSUS_OK;
  }
  census_zipkin_options zipkin = CENSUS_ZIPKIN_OPTIONS_INIT;
  if (o && o->zipkin) {
    zipkin = *o->zipkin;
  }
  if (!zipkin.service_name && !c->service_name_set && o) {
    zipkin.service_name = o->service_name;
  }
  census_status st = census_zipkin_exporter_start(&zipkin, &c->zipkin);
  c->started |= st == CENSUS_OK ? CENSUS_AUTOCONFIG_ZIPKIN : 0;
  return st;
}
#endif

/* census_autoconfigure_core(), then starts the OTLP (for the signals whose list names it),
 * Prometheus and Zipkin exporters the lists name and the program links (see the file comment).
 * An exporter that fails to start (its error reported by it, e.g. the Prometheus port taken) or
 * was not linked is skipped and the others start: config->started says which run. Returns
 * CENSUS_OK when everything asked for started, else the first error (the core's, or an
 * exporter's; CENSUS_ECONFIG for one not linked); config is filled either way, unless
 * config->propagator is NULL (nothing was configured: bad arguments, after census_shutdown(), out
 * of memory). Thread-safe; call once, early. */
static inline census_status census_autoconfigure(const census_autoconfigure_options *options,
                                                 census_autoconfig *config) {
  census_status first = census_autoconfigure_core(options, config);
  if (first != CENSUS_OK && (!config || !config->propagator)) {
    return first; /* nothing was configured (bad arguments, shut down, out of memory) */
  }
  census_status st;
#ifdef CENSUS_HAVE_OTLP
  st = census_autoconfig__otlp(options, config);
  first = first != CENSUS_OK ? first : st;
#else
  if ((config->metrics_exporters | config->traces_exporters) & CENSUS_AUTOCONFIG_OTLP) {
    census_autoconfig_missing(config->metrics_exporters & CENSUS_AUTOCONFIG_OTLP
                                  ? "OTEL_METRICS_EXPORTER"
                                  : "OTEL_TRACES_EXPORTER",
                              "otlp", "census_otlp");
    first = first != CENSUS_OK ? first : CENSUS_ECONFIG;
  }
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
  st = census_autoconfig__prometheus(options, config);
  first = first != CENSUS_OK ? first : st;
#else
  if (config->metrics_exporters & CENSUS_AUTOCONFIG_PROMETHEUS) {
    census_autoconfig_missing("OTEL_METRICS_EXPORTER", "prometheus", "census_prometheus");
    first = first != CENSUS_OK ? first : CENSUS_ECONFIG;
  }
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  st = census_autoconfig__zipkin(options, config);
  first = first != CENSUS_OK ? first : st;
#else
  if (config->traces_exporters & CENSUS_AUTOCONFIG_ZIPKIN) {
    census_autoconfig_missing("OTEL_TRACES_EXPORTER", "zipkin", "census_zipkin");
    first = first != CENSUS_OK ? first : CENSUS_ECONFIG;
  }
#endif
  (void)st;
  return first;
}

/* Stops what census_autoconfigure() started, each with its own _stop(timeout_ms) (a final export
 * bounded by timeout_ms each; after census_shutdown() they only free), frees the propagator and
 * clears the handles. A program that reads an exporter's final counters (config->otlp, ...) does
 * so before this call. NULL is a no-op. Not concurrently with other uses of *config. */
static inline void census_autoconfig_stop(census_autoconfig *config, int64_t timeout_ms) {
  if (!config) {
    return;
  }
#ifdef CENSUS_HAVE_OTLP
  if (config->otlp) {
    census_otlp_exporter_stop(config->otlp, timeout_ms);
  }
#endif
#ifdef CENSUS_HAVE_PROMETHEUS
  if (config->prometheus) {
    census_prometheus_exporter_stop(config->prometheus, timeout_ms);
  }
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  if (config->zipkin) {
    census_zipkin_exporter_stop(config->zipkin, timeout_ms);
  }
#endif
  if (config->console) {
    census_stdout_exporter_stop(config->console, timeout_ms);
  }
  census_propagator_free(config->propagator);
  config->otlp = NULL;
  config->prometheus = NULL;
  config->zipkin = NULL;
  config->console = NULL;
  config->propagator = NULL;
  config->started = 0;
}

#ifdef __cplusplus
}
#endif
#endif
