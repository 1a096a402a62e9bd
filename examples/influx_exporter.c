/* influx_exporter.c - a complete census stats exporter for InfluxDB (1.x line protocol over HTTP)
 * in one file, built on census's push exporter skeleton (exporters/http/push_exporter.h), and a
 * program that uses it. It shows what a new push exporter is: an encoder and a configuration.
 * Everything else, the sending thread, retries with backoff and Retry-After, the bounded queue,
 * superseding cumulative snapshots, exact counters, the self-metrics of what is lost, the spool,
 * the flush at exit and its deadline, fork, and the handle's life, is the skeleton's.
 *
 * Mapping: one line per view row, timestamped with the snapshot's end time (ns):
 *   <view name>,<column>=<value>,... <fields> <end time>
 * Count: count=<n>i; Sum: sum=<n>i (int64 measure) or sum=<x>; LastValue: value=<n>i or value=<x>;
 * Distribution: count, sum, min, max and one cumulative field per bound, le_<bound>=<n>i, then
 * le_inf=<count>i (upper-inclusive buckets, as Prometheus's le). Empty tag values are left out
 * (InfluxDB refuses them); the overflow row carries otel_metric_overflow=true. InfluxDB has no
 * NaN or infinity: such a row is not written, and it is counted as dropped ("non_finite").
 * Data are cumulative, so each snapshot is one request with a supersede key: a newer one replaces
 * a queued older one. Answers: the skeleton's default (2xx delivered, 429/5xx/transport retried,
 * other 4xx dropped and reported with InfluxDB's error body).
 *
 * This is census's own example, compiled in its tree: the skeleton is internal (not installed),
 * so the program links the exporters' shared objects (exporters/common, exporters/http).
 *
 * Usage: influx_exporter <write URL, e.g. http://127.0.0.1:8086/write?db=census>
 * Records a fixed set of values, flushes (one export), shuts census down (the final export, which
 * stops the exporter and keeps its handle valid), reads the final counters, stops (frees) it and
 * prints one JSON line with the outcomes and counters. tests: examples/influx_exporter_test.sh,
 * against a real InfluxDB on loopback.
 */
#include <census/census.h>
#include <census/exporter.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "push_exporter.h"

/* ---- the exporter --------------------------------------------------------------------------- */

typedef struct influx_exporter influx_exporter; /* the skeleton's handle */

/* Appends `s`, escaping the characters the line protocol gives a meaning (`specials`: ", " for
 * measurements, ",= " for tag keys and values and field keys); a newline becomes a space. */
static void escaped(census_buf *b, const char *s, const char *specials) {
  for (; *s; s++) {
    if (strchr(specials, *s)) {
      census__buf_append_byte(b, '\\');
    }
    census__buf_append_byte(b, *s == '\n' ? ' ' : (uint8_t)*s);
  }
}

/* A double field, or false when InfluxDB cannot store it (NaN, infinities). */
static bool double_field(census_buf *b, const char *key, double v, bool first) {
  if (!isfinite(v)) {
    return false;
  }
  census__buf_printf(b, "%s%s=%.17g", first ? "" : ",", key, v);
  return true;
}

/* A Sum's or LastValue's value, or a distribution's sum, as the measure's type. */
static bool value_field(census_buf *b, const char *key, const census_view_data *v,
                        const census_point *p, bool first) {
  if (census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64) {
    census__buf_printf(b, "%s%s=%lldi", first ? "" : ",", key, (long long)p->int_value);
    return true;
  }
  return double_field(b, key, p->double_value, first);
}

/* The fields of a distribution row: count, sum, min, max, then the cumulative buckets. */
static bool distribution_fields(census_buf *b, const census_view_data *v, const census_point *p) {
  census__buf_printf(b, "count=%lldi", (long long)p->count);
  bool ok = value_field(b, "sum", v, p, false);
  if (p->count > 0) {
    ok = ok && double_field(b, "min", p->min, false) && double_field(b, "max", p->max, false);
  }
  const double *bounds = NULL;
  size_t n = census_view_data_bounds(v, &bounds);
  int64_t cumulative = 0;
  for (size_t i = 0; i < p->bucket_count; i++) {
    cumulative += p->bucket_counts[i];
    if (i < n) {
      char key[48];
      snprintf(key, sizeof key, "le_%g", bounds[i]);
      census__buf_append_byte(b, ',');
      escaped(b, key, ",= ");
      census__buf_printf(b, "=%lldi", (long long)cumulative);
    } else {
      census__buf_printf(b, ",le_inf=%lldi", (long long)cumulative);
    }
  }
  return ok;
}

/* One row as one line into `b`; false (nothing appended) when a value cannot be written. */
static bool encode_row(census_buf *b, const census_view_data *v, size_t row) {
  census_point p;
  if (census_view_data_row_point(v, row, &p) != CENSUS_OK) {
    return false;
  }
  size_t start = b->len;
  escaped(b, census_view_data_name(v), ", ");
  for (size_t c = 0; c < census_view_data_column_count(v); c++) {
    const char *value = census_view_data_row_value(v, row, c);
    if (value && *value) {
      census__buf_append_byte(b, ',');
      escaped(b, census_view_data_column(v, c), ",= ");
      census__buf_append_byte(b, '=');
      escaped(b, value, ",= ");
    }
  }
  if (census_view_data_row_is_overflow(v, row)) {
    census__buf_append_str(b, ",otel_metric_overflow=true");
  }
  census__buf_append_byte(b, ' ');
  bool ok = true;
  switch (census_view_data_aggregation(v)) {
  case CENSUS_AGGREGATION_COUNT:
    census__buf_printf(b, "count=%lldi", (long long)p.count);
    break;
  case CENSUS_AGGREGATION_SUM:
    ok = value_field(b, "sum", v, &p, true);
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    ok = value_field(b, "value", v, &p, true);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL: /* count, sum, min, max (the example writes no buckets) */
    ok = distribution_fields(b, v, &p);
    break;
  }
  census__buf_printf(b, " %lld\n", (long long)census_view_data_end_time_ns(v));
  if (!ok) {
    b->len = start; /* the row is dropped, counted by the caller */
    b->data[b->len] = '\0';
  }
  return ok;
}

