/* fuzz_zpages_query.c - the zPages' request handling (exporters/zpages/zpages_pages.c): the page
 * path below the prefix and every query parameter (refresh, name, type, bucket, view...) come from
 * any client of the server.
 *
 * Input: the path up to the first '\n', then the query as name=value pairs separated by '&'
 * (raw bytes: the server hands the handler decoded values). The pages render against a store
 * holding a few spans (a span observer feeds it, as in the exporter) and the registered views.
 * Checks: the status is 200, 400 or 404 with a content type; the output is NUL-free text; and
 * ASan/UBSan/LeakSanitizer see nothing. (Escaping of echoed values is checked against a real
 * browser by tests/zpages/escape_test.py; a substring oracle here would raise false alarms on
 * values that happen to equal page markup.)
 * Build: the zPages' pages, html, spans, history and exponential sources with exporters/common,
 * against the core.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporters/zpages.h"
#include "census/trace.h"
#include "fuzz_common.h"
#include "zpages_internal.h"

#define MAX_PARAMS 16

typedef struct query {
  char *names[MAX_PARAMS];
  char *values[MAX_PARAMS];
  size_t count;
} query;

static const char *query_get(void *request, const char *name) {
  query *q = request;
  for (size_t i = 0; i < q->count; i++) {
    if (strcmp(q->names[i], name) == 0) {
      return q->values[i];
    }
  }
  return NULL;
}

static char *copy(const uint8_t *p, size_t n) {
  char *s = malloc(n + 1);
  FUZZ_CHECK(s != NULL);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) {
      s[k++] = (char)p[i];
    }
  }
  s[k] = '\0';
  return s;
}

static void stats_stub(void *z, census_zpages_stats *stats) {
  (void)z;
  memset(stats, 0, sizeof *stats);
}

static zp_context context;
static census_zpages_options options = CENSUS_ZPAGES_OPTIONS_INIT;

/* Once: a store fed by a span observer with a few spans (one running, one with an error), a
 * history, and a view with rows, so that every page has something to show. */
static void setup(void) {
  census_diagnostics_set_callback(NULL, NULL);
  options.prefix = "/zpages";
  options.max_span_names = 64;
  options.samples_per_bucket = 4;
  options.running_samples = 16;
  options.sample_max_bytes = 4096;
  options.sample_interval_ms = 1;
  options.history_interval_ms = 3600000;
  options.history_points = 4;
  options.max_history_views = 8;
  zp_limits limits = {64, 4, 16, 4096, 1000000};
  zp_store *store = zp_store_new(&limits);
  census_status st;
  zp_history *history = zp_history_start(options.history_interval_ms, options.history_points,
                                         options.max_history_views, &st);
  FUZZ_CHECK(store != NULL && history != NULL);
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = zp_store_on_start;
  ops.on_end = zp_store_on_end;
  ops.record_unsampled = 1;
  FUZZ_CHECK(census_span_observer_register(&ops, store) == CENSUS_OK);
  census_span s = census_span_start("fuzz <span> \"one\"", NULL);
  census_span_set_attribute_string(s, "k", "<v>");
  census_span_end(s);
  s = census_span_start("failing", NULL);
  census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "bad & <worse>");
  census_span_end(s);
  census_span_start("running", NULL); /* never ended: a running span */
  const census_tag_key *key = census_tag_key_new("method", NULL);
  const census_measure *m = census_measure_double_new("fuzz/latency", "latency", "ms", NULL);
  census_aggregation *agg =
      census_aggregation_distribution_new((const double[]){1, 10, 100}, 3, NULL);
  census_view *v = census_view_new("fuzz/latency", "a <view>", m, &key, 1, agg, NULL);
  census_view_register(v);
  census_view_free(v);
  census_aggregation_free(agg);
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, key, "GET");
  census_record_double(m, 12.5, tags);
  census_tag_map_free(tags);
  context = (zp_context){store, history, "/zpages", &options, stats_stub, NULL};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    setup();
    ready = true;
  }
  const uint8_t *end = data + size;
  const uint8_t *nl = memchr(data, '\n', size);
  const uint8_t *path_end = nl ? nl : end;
  char *page = copy(data, (size_t)(path_end - data));
  query q = {{0}, {0}, 0};
  const uint8_t *p = nl ? nl + 1 : end;
  while (p < end && q.count < MAX_PARAMS) {
    const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
    const uint8_t *pair_end = amp ? amp : end;
    const uint8_t *eq = memchr(p, '=', (size_t)(pair_end - p));
    const uint8_t *name_end = eq ? eq : pair_end;
    q.names[q.count] = copy(p, (size_t)(name_end - p));
    q.values[q.count] = eq ? copy(eq + 1, (size_t)(pair_end - eq - 1)) : copy(p, 0);
    q.count++;
    p = amp ? amp + 1 : end;
  }
  zp_request r = {page, query_get, &q};
  census_buf out = CENSUS_BUF_INIT;
  const char *content_type = NULL;
  unsigned status = zp_render(&context, &r, &out, &content_type);
  FUZZ_CHECK(status == 200 || status == 400 || status == 404);
  FUZZ_CHECK(content_type != NULL);
  if (!out.failed && out.len > 0) {
    FUZZ_CHECK(memchr(out.data, '\0', out.len) == NULL);
  }
  census__buf_free(&out);
  for (size_t i = 0; i < q.count; i++) {
    free(q.names[i]);
    free(q.values[i]);
  }
  free(page);
  return 0;
}
