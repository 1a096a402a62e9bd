/* google_monitoring_encode.c - the Cloud Monitoring exporter's encoder: view snapshots as
 * projects.timeSeries.create and metricDescriptors.create REST JSON bodies (see
 * google_monitoring_internal.h; the exporter itself is google_monitoring.c). Runs on census's
 * export worker only, one round at a time, so the encoder state needs no lock.
 *
 * Each round, every row of a view whose metric descriptor exists becomes one TimeSeries with
 * exactly one point. The API's write rules hold by construction:
 *   - one point per series per request, and a series' points at least min_write_interval apart:
 *     a series whose previous point (the end time last submitted) is younger is skipped and
 *     counted as deferred (data are cumulative: its value goes out in a later round);
 *   - cumulative points use the view's start time (fixed for the view's life) and are written
 *     only when the end time is later than the start time;
 *   - at most 200 series per request;
 *   - at most 200 buckets per distribution: a view whose bounds (with the prepended 0) exceed 199
 *     is sent with 199 of them, adjacent buckets merged (kept_bound_index()), reported once.
 * Requests go to the push exporter (exporters/http/push_exporter.h), whose sender delivers them
 * in order from its own thread; since a series' end times grow by at least the interval between
 * rounds, its points arrive in order and spaced as the API requires, even when a request is
 * retried. Rows of a view whose descriptor is still pending are deferred; of one the API refused
 * for good, dropped (no_descriptor, counted by the push exporter in the sender's counters).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "exp_buckets.h"
#include "google_internal.h"
#include "google_monitoring_internal.h"
#include "json_writer.h"
#include "alloc.h"

#define TASK_LABEL "opencensus_task"
#define OVERFLOW_LABEL "otel_metric_overflow"

static void series_forget_all(census_gm *e);

/* Cloud Monitoring label keys: letters, digits and '_' only, not starting with a digit or '_'
 * (OpenCensus Go's sanitize rule: other characters become '_', "key_" / "key" is prepended),
 * at most 100 bytes. */
void census__gm_sanitize_key(const char *in, char *out, size_t size) {
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

/* The opencensus_task label of this process, "c-<pid>@<host>" unless one was given, made again
 * in a fork child. A child's series (with its own label) are new series for Cloud Monitoring, so
 * the end times the parent wrote are forgotten: otherwise the child's points would wait out the
 * parent's minimum write interval, and at its exit never be written. Export thread only. */
void census__gm_refresh_task_value(census_gm *e) {
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

/* True when the view is written as a GAUGE: a LastValue view, or a Sum that can go down (a signed
 * measure's: an up-down counter), which Cloud Monitoring's CUMULATIVE (a total that only grows
 * from its start time) cannot hold; OpenTelemetry's Google exporter writes those as GAUGE too. */
static bool is_gauge(const census_view_data *v) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  return agg == CENSUS_AGGREGATION_LAST_VALUE ||
         (agg == CENSUS_AGGREGATION_SUM && !census_view_data_is_monotonic(v));
}

static const char *metric_kind(const census_view_data *v) {
  return is_gauge(v) ? "GAUGE" : "CUMULATIVE";
}

static const char *value_type(const census_view_data *v) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  if (agg == CENSUS_AGGREGATION_COUNT)
    return "INT64";
  if (agg == CENSUS_AGGREGATION_DISTRIBUTION || agg == CENSUS_AGGREGATION_EXPONENTIAL)
    return "DISTRIBUTION";
  return census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64 ? "INT64"
                                                                                        : "DOUBLE";
}

char *census__gm_metric_type(const census_gm *e, const census_view_data *v) {
  char *t = NULL;
  if (census__asprintf(&t, "%s%s", e->metric_prefix, census_view_data_name(v)) < 0)
    return NULL;
  return t;
}

