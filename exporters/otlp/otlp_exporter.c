/* otlp_exporter.c - the OTLP/HTTP exporter (see census/exporters/otlp.h): two push exporters
 * (exporters/http/push_exporter.h, the skeleton every push exporter rides), one per signal, whose
 * encoders are otlp_encode.c's, with the configuration of otlp_config.c and the response
 * classification of otlp_response.c.
 *
 * Threads: census's export worker calls the skeleton's export callbacks, which call the encoders
 * here; each signal's sender delivers from its own thread and calls classify(). Metric snapshots
 * are cumulative and each is one request, so they are submitted with supersede key 1: a newer
 * snapshot replaces a queued older one and nothing is lost. Span batches are never superseded.
 *
 * Ownership and lifetime: the handle is reference-counted: one reference for the caller and one
 * per started signal, which that signal's free_user (called by the skeleton at its shutdown,
 * after its sender is closed) releases, since the encoders use the handle's resource until then.
 * census_otlp_exporter_stop() stops both signals (traces first: their final batch is on its way
 * while the final metrics snapshot is encoded) within one deadline and drops the caller's
 * reference; the last one frees the resource and the handle.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "census/exporters/otlp.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "options.h"
#include "otlp_config.h"
#include "otlp_delta.h"
#include "otlp_encode.h"
#include "otlp_response.h"
#include "push_exporter.h"
#include "registration.h"
#include "resource.h"
#include "alloc.h"

typedef struct otlp_signal {
  struct census_otlp_exporter *owner;
  const char *name; /* "metrics" or "traces" */
  bool json;
  bool grpc;
  census_push_exporter *push; /* NULL when the signal is not exported */
} otlp_signal;

struct census_otlp_exporter {
  atomic_int refs;
  census_resource *resource;
  census_otlp_delta *delta; /* NULL: cumulative metrics */
  otlp_signal metrics;
  otlp_signal traces;
};

static void exporter_release(census_otlp_exporter *e) {
  if (atomic_fetch_sub(&e->refs, 1) != 1) {
    return;
  }
  census__resource_free(e->resource);
  census__otlp_delta_free(e->delta);
  census__free(e);
}

/* A signal's free_user: its push exporter no longer uses the handle. */
static void signal_release(void *user) {
  otlp_signal *s = user;
  exporter_release(s->owner);
}

/* ---- the skeleton's callbacks --------------------------------------------------------------- */

static census_http_verdict classify(void *user, const census_http_response *response,
                                    uint64_t *rejected, char *message, size_t message_size) {
  otlp_signal *s = user;
  if (s->grpc) {
    return census__otlp_classify_grpc(response, s->name, rejected, message, message_size);
  }
  return census__otlp_classify(response, s->json, s->name, rejected, message, message_size);
}

/* One ExportMetricsServiceRequest of every view with rows (no request when none has). With delta
 * temporality, the exporter's queued request is withdrawn first and the deltas prepared from the
 * baselines that its fate decides (otlp_delta.h); the values sent become the submitted baseline
 * only once the sender took the request. */
static census_status encode_views(void *user, const census_view_data *const *views, size_t count,
                                  census_push_round *round) {
  otlp_signal *s = user;
  census_otlp_delta *delta = s->owner->delta;
  census_buf buf = CENSUS_BUF_INIT;
  uint64_t points = 0;
  const census_otlp_view_points *const *prepared = NULL;
  census_status st = CENSUS_OK;
  if (delta) {
    st = census__otlp_delta_prepare(delta, views, count, census__push_withdraw(round), &prepared);
  }
  if (st == CENSUS_OK) {
    st = census__otlp_encode_metrics_points(views, prepared, count, s->owner->resource, s->json,
                                            &buf, &points);
  }
  if (st != CENSUS_OK) {
    buf.failed = true; /* dropped by the skeleton as out of memory */
  }
  if (points > 0) {
    st = census__push_submit(round, &buf, points);
    if (delta && st == CENSUS_OK) {
      census__otlp_delta_submitted(delta);
    }
  }
  census__buf_free(&buf);
  return st;
}

