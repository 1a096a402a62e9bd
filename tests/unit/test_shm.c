/* test_shm.c - shared-memory mode (docs/shared-memory.md) with real processes, real files and
 * real SIGKILLs. The test process never enables the mode: it registers the views, forks the
 * processes of a group (which enable it, by the API or by CENSUS_SHM_DIR, after fork, or before
 * fork in a "master"), and reads the group with census_shm_view_data_get_all() like a sidecar.
 *
 * What it proves (each of these fails on main, where the mode does not exist and every count a
 * worker made dies with it):
 *   - workers_killed_and_replaced: N workers x M records, two SIGKILLed mid-run and replaced;
 *     the merged totals equal exactly what each worker logged to a side file as recorded (a
 *     worker killed inside a record may have committed that record or not, never half of it: its
 *     count is done or done + 1 and its sum is exactly the sum of that many values); compaction
 *     leaves the archive alone in the directory and the totals do not move;
 *   - fork_from_enabled_master: the pid is not cached across fork(): a child of a process in the
 *     mode writes a file of its own, with its own pid;
 *   - compaction_crash_window: a dead file the archive already holds (a compactor killed between
 *     its rename and its unlinks) is not counted twice, and the next compaction removes it;
 *   - hostile_files: zero-length, another version, garbage, a torn header, a damaged record and
 *     a truncated copy beside good files: the read succeeds with the good data, each problem
 *     reported once;
 *   - gauge_modes: LAST_VALUE rows of two processes under most_recent, max, min, sum, and all
 *     (a row per live process: its pid in the "pid" column, its own value). Each process set
 *     the gauge from two threads (two cells), an older value first: a process's value is its
 *     most recent, so max, min and sum fold one value per process, live or compacted (on the
 *     main before this change they folded every cell: max 105, sum 216);
 *   - leader: exactly one process of a group leads; when it dies another takes over;
 *     census_shm_is_leader() agrees, and is false before a process contends;
 *   - exponential_and_format_1: an exponential-histogram view (format version 2) recorded by two
 *     processes whose values need different scales merges exactly as the collector merges two
 *     threads' cells of one process (count, sum, min, max, scale, offset, zero count, every
 *     bucket); a version 1 file (a member's file with its version set to 1) is still read, and
 *     one claiming an exponential histogram is refused with one diagnostic, the rest read.
 *     Fails on main, where exponential views are not shared (the group's view has no row);
 *   - observable_counters: an observable counter in two processes, each observing twice, from
 *     two threads (so from two thread cells of one series): the group's total is the sum of each
 *     process's latest total (25 + 40), not of every observation nor of each thread's last one.
 *     Fails on main, where observable counters' views are not shared (no row);
 *   - compact_call: census_shm_compact() (a master's child-exit hook) folds exactly the dead
 *     processes' files into the archive and leaves a live one, totals unchanged;
 *   - export_by_leader_only: in the mode, a stats exporter is called in the leader only, with the
 *     group's merged view, and census_view_data_get_all() in any member (a Prometheus scrape)
 *     returns the group's view;
 *   - signed_and_bound: a signed measure's Sum and Distribution (negative values) merge exactly
 *     across two members (sum, count, mean, sum of squared deviation, min, max, buckets: the
 *     shifted sums of the file's words), and bound handles whose fast path was already set up
 *     before the mode was turned on (a one-COUNT handle and a several-view handle) record into
 *     the group's view afterwards (their one record before the mode carried in too, once). Fails
 * without the merge of main's signed measures into the file's description (the rows were refused as
 * an unknown aggregation) and without the bound fast path's epoch check (the records stayed in each
 * process);
 *   - bound_and_unbound_fast_paths: the mode's own record paths (see the test) keep every record
 *     exactly, distributions included.
 */
#include "support.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/exporter.h"
#include "census/instruments.h"
#include "census/shm.h"
#include "stats/shm.h"
#include "stats/shm_format.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#define M 200000
#define SLOTS 32

static const census_measure *work;
static const census_measure *gauge;
static const census_measure *level; /* signed */
static const census_measure *hits;  /* one COUNT view: the bound fast path's BOUND_ONE_COUNT */
static const census_measure
    *octets;                       /* one int64 SUM view: the bound fast path's BOUND_ONE_INT_SUM */
static const census_measure *secs; /* one double SUM view */
/* One DISTRIBUTION view: the bound one-DISTRIBUTION shape, which the mode must not take for one
 * of its inline shapes (COUNT, int SUM). */
static const census_measure *latency;
static const census_measure *spread; /* an EXPONENTIAL view (format version 2) */
static const census_tag_key *slot_key;

/* The side file: each (worker, thread) slot logs what it started and finished recording. */
struct side {
  _Atomic int64_t started[SLOTS], done[SLOTS];
};

static char *make_dir(void) { return temp_dir_make("census-shm-test"); }

static int process_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    n += strncmp(e->d_name, "census-", 7) == 0 && strstr(e->d_name, ".shm") &&
         strcmp(e->d_name, "census-archive.shm") != 0;
  }
  closedir(d);
  return n;
}

static int64_t sum_of_first(int64_t n) { /* sum of i % 7 for i < n */
  int64_t s = (n / 7) * 21;
  for (int64_t i = n - n % 7; i < n; i++) {
    s += i % 7;
  }
  return s;
}

static int setup(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  work = int_measure("shm/work");
  gauge = int_measure("shm/gauge");
  slot_key = key("slot");
  const census_tag_key *cols[] = {slot_key};
  register_view("shm/count", work, cols, 1, census_aggregation_count_new());
  register_view("shm/sum", work, cols, 1, census_aggregation_sum_new());
  double bounds[] = {1, 3, 5};
  register_view("shm/dist", work, cols, 1, census_aggregation_distribution_new(bounds, 3, NULL));
  register_view("shm/gauge", gauge, cols, 1, census_aggregation_last_value_new());
  census_measure_options o = CENSUS_MEASURE_OPTIONS_INIT;
  o.name = "shm/level";
  o.value_type = CENSUS_MEASURE_INT64;
  o.signed_values = true;
  level = census_measure_new(&o, NULL);
  assert_non_null(level);
  register_view("shm/level_sum", level, cols, 1, census_aggregation_sum_new());
  double level_bounds[] = {-5, 0, 5};
  register_view("shm/level_dist", level, cols, 1,
                census_aggregation_distribution_new(level_bounds, 3, NULL));
  hits = int_measure("shm/hits");
  register_view("shm/hits", hits, cols, 1, census_aggregation_count_new());
  octets = int_measure("shm/bytes");
  register_view("shm/bytes", octets, cols, 1, census_aggregation_sum_new());
  latency = int_measure("shm/latency");
  register_view("shm/latency", latency, cols, 1,
                census_aggregation_distribution_new(bounds, 3, NULL));
  secs = double_measure("shm/secs");
  register_view("shm/secs", secs, cols, 1, census_aggregation_sum_new());
  spread = double_measure("shm/spread");
  register_view("shm/spread", spread, cols, 1, census_aggregation_exponential_new(8, 20, NULL));
  return 0;
}