/* The MetricDescriptor body of metricDescriptors.create. */
char *census__gm_descriptor_body(const census_gm *e, const census_view_data *v, const char *type) {
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
  char key[CENSUS_GM_MAX_LABEL_KEY + 1];
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    census__gm_sanitize_key(census_view_data_column(v, c), key, sizeof key);
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
  census__json_kv_string(&j, "metricKind", metric_kind(v));
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

census_gm_descriptor *census__gm_descriptor_find(census_gm *e, const char *type) {
  for (size_t i = 0; i < e->descriptor_count; i++)
    if (strcmp(e->descriptors[i].type, type) == 0)
      return &e->descriptors[i];
  if (e->descriptor_count == e->descriptor_cap) {
    size_t cap = e->descriptor_cap ? e->descriptor_cap * 2 : 16;
    census_gm_descriptor *grown = census__realloc(e->descriptors, cap * sizeof *grown);
    if (!grown)
      return NULL;
    e->descriptors = grown;
    e->descriptor_cap = cap;
  }
  census_gm_descriptor *d = &e->descriptors[e->descriptor_count];
  d->type = census__strdup(type);
  if (!d->type)
    return NULL;
  d->state = CENSUS_GM_DESCRIPTOR_PENDING;
  d->merge_reported = false;
  e->descriptor_count++;
  return d;
}

/* ---- Series bookkeeping -------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Empties the series table (end times written so far). Export thread only. */
static void series_forget_all(census_gm *e) {
  for (size_t i = 0; i < e->bucket_count; i++) {
    for (census_gm_series *s = e->buckets[i], *next; s; s = next) {
      next = s->next;
      census__free(s);
    }
    e->buckets[i] = NULL;
  }
  e->series_count = 0;
}

static census_gm_series *series_lookup(census_gm *e, const char *key) {
  if (e->series_count + 1 > e->bucket_count * 2) {
    size_t n = e->bucket_count ? e->bucket_count * 2 : 256;
    census_gm_series **nb = census__calloc(n, sizeof *nb);
    if (!nb)
      return NULL;
    for (size_t i = 0; i < e->bucket_count; i++) {
      for (census_gm_series *s = e->buckets[i], *next; s; s = next) {
        next = s->next;
        size_t h = fnv1a(s->key) % n;
        s->next = nb[h];
        nb[h] = s;
      }
    }
    census__free(e->buckets);
    e->buckets = nb;
    e->bucket_count = n;
  }
  size_t h = fnv1a(key) % e->bucket_count;
  for (census_gm_series *s = e->buckets[h]; s; s = s->next)
    if (strcmp(s->key, key) == 0)
      return s;
  size_t kl = strlen(key);
  census_gm_series *s = census__malloc(sizeof *s + kl + 1);
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

/* One timeSeries.create body being filled: at most CENSUS_GOOGLE_MONITORING_MAX_SERIES_PER_REQUEST
 * series. */
typedef struct request {
  census_buf buf;
  census_json json;
  size_t series;
} request;

/* Closes the body and hands it to the push exporter (which counts an out-of-memory body as
 * dropped, and the sender its own drops); counts its points as submitted unless it was dropped
 * here. */
static void request_submit(census_gm *e, request *r, census_push_round *round) {
  if (r->series == 0) {
    return;
  }
  census__json_array_end(&r->json);
  census__json_object_end(&r->json);
  uint64_t n = r->series;
  r->series = 0;
  if (census__push_submit(round, &r->buf, n) != CENSUS_ENOMEM) {
    census__gm_count(e, &e->stats.points_submitted, n);
  }
  census__buf_free(&r->buf);
}

/* The bounds Cloud Monitoring receives for a view with `total` bounds (census's, plus the
 * prepended 0): all of them when total <= CENSUS_GM_MAX_BOUNDS; else CENSUS_GM_MAX_BOUNDS of them,
 * bound k of the result being bound floor(k * (total - 1) / (CENSUS_GM_MAX_BOUNDS - 1)) of the full
 * list. The indices strictly increase (total - 1 >= CENSUS_GM_MAX_BOUNDS > CENSUS_GM_MAX_BOUNDS -
 * 1), the first and last bounds are kept, and the choice depends on the view alone, so every point
 * of a series has the same bucket options. Why merge rather than drop: the API refuses the whole
 * request otherwise, and coarser buckets keep count, mean, range and the shape of the distribution.
 */
static size_t kept_bound_index(size_t total, size_t k) {
  if (total <= CENSUS_GM_MAX_BOUNDS)
    return k;
  return (size_t)(((unsigned long long)k * (total - 1)) / (CENSUS_GM_MAX_BOUNDS - 1));
}

/* Opens "distributionValue" and writes count, mean, sumOfSquaredDeviation and range; the
 * bucket writers below add the buckets and encode_point() the exemplars, then closes it. */
static void encode_moments(census_json *j, const census_point *p) {
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
  size_t kept = total <= CENSUS_GM_MAX_BOUNDS ? total : CENSUS_GM_MAX_BOUNDS;
  encode_moments(j, p);
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
}

/* At most this many finite buckets: with underflow and overflow, Cloud Monitoring's 200. */
enum { EXP_MAX_FINITE = CENSUS_GM_MAX_BOUNDS - 2 };

/* encode_exponential()'s explicit buckets for n counts from bucket `offset` at `scale`: bucket 0
 * (-inf, 0) is empty, bucket 1 [0, first bound) holds the zeros. Leaves distributionValue open
 * (encode_point() closes it). */
static void encode_exp_explicit(census_json *j, int scale, int64_t offset, const int64_t *counts,
                                size_t n, int64_t zero_count) {
  double bounds[EXP_MAX_FINITE + 2];
  int64_t merged[EXP_MAX_FINITE + 3];
  size_t nb = 0;
  bounds[nb] = 0.0;
  merged[nb++] = 0;
  merged[nb] = zero_count;
  for (size_t k = 0; k <= n; k++) {
    /* bound k: the lower bound of finite bucket k (k = n: the last one's upper bound) */
    double bound = census__exp_upper_bound(scale, offset + (int64_t)k - 1);
    if (bound > bounds[nb - 1] && !isinf(bound)) {
      bounds[nb++] = bound;
      merged[nb] = 0;
    }
    if (k < n) {
      merged[nb] += counts[k];
    }
  }
  census__json_key(j, "explicitBuckets");
  census__json_object_begin(j);
  census__json_key(j, "bounds");
  census__json_array_begin(j);
  for (size_t k = 0; k < nb; k++) {
    census__json_double(j, bounds[k]);
  }
  census__json_array_end(j);
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_key(j, "bucketCounts");
  census__json_array_begin(j);
  for (size_t k = 0; k <= nb; k++) {
    census__json_int64_string(j, merged[k]);
  }
  census__json_array_end(j);
}

/* An EXPONENTIAL row (docs/exporters/google-cloud-monitoring.md): at most EXP_MAX_FINITE buckets,
 * the row's scale lowered on this copy until its buckets fit (bucket i at scale s is bucket
 * i >> r at scale s - r, so lowering only adds neighbours). Cloud Monitoring's exponentialBuckets
 * (growthFactor = the base 2^(2^-scale), scale = base^offset, one finite bucket per census bucket
 * from the first to the last non-empty one, the underflow bucket holding the zeros, the overflow
 * bucket empty) when base^offset and the last bucket's upper bound are normal doubles; else (only
 * at the doubles' extremes, or when every value was 0) explicitBuckets: 0, then the first bucket's
 * lower bound and every bucket's upper bound, a bound that rounds onto the previous one or
 * overflows being left out (its count joins the next bucket). Cloud Monitoring's buckets are
 * lower-inclusive, census's upper-inclusive: only values exactly on a bound differ. */
static void encode_exponential(census_json *j, const census_view_data *v, size_t row,
                               const census_point *p) {
  census_exponential_buckets e;
  census_view_data_row_exponential(v, row, &e);
  int scale = e.scale;
  int64_t offset = e.offset;
  int r = 0;
  while (e.bucket_count > 0 &&
         ((offset + (int64_t)e.bucket_count - 1) >> r) - (offset >> r) + 1 > EXP_MAX_FINITE) {
    r++;
  }
  int64_t counts[EXP_MAX_FINITE] = {0};
  size_t n = 0;
  for (size_t i = 0; i < e.bucket_count; i++) {
    size_t k = (size_t)(((offset + (int64_t)i) >> r) - (offset >> r));
    counts[k] += e.bucket_counts[i];
    n = k + 1;
  }
  scale -= r;
  offset >>= r;
  double lowest = census__exp_upper_bound(scale, offset - 1); /* base^offset */
  double highest = census__exp_upper_bound(scale, offset + (int64_t)n - 1);
  encode_moments(j, p);
  census__json_key(j, "bucketOptions");
  census__json_object_begin(j);
  if (n > 0 && isnormal(lowest) && isnormal(highest)) {
    census__json_key(j, "exponentialBuckets");
    census__json_object_begin(j);
    census__json_kv_int64(j, "numFiniteBuckets", (int64_t)n);
    census__json_kv_double(j, "growthFactor", census__exp_upper_bound(scale, 0));
    census__json_kv_double(j, "scale", lowest);
    census__json_object_end(j);
    census__json_object_end(j);
    census__json_key(j, "bucketCounts");
    census__json_array_begin(j);
    census__json_int64_string(j, e.zero_count);
    for (size_t k = 0; k < n; k++) {
      census__json_int64_string(j, counts[k]);
    }
    census__json_int64_string(j, 0);
    census__json_array_end(j);
    return;
  }
  encode_exp_explicit(j, scale, offset, counts, n, e.zero_count);
}

/* The "metric" and "resource" objects of one series: its type and labels (the view's columns,
 * opencensus_task, otel_metric_overflow on the overflow row), and the monitored resource. */
static void encode_metric_resource(const census_gm *e, census_json *j, const census_view_data *v,
                                   size_t row, const char *type) {
  census__json_key(j, "metric");
  census__json_object_begin(j);
  census__json_kv_string(j, "type", type);
  census__json_key(j, "labels");
  census__json_object_begin(j);
  char key[CENSUS_GM_MAX_LABEL_KEY + 1];
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    census__gm_sanitize_key(census_view_data_column(v, c), key, sizeof key);
    census__json_kv_string(j, key, census_view_data_row_value(v, row, c));
  }
  if (e->task_label) {
    census__json_kv_string(j, TASK_LABEL, e->task_value);
  }
  if (census_view_data_row_is_overflow(v, row)) {
    census__json_kv_string(j, OVERFLOW_LABEL, "true");
  }
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_key(j, "resource");
  census__json_object_begin(j);
  census__json_kv_string(j, "type", e->resource_type);
  census__json_key(j, "labels");
  census__json_object_begin(j);
  for (size_t i = 0; i < e->resource_count; i++) {
    census__json_kv_string(j, e->resource_keys[i], e->resource_values[i]);
  }
  census__json_object_end(j);
  census__json_object_end(j);
}

/* The "points" array of one series: its one point, with a cumulative interval [start, end] (a
 * gauge has only the end) and the value of its aggregation. */
/* The row's exemplars (docs/stats.md) as Distribution.Exemplar: value, timestamp and, for one
 * recorded in a span, a SpanContext attachment naming it
 * ("projects/<project>/traces/<trace id>/spans/<span id>", as Cloud Trace names spans); the
 * filtered attributes as a DroppedLabels attachment (labels the series does not carry), as
 * OpenTelemetry's Cloud Monitoring exporter writes them. Exemplars made outside the point's
 * interval are left out. */
static void encode_exemplars(census_json *j, const census_view_data *v, size_t row,
                             const char *project, int64_t start_ns) {
  static const char hex[] = "0123456789abcdef";
  size_t n = census_view_data_row_exemplar_count(v, row);
  bool open = false;
  for (size_t i = 0; i < n; i++) {
    census_exemplar e;
    if (census_view_data_row_exemplar(v, row, i, &e) != CENSUS_OK || e.time_ns < start_ns) {
      continue;
    }
    if (!open) {
      census__json_key(j, "exemplars");
      census__json_array_begin(j);
      open = true;
    }
    census__json_object_begin(j);
    census__json_kv_double(j, "value", e.double_value);
    census__json_key(j, "timestamp");
    census__json_timestamp(j, e.time_ns);
    if (e.has_span || e.attribute_count > 0) {
      census__json_key(j, "attachments");
      census__json_array_begin(j);
    }
    if (e.has_span) {
      char ids[16 * 2 + 1 + 8 * 2 + 1];
      for (size_t b = 0; b < 16; b++) {
        ids[2 * b] = hex[e.trace_id[b] >> 4];
        ids[2 * b + 1] = hex[e.trace_id[b] & 15];
      }
      ids[32] = '\0';
      for (size_t b = 0; b < 8; b++) {
        ids[33 + 2 * b] = hex[e.span_id[b] >> 4];
        ids[33 + 2 * b + 1] = hex[e.span_id[b] & 15];
      }
      ids[49] = '\0';
      census_buf name = CENSUS_BUF_INIT;
      census__buf_printf(&name, "projects/%s/traces/%s/spans/%s", project ? project : "", ids,
                         ids + 33);
      census__json_object_begin(j);
      census__json_kv_string(j, "@type", "type.googleapis.com/google.monitoring.v3.SpanContext");
      census__json_kv_string(j, "spanName", name.data ? name.data : "");
      census__json_object_end(j);
      census__buf_free(&name);
    }
    if (e.attribute_count > 0) {
      census__json_object_begin(j);
      census__json_kv_string(j, "@type", "type.googleapis.com/google.monitoring.v3.DroppedLabels");
      census__json_key(j, "label");
      census__json_object_begin(j);
      for (size_t a = 0; a < e.attribute_count; a++) {
        const char *key, *value;
        if (census_view_data_row_exemplar_attribute(v, row, i, a, &key, &value) == CENSUS_OK) {
          census__json_kv_string(j, key, value);
        }
      }
      census__json_object_end(j);
      census__json_object_end(j);
    }
    if (e.has_span || e.attribute_count > 0) {
      census__json_array_end(j);
    }
    census__json_object_end(j);
  }
  if (open) {
    census__json_array_end(j);
  }
}

static void encode_point(census_json *j, const census_view_data *v, size_t row,
                         const census_point *p, int64_t start_ns, int64_t end_ns,
                         const char *project) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  census__json_key(j, "points");
  census__json_array_begin(j);
  census__json_object_begin(j);
  census__json_key(j, "interval");
  census__json_object_begin(j);
  if (!is_gauge(v)) {
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
    if (int_measure) {
      census__json_kv_int64_string(j, "int64Value", p->int_value);
    } else {
      census__json_kv_double(j, "doubleValue", p->double_value);
    }
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL:
    if (agg == CENSUS_AGGREGATION_DISTRIBUTION) {
      encode_distribution(j, v, p);
    } else {
      encode_exponential(j, v, row, p);
    }
    encode_exemplars(j, v, row, project, start_ns);
    census__json_object_end(j); /* distributionValue */
    break;
  }
  census__json_object_end(j);
  census__json_object_end(j);
  census__json_array_end(j);
}

