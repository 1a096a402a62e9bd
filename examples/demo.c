/* demo.c - the demo from the OpenCensus talk this project grew from: a simulated web service.
 *
 * Each user request goes through four stages, Read Data -> Convert Data -> Merge Data -> Send JSON
 * Response. Two worker threads play requests back to back; each stage sleeps a random few
 * milliseconds (now and then a slow read, so the latency tail shows up), and the worker records:
 *   - demo/latency        DISTRIBUTION of each stage's measured latency in ms, by stage and method;
 *   - demo/request_count  COUNT of finished requests, by method and HTTP status;
 *   - demo/bytes_sent     SUM of response bytes, by method;
 *   - demo/in_flight      LAST_VALUE of the number of requests being served (a gauge).
 * It also traces each request: a server span "user request" with one child span per stage, the
 * slow reads marked by an event and server errors by an error status. A trace-id-ratio sampler
 * keeps --sample-ratio of the requests (default 0.02, so the span output stays readable); the
 * demo prints each sampled request's trace id on stderr so that its spans can be found in the
 * exporter output.
 * The stdout exporter prints the cumulative view data every --interval-ms (text by default, JSON
 * lines with --json), on census's own export worker thread; the demo itself never prints data.
 *
 * census is configured with census_autoconfigure() (docs/configuration.md): the OTEL_* variables
 * decide, and the command line gives the defaults they replace when set. By default the demo
 * prints views and spans (console) and serves the views for Prometheus; --sample-ratio is the
 * traceidratio sampler's ratio (OTEL_TRACES_SAMPLER / _ARG replace it); OTEL_PROPAGATORS chooses
 * the headers of the backend call the "Read Data" stage stands for, printed on stderr for each
 * sampled request ("demo: backend call headers: ...").
 *
 * How the demo ends shows both ways census guarantees that nothing recorded is lost:
 *   - after --duration-s seconds it stops the workers and calls census_shutdown(), the explicit
 *     path: one last export of everything, then the exporters are shut down;
 *   - with --duration-s 0 it runs until Ctrl-C (or SIGTERM). census_signal_flush_install() made
 *     census flush on that signal and then end the process by it, so there is no shutdown code
 *     to write. (Returning from main or calling exit() would flush too, from census's atexit
 *     handler.)
 * The demo's own messages go to stderr, so that stdout holds only exporter output (with --json,
 * pure JSON lines that a tool such as jq can read).
 * While it runs, the demo also serves the same views for Prometheus on
 * http://127.0.0.1:9464/metrics
 * (--prometheus ADDR:PORT or OTEL_EXPORTER_PROMETHEUS_HOST / _PORT to move it, --no-prometheus to
 * turn it off; built only when census was built with the Prometheus exporter). If the address is
 * taken, the demo says so and goes on without it. census_shutdown() stops the server with the
 * other exporters.
 * With --otlp-endpoint URL, or when OTEL_EXPORTER_OTLP_ENDPOINT is set, the demo also pushes its
 * metrics and spans to that OpenTelemetry collector with OTLP/HTTP (built only when census was
 * built with the OTLP exporter; the other OTEL_EXPORTER_OTLP_* variables apply too), and prints
 * the delivery counters on stderr at the end.
 * With --zipkin-endpoint URL, or when OTEL_TRACES_EXPORTER lists "zipkin" (the endpoint then from
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT, else http://localhost:9411/api/v2/spans), it also sends its
 * spans to Zipkin. OTEL_METRICS_EXPORTER and OTEL_TRACES_EXPORTER, when set, name exactly the
 * exporters that run (otlp, prometheus, zipkin, console, none). With --google-cloud-project ID it
 * writes its views to Google Cloud Monitoring and its spans to Google Cloud Trace (credentials from
 * GOOGLE_APPLICATION_CREDENTIALS or the metadata server, or --google-access-token;
 * --google-monitoring-endpoint and
 * --google-trace-endpoint point it elsewhere, e.g. at a test server). Cloud Monitoring takes one
 * point per series every 10 s, so exports closer together than that defer points to a later
 * export (the demo warns). Each exporter's delivery counters are printed on stderr at the end.
 * (Each is built only when census was built with that exporter.)
 *
 * Threads: each worker owns its tag maps, measurement map and random state; the only shared
 * state is the read-only metric handles set up before the workers start, the stop flag (an
 * atomic) and the in-flight counter (under a mutex).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <census/autoconfigure.h>
#include <census/census.h>
#include <census/propagation.h>
#include <census/trace.h>
#include <census/exporters/stdout.h>
#ifdef CENSUS_HAVE_PROMETHEUS
#include <census/exporters/prometheus.h>
#endif
#ifdef CENSUS_HAVE_ZPAGES
#include <census/exporters/zpages.h>
#endif
#ifdef CENSUS_HAVE_OTLP
#include <census/exporters/otlp.h>
#endif
#ifdef CENSUS_HAVE_ZIPKIN
#include <census/exporters/zipkin.h>
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
#include <census/exporters/google_cloud_monitoring.h>
#include <census/exporters/google_cloud_trace.h>
#endif

#define DEMO_WORKERS 2
#define DEMO_SHUTDOWN_TIMEOUT_MS 5000
#define MAX_DURATION_S 31536000 /* a year; keeps the sleep's nanoseconds far from overflow */
/* Cloud Monitoring's minimum time between two points of one series (the exporter's default). */
#define GOOGLE_MIN_WRITE_INTERVAL_MS 10000

