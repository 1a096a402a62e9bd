/* zpages_pages.c - the three pages (overview, tracez, statsz) and their JSON twins.
 *
 * Each page is rendered whole into one buffer from data copied out first (a snapshot of the
 * views, the span store's counters and samples, the exporter registry), so no lock is held while
 * HTML is written. HTML and JSON are written from the same copies, so the page and its JSON
 * always say the same thing. Every value from the program goes through zp_html() (HTML) or the
 * JSON writer (which escapes per RFC 8259 and replaces bytes that are not UTF-8); ids and numbers
 * are written by the code itself.
 *
 * Pages: "" or "/" overview, "/tracez" (query: name, type = running | latency | error, bucket),
 * "/statsz"; each with ".json". The optional query "refresh=N" (1 to 3600) adds a meta refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "resource.h"
#include "span_fields.h"
#include "zpages_internal.h"
#include "alloc.h"

extern char **environ;

static const char *const HTML = "text/html; charset=utf-8";
static const char *const JSON = "application/json";

/* ---- shared bits ------------------------------------------------------------------------------
 */

static int refresh_of(const zp_request *r) {
  const char *v = r->query(r->request, "refresh");
  int s = v ? atoi(v) : 0;
  return s >= 1 && s <= 3600 ? s : 0;
}

static void kv_row(census_buf *o, const char *key, const char *value) {
  census__buf_append_str(o, "<tr><th>");
  zp_html(o, key);
  census__buf_append_str(o, "</th><td>");
  zp_html(o, value);
  census__buf_append_str(o, "</td></tr>");
}

static const char *aggregation_name(census_aggregation_type t) {
  switch (t) {
  case CENSUS_AGGREGATION_COUNT:
    return "count";
  case CENSUS_AGGREGATION_SUM:
    return "sum";
  case CENSUS_AGGREGATION_LAST_VALUE:
    return "last_value";
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return "distribution";
  case CENSUS_AGGREGATION_EXPONENTIAL:
    return "exponential";
  }
  return "unknown";
}

static const char *status_name(census_span_status_code c) {
  return c == CENSUS_SPAN_STATUS_OK ? "OK" : c == CENSUS_SPAN_STATUS_ERROR ? "ERROR" : "UNSET";
}

/* An environment variable's name that holds a secret: its value is shown as "****". */
static bool secret_name(const char *name) {
  static const char *const words[] = {"HEADERS",  "KEY",        "TOKEN",  "SECRET",
                                      "PASSWORD", "CREDENTIAL", "COOKIE", "AUTH"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strstr(name, words[i])) {
      return true;
    }
  }
  return false;
}

/* `value` as shown: a URL loses its user:password@, its query and its fragment ("?***"). */
static void redact_into(census_buf *o, const char *value) {
  const char *scheme = strstr(value, "://");
  if (!scheme) {
    census__buf_append_str(o, value);
    return;
  }
  const char *host = scheme + 3;
  size_t authority = strcspn(host, "/?#");
  const char *at = memchr(host, '@', authority);
  census__buf_append(o, value, (size_t)(host - value));
  if (at) {
    census__buf_append_str(o, "***@");
    authority -= (size_t)(at + 1 - host);
    host = at + 1;
  }
  size_t rest = strcspn(host, "?#");
  census__buf_append(o, host, rest);
  if (host[rest]) {
    census__buf_append_str(o, host[rest] == '?' ? "?***" : "#***");
  }
}

/* The OTEL_* and CENSUS_* variables of the process, names sorted, values masked or redacted:
 * pairs of strings in one buffer, "name\0value\0...". Returns how many. */
static size_t environment(census_buf *o) {
  size_t n = 0;
  for (char **e = environ; e && *e; e++) {
    if (strncmp(*e, "OTEL_", 5) != 0 && strncmp(*e, "CENSUS_", 7) != 0) {
      continue;
    }
    const char *eq = strchr(*e, '=');
    if (!eq) {
      continue;
    }
    census__buf_append(o, *e, (size_t)(eq - *e));
    census__buf_append_byte(o, 0);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
    if (secret_name(name) && eq[1]) {
      census__buf_append_str(o, "****");
    } else {
      redact_into(o, eq + 1);
    }
    census__buf_append_byte(o, 0);
    n++;
  }
  return o->failed ? 0 : n; /* out of memory: no partial list to walk (the caller fails) */
}

/* Appends the part `from` to `to`; a part that could not be built (out of memory) fails `to`, so
 * that the page fails whole (the server answers 503) rather than be served incomplete.
 * tests/reliability/alloc_failure.c ("zpages pages") got partial pages with status 200. */
static void put_part(census_buf *to, const census_buf *from) {
  if (from->failed) {
    to->failed = true;
  } else {
    census__buf_append(to, from->data, from->len);
  }
}

/* ---- overview ---------------------------------------------------------------------------------
 */

/* What the overview shows of one exporter, copied during the registry visit. */
typedef struct exporter_copy {
  census_buf html;
  census_json json;
  census_buf json_out;
  size_t count;
} exporter_copy;