struct thread_arg {
  struct side *side;
  int slot;
  int64_t records;
};

static void *record_thread(void *p) {
  struct thread_arg *a = p;
  char value[16];
  snprintf(value, sizeof value, "s%d", a->slot);
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, slot_key, value);
  for (int64_t i = 0; i < a->records; i++) {
    atomic_store(&a->side->started[a->slot], i + 1);
    census_record_int64(work, i % 7, tags);
    atomic_store(&a->side->done[a->slot], i + 1);
  }
  census_tag_map_free(tags);
  return NULL;
}

/* A worker process: joins the group (by the API, or by CENSUS_SHM_DIR when `by_env`), records
 * `records` values on each of `threads` threads (slots first_slot...), and exits. */
static pid_t worker(const char *dir, struct side *side, int first_slot, int threads,
                    int64_t records, bool by_env) {
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid) {
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (by_env) {
    setenv("CENSUS_SHM_DIR", dir, 1);
  } else if (census_shm_enable(dir) != CENSUS_OK) {
    _exit(2);
  }
  pthread_t t[4];
  struct thread_arg args[4];
  for (int i = 0; i < threads; i++) {
    args[i] = (struct thread_arg){side, first_slot + i, records};
    pthread_create(&t[i], NULL, record_thread, &args[i]);
  }
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
  }
  _exit(0);
}

static struct side *side_new(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s.side", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, sizeof(struct side)), 0);
  struct side *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  unlink(path);
  assert_true(s != MAP_FAILED);
  return s;
}

/* The merged row of `view` for slot `slot` ("s<slot>"): its point, or count -1 if absent. */
static census_point merged_point(census_view_data **views, size_t count, const char *view,
                                 int slot) {
  census_point p = {.count = -1};
  char value[16];
  snprintf(value, sizeof value, "s%d", slot);
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), view) != 0) {
      continue;
    }
    for (size_t r = 0; r < census_view_data_row_count(views[v]); r++) {
      /* The merged snapshot's lengths (census_view_data_row_values()) measure its values. */
      const char *const *values;
      const size_t *lengths;
      assert_int_equal(census_view_data_row_values(views[v], r, &values, &lengths),
                       census_view_data_column_count(views[v]));
      assert_int_equal(lengths[0], strlen(values[0]));
      if (strcmp(census_view_data_row_value(views[v], r, 0), value) == 0) {
        assert_int_equal(census_view_data_row_point(views[v], r, &p), CENSUS_OK);
      }
    }
  }
  return p;
}

/* Checks every slot's merged rows against the side file; returns the grand total count. */
static int64_t check_against_side(const char *dir, struct side *side, int slots, int *in_flight) {
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t total = 0;
  *in_flight = 0;
  for (int s = 0; s < slots; s++) {
    int64_t done = atomic_load(&side->done[s]), started = atomic_load(&side->started[s]);
    census_point c = merged_point(views, count, "shm/count", s);
    census_point sum = merged_point(views, count, "shm/sum", s);
    census_point dist = merged_point(views, count, "shm/dist", s);
    /* A slot killed before its first record committed has no row: it counts 0. */
    census_point *points[] = {&c, &sum, &dist};
    for (int i = 0; i < 3; i++) {
      if (points[i]->count < 0) {
        *points[i] = (census_point){0};
      }
    }
    if (started == done) {
      assert_int_equal(c.count, done); /* exactly what the worker recorded */
      assert_int_equal(sum.count, done);
      assert_int_equal(dist.count, done);
    } else {
      /* Killed inside a record: each view's row has it committed or not, never half of it. */
      (*in_flight)++;
      assert_true(c.count == done || c.count == done + 1);
      assert_true(sum.count == done || sum.count == done + 1);
      assert_true(dist.count == done || dist.count == done + 1);
    }
    assert_int_equal(sum.int_value, sum_of_first(sum.count));
    assert_int_equal(dist.int_value, sum_of_first(dist.count));
    int64_t buckets = 0;
    for (size_t b = 0; b < dist.bucket_count; b++) {
      buckets += dist.bucket_counts[b];
    }
    assert_int_equal(buckets, dist.count);
    total += c.count;
  }
  census_view_data_free_all(views, count);
  return total;
}

