/* google_monitoring.c - the Cloud Monitoring stats exporter (census/exporters/
 * google_cloud_monitoring.h): view snapshots -> projects.timeSeries.create REST JSON bodies.
 *
 * Design. census's export worker calls export_views() with cumulative snapshots; calls never
 * overlap, so the encoder state (descriptor cache, per-series last end time) is touched by one
 * thread at a time and needs no lock. Each round:
 *   1. Every view needs its metric descriptor. New ones are created synchronously here
 *      (metricDescriptors.create, small and once per view; 409 ALREADY_EXISTS counts as created),
 *      before any of the view's points is encoded, so a series is never written before its
 *      descriptor exists. A retryable failure (transport, 429, 5xx) defers the view's points to a
 *      later round (and skips further creations this round, so a dead endpoint costs one timeout
 *      per round); a permanent one (400, 403, 404) is reported once and the view's points are
 *      counted as dropped every round.
 *   2. Every row becomes one TimeSeries with exactly one point. A series whose previous point
 *      (the end time we last submitted) is less than min_write_interval old is skipped and counted
 *      as deferred: data are cumulative, so its value goes out in a later round. Cumulative points
 *      use the view's start time (fixed for the view's life) and are only written when the end
 *      time is later than the start time.
 *      A distribution whose bounds (with the prepended 0) exceed 199, i.e. more than the 200
 *      buckets the API accepts, is sent with 199 of them and adjacent buckets merged
 *      (kept_bound_index()), reported once per view.
 *   3. Series are packed into requests of at most 200 and handed to the HTTP sender (its own
 *      thread, FIFO, retries with backoff; bodies gzip-compressed when the option asks). Since
 *      requests leave in order and a series' end times grow by at least the interval between
 *      rounds, points of a series arrive in order and spaced as the API requires, even when a
 *      request is retried.
 * The sender's classifier (on the sender thread) reads the API's error bodies: a
 * CreateTimeSeriesSummary makes a partial success (refused points counted as rejected, the
 * API's message reported); 429/500/502/503/504 and transport errors are retried; 401 drops the
 * cached token and retries once; other statuses fail the request (its points counted as
 * dropped). Counters live in the sender (delivery) and here (rounds, deferrals, descriptors,
 * guarded by `lock`).
 */
#include "census/exporters/google_cloud_monitoring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "census/stats.h"
#include "google_auth.h"
#include "google_internal.h"
#include "http_sender.h"
#include "json_writer.h"
#include "url.h"

#define TASK_LABEL "opencensus_task"
#define OVERFLOW_LABEL "otel_metric_overflow"
#define METADATA_TIMEOUT_MS 1000
#define MAX_LABEL_KEY 100
/* Cloud Monitoring refuses a distribution with more than 200 buckets, i.e. 199 bounds. */
#define MAX_BOUNDS 199
/* The sender's name, also the "exporter" value of the points this file drops itself in
 * census/exporter_dropped_items (the sender records its own drops under the same name). */
#define SENDER_NAME "google monitoring"

typedef enum descriptor_state { DESC_PENDING, DESC_CREATED, DESC_FAILED } descriptor_state;

typedef struct descriptor_entry {
  char *type;
  descriptor_state state;
  bool merge_reported; /* the bucket merge (more than MAX_BOUNDS bounds) has been reported */
} descriptor_entry;

typedef struct series_entry {
  struct series_entry *next;
  int64_t last_end_ns;
  char key[]; /* NUL-terminated */
} series_entry;

