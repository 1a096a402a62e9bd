/* zipkin_exporter.c - the Zipkin exporter: a push exporter (exporters/http/
 * push_exporter.h, the skeleton every push exporter rides) whose encoder is zipkin_encode.c. What
 * is Zipkin's own here: the options (endpoint and timeout with their OTEL_EXPORTER_ZIPKIN_*
 * fallbacks, the local endpoint with the resource's service name) and the mapping of the delivery
 * counters; batching, the sending thread, the handle's lifetime (reference-counted: after
 * census_shutdown() _stats() gives the final counters and _stop() only frees) and shutdown are the
 * push exporter's.
 *
 * Responses: the push exporter's default classification: 2xx delivered (Zipkin answers 202);
 * 429, 5xx and transport failures retried; any other status is a permanent failure whose spans
 * are counted as dropped, with the status and the start of the body reported.
 *
 * The public handle is the push exporter's handle, converted to census_zipkin_exporter.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/exporters/zipkin.h"
#include "env_config.h"
#include "options.h"
#include "resource.h"
#include "push_exporter.h"
#include "url.h"
#include "zipkin_internal.h"
#include "alloc.h"

/* Zipkin's own state (the push exporter's `user`): the localEndpoint of every span. */
typedef struct zipkin_state {
  char *service_name;
  char *ipv4;
  char *ipv6;
  uint16_t port;
} zipkin_state;

static census_push_exporter *push_of(census_zipkin_exporter *exporter) {
  return (census_push_exporter *)exporter;
}

/* A copy of s, NULL for NULL or "" (the field is then omitted); sets *failed if out of memory. */
static char *dup_or_null(const char *s, bool *failed) {
  if (!s || !*s)
    return NULL;
  char *copy = census__strdup(s);
  if (!copy)
    *failed = true;
  return copy;
}

/* Encode callback (census's export worker). */
static census_status zipkin_encode(void *user, const census_span_data *const *spans, size_t count,
                                   census_buf *out) {
  const zipkin_state *z = user;
  census_zipkin_endpoint local = {z->service_name, z->ipv4, z->ipv6, z->port};
  return census__zipkin_encode(spans, count, &local, out);
}

static void state_free(void *user) {
  zipkin_state *z = user;
  if (!z)
    return;
  census__free(z->service_name);
  census__free(z->ipv4);
  census__free(z->ipv6);
  census__free(z);
}

/* The local endpoint from the options, the service name through the resource (option, else
 * OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, else unknown_service:<executable>). NULL with
 * *status set on error. */
static zipkin_state *state_new(const census_zipkin_options *o, census_status *status) {
  zipkin_state *z = census__calloc(1, sizeof *z);
  if (!z) {
    *status = CENSUS_ENOMEM;
    return NULL;
  }
  census_resource *resource = census__resource_build(o->service_name, NULL, 0, status);
  if (!resource) {
    census__free(z);
    if (*status == CENSUS_OK)
      *status = CENSUS_ENOMEM;
    return NULL;
  }
  bool failed = false;
  z->service_name = dup_or_null(census__resource_get(resource, "service.name"), &failed);
  census__resource_free(resource);
  z->ipv4 = dup_or_null(o->local_ipv4, &failed);
  z->ipv6 = dup_or_null(o->local_ipv6, &failed);
  z->port = o->local_port;
  if (failed) {
    state_free(z);
    *status = CENSUS_ENOMEM;
    return NULL;
  }
  return z;
}

CENSUS_EXPORT census_status census_zipkin_exporter_start(const census_zipkin_options *options,
                                                         census_zipkin_exporter **exporter) {
  if (!exporter)
    return CENSUS_EINVAL;
  *exporter = NULL;
  census_zipkin_options o;
  if (CENSUS_OPTIONS_COPY(&o, options, "zipkin", zipkin, ZIPKIN) != CENSUS_OK)
    return CENSUS_EINVAL;

  /* The option (refused when malformed), else the variable (ignored when malformed, as every
   * variable is), else the default. */
  const char *url = NULL;
  if (o.endpoint && *o.endpoint) {
    if (!census__url_check(CENSUS_EINVAL, "zipkin", "options.endpoint", o.endpoint,
                           "the exporter is not started"))
      return CENSUS_EINVAL;
    url = o.endpoint;
  } else {
    url = census__env_string("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
    if (url && !census__url_check(CENSUS_ECONFIG, "zipkin", "OTEL_EXPORTER_ZIPKIN_ENDPOINT", url,
                                  "ignored, using the default " CENSUS_ZIPKIN_DEFAULT_ENDPOINT))
      url = NULL;
  }
  if (!url)
    url = CENSUS_ZIPKIN_DEFAULT_ENDPOINT;
  census_status status = CENSUS_OK;
  int64_t timeout_ms =
      o.timeout_ms > 0 ? o.timeout_ms : census__env_ms("OTEL_EXPORTER_ZIPKIN_TIMEOUT", 10000);
  if (timeout_ms <= 0)
    timeout_ms = 10000;

  zipkin_state *z = state_new(&o, &status);
  if (!z)
    return status;
  census_push_config config = {
      .name = "zipkin",
      .encode_spans = zipkin_encode,
      .http = {.url = url, .content_type = "application/json", .timeout_ms = timeout_ms},
      .user = z,
      .free_user = state_free};
  CENSUS_PUSH_APPLY_OPTIONS(config.http, o);
  config.max_spans_per_request = o.max_spans_per_request;
  config.http.service_name = z->service_name; /* scopes the spool */
  census_push_exporter *push = census__push_start(&config, &status);
  if (!push) {
    state_free(z);
    return status;
  }
  *exporter = (census_zipkin_exporter *)push;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_zipkin_exporter_stats(census_zipkin_exporter *exporter,
                                                         census_zipkin_stats *stats) {
  census_http_stats h;
  census_status status = census__push_stats(push_of(exporter), stats ? &h : NULL);
  if (status == CENSUS_OK)
    *stats = CENSUS_PUSH_SPAN_STATS(census_zipkin_stats, h);
  return status;
}

CENSUS_EXPORT census_status census_zipkin_exporter_stop(census_zipkin_exporter *exporter,
                                                        int64_t timeout_ms) {
  return census__push_stop(push_of(exporter), timeout_ms);
}