/* The skeleton's encode callback: every row of every view, one request per snapshot. */
static census_status encode_views(void *user, const census_view_data *const *views, size_t count,
                                  census_push_round *round) {
  census_buf body = CENSUS_BUF_INIT;
  uint64_t lines = 0, unwritable = 0;
  for (size_t i = 0; i < count; i++) {
    for (size_t row = 0; row < census_view_data_row_count(views[i]); row++) {
      if (encode_row(&body, views[i], row)) {
        lines++;
      } else {
        unwritable++;
      }
    }
  }
  census__push_drop(round, unwritable, "non_finite",
                    "influx: rows with NaN or infinite values are not written (InfluxDB has none)");
  census_status status = lines ? census__push_submit(round, &body, lines) : CENSUS_OK;
  census__buf_free(&body);
  return status;
}

/* Starts the exporter for `write_url` (http(s)://host:port/write?db=<database>). */
static census_status influx_exporter_start(const char *write_url, influx_exporter **out) {
  census_push_config config = {
      .name = "influx",
      .encode_views = encode_views,
      .supersede_key = 1, /* cumulative snapshots, one request each */
      .http = {.url = write_url, .content_type = "text/plain; charset=utf-8", .timeout_ms = 5000}};
  census_status status = CENSUS_OK;
  *out = (influx_exporter *)census__push_start(&config, &status);
  return status;
}

static census_status influx_exporter_stats(influx_exporter *e, census_http_stats *stats) {
  return census__push_stats((census_push_exporter *)e, stats);
}

static census_status influx_exporter_stop(influx_exporter *e, int64_t timeout_ms) {
  return census__push_stop((census_push_exporter *)e, timeout_ms);
}

/* ---- the program ---------------------------------------------------------------------------- */

static void check(census_status status, const char *what) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "influx_exporter: %s: %s\n", what, census_status_name(status));
    exit(1);
  }
}

/* Registers view `name` of `measure` over `key` (NULL: no column) with `aggregation`. */
static void view(const char *name, const census_measure *measure, const census_tag_key *key,
                 census_aggregation *aggregation) {
  census_status status;
  census_view *v =
      census_view_new(name, "", measure, key ? &key : NULL, key ? 1 : 0, aggregation, &status);
  check(status, name);
  check(census_view_register(v), name);
  census_view_free(v);
  census_aggregation_free(aggregation);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: influx_exporter <InfluxDB write URL>\n");
    return 2;
  }
  census_status st;
  const census_tag_key *method = census_tag_key_new("method", &st);
  const census_measure *bytes = census_measure_int64_new("influx/bytes", "Bytes", "By", &st);
  const census_measure *temp = census_measure_double_new("influx/temp", "Temperature", "Cel", &st);
  const census_measure *latency = census_measure_double_new("influx/latency", "Latency", "ms", &st);
  check(st, "measures");
  double bounds[] = {10, 100};
  view("influx/requests", bytes, method, census_aggregation_count_new());
  view("influx/bytes", bytes, method, census_aggregation_sum_new());
  view("influx/temperature", temp, NULL, census_aggregation_last_value_new());
  view("influx/latency", latency, NULL, census_aggregation_distribution_new(bounds, 2, &st));

  influx_exporter *exporter = NULL;
  check(influx_exporter_start(argv[1], &exporter), "exporter");
  census_tag_map *get = census_tag_map_new(), *post = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(post, method, "POST a,b=c"); /* a tag value the line protocol must escape */
  const int64_t sizes[] = {100, 400, 1000};
  for (size_t i = 0; i < 3; i++) {
    check(census_record_int64(bytes, sizes[i], get), "record");
  }
  check(census_record_int64(bytes, 7, post), "record");
  check(census_record_double(temp, 19.0, NULL), "record");
  check(census_record_double(temp, 21.5, NULL), "record");
  const double latencies[] = {5, 10, 50, 250.5};
  for (size_t i = 0; i < 4; i++) {
    check(census_record_double(latency, latencies[i], NULL), "record");
  }
  census_status flushed = census_flush(5000); /* one export, delivered before it returns */
  census_http_stats s;
  check(influx_exporter_stats(exporter, &s), "stats");
  uint64_t lines_flushed = s.items_delivered;
  census_status shut = census_shutdown(5000); /* the final export; stops the exporter */
  check(influx_exporter_stats(exporter, &s), "stats after shutdown"); /* the final counters */
  census_status stopped = influx_exporter_stop(exporter, 5000);       /* frees; the final outcome */
  printf("{\"flush\":\"%s\",\"shutdown\":\"%s\",\"stop\":\"%s\",\"lines_flushed\":%llu,"
         "\"requests_delivered\":%llu,\"lines_delivered\":%llu,\"lines_dropped\":%llu}\n",
         census_status_name(flushed), census_status_name(shut), census_status_name(stopped),
         (unsigned long long)lines_flushed, (unsigned long long)s.requests_delivered,
         (unsigned long long)s.items_delivered, (unsigned long long)s.items_dropped);
  census_tag_map_free(get);
  census_tag_map_free(post);
  return flushed == CENSUS_OK && shut == CENSUS_OK && stopped == CENSUS_OK ? 0 : 1;
}