static census_status encode_spans(void *user, const census_span_data *const *spans, size_t count,
                                  census_buf *out) {
  otlp_signal *s = user;
  return census__otlp_encode_spans(spans, count, s->owner->resource, s->json, out);
}

/* ---- start, stats, stop --------------------------------------------------------------------- */

/* Starts the push exporter of signal `s` with its resolved configuration `c`. */
static census_status start_signal(otlp_signal *s, const census_otlp_options *o,
                                  const census_otlp_signal_config *c) {
  char name[32];
  snprintf(name, sizeof name, "otlp %s", s->name);
  bool metrics = strcmp(s->name, "metrics") == 0;
  census_push_config config = {
      .name = name,
      .encode_views = metrics ? encode_views : NULL,
      .encode_spans = metrics ? NULL : encode_spans,
      .supersede_key = metrics ? 1 : 0,
      .max_spans_per_request = o->max_spans_per_request,
      .http = {.url = c->url,
               .headers = (const char *const *)c->headers,
               .header_count = c->header_count,
               .content_type = c->grpc   ? "application/grpc"
                               : c->json ? "application/json"
                                         : "application/x-protobuf",
               .grpc = c->grpc,
               .gzip = c->gzip,
               .timeout_ms = c->timeout_ms,
               .initial_backoff_ms = o->initial_backoff_ms,
               .max_backoff_ms = o->max_backoff_ms,
               .max_elapsed_ms = o->max_elapsed_ms,
               .max_queued = o->max_queued_requests,
               .classify = classify,
               .spool_dir = o->spool_dir,
               .spool_max_bytes = o->spool_max_bytes,
               .service_name = census__resource_get(s->owner->resource, "service.name")},
      .user = s,
      .free_user = signal_release};
  s->json = c->json;
  s->grpc = c->grpc;
  census_status st = CENSUS_OK;
  atomic_fetch_add(&s->owner->refs, 1); /* the signal's, released by signal_release() */
  s->push = census__push_start(&config, &st);
  if (!s->push) {
    atomic_fetch_sub(&s->owner->refs, 1);
  }
  return st;
}

/* The resource: detected attributes, OTEL_RESOURCE_ATTRIBUTES, the options' attributes,
 * OTEL_SERVICE_NAME, the service_name option (resource.h). */
static census_status build_resource(census_otlp_exporter *e, const census_otlp_options *o) {
  census_status st = CENSUS_OK;
  census_resource_kv *attrs = NULL;
  if (o->resource_attribute_count) {
    attrs = census__calloc(o->resource_attribute_count, sizeof *attrs);
    if (!attrs) {
      return CENSUS_ENOMEM;
    }
    for (size_t i = 0; i < o->resource_attribute_count; i++) {
      if (!o->resource_attributes[i].key || !o->resource_attributes[i].value) {
        st = CENSUS_EINVAL;
      }
      attrs[i].key = o->resource_attributes[i].key;
      attrs[i].value = o->resource_attributes[i].value;
    }
  }
  if (st == CENSUS_OK) {
    e->resource = census__resource_build(o->service_name, attrs, o->resource_attribute_count, &st);
    st = e->resource || st != CENSUS_OK ? st : CENSUS_ENOMEM;
  }
  census__free(attrs);
  return st;
}

/* Resolves both signals' configurations before starting anything, so a bad option starts
 * nothing, then starts them (metrics first). */