/* What the command line asked for. */
struct demo_options {
  bool json;
  int64_t interval_ms;         /* 0: not given (OTEL_METRIC_EXPORT_INTERVAL, else 5000) */
  int64_t duration_s;          /* 0: until a signal */
  const char *sample_ratio;    /* fraction of requests traced (checked), the sampler's argument */
  bool prometheus;             /* serve /metrics */
  char prometheus_address[64]; /* "" : not given (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT) */
  uint16_t prometheus_port;
  const char *otlp_endpoint;   /* --otlp-endpoint; NULL: OTEL_EXPORTER_OTLP_ENDPOINT, if set */
  const char *zipkin_endpoint; /* --zipkin-endpoint; NULL: only if OTEL_TRACES_EXPORTER says */
  const char *google_project;  /* --google-cloud-project; NULL: no Google Cloud export */
  const char *google_monitoring_endpoint; /* NULL: Google's */
  const char *google_trace_endpoint;      /* NULL: Google's */
  const char *google_access_token;        /* NULL: the usual credentials */
  bool zpages;                            /* serve the zPages */
  int64_t requests;                       /* per worker, then idle; 0: until the end */
  const char *summary_path;               /* where to write what was recorded; NULL: nowhere */
};

/* The push exporters started from the command line: OTLP, Zipkin, Cloud Monitoring, Cloud Trace.
 * Each handle is opaque here, so that the demo builds without them; after census_shutdown()
 * (which made the final export and stopped it), its finish() prints the final counters and frees
 * it. */
#define DEMO_MAX_EXPORTERS 4
struct demo_exporters {
  struct {
    void *handle;
    void (*finish)(void *handle);
  } running[DEMO_MAX_EXPORTERS];
  size_t count;
};

/* The metric handles every worker uses. Written once by set_up_metrics() before any worker
 * starts, read-only afterwards. */
static struct {
  const census_measure *stage_latency_ms;
  const census_measure *requests;
  const census_measure *response_bytes;
  const census_measure *in_flight;
  const census_tag_key *stage;
  const census_tag_key *method;
  const census_tag_key *status;
} metrics;

static atomic_bool keep_serving = true;
/* OTEL_PROPAGATORS's propagator (census_autoconfigure()), set before the workers start: the
 * "Read Data" stage stands for a call to a backend and writes its context into the request's
 * headers with it. */
static const census_propagator *outgoing;
static pthread_mutex_t in_flight_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t requests_in_flight = 0; /* guarded by in_flight_lock */

/* One stage of a request and the range of its simulated latency, in microseconds. */
struct stage {
  const char *name;
  long min_us;
  long max_us;
};

static const struct stage request_stages[] = {
    {"Read Data", 1000, 8000},
    {"Convert Data", 500, 4000},
    {"Merge Data", 1000, 6000},
    {"Send JSON Response", 2000, 12000},
};
#define STAGE_COUNT (sizeof request_stages / sizeof request_stages[0])

/* Prints the failure of a census call, naming the step, and returns true when `status` is an
 * error, so that callers can write `if (failed(...)) return ...;`. */
static bool failed(const char *step, census_status status) {
  if (status == CENSUS_OK) {
    return false;
  }
  fprintf(stderr, "demo: %s: %s (%s)\n", step, census_status_str(status),
          census_status_name(status));
  return true;
}

/* xorshift64*: a small per-thread generator, so that workers neither share nor lock rand()'s
 * state. Good enough for simulated latencies; not for anything that matters. */