static void visit_exporter(void *context, const census_exporter_status *s) {
  exporter_copy *c = context;
  census_buf *o = &c->html;
  census__buf_append_str(o, "<tr><td>");
  zp_html(o, s->name);
  census__buf_append_str(o, "</td><td>");
  zp_html(o, s->kind);
  census__buf_append_str(o, "</td><td>");
  zp_html(o, s->items);
  census__buf_printf(o,
                     "</td><td class=\"n delivered\">%llu</td><td class=\"n rejected\">%llu</td>"
                     "<td class=\"n dropped\">%llu</td><td class=\"err\">",
                     (unsigned long long)s->delivered, (unsigned long long)s->rejected,
                     (unsigned long long)s->dropped);
  if (s->last_error[0]) {
    zp_html(o, s->last_error);
    census__buf_append_str(o, " <span class=\"muted\">(");
    zp_time(o, s->last_error_time_ns);
    census__buf_append_str(o, ")</span>");
  } else {
    census__buf_append_str(o, "<span class=\"muted\">none</span>");
  }
  census__buf_append_str(o, "</td><td><table>");
  for (size_t i = 0; i < s->config_count; i++) {
    kv_row(o, s->config[i].key, s->config[i].value);
  }
  census__buf_append_str(o, "</table></td></tr>\n");

  census_json *j = &c->json;
  census__json_object_begin(j);
  census__json_kv_string(j, "name", s->name);
  census__json_kv_string(j, "kind", s->kind);
  census__json_kv_string(j, "items", s->items);
  census__json_kv_int64(j, "delivered", (int64_t)s->delivered);
  census__json_kv_int64(j, "rejected", (int64_t)s->rejected);
  census__json_kv_int64(j, "dropped", (int64_t)s->dropped);
  census__json_kv_string(j, "last_error", s->last_error);
  census__json_kv_int64(j, "last_error_time_ns", s->last_error_time_ns);
  census__json_key(j, "config");
  census__json_object_begin(j);
  for (size_t i = 0; i < s->config_count; i++) {
    census__json_kv_string(j, s->config[i].key, s->config[i].value);
  }
  census__json_object_end(j);
  census__json_object_end(j);
  c->count++;
}

/* The census settings and zPages options in force, as (key, value) pairs. */
static size_t settings(const zp_context *z, char values[][48], const char *keys[]) {
  census_span_export_options so = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  census_trace_export_options(&so);
  const census_zpages_options *o = z->options;
  size_t n = 0;
#define SETTING(key, ...)                                                                          \
  do {                                                                                             \
    keys[n] = key;                                                                                 \
    snprintf(values[n], 48, __VA_ARGS__);                                                          \
    n++;                                                                                           \
  } while (0)
  SETTING("census.export_interval_ms", "%lld", (long long)census_export_interval_ms());
  SETTING("census.span.max_queue_size", "%u", so.max_queue_size);
  SETTING("census.span.max_export_batch_size", "%u", so.max_export_batch_size);
  SETTING("census.span.schedule_delay_ms", "%lld", (long long)so.schedule_delay_ms);
  SETTING("census.span.export_timeout_ms", "%lld", (long long)so.export_timeout_ms);
  SETTING("zpages.prefix", "%s", z->prefix);
  SETTING("zpages.record_unsampled", "%s", o->record_unsampled ? "on" : "off");
  SETTING("zpages.max_span_names", "%u", o->max_span_names);
  SETTING("zpages.samples_per_bucket", "%u", o->samples_per_bucket);
  SETTING("zpages.running_samples", "%u", o->running_samples);
  SETTING("zpages.sample_max_bytes", "%zu", o->sample_max_bytes);
  SETTING("zpages.sample_interval_ms", "%lld", (long long)o->sample_interval_ms);
  SETTING("zpages.history_interval_ms", "%lld", (long long)o->history_interval_ms);
  SETTING("zpages.history_points", "%u", o->history_points);
  SETTING("zpages.max_history_views", "%u", o->max_history_views);
#undef SETTING
  return n;
}

/* A self-metric view without rows: "view (none) 0". */
static void self_metric_without_rows(const char *name, census_buf *html, census_json *j) {
  census__buf_append_str(html, "<tr><td>");
  zp_html(html, name);
  census__buf_append_str(html, "</td><td class=\"muted\">(none)</td><td class=\"n\">0</td></tr>");
  census__json_object_begin(j);
  census__json_kv_string(j, "view", name);
  census__json_key(j, "columns");
  census__json_object_begin(j);
  census__json_object_end(j);
  census__json_kv_int64(j, "value", 0);
  census__json_object_end(j);
}

/* The self-metric views (census/...), rendered as rows "view {columns} value". A view without
 * rows (nothing dropped yet: its sums are all 0) is one row "(none) 0", so every self-metric is
 * listed, not only those that counted something. */
static void self_metric_rows(census_view_data **views, size_t count, census_buf *html,
                             census_json *j) {
  census__json_key(j, "self_metrics");
  census__json_array_begin(j);
  for (size_t v = 0; v < count; v++) {
    const char *name = census_view_data_name(views[v]);
    if (strncmp(name, "census/", 7) != 0) {
      continue;
    }
    if (census_view_data_row_count(views[v]) == 0) {
      self_metric_without_rows(name, html, j);
      continue;
    }
    for (size_t r = 0; r < census_view_data_row_count(views[v]); r++) {
      census_point p;
      census_view_data_row_point(views[v], r, &p);
      census__buf_append_str(html, "<tr><td>");
      zp_html(html, name);
      census__buf_append_str(html, "</td><td>");
      census__json_object_begin(j);
      census__json_kv_string(j, "view", name);
      census__json_key(j, "columns");
      census__json_object_begin(j);
      for (size_t c = 0; c < census_view_data_column_count(views[v]); c++) {
        const char *column = census_view_data_column(views[v], c);
        const char *value = census_view_data_row_value(views[v], r, c);
        census__json_kv_string(j, column, value);
        zp_html(html, column);
        census__buf_append_str(html, "=");
        zp_html(html, value);
        census__buf_append_str(html, " ");
      }
      census__json_object_end(j);
      census__json_kv_int64(j, "value", p.int_value);
      census__json_object_end(j);
      census__buf_printf(html, "</td><td class=\"n\">%lld</td></tr>", (long long)p.int_value);
    }
  }
  census__json_array_end(j);
}