static void workers_killed_and_replaced(void **state) {
  (void)state;
  char *dir = make_dir();
  struct side *side = side_new(dir);
  /* Four workers (slots 0-5: workers 0 and 2 have two threads), half joining by the API and
   * half by the environment variable, both after fork. */
  pid_t pids[8];
  int first[8] = {0, 2, 3, 5}, threads[8] = {2, 1, 2, 1};
  for (int w = 0; w < 4; w++) {
    /* Workers 1 and 2 are killed below: they record until then, however fast the machine. */
    int64_t records = w == 1 || w == 2 ? (int64_t)1 << 40 : M;
    pids[w] = worker(dir, side, first[w], threads[w], records, w % 2 == 1);
  }
  /* Kill workers 1 and 2 mid-run (each has recorded some, not all), then replace them. */
  int killed[] = {1, 2};
  for (int k = 0; k < 2; k++) {
    int w = killed[k];
    while (atomic_load(&side->done[first[w]]) < 1000) {
      sleep_ms(1);
    }
    assert_int_equal(kill(pids[w], SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    assert_true(atomic_load(&side->done[first[w]]) < (int64_t)1 << 40); /* it died mid-run */
  }
  pids[4] = worker(dir, side, 6, 1, M, false);
  pids[5] = worker(dir, side, 7, 2, M / 2, true);
  for (int w = 0; w < 6; w++) {
    if (w == 1 || w == 2) {
      continue;
    }
    int st;
    assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  assert_int_equal(process_files(dir), 6);
  int in_flight;
  int64_t total = check_against_side(dir, side, 9, &in_flight);
  print_message("merged %lld records of 6 workers (2 killed, %d inside a record)\n",
                (long long)total, in_flight);
  /* That read compacted the six dead workers' files into the archive. */
  assert_int_equal(process_files(dir), 0);
  int in_flight_after;
  assert_int_equal(check_against_side(dir, side, 9, &in_flight_after), total);
  munmap(side, sizeof *side);
  temp_dir_remove(dir);
}

/* Reads the header pid of every process file in `dir` into pids (at most 8); returns how many. */
static int file_pids(const char *dir, uint64_t *pids) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 8;) {
    if (strncmp(e->d_name, "census-", 7) || !strstr(e->d_name, ".shm") ||
        !strcmp(e->d_name, "census-archive.shm")) {
      continue;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    unsigned char header[32];
    assert_int_equal(fread(header, 1, 32, f), 32);
    fclose(f);
    memcpy(&pids[n++], header + 24, 8);
  }
  closedir(d);
  return n;
}

static void fork_from_enabled_master(void **state) {
  (void)state;
  char *dir = make_dir();
  int pipe_fd[2];
  assert_int_equal(pipe(pipe_fd), 0);
  pid_t master = fork_quiet();
  if (master == 0) {
    census_shm_enable(dir);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < 10; i++) {
      census_record_int64(work, 1, tags);
    }
    pid_t child = fork_quiet();
    if (child == 0) {
      for (int i = 0; i < 20; i++) {
        census_record_int64(work, 1, tags);
      }
      _exit(0);
    }
    waitpid(child, NULL, 0);
    pid_t pids[2] = {getpid(), child};
    ssize_t w = write(pipe_fd[1], pids, sizeof pids);
    _exit(w == sizeof pids ? 0 : 1);
  }
  pid_t pids[2];
  assert_int_equal(read(pipe_fd[0], pids, sizeof pids), sizeof pids);
  waitpid(master, NULL, 0);
  uint64_t in_files[8];
  assert_int_equal(file_pids(dir, in_files), 2);
  assert_true((in_files[0] == (uint64_t)pids[0] && in_files[1] == (uint64_t)pids[1]) ||
              (in_files[1] == (uint64_t)pids[0] && in_files[0] == (uint64_t)pids[1]));
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  assert_int_equal(merged_point(views, count, "shm/count", 0).count, 30);
  census_view_data_free_all(views, count);
  close(pipe_fd[0]);
  close(pipe_fd[1]);
  temp_dir_remove(dir);
}

/* Runs a process that joins `dir`, records `n` ones for slot 0 and sets the gauge to `g`. */
static void run_member(const char *dir, int n, int64_t g) {
  pid_t pid = fork_quiet();
  if (pid == 0) {
    census_shm_enable(dir);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < n; i++) {
      census_record_int64(work, 1, tags);
    }
    census_record_int64(gauge, g, tags);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

static int64_t group_count(const char *dir) {
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t c = merged_point(views, count, "shm/count", 0).count;
  census_view_data_free_all(views, count);
  return c;
}

static void copy_file(const char *from, const char *to) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  assert_int_equal(system(cmd), 0);
}

static char *first_process_file(const char *dir) {
  DIR *d = opendir(dir);
  char *found = NULL;
  for (struct dirent *e; (e = readdir(d)) && !found;) {
    if (!strncmp(e->d_name, "census-", 7) && strstr(e->d_name, ".shm") &&
        strcmp(e->d_name, "census-archive.shm")) {
      found = strdup(e->d_name);
    }
  }
  closedir(d);
  return found;
}

static void compaction_crash_window(void **state) {
  (void)state;
  char *dir = make_dir();
  run_member(dir, 5, 1);
  char *name = first_process_file(dir);
  char path[1024], saved[1100];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(saved, sizeof saved, "%s.saved", dir);
  copy_file(path, saved);
  run_member(dir, 7, 1);
  assert_int_equal(group_count(dir), 12); /* compacts both */
  assert_int_equal(process_files(dir), 0);
  /* A compactor killed after its rename, before its unlinks, leaves a file the archive holds. */
  copy_file(saved, path);
  assert_int_equal(process_files(dir), 1);
  run_member(dir, 1, 1);
  assert_int_equal(group_count(dir), 13); /* not 18 */
  assert_int_equal(process_files(dir), 0);
  assert_int_equal(group_count(dir), 13);
  unlink(saved);
  free(name);
  temp_dir_remove(dir);
}

static _Atomic int diagnostics;
static void count_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  (void)message;
  atomic_fetch_add(&diagnostics, 1);
}

static void write_path(const char *path, const void *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
}

static void write_bytes(const char *dir, const char *name, const void *bytes, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  write_path(path, bytes, n);
}

static void hostile_files(void **state) {
  (void)state;
  char *dir = make_dir();
  /* A live member, so its file is read, not compacted: it waits on a pipe. */
  int go[2];
  assert_int_equal(pipe(go), 0);
  pid_t live = fork_quiet();
  if (live == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_shm_enable(dir);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < 4; i++) {
      census_record_int64(work, 1, tags);
    }
    ssize_t r = write(go[1], "r", 1);
    sleep_ms(100000);
    _exit(r == 1 ? 0 : 1);
  }
  char c;
  assert_int_equal(read(go[0], &c, 1), 1);
  char *good = first_process_file(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, good);
  FILE *f = fopen(path, "rb");
  static unsigned char image[1 << 20];
  size_t n = fread(image, 1, sizeof image, f);
  fclose(f);
  assert_true(n > 4096);
  write_bytes(dir, "census-1-0000000000000001.shm", "", 0); /* zero-length */
  unsigned char copy[4096];
  memcpy(copy, image, sizeof copy);
  copy[8] = 99; /* another version */
  write_bytes(dir, "census-1-0000000000000002.shm", copy, sizeof copy);
  write_bytes(dir, "census-1-0000000000000003.shm", "garbage garbage garbage", 23);
  memcpy(copy, image, sizeof copy);
  copy[30] ^= 1; /* a torn header: the checksum fails */
  write_bytes(dir, "census-1-0000000000000004.shm", copy, sizeof copy);
  memcpy(copy, image, sizeof copy);
  copy[256 + 64 + 40] ^= 0xff; /* a damaged description: its checksum fails */
  write_bytes(dir, "census-1-0000000000000005.shm", copy, sizeof copy);
  write_bytes(dir, "census-1-0000000000000006.shm", image, 300); /* truncated mid-chunk */
  census_diagnostics_set_callback(count_diagnostic, NULL);
  assert_int_equal(group_count(dir), 4); /* the live member's, nothing else, no crash */
  int first = atomic_load(&diagnostics);
  assert_int_equal(first, 6); /* one line per bad file */
  assert_int_equal(group_count(dir), 4);
  assert_int_equal(atomic_load(&diagnostics), first); /* reported once */
  census_diagnostics_set_callback(NULL, NULL);
  kill(live, SIGKILL);
  waitpid(live, NULL, 0);
  close(go[0]);
  close(go[1]);
  free(good);
  temp_dir_remove(dir);
}

