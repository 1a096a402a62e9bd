/* otlp_exporter.c - the OTLP/HTTP exporter: configuration, registration with census, delivery
 * through one census_http_sender per signal (see census/exporters/otlp.h).
 *
 * Threads: census's export worker calls export_views/export_spans, which only encode and submit
 * (census__http_sender_submit never blocks on the network); each sender's own thread does HTTP
 * and retries and calls classify(). Metric snapshots are cumulative, so they are submitted with
 * supersede_key 1: a newer snapshot replaces a queued older one and nothing is lost. Span
 * batches are never superseded.
 *
 * Ownership and lifetime: the handle is reference-counted: one reference for the caller and one
 * per registered signal. A signal's shutdown callback (run by census at unregistration or at
 * census_shutdown()) flushes and frees that signal's sender, keeps its final counters, and drops
 * its reference; census_otlp_exporter_stop() drops the caller's. The last reference frees the
 * resource and the handle. `lock` guards each signal's `sender` pointer and final counters, so
 * census_otlp_exporter_stats() can run concurrently with a shutdown.
 *
 * Configuration precedence, per setting: API option > per-signal environment variable > generic
 * environment variable > default. A malformed variable is reported once (by env_config) and its
 * default used; a malformed option is CENSUS_EINVAL.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "census/exporters/otlp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "env_config.h"
#include "http_sender.h"
#include "otlp_config.h"
#include "otlp_encode.h"
#include "otlp_response.h"
#include "resource.h"
#include "url.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_SPANS 512

typedef struct otlp_signal {
  struct census_otlp_exporter *owner;
  const char *name; /* "metrics" or "traces" */
  bool enabled;
  bool json;
  size_t max_spans;           /* traces: spans per request */
  census_http_sender *sender; /* guarded by owner->lock once registered */
  bool stopped;               /* the shutdown callback ran; `final` holds the counters */
  census_status flush_status;
  census_otlp_signal_stats final;
} otlp_signal;

struct census_otlp_exporter {
  pthread_mutex_t lock;
  atomic_int refs;
  census_resource *resource;
  otlp_signal metrics;
  otlp_signal traces;
};

/* ---- Configuration -------------------------------------------------------------------------- */

