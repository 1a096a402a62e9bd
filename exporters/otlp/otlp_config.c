/* otlp_config.c - the OTLP exporter's configuration (see otlp_config.h): the options, then the
 * per-signal OTEL_EXPORTER_OTLP_<SIGNAL>_* variables, then the generic OTEL_EXPORTER_OTLP_* ones,
 * then the defaults, resolved per signal into a census_otlp_signal_config before anything starts.
 *
 * Endpoints: a per-signal URL (option or variable) is used as-is (an empty path becomes "/"); a
 * base URL gets "/v1/metrics" or "/v1/traces" with exactly one '/'. For OTLP/gRPC only the
 * scheme and authority are kept, followed by the Export method's path (default port 4317). Every
 * URL is checked with exporters/http/url.c: a bad option refuses the start (CENSUS_EINVAL, reported
 * naming the option), a bad variable is reported (naming it) and the next source applies. Headers:
 * a User-Agent, then the variable's list (percent-decoded), then the options' (same name,
 * case-insensitive, replaces). The metrics preference census cannot honour (exponential
 * histograms by default) is reported once per exporter and ignored.
 *
 * A generic variable applies to both signals; when the metrics signal took a setting from it, the
 * traces signal copies that setting instead of reading (and maybe reporting) the variable again,
 * so each malformed variable is reported once per exporter.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "otlp_config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"
#include "env_config.h"
#include "url.h"
#include "alloc.h"

#define DEFAULT_TIMEOUT_MS 10000

void census__otlp_config_free(census_otlp_signal_config *c) {
  census__free(c->url);
  for (size_t i = 0; i < c->header_count; i++) {
    census__free(c->headers[i]);
  }
  memset(c, 0, sizeof *c);
}

/* "OTEL_EXPORTER_OTLP_<SIGNAL>_<suffix>" into buf. */
static const char *signal_var(char *buf, size_t size, const char *signal_upper,
                              const char *suffix) {
  snprintf(buf, size, "OTEL_EXPORTER_OTLP_%s_%s", signal_upper, suffix);
  return buf;
}

/* The per-signal variable's name if it is set; else the generic one's, and then `generic_bit`
 * is set in c->generic to record that this setting came from the generic variable. */
static const char *pick_var(char *buf, size_t size, const char *signal_upper, const char *suffix,
                            unsigned generic_bit, census_otlp_signal_config *c) {
  signal_var(buf, size, signal_upper, suffix);
  if (census__env_string(buf) != NULL) {
    return buf;
  }
  c->generic |= generic_bit;
  snprintf(buf, size, "OTEL_EXPORTER_OTLP_%s", suffix);
  return buf;
}

/* base + "v1/<signal>" with exactly one '/' between them. */
static char *append_path(const char *base, const char *signal) {
  size_t len = strlen(base);
  while (len > 0 && base[len - 1] == '/') {
    len--;
  }
  size_t size = len + strlen(signal) + 5;
  char *url = census__malloc(size);
  if (url) {
    snprintf(url, size, "%.*s/v1/%s", (int)len, base, signal);
  }
  return url;
}

/* The gRPC method of a signal's Export call. */
static const char *grpc_method(const char *signal) {
  return strcmp(signal, "metrics") == 0
             ? "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
             : "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
}

/* For gRPC: the scheme and authority of `url` (checked already) followed by the Export method's
 * path; the URL's own path, query and fragment are not used (OTLP/gRPC names no path). */
static char *grpc_url(const char *url, const char *signal) {
  const char *authority = strstr(url, "://");
  size_t end =
      authority ? (size_t)(authority + 3 - url) + strcspn(authority + 3, "/?#") : strlen(url);
  const char *method = grpc_method(signal);
  size_t size = end + strlen(method) + 1;
  char *out = census__malloc(size);
  if (out) {
    snprintf(out, size, "%.*s%s", (int)end, url, method);
  }
  return out;
}

/* A per-signal URL as-is, except that an empty path becomes "/". */
static char *as_is(const char *url) {
  const char *authority = strstr(url, "://");
  bool has_path = authority && strchr(authority + 3, '/') != NULL;
  size_t size = strlen(url) + 2;
  char *out = census__malloc(size);
  if (out) {
    snprintf(out, size, "%s%s", url, has_path || !authority ? "" : "/");
  }
  return out;
}

