/* exit_child.c - the process under test for the "nothing lost at exit" integration tests.
 *
 * Usage: exit_child MODE K [P CHILD_OUTPUT]
 *
 * It registers the stdout exporter in JSON-lines mode on fd 1 (the test redirects that to a file),
 * sets the export interval to an hour, far longer than the process lives, so that any data in the
 * output got there through a flush at the end, and registers two views of the int64 measure
 * exit/items, both with the one column "mode" (the MODE argument):
 *   exit/count  COUNT
 *   exit/sum    SUM
 * Two threads then record the values 1..K between them (thread t takes every second value from
 * t+1), so the expected totals are count K and sum K(K+1)/2; with each value they also end one
 * sampled span "exit/item" (attribute value), held in the span queue until the final flush.
 * How the process then ends is MODE:
 *   return              both threads are joined; main returns 0.
 *   exit                both threads are joined; a helper function calls exit(0).
 *   return_live_threads the threads stay alive (blocked in pause()) holding whatever they recorded
 *                       in their per-thread cells; main returns 0 without joining them.
 *   sigterm             census_signal_flush_install() first; after recording, writes "ready\n" to
 *                       stderr and sleeps until the test sends SIGTERM. The process must die by
 *                       SIGTERM, with the data flushed first.
 *   sigint              the same with SIGINT (Ctrl-C), except that the recording threads stay
 *                       alive (parked as in return_live_threads), so the flush must collect from
 *                       live threads' cells rather than from exited ones. A shell starts a
 *                       background process with SIGINT ignored, and census gives a signal its
 *                       previous disposition back after the flush, so this mode first restores
 *                       SIGINT's default action, as a program run from a terminal would have it.
 *   fork                the parent records the values 1..P, then forks. The child points fd 1 at
 *                       CHILD_OUTPUT, records 1..K and returns from main; it must export exactly
 *                       K (no copy of the parent's P). The parent waits for the child, then
 *                       returns from main; it must export exactly P. Exit status 3 if the child
 *                       did not exit 0.
 * Setup failures print the census status and exit with status 2. Nothing is written to stdout
 * except by the exporter (no stdio buffer on fd 1 that a fork could duplicate).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <census/census.h>
#include <census/trace.h>
#include <census/exporters/stdout.h>
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#define RECORDING_THREADS 2
#define AN_HOUR_MS 3600000
#define SPAN_QUEUE 100000 /* more than any K the test uses */

static const census_measure *items;
static census_tag_map *mode_tags; /* {mode: MODE}; shared read-only by the recording threads */

/* Exits with status 2 after naming the step, when a census call failed. */
static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "exit_child: %s: %s (%s)\n", step, census_status_str(status),
            census_status_name(status));
    exit(2);
  }
}

/* Registers the exporter, the interval, the measure, the column and both views, and fills
 * mode_tags. Any failure exits with status 2. */
static void set_up(const char *mode) {
  census_stdout_options options = CENSUS_STDOUT_OPTIONS_INIT;
  options.format = CENSUS_STDOUT_JSON;
  options.fd = 1;
  census_stdout_exporter *exporter; /* never stopped: the flush at exit prints the last data */
  check("stdout exporter", census_stdout_exporter_start(&options, &exporter));
  check("export interval", census_export_set_interval_ms(AN_HOUR_MS));
  /* Spans too are exported only by the final flush: an hour's delay, and a queue and batch large
   * enough that no full batch triggers an earlier export. */
  census_span_export_options span_options = {.size = sizeof(census_span_export_options),
                                             .max_queue_size = SPAN_QUEUE,
                                             .max_export_batch_size = SPAN_QUEUE,
                                             .schedule_delay_ms = AN_HOUR_MS,
                                             .export_timeout_ms = 0};
  check("span export options", census_trace_set_export_options(&span_options));

  census_status status;
  items = census_measure_int64_new("exit/items", "Items recorded before the end", "1", &status);
  check("measure", status);
  const census_tag_key *mode_key = census_tag_key_new("mode", &status);
  check("tag key", status);
  mode_tags = census_tag_map_new();
  check("tag map", mode_tags != NULL ? CENSUS_OK : CENSUS_ENOMEM);
  check("tag put", census_tag_map_put(mode_tags, mode_key, mode));

  census_aggregation *aggregations[] = {census_aggregation_count_new(),
                                        census_aggregation_sum_new()};
  const char *names[] = {"exit/count", "exit/sum"};
  for (int i = 0; i < 2; i++) {
    check("aggregation", aggregations[i] != NULL ? CENSUS_OK : CENSUS_ENOMEM);
    census_view *view =
        census_view_new(names[i], NULL, items, &mode_key, 1, aggregations[i], &status);
    check("view", status);
    check("view register", census_view_register(view));
    census_view_free(view);
    census_aggregation_free(aggregations[i]);
  }
}

/* What one recording thread does: values first, first+2, ... up to total. If `park` is not NULL
 * the thread then waits on it and stays alive forever. */
struct recorder {
  pthread_t thread;
  int64_t first;
  int64_t total;
  pthread_barrier_t *park;
};

