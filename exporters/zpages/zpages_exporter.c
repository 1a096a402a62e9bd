/* zpages_exporter.c - the zPages' life: start, stats, stop, where the pages are served, and how
 * census_shutdown() stops them.
 *
 * Serving. The pages are a route (census_prometheus_exporter_add_route()) on a Prometheus
 * exporter's server: the caller's (options.prometheus: one port for /metrics and the pages), or
 * one started here with no /metrics and no census registration of its own (no_metrics,
 * register_no_exporter), which gives the zPages the same address checks, limits and bounded stop
 * as the Prometheus endpoint without a second HTTP server implementation.
 *
 * Stopping. The zPages register a stats exporter (user: the handle) whose export does nothing and
 * whose shutdown stops them, so census_shutdown() stops them too. census calls that shutdown
 * holding its collection lock, and a page in progress may be waiting for that very lock (statsz
 * takes a snapshot of the views), as may the history thread: waiting for either there could
 * deadlock. So the shutdown callback only marks the handle stopping (new page requests get 503
 * without touching census), unregisters the span observer (whose callbacks never wait for
 * census) and tells the history thread to stop; a helper thread, started there, then removes the
 * route (waiting for a page in progress, which can finish once census releases its lock), stops
 * the own server and joins the history thread. census_zpages_exporter_stop() joins the helper
 * and frees everything; after census_shutdown() it only does that.
 */
#include "census/exporters/zpages.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "options.h"
#include "zpages_internal.h"
#include "alloc.h"

struct census_zpages_exporter {
  census_zpages_options options; /* defaults applied; strings point to the copies below */
  char *prefix, *address;
  census_prometheus_exporter *server; /* the one serving the route */
  bool own_server;                    /* started here (stopped and freed here) */
  zp_store *store;
  zp_history *history;
  zp_context context;
  bool observing, status_registered;

  pthread_mutex_t mu;
  pthread_cond_t done;
  bool registered;     /* the stats exporter registration is in census */
  bool helper_started; /* the shutdown's helper thread (joined by stop) */
  bool torn_down;      /* the helper finished: route removed, server and history stopped */
  pthread_t helper;
  atomic_bool stopping;
  _Atomic uint64_t pages_served, requests_refused;
};

/* ---- requests ----------------------------------------------------------------------------------
 */

static const char *query_of(void *request, const char *name) {
  return census_prometheus_request_query(request, name);
}

/* The route handler: the page below the prefix, or 503 while stopping. */
static void serve(void *user, const census_prometheus_request *request,
                  census_prometheus_response *response) {
  census_zpages_exporter *z = user;
  static const census_kv headers[] = {
      {"Content-Security-Policy",
       "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'"},
      {"Referrer-Policy", "no-referrer"}};
  response->headers = headers;
  response->header_count = sizeof headers / sizeof headers[0];
  if (atomic_load(&z->stopping)) {
    atomic_fetch_add(&z->requests_refused, 1);
    response->status = 503;
    response->body = census__strdup("the zPages are stopping\n");
    response->length = response->body ? strlen(response->body) : 0;
    return;
  }
  const char *path = census_prometheus_request_path(request);
  zp_request r = {path + strlen(z->prefix), query_of, (void *)request};
  census_buf out = CENSUS_BUF_INIT;
  response->status = zp_render(&z->context, &r, &out, &response->content_type);
  atomic_fetch_add(response->status == 200 ? &z->pages_served : &z->requests_refused, 1);
  if (out.failed) {
    census__buf_free(&out);
    response->status = 503;
    response->content_type = NULL;
    response->body = census__strdup("out of memory\n");
    response->length = response->body ? strlen(response->body) : 0;
    return;
  }
  response->body = census__buf_take(&out, &response->length);
}

/* ---- stats -------------------------------------------------------------------------------------
 */