struct census_google_monitoring_exporter {
  pthread_mutex_t lock; /* guards stats, final_http, stopped */
  census_google_auth *auth;
  census_http_sender *sender;
  char *project_id;
  char *descriptor_url;
  char *metric_prefix;
  char *display_prefix;
  bool task_label;
  char *task_value_given;
  char task_value[320];
  pid_t task_pid;
  char *resource_type;
  char **resource_keys;
  char **resource_values;
  size_t resource_count;
  int64_t timeout_ms;
  int64_t min_interval_ns;
  char *ca_file;
  /* Encoder state: export thread only. */
  descriptor_entry *descriptors;
  size_t descriptor_count, descriptor_cap;
  series_entry **buckets;
  size_t bucket_count, series_count;
  /* Classifier state: sender thread only. */
  bool retried_401;
  /* Guarded by lock. */
  census_google_monitoring_stats stats; /* exports, submitted, deferred, descriptors, own drops */
  pid_t stats_pid;                      /* the process `stats` belong to (see own_stats_locked) */
  census_http_stats final_http;         /* the sender's counters when it was freed */
  census_status final_status;           /* the last flush's result, at shutdown */
  bool stopped;
  bool registered;
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Called with `lock` held before `stats` is read or changed: in a fork child the parent's
 * counts are not the child's, so the first use in a new process starts them from zero (the
 * sender's counters are reset by its own fork handler). */
static void own_stats_locked(census_google_monitoring_exporter *e) {
  pid_t pid = getpid();
  if (e->stats_pid != pid) {
    memset(&e->stats, 0, sizeof e->stats);
    e->stats_pid = pid;
  }
}

static void add_stat(census_google_monitoring_exporter *e, uint64_t *field, uint64_t n) {
  pthread_mutex_lock(&e->lock);
  own_stats_locked(e);
  *field += n;
  pthread_mutex_unlock(&e->lock);
}

/* Cloud Monitoring label keys: letters, digits and '_' only, not starting with a digit or '_'
 * (OpenCensus Go's sanitize rule: other characters become '_', "key_" / "key" is prepended),
 * at most 100 bytes. */
static void sanitize_key(const char *in, char *out, size_t size) {
  size_t o = 0;
  if (in[0] >= '0' && in[0] <= '9')
    o = (size_t)snprintf(out, size, "key_");
  else if (in[0] == '_')
    o = (size_t)snprintf(out, size, "key");
  for (const char *p = in; *p && o + 1 < size; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out[o++] = ok ? c : '_';
  }
  out[o] = '\0';
}

static void series_forget_all(census_google_monitoring_exporter *e);

/* The opencensus_task label of this process, "c-<pid>@<host>" unless one was given, made again
 * in a fork child. A child's series (with its own label) are new series for Cloud Monitoring, so
 * the end times the parent wrote are forgotten: otherwise the child's points would wait out the
 * parent's minimum write interval, and at its exit never be written. Export thread only. */
static void refresh_task_value(census_google_monitoring_exporter *e) {
  pid_t pid = getpid();
  if (pid == e->task_pid)
    return;
  if (e->task_pid != 0 && !e->task_value_given)
    series_forget_all(e);
  e->task_pid = pid;
  if (e->task_value_given) {
    snprintf(e->task_value, sizeof e->task_value, "%s", e->task_value_given);
    return;
  }
  char host[256] = "localhost";
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = '\0';
  snprintf(e->task_value, sizeof e->task_value, "c-%ld@%s", (long)pid, host);
}

/* ---- Metric kinds and descriptors ---------------------------------------------------------- */

static const char *metric_kind(census_aggregation_type agg) {
  return agg == CENSUS_AGGREGATION_LAST_VALUE ? "GAUGE" : "CUMULATIVE";
}

static const char *value_type(const census_view_data *v) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  if (agg == CENSUS_AGGREGATION_COUNT)
    return "INT64";
  if (agg == CENSUS_AGGREGATION_DISTRIBUTION)
    return "DISTRIBUTION";
  return census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64 ? "INT64"
                                                                                        : "DOUBLE";
}

static char *metric_type(const census_google_monitoring_exporter *e, const census_view_data *v) {
  char *t = NULL;
  if (asprintf(&t, "%s%s", e->metric_prefix, census_view_data_name(v)) < 0)
    return NULL;
  return t;
}

/* The MetricDescriptor body of metricDescriptors.create. */
static char *descriptor_body(const census_google_monitoring_exporter *e, const census_view_data *v,
                             const char *type) {
  census_buf b = CENSUS_BUF_INIT;
  census_json j;
  census__json_init(&j, &b);
  census__json_object_begin(&j);
  char name[1024];
  snprintf(name, sizeof name, "projects/%s/metricDescriptors/%s", e->project_id, type);
  census__json_kv_string(&j, "name", name);
  census__json_kv_string(&j, "type", type);
  census__json_key(&j, "labels");
  census__json_array_begin(&j);
  char key[MAX_LABEL_KEY + 1];
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    sanitize_key(census_view_data_column(v, c), key, sizeof key);
    census__json_object_begin(&j);
    census__json_kv_string(&j, "key", key);
    census__json_kv_string(&j, "valueType", "STRING");
    census__json_object_end(&j);
  }
  if (e->task_label) {
    census__json_object_begin(&j);
    census__json_kv_string(&j, "key", TASK_LABEL);
    census__json_kv_string(&j, "valueType", "STRING");
    census__json_kv_string(&j, "description", "Opencensus task identifier");
    census__json_object_end(&j);
  }
  census__json_object_begin(&j);
  census__json_kv_string(&j, "key", OVERFLOW_LABEL);
  census__json_kv_string(&j, "valueType", "STRING");
  census__json_kv_string(&j, "description",
                         "\"true\" on the series aggregating tuples beyond the view's limit");
  census__json_object_end(&j);
  census__json_array_end(&j);
  census_aggregation_type agg = census_view_data_aggregation(v);
  census__json_kv_string(&j, "metricKind", metric_kind(agg));
  census__json_kv_string(&j, "valueType", value_type(v));
  census__json_kv_string(&j, "unit", census_view_data_unit(v));
  const char *desc = census_view_data_description(v);
  if (!desc || !desc[0])
    desc = census_measure_description(census_view_data_measure(v));
  census__json_kv_string(&j, "description", desc ? desc : "");
  char display[1024];
  snprintf(display, sizeof display, "%s%s", e->display_prefix, census_view_data_name(v));
  census__json_kv_string(&j, "displayName", display);
  census__json_object_end(&j);
  size_t len;
  return census__buf_take(&b, &len);
}

