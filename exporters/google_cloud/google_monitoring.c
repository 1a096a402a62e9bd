/* google_monitoring.c - the Cloud Monitoring stats exporter (census/exporters/
 * google_cloud_monitoring.h): a push exporter (exporters/http/push_exporter.h, the skeleton
 * every push exporter rides) whose encoder is google_monitoring_encode.c. What is Cloud
 * Monitoring's own here: the options, the project (google_http.c's lookup, the order of both
 * Google exporters), the monitored resource, the pre-round hook that creates metric descriptors,
 * the token on every request, and the classification of the API's answers.
 *
 * Descriptors before points: every view needs its metric descriptor. The pre-round hook
 * (census's export worker, before the encoder) creates new ones synchronously
 * (metricDescriptors.create, small and once per view, through census__google_http_request(),
 * i.e. the one HTTP attempt; 409 ALREADY_EXISTS counts as created), so a series is never written
 * before its descriptor exists. A retryable failure (transport, 429, 5xx) leaves the view pending
 * (its points deferred) and skips further creations in that round, so a dead endpoint costs one
 * timeout per round; a permanent one (400, 403, 404) is reported once and the view's points are
 * dropped every round (no_descriptor).
 *
 * The classifier (on the sender's thread) reads the API's error bodies: a
 * CreateTimeSeriesSummary makes a partial success (refused points counted as rejected, the API's
 * message reported); 429/500/502/503/504 and transport errors are retried; 401 drops the cached
 * token and retries once; other statuses fail the request (its points counted as dropped).
 *
 * Lifetime: the handle (google_monitoring_internal.h) holds the push exporter and is
 * reference-counted: the caller's reference, and the push exporter's, which its free_user drops
 * at shutdown (after the sender, which calls authorize() and classify(), is closed). The counters
 * of rounds, deferrals and descriptors are here (under `lock`); the delivery counters are the
 * sender's.
 */
#include "census/exporters/google_cloud_monitoring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/stats.h"
#include "google_auth.h"
#include "google_internal.h"
#include "google_monitoring_internal.h"
#include "options.h"
#include "push_exporter.h"
#include "url.h"
#include "alloc.h"

static char *dup_or_null(const char *s) { return s ? census__strdup(s) : NULL; }

/* Called with `lock` held before `stats` is read or changed: in a fork child the parent's
 * counts are not the child's, so the first use in a new process starts them from zero (the
 * sender's counters are reset by its own fork handler). */
static void own_stats_locked(census_gm *e) {
  pid_t pid = getpid();
  if (e->stats_pid != pid) {
    memset(&e->stats, 0, sizeof e->stats);
    e->stats_pid = pid;
  }
}

void census__gm_count(census_gm *e, uint64_t *field, uint64_t n) {
  pthread_mutex_lock(&e->lock);
  own_stats_locked(e);
  *field += n;
  pthread_mutex_unlock(&e->lock);
}

/* ---- descriptors: the pre-round hook -------------------------------------------------------- */

/* One metricDescriptors.create call. Returns the new state (PENDING: try again next round). */
static census_gm_descriptor_state create_descriptor(census_gm *e, const census_view_data *v,
                                                    const char *type, bool *endpoint_down) {
  char *body = census__gm_descriptor_body(e, v, type);
  if (!body)
    return CENSUS_GM_DESCRIPTOR_PENDING;
  census_gm_descriptor_state result = CENSUS_GM_DESCRIPTOR_PENDING;
  for (int attempt = 0; attempt < 2; attempt++) {
    char auth[8192];
    census_status st = census__google_auth_header(e->auth, auth, sizeof auth);
    if (st != CENSUS_OK) { /* reported by the token source */
      *endpoint_down = true;
      census__gm_count(e, &e->stats.descriptor_failures, 1);
      break;
    }
    const char *headers[] = {"Content-Type: application/json", auth};
    census_google_http_response resp;
    char err[256] = "";
    long status = census__google_http_request(e->descriptor_url, body, headers, 2, e->timeout_ms,
                                              e->ca_file, &resp, err, sizeof err);
    census_google_error ge;
    census__google_error_parse(resp.body, resp.len, &ge);
    census__free(resp.body);
    if (status >= 200 && status < 300) {
      result = CENSUS_GM_DESCRIPTOR_CREATED;
    } else if (status == 409) { /* ALREADY_EXISTS: created earlier (by us or another task) */
      result = CENSUS_GM_DESCRIPTOR_CREATED;
    } else {
      census__gm_count(e, &e->stats.descriptor_failures, 1);
      if (status == 401 && attempt == 0 && census__google_auth_invalidate(e->auth))
        continue;
      bool retryable = status == 0 || census__google_status_retryable(status);
      if (status == 0) {
        census__google_reportf(
            CENSUS_EEXPORT,
            "google monitoring: metricDescriptors.create %s failed: %s; its view's points "
            "wait for a later export",
            type, err);
        *endpoint_down = true;
      } else {
        census__google_reportf(CENSUS_EEXPORT,
                               "google monitoring: metricDescriptors.create %s: HTTP %ld %s: %s%s",
                               type, status, ge.status, ge.message,
                               retryable ? " (will retry in a later export)"
                                         : " (permanent; the view's points are dropped)");
        if (retryable)
          *endpoint_down = true;
      }
      result = retryable ? CENSUS_GM_DESCRIPTOR_PENDING : CENSUS_GM_DESCRIPTOR_FAILED;
    }
    break;
  }
  if (result == CENSUS_GM_DESCRIPTOR_CREATED)
    census__gm_count(e, &e->stats.descriptors_created, 1);
  census__free(body);
  return result;
}