static int64_t gauge_value(const char *dir, census_shm_gauge_mode mode, size_t *rows) {
  assert_int_equal(census_shm_gauge_mode_set(mode), CENSUS_OK);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t value = -1;
  *rows = 0;
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), "shm/gauge") == 0) {
      *rows = census_view_data_row_count(views[v]);
      census_point p;
      assert_int_equal(census_view_data_row_point(views[v], 0, &p), CENSUS_OK);
      value = p.int_value;
    }
  }
  census_view_data_free_all(views, count);
  return value;
}

/* Under CENSUS_SHM_GAUGE_ALL: checks that "shm/gauge" has exactly one row per pid in `pids`,
 * its "pid" column that pid (in decimal) and its value `values[i]`, whatever the row order. */
static void assert_gauge_all(const char *dir, const pid_t *pids, const int64_t *values, size_t n) {
  assert_int_equal(census_shm_gauge_mode_set(CENSUS_SHM_GAUGE_ALL), CENSUS_OK);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  const census_view_data *g = NULL;
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), "shm/gauge") == 0) {
      g = views[v];
    }
  }
  assert_non_null(g);
  size_t pid_column = census_view_data_column_count(g);
  for (size_t c = 0; c < census_view_data_column_count(g); c++) {
    if (strcmp(census_view_data_column(g, c), "pid") == 0) {
      pid_column = c;
    }
  }
  assert_true(pid_column < census_view_data_column_count(g));
  assert_int_equal(census_view_data_row_count(g), n);
  for (size_t i = 0; i < n; i++) {
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)pids[i]);
    size_t matches = 0;
    for (size_t r = 0; r < n; r++) {
      if (strcmp(census_view_data_row_value(g, r, pid_column), pid) == 0) {
        census_point p;
        assert_int_equal(census_view_data_row_point(g, r, &p), CENSUS_OK);
        assert_int_equal(p.int_value, values[i]);
        matches++;
      }
    }
    assert_int_equal(matches, 1);
  }
  census_view_data_free_all(views, count);
}

/* Sets the gauge (row s0) to *(int64_t *)arg: a second thread's cell of the series. */
static void *gauge_thread(void *arg) {
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, slot_key, "s0");
  census_record_int64(gauge, *(const int64_t *)arg, tags);
  census_tag_map_free(tags);
  return NULL;
}

/* Starts a member that sets the gauge to g + 100 from a thread of its own, then to `g` (its
 * value: the most recent) from its main thread, and stays alive until killed. */
static pid_t live_member(const char *dir, int64_t g) {
  int go[2];
  assert_int_equal(pipe(go), 0);
  pid_t pid = fork_quiet();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_shm_enable(dir);
    int64_t older = g + 100;
    pthread_t t;
    if (pthread_create(&t, NULL, gauge_thread, &older) != 0 || pthread_join(t, NULL) != 0) {
      _exit(1);
    }
    sleep_ms(2); /* a later time stamp than the thread's */
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    census_record_int64(gauge, g, tags);
    ssize_t w = write(go[1], "r", 1);
    sleep_ms(100000);
    _exit(w == 1 ? 0 : 1);
  }
  char c;
  assert_int_equal(read(go[0], &c, 1), 1);
  close(go[0]);
  close(go[1]);
  return pid;
}

static void gauge_modes(void **state) {
  (void)state;
  char *dir = make_dir();
  pid_t a = live_member(dir, 5);
  sleep_ms(2);
  pid_t b = live_member(dir, 3); /* the most recent */
  size_t rows;
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_MOST_RECENT, &rows), 3);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_MAX, &rows), 5);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_MIN, &rows), 3);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_SUM, &rows), 8);
  /* all: one row per live process, its pid in the "pid" column and its own value. */
  assert_gauge_all(dir, (pid_t[]){a, b}, (int64_t[]){5, 3}, 2);
  /* The live variants over two live processes (on main they were off by one: LIVE_MAX showed
   * the minimum, LIVE_SUM the most recent value). */
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_MOST_RECENT, &rows), 3);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_MAX, &rows), 5);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_MIN, &rows), 3);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_SUM, &rows), 8);
  kill(b, SIGKILL);
  waitpid(b, NULL, 0);
  /* b is dead: compacted into the archive; its value still counts for most_recent, not for the
   * live-only modes. */
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_MOST_RECENT, &rows), 3);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_MOST_RECENT, &rows), 5);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_SUM, &rows), 8);
  assert_int_equal(gauge_value(dir, CENSUS_SHM_GAUGE_LIVE_SUM, &rows), 5);
  assert_gauge_all(dir, (pid_t[]){a}, (int64_t[]){5}, 1); /* the dead process's row is gone */
  census_shm_gauge_mode_set(CENSUS_SHM_GAUGE_MOST_RECENT);
  kill(a, SIGKILL);
  waitpid(a, NULL, 0);
  temp_dir_remove(dir);
}

/* A member that reports whether it leads on `out`, then waits for a byte on `in` to ask again. */
static pid_t leader_member(const char *dir, int out, int in) {
  pid_t pid = fork_quiet();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_shm_enable(dir);
    if (census_shm_is_leader()) {
      _exit(2); /* it never contended */
    }
    for (;;) {
      char leads = census__shm_leader() ? 'L' : 'F', c;
      if (census_shm_is_leader() != (leads == 'L')) {
        leads = 'X';
      }
      if (write(out, &leads, 1) != 1 || read(in, &c, 1) != 1) {
        _exit(0);
      }
    }
  }
  return pid;
}