/* True when the per-signal variable OTEL_EXPORTER_OTLP_<SIGNAL>_<suffix> is unset, so that the
 * generic one applies. */
static bool generic_applies(const char *signal_upper, const char *suffix) {
  char var[96];
  return census__env_string(signal_var(var, sizeof var, signal_upper, suffix)) == NULL;
}

/* True when `previous` already took this setting from the generic variable and it applies to
 * this signal too: copy it instead of reading (and maybe reporting) the variable again. */
static bool reuse(const census_otlp_signal_config *previous, unsigned bit, const char *upper,
                  const char *suffix) {
  return previous && (previous->generic & bit) && generic_applies(upper, suffix);
}

/* Resolves the URL of one signal. CENSUS_EINVAL for a bad option (reported, naming the option),
 * ENOMEM. A bad variable is reported (naming it) and the next source applies. */
static census_status resolve_url(const census_otlp_options *o, const char *signal,
                                 const char *signal_upper,
                                 const census_otlp_signal_config *previous,
                                 census_otlp_signal_config *c) {
  char **url = &c->url;
  const char *api_signal =
      strcmp(signal, "metrics") == 0 ? o->metrics_endpoint : o->traces_endpoint;
  char var[96];
  *url = NULL;
  char why[400];
  if (api_signal) {
    if (!census__url_check(CENSUS_EINVAL, "otlp",
                           strcmp(signal, "metrics") == 0 ? "options.metrics_endpoint"
                                                          : "options.traces_endpoint",
                           api_signal, "the exporter is not started")) {
      return CENSUS_EINVAL;
    }
    *url = as_is(api_signal);
  } else if (o->endpoint) {
    if (!census__url_check(CENSUS_EINVAL, "otlp", "options.endpoint", o->endpoint,
                           "the exporter is not started")) {
      return CENSUS_EINVAL;
    }
    *url = append_path(o->endpoint, signal);
  } else {
    const char *env = census__env_string(signal_var(var, sizeof var, signal_upper, "ENDPOINT"));
    if (env && !census__url_check(CENSUS_ECONFIG, "otlp", var, env,
                                  "ignored: OTEL_EXPORTER_OTLP_ENDPOINT or the default applies")) {
      env = NULL;
    }
    if (env) {
      *url = as_is(env);
    } else {
      const char *base = census__env_string("OTEL_EXPORTER_OTLP_ENDPOINT");
      if (base && !census__url_ok(base, why, sizeof why)) {
        if (!(previous && (previous->generic & CENSUS_OTLP_GENERIC_BAD_ENDPOINT))) {
          census__url_check(CENSUS_ECONFIG, "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", base,
                            c->grpc
                                ? "ignored, using the default " CENSUS_OTLP_DEFAULT_GRPC_ENDPOINT
                                : "ignored, using the default " CENSUS_OTLP_DEFAULT_ENDPOINT);
        }
        c->generic |= CENSUS_OTLP_GENERIC_BAD_ENDPOINT;
        base = NULL;
      }
      const char *fallback =
          c->grpc ? CENSUS_OTLP_DEFAULT_GRPC_ENDPOINT : CENSUS_OTLP_DEFAULT_ENDPOINT;
      *url = append_path(base ? base : fallback, signal);
    }
  }
  if (*url && c->grpc) {
    char *grpc = grpc_url(*url, signal);
    census__free(*url);
    *url = grpc;
  }
  return *url ? CENSUS_OK : CENSUS_ENOMEM;
}

static bool header_text_ok(const char *s) { return s && strpbrk(s, "\r\n") == NULL; }

static bool header_name_ok(const char *s) {
  if (!s || !*s) {
    return false;
  }
  for (; *s; s++) {
    if (*s <= ' ' || *s == ':' || *s >= 127) {
      return false;
    }
  }
  return true;
}