static descriptor_entry *descriptor_find(census_google_monitoring_exporter *e, const char *type) {
  for (size_t i = 0; i < e->descriptor_count; i++)
    if (strcmp(e->descriptors[i].type, type) == 0)
      return &e->descriptors[i];
  if (e->descriptor_count == e->descriptor_cap) {
    size_t cap = e->descriptor_cap ? e->descriptor_cap * 2 : 16;
    descriptor_entry *grown = realloc(e->descriptors, cap * sizeof *grown);
    if (!grown)
      return NULL;
    e->descriptors = grown;
    e->descriptor_cap = cap;
  }
  descriptor_entry *d = &e->descriptors[e->descriptor_count];
  d->type = strdup(type);
  if (!d->type)
    return NULL;
  d->state = DESC_PENDING;
  d->merge_reported = false;
  e->descriptor_count++;
  return d;
}

/* One metricDescriptors.create call. Returns the new state (PENDING: try again next round). */
static descriptor_state create_descriptor(census_google_monitoring_exporter *e,
                                          const census_view_data *v, const char *type,
                                          bool *endpoint_down) {
  char *body = descriptor_body(e, v, type);
  if (!body)
    return DESC_PENDING;
  descriptor_state result = DESC_PENDING;
  for (int attempt = 0; attempt < 2; attempt++) {
    char auth[8192];
    census_status st = census__google_auth_header(e->auth, auth, sizeof auth);
    if (st != CENSUS_OK) { /* reported by the token source */
      *endpoint_down = true;
      add_stat(e, &e->stats.descriptor_failures, 1);
      break;
    }
    const char *headers[] = {"Content-Type: application/json", auth};
    census_google_http_response resp;
    char err[256] = "";
    long status = census__google_http_request(e->descriptor_url, body, headers, 2, e->timeout_ms,
                                              e->ca_file, &resp, err, sizeof err);
    census_google_error ge;
    census__google_error_parse(resp.body, resp.len, &ge);
    free(resp.body);
    if (status >= 200 && status < 300) {
      result = DESC_CREATED;
    } else if (status == 409) { /* ALREADY_EXISTS: created earlier (by us or another task) */
      result = DESC_CREATED;
    } else {
      add_stat(e, &e->stats.descriptor_failures, 1);
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
      result = retryable ? DESC_PENDING : DESC_FAILED;
    }
    break;
  }
  if (result == DESC_CREATED)
    add_stat(e, &e->stats.descriptors_created, 1);
  free(body);
  return result;
}

/* ---- Series bookkeeping -------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Empties the series table (end times written so far). Export thread only. */
static void series_forget_all(census_google_monitoring_exporter *e) {
  for (size_t i = 0; i < e->bucket_count; i++) {
    for (series_entry *s = e->buckets[i], *next; s; s = next) {
      next = s->next;
      free(s);
    }
    e->buckets[i] = NULL;
  }
  e->series_count = 0;
}

static series_entry *series_lookup(census_google_monitoring_exporter *e, const char *key) {
  if (e->series_count + 1 > e->bucket_count * 2) {
    size_t n = e->bucket_count ? e->bucket_count * 2 : 256;
    series_entry **nb = calloc(n, sizeof *nb);
    if (!nb)
      return NULL;
    for (size_t i = 0; i < e->bucket_count; i++) {
      for (series_entry *s = e->buckets[i], *next; s; s = next) {
        next = s->next;
        size_t h = fnv1a(s->key) % n;
        s->next = nb[h];
        nb[h] = s;
      }
    }
    free(e->buckets);
    e->buckets = nb;
    e->bucket_count = n;
  }
  size_t h = fnv1a(key) % e->bucket_count;
  for (series_entry *s = e->buckets[h]; s; s = s->next)
    if (strcmp(s->key, key) == 0)
      return s;
  size_t kl = strlen(key);
  series_entry *s = malloc(sizeof *s + kl + 1);
  if (!s)
    return NULL;
  memcpy(s->key, key, kl + 1);
  s->last_end_ns = 0;
  s->next = e->buckets[h];
  e->buckets[h] = s;
  e->series_count++;
  return s;
}

/* ---- Encoding ------------------------------------------------------------------------------ */

typedef struct request {
  census_buf buf;
  census_json json;
  size_t series;
} request;

static void request_submit(census_google_monitoring_exporter *e, request *r) {
  if (r->series == 0)
    return;
  census__json_array_end(&r->json);
  census__json_object_end(&r->json);
  size_t len = 0;
  char *body = census__buf_take(&r->buf, &len);
  uint64_t n = r->series;
  r->series = 0;
  if (!body) {
    add_stat(e, &e->stats.points_dropped, n);
    census_exporter_record_dropped(SENDER_NAME, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY, n);
    census__google_reportf(CENSUS_ENOMEM, "google monitoring: out of memory encoding %llu points",
                           (unsigned long long)n);
    return;
  }
  add_stat(e, &e->stats.points_submitted, n);
  /* Drops (queue full, shutdown) are counted and reported by the sender. */
  census__http_sender_submit(e->sender, body, len, n, 0);
}

/* The bounds Cloud Monitoring receives for a view with `total` bounds (census's, plus the
 * prepended 0): all of them when total <= MAX_BOUNDS; else MAX_BOUNDS of them, bound k of the
 * result being bound floor(k * (total - 1) / (MAX_BOUNDS - 1)) of the full list. The indices
 * strictly increase (total - 1 >= MAX_BOUNDS > MAX_BOUNDS - 1), the first and last bounds are
 * kept, and the choice depends on the view alone, so every point of a series has the same
 * bucket options. Why merge rather than drop: the API refuses the whole request otherwise, and
 * coarser buckets keep count, mean, range and the shape of the distribution. */