static void leader(void **state) {
  (void)state;
  char *dir = make_dir();
  int to_a[2], from_a[2], to_b[2], from_b[2];
  assert_int_equal(pipe(to_a) | pipe(from_a) | pipe(to_b) | pipe(from_b), 0);
  pid_t a = leader_member(dir, from_a[1], to_a[0]);
  char la, lb;
  assert_int_equal(read(from_a[0], &la, 1), 1);
  pid_t b = leader_member(dir, from_b[1], to_b[0]);
  assert_int_equal(read(from_b[0], &lb, 1), 1);
  assert_int_equal(la, 'L');
  assert_int_equal(lb, 'F'); /* one leader */
  kill(a, SIGKILL);
  waitpid(a, NULL, 0);
  assert_int_equal(write(to_b[1], "?", 1), 1);
  assert_int_equal(read(from_b[0], &lb, 1), 1);
  assert_int_equal(lb, 'L'); /* the survivor takes over */
  kill(b, SIGKILL);
  waitpid(b, NULL, 0);
  temp_dir_remove(dir);
}

/* The values of the exponential test: member 0 (and thread 0) records 1 .. 200, member 1 37.5 ..
 * 7500 and a zero. */
static void record_spread(int which) {
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, slot_key, "s0");
  for (int i = 1; i <= 200; i++) {
    census_record_double(spread, which ? i * 37.5 : i, tags);
  }
  if (which) {
    census_record_double(spread, 0, tags);
  }
  census_tag_map_free(tags);
}

static void *spread_thread(void *p) {
  record_spread((int)(intptr_t)p);
  return NULL;
}

/* The "shm/spread" row s0 of `views`: its point and buckets (false if absent). */
static bool spread_row(census_view_data **views, size_t count, census_point *p,
                       census_exponential_buckets *b) {
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), "shm/spread") == 0 &&
        census_view_data_row_count(views[v]) == 1) {
      assert_int_equal(census_view_data_row_point(views[v], 0, p), CENSUS_OK);
      assert_int_equal(census_view_data_row_exponential(views[v], 0, b), CENSUS_OK);
      return true;
    }
  }
  return false;
}

/* Copies the header and first chunk of `path` to `to`, its header saying format `version`
 * (checksum updated). */
static void rewrite_image(const char *path, const char *to, unsigned version) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static unsigned char image[256 + 16384];
  size_t n = fread(image, 1, sizeof image, f);
  fclose(f);
  assert_true(n == sizeof image);
  struct census__shm_header *h = (void *)image;
  h->version = version;
  h->checksum = census__shm_header_checksum(h);
  write_path(to, image, n);
}

static void exponential_and_format_1(void **state) {
  (void)state;
  char *dir = make_dir();
  for (int which = 0; which < 2; which++) {
    pid_t pid = fork_quiet();
    if (pid == 0) {
      census_shm_enable(dir);
      record_spread(which);
      _exit(0);
    }
    waitpid(pid, NULL, 0);
  }
  /* A fuzzing seed of format version 2 with an exponential record (tests/fuzz/corpus/shm_file),
   * when asked for: the first chunk of a member's file. */
  char *name = first_process_file(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  const char *seed = getenv("CENSUS_TEST_SHM_SEED");
  if (seed) {
    rewrite_image(path, seed, 2);
  }
  /* The reference: the same values from two threads of this process, not in the mode. */
  pthread_t t[2];
  for (intptr_t i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&t[i], NULL, spread_thread, (void *)i), 0);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
  }
  census_view_data **mine, **group;
  size_t mine_count, group_count_;
  assert_int_equal(census_view_data_get_all(&mine, &mine_count), CENSUS_OK);
  assert_int_equal(census_shm_view_data_get_all(dir, &group, &group_count_), CENSUS_OK);
  census_point pm, pg;
  census_exponential_buckets bm, bg;
  assert_true(spread_row(mine, mine_count, &pm, &bm));
  assert_true(spread_row(group, group_count_, &pg, &bg));
  assert_int_equal(pg.count, 401);
  assert_int_equal(pg.count, pm.count);
  assert_true(pg.double_value == pm.double_value && pg.min == pm.min && pg.max == pm.max &&
              pg.min == 0 && pg.max == 7500);
  assert_int_equal(bg.scale, bm.scale);
  assert_true(bg.scale < 20); /* the members' ranges needed different, lower scales */
  assert_int_equal(bg.offset, bm.offset);
  assert_int_equal(bg.zero_count, 1);
  assert_int_equal(bg.zero_count, bm.zero_count);
  assert_int_equal(bg.bucket_count, bm.bucket_count);
  assert_true(bg.bucket_count > 0 && bg.bucket_count <= 8);
  assert_memory_equal(bg.bucket_counts, bm.bucket_counts, bg.bucket_count * sizeof(int64_t));
  census_view_data_free_all(mine, mine_count);
  census_view_data_free_all(group, group_count_);
  free(name);

  /* Format version 1: a member's file without exponential records, relabelled version 1, is
   * read; one with them is refused (reported once), and the rest of the group is read. */
  char *v1 = make_dir();
  run_member(v1, 5, 1);
  name = first_process_file(v1);
  snprintf(path, sizeof path, "%s/%s", v1, name);
  char old[1100];
  snprintf(old, sizeof old, "%s/census-4000001-0000000000000001.shm", v1);
  rewrite_image(path, old, 1);
  unlink(path);
  run_member(v1, 7, 1);
  assert_int_equal(group_count(v1), 12); /* 5 from the version 1 file */
  free(name);
  pid_t pid = fork_quiet();
  if (pid == 0) {
    census_shm_enable(v1);
    record_spread(0);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    census_record_int64(work, 1, tags);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  snprintf(path, sizeof path, "%s/census-%d-", v1, (int)pid);
  DIR *d = opendir(v1);
  char found[1100] = "";
  for (struct dirent *e; (e = readdir(d));) {
    if (!strncmp(e->d_name, path + strlen(v1) + 1, strlen(path) - strlen(v1) - 1)) {
      snprintf(found, sizeof found, "%s/%s", v1, e->d_name);
    }
  }
  closedir(d);
  assert_true(found[0]);
  snprintf(old, sizeof old, "%s/census-4000002-0000000000000002.shm", v1);
  rewrite_image(found, old, 1);
  unlink(found);
  diagnostics = 0;
  census_diagnostics_set_callback(count_diagnostic, NULL);
  int64_t c = group_count(v1);
  census_diagnostics_set_callback(NULL, NULL);
  /* The refused file is read up to its exponential record, which comes first: its count of 1
   * is not there; one diagnostic names it. */
  assert_int_equal(c, 12);
  assert_int_equal(diagnostics, 1);
  temp_dir_remove(v1);
  temp_dir_remove(dir);
}