/* Adds or replaces (case-insensitive name) a header line. False on ENOMEM or too many. */
static bool add_header(census_otlp_signal_config *c, const char *name, const char *value) {
  size_t nlen = strlen(name);
  size_t size = nlen + strlen(value) + 3;
  char *line = census__malloc(size);
  if (!line) {
    return false;
  }
  snprintf(line, size, "%s: %s", name, value);
  for (size_t i = 0; i < c->header_count; i++) {
    if (strncasecmp(c->headers[i], name, nlen) == 0 && c->headers[i][nlen] == ':') {
      census__free(c->headers[i]);
      c->headers[i] = line;
      return true;
    }
  }
  if (c->header_count == CENSUS_OTLP_MAX_HEADERS) {
    census__free(line);
    return false;
  }
  c->headers[c->header_count++] = line;
  return true;
}

typedef struct env_header_ctx {
  census_otlp_signal_config *config;
  const char *var;
  bool failed;
} env_header_ctx;

static bool env_header(void *user, const char *key, const char *value) {
  env_header_ctx *ctx = user;
  if (!header_name_ok(key) || !header_text_ok(value)) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: header \"%.100s\" is not a valid HTTP header; skipped", ctx->var,
             key);
    census_diagnostics_report(CENSUS_ECONFIG, msg);
    return true;
  }
  if (!add_header(ctx->config, key, value)) {
    ctx->failed = true;
    return false;
  }
  return true;
}

/* The protocol: the option, else the variable (http/protobuf, http/json, grpc). CENSUS_EINVAL
 * for an unknown option value. */
static census_status resolve_protocol(const census_otlp_options *o, const char *upper,
                                      const census_otlp_signal_config *previous,
                                      census_otlp_signal_config *c) {
  char var[96];
  if (o->protocol == CENSUS_OTLP_HTTP_JSON || o->protocol == CENSUS_OTLP_HTTP_PROTOBUF ||
      o->protocol == CENSUS_OTLP_GRPC) {
    c->json = o->protocol == CENSUS_OTLP_HTTP_JSON;
    c->grpc = o->protocol == CENSUS_OTLP_GRPC;
  } else if (o->protocol != CENSUS_OTLP_PROTOCOL_DEFAULT) {
    return CENSUS_EINVAL;
  } else if (reuse(previous, CENSUS_OTLP_GENERIC_PROTOCOL, upper, "PROTOCOL")) {
    c->json = previous->json;
    c->grpc = previous->grpc;
    c->generic |= CENSUS_OTLP_GENERIC_PROTOCOL;
  } else {
    static const char *const protocols[] = {"http/protobuf", "http/json", "grpc"};
    const char *name =
        pick_var(var, sizeof var, upper, "PROTOCOL", CENSUS_OTLP_GENERIC_PROTOCOL, c);
    size_t p = census__env_choice(name, protocols, 3, 0);
    c->json = p == 1;
    c->grpc = p == 2;
  }
  return CENSUS_OK;
}

/* Compression and the timeout per attempt: the options, else the variables, else none and 10 s.
 * CENSUS_EINVAL for an unknown compression or a negative timeout option. */
static census_status resolve_compression_timeout(const census_otlp_options *o, const char *upper,
                                                 const census_otlp_signal_config *previous,
                                                 census_otlp_signal_config *c) {
  char var[96];
  if (o->compression == CENSUS_OTLP_COMPRESSION_GZIP ||
      o->compression == CENSUS_OTLP_COMPRESSION_NONE) {
    c->gzip = o->compression == CENSUS_OTLP_COMPRESSION_GZIP;
  } else if (o->compression != CENSUS_OTLP_COMPRESSION_DEFAULT) {
    return CENSUS_EINVAL;
  } else if (reuse(previous, CENSUS_OTLP_GENERIC_COMPRESSION, upper, "COMPRESSION")) {
    c->gzip = previous->gzip;
    c->generic |= CENSUS_OTLP_GENERIC_COMPRESSION;
  } else {
    static const char *const compressions[] = {"none", "gzip"};
    const char *name =
        pick_var(var, sizeof var, upper, "COMPRESSION", CENSUS_OTLP_GENERIC_COMPRESSION, c);
    c->gzip = census__env_choice(name, compressions, 2, 0) == 1;
  }
  if (o->timeout_ms < 0) {
    return CENSUS_EINVAL;
  }
  if (o->timeout_ms > 0) {
    c->timeout_ms = o->timeout_ms;
  } else if (reuse(previous, CENSUS_OTLP_GENERIC_TIMEOUT, upper, "TIMEOUT")) {
    c->timeout_ms = previous->timeout_ms;
    c->generic |= CENSUS_OTLP_GENERIC_TIMEOUT;
  } else {
    const char *name = pick_var(var, sizeof var, upper, "TIMEOUT", CENSUS_OTLP_GENERIC_TIMEOUT, c);
    c->timeout_ms = census__env_ms(name, DEFAULT_TIMEOUT_MS);
  }
  if (c->timeout_ms == 0) {
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
  }
  return CENSUS_OK;
}