static census_status start_signals(census_otlp_exporter *e, const census_otlp_options *o,
                                   unsigned signals) {
  bool metrics = signals & CENSUS_OTLP_SIGNAL_METRICS, traces = signals & CENSUS_OTLP_SIGNAL_TRACES;
  census_otlp_signal_config mc, tc;
  memset(&mc, 0, sizeof mc);
  memset(&tc, 0, sizeof tc);
  census_status st = CENSUS_OK;
  census_otlp_temporality temporality = CENSUS_OTLP_TEMPORALITY_CUMULATIVE;
  if (metrics) {
    census__otlp_report_unsupported_metric_preferences();
    st = census__otlp_temporality_resolve(o->temporality, &temporality);
  }
  if (st == CENSUS_OK && metrics) {
    st = census__otlp_config_resolve(o, "metrics", NULL, &mc);
  }
  if (st == CENSUS_OK && temporality != CENSUS_OTLP_TEMPORALITY_CUMULATIVE) {
    e->delta = census__otlp_delta_new(temporality);
    st = e->delta ? CENSUS_OK : CENSUS_ENOMEM;
  }
  if (st == CENSUS_OK && traces) {
    st = census__otlp_config_resolve(o, "traces", metrics ? &mc : NULL, &tc);
  }
  if (st == CENSUS_OK && metrics) {
    st = start_signal(&e->metrics, o, &mc);
  }
  if (st == CENSUS_OK && traces) {
    st = start_signal(&e->traces, o, &tc);
  }
  census__otlp_config_free(&mc);
  census__otlp_config_free(&tc);
  return st;
}

census_status census_otlp_exporter_start(const census_otlp_options *options,
                                         census_otlp_exporter **out) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  *out = NULL;
  census_otlp_options o;
  census_status st = CENSUS_OPTIONS_COPY(&o, options, "otlp", otlp, OTLP);
  if (st != CENSUS_OK) {
    return st;
  }
  if ((o.headers == NULL && o.header_count > 0) ||
      (o.resource_attributes == NULL && o.resource_attribute_count > 0) ||
      (o.signals & ~(CENSUS_OTLP_SIGNAL_METRICS | CENSUS_OTLP_SIGNAL_TRACES)) ||
      o.initial_backoff_ms < 0 || o.max_backoff_ms < 0 || o.max_elapsed_ms < 0) {
    return CENSUS_EINVAL;
  }
  census_otlp_exporter *e = census__calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  atomic_init(&e->refs, 1);
  e->metrics = (otlp_signal){.owner = e, .name = "metrics"};
  e->traces = (otlp_signal){.owner = e, .name = "traces"};
  st = build_resource(e, &o);
  if (st == CENSUS_OK) {
    st = start_signals(
        e, &o, o.signals ? o.signals : CENSUS_OTLP_SIGNAL_METRICS | CENSUS_OTLP_SIGNAL_TRACES);
  }
  if (st != CENSUS_OK) {
    census__push_stop(e->metrics.push, 0); /* a started signal: nothing was exported yet */
    exporter_release(e);
    return st;
  }
  *out = e;
  return CENSUS_OK;
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

census_status census_otlp_exporter_stats(census_otlp_exporter *exporter, census_otlp_stats *stats) {
  if (!exporter || !stats) {
    return CENSUS_EINVAL;
  }
  memset(stats, 0, sizeof *stats);
  census_http_stats hs;
  if (census__push_stats(exporter->metrics.push, &hs) == CENSUS_OK) {
    copy_stats(&stats->metrics, &hs);
  }
  if (census__push_stats(exporter->traces.push, &hs) == CENSUS_OK) {
    copy_stats(&stats->traces, &hs);
  }
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
  int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  census_status result = CENSUS_OK;
  /* Traces first: their final batch is on its way while the final snapshot is encoded. */
  otlp_signal *signals[2] = {&exporter->traces, &exporter->metrics};
  for (int i = 0; i < 2; i++) {
    if (signals[i]->push) {
      int64_t left = deadline - now_ms();
      /* CENSUS_ETIMEDOUT from either signal wins over CENSUS_EEXPORT from either. */
      result =
          census__status_worst(result, census__push_stop(signals[i]->push, left > 0 ? left : 0));
    }
  }
  exporter_release(exporter);
  return result;
}