/* The pre-round hook (census's export worker, before census__gm_encode_round()): counts the
 * round, makes this process's task label, and creates the descriptor of every view with rows
 * that has none yet (until the endpoint looks down in this round). */
static void before_round(void *user, const census_view_data *const *views, size_t count) {
  census_gm *e = user;
  census__gm_count(e, &e->stats.exports, 1);
  census__gm_refresh_task_value(e);
  bool endpoint_down = false;
  for (size_t i = 0; i < count && !endpoint_down; i++) {
    if (census_view_data_row_count(views[i]) == 0) {
      continue;
    }
    char *type = census__gm_metric_type(e, views[i]);
    census_gm_descriptor *d = type ? census__gm_descriptor_find(e, type) : NULL;
    if (d && d->state == CENSUS_GM_DESCRIPTOR_PENDING) {
      d->state = create_descriptor(e, views[i], type, &endpoint_down);
    }
    census__free(
        type); /* no entry (out of memory): the encoder counts the view's points as dropped */
  }
}

/* ---- delivery: the token and the classifier (sender thread) --------------------------------- */

static census_status authorize(void *user, char *buf, size_t size) {
  census_gm *e = user;
  return census__google_auth_header(e->auth, buf, size);
}

static census_http_verdict classify(void *user, const census_http_response *resp,
                                    uint64_t *rejected, char *message, size_t message_size) {
  census_gm *e = user;
  *rejected = 0;
  long s = resp->status;
  census_http_verdict verdict;
  if (s >= 200 && s < 300) {
    e->retried_401 = false;
    return CENSUS_HTTP_DELIVERED;
  }
  if (s == 0) {
    snprintf(message, message_size, "timeSeries.create (%llu points) failed: %s; will retry",
             (unsigned long long)resp->items, resp->curl_error ? resp->curl_error : "no response");
    verdict = CENSUS_HTTP_RETRY;
  } else {
    census_google_error ge;
    census__google_error_parse(resp->body, resp->body_len, &ge);
    if (s == 401 && !e->retried_401 && census__google_auth_invalidate(e->auth)) {
      e->retried_401 = true;
      snprintf(message, message_size,
               "timeSeries.create: HTTP 401 %s: %s; fetching a new token and retrying once",
               ge.status, ge.message);
      verdict = CENSUS_HTTP_RETRY;
    } else if (ge.has_summary && ge.total_point_count > 0) {
      /* Partial success: the summary says how many points were written. */
      e->retried_401 = false;
      int64_t refused = ge.total_point_count - ge.success_point_count;
      if (refused < 0)
        refused = 0;
      if ((uint64_t)refused > resp->items)
        refused = (int64_t)resp->items;
      *rejected = (uint64_t)refused;
      snprintf(message, message_size,
               "Cloud Monitoring refused %lld of %lld points (HTTP %ld %s): %s [%s]",
               (long long)refused, (long long)ge.total_point_count, s, ge.status, ge.message,
               ge.summary_errors);
      return CENSUS_HTTP_DELIVERED; /* the sender reports the message */
    } else {
      e->retried_401 = false;
      bool retry = census__google_status_retryable(s);
      const char *text = ge.message[0] ? ge.message : "";
      if (!ge.parsed && resp->body)
        text = resp->body; /* not the API's shape: show it raw */
      snprintf(message, message_size, "timeSeries.create (%llu points): HTTP %ld %s: %.200s%s",
               (unsigned long long)resp->items, s, ge.status[0] ? ge.status : "(no status)", text,
               retry ? "; will retry" : "; dropped");
      verdict = retry ? CENSUS_HTTP_RETRY : CENSUS_HTTP_FAILED;
    }
  }
  /* The sender reports final outcomes only; a retried failure is reported here, so that every
   * error the API returns is visible even when a retry then succeeds. */
  if (verdict == CENSUS_HTTP_RETRY)
    census__google_reportf(CENSUS_EEXPORT, "google monitoring: %s", message);
  return verdict;
}