/* Headers: User-Agent, then the environment's, then the options' (replacing by name). The
 * options are the same for both signals, so when the environment's list is the generic one for
 * both, the other signal's lines are this one's. CENSUS_EINVAL for an option header that is not
 * a valid HTTP header, CENSUS_ENOMEM. */
static census_status resolve_headers(const census_otlp_options *o, const char *upper,
                                     const census_otlp_signal_config *previous,
                                     census_otlp_signal_config *c) {
  char var[96];
  if (reuse(previous, CENSUS_OTLP_GENERIC_HEADERS, upper, "HEADERS")) {
    for (size_t i = 0; i < previous->header_count; i++) {
      c->headers[i] = census__strdup(previous->headers[i]);
      if (!c->headers[i]) {
        return CENSUS_ENOMEM;
      }
      c->header_count = i + 1;
    }
    c->generic |= CENSUS_OTLP_GENERIC_HEADERS;
    return CENSUS_OK;
  }
  char ua[64];
  snprintf(ua, sizeof ua, "OTel-OTLP-Exporter-C/census-%s", census_version());
  if (!add_header(c, "User-Agent", ua)) {
    return CENSUS_ENOMEM;
  }
  env_header_ctx ctx = {
      c, pick_var(var, sizeof var, upper, "HEADERS", CENSUS_OTLP_GENERIC_HEADERS, c), false};
  census__env_kv_list(ctx.var, env_header, &ctx);
  if (ctx.failed) {
    return CENSUS_ENOMEM;
  }
  for (size_t i = 0; i < o->header_count; i++) {
    if (!header_name_ok(o->headers[i].key) || !header_text_ok(o->headers[i].value)) {
      return CENSUS_EINVAL;
    }
    if (!add_header(c, o->headers[i].key, o->headers[i].value)) {
      return CENSUS_ENOMEM;
    }
  }
  return CENSUS_OK;
}

census_status census__otlp_config_resolve(const census_otlp_options *o, const char *signal,
                                          const census_otlp_signal_config *previous,
                                          census_otlp_signal_config *c) {
  const char *upper = strcmp(signal, "metrics") == 0 ? "METRICS" : "TRACES";
  memset(c, 0, sizeof *c);
  /* The protocol first: it decides the default endpoint and the URL's path. */
  census_status st = resolve_protocol(o, upper, previous, c);
  if (st == CENSUS_OK) {
    st = resolve_url(o, signal, upper, previous, c);
  }
  if (st == CENSUS_OK) {
    st = resolve_compression_timeout(o, upper, previous, c);
  }
  if (st == CENSUS_OK) {
    st = resolve_headers(o, upper, previous, c);
  }
  return st;
}

/* census distributions have explicit bounds, so the OTLP preference for exponential histograms
 * cannot be honoured: say so once per exporter instead of silently exporting something else than
 * asked. (The temporality preference is honoured: otlp_delta.c.) */
void census__otlp_report_unsupported_metric_preferences(void) {
  static const char *const histograms[] = {"explicit_bucket_histogram",
                                           "base2_exponential_bucket_histogram"};
  const char *histogram = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
  if (census__env_choice(histogram, histograms, 2, 0) != 0) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "otlp: OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION asks "
                              "for exponential histograms; census distributions have explicit "
                              "bounds, so it is ignored");
  }
}