static int64_t observed_value;
static void observe(census_observer *observer, void *user) {
  (void)user;
  census_observer_observe_int64(observer, observed_value, NULL);
}

static void *collect_thread(void *p) {
  (void)p;
  census_view_data **views;
  size_t count;
  if (census_view_data_get_all(&views, &count) == CENSUS_OK) {
    census_view_data_free_all(views, count);
  }
  return NULL;
}

static void observable_counters(void **state) {
  (void)state;
  char *dir = make_dir();
  const int64_t first[2] = {10, 7}, latest[2] = {25, 40};
  for (int k = 0; k < 2; k++) {
    pid_t pid = fork_quiet();
    if (pid == 0) {
      census_shm_enable(dir);
      census_observable *o =
          census_observable_counter_int64_new("shm/observed", NULL, observe, NULL, NULL);
      observed_value = first[k];
      collect_thread(NULL); /* this thread's cell of the series */
      observed_value = latest[k];
      pthread_t t;
      if (!o || pthread_create(&t, NULL, collect_thread, NULL) != 0) { /* another thread's */
        _exit(1);
      }
      pthread_join(t, NULL);
      _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(status, 0);
  }
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t total = -1;
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), "shm/observed") == 0) {
      assert_int_equal(census_view_data_row_count(views[v]), 1);
      assert_int_equal(census_view_data_aggregation(views[v]), CENSUS_AGGREGATION_SUM);
      census_point p;
      assert_int_equal(census_view_data_row_point(views[v], 0, &p), CENSUS_OK);
      total = p.int_value;
    }
  }
  census_view_data_free_all(views, count);
  assert_int_equal(total, latest[0] + latest[1]);
  temp_dir_remove(dir);
}

static void compact_call(void **state) {
  (void)state;
  char *dir = make_dir();
  size_t n = 99;
  assert_int_equal(census_shm_compact(dir, &n), CENSUS_OK);
  assert_int_equal(n, 0); /* an empty group */
  run_member(dir, 5, 1);
  run_member(dir, 7, 1);
  int ready[2], go[2];
  assert_int_equal(pipe(ready) | pipe(go), 0);
  pid_t live = fork_quiet();
  if (live == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_shm_enable(dir);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < 3; i++) {
      census_record_int64(work, 1, tags);
    }
    char c = 'r';
    if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) {
      _exit(1);
    }
    _exit(0);
  }
  char c;
  assert_int_equal(read(ready[0], &c, 1), 1);
  assert_int_equal(process_files(dir), 3);
  assert_int_equal(census_shm_compact(dir, &n), CENSUS_OK);
  assert_int_equal(n, 2); /* the two dead members, not the live one */
  assert_int_equal(process_files(dir), 1);
  assert_int_equal(group_count(dir), 15);
  assert_int_equal(census_shm_compact(dir, &n), CENSUS_OK);
  assert_int_equal(n, 0);
  kill(live, SIGKILL);
  waitpid(live, NULL, 0);
  assert_int_equal(census_shm_compact(dir, NULL), CENSUS_OK);
  assert_int_equal(process_files(dir), 0);
  assert_int_equal(group_count(dir), 15);
  assert_int_equal(census_shm_compact(NULL, &n), CENSUS_EINVAL);
  char missing[1100];
  snprintf(missing, sizeof missing, "%s/missing", dir);
  assert_int_equal(census_shm_compact(missing, &n), CENSUS_ESYSTEM);
  close(ready[0]);
  close(ready[1]);
  close(go[0]);
  close(go[1]);
  temp_dir_remove(dir);
}

/* The total count of "shm/count" for slot s0 in an exporter's snapshots, -1 if absent. */
static int64_t exported_count(const census_view_data *const *views, size_t count) {
  return merged_point((census_view_data **)views, count, "shm/count", 0).count;
}

static census_status report_export(void *user, const census_view_data *const *views, size_t count) {
  int64_t seen = exported_count(views, count);
  ssize_t w = write(*(int *)user, &seen, sizeof seen);
  return w == sizeof seen ? CENSUS_OK : CENSUS_EEXPORT;
}

/* A member that registers an exporter reporting on `out`, records `n` for slot s0, flushes, and
 * then, for each byte on `in`, reports its own census_view_data_get_all() count with a -2
 * marker before it and flushes again. */
static pid_t export_member(const char *dir, int n, int out, int in) {
  pid_t pid = fork_quiet();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    static int fd;
    fd = out;
    census_shm_enable(dir);
    census_stats_exporter_ops ops = CENSUS_STATS_EXPORTER_OPS_INIT;
    ops.export_views = report_export;
    census_stats_exporter_register(&ops, &fd);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < n; i++) {
      census_record_int64(work, 1, tags);
    }
    int64_t done = -3;
    census_flush(5000);
    if (write(out, &done, sizeof done) != sizeof done) {
      _exit(1);
    }
    for (char c; read(in, &c, 1) == 1;) {
      census_view_data **views;
      size_t count;
      census_view_data_get_all(&views, &count);
      int64_t seen[2] = {-2, merged_point(views, count, "shm/count", 0).count};
      census_view_data_free_all(views, count);
      if (write(out, seen, sizeof seen) != sizeof seen) {
        _exit(1);
      }
      census_flush(5000);
      if (write(out, &done, sizeof done) != sizeof done) {
        _exit(1);
      }
    }
    _exit(0);
  }
  return pid;
}

static int64_t next(int fd) {
  int64_t v;
  assert_int_equal(read(fd, &v, sizeof v), sizeof v);
  return v;
}

static void export_by_leader_only(void **state) {
  (void)state;
  char *dir = make_dir();
  int to_a[2], from_a[2], to_b[2], from_b[2];
  assert_int_equal(pipe(to_a) | pipe(from_a) | pipe(to_b) | pipe(from_b), 0);
  pid_t a = export_member(dir, 3, from_a[1], to_a[0]);
  assert_int_equal(next(from_a[0]), 3); /* a leads: its exporter sees the group (a alone) */
  assert_int_equal(next(from_a[0]), -3);
  pid_t b = export_member(dir, 4, from_b[1], to_b[0]);
  assert_int_equal(next(from_b[0]), -3); /* b follows: its flush called no exporter */
  assert_int_equal(write(to_b[1], "?", 1), 1);
  assert_int_equal(next(from_b[0]), -2);
  assert_int_equal(next(from_b[0]), 7);  /* a scrape of b sees the group */
  assert_int_equal(next(from_b[0]), -3); /* and b's flush still exports nothing */
  assert_int_equal(write(to_a[1], "?", 1), 1);
  assert_int_equal(next(from_a[0]), -2);
  assert_int_equal(next(from_a[0]), 7);
  assert_int_equal(next(from_a[0]), 7); /* a's exporter: the group's merged view */
  assert_int_equal(next(from_a[0]), -3);
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  waitpid(a, NULL, 0);
  waitpid(b, NULL, 0);
  temp_dir_remove(dir);
}