/* The zPages' own counters (overview). */
static void overview_zpages(const zp_context *z, census_buf *html_out, census_json *j) {
  census_buf *html = html_out;
  census_zpages_stats self;
  z->self_stats(z->z, &self);
  census__buf_append_str(html, "<h2>zPages</h2><table class=\"zpages\">");
  census__json_key(j, "zpages");
  census__json_object_begin(j);
  const struct {
    const char *name;
    uint64_t value;
  } counters[] = {
      {"pages_served", self.pages_served},   {"requests_refused", self.requests_refused},
      {"spans_started", self.spans_started}, {"spans_ended", self.spans_ended},
      {"span_names", self.span_names},       {"spans_other_names", self.spans_other_names},
      {"samples_taken", self.samples_taken}, {"samples_cut", self.samples_cut},
      {"samples_held", self.samples_held},   {"bytes_held", self.bytes_held},
      {"bytes_bound", self.bytes_bound}};
  for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
    char number[32];
    snprintf(number, sizeof number, "%llu", (unsigned long long)counters[i].value);
    kv_row(html, counters[i].name, number);
    census__json_kv_int64(j, counters[i].name, (int64_t)counters[i].value);
  }
  census__json_object_end(j);
  census__buf_append_str(html, "</table>\n");
}

/* The configuration in force (overview): census's settings, the zPages' options, the OTEL_* and
 * CENSUS_* environment, secrets masked. */
static void overview_config(const zp_context *z, census_buf *html, census_json *j) {
  /* Configuration in force. */
  census__buf_append_str(html, "<h2>Configuration</h2><table class=\"config\">");
  census__json_key(j, "config");
  census__json_object_begin(j);
  char values[32][48];
  const char *keys[32];
  size_t n = settings(z, values, keys);
  for (size_t i = 0; i < n; i++) {
    kv_row(html, keys[i], values[i]);
    census__json_kv_string(j, keys[i], values[i]);
  }
  census_buf env = CENSUS_BUF_INIT;
  size_t vars = environment(&env);
  if (env.failed) {
    html->failed = true;
    j->out->failed = true;
  }
  const char *p = env.data;
  for (size_t i = 0; i < vars; i++) {
    const char *value = p + strlen(p) + 1;
    kv_row(html, p, value);
    census__json_kv_string(j, p, value);
    p = value + strlen(value) + 1;
  }
  census__buf_free(&env);
  census__json_object_end(j);
}

/* The overview's resource: every attribute as a row (an int64 as its decimal). */
static void overview_resource(const census_resource *resource, census_buf *html, census_json *j) {
  census__buf_append_str(html, "<h2>Resource</h2><table class=\"resource\">");
  census__json_key(j, "resource");
  census__json_object_begin(j);
  for (size_t i = 0; resource && i < resource->count; i++) {
    const census_resource_attribute *a = &resource->attributes[i];
    char number[32];
    const char *value = a->string_value;
    if (a->type == CENSUS_ATTRIBUTE_INT64) {
      snprintf(number, sizeof number, "%lld", (long long)census__resource_int(a));
      value = number;
    }
    kv_row(html, a->key, value);
    census__json_kv_string(j, a->key, value);
  }
  census__json_object_end(j);
  census__buf_append_str(html, "</table>\n");
}

/* The overview: six sections in order (facts, resource, exporters, self-metrics, zPages,
 * configuration), the longer ones functions of their own. */
static unsigned page_overview(const zp_context *z, const zp_request *r, bool json, census_buf *o) {
  census_view_data **views = NULL;
  size_t view_count = 0;
  census_status views_status = census_view_data_get_all(&views, &view_count);
  census_resource *resource = census__resource_build(NULL, NULL, 0, NULL);

  census_buf html = CENSUS_BUF_INIT, js = CENSUS_BUF_INIT;
  census_json j;
  census__json_init(&j, &js);
  census__json_object_begin(&j);
  census__json_kv_string(&j, "version", census_version());
  census__json_kv_int64(&j, "export_interval_ms", census_export_interval_ms());
  census__json_kv_int64(&j, "dropped_spans", (int64_t)census_trace_dropped_spans());
  census__json_kv_string(&j, "census", views_status == CENSUS_OK ? "running" : "shut down");

  zp_page_begin(&html, z->prefix, "census overview", refresh_of(r));
  census__buf_append_str(&html, "<table class=\"facts\">");
  kv_row(&html, "census version", census_version());
  char interval[32];
  snprintf(interval, sizeof interval, "%lld ms", (long long)census_export_interval_ms());
  kv_row(&html, "export interval", interval);
  kv_row(&html, "state", views_status == CENSUS_OK ? "running" : "shut down");
  census__buf_append_str(&html, "</table>\n");
  overview_resource(resource, &html, &j);

  /* Exporters, from the status registry. */
  exporter_copy c = {.html = CENSUS_BUF_INIT, .json_out = CENSUS_BUF_INIT};
  census__json_key(&j, "exporters");
  census__json_array_begin(&j);
  c.json = j; /* continue the same writer inside the visit */
  census_exporter_status_visit(visit_exporter, &c);
  j = c.json;
  census__json_array_end(&j);
  census__buf_append_str(&html,
                         "<h2>Exporters</h2><table class=\"exporters\"><tr><th>name</th><th>kind"
                         "</th><th>counts</th><th>delivered</th><th>rejected</th><th>dropped</th>"
                         "<th>last error</th><th>configuration</th></tr>\n");
  put_part(&html, &c.html);
  census__buf_free(&c.html);
  census__buf_append_str(&html, "</table>\n");

  /* Self-metrics: census's own views, the dropped spans, the zPages' counters. */
  census__buf_append_str(&html, "<h2>Self-metrics</h2><table class=\"self-metrics\">"
                                "<tr><th>view</th><th>row</th><th>value</th></tr>");
  self_metric_rows(views, view_count, &html, &j);
  census__buf_printf(&html,
                     "<tr><td>census_trace_dropped_spans()</td><td></td><td class=\"n\">%llu</td>"
                     "</tr></table>\n",
                     (unsigned long long)census_trace_dropped_spans());
  overview_zpages(z, &html, &j);
  overview_config(z, &html, &j);
  census__buf_append_str(&html, "</table>\n<p class=\"muted\">Environment variables named like a "
                                "secret (KEY, TOKEN, HEADERS, ...) show ****; URLs lose their "
                                "credentials and query. Pages: <a href=\"");
  zp_html(&html, z->prefix);
  census__buf_append_str(&html, "/overview.json\">overview.json</a></p>");
  zp_page_end(&html);
  census__json_object_end(&j);

  if (views_status == CENSUS_ENOMEM || !resource) {
    o->failed = true; /* not "shut down", not a page without its self-metrics: out of memory */
  } else {
    put_part(o, json ? &js : &html);
  }
  census__buf_free(&html);
  census__buf_free(&js);
  census__resource_free(resource);
  if (views_status == CENSUS_OK) {
    census_view_data_free_all(views, view_count);
  }
  return 200;
}