static size_t kept_bound_index(size_t total, size_t k) {
  if (total <= MAX_BOUNDS)
    return k;
  return (size_t)(((unsigned long long)k * (total - 1)) / (MAX_BOUNDS - 1));
}

static void encode_distribution(census_json *j, const census_view_data *v, const census_point *p) {
  const double *bounds = NULL;
  size_t nb = census_view_data_bounds(v, &bounds);
  /* OpenCensus rule: when the first bound is not 0 (or there are none), prepend a 0 bound with
   * a 0 count, so that the underflow bucket is (-inf, 0) (census refuses negative values). */
  bool prepend = nb == 0 || bounds[0] > 0;
  /* The full list: bound i is 0 (prepended) or census's; bucket i of the full list counts the
   * values <= bound i (above bound i - 1), bucket `total` those above the last bound. */
  size_t total = nb + (prepend ? 1 : 0);
  size_t kept = total <= MAX_BOUNDS ? total : MAX_BOUNDS;
  census__json_key(j, "distributionValue");
  census__json_object_begin(j);
  census__json_kv_int64_string(j, "count", p->count);
  census__json_kv_double(j, "mean", p->count > 0 ? p->mean : 0.0);
  census__json_kv_double(j, "sumOfSquaredDeviation",
                         p->count > 0 ? p->sum_of_squared_deviation : 0.0);
  if (p->count > 0) {
    census__json_key(j, "range");
    census__json_object_begin(j);
    census__json_kv_double(j, "min", p->min);
    census__json_kv_double(j, "max", p->max);
    census__json_object_end(j);
  }
  census__json_key(j, "bucketOptions");
  census__json_object_begin(j);
  census__json_key(j, "explicitBuckets");
  census__json_object_begin(j);
  census__json_key(j, "bounds");
  census__json_array_begin(j);
  for (size_t k = 0; k < kept; k++) {
    size_t i = kept_bound_index(total, k);
    census__json_double(j, prepend ? (i == 0 ? 0.0 : bounds[i - 1]) : bounds[i]);
  }
  census__json_array_end(j);
  census__json_object_end(j);
  census__json_object_end(j);
  /* Bucket k of the result sums the full list's buckets after the previous kept bound up to
   * and including kept bound k; the last one sums everything above the last kept bound. */
  census__json_key(j, "bucketCounts");
  census__json_array_begin(j);
  size_t next = 0; /* the first bucket of the full list not yet summed */
  for (size_t k = 0; k <= kept; k++) {
    size_t last = k < kept ? kept_bound_index(total, k) : total;
    int64_t sum = 0;
    for (; next <= last; next++) {
      size_t b = prepend ? next - 1 : next; /* index in census's buckets */
      if ((!prepend || next > 0) && b < p->bucket_count)
        sum += p->bucket_counts[b];
    }
    census__json_int64_string(j, sum);
  }
  census__json_array_end(j);
  census__json_object_end(j);
}

static void encode_series(census_google_monitoring_exporter *e, census_json *j,
                          const census_view_data *v, size_t row, const char *type,
                          const census_point *p, int64_t start_ns, int64_t end_ns) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  census__json_object_begin(j);
  census__json_key(j, "metric");
  census__json_object_begin(j);
  census__json_kv_string(j, "type", type);
  census__json_key(j, "labels");
  census__json_object_begin(j);
  char key[MAX_LABEL_KEY + 1];
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    sanitize_key(census_view_data_column(v, c), key, sizeof key);
    census__json_kv_string(j, key, census_view_data_row_value(v, row, c));
  }
  if (e->task_label)
    census__json_kv_string(j, TASK_LABEL, e->task_value);
  if (census_view_data_row_is_overflow(v, row))
    census__json_kv_string(j, OVERFLOW_LABEL, "true");
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_key(j, "resource");
  census__json_object_begin(j);
  census__json_kv_string(j, "type", e->resource_type);
  census__json_key(j, "labels");
  census__json_object_begin(j);
  for (size_t i = 0; i < e->resource_count; i++)
    census__json_kv_string(j, e->resource_keys[i], e->resource_values[i]);
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_kv_string(j, "metricKind", metric_kind(agg));
  census__json_kv_string(j, "valueType", value_type(v));
  census__json_key(j, "points");
  census__json_array_begin(j);
  census__json_object_begin(j);
  census__json_key(j, "interval");
  census__json_object_begin(j);
  if (agg != CENSUS_AGGREGATION_LAST_VALUE) {
    census__json_key(j, "startTime");
    census__json_timestamp(j, start_ns);
  }
  census__json_key(j, "endTime");
  census__json_timestamp(j, end_ns);
  census__json_object_end(j);
  census__json_key(j, "value");
  census__json_object_begin(j);
  bool int_measure = census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64;
  switch (agg) {
  case CENSUS_AGGREGATION_COUNT:
    census__json_kv_int64_string(j, "int64Value", p->count);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_LAST_VALUE:
    if (int_measure)
      census__json_kv_int64_string(j, "int64Value", p->int_value);
    else
      census__json_kv_double(j, "doubleValue", p->double_value);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    encode_distribution(j, v, p);
    break;
  }
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_array_end(j);
  census__json_object_end(j);
}