#define SIGNED_N 40

/* Member `k`'s i-th signed value: negative and positive, different in each member. */
static int64_t level_value(int k, int i) { return (int64_t)((i * (k + 3)) % 17) - 9; }

/* A member that binds handles and records through them once before joining `dir` (so their
 * generations and blocks exist: the fast path is set up), joins, then records `n` through each
 * handle for slot s1 and SIGNED_N signed values for slot s0. */
static void run_signed_member(const char *dir, int k, int n) {
  pid_t pid = fork_quiet();
  if (pid == 0) {
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s1");
    census_bound_measure *one = census_measure_bind(hits, tags, NULL);
    census_bound_measure *general = census_measure_bind(work, tags, NULL);
    if (census_bound_record_int64(one, 1) != CENSUS_OK ||
        census_bound_record_int64(general, 1) != CENSUS_OK || census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    for (int i = 0; i < n; i++) {
      census_bound_record_int64(one, 1);
      census_bound_record_int64(general, 2);
    }
    census_tag_map_put(tags, slot_key, "s0");
    for (int i = 0; i < SIGNED_N; i++) {
      census_record_int64(level, level_value(k, i), tags);
    }
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void signed_and_bound(void **state) {
  (void)state;
  char *dir = make_dir();
  run_signed_member(dir, 0, 1000);
  run_signed_member(dir, 1, 2345);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  /* The bound handles: the records made in the mode, through both shapes, and the one each
   * member made before it (a value of 1 through each handle), which census_shm_enable()'s
   * collection carried into the member's file: the members never collect again. */
  assert_int_equal(merged_point(views, count, "shm/hits", 1).count, 3345 + 2);
  census_point general = merged_point(views, count, "shm/sum", 1);
  assert_int_equal(general.count, 3345 + 2);
  assert_int_equal(general.int_value, 2 * 3345 + 2);
  /* The signed measure: the expected figures computed here from the values. */
  int64_t n = 0, sum = 0, min = INT64_MAX, max = INT64_MIN, buckets[4] = {0};
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < SIGNED_N; i++) {
      int64_t v = level_value(k, i);
      n++;
      sum += v;
      min = v < min ? v : min;
      max = v > max ? v : max;
      buckets[v <= -5 ? 0 : v <= 0 ? 1 : v <= 5 ? 2 : 3]++;
    }
  }
  double mean = (double)sum / (double)n, ssd = 0;
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < SIGNED_N; i++) {
      double d = (double)level_value(k, i) - mean;
      ssd += d * d;
    }
  }
  assert_true(sum < 0); /* the values make the sum go down */
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), "shm/level_sum") == 0) {
      assert_false(census_view_data_is_monotonic(views[v])); /* a signed measure's Sum */
    }
  }
  census_point s = merged_point(views, count, "shm/level_sum", 0);
  assert_int_equal(s.count, n);
  assert_int_equal(s.int_value, sum);
  census_point d = merged_point(views, count, "shm/level_dist", 0);
  assert_int_equal(d.count, n);
  assert_int_equal(d.int_value, sum);
  assert_true(fabs(d.mean - mean) < 1e-9);
  assert_true(fabs(d.sum_of_squared_deviation - ssd) < 1e-6 * ssd);
  assert_true(d.min == (double)min && d.max == (double)max);
  assert_int_equal(d.bucket_count, 4);
  for (size_t b = 0; b < 4; b++) {
    assert_int_equal(d.bucket_counts[b], buckets[b]);
  }
  census_view_data_free_all(views, count);
  temp_dir_remove(dir);
}

#define FAST_N 3000    /* records per thread through each handle */
#define FAST_LATE 700  /* records through `one` after a view of its measure is registered */
#define FAST_CHILD 500 /* records through each handle in a fork child of the member */

/* The value of the i-th record through a handle or unbound in bound_and_unbound_fast_paths():
 * 0 .. 8, so every bucket of shm/dist (bounds 1, 3, 5) is hit, in an order that changes bucket
 * from one record to the next (a shared DISTRIBUTION slot must carry the previous record's
 * bucket over, shm.h). */
static int64_t fast_value(int64_t i) { return (i * 5) % 9; }

struct fast_arg {
  census_bound_measure *one, *general, *one_sum, *one_dist;
  int64_t n;
  _Atomic int failed;
};

static void *fast_thread(void *p) {
  struct fast_arg *a = p;
  for (int64_t i = 0; i < a->n; i++) {
    if (census_bound_record_int64(a->one, 1) != CENSUS_OK ||
        census_bound_record_int64(a->general, fast_value(i)) != CENSUS_OK ||
        census_bound_record_int64(a->one_sum, fast_value(i)) != CENSUS_OK ||
        census_bound_record_int64(a->one_dist, fast_value(i)) != CENSUS_OK) {
      atomic_store(&a->failed, 1);
    }
  }
  return NULL;
}

/* A member for bound_and_unbound_fast_paths(): joins `dir`, binds a one-COUNT handle, a one-SUM
 * handle (int64) and a several-view handle (COUNT, SUM, DISTRIBUTION) for slot s2, records
 * FAST_N through each from the main thread and two threads (each with its own block and shared
 * cells), FAST_N unbound records for slot s3 of `work`, `octets` and `secs` (a double SUM: values
 * i / 4, exact in binary), registers a second view of the one-COUNT handle's measure (the handle's
 * generation changes: new blocks, new shared cells) and records FAST_LATE more through it, then
 * forks a child that records FAST_CHILD through each handle (made in the parent: the child's
 * generations are reset and its shared cells go to a file of its own). */
