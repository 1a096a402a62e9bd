/* cloud_trace_driver.c - drives the Cloud Trace exporter for cloud_trace_test.sh.
 *
 *   cloud_trace_driver export <endpoint> <token>
 *     Starts the exporter (project "my-proj", the given access token, the endpoint of a loopback
 *     receiver) and creates spans with
 *     every feature: a SERVER span whose parent is a remote context with tracestate, attributes of
 *     every type, events with and without attributes, a link and an ERROR status; CLIENT (status
 *     OK), PRODUCER, CONSUMER and INTERNAL children, and a root span whose 150-byte name must be
 *     truncated. Prints one JSON line per span describing what
 *     was recorded (ids read back with census_span_context()), then flushes, prints the exporter's
 *     stats as a JSON line and stops.
 *   cloud_trace_driver faults <endpoint> <token> <spans> <budget_ms>
 *     ("" as token: credentials from GOOGLE_APPLICATION_CREDENTIALS)
 *     Exports <spans> spans in one request with a retry budget of <budget_ms> (backoff 100 ms),
 *     flushes (up to 20 s) and prints the stats and the diagnostics received.
 * Exit status 0 unless an API call the driver relies on fails.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "census/exporters/google_cloud_trace.h"
#include "census/trace.h"

static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;
static char diagnostics[8192];

static void on_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  pthread_mutex_lock(&diag_lock);
  size_t len = strlen(diagnostics);
  snprintf(diagnostics + len, sizeof diagnostics - len, "%s|%s\n", census_status_name(status),
           message);
  pthread_mutex_unlock(&diag_lock);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", (unsigned char)*s);
    else
      putchar(*s);
  }
  putchar('"');
}

/* Prints what the span recorded, as the test's expectation (ids from census_span_context()). */
static void describe(census_span s, const char *name, const char *kind, census_span parent,
                     const census_trace_context *remote_parent, int64_t start_ns,
                     const char *status, const char *message) {
  census_trace_context ctx;
  if (census_span_context(s, &ctx) != CENSUS_OK)
    exit(2);
  char trace[33], id[17], pid[17] = "";
  hex(ctx.trace_id, 16, trace);
  hex(ctx.span_id, 8, id);
  if (parent) {
    census_trace_context pctx;
    census_span_context(parent, &pctx);
    hex(pctx.span_id, 8, pid);
  } else if (remote_parent) {
    hex(remote_parent->span_id, 8, pid);
  }
  printf("{\"event\":\"span\",\"name\":");
  print_json_string(name);
  printf(",\"kind\":\"%s\",\"traceId\":\"%s\",\"id\":\"%s\",\"parentId\":\"%s\","
         "\"parentRemote\":%s,\"startNs\":\"%" PRId64 "\",\"status\":\"%s\",\"message\":",
         kind, trace, id, pid, remote_parent ? "true" : "false", start_ns, status);
  print_json_string(message);
  printf("}\n");
}

static void print_stats(census_google_trace_exporter *exp) {
  census_google_trace_stats st;
  if (census_google_trace_exporter_stats(exp, &st) != CENSUS_OK)
    exit(3);
  printf("{\"event\":\"stats\",\"spans_delivered\":%" PRIu64 ",\"spans_dropped\":%" PRIu64
         ",\"requests_delivered\":%" PRIu64 ",\"requests_dropped\":%" PRIu64
         ",\"attempts\":%" PRIu64 ",\"retries\":%" PRIu64 ",\"diagnostics\":",
         st.spans_delivered, st.spans_dropped, st.requests_delivered, st.requests_dropped,
         st.attempts, st.retries);
  pthread_mutex_lock(&diag_lock);
  print_json_string(diagnostics);
  pthread_mutex_unlock(&diag_lock);
  printf("}\n");
  fflush(stdout);
}

static census_span start(const char *name, census_span_kind kind, census_span parent,
                         const census_trace_context *remote, int64_t start_ns) {
  census_span_options o = {.kind = kind,
                           .parent = parent,
                           .remote_parent = remote,
                           .root = !parent && !remote,
                           .start_time_ns = start_ns};
  census_span s = census_span_start(name, &o);
  if (!census_span_is_recording(s))
    exit(4);
  return s;
}