static void *recorder_main(void *arg) {
  struct recorder *r = arg;
  for (int64_t value = r->first; value <= r->total; value += RECORDING_THREADS) {
    census_status status = census_record_int64(items, value, mode_tags);
    /* One ended span per value too: spans must survive the end as the data do. */
    census_span span = census_span_start("exit/item", NULL);
    census_span_set_attribute_int64(span, "value", value);
    census_span_end(span);
    if (status != CENSUS_OK) {
      fprintf(stderr, "exit_child: record: %s\n", census_status_str(status));
      _exit(2); /* the count check would fail anyway; say why and stop at once */
    }
  }
  if (r->park != NULL) {
    pthread_barrier_wait(r->park);
    for (;;) {
      pause();
    }
  }
  return NULL;
}

/* Records the values 1..total on RECORDING_THREADS threads. With `park` NULL the threads are
 * joined before it returns; otherwise it returns once every thread has recorded everything and
 * is parked, alive, on `park` (a barrier for RECORDING_THREADS + 1). */
static void record_values(int64_t total, pthread_barrier_t *park) {
  struct recorder recorders[RECORDING_THREADS];
  for (int i = 0; i < RECORDING_THREADS; i++) {
    recorders[i] = (struct recorder){.first = i + 1, .total = total, .park = park};
    if (pthread_create(&recorders[i].thread, NULL, recorder_main, &recorders[i]) != 0) {
      fprintf(stderr, "exit_child: pthread_create failed\n");
      exit(2);
    }
  }
  if (park != NULL) {
    pthread_barrier_wait(park);
    return; /* `recorders` goes out of scope, but the parked threads never read it again */
  }
  for (int i = 0; i < RECORDING_THREADS; i++) {
    pthread_join(recorders[i].thread, NULL);
  }
}

/* The `exit` mode's ending: exit() from a function other than main. */
static _Noreturn void finish_with_exit(void) { exit(0); }

/* The signal modes: says it is ready, then sleeps until a signal ends the process. */
static _Noreturn void wait_for_signal(void) {
  static const char ready[] = "ready\n";
  if (write(2, ready, sizeof ready - 1) != (ssize_t)(sizeof ready - 1)) {
    exit(2);
  }
  for (;;) {
    pause();
  }
}

/* The `fork` mode; see the file comment. Returns main's exit status in both processes. */
static int run_fork_mode(int64_t child_total, int64_t parent_total, const char *child_output) {
  record_values(parent_total, NULL);
  pid_t pid = fork_quiet();
  if (pid < 0) {
    perror("exit_child: fork");
    return 2;
  }
  if (pid == 0) {
    int fd = open(child_output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0) {
      perror("exit_child: child output");
      return 2;
    }
    close(fd);
    record_values(child_total, NULL);
    return 0; /* census's atexit handler in the child exports the child's data */
  }
  int child_status;
  while (waitpid(pid, &child_status, 0) < 0) {
    if (errno != EINTR) {
      perror("exit_child: waitpid");
      return 3;
    }
  }
  if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
    fprintf(stderr, "exit_child: fork child ended with status 0x%x\n", child_status);
    return 3;
  }
  return 0;
}

/* Parses a positive decimal count; exits with status 2 if malformed. */
static int64_t parse_count(const char *text) {
  char *end;
  errno = 0;
  long long value = text != NULL ? strtoll(text, &end, 10) : 0;
  if (text == NULL || errno != 0 || *end != '\0' || value < 1) {
    fprintf(stderr, "exit_child: want a positive count, got '%s'\n", text ? text : "(none)");
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: exit_child return|exit|return_live_threads|sigterm|sigint|fork K "
                    "[P CHILD_OUTPUT]\n");
    return 2;
  }
  const char *mode = argv[1];
  int64_t total = parse_count(argv[2]);
  set_up(mode);

  if (strcmp(mode, "return") == 0) {
    record_values(total, NULL);
    return 0;
  }
  if (strcmp(mode, "exit") == 0) {
    record_values(total, NULL);
    finish_with_exit();
  }
  if (strcmp(mode, "return_live_threads") == 0) {
    static pthread_barrier_t park;
    pthread_barrier_init(&park, NULL, RECORDING_THREADS + 1);
    record_values(total, &park);
    return 0;
  }
  if (strcmp(mode, "sigterm") == 0) {
    check("signal flush", census_signal_flush_install());
    record_values(total, NULL);
    wait_for_signal();
  }
  if (strcmp(mode, "sigint") == 0) {
    if (signal(SIGINT, SIG_DFL) == SIG_ERR) {
      perror("exit_child: signal");
      return 2;
    }
    check("signal flush", census_signal_flush_install());
    static pthread_barrier_t park;
    pthread_barrier_init(&park, NULL, RECORDING_THREADS + 1);
    record_values(total, &park);
    wait_for_signal();
  }
  if (strcmp(mode, "fork") == 0 && argc == 5) {
    return run_fork_mode(total, parse_count(argv[3]), argv[4]);
  }
  fprintf(stderr, "exit_child: unknown mode '%s' or wrong arguments\n", mode);
  return 2;
}