static uint64_t next_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* A uniformly random integer in [low, high]. */
static long random_between(uint64_t *state, long low, long high) {
  return low + (long)(next_random(state) % (uint64_t)(high - low + 1));
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps for `ns` nanoseconds, resuming after a signal handler interrupts the sleep. */
static void sleep_ns(int64_t ns) {
  struct timespec left = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

/* Registers one view named `name` over `measure` with the given columns and aggregation, and
 * frees the definition and the aggregation (the view manager keeps its own copy). Returns the
 * first error met; `aggregation` may be NULL if creating it failed, which is reported as
 * CENSUS_ENOMEM. */
static census_status register_view(const char *name, const char *description,
                                   const census_measure *measure,
                                   const census_tag_key *const *columns, size_t column_count,
                                   census_aggregation *aggregation) {
  if (aggregation == NULL) {
    return CENSUS_ENOMEM;
  }
  census_status status;
  census_view *view =
      census_view_new(name, description, measure, columns, column_count, aggregation, &status);
  if (view != NULL) {
    status = census_view_register(view);
  }
  census_view_free(view);
  census_aggregation_free(aggregation);
  return status;
}

/* Creates the demo's measures and tag keys and registers its four views. Prints the failing
 * step and returns false on any error. */
static bool set_up_metrics(void) {
  census_status status;
  metrics.stage_latency_ms = census_measure_double_new(
      "demo/stage_latency", "Time spent in one stage of a request", "ms", &status);
  if (failed("measure demo/stage_latency", status)) {
    return false;
  }
  metrics.requests = census_measure_int64_new("demo/requests", "Requests served", "1", &status);
  if (failed("measure demo/requests", status)) {
    return false;
  }
  metrics.response_bytes =
      census_measure_int64_new("demo/response_bytes", "Bytes sent in responses", "By", &status);
  if (failed("measure demo/response_bytes", status)) {
    return false;
  }
  metrics.in_flight =
      census_measure_int64_new("demo/in_flight", "Requests being served right now", "1", &status);
  if (failed("measure demo/in_flight", status)) {
    return false;
  }
  metrics.stage = census_tag_key_new("stage", &status);
  if (failed("tag key stage", status)) {
    return false;
  }
  metrics.method = census_tag_key_new("method", &status);
  if (failed("tag key method", status)) {
    return false;
  }
  metrics.status = census_tag_key_new("status", &status);
  if (failed("tag key status", status)) {
    return false;
  }

  /* Buckets are upper-inclusive: (-inf,0], (0,1], (1,2], (2,5] ... (1000,+inf). */
  static const double latency_bounds_ms[] = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  census_aggregation *latency_distribution = census_aggregation_distribution_new(
      latency_bounds_ms, sizeof latency_bounds_ms / sizeof latency_bounds_ms[0], &status);
  if (failed("latency distribution", status)) {
    return false;
  }
  const census_tag_key *stage_and_method[] = {metrics.stage, metrics.method};
  if (failed("view demo/latency",
             register_view("demo/latency", "Latency of each request stage, by stage and method",
                           metrics.stage_latency_ms, stage_and_method, 2, latency_distribution))) {
    return false;
  }
  const census_tag_key *method_and_status[] = {metrics.method, metrics.status};
  if (failed("view demo/request_count",
             register_view("demo/request_count", "Requests served, by method and status",
                           metrics.requests, method_and_status, 2,
                           census_aggregation_count_new()))) {
    return false;
  }
  if (failed("view demo/bytes_sent",
             register_view("demo/bytes_sent", "Response bytes sent, by method",
                           metrics.response_bytes, &metrics.method, 1,
                           census_aggregation_sum_new()))) {
    return false;
  }
  if (failed("view demo/in_flight",
             register_view("demo/in_flight", "Requests in flight when last changed",
                           metrics.in_flight, NULL, 0, census_aggregation_last_value_new()))) {
    return false;
  }
  return true;
}

/* Adds `change` to the in-flight counter and records the new value. The lock makes the order
 * of the records the order of the changes, so the gauge's last value is the counter's last
 * value (two workers could otherwise record 1 and 0 in the wrong order and leave it at 1). */
static void update_in_flight(int change) {
  pthread_mutex_lock(&in_flight_lock);
  requests_in_flight += change;
  failed("record demo/in_flight", census_record_int64(metrics.in_flight, requests_in_flight, NULL));
  pthread_mutex_unlock(&in_flight_lock);
}

/* What one worker owns: its random state and the maps it records with. */
struct worker {
  pthread_t thread;
  uint64_t random_state;
  /* What this worker recorded (--summary): requests by method (0 GET, 1 POST) and status (0 200,
   * 1 404, 2 500), bytes by method, slow reads. */
  int64_t requests[2][3];
  int64_t bytes[2];
  int64_t cache_misses;
  census_tag_map *stage_tags;   /* stage, method */
  census_tag_map *request_tags; /* method, status */
  census_measurement_map *request_end;
};

/* The headers of a simulated outgoing request, as "name: value; name: value". */
struct headers {
  char text[1024];
};

static void header_set(void *carrier, const char *name, const char *value) {
  struct headers *h = carrier;
  size_t n = strlen(h->text);
  snprintf(h->text + n, sizeof h->text - n, "%s%s: %s", n ? "; " : "", name, value);
}

/* Injects the stage's context into the headers of the backend call it stands for (every request
 * propagates its context, sampled or not) and, for a sampled one, prints them on stderr, so that
 * what goes downstream can be checked against what was exported (the demo makes no real call). */
static void call_backend(census_span span) {
  census_trace_context context;
  struct headers headers = {""};
  if (outgoing == NULL || census_span_context(span, &context) != CENSUS_OK) {
    return;
  }
  if (census_propagator_inject(outgoing, &context, NULL, header_set, &headers) == CENSUS_OK &&
      census_trace_context_is_sampled(&context)) {
    fprintf(stderr, "demo: backend call headers: %s\n", headers.text);
  }
}

/* Serves one simulated request: picks a method, walks the four stages, sleeping a random time in
 * each and recording the latency it actually measured (a sleep can overrun), then records the
 * request's status and response size together in one measurement map, so that an export sees
 * both or neither. Returns false if census refused a record call (already reported). */
static bool serve_one_request(struct worker *w) {
  const char *method = random_between(&w->random_state, 0, 3) == 0 ? "POST" : "GET";
  bool ok = !failed("tag method", census_tag_map_put(w->stage_tags, metrics.method, method));
  census_span_options server = {
      .size = sizeof(census_span_options), .kind = CENSUS_SPAN_KIND_SERVER, .root = true};
  census_span request = census_span_start_current("user request", &server);
  census_span_set_attribute_string(request, "http.method", method);
  census_trace_context context;
  /* Sampled (exported), not merely recording: the zPages record every request. */
  if (census_span_context(request, &context) == CENSUS_OK &&
      census_trace_context_is_sampled(&context)) {
    char trace_id[2 * CENSUS_TRACE_ID_SIZE + 1];
    for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
      snprintf(trace_id + 2 * i, 3, "%02x", context.trace_id[i]);
    }
    fprintf(stderr, "demo: sampled %s request, trace_id=%s\n", method, trace_id);
  }
  update_in_flight(+1);
  const char *stage_names[STAGE_COUNT];
  double stage_ms[STAGE_COUNT];
  size_t stages_done = 0;
  for (size_t i = 0; i < STAGE_COUNT && ok; i++) {
    const struct stage *stage = &request_stages[i];
    census_span stage_span = census_span_start_current(stage->name, NULL); /* child of request */
    long sleep_us = random_between(&w->random_state, stage->min_us, stage->max_us);
    if (i == 0 && random_between(&w->random_state, 0, 49) == 0) {
      sleep_us += random_between(&w->random_state, 40000, 150000); /* a cold cache: slow read */
      census_span_add_event(stage_span, "cache miss");
      w->cache_misses++;
    }
    if (i == 0) {
      call_backend(stage_span);
    }
    int64_t start = monotonic_ns();
    sleep_ns((int64_t)sleep_us * 1000);
    double elapsed_ms = (double)(monotonic_ns() - start) / 1e6;
    stage_names[stages_done] = stage->name;
    stage_ms[stages_done++] = elapsed_ms;
    ok = !failed("tag stage", census_tag_map_put(w->stage_tags, metrics.stage, stage->name)) &&
         !failed("record demo/stage_latency",
                 census_record_double(metrics.stage_latency_ms, elapsed_ms, w->stage_tags));
    census_span_end(stage_span);
  }
  update_in_flight(-1);
  /* Array-valued attributes (docs/tracing.md): the stages walked and what each took, in order;
   * copied by census, so the two local arrays may go. */
  census_span_set_attribute_string_array(request, "demo.stages", stage_names, stages_done);
  census_span_set_attribute_double_array(request, "demo.stage_ms", stage_ms, stages_done);

  long roll = random_between(&w->random_state, 0, 99);
  const char *status = roll < 90 ? "200" : roll < 95 ? "404" : "500";
  int64_t bytes = roll < 90 ? random_between(&w->random_state, 200, 20000) : 120;
  census_span_set_attribute_int64(request, "http.status_code", atoi(status));
  if (roll >= 95) {
    census_span_set_status(request, CENSUS_SPAN_STATUS_ERROR, "internal error");
  }
  census_span_end(request);
  int m = method[0] == 'G' ? 0 : 1, st = roll < 90 ? 0 : roll < 95 ? 1 : 2;
  w->requests[m][st]++;
  w->bytes[m] += bytes;
  return ok && !failed("tag method", census_tag_map_put(w->request_tags, metrics.method, method)) &&
         !failed("tag status", census_tag_map_put(w->request_tags, metrics.status, status)) &&
         !failed("put demo/requests",
                 census_measurement_map_put_int64(w->request_end, metrics.requests, 1)) &&
         !failed("put demo/response_bytes",
                 census_measurement_map_put_int64(w->request_end, metrics.response_bytes, bytes)) &&
         !failed("record request", census_measurement_map_record(w->request_end, w->request_tags));
}

/* A worker thread: serves requests until main clears keep_serving or a record call fails. */
static int64_t requests_per_worker; /* --requests; 0: no limit */

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (int64_t served = 0;
       atomic_load(&keep_serving) && (requests_per_worker == 0 || served < requests_per_worker) &&
       serve_one_request(w);
       served++) {
  }
  return NULL;
}