static int run_export(const char *url, const char *token) {
  census_google_trace_options o = {.trace_endpoint = url,
                                   .project_id = "my-proj",
                                   .access_token = token,
                                   .initial_backoff_ms = 100,
                                   .max_elapsed_ms = 10000};
  census_google_trace_exporter *exp = NULL;
  if (census_google_trace_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;

  census_trace_context remote = {.trace_id = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3,
                                              0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
                                 .span_id = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
                                 .trace_flags = 1,
                                 .remote = true,
                                 .tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"};
  census_trace_context linked = remote;
  linked.trace_id[15] = 0x99;
  linked.span_id[7] = 0x42;

  int64_t t0 = now_ns() - 1000000000;
  census_span server = start("POST /checkout", CENSUS_SPAN_KIND_SERVER, 0, &remote, t0);
  census_span_set_attribute_string(server, "http.method", "POST");
  census_span_set_attribute_string(server, "note", "caf\xc3\xa9 \"quoted\" \\ back");
  census_span_set_attribute_int64(server, "http.status_code", 502);
  census_span_set_attribute_int64(server, "big.negative", INT64_MIN);
  census_span_set_attribute_double(server, "ratio", 0.25);
  census_span_set_attribute_double(server, "third", 1.0 / 3.0);
  census_span_set_attribute_bool(server, "cache.hit", true);
  census_span_set_attribute_bool(server, "retry", false);
  census_span_add_event(server, "request received");
  census_span_add_event_with_attribute(server, "db query", "db.statement", "SELECT 1");
  census_span_add_link(server, &linked);
  census_span_set_status(server, CENSUS_SPAN_STATUS_ERROR, "payment declined");
  describe(server, "POST /checkout", "SERVER", 0, &remote, t0, "ERROR", "payment declined");

  census_span client = start("charge card", CENSUS_SPAN_KIND_CLIENT, server, NULL, t0 + 1000);
  census_span_set_status(client, CENSUS_SPAN_STATUS_OK, NULL);
  describe(client, "charge card", "CLIENT", server, NULL, t0 + 1000, "OK", "");
  census_span producer = start("enqueue", CENSUS_SPAN_KIND_PRODUCER, server, NULL, t0 + 2000);
  describe(producer, "enqueue", "PRODUCER", server, NULL, t0 + 2000, "UNSET", "");
  census_span consumer = start("dequeue", CENSUS_SPAN_KIND_CONSUMER, producer, NULL, t0 + 3000);
  describe(consumer, "dequeue", "CONSUMER", producer, NULL, t0 + 3000, "UNSET", "");
  census_span internal = start("compute", CENSUS_SPAN_KIND_INTERNAL, server, NULL, t0 + 4000);
  describe(internal, "compute", "INTERNAL", server, NULL, t0 + 4000, "UNSET", "");
  char long_name[151];
  memset(long_name, 'x', 150);
  long_name[150] = '\0';
  census_span root = start(long_name, CENSUS_SPAN_KIND_INTERNAL, 0, NULL, t0 + 5000);
  describe(root, long_name, "INTERNAL", 0, NULL, t0 + 5000, "UNSET", "");

  census_span_end(internal);
  census_span_end(consumer);
  census_span_end(producer);
  census_span_end(client);
  census_span_end(server);
  census_span_end(root);
  fflush(stdout);
  census_status fs = census_flush(20000);
  print_stats(exp);
  printf("{\"event\":\"flush\",\"status\":\"%s\"}\n", census_status_name(fs));
  census_status ss = census_google_trace_exporter_stop(exp, 5000);
  /* A stopped handle is recognised, not used. */
  census_google_trace_stats st;
  census_status again = census_google_trace_exporter_stats(exp, &st);
  printf("{\"event\":\"stop\",\"status\":\"%s\",\"stats_after\":\"%s\"}\n", census_status_name(ss),
         census_status_name(again));
  return 0;
}

static int run_faults(const char *url, const char *token, int spans, int64_t budget_ms) {
  census_google_trace_options o = {.trace_endpoint = url,
                                   .project_id = "my-proj",
                                   .access_token = *token ? token : NULL,
                                   .initial_backoff_ms = 100,
                                   .max_backoff_ms = 400,
                                   .max_elapsed_ms = budget_ms,
                                   .timeout_ms = 2000,
                                   .max_spans_per_request = 1000};
  census_google_trace_exporter *exp = NULL;
  if (census_google_trace_exporter_start(&o, &exp) != CENSUS_OK)
    return 1;
  for (int i = 0; i < spans; i++) {
    char name[32];
    snprintf(name, sizeof name, "span-%d", i);
    census_span s = start(name, CENSUS_SPAN_KIND_CLIENT, 0, NULL, 0);
    census_span_set_attribute_int64(s, "index", i);
    census_span_end(s);
  }
  census_status fs = census_flush(20000);
  print_stats(exp);
  printf("{\"event\":\"flush\",\"status\":\"%s\"}\n", census_status_name(fs));
  census_google_trace_exporter_stop(exp, 2000);
  return 0;
}

int main(int argc, char **argv) {
  census_set_diagnostics(on_diagnostic, NULL);
  census_sampler *always = census_sampler_always_on();
  census_trace_set_sampler(always);
  census_sampler_free(always);
  if (argc == 4 && strcmp(argv[1], "export") == 0)
    return run_export(argv[2], argv[3]);
  if (argc == 6 && strcmp(argv[1], "faults") == 0)
    return run_faults(argv[2], argv[3], atoi(argv[4]), atoll(argv[5]));
  fprintf(stderr, "usage: cloud_trace_driver export <endpoint> <token> | faults <endpoint> "
                  "<token> <spans> <budget_ms>\n");
  return 64;
}