void census__otlp_config_free(census_otlp_signal_config *c) {
  free(c->url);
  for (size_t i = 0; i < c->header_count; i++) {
    free(c->headers[i]);
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
  char *url = malloc(size);
  if (url) {
    snprintf(url, size, "%.*s/v1/%s", (int)len, base, signal);
  }
  return url;
}

/* A per-signal URL as-is, except that an empty path becomes "/". */
static char *as_is(const char *url) {
  const char *authority = strstr(url, "://");
  bool has_path = authority && strchr(authority + 3, '/') != NULL;
  size_t size = strlen(url) + 2;
  char *out = malloc(size);
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
                            "ignored, using the default " CENSUS_OTLP_DEFAULT_ENDPOINT);
        }
        c->generic |= CENSUS_OTLP_GENERIC_BAD_ENDPOINT;
        base = NULL;
      }
      *url = append_path(base ? base : CENSUS_OTLP_DEFAULT_ENDPOINT, signal);
    }
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
  char *line = malloc(size);
  if (!line) {
    return false;
  }
  snprintf(line, size, "%s: %s", name, value);
  for (size_t i = 0; i < c->header_count; i++) {
    if (strncasecmp(c->headers[i], name, nlen) == 0 && c->headers[i][nlen] == ':') {
      free(c->headers[i]);
      c->headers[i] = line;
      return true;
    }
  }
  if (c->header_count == CENSUS_OTLP_MAX_HEADERS) {
    free(line);
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

census_status census__otlp_config_resolve(const census_otlp_options *o, const char *signal,
                                          const census_otlp_signal_config *previous,
                                          census_otlp_signal_config *c) {
  const char *upper = strcmp(signal, "metrics") == 0 ? "METRICS" : "TRACES";
  char var[96];
  memset(c, 0, sizeof *c);
  census_status st = resolve_url(o, signal, upper, previous, c);
  if (st != CENSUS_OK) {
    return st;
  }

  /* Protocol. */
  if (o->protocol == CENSUS_OTLP_HTTP_JSON || o->protocol == CENSUS_OTLP_HTTP_PROTOBUF) {
    c->json = o->protocol == CENSUS_OTLP_HTTP_JSON;
  } else if (o->protocol != CENSUS_OTLP_PROTOCOL_DEFAULT) {
    return CENSUS_EINVAL;
  } else if (reuse(previous, CENSUS_OTLP_GENERIC_PROTOCOL, upper, "PROTOCOL")) {
    c->json = previous->json;
    c->generic |= CENSUS_OTLP_GENERIC_PROTOCOL;
  } else {
    static const char *const protocols[] = {"http/protobuf", "http/json", "grpc"};
    const char *name =
        pick_var(var, sizeof var, upper, "PROTOCOL", CENSUS_OTLP_GENERIC_PROTOCOL, c);
    size_t p = census__env_choice(name, protocols, 3, 0);
    if (p == 2) {
      char msg[160];
      snprintf(msg, sizeof msg, "%s=grpc: census exports OTLP over HTTP only; using http/protobuf",
               name);
      census_diagnostics_report(CENSUS_ECONFIG, msg);
    }
    c->json = p == 1;
  }

  /* Compression. */
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

  /* Timeout. */
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

  /* Headers: User-Agent, then the environment's, then the options' (replacing by name). The
   * options are the same for both signals, so when the environment's list is the generic one
   * for both, the other signal's lines are this one's. */
  if (reuse(previous, CENSUS_OTLP_GENERIC_HEADERS, upper, "HEADERS")) {
    for (size_t i = 0; i < previous->header_count; i++) {
      c->headers[i] = strdup(previous->headers[i]);
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
    if (!header_name_ok(o->headers[i].name) || !header_text_ok(o->headers[i].value)) {
      return CENSUS_EINVAL;
    }
    if (!add_header(c, o->headers[i].name, o->headers[i].value)) {
      return CENSUS_ENOMEM;
    }
  }
  return CENSUS_OK;
}

/* ---- Reference counting and counters --------------------------------------------------------- */

static void exporter_release(census_otlp_exporter *e) {
  if (atomic_fetch_sub(&e->refs, 1) != 1) {
    return;
  }
  census__resource_free(e->resource);
  pthread_mutex_destroy(&e->lock);
  free(e);
}

static void copy_stats(census_otlp_signal_stats *out, const census_http_stats *in) {
  out->requests_delivered = in->requests_delivered;
  out->attempts = in->attempts;
  out->retries = in->retries;
  out->items_delivered = in->items_delivered;
  out->items_rejected = in->items_rejected;
  out->items_dropped = in->items_dropped;
  out->requests_superseded = in->requests_superseded;
  out->requests_dropped = in->requests_dropped;
  out->requests_spooled = in->requests_spooled;
  out->items_spooled = in->items_spooled;
  out->requests_from_spool = in->requests_from_spool;
  out->items_from_spool = in->items_from_spool;
}

/* ---- Callbacks ------------------------------------------------------------------------------ */

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  otlp_signal *s = user;
  return census__otlp_classify(response, s->json, s->name, rejected, message, message_size);
}

/* Items lost before the sender (encoding out of memory): counted in the sender's drop counters
 * (one set of counters, which a fork resets), reported, and recorded in the self-metric
 * census/exporter_dropped_items under the sender's name ("otlp metrics", "otlp traces"), like the
 * sender's own drops. */
static void encode_dropped(otlp_signal *s, uint64_t items) {
  census__http_sender_drop_unsent(s->sender, items, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY,
                                  "otlp: out of memory encoding a request; dropped");
}

/* Hands one encoded body to the sender (which owns it from then on). */
static census_status submit(otlp_signal *s, census_buf *buf, uint64_t items,
                            uint64_t supersede_key) {
  size_t len = 0;
  char *body = census__buf_take(buf, &len);
  if (!body) {
    encode_dropped(s, items);
    return CENSUS_ENOMEM;
  }
  census_status st = census__http_sender_submit(s->sender, body, len, items, supersede_key);
  /* ELIMIT: an older request was dropped to make room; counted and reported by the sender. */
  return st == CENSUS_ELIMIT ? CENSUS_OK : st;
}

static census_status export_views(void *user, const census_view_data *const *views, size_t count) {
  otlp_signal *s = user;
  census_buf buf = CENSUS_BUF_INIT;
  uint64_t points = 0;
  census_status st =
      census__otlp_encode_metrics(views, count, s->owner->resource, s->json, &buf, &points);
  if (st != CENSUS_OK || points == 0) {
    census__buf_free(&buf);
    if (st != CENSUS_OK) {
      encode_dropped(s, points);
    }
    return st;
  }
  return submit(s, &buf, points, 1);
}

static census_status export_spans(void *user, const census_span_data *const *spans, size_t count) {
  otlp_signal *s = user;
  census_status result = CENSUS_OK;
  for (size_t i = 0; i < count; i += s->max_spans) {
    size_t n = count - i < s->max_spans ? count - i : s->max_spans;
    census_buf buf = CENSUS_BUF_INIT;
    census_status st = census__otlp_encode_spans(spans + i, n, s->owner->resource, s->json, &buf);
    if (st == CENSUS_OK) {
      st = submit(s, &buf, n, 0);
    } else {
      census__buf_free(&buf);
      encode_dropped(s, n);
    }
    if (st != CENSUS_OK && result == CENSUS_OK) {
      result = st;
    }
  }
  return result;
}

static census_status signal_flush(void *user, int64_t timeout_ms) {
  otlp_signal *s = user;
  return census__http_sender_flush(s->sender, timeout_ms);
}

/* Flushes and frees the signal's sender, keeping its final counters (which include what the
 * deadline made the sender drop). While the sender is being closed, readers see the counters as
 * they were when it was taken off the signal. */
static void signal_shutdown(void *user, int64_t timeout_ms) {
  otlp_signal *s = user;
  census_otlp_exporter *e = s->owner;
  census_status flushed = census__http_sender_flush(s->sender, timeout_ms);
  census_http_stats hs;
  census__http_sender_stats(s->sender, &hs);
  pthread_mutex_lock(&e->lock);
  census_http_sender *sender = s->sender;
  copy_stats(&s->final, &hs);
  s->flush_status = flushed;
  s->stopped = true;
  s->sender = NULL;
  pthread_mutex_unlock(&e->lock);
  census_status closed = census__http_sender_close(sender, 0, &hs);
  pthread_mutex_lock(&e->lock);
  copy_stats(&s->final, &hs);
  if (s->flush_status == CENSUS_OK) {
    s->flush_status = closed; /* a request submitted after the flush, left at the deadline */
  }
  pthread_mutex_unlock(&e->lock);
  exporter_release(e);
}

/* ---- Public -----------------------------------------------------------------------------------
 */

static census_status start_sender(otlp_signal *s, const census_otlp_options *o,
                                  const census_otlp_signal_config *c) {
  char name[32];
  snprintf(name, sizeof name, "otlp %s", s->name);
  census_http_sender_config sc;
  memset(&sc, 0, sizeof sc);
  sc.name = name;
  sc.url = c->url;
  sc.headers = (const char *const *)c->headers;
  sc.header_count = c->header_count;
  sc.content_type = c->json ? "application/json" : "application/x-protobuf";
  sc.gzip = c->gzip;
  sc.timeout_ms = c->timeout_ms;
  sc.initial_backoff_ms = o->initial_backoff_ms;
  sc.max_backoff_ms = o->max_backoff_ms;
  sc.max_elapsed_ms = o->max_elapsed_ms;
  sc.max_queued = o->max_queued_requests;
  sc.classify = classify;
  sc.user = s;
  sc.spool_dir = o->spool_dir;
  sc.spool_max_bytes = o->spool_max_bytes;
  sc.service_name = census__resource_get(s->owner->resource, "service.name");
  s->json = c->json;
  census_status st = CENSUS_OK;
  s->sender = census__http_sender_new(&sc, &st);
  return s->sender ? CENSUS_OK : (st != CENSUS_OK ? st : CENSUS_ESYSTEM);
}

/* census views are cumulative and their distributions have explicit bounds, so the OTLP metric
 * preferences for delta temporality or exponential histograms cannot be honoured: say so once
 * per exporter instead of silently exporting something else than asked. */
static void report_unsupported_metric_preferences(void) {
  static const char *const temporalities[] = {"cumulative", "delta", "lowmemory"};
  static const char *const histograms[] = {"explicit_bucket_histogram",
                                           "base2_exponential_bucket_histogram"};
  const char *temporality = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
  const char *histogram = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
  if (census__env_choice(temporality, temporalities, 3, 0) != 0) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "otlp: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for "
                              "delta temporality; census exports cumulative data only (OpenCensus "
                              "views are cumulative), so it is ignored");
  }
  if (census__env_choice(histogram, histograms, 2, 0) != 0) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "otlp: OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION asks "
                              "for exponential histograms; census distributions have explicit "
                              "bounds, so it is ignored");
  }
}