static void self_stats(void *user, census_zpages_stats *stats) {
  census_zpages_exporter *z = user;
  zp_store_stats s;
  zp_store_stats_get(z->store, &s);
  *stats = (census_zpages_stats){
      .pages_served = atomic_load(&z->pages_served),
      .requests_refused = atomic_load(&z->requests_refused),
      .spans_started = s.spans_started,
      .spans_ended = s.spans_ended,
      .span_names = s.names,
      .spans_other_names = s.other_names,
      .samples_taken = s.samples_taken,
      .samples_cut = s.samples_cut,
      .samples_held = s.samples_held,
      .bytes_held = s.bytes_held + zp_history_bytes(z->history),
      .bytes_bound = s.bytes_bound +
                     zp_history_bound(z->options.history_points, z->options.max_history_views)};
}

CENSUS_EXPORT census_status census_zpages_exporter_stats(census_zpages_exporter *z,
                                                         census_zpages_stats *stats) {
  if (!z || !stats) {
    return CENSUS_EINVAL;
  }
  self_stats(z, stats);
  return CENSUS_OK;
}

CENSUS_EXPORT uint16_t census_zpages_exporter_port(const census_zpages_exporter *z) {
  if (!z || atomic_load(&((census_zpages_exporter *)z)->stopping)) {
    return 0;
  }
  return census_prometheus_exporter_port(z->server);
}

/* The exporter status registry's report: pages served, refused requests. */
static void status_report(void *user, census_exporter_report *report) {
  census_zpages_exporter *z = user;
  census_exporter_report_counts(report, atomic_load(&z->pages_served), 0,
                                atomic_load(&z->requests_refused));
}

static void status_register(census_zpages_exporter *z) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)census_prometheus_exporter_port(z->server));
  census_kv config[] = {{"server", z->own_server ? "own" : "the Prometheus exporter's"},
                        {"address", z->own_server ? z->options.address : "(the Prometheus one)"},
                        {"port", port},
                        {"prefix", z->prefix},
                        {"record_unsampled", z->options.record_unsampled ? "on" : "off"}};
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o.name = "zpages";
  o.items = "pages";
  o.config = config;
  o.config_count = sizeof config / sizeof config[0];
  o.report = status_report;
  z->status_registered = census_exporter_status_register(&o, z) == CENSUS_OK;
}

/* ---- stopping ----------------------------------------------------------------------------------
 */

/* What may wait for census's collection lock: the route (a page in progress), the own server,
 * the history thread. Runs on the helper thread, or on the stopping thread when no census lock
 * is held. */
static void tear_down(census_zpages_exporter *z) {
  if (z->server) {
    census_prometheus_exporter_remove_route(z->server, z->prefix);
    if (z->own_server) {
      census_prometheus_exporter_stop(z->server, 1000);
    }
    z->server = NULL;
  }
  zp_history_stop(z->history, true);
  pthread_mutex_lock(&z->mu);
  z->torn_down = true;
  pthread_cond_broadcast(&z->done);
  pthread_mutex_unlock(&z->mu);
}

static void *helper_main(void *arg) {
  tear_down(arg);
  return NULL;
}

/* What must stop before the shutdown callback returns: new pages, span callbacks, the history's
 * next snapshot. */
static void stop_quickly(census_zpages_exporter *z) {
  atomic_store(&z->stopping, true);
  if (z->observing) {
    census_span_observer_unregister(z->store, 5000);
    z->observing = false;
  }
  zp_history_stop(z->history, false);
}

static census_status noop_export(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  (void)views;
  (void)count;
  return CENSUS_OK;
}

/* census_shutdown() or the stop's unregistration: see the file comment. */
static void exporter_shutdown(void *user, int64_t timeout_ms) {
  (void)timeout_ms;
  census_zpages_exporter *z = user;
  stop_quickly(z);
  pthread_mutex_lock(&z->mu);
  z->registered = false;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  z->helper_started = pthread_create(&z->helper, NULL, helper_main, z) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  bool here = !z->helper_started;
  pthread_mutex_unlock(&z->mu);
  if (here) {
    /* No thread for the helper: tear down here; the route removal then waits for a page in
     * progress, which in the worst case waits for the lock our caller holds until its own
     * timeout_s cuts the connection. */
    tear_down(z);
  }
}