/* ---- tracez -----------------------------------------------------------------------------------
 */

static void tracez_link(census_buf *o, const zp_context *z, const char *name, const char *type,
                        int bucket) {
  census__buf_append_str(o, "<a href=\"");
  zp_html(o, z->prefix);
  census__buf_append_str(o, "/tracez?name=");
  census_buf url = CENSUS_BUF_INIT;
  zp_url_component(&url, name);
  put_part(o, &url);
  census__buf_free(&url);
  census__buf_printf(o, "&amp;type=%s", type);
  if (bucket >= 0) {
    census__buf_printf(o, "&amp;bucket=%d", bucket);
  }
  census__buf_append_str(o, "\">");
}

static void tracez_summary(const zp_context *z, const zp_summary *rows, size_t n, bool json,
                           census_buf *o, int refresh) {
  if (json) {
    census_json j;
    census__json_init(&j, o);
    census__json_object_begin(&j);
    census__json_key(&j, "buckets");
    census__json_array_begin(&j);
    for (unsigned b = 0; b < ZP_LATENCY_BUCKETS; b++) {
      census__json_string(&j, zp_latency_label(b));
    }
    census__json_array_end(&j);
    census__json_key(&j, "spans");
    census__json_array_begin(&j);
    for (size_t i = 0; i < n; i++) {
      census__json_object_begin(&j);
      census__json_kv_string(&j, "name", rows[i].name);
      census__json_kv_bool(&j, "other_names", rows[i].other);
      census__json_kv_int64(&j, "running", rows[i].running);
      census__json_key(&j, "latency");
      census__json_array_begin(&j);
      for (unsigned b = 0; b < ZP_LATENCY_BUCKETS; b++) {
        census__json_int64(&j, (int64_t)rows[i].latency[b]);
      }
      census__json_array_end(&j);
      census__json_kv_int64(&j, "errors", (int64_t)rows[i].errors);
      census__json_kv_int64(&j, "unsampled", (int64_t)rows[i].unsampled);
      census__json_object_end(&j);
    }
    census__json_array_end(&j);
    census__json_object_end(&j);
    return;
  }
  zp_page_begin(o, z->prefix, "tracez", refresh);
  census__buf_append_str(o, "<p>Spans by name: running now, ended per latency bucket (status not "
                            "an error), and errors. Click a number for sample spans.");
  if (z->options->record_unsampled) {
    census__buf_append_str(o, " Spans the sampler refused are counted too (never exported).");
  }
  census__buf_append_str(o, "</p><table class=\"tracez\"><tr><th>span name</th><th>running</th>");
  for (unsigned b = 0; b < ZP_LATENCY_BUCKETS; b++) {
    census__buf_printf(o, "<th>%s</th>", zp_latency_label(b));
  }
  census__buf_append_str(o, "<th>errors</th></tr>\n");
  for (size_t i = 0; i < n; i++) {
    census__buf_append_str(o, "<tr><td class=\"name\">");
    zp_html(o, rows[i].name);
    census__buf_append_str(o, "</td><td class=\"n running\">");
    tracez_link(o, z, rows[i].name, "running", -1);
    census__buf_printf(o, "%lld</a></td>", (long long)rows[i].running);
    for (unsigned b = 0; b < ZP_LATENCY_BUCKETS; b++) {
      census__buf_printf(o, "<td class=\"n latency b%u\">", b);
      if (rows[i].latency[b]) {
        tracez_link(o, z, rows[i].name, "latency", (int)b);
        census__buf_printf(o, "%llu</a>", (unsigned long long)rows[i].latency[b]);
      } else {
        census__buf_append_str(o, "0");
      }
      census__buf_append_str(o, "</td>");
    }
    census__buf_append_str(o, "<td class=\"n errors\">");
    if (rows[i].errors) {
      tracez_link(o, z, rows[i].name, "error", -1);
      census__buf_printf(o, "%llu</a>", (unsigned long long)rows[i].errors);
    } else {
      census__buf_append_str(o, "0");
    }
    census__buf_append_str(o, "</td></tr>\n");
  }
  census__buf_append_str(o, "</table>");
  if (n == 0) {
    census__buf_append_str(o, "<p class=\"muted\">No span has started since the zPages did.</p>");
  }
  zp_page_end(o);
}

static void attr_value_text(census_buf *t, const zp_attr *a) {
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__buf_append_str(t, a->string_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__buf_printf(t, "%lld", (long long)a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE: {
    char d[32];
    census__span_format_double(a->double_value, d);
    census__buf_append_str(t, d);
    break;
  }
  case CENSUS_ATTRIBUTE_BOOL:
    census__buf_append_str(t, a->bool_value ? "true" : "false");
    break;
  default: /* the array types: their JSON text, ["a","b"] (zp_attr) */
    census__buf_append_str(t, a->string_value ? a->string_value : "");
    break;
  }
}

static void attrs_html(census_buf *o, const zp_attr *attrs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    census_buf value = CENSUS_BUF_INIT;
    attr_value_text(&value, &attrs[i]);
    census__buf_append_byte(&value, 0);
    census__buf_append_str(o, "<div class=\"attr\"><code>");
    zp_html(o, attrs[i].key);
    census__buf_append_str(o, "</code> = <code>");
    zp_html(o, value.data ? value.data : "");
    census__buf_append_str(o, "</code></div>");
    o->failed |= value.failed;
    census__buf_free(&value);
  }
}