census_status census_otlp_exporter_start(const census_otlp_options *options,
                                         census_otlp_exporter **out) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  *out = NULL;
  census_otlp_options o;
  if (options) {
    o = *options;
  } else {
    memset(&o, 0, sizeof o);
  }
  if ((o.headers == NULL && o.header_count > 0) ||
      (o.resource_attributes == NULL && o.resource_attribute_count > 0) ||
      (o.signals & ~(CENSUS_OTLP_SIGNAL_METRICS | CENSUS_OTLP_SIGNAL_TRACES)) ||
      o.initial_backoff_ms < 0 || o.max_backoff_ms < 0 || o.max_elapsed_ms < 0) {
    return CENSUS_EINVAL;
  }
  unsigned signals = o.signals ? o.signals : CENSUS_OTLP_SIGNAL_METRICS | CENSUS_OTLP_SIGNAL_TRACES;

  census_otlp_exporter *e = calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  pthread_mutex_init(&e->lock, NULL);
  atomic_init(&e->refs, 1);
  e->metrics.owner = e->traces.owner = e;
  e->metrics.name = "metrics";
  e->traces.name = "traces";
  e->metrics.enabled = (signals & CENSUS_OTLP_SIGNAL_METRICS) != 0;
  e->traces.enabled = (signals & CENSUS_OTLP_SIGNAL_TRACES) != 0;
  e->traces.max_spans = o.max_spans_per_request ? o.max_spans_per_request : DEFAULT_MAX_SPANS;

  census_status st = CENSUS_OK;
  census_resource_kv *attrs = NULL;
  if (o.resource_attribute_count) {
    attrs = calloc(o.resource_attribute_count, sizeof *attrs);
    if (!attrs) {
      st = CENSUS_ENOMEM;
    }
    for (size_t i = 0; attrs && i < o.resource_attribute_count; i++) {
      if (!o.resource_attributes[i].name || !o.resource_attributes[i].value) {
        st = CENSUS_EINVAL;
      }
      attrs[i].key = o.resource_attributes[i].name;
      attrs[i].value = o.resource_attributes[i].value;
    }
  }
  if (st == CENSUS_OK) {
    e->resource = census__resource_build(o.service_name, attrs, o.resource_attribute_count, &st);
    if (!e->resource && st == CENSUS_OK) {
      st = CENSUS_ENOMEM;
    }
  }
  free(attrs);

  if (e->metrics.enabled) {
    report_unsupported_metric_preferences();
  }

  /* Resolve both configurations before starting anything, so a bad option starts nothing. */
  census_otlp_signal_config mc, tc;
  memset(&mc, 0, sizeof mc);
  memset(&tc, 0, sizeof tc);
  if (st == CENSUS_OK && e->metrics.enabled) {
    st = census__otlp_config_resolve(&o, "metrics", NULL, &mc);
  }
  if (st == CENSUS_OK && e->traces.enabled) {
    st = census__otlp_config_resolve(&o, "traces", e->metrics.enabled ? &mc : NULL, &tc);
  }
  if (st == CENSUS_OK && e->metrics.enabled) {
    st = start_sender(&e->metrics, &o, &mc);
  }
  if (st == CENSUS_OK && e->traces.enabled) {
    st = start_sender(&e->traces, &o, &tc);
  }
  census__otlp_config_free(&mc);
  census__otlp_config_free(&tc);

  /* Register; each registration holds a reference that its shutdown callback releases. */
  bool metrics_registered = false;
  if (st == CENSUS_OK && e->metrics.enabled) {
    census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                     .export_views = export_views,
                                     .flush = signal_flush,
                                     .shutdown = signal_shutdown};
    atomic_fetch_add(&e->refs, 1);
    st = census_stats_exporter_register(&ops, &e->metrics);
    if (st != CENSUS_OK) {
      atomic_fetch_sub(&e->refs, 1);
    } else {
      metrics_registered = true;
    }
  }
  if (st == CENSUS_OK && e->traces.enabled) {
    census_span_exporter_ops ops = {.size = sizeof(census_span_exporter_ops),
                                    .export_spans = export_spans,
                                    .flush = signal_flush,
                                    .shutdown = signal_shutdown};
    atomic_fetch_add(&e->refs, 1);
    st = census_span_exporter_register(&ops, &e->traces);
    if (st != CENSUS_OK) {
      atomic_fetch_sub(&e->refs, 1);
    }
  }
  if (st != CENSUS_OK) {
    if (metrics_registered) {
      census_stats_exporter_unregister(&e->metrics, 0); /* its shutdown frees the sender */
    } else {
      census__http_sender_free(e->metrics.sender, 0);
    }
    census__http_sender_free(e->traces.sender, 0);
    exporter_release(e);
    return st;
  }
  *out = e;
  return CENSUS_OK;
}