/* The series identity: metric type and label values ("\x1f"-separated; resource and task label
 * are the same for every series of this exporter and process). */
static void series_key(census_buf *k, const char *type, const census_view_data *v, size_t row) {
  census__buf_reset(k);
  census__buf_append_str(k, type);
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    census__buf_append_byte(k, 0x1f);
    census__buf_append_str(k, census_view_data_row_value(v, row, c));
  }
  if (census_view_data_row_is_overflow(v, row))
    census__buf_append_str(k, "\x1f\x1eoverflow");
  census__buf_append_byte(k, 0);
}

static census_status export_views(void *user, const census_view_data *const *views, size_t count) {
  census_google_monitoring_exporter *e = user;
  pthread_mutex_lock(&e->lock);
  bool stopped = e->stopped;
  own_stats_locked(e);
  e->stats.exports++;
  pthread_mutex_unlock(&e->lock);
  if (stopped)
    return CENSUS_ESHUTDOWN;
  refresh_task_value(e);
  request r = {CENSUS_BUF_INIT, {0}, 0};
  census_buf key = CENSUS_BUF_INIT;
  bool endpoint_down = false;
  uint64_t deferred = 0, dropped_oom = 0, dropped_descriptor = 0;
  census_status result = CENSUS_OK;
  for (size_t vi = 0; vi < count; vi++) {
    const census_view_data *v = views[vi];
    size_t rows = census_view_data_row_count(v);
    if (rows == 0)
      continue;
    char *type = metric_type(e, v);
    descriptor_entry *d = type ? descriptor_find(e, type) : NULL;
    if (!d) {
      free(type);
      dropped_oom += rows;
      result = CENSUS_ENOMEM;
      continue;
    }
    if (d->state == DESC_PENDING && !endpoint_down) {
      d->state = create_descriptor(e, v, type, &endpoint_down);
    }
    if (d->state != DESC_CREATED) {
      if (d->state == DESC_FAILED)
        dropped_descriptor += rows;
      else
        deferred += rows;
      free(type);
      continue;
    }
    if (!d->merge_reported && census_view_data_aggregation(v) == CENSUS_AGGREGATION_DISTRIBUTION) {
      const double *bounds = NULL;
      size_t nb = census_view_data_bounds(v, &bounds);
      size_t total = nb + (nb == 0 || bounds[0] > 0 ? 1 : 0);
      if (total > MAX_BOUNDS) {
        d->merge_reported = true;
        census__google_reportf(
            CENSUS_ELIMIT,
            "google monitoring: view %s has %zu bucket bounds; Cloud Monitoring takes at most "
            "%d buckets, so %d of them are sent (evenly spread, first and last kept) and "
            "adjacent buckets merged",
            census_view_data_name(v), total, MAX_BOUNDS + 1, MAX_BOUNDS);
      }
    }
    int64_t start_ns = census_view_data_start_time_ns(v);
    int64_t end_ns = census_view_data_end_time_ns(v);
    bool cumulative = census_view_data_aggregation(v) != CENSUS_AGGREGATION_LAST_VALUE;
    for (size_t row = 0; row < rows; row++) {
      census_point p;
      if (census_view_data_row_point(v, row, &p) != CENSUS_OK)
        continue;
      series_key(&key, type, v, row);
      series_entry *s = key.failed ? NULL : series_lookup(e, key.data);
      if (!s) {
        dropped_oom++;
        result = CENSUS_ENOMEM;
        continue;
      }
      /* The API's rules: one point per series per interval (measured on point end times, which
       * is what Cloud Monitoring compares), and a cumulative interval must not be empty. */
      if ((s->last_end_ns != 0 && end_ns - s->last_end_ns < e->min_interval_ns) ||
          (cumulative && end_ns <= start_ns) || end_ns <= s->last_end_ns) {
        deferred++;
        continue;
      }
      if (r.series == 0) {
        census__json_init(&r.json, &r.buf);
        census__json_object_begin(&r.json);
        census__json_key(&r.json, "timeSeries");
        census__json_array_begin(&r.json);
      }
      encode_series(e, &r.json, v, row, type, &p, start_ns, end_ns);
      s->last_end_ns = end_ns;
      if (++r.series == CENSUS_GOOGLE_MONITORING_MAX_SERIES_PER_REQUEST)
        request_submit(e, &r);
    }
    free(type);
  }
  request_submit(e, &r);
  census__buf_free(&r.buf);
  census__buf_free(&key);
  pthread_mutex_lock(&e->lock);
  own_stats_locked(e);
  e->stats.points_deferred += deferred;
  e->stats.points_dropped += dropped_oom + dropped_descriptor;
  pthread_mutex_unlock(&e->lock);
  /* Points dropped before the sender go to the self-metric like the sender's own drops. */
  census_exporter_record_dropped(SENDER_NAME, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY, dropped_oom);
  census_exporter_record_dropped(SENDER_NAME, CENSUS_EXPORTER_DROP_NO_DESCRIPTOR,
                                 dropped_descriptor);
  return result;
}