static void attrs_json(census_json *j, const zp_attr *attrs, uint32_t n) {
  census__json_object_begin(j);
  for (uint32_t i = 0; i < n; i++) {
    census__json_key(j, attrs[i].key);
    switch (attrs[i].type) {
    case CENSUS_ATTRIBUTE_STRING:
      census__json_string(j, attrs[i].string_value);
      break;
    case CENSUS_ATTRIBUTE_INT64:
      census__json_int64(j, attrs[i].int_value);
      break;
    case CENSUS_ATTRIBUTE_DOUBLE:
      census__json_double(j, attrs[i].double_value);
      break;
    case CENSUS_ATTRIBUTE_BOOL:
      census__json_bool(j, attrs[i].bool_value);
      break;
    default: /* the array types: the JSON array itself, or its cut text as a string */
      if (attrs[i].whole) {
        census__json_raw(j, attrs[i].string_value);
      } else {
        census__json_string(j, attrs[i].string_value ? attrs[i].string_value : "");
      }
      break;
    }
  }
  census__json_object_end(j);
}

static void hex_json(census_json *j, const char *key, const uint8_t *b, size_t n) {
  census__json_key(j, key);
  census__json_hex(j, b, n);
}

static void sample_json(census_json *j, const zp_sample *x) {
  census__json_object_begin(j);
  census__json_kv_string(j, "name", x->name);
  hex_json(j, "trace_id", x->context.trace_id, CENSUS_TRACE_ID_SIZE);
  hex_json(j, "span_id", x->context.span_id, CENSUS_SPAN_ID_SIZE);
  if (x->has_parent) {
    hex_json(j, "parent_span_id", x->parent_span_id, CENSUS_SPAN_ID_SIZE);
    census__json_kv_bool(j, "parent_remote", x->parent_remote);
  }
  census__json_kv_bool(j, "sampled", x->sampled);
  census__json_kv_string(j, "kind", census__span_kind_name(x->kind));
  census__json_kv_int64(j, "start_time_ns", x->start_ns);
  census__json_kv_int64(j, "end_time_ns", x->end_ns);
  census__json_kv_int64(j, "duration_ns", x->end_ns - x->start_ns);
  census__json_kv_string(j, "status", status_name(x->status));
  census__json_kv_string(j, "status_message", x->status_message);
  census__json_key(j, "attributes");
  attrs_json(j, x->attrs, x->attr_count);
  census__json_key(j, "events");
  census__json_array_begin(j);
  for (uint32_t i = 0; i < x->event_count; i++) {
    census__json_object_begin(j);
    census__json_kv_string(j, "name", x->events[i].name);
    census__json_kv_int64(j, "time_ns", x->events[i].time_ns);
    census__json_key(j, "attributes");
    attrs_json(j, x->events[i].attrs, x->events[i].attr_count);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  census__json_key(j, "links");
  census__json_array_begin(j);
  for (uint32_t i = 0; i < x->link_count; i++) {
    census__json_object_begin(j);
    hex_json(j, "trace_id", x->links[i].context.trace_id, CENSUS_TRACE_ID_SIZE);
    hex_json(j, "span_id", x->links[i].context.span_id, CENSUS_SPAN_ID_SIZE);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  census__json_kv_int64(j, "dropped_attributes", x->dropped_attrs);
  census__json_kv_int64(j, "dropped_events", x->dropped_events);
  census__json_kv_int64(j, "dropped_links", x->dropped_links);
  census__json_kv_int64(j, "cut", x->cut);
  census__json_object_end(j);
}

static void sample_html(census_buf *o, const zp_sample *x) {
  census__buf_append_str(o, "<tr class=\"span\"><td><code>");
  census__buf_append_hex(o, x->context.trace_id, CENSUS_TRACE_ID_SIZE);
  census__buf_append_str(o, "</code><br><code>");
  census__buf_append_hex(o, x->context.span_id, CENSUS_SPAN_ID_SIZE);
  census__buf_append_str(o, "</code>");
  if (x->has_parent) {
    census__buf_append_str(o, "<br>parent <code>");
    census__buf_append_hex(o, x->parent_span_id, CENSUS_SPAN_ID_SIZE);
    census__buf_append_str(o, x->parent_remote ? "</code> (remote)" : "</code>");
  }
  census__buf_printf(o, "</td><td>%s%s</td><td>", census__span_kind_name(x->kind),
                     x->sampled ? "" : "<br><span class=\"muted\">not sampled</span>");
  zp_time(o, x->start_ns);
  census__buf_append_str(o, "</td><td class=\"n duration\">");
  zp_number(o, (double)(x->end_ns - x->start_ns) / 1e3);
  census__buf_printf(o, " &micro;s</td><td class=\"%s\">%s",
                     x->status == CENSUS_SPAN_STATUS_ERROR ? "err" : "", status_name(x->status));
  if (x->status_message[0]) {
    census__buf_append_str(o, ": ");
    zp_html(o, x->status_message);
  }
  census__buf_append_str(o, "</td><td class=\"attributes\">");
  attrs_html(o, x->attrs, x->attr_count);
  census__buf_append_str(o, "</td><td class=\"events\">");
  for (uint32_t i = 0; i < x->event_count; i++) {
    census__buf_append_str(o, "<div class=\"event\">+");
    zp_number(o, (double)(x->events[i].time_ns - x->start_ns) / 1e3);
    census__buf_append_str(o, " &micro;s <span class=\"ename\">");
    zp_html(o, x->events[i].name);
    census__buf_append_str(o, "</span>");
    attrs_html(o, x->events[i].attrs, x->events[i].attr_count);
    census__buf_append_str(o, "</div>");
  }
  census__buf_append_str(o, "</td><td class=\"links\">");
  for (uint32_t i = 0; i < x->link_count; i++) {
    census__buf_append_str(o, "<div><code>");
    census__buf_append_hex(o, x->links[i].context.trace_id, CENSUS_TRACE_ID_SIZE);
    census__buf_append_str(o, "/");
    census__buf_append_hex(o, x->links[i].context.span_id, CENSUS_SPAN_ID_SIZE);
    census__buf_append_str(o, "</code></div>");
  }
  if (x->dropped_attrs || x->dropped_events || x->dropped_links || x->cut) {
    census__buf_printf(o,
                       "<div class=\"muted\">dropped by limits: %u attributes, %u events, %u "
                       "links; cut to fit: %u</div>",
                       x->dropped_attrs, x->dropped_events, x->dropped_links, x->cut);
  }
  census__buf_append_str(o, "</td></tr>\n");
}

static void running_json(census_json *j, const zp_running *r) {
  census__json_object_begin(j);
  hex_json(j, "trace_id", r->trace_id, CENSUS_TRACE_ID_SIZE);
  hex_json(j, "span_id", r->span_id, CENSUS_SPAN_ID_SIZE);
  if (r->has_parent) {
    hex_json(j, "parent_span_id", r->parent_span_id, CENSUS_SPAN_ID_SIZE);
  }
  census__json_kv_bool(j, "sampled", r->sampled);
  census__json_kv_string(j, "kind", census__span_kind_name(r->kind));
  census__json_kv_int64(j, "start_time_ns", r->start_ns);
  census__json_object_end(j);
}

/* The running spans of `name`: table rows, or JSON objects into the open array of `j`. */
static void running_rows(const zp_context *z, const char *name, bool json, census_json *jp,
                         census_buf *o) {
  size_t n;
  zp_running *spans = zp_store_running(z->store, name, &n);
  if (!json) {
    census__buf_append_str(o, "<p>Running spans (as they started; attributes come when they "
                              "end):</p><table class=\"running\"><tr><th>trace / span id</th>"
                              "<th>kind</th><th>started</th><th>running for</th></tr>\n");
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  for (size_t i = 0; i < n; i++) {
    if (json) {
      running_json(jp, &spans[i]);
      continue;
    }
    census__buf_append_str(o, "<tr class=\"span\"><td><code>");
    census__buf_append_hex(o, spans[i].trace_id, CENSUS_TRACE_ID_SIZE);
    census__buf_append_str(o, "</code><br><code>");
    census__buf_append_hex(o, spans[i].span_id, CENSUS_SPAN_ID_SIZE);
    census__buf_printf(o, "</code></td><td>%s</td><td>", census__span_kind_name(spans[i].kind));
    zp_time(o, spans[i].start_ns);
    census__buf_append_str(o, "</td><td class=\"n\">");
    zp_number(o, (double)(now_ns - spans[i].start_ns) / 1e6);
    census__buf_append_str(o, " ms</td></tr>\n");
  }
  census__free(spans);
}

/* The detail page: one name's running spans, or the samples of one bucket or of its errors. */
static unsigned tracez_detail(const zp_context *z, const zp_request *r, const char *name, bool json,
                              census_buf *o) {
  const char *type = r->query(r->request, "type");
  const char *bucket_text = r->query(r->request, "bucket");
  type = type ? type : "latency";
  bool running = strcmp(type, "running") == 0, error = strcmp(type, "error") == 0;
  /* bucket: one digit 0..8 (atoi would read "x" or "1x" as a bucket) */
  int bucket = 0;
  bool bucket_ok = true;
  if (bucket_text) {
    bucket_ok = bucket_text[0] >= '0' && bucket_text[0] < '0' + ZP_LATENCY_BUCKETS &&
                bucket_text[1] == '\0';
    bucket = bucket_ok ? bucket_text[0] - '0' : 0;
  }
  if ((!running && !error && strcmp(type, "latency") != 0) || !bucket_ok) {
    census__buf_append_str(o, "bad query: type is running, latency or error; bucket 0 to 8\n");
    return 400;
  }
  census_buf title = CENSUS_BUF_INIT;
  census__buf_printf(&title, "%s spans: ", running ? "running" : error ? "error" : "sample");
  census__buf_append_str(&title, name);
  if (!running && !error) {
    census__buf_printf(&title, " (%s)", zp_latency_label((unsigned)bucket));
  }
  census__buf_append_byte(&title, 0);
  census_json j;
  census__json_init(&j, o);
  if (json) {
    census__json_object_begin(&j);
    census__json_kv_string(&j, "name", name);
    census__json_kv_string(&j, "type", type);
    if (!running && !error) {
      census__json_kv_string(&j, "bucket", zp_latency_label((unsigned)bucket));
    }
    census__json_key(&j, "spans");
    census__json_array_begin(&j);
  } else {
    zp_page_begin(o, z->prefix, title.data ? title.data : "", refresh_of(r));
  }
  o->failed |= title.failed;
  census__buf_free(&title);
  if (running) {
    running_rows(z, name, json, &j, o);
  } else {
    size_t n;
    zp_sample **samples =
        zp_store_samples(z->store, name, error ? ZP_LATENCY_BUCKETS : (unsigned)bucket, &n);
    if (!json) {
      census__buf_append_str(o, "<table class=\"samples\"><tr><th>trace / span id</th><th>kind"
                                "</th><th>start</th><th>duration</th><th>status</th><th>"
                                "attributes</th><th>events</th><th>links</th></tr>\n");
    }
    for (size_t i = 0; i < n; i++) {
      if (json) {
        sample_json(&j, samples[i]);
      } else {
        sample_html(o, samples[i]);
      }
    }
    if (samples) {
      zp_samples_release(z->store, samples, n);
    }
  }
  if (json) {
    census__json_array_end(&j);
    census__json_object_end(&j);
  } else {
    census__buf_append_str(o, "</table>");
    zp_page_end(o);
  }
  return 200;
}

static unsigned page_tracez(const zp_context *z, const zp_request *r, bool json, census_buf *o) {
  const char *name = r->query(r->request, "name");
  if (name) {
    return tracez_detail(z, r, name, json, o);
  }
  size_t n;
  zp_summary *rows = zp_store_summaries(z->store, &n);
  if (!rows) {
    o->failed = true; /* out of memory: not a page without its spans */
    return 200;
  }
  tracez_summary(z, rows, n, json, o, refresh_of(r));
  census__free(rows);
  return 200;
}

/* ---- statsz -----------------------------------------------------------------------------------
 */

static void point_value_html(census_buf *o, const census_view_data *v, size_t row,
                             const census_point *p) {
  bool is_int = census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64;
  switch (census_view_data_aggregation(v)) {
  case CENSUS_AGGREGATION_COUNT:
    census__buf_printf(o, "<td class=\"n value\">%lld</td>", (long long)p->count);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_LAST_VALUE:
    census__buf_append_str(o, "<td class=\"n value\">");
    zp_number(o, is_int ? (double)p->int_value : p->double_value);
    census__buf_append_str(o, "</td>");
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL:
    census__buf_printf(o, "<td class=\"n value count\">%lld</td><td class=\"n\">",
                       (long long)p->count);
    zp_number(o, p->mean);
    census__buf_append_str(o, "</td><td class=\"n\">");
    zp_number(o, p->count ? p->min : 0);
    census__buf_append_str(o, "</td><td class=\"n\">");
    zp_number(o, p->count ? p->max : 0);
    census__buf_append_str(o, "</td>");
    if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_EXPONENTIAL) {
      zp_exponential_cells(o, v, row);
      break;
    }
    census__buf_append_str(o, "<td class=\"buckets\">");
    for (size_t b = 0; b < p->bucket_count; b++) {
      census__buf_printf(o, "%s%lld", b ? " " : "", (long long)p->bucket_counts[b]);
    }
    census__buf_append_str(o, "</td>");
    break;
  }
}

static void point_value_json(census_json *j, const census_view_data *v, size_t row,
                             const census_point *p) {
  bool is_int = census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_INT64;
  switch (census_view_data_aggregation(v)) {
  case CENSUS_AGGREGATION_COUNT:
    census__json_kv_int64(j, "count", p->count);
    break;
  case CENSUS_AGGREGATION_SUM:
  case CENSUS_AGGREGATION_LAST_VALUE:
    census__json_key(j, "value");
    if (is_int) {
      census__json_int64(j, p->int_value);
    } else {
      census__json_double(j, p->double_value);
    }
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
  case CENSUS_AGGREGATION_EXPONENTIAL:
    census__json_kv_int64(j, "count", p->count);
    census__json_key(j, "sum");
    if (is_int) {
      census__json_int64(j, p->int_value);
    } else {
      census__json_double(j, p->double_value);
    }
    census__json_kv_double(j, "mean", p->mean);
    census__json_kv_double(j, "min", p->count ? p->min : 0);
    census__json_kv_double(j, "max", p->count ? p->max : 0);
    if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_EXPONENTIAL) {
      zp_exponential_json(j, v, row);
      break;
    }
    census__json_key(j, "buckets");
    census__json_array_begin(j);
    for (size_t b = 0; b < p->bucket_count; b++) {
      census__json_int64(j, p->bucket_counts[b]);
    }
    census__json_array_end(j);
    break;
  }
}

/* The chart of one view: a distribution's buckets summed over its rows as bars, anything else
 * the history of its total as a sparkline. */
static void view_chart(const zp_context *z, const census_view_data *v, census_buf *o,
                       census_json *j) {
  if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_EXPONENTIAL) {
    zp_exponential_chart(v, o, j);
    return;
  }
  if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_DISTRIBUTION) {
    const double *bounds;
    size_t nb = census_view_data_bounds(v, &bounds);
    double *counts = census__calloc(nb + 1, sizeof *counts);
    zp_bar_label *labels = census__calloc(nb + 1, sizeof *labels);
    if (!counts || !labels) {
      census__free(counts);
      census__free(labels);
      return;
    }
    for (size_t r = 0; r < census_view_data_row_count(v); r++) {
      census_point p;
      census_view_data_row_point(v, r, &p);
      for (size_t b = 0; b < p.bucket_count && b <= nb; b++) {
        counts[b] += (double)p.bucket_counts[b];
      }
    }
    census__json_key(j, "chart_buckets");
    census__json_array_begin(j);
    for (size_t b = 0; b <= nb; b++) {
      if (b < nb) {
        snprintf(labels[b], sizeof labels[b], "<= %.6g", bounds[b]);
      } else {
        snprintf(labels[b], sizeof labels[b], "> %.6g", nb ? bounds[nb - 1] : 0.0);
      }
      census__json_int64(j, (int64_t)counts[b]);
    }
    census__json_array_end(j);
    zp_svg_bars(o, counts, labels, nb + 1);
    census__free(counts);
    census__free(labels);
    return;
  }
  double *values;
  int64_t *times;
  size_t n = zp_history_points(z->history, census_view_data_name(v), &values, &times);
  census__json_key(j, "history");
  census__json_array_begin(j);
  for (size_t i = 0; i < n; i++) {
    census__json_array_begin(j);
    census__json_int64(j, times[i]);
    census__json_double(j, values[i]);
    census__json_array_end(j);
  }
  census__json_array_end(j);
  zp_svg_sparkline(o, values, n);
  if (n) {
    census__buf_printf(o, " <span class=\"muted\">%zu points, every %lld ms</span>", n,
                       (long long)zp_history_interval_ms(z->history));
  }
  census__free(values);
  census__free(times);
}

