/* process_metrics.c - the process metrics Prometheus clients export by default and
 * OpenTelemetry names in its semantic conventions, as observable instruments.
 *
 * Each metric is an observable instrument whose callback reads the kernel's answer at every
 * collection: getrusage() for CPU time, getrlimit() for the descriptor limit, and on Linux
 * /proc/self/statm (memory), /proc/self/stat (threads, start time, with /proc/stat's boot time)
 * and /proc/self/fd (open descriptors). What cannot be read (no /proc) is not observed: the
 * metric then has no row rather than a made-up value. Nothing is cached across collections, so a
 * fork child reports its own process.
 *
 * One view, two names: every view has OpenTelemetry's semantic-convention name (what OTLP and
 * the other exporters send) and the Prometheus clients' name as its Prometheus name
 * (census_view_set_prometheus_name()), so /metrics shows process_cpu_seconds_total, ... exactly
 * as client_golang does. The kinds follow the conventions: CPU time is an observable counter
 * (Prometheus counter), memory, descriptors and threads observable up-down counters (Prometheus
 * gauges, as the clients make them), the limit and the start time observable gauges. The two
 * without a semantic-convention metric (the descriptor limit, the start time) carry their
 * Prometheus name for both.
 *
 * Registration is idempotent: each callback is registered once per process
 * (census__observable_register_once()), whoever calls and however often.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "census/instruments.h"
#include "instruments/observable.h"

/* Reads the first line of `path` into buf; false if it cannot. */
static bool read_line(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "re");
  if (!f) {
    return false;
  }
  bool ok = fgets(buf, (int)size, f) != NULL;
  fclose(f);
  return ok;
}

/* Field `n` (1-based, as proc(5) numbers them) of /proc/self/stat, as an integer; false if it
 * cannot be read. The second field (comm) may hold spaces and parentheses, so fields are counted
 * from the last ')'. */
static bool stat_field(int n, long long *value) {
  char buf[1024];
  if (!read_line("/proc/self/stat", buf, sizeof buf)) {
    return false;
  }
  char *p = strrchr(buf, ')');
  if (!p) {
    return false;
  }
  p++;
  for (int field = 3; field <= n; field++) {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (field == 3) { /* state: a letter */
      while (*p == ' ') {
        p++;
      }
      end = p + 1;
    }
    if (end == p) {
      return false;
    }
    if (field == n) {
      *value = v;
      return true;
    }
    p = end;
  }
  return false;
}

static void observe_cpu(census_observer *observer, void *user) {
  (void)user;
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    double seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    census_observer_observe_double(observer, seconds, NULL);
  }
}

/* /proc/self/statm: field 0 is the virtual size, field 1 the resident set, in pages. */
static void observe_statm(census_observer *observer, int field) {
  char buf[256];
  unsigned long long pages[2];
  if (read_line("/proc/self/statm", buf, sizeof buf) &&
      sscanf(buf, "%llu %llu", &pages[0], &pages[1]) == 2) {
    census_observer_observe_int64(
        observer, (int64_t)(pages[field] * (unsigned long long)getpagesize()), NULL);
  }
}

static void observe_resident(census_observer *observer, void *user) {
  (void)user;
  observe_statm(observer, 1);
}

static void observe_virtual(census_observer *observer, void *user) {
  (void)user;
  observe_statm(observer, 0);
}

/* The entries of /proc/self/fd, less the one the directory stream itself holds. */
static void observe_open_fds(census_observer *observer, void *user) {
  (void)user;
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) {
    return;
  }
  int64_t count = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    count += e->d_name[0] != '.';
  }
  closedir(dir);
  census_observer_observe_int64(observer, count > 0 ? count - 1 : 0, NULL);
}

/* The soft limit; an unlimited one is not observed (no number to give). */
static void observe_max_fds(census_observer *observer, void *user) {
  (void)user;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur <= (rlim_t)INT64_MAX) {
    census_observer_observe_int64(observer, (int64_t)rl.rlim_cur, NULL);
  }
}

/* Unix time of the process's start: its start in clock ticks after boot (stat field 22) plus
 * the boot time (btime in /proc/stat), as client_golang computes it. */
static void observe_start_time(census_observer *observer, void *user) {
  (void)user;
  long long ticks;
  long hz = sysconf(_SC_CLK_TCK);
  FILE *f = fopen("/proc/stat", "re");
  if (!f || hz <= 0 || !stat_field(22, &ticks)) {
    if (f) {
      fclose(f);
    }
    return;
  }
  char line[256];
  long long boot = -1;
  while (boot < 0 && fgets(line, sizeof line, f)) {
    if (strncmp(line, "btime ", 6) == 0) {
      boot = strtoll(line + 6, NULL, 10);
    }
  }
  fclose(f);
  if (boot >= 0) {
    census_observer_observe_double(observer, (double)boot + (double)ticks / (double)hz, NULL);
  }
}

static void observe_threads(census_observer *observer, void *user) {
  (void)user;
  long long threads;
  if (stat_field(20, &threads)) {
    census_observer_observe_int64(observer, threads, NULL);
  }
}

CENSUS_EXPORT census_status census_process_metrics_register(void) {
  static const struct {
    const char *name, *prometheus_name, *unit, *description;
    enum census__instrument_kind kind;
    census_measure_type type;
    census_observe_fn callback;
  } metrics[] = {
      {"process.cpu.time", "process_cpu_seconds_total", "s",
       "Total user and system CPU time spent in seconds.", CENSUS__OBSERVABLE_COUNTER,
       CENSUS_MEASURE_DOUBLE, observe_cpu},
      {"process.memory.usage", "process_resident_memory_bytes", "By",
       "Resident memory size in bytes.", CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_INT64,
       observe_resident},
      {"process.memory.virtual", "process_virtual_memory_bytes", "By",
       "Virtual memory size in bytes.", CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_INT64,
       observe_virtual},
      {"process.unix.file_descriptor.count", "process_open_fds", "{file_descriptor}",
       "Number of open file descriptors.", CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_INT64,
       observe_open_fds},
      {"process_max_fds", "process_max_fds", "{file_descriptor}",
       "Maximum number of open file descriptors.", CENSUS__OBSERVABLE_GAUGE, CENSUS_MEASURE_INT64,
       observe_max_fds},
      {"process_start_time_seconds", "process_start_time_seconds", "s",
       "Start time of the process since unix epoch in seconds.", CENSUS__OBSERVABLE_GAUGE,
       CENSUS_MEASURE_DOUBLE, observe_start_time},
      {"process.thread.count", "process_threads", "{thread}", "Number of OS threads.",
       CENSUS__OBSERVABLE_UPDOWN_COUNTER, CENSUS_MEASURE_INT64, observe_threads},
  };
  census_status status = CENSUS_OK;
  for (size_t i = 0; i < sizeof metrics / sizeof metrics[0] && status == CENSUS_OK; i++) {
    census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
    o.unit = metrics[i].unit;
    o.description = metrics[i].description;
    o.prometheus_name = metrics[i].prometheus_name;
    status = census__observable_register_once(metrics[i].kind, metrics[i].type, metrics[i].name, &o,
                                              metrics[i].callback, NULL,
                                              "census_process_metrics_register");
  }
  return status;
}