/* Writes what the workers recorded as one JSON object to `path` (--summary), for tests that
 * check the zPages and exporters against it. */
static void write_summary(const char *path, const struct worker *workers, int count) {
  static const char *const methods[] = {"GET", "POST"}, *const statuses[] = {"200", "404", "500"};
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "demo: cannot write %s: %s\n", path, strerror(errno));
    return;
  }
  int64_t total = 0, misses = 0, by[2][3] = {{0}}, bytes[2] = {0};
  for (int i = 0; i < count; i++) {
    for (int m = 0; m < 2; m++) {
      for (int s = 0; s < 3; s++) {
        by[m][s] += workers[i].requests[m][s];
        total += workers[i].requests[m][s];
      }
      bytes[m] += workers[i].bytes[m];
    }
    misses += workers[i].cache_misses;
  }
  fprintf(f,
          "{\"requests\":%" PRId64 ",\"errors\":%" PRId64 ",\"cache_misses\":%" PRId64
          ",\"by_method_status\":{",
          total, by[0][2] + by[1][2], misses);
  for (int m = 0; m < 2; m++) {
    for (int s = 0; s < 3; s++) {
      fprintf(f, "%s\"%s %s\":%" PRId64, m + s ? "," : "", methods[m], statuses[s], by[m][s]);
    }
  }
  fprintf(f, "},\"bytes_by_method\":{\"GET\":%" PRId64 ",\"POST\":%" PRId64 "}}\n", bytes[0],
          bytes[1]);
  fclose(f);
}

static void worker_free_maps(struct worker *w) {
  census_tag_map_free(w->stage_tags);
  census_tag_map_free(w->request_tags);
  census_measurement_map_free(w->request_end);
}

static void print_usage(FILE *to) {
  fprintf(to,
          "usage: demo [--json] [--interval-ms N] [--duration-s N] [--sample-ratio R]\n"
          "  --json             print JSON lines instead of text\n"
          "  --interval-ms N    export every N milliseconds (default:\n"
          "                     OTEL_METRIC_EXPORT_INTERVAL, else 5000)\n"
          "  --duration-s N     run N seconds, then shut down (default 15; 0: until Ctrl-C)\n"
          "  --sample-ratio R   trace this fraction of requests, 0 to 1 (default 0.02;\n"
          "                     OTEL_TRACES_SAMPLER / _ARG replace it)\n"
          "  --prometheus ADDR:PORT  serve /metrics there (default 127.0.0.1:9464)\n"
          "  --no-prometheus    do not serve /metrics\n"
          "  --no-zpages        do not serve the zPages (/zpages/ beside /metrics, else on\n"
          "                     127.0.0.1:9465)\n"
          "  --requests N       each worker serves N requests, then the demo idles until the\n"
          "                     end (the pages stay up)\n"
          "  --summary FILE     write what the workers recorded to FILE (JSON) once they stop\n"
          "  --otlp-endpoint URL  push metrics and spans with OTLP/HTTP to URL (e.g.\n"
          "                     http://localhost:4318; default: OTEL_EXPORTER_OTLP_ENDPOINT)\n"
          "  --zipkin-endpoint URL  send spans to Zipkin (e.g.\n"
          "                     http://localhost:9411/api/v2/spans; also started when\n"
          "                     OTEL_TRACES_EXPORTER lists zipkin)\n"
          "The OTEL_* variables census_autoconfigure() reads (docs/configuration.md)\n"
          "replace these defaults: OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER,\n"
          "OTEL_TRACES_SAMPLER, OTEL_PROPAGATORS, OTEL_SDK_DISABLED, ...\n"
          "  --google-cloud-project ID  write views to Cloud Monitoring and spans to Cloud\n"
          "                     Trace in project ID (credentials: GOOGLE_APPLICATION_CREDENTIALS\n"
          "                     or the metadata server)\n"
          "  --google-access-token TOKEN  use this OAuth2 access token instead\n"
          "  --google-monitoring-endpoint URL, --google-trace-endpoint URL\n"
          "                     base URLs of the APIs (default: Google's; for test servers)\n");
}

/* Parses a non-negative decimal integer, the whole of `text`, into *value; false if malformed. */
static bool parse_count(const char *text, int64_t *value) {
  if (text == NULL || *text < '0' || *text > '9') {
    return false;
  }
  char *end;
  errno = 0;
  long long parsed = strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0') {
    return false;
  }
  *value = parsed;
  return true;
}

