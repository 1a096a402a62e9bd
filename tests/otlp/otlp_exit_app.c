/* otlp_exit_app.c - the process under test of the OTLP exit-path matrix (otlp_exit_test.sh).
 *
 * Usage: otlp_exit_app MODE METRICS_URL TRACES_URL [--deadline-ms N] [--spool-dir DIR]
 *
 * Set-up: an OTLP exporter (protobuf) whose metrics go to METRICS_URL and traces to TRACES_URL
 * (per-signal endpoints, so one can be dead, hung or healthy independently), an export interval
 * and a span schedule delay of an hour (so whatever a backend receives came from the flush at the
 * end), the exit flush timeout set to the deadline (default 1500 ms), and every diagnostic
 * written to stderr as one "diag: <message>" line (no cap, unlike the default callback). One int64
 * measure exit/items, two views with the column "shard" (7 values): exit/count (COUNT) and
 * exit/sum (SUM), so the final snapshot holds exactly 14 points. Two threads record the values
 * 1..K (K = 100000; value v goes to shard v % 7), so the expected totals are count K and sum
 * K(K+1)/2; then S = 1200 sampled spans "exit/span" end (3 OTLP requests of at most 512 spans).
 *
 * The report is one JSON line on stdout: {"mode", "pid", "status" (the status of the call the
 * mode makes, or null), "metrics": {counters}, "traces": {counters}}. It is printed after
 * census's own ending work: at exit by an atexit handler registered before census starts (atexit
 * handlers run in reverse order, so it runs after census's exit flush); on SIGTERM by the main
 * thread once census, having flushed, gave the signal back to the handler installed before
 * census_signal_flush_install().
 *
 * MODE (how the process ends, or what it checks):
 *   return          main returns 0
 *   exit            exit(0) from a helper function
 *   sigterm         census_signal_flush_install() after installing its own SIGTERM handler; says
 *                   "ready" on stderr and waits; the test sends SIGTERM; after the report the
 *                   process ends by SIGTERM (default action restored, signal raised again)
 *   shutdown        census_shutdown(deadline); "status" is its result; then main returns
 *   flush_shutdown  census_flush(deadline) ("status"), a report, then census_shutdown(deadline)
 *                   ("status" of a second report line); then main returns
 *   flush_stop      census_flush(deadline) ("status"), a report, then
 *                   census_otlp_exporter_stop(handle, deadline): a second line {"mode": "stop",
 *                   "pid", "status"} (no counters: the handle is freed)
 *   fork            records K/2 values and S/2 spans, census_flush(5000) (delivered by the parent),
 *                   then forks. The child prints {"mode":"fork-child", "pid", "before": counters
 *                   right after fork, "status": census_flush(5000), "after": counters}, having
 *                   recorded its own 3000 values (1..3000) and 300 spans "exit/child-span"; it
 *                   returns from main (its exit flush sends again what it has, to the same totals).
 *                   The parent waits for it, then prints its report and returns.
 *   deliver         records nothing: census_flush(5000) ("status"), which waits for the spool's
 *                   files to be delivered first, a report, then main returns (otlp_spool_test.sh)
 * --spool-dir DIR sets the exporter's spool_dir option (CENSUS_SPOOL_DIR works as well); the
 * counters then include requests_spooled, items_spooled, requests_from_spool, items_from_spool.
 * Exit status: 0; 2 for a failed set-up call (named on stderr); 3 if the fork child failed.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/census.h"
#include "census/exporters/otlp.h"
#include "census/trace.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#define K 100000
#define SHARDS 7
#define SPANS 1200
#define AN_HOUR_MS 3600000

static const census_measure *items;
static const census_tag_key *shard_key;
static census_otlp_exporter *exporter;
static const char *mode = "";
static bool reported;
static volatile sig_atomic_t got_sigterm;

static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "otlp_exit_app: %s: %s\n", step, census_status_name(status));
    exit(2);
  }
}

/* Every diagnostic, one line each, in one write(2) so that lines from threads never mix. */
static void on_diagnostics(void *user, census_status status, const char *message) {
  (void)user;
  char line[640];
  int n = snprintf(line, sizeof line, "diag: %s: %s\n", census_status_name(status), message);
  if (n > 0) {
    ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
}

static void print_signal(const char *name, const census_otlp_signal_stats *s) {
  printf("\"%s\": {\"requests_delivered\": %" PRIu64 ", \"attempts\": %" PRIu64
         ", \"items_delivered\": %" PRIu64 ", \"items_rejected\": %" PRIu64
         ", \"items_dropped\": %" PRIu64 ", \"requests_superseded\": %" PRIu64
         ", \"requests_dropped\": %" PRIu64 ", \"requests_spooled\": %" PRIu64
         ", \"items_spooled\": %" PRIu64 ", \"requests_from_spool\": %" PRIu64
         ", \"items_from_spool\": %" PRIu64 "}",
         name, s->requests_delivered, s->attempts, s->items_delivered, s->items_rejected,
         s->items_dropped, s->requests_superseded, s->requests_dropped, s->requests_spooled,
         s->items_spooled, s->requests_from_spool, s->items_from_spool);
}

/* One report line; `status` NULL prints null. */
static void report(const char *line_mode, const char *status) {
  census_otlp_stats stats;
  check("stats", census_otlp_exporter_stats(exporter, &stats));
  printf("{\"mode\": \"%s\", \"pid\": %ld, \"status\": ", line_mode, (long)getpid());
  printf(status != NULL ? "\"%s\", " : "null, ", status);
  print_signal("metrics", &stats.metrics);
  printf(", ");
  print_signal("traces", &stats.traces);
  printf("}\n");
  fflush(stdout);
}

/* Registered before census starts: runs after census's exit flush (atexit is LIFO). */
static void report_at_exit(void) {
  if (!reported && exporter != NULL) {
    reported = true;
    report(mode, NULL);
  }
}

static void on_sigterm(int signo) {
  (void)signo;
  got_sigterm = 1;
}

static void set_up(const char *metrics_url, const char *traces_url, int64_t deadline_ms,
                   const char *spool_dir) {
  census_diagnostics_set_callback(on_diagnostics, NULL);
  check("interval", census_export_set_interval_ms(AN_HOUR_MS));
  check("exit flush timeout", census_exit_flush_set_timeout_ms(deadline_ms));
  census_span_export_options span_options = {.size = sizeof(census_span_export_options),
                                             .max_queue_size = 4 * SPANS,
                                             .max_export_batch_size = 4 * SPANS,
                                             .schedule_delay_ms = AN_HOUR_MS,
                                             .export_timeout_ms = 0};
  check("span export options", census_trace_set_export_options(&span_options));
  census_sampler *always_on = census_sampler_always_on();
  check("sampler", census_trace_set_sampler(always_on));
  census_sampler_free(always_on);

  census_status st;
  items = census_measure_int64_new("exit/items", "Items recorded before the end", "1", &st);
  check("measure", st);
  shard_key = census_tag_key_new("shard", &st);
  check("tag key", st);
  census_aggregation *aggregations[] = {census_aggregation_count_new(),
                                        census_aggregation_sum_new()};
  const char *names[] = {"exit/count", "exit/sum"};
  for (int i = 0; i < 2; i++) {
    census_view *view = census_view_new(names[i], NULL, items, &shard_key, 1, aggregations[i], &st);
    check("view", st);
    check("view register", census_view_register(view));
    census_view_free(view);
    census_aggregation_free(aggregations[i]);
  }

  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.metrics_endpoint = metrics_url;
  o.traces_endpoint = traces_url;
  o.service_name = "otlp-exit";
  o.protocol = CENSUS_OTLP_HTTP_PROTOBUF;
  o.initial_backoff_ms = 100;
  o.max_backoff_ms = 400;
  o.spool_dir = spool_dir;
  check("otlp exporter", census_otlp_exporter_start(&o, &exporter));
}

struct recorder {
  pthread_t thread;
  int64_t first, last;
  census_tag_map *tags[SHARDS];
};

static void *record_main(void *arg) {
  struct recorder *r = arg;
  for (int64_t v = r->first; v <= r->last; v += 2) {
    census_record_int64(items, v, r->tags[v % SHARDS]);
  }
  return NULL;
}

/* Records first..last on two threads (each value once), then ends `spans` spans named `name`. */
static void record(int64_t first, int64_t last, int spans, const char *name) {
  struct recorder r[2];
  for (int t = 0; t < 2; t++) {
    r[t].first = first + t;
    r[t].last = last;
    for (int s = 0; s < SHARDS; s++) {
      char value[8];
      snprintf(value, sizeof value, "s%d", s);
      r[t].tags[s] = census_tag_map_new();
      check("tag put", census_tag_map_put(r[t].tags[s], shard_key, value));
    }
    if (pthread_create(&r[t].thread, NULL, record_main, &r[t]) != 0) {
      fprintf(stderr, "otlp_exit_app: pthread_create failed\n");
      exit(2);
    }
  }
  for (int t = 0; t < 2; t++) {
    pthread_join(r[t].thread, NULL);
    for (int s = 0; s < SHARDS; s++) {
      census_tag_map_free(r[t].tags[s]);
    }
  }
  for (int i = 0; i < spans; i++) {
    census_span span = census_span_start(name, NULL);
    census_span_set_attribute_int64(span, "i", i);
    census_span_end(span);
  }
}

static _Noreturn void finish_with_exit(void) { exit(0); }

static int fork_mode(void) {
  record(1, K / 2, SPANS / 2, "exit/parent-span");
  check("parent flush", census_flush(5000));
  fflush(NULL);
  pid_t pid = fork_quiet();
  if (pid < 0) {
    perror("otlp_exit_app: fork");
    return 2;
  }
  if (pid == 0) {
    census_otlp_stats before, after;
    check("stats", census_otlp_exporter_stats(exporter, &before));
    record(1, 3000, 300, "exit/child-span");
    census_status flushed = census_flush(5000);
    check("stats", census_otlp_exporter_stats(exporter, &after));
    printf("{\"mode\": \"fork-child\", \"pid\": %ld, \"status\": \"%s\", \"before\": {",
           (long)getpid(), census_status_name(flushed));
    print_signal("metrics", &before.metrics);
    printf(", ");
    print_signal("traces", &before.traces);
    printf("}, \"after\": {");
    print_signal("metrics", &after.metrics);
    printf(", ");
    print_signal("traces", &after.traces);
    printf("}}\n");
    fflush(stdout);
    reported = true; /* the child's exit flush still runs; its report is the line above */
    return 0;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "otlp_exit_app: fork child failed (status %d)\n", status);
    return 3;
  }
  return 0; /* the parent's report comes from report_at_exit() */
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: otlp_exit_app MODE METRICS_URL TRACES_URL [--deadline-ms N]\n");
    return 2;
  }
  atexit(report_at_exit); /* before census starts: see the file comment */
  mode = argv[1];
  int64_t deadline_ms = 1500;
  const char *spool_dir = NULL;
  for (int i = 4; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--deadline-ms") == 0) {
      deadline_ms = atoll(argv[i + 1]);
    } else if (strcmp(argv[i], "--spool-dir") == 0) {
      spool_dir = argv[i + 1];
    }
  }
  set_up(argv[2], argv[3], deadline_ms, spool_dir);
  if (strcmp(mode, "fork") == 0) {
    return fork_mode();
  }
  if (strcmp(mode, "deliver") == 0) {
    census_status flushed = census_flush(5000);
    reported = true;
    report(mode, census_status_name(flushed));
    return 0;
  }
  record(1, K, SPANS, "exit/span");
  if (strcmp(mode, "return") == 0) {
    return 0;
  }
  if (strcmp(mode, "exit") == 0) {
    finish_with_exit();
  }
  if (strcmp(mode, "sigterm") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    check("signal flush", census_signal_flush_install());
    fprintf(stderr, "ready\n");
    while (!got_sigterm) {
      pause();
    }
    /* census flushed, then gave SIGTERM back to on_sigterm: report, then end by the signal. */
    reported = true;
    report(mode, NULL);
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    return 1; /* not reached */
  }
  if (strcmp(mode, "shutdown") == 0) {
    census_status st = census_shutdown(deadline_ms);
    reported = true;
    report(mode, census_status_name(st));
    return 0;
  }
  if (strcmp(mode, "flush_shutdown") == 0 || strcmp(mode, "flush_stop") == 0) {
    census_status flushed = census_flush(deadline_ms);
    report("flush", census_status_name(flushed));
    reported = true;
    if (strcmp(mode, "flush_shutdown") == 0) {
      census_status st = census_shutdown(deadline_ms);
      report("shutdown", census_status_name(st));
    } else {
      census_status st = census_otlp_exporter_stop(exporter, deadline_ms);
      exporter = NULL; /* freed: no report of its counters after this */
      printf("{\"mode\": \"stop\", \"pid\": %ld, \"status\": \"%s\"}\n", (long)getpid(),
             census_status_name(st));
      fflush(stdout);
    }
    return 0;
  }
  fprintf(stderr, "otlp_exit_app: unknown mode %s\n", mode);
  return 2;
}