/* ---- start-up: the monitored resource ---------------------------------------------------- */

static bool add_resource_label(census_gm *e, const char *k, const char *v) {
  for (size_t i = 0; i < e->resource_count; i++)
    if (strcmp(e->resource_keys[i], k) == 0)
      return true;
  char **nk = census__realloc(e->resource_keys, (e->resource_count + 1) * sizeof *nk);
  if (!nk)
    return false;
  e->resource_keys = nk;
  char **nv = census__realloc(e->resource_values, (e->resource_count + 1) * sizeof *nv);
  if (!nv)
    return false;
  e->resource_values = nv;
  nk[e->resource_count] = census__strdup(k);
  nv[e->resource_count] = census__strdup(v ? v : "");
  if (!nk[e->resource_count] || !nv[e->resource_count]) {
    census__free(nk[e->resource_count]);
    census__free(nv[e->resource_count]);
    return false;
  }
  e->resource_count++;
  return true;
}

static char *env_or(const char *a, const char *b) {
  const char *v = getenv(a);
  if ((!v || !v[0]) && b)
    v = getenv(b);
  return census__strdup(v && v[0] ? v : "");
}

/* Detects the monitored resource: GKE (KUBERNETES_SERVICE_HOST set and a metadata server) ->
 * k8s_container; a metadata server -> gce_instance; else global. The metadata answers are the
 * only network calls of start-up, each bounded by CENSUS_GOOGLE_METADATA_TIMEOUT_MS. */
static bool detect_resource(census_gm *e, const char *host) {
  char *instance_id =
      census__google_metadata_get(host, "instance/id", CENSUS_GOOGLE_METADATA_TIMEOUT_MS);
  bool ok = true;
  if (!instance_id) {
    e->resource_type = census__strdup("global");
    return e->resource_type && add_resource_label(e, "project_id", e->project_id);
  }
  char *zone_path =
      census__google_metadata_get(host, "instance/zone", CENSUS_GOOGLE_METADATA_TIMEOUT_MS);
  const char *zone = zone_path ? strrchr(zone_path, '/') : NULL;
  zone = zone ? zone + 1 : (zone_path ? zone_path : "");
  const char *k8s = getenv("KUBERNETES_SERVICE_HOST");
  if (k8s && k8s[0]) {
    char *cluster = census__google_metadata_get(host, "instance/attributes/cluster-name",
                                                CENSUS_GOOGLE_METADATA_TIMEOUT_MS);
    char *location = census__google_metadata_get(host, "instance/attributes/cluster-location",
                                                 CENSUS_GOOGLE_METADATA_TIMEOUT_MS);
    char *ns = env_or("NAMESPACE", "POD_NAMESPACE");
    char *pod = env_or("POD_NAME", "HOSTNAME");
    char *container = env_or("CONTAINER_NAME", NULL);
    e->resource_type = census__strdup("k8s_container");
    ok = e->resource_type && ns && pod && container &&
         add_resource_label(e, "project_id", e->project_id) &&
         add_resource_label(e, "location", location ? location : zone) &&
         add_resource_label(e, "cluster_name", cluster ? cluster : "") &&
         add_resource_label(e, "namespace_name", ns) && add_resource_label(e, "pod_name", pod) &&
         add_resource_label(e, "container_name", container);
    census__free(cluster);
    census__free(location);
    census__free(ns);
    census__free(pod);
    census__free(container);
  } else {
    e->resource_type = census__strdup("gce_instance");
    ok = e->resource_type && add_resource_label(e, "project_id", e->project_id) &&
         add_resource_label(e, "instance_id", instance_id) && add_resource_label(e, "zone", zone);
  }
  census__free(zone_path);
  census__free(instance_id);
  return ok;
}

/* ---- start, stats, stop --------------------------------------------------------------------- */