/* Parses "ADDR:PORT" ("[v6]:PORT" for IPv6) into the options; false if malformed. */
static bool parse_listen(const char *text, struct demo_options *options) {
  const char *colon = text ? strrchr(text, ':') : NULL;
  int64_t port;
  if (colon == NULL || !parse_count(colon + 1, &port) || port < 1 || port > 65535) {
    return false;
  }
  const char *host = text;
  size_t length = (size_t)(colon - text);
  if (length >= 2 && host[0] == '[' && host[length - 1] == ']') {
    host++;
    length -= 2;
  }
  if (length == 0 || length >= sizeof options->prometheus_address) {
    return false;
  }
  memcpy(options->prometheus_address, host, length);
  options->prometheus_address[length] = '\0';
  options->prometheus_port = (uint16_t)port;
  return true;
}

/* Fills *options from the command line. Returns 0 to run, 1 after printing help (exit 0) and 2
 * after printing an error and the usage (exit 2). */
static int parse_options(int argc, char **argv, struct demo_options *options) {
  *options = (struct demo_options){.json = false,
                                   .interval_ms = 0,
                                   .duration_s = 15,
                                   .sample_ratio = "0.02",
                                   .prometheus = true,
                                   .zpages = true};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      options->json = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_usage(stdout);
      return 1;
    } else if (strcmp(argv[i], "--interval-ms") == 0 && i + 1 < argc) {
      if (!parse_count(argv[++i], &options->interval_ms) || options->interval_ms < 1) {
        fprintf(stderr, "demo: --interval-ms wants a positive integer, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--duration-s") == 0 && i + 1 < argc) {
      if (!parse_count(argv[++i], &options->duration_s) || options->duration_s > MAX_DURATION_S) {
        fprintf(stderr, "demo: --duration-s wants an integer from 0 to %d, got '%s'\n",
                MAX_DURATION_S, argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--no-prometheus") == 0) {
      options->prometheus = false;
    } else if (strcmp(argv[i], "--no-zpages") == 0) {
      options->zpages = false;
    } else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc) {
      if (!parse_count(argv[++i], &options->requests)) {
        fprintf(stderr, "demo: --requests wants a non-negative integer, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc) {
      options->summary_path = argv[++i];
    } else if (strcmp(argv[i], "--prometheus") == 0 && i + 1 < argc) {
      options->prometheus = true;
      if (!parse_listen(argv[++i], options)) {
        fprintf(stderr, "demo: --prometheus wants ADDR:PORT (e.g. 127.0.0.1:9464), got '%s'\n",
                argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--otlp-endpoint") == 0 && i + 1 < argc) {
      options->otlp_endpoint = argv[++i];
    } else if (strcmp(argv[i], "--zipkin-endpoint") == 0 && i + 1 < argc) {
      options->zipkin_endpoint = argv[++i];
    } else if (strcmp(argv[i], "--google-cloud-project") == 0 && i + 1 < argc) {
      options->google_project = argv[++i];
    } else if (strcmp(argv[i], "--google-monitoring-endpoint") == 0 && i + 1 < argc) {
      options->google_monitoring_endpoint = argv[++i];
    } else if (strcmp(argv[i], "--google-trace-endpoint") == 0 && i + 1 < argc) {
      options->google_trace_endpoint = argv[++i];
    } else if (strcmp(argv[i], "--google-access-token") == 0 && i + 1 < argc) {
      options->google_access_token = argv[++i];
    } else if (strcmp(argv[i], "--sample-ratio") == 0 && i + 1 < argc) {
      char *end;
      options->sample_ratio = argv[++i];
      double ratio = strtod(options->sample_ratio, &end);
      if (*end != '\0' || end == options->sample_ratio || !(ratio >= 0 && ratio <= 1)) {
        fprintf(stderr, "demo: --sample-ratio wants a number from 0 to 1, got '%s'\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "demo: unknown or incomplete option '%s'\n", argv[i]);
      print_usage(stderr);
      return 2;
    }
  }
  if (options->google_project == NULL &&
      (options->google_monitoring_endpoint || options->google_trace_endpoint ||
       options->google_access_token)) {
    fprintf(stderr, "demo: the --google-* options need --google-cloud-project\n");
    return 2;
  }
  return 0;
}

/* Starts the zPages: on the Prometheus server when there is one (http://.../zpages/; it listens
 * on `metrics_address`), else on their own (127.0.0.1:9465). They count every request's spans,
 * also those the sampler does not export (record_unsampled). Returns the handle (NULL if none). */
static void *start_zpages(const struct demo_options *options, void *metrics_server,
                          const char *metrics_address) {
#ifdef CENSUS_HAVE_ZPAGES
  if (!options->zpages) {
    return NULL;
  }
  census_zpages_options zpages_options = CENSUS_ZPAGES_OPTIONS_INIT;
  zpages_options.prometheus = metrics_server;
  zpages_options.record_unsampled = 1;
  zpages_options.history_interval_ms = options->interval_ms < 5000 ? options->interval_ms : 5000;
  census_zpages_exporter *zpages = NULL;
  census_status status = census_zpages_exporter_start(&zpages_options, &zpages);
  if (status != CENSUS_OK) {
    fprintf(stderr, "demo: not serving the zPages: %s\n", census_status_str(status));
    return NULL;
  }
  const char *address = metrics_server ? metrics_address : "127.0.0.1";
  bool v6 = strchr(address, ':') != NULL;
  fprintf(stderr, "demo: zPages at http://%s%s%s:%u/zpages/ (tracez, statsz)\n", v6 ? "[" : "",
          address, v6 ? "]" : "", census_zpages_exporter_port(zpages));
  return zpages;
#else
  (void)metrics_server;
  (void)metrics_address;
  if (options->zpages) {
    fprintf(stderr, "demo: built without the zPages; not serving them\n");
  }
  return NULL;
#endif
}

static void stop_zpages(void *zpages) {
#ifdef CENSUS_HAVE_ZPAGES
  if (zpages) {
    census_zpages_exporter_stop(zpages, 5000);
  }
#else
  (void)zpages;
#endif
}

/* After census_shutdown() (which made the final export and stopped the exporters): prints each
 * exporter's final counters and frees its handle. */
static void finish_exporters(struct demo_exporters *exporters) {
  for (size_t i = 0; i < exporters->count; i++) {
    exporters->running[i].finish(exporters->running[i].handle);
  }
  exporters->count = 0;
}

#ifdef CENSUS_HAVE_GOOGLE_CLOUD
/* Keeps a started push exporter in the table, for finish_exporters(). */
static void keep_exporter(struct demo_exporters *exporters, void *handle,
                          void (*finish)(void *handle)) {
  exporters->running[exporters->count].handle = handle;
  exporters->running[exporters->count].finish = finish;
  exporters->count++;
}

/* True if an exporter started; otherwise says "demo: not <doing>: <status>" (the demo goes on
 * without it). */
static bool exporter_started(census_status status, const char *doing) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "demo: not %s: %s\n", doing, census_status_str(status));
    return false;
  }
  return true;
}
#endif

#if defined(CENSUS_HAVE_ZIPKIN) || defined(CENSUS_HAVE_GOOGLE_CLOUD)
/* The counters the span exporters (Zipkin, Cloud Trace) have alike. */
static void print_span_counters(const char *backend, uint64_t spans_delivered,
                                uint64_t requests_delivered, uint64_t spans_dropped,
                                uint64_t retries) {
  fprintf(stderr,
          "demo: %s delivered %" PRIu64 " spans in %" PRIu64 " requests; dropped %" PRIu64
          " spans; %" PRIu64 " retries\n",
          backend, spans_delivered, requests_delivered, spans_dropped, retries);
}
#endif

#ifdef CENSUS_HAVE_OTLP
/* The OTLP exporter's final counters (census_autoconfig_stop() frees it). */
static void print_otlp_counters(census_otlp_exporter *exporter) {
  census_otlp_stats stats;
  if (census_otlp_exporter_stats(exporter, &stats) == CENSUS_OK) {
    fprintf(
        stderr,
        "demo: OTLP delivered %" PRIu64 " data points and %" PRIu64 " spans; dropped %" PRIu64
        " data points and %" PRIu64 " spans; the backend rejected %" PRIu64 " and %" PRIu64 "\n",
        stats.metrics.items_delivered, stats.traces.items_delivered, stats.metrics.items_dropped,
        stats.traces.items_dropped, stats.metrics.items_rejected, stats.traces.items_rejected);
  }
}
#endif

#ifdef CENSUS_HAVE_ZIPKIN
/* The Zipkin exporter's final counters (census_autoconfig_stop() frees it). */
static void print_zipkin_counters(census_zipkin_exporter *exporter) {
  census_zipkin_stats stats;
  if (census_zipkin_exporter_stats(exporter, &stats) == CENSUS_OK) {
    print_span_counters("Zipkin", stats.spans_delivered, stats.requests_delivered,
                        stats.spans_dropped, stats.retries);
  }
}
#endif

#ifdef CENSUS_HAVE_GOOGLE_CLOUD
static void finish_google_monitoring(void *exporter) {
  census_google_monitoring_stats stats;
  if (census_google_monitoring_exporter_stats(exporter, &stats) == CENSUS_OK) {
    fprintf(stderr,
            "demo: Cloud Monitoring delivered %" PRIu64 " points in %" PRIu64
            " requests; dropped %" PRIu64 ", rejected %" PRIu64 ", deferred %" PRIu64 "; %" PRIu64
            " descriptors created\n",
            stats.points_delivered, stats.requests_delivered, stats.points_dropped,
            stats.points_rejected, stats.points_deferred, stats.descriptors_created);
  }
  census_google_monitoring_exporter_stop(exporter, 0);
}

static void finish_google_trace(void *exporter) {
  census_google_trace_stats stats;
  if (census_google_trace_exporter_stats(exporter, &stats) == CENSUS_OK) {
    print_span_counters("Cloud Trace", stats.spans_delivered, stats.requests_delivered,
                        stats.spans_dropped, stats.retries);
  }
  census_google_trace_exporter_stop(exporter, 0);
}
#endif

/* Starts the Cloud Monitoring and Cloud Trace exporters when --google-cloud-project was given.
 * A failure of either is reported and the demo goes on without that one. */
static void start_google(const struct demo_options *options, struct demo_exporters *exporters) {
  if (options->google_project == NULL) {
    return;
  }
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
  census_google_monitoring_options monitoring_options = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  monitoring_options.project_id = options->google_project;
  monitoring_options.access_token = options->google_access_token;
  monitoring_options.monitoring_endpoint = options->google_monitoring_endpoint;
  census_google_monitoring_exporter *monitoring = NULL;
  if (exporter_started(census_google_monitoring_exporter_start(&monitoring_options, &monitoring),
                       "writing to Cloud Monitoring")) {
    fprintf(stderr, "demo: writing views to Cloud Monitoring, project %s\n",
            options->google_project);
    if (options->interval_ms < GOOGLE_MIN_WRITE_INTERVAL_MS) {
      /* The exporter keeps the API's rule itself: a series written less than 10 s ago is
       * skipped in that export (counted as deferred) and goes out in a later one. */
      fprintf(stderr,
              "demo: note: Cloud Monitoring takes one point per series every %d ms; with "
              "--interval-ms %" PRId64 " some exports defer their points to a later one\n",
              GOOGLE_MIN_WRITE_INTERVAL_MS, options->interval_ms);
    }
    keep_exporter(exporters, monitoring, finish_google_monitoring);
  }
  census_google_trace_options trace_options = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
  trace_options.project_id = options->google_project;
  trace_options.access_token = options->google_access_token;
  trace_options.trace_endpoint = options->google_trace_endpoint;
  census_google_trace_exporter *trace = NULL;
  if (exporter_started(census_google_trace_exporter_start(&trace_options, &trace),
                       "sending spans to Cloud Trace")) {
    fprintf(stderr, "demo: sending spans to Cloud Trace, project %s\n", options->google_project);
    keep_exporter(exporters, trace, finish_google_trace);
  }
#else
  (void)exporters;
  fprintf(stderr, "demo: built without the Google Cloud exporters; not exporting to Google\n");
#endif
}

/* Says on stderr what census_autoconfigure() started, and where. */
static void report_configuration(const struct demo_options *options,
                                 const census_autoconfig *config) {
  if (config->disabled) {
    fprintf(stderr, "demo: OTEL_SDK_DISABLED=true: no exporter, no tracing\n");
  }
  const char *address =
      options->prometheus_address[0] ? options->prometheus_address : config->prometheus_address;
  bool v6 = strchr(address, ':') != NULL;
  if (config->started & CENSUS_AUTOCONFIG_PROMETHEUS) {
    fprintf(stderr, "demo: Prometheus metrics at http://%s%s%s:%u/metrics\n", v6 ? "[" : "",
            address, v6 ? "]" : "", config->prometheus_port);
  } else if (config->metrics_exporters & CENSUS_AUTOCONFIG_PROMETHEUS) {
    fprintf(stderr, "demo: not serving Prometheus metrics on %s%s%s:%u\n", v6 ? "[" : "", address,
            v6 ? "]" : "",
            options->prometheus_port ? options->prometheus_port : config->prometheus_port);
  }
  if (config->started & CENSUS_AUTOCONFIG_OTLP) {
    const char *env = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    fprintf(stderr, "demo: exporting %s%s%s with OTLP/HTTP to %s\n",
            config->metrics_exporters & CENSUS_AUTOCONFIG_OTLP ? "metrics" : "",
            (config->metrics_exporters & config->traces_exporters & CENSUS_AUTOCONFIG_OTLP)
                ? " and "
                : "",
            config->traces_exporters & CENSUS_AUTOCONFIG_OTLP ? "spans" : "",
            options->otlp_endpoint ? options->otlp_endpoint
            : env && env[0]        ? env
                                   : "http://localhost:4318");
  }
  if (config->started & CENSUS_AUTOCONFIG_ZIPKIN) {
    const char *env = getenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
    fprintf(stderr, "demo: sending spans to Zipkin at %s\n",
            options->zipkin_endpoint ? options->zipkin_endpoint
            : env != NULL && env[0]  ? env
                                     : "http://localhost:9411/api/v2/spans");
  }
  fprintf(stderr, "demo: sampler %s", config->sampler);
  if (strstr(config->sampler, "traceidratio")) {
    fprintf(stderr, " (ratio %g)", config->sampler_ratio);
  }
  fprintf(stderr, "; propagating with");
  size_t formats = census_propagator_format_count(config->propagator);
  for (size_t i = 0; i < formats; i++) {
    fprintf(stderr, "%s %s", i ? "," : "", census_propagator_format(config->propagator, i));
  }
  fprintf(stderr, "%s\n", formats ? "" : " nothing");
}

/* Appends "," and `item` to list[0..size) when `add` (the list starts empty). */
static void list_add(char *list, size_t size, bool add, const char *item) {
  if (add) {
    size_t n = strlen(list);
    snprintf(list + n, size - n, "%s%s", n ? "," : "", item);
  }
}

/* Configures census with census_autoconfigure(): the OTEL_* variables, with the demo's command
 * line as the program's defaults (a variable that is set wins): console and, unless
 * --no-prometheus, Prometheus for metrics; console for spans; OTLP for both with --otlp-endpoint
 * or OTEL_EXPORTER_OTLP_ENDPOINT; Zipkin for spans with --zipkin-endpoint; the traceidratio
 * sampler at --sample-ratio. Says on stderr what runs where. False if nothing could be
 * configured (an exporter that did not start is reported and the demo goes on without it). */
static bool autoconfigure(const struct demo_options *options, census_autoconfig *config) {
  const char *env_otlp = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  bool otlp = options->otlp_endpoint != NULL || (env_otlp != NULL && env_otlp[0] != '\0');
  char metrics_list[64] = "console", traces_list[64] = "console";
  list_add(metrics_list, sizeof metrics_list, options->prometheus, "prometheus");
  list_add(metrics_list, sizeof metrics_list, otlp, "otlp");
  list_add(traces_list, sizeof traces_list, otlp, "otlp");
  list_add(traces_list, sizeof traces_list, options->zipkin_endpoint != NULL, "zipkin");

  census_stdout_options console = CENSUS_STDOUT_OPTIONS_INIT;
  console.format = options->json ? CENSUS_STDOUT_JSON : CENSUS_STDOUT_TEXT;
  console.fd = 1;
  census_autoconfigure_options auto_options = CENSUS_AUTOCONFIGURE_OPTIONS_INIT;
  auto_options.metrics_exporter = metrics_list;
  auto_options.traces_exporter = traces_list;
  auto_options.traces_sampler = "traceidratio"; /* the same decision in every process */
  auto_options.traces_sampler_arg = options->sample_ratio;
  auto_options.service_name = "demo";
  auto_options.console = &console;
#ifdef CENSUS_HAVE_PROMETHEUS
  census_kv service = {"service", "demo"};
  census_prometheus_options prometheus = CENSUS_PROMETHEUS_OPTIONS_INIT;
  prometheus.address = options->prometheus_address[0] ? options->prometheus_address : NULL;
  prometheus.port = options->prometheus_port;
  prometheus.const_labels = &service;
  prometheus.const_label_count = 1;
  prometheus.base_units = 1; /* demo/latency in seconds, as Prometheus's naming rules ask */
  auto_options.prometheus = &prometheus;
#endif
#ifdef CENSUS_HAVE_OTLP
  census_otlp_options otlp_options = CENSUS_OTLP_OPTIONS_INIT;
  otlp_options.endpoint = options->otlp_endpoint; /* NULL: the environment's */
  auto_options.otlp = &otlp_options;
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  census_zipkin_options zipkin_options = CENSUS_ZIPKIN_OPTIONS_INIT;
  zipkin_options.endpoint = options->zipkin_endpoint; /* NULL: the environment's or default */
  auto_options.zipkin = &zipkin_options;
#endif
  census_status status = census_autoconfigure(&auto_options, config);
  if (config->propagator == NULL) {
    failed("census_autoconfigure", status);
    return false;
  }
  report_configuration(options, config);
  return true;
}

int main(int argc, char **argv) {
  struct demo_options options;
  int parsed = parse_options(argc, argv, &options);
  if (parsed != 0) {
    return parsed == 1 ? 0 : 2;
  }

  census_autoconfig config = CENSUS_AUTOCONFIG_INIT;
  if (!autoconfigure(&options, &config)) {
    return 1;
  }
  /* The export interval: --interval-ms, else OTEL_METRIC_EXPORT_INTERVAL, else the demo's 5 s. */
  const char *env_interval = getenv("OTEL_METRIC_EXPORT_INTERVAL");
  int64_t interval_ms = options.interval_ms             ? options.interval_ms
                        : env_interval && *env_interval ? config.export_interval_ms
                                                        : 5000;
  if (failed("export interval", census_export_set_interval_ms(interval_ms)) || !set_up_metrics()) {
    return 1;
  }
  options.interval_ms = interval_ms;
  outgoing = config.propagator;
  void *zpages = start_zpages(&options, config.prometheus,
                              options.prometheus_address[0] ? options.prometheus_address
                                                            : config.prometheus_address);
  requests_per_worker = options.requests;
  struct demo_exporters exporters = {0};
  start_google(&options, &exporters);
  /* Ctrl-C and SIGTERM now flush everything recorded, then end the process as they would have. */
  if (failed("signal flush", census_signal_flush_install())) {
    return 1;
  }

  struct worker workers[DEMO_WORKERS] = {0};
  int started = 0;
  for (int i = 0; i < DEMO_WORKERS; i++) {
    struct worker *w = &workers[i];
    w->random_state = (uint64_t)monotonic_ns() * 2654435761u + (uint64_t)i * 0x9E3779B97F4A7C15ULL;
    w->random_state |= 1; /* xorshift must not start at 0 */
    w->stage_tags = census_tag_map_new();
    w->request_tags = census_tag_map_new();
    w->request_end = census_measurement_map_new();
    if (w->stage_tags == NULL || w->request_tags == NULL || w->request_end == NULL) {
      failed("worker maps", CENSUS_ENOMEM);
      break;
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      fprintf(stderr, "demo: pthread_create failed\n");
      break;
    }
    started++;
  }

  if (started == DEMO_WORKERS) {
    if (options.duration_s == 0) {
      fprintf(stderr,
              "demo: %d workers serving; exporting every %" PRId64
              " ms until Ctrl-C, which flushes before the process ends\n",
              DEMO_WORKERS, options.interval_ms);
      /* Nothing to do here: Ctrl-C or SIGTERM reaches census's handler, its export worker
       * flushes, and the signal then ends the process. No code of ours runs after that. */
      for (;;) {
        pause();
      }
    }
    fprintf(stderr,
            "demo: %d workers serving; exporting every %" PRId64 " ms for %" PRId64
            " s (Ctrl-C flushes and stops early)\n",
            DEMO_WORKERS, options.interval_ms, options.duration_s);
    /* The whole run is one span, running until the end, for the zPages' tracez (which records
     * spans the sampler refuses: record_unsampled). Its sampler refuses it so that it is never
     * exported: a trace of the whole run is not a request, and the exporter tests expect exactly
     * the sampled requests' traces. */
    census_span_options root = CENSUS_SPAN_OPTIONS_INIT;
    root.root = true;
    census_sampler *never = census_sampler_always_off();
    root.sampler = never;
    census_span run = census_span_start("demo run", &root);
    census_sampler_free(never); /* the span keeps its decision */
    int64_t end = monotonic_ns() + options.duration_s * 1000000000;
    if (options.requests > 0) {
      for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
      }
      started = -started; /* joined */
      fprintf(stderr, "demo: workers served %" PRId64 " requests each; idle until the end\n",
              options.requests);
      if (options.summary_path) {
        write_summary(options.summary_path, workers, DEMO_WORKERS);
      }
    }
    int64_t left = end - monotonic_ns();
    sleep_ns(left > 0 ? left : 0);
    census_span_end(run);
  }

  atomic_store(&keep_serving, false);
  for (int i = 0; i < started; i++) {
    pthread_join(workers[i].thread, NULL);
  }
  if (started < 0) {
    started = -started;
  } else if (options.summary_path) {
    write_summary(options.summary_path, workers, started);
  }
  /* The explicit path: with no thread recording any more, census_shutdown() exports everything
   * one last time, shuts the exporters down and frees census's data. Without this call the
   * return below would still export it all, from census's atexit handler. */
  census_status shutdown_status = census_shutdown(DEMO_SHUTDOWN_TIMEOUT_MS);
  for (int i = 0; i < DEMO_WORKERS; i++) {
    worker_free_maps(&workers[i]);
  }
  stop_zpages(zpages); /* census_shutdown() stopped them; this frees the handle */
  /* The exporters' handles outlive census_shutdown(), with the final counters (what the shutdown
   * deadline dropped included), until their _stop() frees them. */
#ifdef CENSUS_HAVE_OTLP
  if (config.otlp) {
    print_otlp_counters(config.otlp);
  }
#endif
#ifdef CENSUS_HAVE_ZIPKIN
  if (config.zipkin) {
    print_zipkin_counters(config.zipkin);
  }
#endif
  outgoing = NULL;
  census_autoconfig_stop(&config, 0); /* census_shutdown() stopped them; this frees the handles */
  finish_exporters(&exporters);
  if (failed("shutdown", shutdown_status) || started != DEMO_WORKERS) {
    return 1;
  }
  fprintf(stderr, "demo: done\n");
  return 0;
}