/* ---- Delivery ------------------------------------------------------------------------------ */

static census_status authorize(void *user, char *buf, size_t size) {
  census_google_monitoring_exporter *e = user;
  return census__google_auth_header(e->auth, buf, size);
}

static census_http_verdict classify(void *user, const census_http_response *resp,
                                    uint64_t *rejected, char *message, size_t message_size) {
  census_google_monitoring_exporter *e = user;
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

static census_status exporter_flush(void *user, int64_t timeout_ms) {
  census_google_monitoring_exporter *e = user;
  pthread_mutex_lock(&e->lock);
  census_http_sender *sender = e->stopped ? NULL : e->sender;
  pthread_mutex_unlock(&e->lock);
  return sender ? census__http_sender_flush(sender, timeout_ms) : CENSUS_OK;
}

/* Called once: at census_stats_exporter_unregister() (from _stop) or census_shutdown(). Stops
 * the sender (delivering what it can within the timeout) and keeps its final counters, but
 * leaves the handle for _stats and _stop (the contract of every push exporter: the handle lives
 * until _stop). */
static void exporter_shutdown(void *user, int64_t timeout_ms) {
  census_google_monitoring_exporter *e = user;
  pthread_mutex_lock(&e->lock);
  census_http_sender *sender = e->sender;
  if (sender) /* readers see these counters while the sender is being closed */
    census__http_sender_stats(sender, &e->final_http);
  e->sender = NULL;
  e->stopped = true;
  pthread_mutex_unlock(&e->lock);
  if (!sender)
    return;
  census_status fst = census__http_sender_flush(sender, timeout_ms);
  census_http_stats hs;
  /* Drops (counts, records and reports) what the flush could not send; hs: the final counters,
   * those drops included. */
  census_status closed = census__http_sender_close(sender, 0, &hs);
  pthread_mutex_lock(&e->lock);
  e->final_http = hs;
  e->final_status = fst != CENSUS_OK ? fst : closed;
  pthread_mutex_unlock(&e->lock);
}

/* ---- Start-up: project, resource ------------------------------------------------------------ */

static bool add_resource_label(census_google_monitoring_exporter *e, const char *k, const char *v) {
  for (size_t i = 0; i < e->resource_count; i++)
    if (strcmp(e->resource_keys[i], k) == 0)
      return true;
  char **nk = realloc(e->resource_keys, (e->resource_count + 1) * sizeof *nk);
  if (!nk)
    return false;
  e->resource_keys = nk;
  char **nv = realloc(e->resource_values, (e->resource_count + 1) * sizeof *nv);
  if (!nv)
    return false;
  e->resource_values = nv;
  nk[e->resource_count] = strdup(k);
  nv[e->resource_count] = strdup(v ? v : "");
  if (!nk[e->resource_count] || !nv[e->resource_count]) {
    free(nk[e->resource_count]);
    free(nv[e->resource_count]);
    return false;
  }
  e->resource_count++;
  return true;
}

static char *env_or(const char *a, const char *b) {
  const char *v = getenv(a);
  if ((!v || !v[0]) && b)
    v = getenv(b);
  return strdup(v && v[0] ? v : "");
}

/* Detects the monitored resource: GKE (KUBERNETES_SERVICE_HOST set and a metadata server) ->
 * k8s_container; a metadata server -> gce_instance; else global. The metadata answers are the
 * only network calls of start-up, each bounded by METADATA_TIMEOUT_MS. */
static bool detect_resource(census_google_monitoring_exporter *e, const char *host) {
  char *instance_id = census__google_metadata_get(host, "instance/id", METADATA_TIMEOUT_MS);
  bool ok = true;
  if (!instance_id) {
    e->resource_type = strdup("global");
    return e->resource_type && add_resource_label(e, "project_id", e->project_id);
  }
  char *zone_path = census__google_metadata_get(host, "instance/zone", METADATA_TIMEOUT_MS);
  const char *zone = zone_path ? strrchr(zone_path, '/') : NULL;
  zone = zone ? zone + 1 : (zone_path ? zone_path : "");
  const char *k8s = getenv("KUBERNETES_SERVICE_HOST");
  if (k8s && k8s[0]) {
    char *cluster =
        census__google_metadata_get(host, "instance/attributes/cluster-name", METADATA_TIMEOUT_MS);
    char *location = census__google_metadata_get(host, "instance/attributes/cluster-location",
                                                 METADATA_TIMEOUT_MS);
    char *ns = env_or("NAMESPACE", "POD_NAMESPACE");
    char *pod = env_or("POD_NAME", "HOSTNAME");
    char *container = env_or("CONTAINER_NAME", NULL);
    e->resource_type = strdup("k8s_container");
    ok = e->resource_type && ns && pod && container &&
         add_resource_label(e, "project_id", e->project_id) &&
         add_resource_label(e, "location", location ? location : zone) &&
         add_resource_label(e, "cluster_name", cluster ? cluster : "") &&
         add_resource_label(e, "namespace_name", ns) && add_resource_label(e, "pod_name", pod) &&
         add_resource_label(e, "container_name", container);
    free(cluster);
    free(location);
    free(ns);
    free(pod);
    free(container);
  } else {
    e->resource_type = strdup("gce_instance");
    ok = e->resource_type && add_resource_label(e, "project_id", e->project_id) &&
         add_resource_label(e, "instance_id", instance_id) && add_resource_label(e, "zone", zone);
  }
  free(zone_path);
  free(instance_id);
  return ok;
}

static void exporter_free(census_google_monitoring_exporter *e) {
  if (!e)
    return;
  census__http_sender_free(e->sender, 0);
  census__google_auth_free(e->auth);
  free(e->project_id);
  free(e->descriptor_url);
  free(e->metric_prefix);
  free(e->display_prefix);
  free(e->task_value_given);
  free(e->resource_type);
  for (size_t i = 0; i < e->resource_count; i++) {
    free(e->resource_keys[i]);
    free(e->resource_values[i]);
  }
  free(e->resource_keys);
  free(e->resource_values);
  free(e->ca_file);
  for (size_t i = 0; i < e->descriptor_count; i++)
    free(e->descriptors[i].type);
  free(e->descriptors);
  for (size_t i = 0; i < e->bucket_count; i++) {
    for (series_entry *s = e->buckets[i], *next; s; s = next) {
      next = s->next;
      free(s);
    }
  }
  free(e->buckets);
  pthread_mutex_destroy(&e->lock);
  free(e);
}

census_status
census_google_monitoring_exporter_start(const census_google_monitoring_options *options,
                                        census_google_monitoring_exporter **out) {
  if (!out)
    return CENSUS_EINVAL;
  *out = NULL;
  census_google_monitoring_options none = {0};
  const census_google_monitoring_options *o = options ? options : &none;
  if (o->min_write_interval_ms < 0 || o->timeout_ms < 0 || o->max_elapsed_ms < 0 ||
      (o->resource_label_count && !o->resource_labels)) {
    census_diagnostics_report(CENSUS_ECONFIG,
                              "google monitoring: negative interval/timeout or NULL "
                              "resource_labels with a non-zero count");
    return CENSUS_ECONFIG;
  }
  if (o->monitoring_endpoint && o->monitoring_endpoint[0] &&
      !census__url_check(CENSUS_ECONFIG, "google monitoring", "options.monitoring_endpoint",
                         o->monitoring_endpoint, "the exporter is not started"))
    return CENSUS_ECONFIG;
  census_google_monitoring_exporter *e = calloc(1, sizeof *e);
  if (!e)
    return CENSUS_ENOMEM;
  pthread_mutex_init(&e->lock, NULL);
  e->stats_pid = getpid();
  census_status st = CENSUS_ENOMEM;
  e->timeout_ms = o->timeout_ms ? o->timeout_ms : 10000;
  e->min_interval_ns =
      (o->min_write_interval_ms ? o->min_write_interval_ms
                                : CENSUS_GOOGLE_MONITORING_DEFAULT_MIN_INTERVAL_MS) *
      1000000LL;
  e->task_label = !o->no_task_label;
  e->metric_prefix =
      strdup(o->metric_prefix ? o->metric_prefix : CENSUS_GOOGLE_MONITORING_DEFAULT_PREFIX);
  e->display_prefix =
      strdup(o->display_name_prefix ? o->display_name_prefix
                                    : CENSUS_GOOGLE_MONITORING_DEFAULT_DISPLAY_PREFIX);
  e->task_value_given = dup_or_null(o->task_label_value);
  e->ca_file = dup_or_null(o->ca_file);
  if (!e->metric_prefix || !e->display_prefix || (o->task_label_value && !e->task_value_given) ||
      (o->ca_file && !e->ca_file))
    goto fail;

  census_google_auth_config ac = {0};
  ac.access_token = o->access_token;
  ac.credentials_file = o->credentials_file;
  ac.token_endpoint = o->token_endpoint;
  ac.metadata_host = o->metadata_host;
  ac.scopes = "https://www.googleapis.com/auth/monitoring.write";
  ac.timeout_ms = e->timeout_ms;
  char *key_project = NULL;
  e->auth = census__google_auth_new(&ac, &key_project, &st);
  if (!e->auth)
    goto fail;

  /* Project: option, key file, metadata server, GOOGLE_CLOUD_PROJECT. */
  const char *host = census__google_metadata_host(o->metadata_host);
  if (o->project_id && o->project_id[0]) {
    e->project_id = strdup(o->project_id);
    free(key_project);
  } else if (key_project) {
    e->project_id = key_project;
  } else {
    e->project_id = census__google_metadata_get(host, "project/project-id", METADATA_TIMEOUT_MS);
    const char *env = getenv("GOOGLE_CLOUD_PROJECT");
    if (!e->project_id && env && env[0])
      e->project_id = strdup(env);
    if (!e->project_id) {
      census_diagnostics_report(CENSUS_ECONFIG,
                                "google monitoring: no project id (set project_id, use a key "
                                "file with project_id, run on Google Cloud, or set "
                                "GOOGLE_CLOUD_PROJECT)");
      st = CENSUS_ECONFIG;
      goto fail;
    }
  }
  st = CENSUS_ENOMEM;
  if (!e->project_id)
    goto fail;

  if (o->resource_type && o->resource_type[0]) {
    e->resource_type = strdup(o->resource_type);
    if (!e->resource_type)
      goto fail;
    for (size_t i = 0; i < o->resource_label_count; i++) {
      if (!o->resource_labels[i].key || !o->resource_labels[i].key[0]) {
        census_diagnostics_report(CENSUS_ECONFIG, "google monitoring: empty resource label key");
        st = CENSUS_ECONFIG;
        goto fail;
      }
      if (!add_resource_label(e, o->resource_labels[i].key, o->resource_labels[i].value))
        goto fail;
    }
    if (!add_resource_label(e, "project_id", e->project_id))
      goto fail;
  } else if (!detect_resource(e, host)) {
    goto fail;
  }

  const char *base = o->monitoring_endpoint && o->monitoring_endpoint[0]
                         ? o->monitoring_endpoint
                         : CENSUS_GOOGLE_MONITORING_DEFAULT_ENDPOINT;
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/')
    bl--;
  char *series_url = NULL;
  if (asprintf(&series_url, "%.*s/v3/projects/%s/timeSeries", (int)bl, base, e->project_id) < 0)
    goto fail;
  if (asprintf(&e->descriptor_url, "%.*s/v3/projects/%s/metricDescriptors", (int)bl, base,
               e->project_id) < 0) {
    e->descriptor_url = NULL;
    free(series_url);
    goto fail;
  }
  census_http_sender_config sc = {0};
  sc.name = SENDER_NAME;
  sc.url = series_url;
  sc.content_type = "application/json";
  sc.timeout_ms = e->timeout_ms;
  sc.max_elapsed_ms = o->max_elapsed_ms;
  sc.ca_file = o->ca_file;
  sc.gzip = o->gzip != 0;
  sc.classify = classify;
  sc.authorize = authorize;
  sc.user = e;
  sc.spool_dir = o->spool_dir;
  sc.spool_max_bytes = o->spool_max_bytes;
  e->sender = census__http_sender_new(&sc, &st);
  free(series_url);
  if (!e->sender)
    goto fail;
  e->task_pid = 0;
  refresh_task_value(e);

  census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                   .export_views = export_views,
                                   .flush = exporter_flush,
                                   .shutdown = exporter_shutdown};
  st = census_stats_exporter_register(&ops, e);
  if (st != CENSUS_OK)
    goto fail;
  e->registered = true;
  *out = e;
  return CENSUS_OK;
fail:
  exporter_free(e);
  return st;
}