static void run_fast_member(const char *dir) {
  pid_t pid = fork_quiet();
  if (pid == 0) {
    if (census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "s2");
    struct fast_arg a = {census_measure_bind(hits, tags, NULL),
                         census_measure_bind(work, tags, NULL),
                         census_measure_bind(octets, tags, NULL),
                         census_measure_bind(latency, tags, NULL),
                         FAST_N,
                         0};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
      pthread_create(&t[i], NULL, fast_thread, &a);
    }
    fast_thread(&a);
    for (int i = 0; i < 2; i++) {
      pthread_join(t[i], NULL);
    }
    census_tag_map_put(tags, slot_key, "s3");
    for (int64_t i = 0; i < FAST_N; i++) {
      if (census_record_int64(work, fast_value(i), tags) != CENSUS_OK ||
          census_record_int64(octets, fast_value(i), tags) != CENSUS_OK ||
          census_record_double(secs, (double)fast_value(i) / 4, tags) != CENSUS_OK) {
        _exit(3);
      }
    }
    const census_tag_key *cols[] = {slot_key};
    register_view("shm/hits_late", hits, cols, 1, census_aggregation_sum_new());
    for (int64_t i = 0; i < FAST_LATE; i++) {
      if (census_bound_record_int64(a.one, 1) != CENSUS_OK) {
        _exit(4);
      }
    }
    pid_t child = fork_quiet();
    if (child == 0) {
      a.n = FAST_CHILD;
      fast_thread(&a);
      _exit(a.failed ? 5 : 0);
    }
    int st;
    waitpid(child, &st, 0);
    _exit(a.failed || !WIFEXITED(st) ? 6 : WEXITSTATUS(st));
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

/* Checks a merged DISTRIBUTION point of shm/dist against the values fast_value(0 .. n-1) recorded
 * `times` times each run, plus fast_value(0 .. extra-1) once. */
static void check_fast_dist(census_point d, int64_t n, int times, int64_t extra) {
  int64_t count = 0, sum = 0, buckets[4] = {0};
  double sq = 0;
  for (int pass = 0; pass <= times; pass++) {
    for (int64_t i = 0; i < (pass < times ? n : extra); i++) {
      int64_t v = fast_value(i);
      count++;
      sum += v;
      sq += (double)(v * v);
      buckets[v <= 1 ? 0 : v <= 3 ? 1 : v <= 5 ? 2 : 3]++;
    }
  }
  double mean = (double)sum / (double)count;
  double ssd = sq - (double)count * mean * mean;
  assert_int_equal(d.count, count);
  assert_int_equal(d.int_value, sum);
  assert_true(fabs(d.mean - mean) < 1e-9);
  assert_true(fabs(d.sum_of_squared_deviation - ssd) < 1e-9 * ssd);
  assert_true(d.min == 0 && d.max == 8);
  assert_int_equal(d.bucket_count, 4);
  for (size_t b = 0; b < 4; b++) {
    assert_int_equal(d.bucket_counts[b], buckets[b]);
  }
}

/* The shared-memory mode's own record paths (record_one_shm() in recorder.c, bound_record_shm()
 * in bound.c, the fused shared-cell updates in shm.h): every record made through them is in the
 * group's view exactly (counts, sums, mean, sum of squared deviation, min, max and each bucket of
 * a distribution whose consecutive values change bucket), through a handle from three threads,
 * after a view was registered under a handle, in a fork child through handles made in its
 * parent, and unbound; a one-SUM handle and double and int SUMs the same. main sent bound records
 * in the mode down the unbound path, so this passes there too: it guards the paths added for
 * speed (it fails, for one, when the shared DISTRIBUTION update does not carry the previous
 * record's bucket word over, when bound handles keep no shared cells, or when a SUM's shared
 * cell does not keep its committed sum in the writer's own word). */
static void bound_and_unbound_fast_paths(void **state) {
  (void)state;
  char *dir = make_dir();
  run_fast_member(dir);
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t through = 3 * FAST_N + FAST_CHILD; /* records through each handle before the late view */
  assert_int_equal(merged_point(views, count, "shm/hits", 2).count, through + FAST_LATE);
  census_point late = merged_point(views, count, "shm/hits_late", 2);
  assert_int_equal(late.count, FAST_LATE + FAST_CHILD); /* the fork child inherits the view */
  assert_int_equal(late.int_value, FAST_LATE + FAST_CHILD);
  assert_int_equal(merged_point(views, count, "shm/count", 2).count, through);
  census_point sum = merged_point(views, count, "shm/sum", 2);
  assert_int_equal(sum.count, through);
  check_fast_dist(merged_point(views, count, "shm/dist", 2), FAST_N, 3, FAST_CHILD);
  assert_int_equal(sum.int_value, merged_point(views, count, "shm/dist", 2).int_value);
  assert_int_equal(merged_point(views, count, "shm/count", 3).count, FAST_N);
  check_fast_dist(merged_point(views, count, "shm/dist", 3), FAST_N, 1, 0);
  /* The SUM cells, whose shared cells take their next sum from the writer's own word and their
   * count from gen (shm.h): the same totals as the general handle's SUM view (shm/sum) and the
   * unbound path's, exactly. */
  census_point one_sum = merged_point(views, count, "shm/bytes", 2);
  assert_int_equal(one_sum.count, through);
  assert_int_equal(one_sum.int_value, sum.int_value);
  census_point unbound_sum = merged_point(views, count, "shm/bytes", 3);
  assert_int_equal(unbound_sum.count, FAST_N);
  assert_int_equal(unbound_sum.int_value, merged_point(views, count, "shm/sum", 3).int_value);
  /* A one-DISTRIBUTION handle (its own shape in bound.c): every value, in its bucket, as the
   * several-view handle's distribution; fails if the mode updates its shared cell as an int SUM. */
  check_fast_dist(merged_point(views, count, "shm/latency", 2), FAST_N, 3, FAST_CHILD);
  census_point secs_sum = merged_point(views, count, "shm/secs", 3);
  assert_int_equal(secs_sum.count, FAST_N);
  assert_true(secs_sum.double_value == (double)unbound_sum.int_value / 4);
  census_view_data_free_all(views, count);
  temp_dir_remove(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(workers_killed_and_replaced),
      cmocka_unit_test(fork_from_enabled_master),
      cmocka_unit_test(compaction_crash_window),
      cmocka_unit_test(hostile_files),
      cmocka_unit_test(gauge_modes),
      cmocka_unit_test(leader),
      cmocka_unit_test(compact_call),
      cmocka_unit_test(exponential_and_format_1),
      cmocka_unit_test(observable_counters),
      cmocka_unit_test(export_by_leader_only),
      cmocka_unit_test(signed_and_bound),
      cmocka_unit_test(bound_and_unbound_fast_paths),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