static const census_stats_exporter_ops exporter_ops = {.size = sizeof(census_stats_exporter_ops),
                                                       .export_views = noop_export,
                                                       .shutdown = exporter_shutdown};

static void exporter_free(census_zpages_exporter *z) {
  if (z->status_registered) {
    census_exporter_status_unregister(z);
  }
  zp_history_free(z->history);
  zp_store_free(z->store);
  pthread_mutex_destroy(&z->mu);
  pthread_cond_destroy(&z->done);
  census__free(z->prefix);
  census__free(z->address);
  census__free(z);
}

CENSUS_EXPORT census_status census_zpages_exporter_stop(census_zpages_exporter *z,
                                                        int64_t timeout_ms) {
  if (!z) {
    return CENSUS_EINVAL;
  }
  pthread_mutex_lock(&z->mu);
  bool registered = z->registered;
  pthread_mutex_unlock(&z->mu);
  census_status status = CENSUS_OK;
  if (registered) {
    status = census_stats_exporter_unregister(z, timeout_ms); /* runs exporter_shutdown() */
    status = status == CENSUS_ESHUTDOWN || status == CENSUS_ENOTFOUND ? CENSUS_OK : status;
    pthread_mutex_lock(&z->mu);
    registered = z->registered;
    pthread_mutex_unlock(&z->mu);
    if (registered) {
      /* census could not take the registration out in time and calls the shutdown later: stop
       * what we can without it and leave the handle to census. */
      stop_quickly(z);
      return CENSUS_ETIMEDOUT;
    }
  } else if (!atomic_load(&z->stopping)) {
    stop_quickly(z); /* never registered (start failed late) */
    tear_down(z);
  }
  pthread_mutex_lock(&z->mu);
  bool helper = z->helper_started;
  z->helper_started = false;
  pthread_mutex_unlock(&z->mu);
  if (helper) {
    pthread_join(z->helper, NULL);
  }
  exporter_free(z);
  return status == CENSUS_ETIMEDOUT ? CENSUS_ETIMEDOUT : CENSUS_OK;
}

/* ---- starting ----------------------------------------------------------------------------------
 */

/* Reads the options (NULL: defaults) into z->options with every default applied, copying the
 * strings. CENSUS_OK, CENSUS_EINVAL (reported) or CENSUS_ENOMEM. */
static census_status read_options(census_zpages_exporter *z, const census_zpages_options *in) {
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  if (in) {
    census_status status = CENSUS_OPTIONS_COPY(&o, in, "zpages", zpages, ZPAGES);
    if (status != CENSUS_OK) {
      return status;
    }
  }
  const char *prefix = o.prefix ? o.prefix : CENSUS_ZPAGES_DEFAULT_PREFIX;
  size_t length = strlen(prefix);
  if (length < 2 || prefix[0] != '/' || prefix[length - 1] == '/' ||
      strcmp(prefix, "/metrics") == 0 || strpbrk(prefix, "?#&\"'<> ")) {
    census_diagnostics_report(CENSUS_EINVAL,
                              "zpages: options.prefix must start with '/', not end with '/', hold "
                              "no space, quote, '<', '>', '?', '#' or '&', and not be /metrics "
                              "(e.g. \"/zpages\"); the zPages are not started");
    return CENSUS_EINVAL;
  }
  z->prefix = census__strdup(prefix);
  z->address = census__strdup(o.address ? o.address : CENSUS_PROMETHEUS_DEFAULT_ADDRESS);
  if (!z->prefix || !z->address) {
    return CENSUS_ENOMEM;
  }
  o.prefix = z->prefix;
  o.address = z->address;
  o.port = o.port ? o.port : CENSUS_ZPAGES_DEFAULT_PORT;
  o.max_span_names = o.max_span_names ? o.max_span_names : 128;
  o.samples_per_bucket = o.samples_per_bucket ? o.samples_per_bucket : 4;
  o.running_samples = o.running_samples ? o.running_samples : 16;
  o.sample_max_bytes = o.sample_max_bytes ? o.sample_max_bytes : 4096;
  o.sample_max_bytes = o.sample_max_bytes < 1024 ? 1024 : o.sample_max_bytes;
  o.sample_interval_ms = o.sample_interval_ms > 0 ? o.sample_interval_ms : 1000;
  o.history_interval_ms = o.history_interval_ms > 0 ? o.history_interval_ms : 5000;
  o.history_points = o.history_points ? o.history_points : 120;
  o.max_history_views = o.max_history_views ? o.max_history_views : 256;
  z->options = o;
  return CENSUS_OK;
}