static void view_section(const zp_context *z, const census_view_data *v, census_buf *o,
                         census_json *j) {
  const census_measure *m = census_view_data_measure(v);
  census_aggregation_type agg = census_view_data_aggregation(v);
  census__json_object_begin(j);
  census__json_kv_string(j, "name", census_view_data_name(v));
  census__json_kv_string(j, "description", census_view_data_description(v));
  census__json_kv_string(j, "measure", census_measure_name(m));
  census__json_kv_string(j, "unit", census_view_data_unit(v));
  census__json_kv_string(j, "aggregation", aggregation_name(agg));
  census__json_kv_double(j, "total", zp_view_total(v));
  census__buf_append_str(o, "<section class=\"view\"><h2>");
  zp_html(o, census_view_data_name(v));
  census__buf_append_str(o, "</h2><p>");
  zp_html(o, census_view_data_description(v));
  census__buf_append_str(o, " <span class=\"muted\">measure ");
  zp_html(o, census_measure_name(m));
  census__buf_append_str(o, ", unit ");
  zp_html(o, census_view_data_unit(v));
  census__buf_printf(o, ", %s, total <span class=\"total\">", aggregation_name(agg));
  zp_number(o, zp_view_total(v));
  census__buf_append_str(o, "</span></span></p><div class=\"chart\">");
  view_chart(z, v, o, j);
  census__buf_append_str(o, "</div><table class=\"rows\"><tr>");
  size_t columns = census_view_data_column_count(v);
  census__json_key(j, "columns");
  census__json_array_begin(j);
  for (size_t c = 0; c < columns; c++) {
    census__json_string(j, census_view_data_column(v, c));
    census__buf_append_str(o, "<th>");
    zp_html(o, census_view_data_column(v, c));
    census__buf_append_str(o, "</th>");
  }
  census__json_array_end(j);
  census__buf_append_str(o, agg == CENSUS_AGGREGATION_DISTRIBUTION ||
                                    agg == CENSUS_AGGREGATION_EXPONENTIAL
                                ? "<th>count</th><th>mean</th><th>min</th><th>max</th>"
                                  "<th>buckets</th></tr>\n"
                                : "<th>value</th></tr>\n");
  census__json_key(j, "rows");
  census__json_array_begin(j);
  for (size_t r = 0; r < census_view_data_row_count(v); r++) {
    census_point p;
    census_view_data_row_point(v, r, &p);
    census__json_object_begin(j);
    census__json_key(j, "tags");
    census__json_array_begin(j);
    census__buf_append_str(o, "<tr class=\"row\">");
    for (size_t c = 0; c < columns; c++) {
      const char *value = census_view_data_row_value(v, r, c);
      census__json_string(j, value);
      census__buf_append_str(o, "<td class=\"tag\">");
      zp_html(o, value);
      census__buf_append_str(o, "</td>");
    }
    census__json_array_end(j);
    census__json_kv_bool(j, "overflow", census_view_data_row_is_overflow(v, r));
    point_value_json(j, v, r, &p);
    point_value_html(o, v, r, &p);
    census__json_object_end(j);
    census__buf_append_str(o, "</tr>\n");
  }
  census__json_array_end(j);
  census__json_object_end(j);
  census__buf_append_str(o, "</table></section>\n");
}

