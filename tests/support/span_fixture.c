/* span_fixture.c - spans for the span exporters' tests (see span_fixture.h).
 *
 * The spans are made with explicit start times and ended in a fixed order; their description
 * lines carry what the test must find in the exported body (names, kinds, ids read back from
 * census, the parent's id, whether the parent was remote, start time, status), never values
 * computed by the encoder under test. Diagnostics are appended to one buffer under a mutex,
 * because the exporters report from their sender threads.
 */
#include "span_fixture.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void span_fixture_driver_init(void) {
  census_diagnostics_set_callback(on_diagnostic, NULL);
  census_sampler *always = census_sampler_always_on();
  census_trace_set_sampler(always);
  census_sampler_free(always);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void span_fixture_hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
  out[2 * n] = '\0';
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

census_span span_fixture_start(const char *name, census_span_kind kind, census_span parent,
                               const census_trace_context *remote, int64_t start_ns) {
  census_span_options o = {.size = sizeof(census_span_options),
                           .kind = kind,
                           .parent = parent,
                           .remote_parent = remote,
                           .root = !parent && !remote,
                           .start_time_ns = start_ns};
  census_span s = census_span_start(name, &o);
  if (!census_span_is_recording(s)) {
    fprintf(stderr, "span_fixture: span \"%s\" is not recording\n", name);
    exit(4);
  }
  return s;
}

/* Prints what the span recorded, as the test's expectation (ids from census_span_context()). */
static void describe(census_span s, const char *name, const char *kind, census_span parent,
                     const census_trace_context *remote_parent, int64_t start_ns,
                     const char *status, const char *message) {
  census_trace_context ctx;
  if (census_span_context(s, &ctx) != CENSUS_OK) {
    fprintf(stderr, "span_fixture: no context for span \"%s\"\n", name);
    exit(2);
  }
  char trace[33], id[17], pid[17] = "";
  span_fixture_hex(ctx.trace_id, 16, trace);
  span_fixture_hex(ctx.span_id, 8, id);
  if (parent) {
    census_trace_context pctx;
    census_span_context(parent, &pctx);
    span_fixture_hex(pctx.span_id, 8, pid);
  } else if (remote_parent) {
    span_fixture_hex(remote_parent->span_id, 8, pid);
  }
  printf("{\"event\":\"span\",\"name\":");
  print_json_string(name);
  printf(",\"kind\":\"%s\",\"traceId\":\"%s\",\"id\":\"%s\",\"parentId\":\"%s\","
         "\"parentRemote\":%s,\"startNs\":\"%" PRId64 "\",\"status\":\"%s\",\"message\":",
         kind, trace, id, pid, remote_parent ? "true" : "false", start_ns, status);
  print_json_string(message);
  printf("}\n");
}

void span_fixture_make_full(const char *root_name) {
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
  census_span server =
      span_fixture_start("POST /checkout", CENSUS_SPAN_KIND_SERVER, 0, &remote, t0);
  census_span_set_attribute_string(server, "http.method", "POST");
  census_span_set_attribute_string(server, "note", "caf\xc3\xa9 \"quoted\" \\ back");
  census_span_set_attribute_int64(server, "http.status_code", 502);
  census_span_set_attribute_int64(server, "big.negative", INT64_MIN);
  census_span_set_attribute_double(server, "ratio", 0.25);
  census_span_set_attribute_double(server, "third", 1.0 / 3.0);
  census_span_set_attribute_bool(server, "cache.hit", true);
  census_span_set_attribute_bool(server, "retry", false);
  /* Array-valued attributes: the exporters without arrays in their format (Zipkin, Cloud Trace)
   * send each as a string holding its JSON array. */
  static const char *const hosts[] = {"a", "caf\xc3\xa9 \"q\""};
  static const int64_t ports[] = {443, -1};
  census_span_set_attribute_string_array(server, "peer.hosts", hosts, 2);
  census_span_set_attribute_int64_array(server, "peer.ports", ports, 2);
  census_span_add_event(server, "request received");
  census_span_add_event_with_attribute(server, "db query", "db.statement", "SELECT 1");
  census_span_add_link(server, &linked);
  census_span_set_status(server, CENSUS_SPAN_STATUS_ERROR, "payment declined");
  describe(server, "POST /checkout", "SERVER", 0, &remote, t0, "ERROR", "payment declined");

  census_span client =
      span_fixture_start("charge card", CENSUS_SPAN_KIND_CLIENT, server, NULL, t0 + 1000);
  census_span_set_status(client, CENSUS_SPAN_STATUS_OK, NULL);
  describe(client, "charge card", "CLIENT", server, NULL, t0 + 1000, "OK", "");
  census_span producer =
      span_fixture_start("enqueue", CENSUS_SPAN_KIND_PRODUCER, server, NULL, t0 + 2000);
  describe(producer, "enqueue", "PRODUCER", server, NULL, t0 + 2000, "UNSET", "");
  census_span consumer =
      span_fixture_start("dequeue", CENSUS_SPAN_KIND_CONSUMER, producer, NULL, t0 + 3000);
  describe(consumer, "dequeue", "CONSUMER", producer, NULL, t0 + 3000, "UNSET", "");
  census_span internal =
      span_fixture_start("compute", CENSUS_SPAN_KIND_INTERNAL, server, NULL, t0 + 4000);
  describe(internal, "compute", "INTERNAL", server, NULL, t0 + 4000, "UNSET", "");
  census_span root = span_fixture_start(root_name, CENSUS_SPAN_KIND_INTERNAL, 0, NULL, t0 + 5000);
  describe(root, root_name, "INTERNAL", 0, NULL, t0 + 5000, "UNSET", "");

  census_span_end(internal);
  census_span_end(consumer);
  census_span_end(producer);
  census_span_end(client);
  census_span_end(server);
  census_span_end(root);
  fflush(stdout);
}

void span_fixture_make_batch(int count) {
  for (int i = 0; i < count; i++) {
    char name[32];
    snprintf(name, sizeof name, "span-%d", i);
    census_span s = span_fixture_start(name, CENSUS_SPAN_KIND_CLIENT, 0, NULL, 0);
    census_span_set_attribute_int64(s, "index", i);
    census_span_end(s);
  }
}

void span_fixture_print_stats(uint64_t spans_delivered, uint64_t spans_dropped,
                              uint64_t requests_delivered, uint64_t requests_dropped,
                              uint64_t attempts, uint64_t retries) {
  printf("{\"event\":\"stats\",\"spans_delivered\":%" PRIu64 ",\"spans_dropped\":%" PRIu64
         ",\"requests_delivered\":%" PRIu64 ",\"requests_dropped\":%" PRIu64
         ",\"attempts\":%" PRIu64 ",\"retries\":%" PRIu64 ",\"diagnostics\":",
         spans_delivered, spans_dropped, requests_delivered, requests_dropped, attempts, retries);
  pthread_mutex_lock(&diag_lock);
  print_json_string(diagnostics);
  pthread_mutex_unlock(&diag_lock);
  printf("}\n");
  fflush(stdout);
}

void span_fixture_flush_and_report(void (*print_stats)(void *exporter), void *exporter) {
  census_status fs = census_flush(20000);
  print_stats(exporter);
  printf("{\"event\":\"flush\",\"status\":\"%s\"}\n", census_status_name(fs));
  fflush(stdout);
}

void span_fixture_print_stop(census_status stop_status, census_status stats_after) {
  printf("{\"event\":\"stop\",\"status\":\"%s\",\"stats_after\":\"%s\"}\n",
         census_status_name(stop_status), census_status_name(stats_after));
  fflush(stdout);
}