census_status census_otlp_exporter_stats(census_otlp_exporter *exporter, census_otlp_stats *stats) {
  if (!exporter || !stats) {
    return CENSUS_EINVAL;
  }
  memset(stats, 0, sizeof *stats);
  pthread_mutex_lock(&exporter->lock);
  otlp_signal *signals[2] = {&exporter->metrics, &exporter->traces};
  census_otlp_signal_stats *outs[2] = {&stats->metrics, &stats->traces};
  for (int i = 0; i < 2; i++) {
    if (signals[i]->stopped) {
      *outs[i] = signals[i]->final;
    } else if (signals[i]->sender) {
      census_http_stats hs;
      census__http_sender_stats(signals[i]->sender, &hs);
      copy_stats(outs[i], &hs);
    }
  }
  pthread_mutex_unlock(&exporter->lock);
  return CENSUS_OK;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

census_status census_otlp_exporter_stop(census_otlp_exporter *exporter, int64_t timeout_ms) {
  if (!exporter) {
    return CENSUS_EINVAL; /* as every push exporter's _stop() */
  }
  if (timeout_ms < 0) {
    timeout_ms = 0;
  }
  int64_t deadline = now_ms() + timeout_ms;
  /* Unregistering makes the final export and runs signal_shutdown(); ENOTFOUND/ESHUTDOWN mean
   * census_shutdown() already did. Traces first: their final batch is then on its way while the
   * metrics' final snapshot is encoded. */
  if (exporter->traces.enabled) {
    int64_t left = deadline - now_ms();
    census_span_exporter_unregister(&exporter->traces, left > 0 ? left : 0);
  }
  if (exporter->metrics.enabled) {
    int64_t left = deadline - now_ms();
    census_stats_exporter_unregister(&exporter->metrics, left > 0 ? left : 0);
  }
  /* CENSUS_ETIMEDOUT from either signal wins over CENSUS_EEXPORT from either. */
  census_status result = CENSUS_OK;
  pthread_mutex_lock(&exporter->lock);
  otlp_signal *signals[2] = {&exporter->metrics, &exporter->traces};
  for (int i = 0; i < 2; i++) {
    otlp_signal *s = signals[i];
    if (!s->stopped) {
      continue;
    }
    if (s->flush_status == CENSUS_ETIMEDOUT) {
      result = CENSUS_ETIMEDOUT;
    } else if (result == CENSUS_OK && (s->flush_status != CENSUS_OK || s->final.items_dropped ||
                                       s->final.items_rejected)) {
      result = CENSUS_EEXPORT;
    }
  }
  pthread_mutex_unlock(&exporter->lock);
  exporter_release(exporter);
  return result;
}