/* Frees the handle and everything it owns (the push exporter is gone, or never was). */
static void exporter_free(census_gm *e) {
  census__google_auth_free(e->auth);
  census__free(e->project_id);
  census__free(e->descriptor_url);
  census__free(e->metric_prefix);
  census__free(e->display_prefix);
  census__free(e->task_value_given);
  census__free(e->resource_type);
  for (size_t i = 0; i < e->resource_count; i++) {
    census__free(e->resource_keys[i]);
    census__free(e->resource_values[i]);
  }
  census__free(e->resource_keys);
  census__free(e->resource_values);
  census__free(e->ca_file);
  census__gm_encoder_free(e);
  pthread_mutex_destroy(&e->lock);
  census__free(e);
}

static void exporter_release(void *user) {
  census_gm *e = user;
  if (atomic_fetch_sub(&e->refs, 1) == 1) {
    exporter_free(e);
  }
}

/* Checks the options and copies what the exporter keeps of them. CENSUS_ECONFIG (reported) for
 * a negative interval or timeout, labels without an array, a bad monitoring_endpoint. */
static census_status copy_options(census_gm *e, const census_google_monitoring_options *o) {
  if (o->min_write_interval_ms < 0 || o->timeout_ms < 0 || o->max_elapsed_ms < 0 ||
      (o->resource_label_count && !o->resource_labels)) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "google monitoring: negative interval/timeout or NULL "
                              "resource_labels with a non-zero count");
    return CENSUS_ECONFIG;
  }
  if (o->monitoring_endpoint && o->monitoring_endpoint[0] &&
      !census__url_check(CENSUS_ECONFIG, "google monitoring", "options.monitoring_endpoint",
                         o->monitoring_endpoint, "the exporter is not started")) {
    return CENSUS_ECONFIG;
  }
  e->timeout_ms = o->timeout_ms ? o->timeout_ms : 10000;
  e->min_interval_ns =
      (o->min_write_interval_ms ? o->min_write_interval_ms
                                : CENSUS_GOOGLE_MONITORING_DEFAULT_MIN_INTERVAL_MS) *
      1000000LL;
  e->task_label = !o->no_task_label;
  e->metric_prefix =
      census__strdup(o->metric_prefix ? o->metric_prefix : CENSUS_GOOGLE_MONITORING_DEFAULT_PREFIX);
  e->display_prefix =
      census__strdup(o->display_name_prefix ? o->display_name_prefix
                                            : CENSUS_GOOGLE_MONITORING_DEFAULT_DISPLAY_PREFIX);
  e->task_value_given = dup_or_null(o->task_label_value);
  e->ca_file = dup_or_null(o->ca_file);
  if (!e->metric_prefix || !e->display_prefix || (o->task_label_value && !e->task_value_given) ||
      (o->ca_file && !e->ca_file)) {
    return CENSUS_ENOMEM;
  }
  return CENSUS_OK;
}

/* The token source, the project (the order of both Google exporters) and the monitored
 * resource (given, or detected from the metadata server). */
static census_status resolve_identity(census_gm *e, const census_google_monitoring_options *o) {
  census_google_auth_config ac = {.access_token = o->access_token,
                                  .credentials_file = o->credentials_file,
                                  .token_endpoint = o->token_endpoint,
                                  .metadata_host = o->metadata_host,
                                  .scopes = "https://www.googleapis.com/auth/monitoring.write",
                                  .timeout_ms = e->timeout_ms};
  char *key_project = NULL;
  census_status st = CENSUS_ENOMEM;
  e->auth = census__google_auth_new(&ac, &key_project, &st);
  if (!e->auth) {
    census__free(key_project);
    return st != CENSUS_OK ? st : CENSUS_ECONFIG;
  }
  e->project_id =
      census__google_project_id("google monitoring", o->project_id, key_project, e->auth, &st);
  if (!e->project_id) {
    return st;
  }
  if (!(o->resource_type && o->resource_type[0])) {
    return detect_resource(e, census__google_metadata_host(o->metadata_host)) ? CENSUS_OK
                                                                              : CENSUS_ENOMEM;
  }
  if (!(e->resource_type = census__strdup(o->resource_type))) {
    return CENSUS_ENOMEM;
  }
  for (size_t i = 0; i < o->resource_label_count; i++) {
    if (!o->resource_labels[i].key || !o->resource_labels[i].key[0]) {
      census_diagnostics_report(CENSUS_ECONFIG, "google monitoring: empty resource label key");
      return CENSUS_ECONFIG;
    }
    if (!add_resource_label(e, o->resource_labels[i].key, o->resource_labels[i].value)) {
      return CENSUS_ENOMEM;
    }
  }
  return add_resource_label(e, "project_id", e->project_id) ? CENSUS_OK : CENSUS_ENOMEM;
}