census_status census_google_monitoring_exporter_stats(census_google_monitoring_exporter *e,
                                                      census_google_monitoring_stats *out) {
  if (!e || !out)
    return CENSUS_EINVAL;
  census_http_stats hs;
  pthread_mutex_lock(&e->lock);
  own_stats_locked(e);
  *out = e->stats;
  if (e->sender)
    census__http_sender_stats(e->sender, &hs);
  else
    hs = e->final_http;
  pthread_mutex_unlock(&e->lock);
  out->points_delivered = hs.items_delivered;
  out->points_rejected = hs.items_rejected;
  out->points_dropped += hs.items_dropped;
  out->requests_delivered = hs.requests_delivered;
  out->attempts = hs.attempts;
  out->retries = hs.retries;
  out->requests_spooled = hs.requests_spooled;
  out->points_spooled = hs.items_spooled;
  out->requests_from_spool = hs.requests_from_spool;
  out->points_from_spool = hs.items_from_spool;
  return CENSUS_OK;
}

census_status census_google_monitoring_exporter_stop(census_google_monitoring_exporter *e,
                                                     int64_t timeout_ms) {
  if (!e)
    return CENSUS_EINVAL;
  census_status st = CENSUS_OK;
  pthread_mutex_lock(&e->lock);
  bool stopped = e->stopped;
  pthread_mutex_unlock(&e->lock);
  if (e->registered && !stopped) {
    /* Final export, then exporter_shutdown() delivers within the timeout. */
    census_status u = census_stats_exporter_unregister(e, timeout_ms);
    pthread_mutex_lock(&e->lock);
    bool retired = e->stopped; /* our shutdown callback ran: census no longer holds `e` */
    pthread_mutex_unlock(&e->lock);
    if (!retired && u != CENSUS_ENOTFOUND && u != CENSUS_ESHUTDOWN) {
      /* census could not take the exporter out in time (its collection lock was busy), so it
       * may still call us: stop sending and make the callbacks no-ops, but keep the handle
       * (a few hundred bytes) alive rather than risk a use after free. */
      exporter_shutdown(e, timeout_ms);
      return u != CENSUS_OK ? u : CENSUS_ETIMEDOUT;
    }
    if (u != CENSUS_OK && u != CENSUS_ENOTFOUND && u != CENSUS_ESHUTDOWN)
      st = u;
    exporter_shutdown(e, timeout_ms); /* no-op if unregister already ran it */
    if (st == CENSUS_OK || e->final_status == CENSUS_ETIMEDOUT) /* ETIMEDOUT wins */
      st = e->final_status;
  }
  exporter_free(e);
  return st;
}
