/* census.c - the `census` command: a sidecar for shared-memory mode (docs/shared-memory.md).
 *
 *   census shm-metrics DIR [--openmetrics]
 *       Reads the group in DIR (every process's file and the archive, compacting dead processes'
 *       files first when it can) and prints the merged view as Prometheus text (or OpenMetrics).
 *   census shm-serve DIR [--address ADDR] [--port PORT]
 *       Serves the group's merged view on http://ADDR:PORT/metrics (default 127.0.0.1:9464; port
 *       0: any free port) until SIGTERM or SIGINT; prints "listening on ADDR:PORT" when ready.
 *
 * The command records nothing, so it never writes a file of its own into the group; it never
 * leads the group either (it registers no stats exporter). Exit status: 0, or 1 with a line on
 * stderr naming what failed; 2 for a usage error.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <census/census.h>
#include <census/exporters/prometheus.h>

static int usage(void) {
  fprintf(stderr, "usage: census shm-metrics DIR [--openmetrics]\n"
                  "       census shm-serve DIR [--address ADDR] [--port PORT]\n");
  return 2;
}

static int fail(const char *what, census_status status) {
  fprintf(stderr, "census: %s: %s\n", what, census_status_str(status));
  return 1;
}

static void print_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  fprintf(stderr, "census: %s\n", message);
}

static int shm_metrics(const char *dir, bool openmetrics) {
  census_view_data **views;
  size_t count;
  census_status status = census_shm_view_data_get_all(dir, &views, &count);
  if (status != CENSUS_OK) {
    return fail(dir, status);
  }
  census_prometheus_options options = CENSUS_PROMETHEUS_OPTIONS_INIT;
  options.format = openmetrics ? CENSUS_PROMETHEUS_OPENMETRICS : CENSUS_PROMETHEUS_TEXT;
  char *text;
  size_t length;
  status = census_prometheus_render_views((const census_view_data *const *)views, count, &options,
                                          &text, &length);
  census_view_data_free_all(views, count);
  if (status != CENSUS_OK) {
    return fail("rendering", status);
  }
  int ok = fwrite(text, 1, length, stdout) == length && fflush(stdout) == 0;
  census_prometheus_text_free(text);
  return ok ? 0 : fail("writing to stdout", CENSUS_ESYSTEM);
}

static int shm_serve(const char *dir, const char *address, long port) {
  census_status status = census_shm_enable(dir);
  if (status != CENSUS_OK) {
    return fail(dir, status);
  }
  census_prometheus_options options = CENSUS_PROMETHEUS_OPTIONS_INIT;
  options.address = address;
  options.port = (uint16_t)port;
  options.any_port = port == 0;
  census_prometheus_exporter *exporter;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before the server's threads start */
  status = census_prometheus_exporter_start(&options, &exporter);
  if (status != CENSUS_OK) {
    return fail("starting the Prometheus endpoint", status);
  }
  printf("listening on %s:%u\n", address ? address : "127.0.0.1",
         (unsigned)census_prometheus_exporter_port(exporter));
  fflush(stdout);
  int signo;
  sigwait(&stop, &signo);
  census_prometheus_exporter_stop(exporter, 5000);
  census_shutdown(5000);
  return 0;
}

int main(int argc, char **argv) {
  census_diagnostics_set_callback(print_diagnostic, NULL);
  if (argc < 3) {
    return usage();
  }
  const char *command = argv[1], *dir = argv[2], *address = NULL;
  bool openmetrics = false;
  long port = 9464;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--openmetrics") == 0) {
      openmetrics = true;
    } else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
      address = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) {
        return usage();
      }
    } else {
      return usage();
    }
  }
  if (strcmp(command, "shm-metrics") == 0) {
    return shm_metrics(dir, openmetrics);
  }
  if (strcmp(command, "shm-serve") == 0) {
    return shm_serve(dir, address, port);
  }
  return usage();
}