static unsigned page_statsz(const zp_context *z, const zp_request *r, bool json, census_buf *o) {
  census_view_data **views = NULL;
  size_t count = 0;
  census_status status = census_view_data_get_all(&views, &count);
  census_buf html = CENSUS_BUF_INIT, js = CENSUS_BUF_INIT;
  census_json j;
  census__json_init(&j, &js);
  census__json_object_begin(&j);
  census__json_key(&j, "views");
  census__json_array_begin(&j);
  zp_page_begin(&html, z->prefix, "statsz", refresh_of(r));
  if (status != CENSUS_OK) {
    census__buf_printf(&html, "<p class=\"err\">census gave no views: %s</p>",
                       census_status_str(status));
  }
  for (size_t i = 0; i < count; i++) {
    view_section(z, views[i], &html, &j);
  }
  census__json_array_end(&j);
  census__json_object_end(&j);
  zp_page_end(&html);
  if (status == CENSUS_ENOMEM) {
    o->failed = true; /* not a page without views (JSON: an empty list) with status 200 */
  } else {
    put_part(o, json ? &js : &html);
  }
  census__buf_free(&html);
  census__buf_free(&js);
  if (status == CENSUS_OK) {
    census_view_data_free_all(views, count);
  }
  return 200;
}

/* ---- dispatch ---------------------------------------------------------------------------------
 */

unsigned zp_render(const zp_context *z, const zp_request *r, census_buf *out,
                   const char **content_type) {
  const char *page = r->page;
  size_t length = strlen(page);
  bool json = length >= 5 && strcmp(page + length - 5, ".json") == 0;
  char base[32];
  snprintf(base, sizeof base, "%.*s", (int)(json ? length - 5 : length), page);
  *content_type = json ? JSON : HTML;
  unsigned status;
  if (strcmp(base, "") == 0 || strcmp(base, "/") == 0 || strcmp(base, "/overview") == 0) {
    status = page_overview(z, r, json, out);
  } else if (strcmp(base, "/tracez") == 0) {
    status = page_tracez(z, r, json, out);
  } else if (strcmp(base, "/statsz") == 0) {
    status = page_statsz(z, r, json, out);
  } else {
    census__buf_append_str(out, "Not Found: the zPages are overview, tracez and statsz\n");
    status = 404;
  }
  if (status != 200) {
    *content_type = "text/plain; charset=utf-8";
  }
  return status;
}