/* Starts the push exporter: timeSeries.create requests with the token on each, the descriptor
 * hook and the encoder; it holds a reference to `e` until its free_user. */
static census_status start_push(census_gm *e, const census_google_monitoring_options *o) {
  const char *base = o->monitoring_endpoint && o->monitoring_endpoint[0]
                         ? o->monitoring_endpoint
                         : CENSUS_GOOGLE_MONITORING_DEFAULT_ENDPOINT;
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') {
    bl--;
  }
  char *series_url = NULL;
  if (census__asprintf(&series_url, "%.*s/v3/projects/%s/timeSeries", (int)bl, base,
                       e->project_id) < 0) {
    return CENSUS_ENOMEM;
  }
  if (census__asprintf(&e->descriptor_url, "%.*s/v3/projects/%s/metricDescriptors", (int)bl, base,
                       e->project_id) < 0) {
    e->descriptor_url = NULL;
    census__free(series_url);
    return CENSUS_ENOMEM;
  }
  census_push_config config = {.name = CENSUS_GM_NAME,
                               .encode_views = census__gm_encode_round,
                               .before_round = before_round,
                               .http = {.url = series_url,
                                        .content_type = "application/json",
                                        .timeout_ms = e->timeout_ms,
                                        .max_elapsed_ms = o->max_elapsed_ms,
                                        .ca_file = o->ca_file,
                                        .gzip = o->gzip != 0,
                                        .classify = classify,
                                        .authorize = authorize,
                                        .spool_dir = o->spool_dir,
                                        .spool_max_bytes = o->spool_max_bytes},
                               .user = e,
                               .free_user = exporter_release};
  census_status st = CENSUS_OK;
  atomic_fetch_add(&e->refs, 1); /* the push exporter's */
  e->push = census__push_start(&config, &st);
  census__free(series_url);
  if (!e->push) {
    atomic_fetch_sub(&e->refs, 1);
  }
  return st;
}

census_status
census_google_monitoring_exporter_start(const census_google_monitoring_options *options,
                                        census_google_monitoring_exporter **out) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  *out = NULL;
  census_google_monitoring_options o;
  if (CENSUS_OPTIONS_COPY(&o, options, "google monitoring", google_monitoring, GOOGLE_MONITORING) !=
      CENSUS_OK) {
    return CENSUS_EINVAL;
  }
  census_gm *e = census__calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  atomic_init(&e->refs, 1);
  pthread_mutex_init(&e->lock, NULL);
  e->stats_pid = getpid();
  census_status st = copy_options(e, &o);
  if (st == CENSUS_OK) {
    st = resolve_identity(e, &o);
  }
  if (st == CENSUS_OK) {
    e->task_pid = 0;
    census__gm_refresh_task_value(e);
    st = start_push(e, &o);
  }
  if (st != CENSUS_OK) {
    exporter_release(e);
    return st;
  }
  *out = e;
  return CENSUS_OK;
}

census_status census_google_monitoring_exporter_stats(census_gm *e,
                                                      census_google_monitoring_stats *out) {
  if (!e || !out) {
    return CENSUS_EINVAL;
  }
  census_http_stats hs;
  census__push_stats(e->push, &hs);
  pthread_mutex_lock(&e->lock);
  own_stats_locked(e);
  *out = e->stats;
  pthread_mutex_unlock(&e->lock);
  out->points_delivered = hs.items_delivered;
  out->points_rejected = hs.items_rejected;
  out->points_dropped = hs.items_dropped; /* the sender's, and the encoder's own (push_drop) */
  out->requests_delivered = hs.requests_delivered;
  out->attempts = hs.attempts;
  out->retries = hs.retries;
  out->requests_spooled = hs.requests_spooled;
  out->points_spooled = hs.items_spooled;
  out->requests_from_spool = hs.requests_from_spool;
  out->points_from_spool = hs.items_from_spool;
  return CENSUS_OK;
}

census_status census_google_monitoring_exporter_stop(census_gm *e, int64_t timeout_ms) {
  if (!e) {
    return CENSUS_EINVAL;
  }
  census_status st = census__push_stop(e->push, timeout_ms);
  exporter_release(e);
  return st;
}