/* Serves the route on options.prometheus's server, or on one started here. */
static census_status serve_start(census_zpages_exporter *z) {
  z->server = z->options.prometheus;
  if (!z->server) {
    census_prometheus_options po = CENSUS_PROMETHEUS_OPTIONS_INIT;
    po.address = z->options.address;
    po.port = z->options.port;
    po.any_port = z->options.any_port;
    po.no_metrics = 1;
    po.register_no_exporter = 1; /* its life is ours (tear_down()) */
    census_status status = census_prometheus_exporter_start(&po, &z->server);
    if (status != CENSUS_OK) {
      z->server = NULL;
      return status;
    }
    z->own_server = true;
  }
  census_status status = census_prometheus_exporter_add_route(z->server, z->prefix, serve, z);
  if (status != CENSUS_OK) {
    if (status == CENSUS_EDUPLICATE) {
      census_diagnostics_report(status, "zpages: the Prometheus server already serves "
                                        "options.prefix; the zPages are not started");
    }
    if (z->own_server) {
      census_prometheus_exporter_stop(z->server, 1000);
    }
    z->server = NULL;
  }
  return status;
}

CENSUS_EXPORT census_status census_zpages_exporter_start(const census_zpages_options *options,
                                                         census_zpages_exporter **out) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  *out = NULL;
  census_zpages_exporter *z = census__calloc(1, sizeof *z);
  if (!z) {
    return CENSUS_ENOMEM;
  }
  pthread_mutex_init(&z->mu, NULL);
  pthread_cond_init(&z->done, NULL);
  census_status status = read_options(z, options);
  zp_limits limits = {.max_names = z->options.max_span_names,
                      .samples_per_bucket = z->options.samples_per_bucket,
                      .running_samples = z->options.running_samples,
                      .sample_max_bytes = z->options.sample_max_bytes,
                      .sample_interval_ns = z->options.sample_interval_ms * 1000000};
  if (status == CENSUS_OK && !(z->store = zp_store_new(&limits))) {
    status = CENSUS_ENOMEM;
  }
  if (status == CENSUS_OK) {
    z->history = zp_history_start(z->options.history_interval_ms, z->options.history_points,
                                  z->options.max_history_views, &status);
  }
  if (status != CENSUS_OK) {
    exporter_free(z);
    return status;
  }
  z->context = (zp_context){z->store, z->history, z->prefix, &z->options, self_stats, z};
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = zp_store_on_start;
  ops.on_end = zp_store_on_end;
  ops.record_unsampled = z->options.record_unsampled;
  status = census_span_observer_register(&ops, z->store);
  z->observing = status == CENSUS_OK;
  if (status == CENSUS_OK) {
    status = serve_start(z);
  }
  if (status == CENSUS_OK) {
    pthread_mutex_lock(&z->mu);
    z->registered = true;
    pthread_mutex_unlock(&z->mu);
    status = census_stats_exporter_register(&exporter_ops, z);
    if (status != CENSUS_OK) {
      z->registered = false;
    }
  }
  if (status != CENSUS_OK) {
    int error = errno;
    stop_quickly(z);
    tear_down(z);
    exporter_free(z);
    errno = error;
    return status;
  }
  status_register(z);
  *out = z;
  return CENSUS_OK;
}