/* One TimeSeries of row `row` of view `v`, with one point. */
static void encode_series(const census_gm *e, census_json *j, const census_view_data *v, size_t row,
                          const char *type, const census_point *p, int64_t start_ns,
                          int64_t end_ns) {
  census__json_object_begin(j);
  encode_metric_resource(e, j, v, row, type);
  census__json_kv_string(j, "metricKind", metric_kind(v));
  census__json_kv_string(j, "valueType", value_type(v));
  encode_point(j, v, row, p, start_ns, end_ns, e->project_id);
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

/* Reports once per view that its bounds, with the prepended 0, exceed what Cloud Monitoring
 * takes, so that 199 of them are sent and adjacent buckets merged. */
static void report_bucket_merge(census_gm_descriptor *d, const census_view_data *v) {
  if (d->merge_reported || census_view_data_aggregation(v) != CENSUS_AGGREGATION_DISTRIBUTION) {
    return;
  }
  const double *bounds = NULL;
  size_t nb = census_view_data_bounds(v, &bounds);
  size_t total = nb + (nb == 0 || bounds[0] > 0 ? 1 : 0);
  if (total > CENSUS_GM_MAX_BOUNDS) {
    d->merge_reported = true;
    census__google_reportf(
        CENSUS_ELIMIT,
        "google monitoring: view %s has %zu bucket bounds; Cloud Monitoring takes at most %d "
        "buckets, so %d of them are sent (evenly spread, first and last kept) and adjacent "
        "buckets merged",
        census_view_data_name(v), total, CENSUS_GM_MAX_BOUNDS + 1, CENSUS_GM_MAX_BOUNDS);
  }
}

/* What one round counts. */
typedef struct round_tally {
  uint64_t deferred, dropped_oom, dropped_descriptor;
} round_tally;

/* Encodes the rows of view `v` (whose descriptor `type` exists) into `r`, submitting each full
 * request. The API's rules: one point per series per interval (measured on point end times,
 * which is what Cloud Monitoring compares), and a cumulative interval must not be empty; a row
 * that may not be written now is deferred. */
static void encode_view(census_gm *e, const census_view_data *v, const char *type, request *r,
                        census_buf *key, round_tally *t, census_push_round *round) {
  int64_t start_ns = census_view_data_start_time_ns(v);
  int64_t end_ns = census_view_data_end_time_ns(v);
  bool cumulative = !is_gauge(v);
  for (size_t row = 0; row < census_view_data_row_count(v); row++) {
    census_point p;
    if (census_view_data_row_point(v, row, &p) != CENSUS_OK) {
      continue;
    }
    series_key(key, type, v, row);
    census_gm_series *s = key->failed ? NULL : series_lookup(e, key->data);
    if (!s) {
      t->dropped_oom++;
      continue;
    }
    if ((s->last_end_ns != 0 && end_ns - s->last_end_ns < e->min_interval_ns) ||
        (cumulative && end_ns <= start_ns) || end_ns <= s->last_end_ns) {
      t->deferred++;
      continue;
    }
    if (r->series == 0) {
      census__json_init(&r->json, &r->buf);
      census__json_object_begin(&r->json);
      census__json_key(&r->json, "timeSeries");
      census__json_array_begin(&r->json);
    }
    encode_series(e, &r->json, v, row, type, &p, start_ns, end_ns);
    s->last_end_ns = end_ns;
    if (++r->series == CENSUS_GOOGLE_MONITORING_MAX_SERIES_PER_REQUEST) {
      request_submit(e, r, round);
    }
  }
}

census_status census__gm_encode_round(void *user, const census_view_data *const *views,
                                      size_t count, census_push_round *round) {
  census_gm *e = user;
  request r = {CENSUS_BUF_INIT, {0}, 0};
  census_buf key = CENSUS_BUF_INIT;
  round_tally t = {0};
  for (size_t vi = 0; vi < count; vi++) {
    const census_view_data *v = views[vi];
    size_t rows = census_view_data_row_count(v);
    if (rows == 0) {
      continue;
    }
    char *type = census__gm_metric_type(e, v);
    census_gm_descriptor *d = type ? census__gm_descriptor_find(e, type) : NULL;
    if (!d) {
      t.dropped_oom += rows;
    } else if (d->state == CENSUS_GM_DESCRIPTOR_FAILED) {
      t.dropped_descriptor += rows;
    } else if (d->state == CENSUS_GM_DESCRIPTOR_PENDING) {
      t.deferred += rows;
    } else {
      report_bucket_merge(d, v);
      encode_view(e, v, type, &r, &key, &t, round);
    }
    census__free(type);
  }
  request_submit(e, &r, round);
  census__buf_free(&r.buf);
  census__buf_free(&key);
  census__gm_count(e, &e->stats.points_deferred, t.deferred);
  /* Points lost before the sender are counted in its counters and the self-metric. */
  census__push_drop(round, t.dropped_oom, CENSUS_EXPORTER_DROP_OUT_OF_MEMORY,
                    "google monitoring: out of memory encoding points; dropped");
  census__push_drop(round, t.dropped_descriptor, CENSUS_EXPORTER_DROP_NO_DESCRIPTOR, NULL);
  return t.dropped_oom ? CENSUS_ENOMEM : CENSUS_OK;
}

void census__gm_encoder_free(census_gm *e) {
  for (size_t i = 0; i < e->descriptor_count; i++) {
    census__free(e->descriptors[i].type);
  }
  census__free(e->descriptors);
  series_forget_all(e);
  census__free(e->buckets);
}
