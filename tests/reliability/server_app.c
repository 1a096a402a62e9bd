/* server_app.c - a census program serving /metrics and the zPages on one libmicrohttpd server,
 * for the hostile-client test (tests/reliability/hostile_clients_test.py).
 *
 * Usage: server_app [--max-connections N] [--per-ip N] [--timeout-s N] [--memory BYTES]
 * (0 or absent: the exporter's defaults). Starts the Prometheus exporter on 127.0.0.1 on a free
 * port with the zPages under /zpages on the same server, registers app/ticks (Count) and
 * app/by_shard (Count by a 200-value column, so a scrape is about 20 kB), records on a thread
 * every millisecond, and prints "port N" once it serves. On end of standard input it stops the
 * zPages and the server and prints "scrapes=S failures=F refused=R ticks=T"; exit status 0 unless
 * a census call failed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <census/census.h>
#include <census/exporters/prometheus.h>
#include <census/exporters/zpages.h>

static atomic_bool running = true;
static const census_measure *ticks;
static const census_tag_key *shard;
static int64_t ticks_recorded = 0; /* written by the recorder only, read after the join */

static void check(const char *step, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "server_app: %s: %s\n", step, census_status_name(status));
    exit(1);
  }
}

static void view(const char *name, const census_tag_key *column) {
  census_status status;
  census_aggregation *count = census_aggregation_count_new();
  census_view *v = census_view_new(name, "test view", ticks, column ? &column : NULL,
                                   column ? 1 : 0, count, &status);
  check(name, status);
  check(name, census_view_register(v));
  census_view_free(v);
  census_aggregation_free(count);
}

/* Records app/ticks every millisecond, with one of 200 shard values. */
static void *recorder(void *arg) {
  (void)arg;
  struct timespec ms = {0, 1000000};
  while (atomic_load(&running)) {
    char value[16];
    snprintf(value, sizeof value, "shard-%03d", (int)(ticks_recorded % 200));
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, shard, value);
    census_record_int64(ticks, 1, tags);
    census_tag_map_free(tags);
    ticks_recorded++;
    nanosleep(&ms, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  census_prometheus_options options = CENSUS_PROMETHEUS_OPTIONS_INIT;
  options.any_port = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--max-connections") == 0) {
      options.max_connections = (unsigned)atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--per-ip") == 0) {
      options.max_connections_per_ip = (unsigned)atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--timeout-s") == 0) {
      options.timeout_s = (unsigned)atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--memory") == 0) {
      options.connection_memory = (size_t)atol(argv[i + 1]);
    } else {
      fprintf(stderr, "server_app: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  census_status status;
  ticks = census_measure_int64_new("app/ticks", "ticks", "1", &status);
  check("measure", status);
  shard = census_tag_key_new("shard", &status);
  check("tag key", status);
  view("app/ticks", NULL);
  view("app/by_shard", shard);

  census_prometheus_exporter *server;
  check("prometheus start", census_prometheus_exporter_start(&options, &server));
  census_zpages_options z = CENSUS_ZPAGES_OPTIONS_INIT;
  z.prometheus = server;
  census_zpages_exporter *zpages;
  check("zpages start", census_zpages_exporter_start(&z, &zpages));
  pthread_t thread;
  if (pthread_create(&thread, NULL, recorder, NULL) != 0) {
    return 1;
  }
  printf("port %u\n", (unsigned)census_prometheus_exporter_port(server));
  fflush(stdout);

  char line[64];
  while (fgets(line, sizeof line, stdin)) {
  }
  atomic_store(&running, false);
  pthread_join(thread, NULL);
  census_prometheus_stats stats;
  check("stats", census_prometheus_exporter_stats(server, &stats));
  check("zpages stop", census_zpages_exporter_stop(zpages, 5000));
  check("prometheus stop", census_prometheus_exporter_stop(server, 5000));
  printf("scrapes=%llu failures=%llu refused=%llu ticks=%lld\n", (unsigned long long)stats.scrapes,
         (unsigned long long)stats.scrape_failures, (unsigned long long)stats.requests_refused,
         (long long)ticks_recorded);
  return 0;
}
