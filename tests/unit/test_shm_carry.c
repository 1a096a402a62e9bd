/* test_shm_carry.c - shared-memory mode's carry (docs/shared-memory.md, "Turning it on";
 * src/stats/collector.c, shm.c): in the mode the group's view (census_view_data_get_all(), the
 * leader's exports, a sidecar's census_shm_view_data_get_all()) is read from the group's files
 * only, so what reached a series' in-process totals and no shared cell must be carried into the
 * process's file by its collections, exactly once.
 *
 * The test process never enables the mode: it registers the views, records the reference values
 * on its own series (column slot="ref", in-process), and forks the members of each group, which
 * record the same values on slot="c" and then enable the mode. A member checks its own group view
 * against the reference (the parent's in-process snapshot, inherited across fork(): every word a
 * snapshot shows, buckets and exponential buckets included) and reports a mismatch through a
 * shared page; the test process then reads the group as a sidecar and checks it too.
 *
 * What it proves (each fails on main, where the group's view has no row for records made before
 * the mode was on: "its own exports still see them; the group's view does not"):
 *   - pre_mode_records_carried: COUNT, int SUM, double SUM, DISTRIBUTION, LAST_VALUE and
 *     EXPONENTIAL views, recorded before census_shm_enable() (half of it collected before, half
 *     still in the threads' cells), appear in the member's group view and in a sidecar's, while
 *     the member lives and after it exited (its file compacted into the archive), exactly once
 *     after a first, second and third collection (no double carry);
 *   - enable_carries_at_once: a member that records, calls census_shm_enable() and never
 *     collects again (no exporter, never scraped) has its values in a sidecar's view, exactly
 *     once: census_shm_enable() collects once (fails without that collection: no rows);
 *   - fork_child_killed: a member that carried forks a child (in the mode, with a file of its
 *     own, which collects: its series start empty), the child is SIGKILLed: the member's carried
 *     totals count once, in the child's view, the member's and a sidecar's;
 *   - full_disk: the member's file cannot be created (RLIMIT_FSIZE below the file's first
 *     segment: posix_fallocate fails with EFBIG): the collection reports once, naming the view and
 *     what to do, counts each series once in census_shm_stats().uncarried_series, and keeps the
 *     totals; once the limit is lifted the next collection carries them, exactly once.
 * And with the record paths' half of the change (a record in the mode goes to its shared cell
 * only; the in-process cell only without one), whose invariant the carry relies on:
 *   - records_before_and_after_enable: series recorded before the mode and again in it (direct
 *     and through a bound handle, four threads recording while another collects, every
 *     aggregation) show exactly what was recorded, after each of several collections. Without
 *     the record paths' change the carry counts every record made in the mode twice (once from
 *     its shared cell, once from the totals); without the carry (main) the records made before
 *     the mode are missing: it fails both ways;
 *   - full_disk_records_in_mode: with no room for the file, records made in the mode land in
 *     the in-process cells (each cell counted in unshared_cells); once there is room they are
 *     carried, and records into those still unshared cells keep being carried, exactly once.
 *     Fails on main (those records never reached the group's view).
 */
#include "support.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/shm.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

static const census_measure *ints, *doubles, *gauge, *hits;
static const census_tag_key *slot_key;

/* The views of the carry, one per aggregation (EXPONENTIAL's sum beside a double SUM). */
static const char *const view_names[] = {"carry/count", "carry/sum",   "carry/dsum",
                                         "carry/dist",  "carry/gauge", "carry/exp"};
#define VIEW_COUNT (sizeof view_names / sizeof *view_names)

/* The test process's own snapshot of its slot="ref" rows, inherited by the members. */
static census_view_data **ref;
static size_t ref_count;

/* A page shared with the members: the first mismatch a member met, and what it counted. */
struct shared {
  _Atomic int failures;
  char why[512];
  _Atomic int diagnostics;
  uint64_t uncarried[4];
};
static struct shared *shared;

static char *make_dir(void) { return temp_dir_make("census-shm-carry"); }

/* Records the values of part 0 or part 1 on slot `slot`: ints into COUNT, SUM and DISTRIBUTION,
 * doubles into a SUM and an EXPONENTIAL view (a 0 for its zero count), the gauge twice. */
static void record_part(const char *slot, int part) {
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, slot_key, slot);
  static const int64_t int_values[2][3] = {{1, 2, 3}, {4, 5, 0}};
  static const double double_values[2][3] = {{0.5, 2.0, 1.25}, {8.0, 0.0, 1000.0}};
  for (int i = 0; i < 3; i++) {
    census_record_int64(ints, int_values[part][i], tags);
    census_record_double(doubles, double_values[part][i], tags);
  }
  census_record_int64(gauge, part ? 9 : 7, tags);
  census_tag_map_free(tags);
}

/* The row of view `name` whose slot is `slot` in `views`: its index there and the row (false if
 * none); a second row for the slot makes *twice true. */
static bool row_of(census_view_data **views, size_t count, const char *name, const char *slot,
                   size_t *view, size_t *row, bool *twice) {
  bool found = false;
  for (size_t v = 0; v < count; v++) {
    if (strcmp(census_view_data_name(views[v]), name) != 0) {
      continue;
    }
    for (size_t r = 0; r < census_view_data_row_count(views[v]); r++) {
      if (strcmp(census_view_data_row_value(views[v], r, 0), slot) == 0) {
        *twice = *twice || found;
        *view = v;
        *row = r;
        found = true;
      }
    }
  }
  return found;
}

static bool close_to(double a, double b) {
  return a == b || fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b));
}

/* Compares slot "c" of `group` with the reference's slot "ref", view by view, every word a
 * snapshot shows (but a LAST_VALUE's time, which is the member's); NULL when equal, else what
 * differs (a static buffer). */
static const char *group_mismatch(census_view_data **group, size_t count) {
  static char why[512];
  for (size_t i = 0; i < VIEW_COUNT; i++) {
    size_t gv, gr, rv, rr;
    bool twice = false, ref_twice = false;
    if (!row_of(group, count, view_names[i], "c", &gv, &gr, &twice)) {
      snprintf(why, sizeof why, "%s: no row for slot c in the group's view", view_names[i]);
      return why;
    }
    if (twice) {
      snprintf(why, sizeof why, "%s: two rows for slot c", view_names[i]);
      return why;
    }
    if (!row_of(ref, ref_count, view_names[i], "ref", &rv, &rr, &ref_twice)) {
      snprintf(why, sizeof why, "%s: no reference row", view_names[i]);
      return why;
    }
    census_point g, r;
    if (census_view_data_row_point(group[gv], gr, &g) != CENSUS_OK ||
        census_view_data_row_point(ref[rv], rr, &r) != CENSUS_OK) {
      snprintf(why, sizeof why, "%s: no point", view_names[i]);
      return why;
    }
    bool lv = i == 4;
    bool same = g.count == r.count && g.int_value == r.int_value &&
                close_to(g.double_value, r.double_value) && close_to(g.mean, r.mean) &&
                close_to(g.sum_of_squared_deviation, r.sum_of_squared_deviation) &&
                (lv || (g.min == r.min && g.max == r.max)) && g.bucket_count == r.bucket_count;
    for (size_t b = 0; same && b < g.bucket_count; b++) {
      same = g.bucket_counts[b] == r.bucket_counts[b];
    }
    if (same && census_view_data_aggregation(group[gv]) == CENSUS_AGGREGATION_EXPONENTIAL) {
      census_exponential_buckets ge, re;
      same = census_view_data_row_exponential(group[gv], gr, &ge) == CENSUS_OK &&
             census_view_data_row_exponential(ref[rv], rr, &re) == CENSUS_OK &&
             ge.scale == re.scale && ge.zero_count == re.zero_count && ge.offset == re.offset &&
             ge.bucket_count == re.bucket_count && re.zero_count == 1;
      for (size_t b = 0; same && b < ge.bucket_count; b++) {
        same = ge.bucket_counts[b] == re.bucket_counts[b];
      }
    }
    if (!same) {
      snprintf(why, sizeof why,
               "%s: group count %lld int %lld double %g mean %g, reference count %lld int %lld "
               "double %g mean %g",
               view_names[i], (long long)g.count, (long long)g.int_value, g.double_value, g.mean,
               (long long)r.count, (long long)r.int_value, r.double_value, r.mean);
      return why;
    }
  }
  return NULL;
}

/* In a member: records a mismatch of its group view (census_view_data_get_all(): a collection,
 * so a carry round, then the group's files read) in the shared page, naming `when`. */
static void member_check(const char *when) {
  census_view_data **views;
  size_t count;
  const char *why = census_view_data_get_all(&views, &count) == CENSUS_OK
                        ? group_mismatch(views, count)
                        : "census_view_data_get_all failed";
  if (why && atomic_fetch_add(&shared->failures, 1) == 0) {
    snprintf(shared->why, sizeof shared->why, "%s: %s", when, why);
  }
  if (why == NULL) {
    census_view_data_free_all(views, count);
  }
}

static void member_fail(const char *why) {
  if (atomic_fetch_add(&shared->failures, 1) == 0) {
    snprintf(shared->why, sizeof shared->why, "%s", why);
  }
}

/* A sidecar's check of the group in `dir` (the test process never enables the mode). */
static void assert_group(const char *dir) {
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  const char *why = group_mismatch(views, count);
  if (why) {
    fail_msg("sidecar read of %s: %s", dir, why);
  }
  census_view_data_free_all(views, count);
}

static void assert_member_ok(pid_t pid) {
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (shared->failures) {
    fail_msg("member: %s", shared->why);
  }
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state) {
  (void)state;
  census_diagnostics_set_callback(NULL, NULL);
  ints = int_measure("carry/ints");
  doubles = double_measure("carry/doubles");
  gauge = int_measure("carry/gauge");
  slot_key = key("slot");
  const census_tag_key *cols[] = {slot_key};
  register_view(view_names[0], ints, cols, 1, census_aggregation_count_new());
  register_view(view_names[1], ints, cols, 1, census_aggregation_sum_new());
  register_view(view_names[2], doubles, cols, 1, census_aggregation_sum_new());
  double bounds[] = {2, 4};
  register_view(view_names[3], ints, cols, 1, census_aggregation_distribution_new(bounds, 2, NULL));
  register_view(view_names[4], gauge, cols, 1, census_aggregation_last_value_new());
  register_view(view_names[5], doubles, cols, 1, census_aggregation_exponential_new(8, 20, NULL));
  hits = int_measure("carry/hits");
  register_view("carry/hits", hits, cols, 1, census_aggregation_count_new());
  record_part("ref", 0);
  record_part("ref", 1);
  assert_int_equal(census_view_data_get_all(&ref, &ref_count), CENSUS_OK);
  shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(shared != MAP_FAILED);
  return 0;
}

static int before_each(void **state) {
  (void)state;
  memset(shared, 0, sizeof *shared);
  return 0;
}

/* A member's records before the mode: part 0 collected into the totals (an in-process snapshot
 * taken), part 1 left in the thread's cells, harvested by the first collection in the mode. */
static void member_records(void) {
  record_part("c", 0);
  census_view_data **views;
  size_t count;
  if (census_view_data_get_all(&views, &count) != CENSUS_OK) {
    member_fail("in-process snapshot failed");
    return;
  }
  census_view_data_free_all(views, count);
  record_part("c", 1);
}

/* Forks a member that records (member_records()), calls census_shm_enable() and, when `collects`,
 * checks its own group view after three collections; the test process then reads the group as a
 * sidecar while the member lives and after it exited (its file compacted into the archive). */
static void member_then_sidecar(bool collects) {
  char *dir = make_dir();
  int go[2], ready[2];
  assert_int_equal(pipe(go), 0);
  assert_int_equal(pipe(ready), 0);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    member_records();
    if (census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    if (collects) {
      member_check("first collection in the mode");
      member_check("second collection");
      member_check("third collection");
      census_shm_counts c;
      census_shm_stats(&c);
      if (c.uncarried_series != 0) {
        member_fail("uncarried_series is not 0 with room on disk");
      }
    }
    char byte = 1;
    (void)!write(ready[1], &byte, 1);
    (void)!read(go[0], &byte, 1);
    _exit(0);
  }
  char byte;
  assert_int_equal(read(ready[0], &byte, 1), 1);
  assert_int_equal(shared->failures, 0);
  assert_group(dir); /* the member live: its file */
  assert_int_equal(write(go[1], &byte, 1), 1);
  assert_member_ok(pid);
  assert_group(dir); /* the member dead: its file compacted into the archive */
  assert_group(dir);
  close(go[0]);
  close(go[1]);
  close(ready[0]);
  close(ready[1]);
  temp_dir_remove(dir);
}

static void pre_mode_records_carried(void **state) {
  (void)state;
  member_then_sidecar(true);
}

/* The member never collects after census_shm_enable() (no exporter, never scraped): the
 * sidecar still reads every value recorded before the mode, exactly once, because
 * census_shm_enable() collects once. */
static void enable_carries_at_once(void **state) {
  (void)state;
  member_then_sidecar(false);
}

static void fork_child_killed(void **state) {
  (void)state;
  char *dir = make_dir();
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    member_records();
    if (census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    member_check("the member's collection before the fork");
    int ready[2];
    if (pipe(ready) != 0) {
      _exit(3);
    }
    pid_t child = fork_quiet();
    if (child == 0) {
      /* In the mode with a file of its own; its series start empty (the member's are the
       * member's): its collections carry nothing of the member's. */
      member_check("the fork child's first collection");
      member_check("the fork child's second collection");
      char byte = 1;
      (void)!write(ready[1], &byte, 1);
      for (;;) {
        pause();
      }
    }
    char byte;
    if (child < 0 || read(ready[0], &byte, 1) != 1) {
      _exit(4);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    member_check("the member's collection after the child was killed");
    member_check("the member's next collection");
    _exit(0);
  }
  assert_member_ok(pid);
  assert_group(dir);
  temp_dir_remove(dir);
}

static void count_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  if (strstr(message, "uncarried_series") && strstr(message, "carry/") &&
      strstr(message, "free disk space")) {
    atomic_fetch_add(&shared->diagnostics, 1);
  }
}

/* The number of rows for slot "c" in this member's group view. */
static int member_rows(void) {
  census_view_data **views;
  size_t count;
  if (census_view_data_get_all(&views, &count) != CENSUS_OK) {
    return -1;
  }
  int rows = 0;
  for (size_t i = 0; i < VIEW_COUNT; i++) {
    size_t v, r;
    bool twice = false;
    rows += row_of(views, count, view_names[i], "c", &v, &r, &twice);
  }
  census_view_data_free_all(views, count);
  return rows;
}

static void full_disk(void **state) {
  (void)state;
  char *dir = make_dir();
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_diagnostics_set_callback(count_diagnostic, NULL);
    signal(SIGXFSZ, SIG_IGN); /* a file size past the limit: EFBIG, not the signal */
    member_records();
    struct rlimit saved, small;
    getrlimit(RLIMIT_FSIZE, &saved);
    small = saved;
    small.rlim_cur = 4096; /* below the file's first segment (1 MiB, reserved at creation) */
    if (setrlimit(RLIMIT_FSIZE, &small) != 0 || census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    /* Two collections with no room: nothing in the group's view (no file), each series counted
     * once, one report. */
    if (member_rows() != 0 || member_rows() != 0) {
      member_fail("rows in the group's view with no file");
    }
    census_shm_counts c;
    census_shm_stats(&c);
    shared->uncarried[0] = c.uncarried_series;
    setrlimit(RLIMIT_FSIZE, &saved); /* room again: the next collection carries */
    member_check("the first collection with room");
    member_check("the second collection with room");
    census_shm_stats(&c);
    shared->uncarried[1] = c.uncarried_series;
    _exit(0);
  }
  assert_member_ok(pid);
  assert_int_equal(shared->uncarried[0], VIEW_COUNT); /* one series per view, each once */
  assert_int_equal(shared->uncarried[1], VIEW_COUNT); /* a counter: never goes back */
  assert_int_equal(shared->diagnostics, 1);
  assert_group(dir);
  temp_dir_remove(dir);
}

/* The count of view `name`'s row for `slot` in `views` (-1: no row; -2: two rows). */
static int64_t count_of(census_view_data **views, size_t count, const char *name,
                        const char *slot) {
  size_t v, r;
  bool twice = false;
  census_point p;
  if (!row_of(views, count, name, slot, &v, &r, &twice)) {
    return -1;
  }
  return twice ? -2 : census_view_data_row_point(views[v], r, &p) == CENSUS_OK ? p.count : -3;
}

/* In a member: the count of carry/hits' row `slot` in its group view (a collection). */
static int64_t member_hits(const char *slot) {
  census_view_data **views;
  size_t count;
  if (census_view_data_get_all(&views, &count) != CENSUS_OK) {
    return -4;
  }
  int64_t n = count_of(views, count, "carry/hits", slot);
  census_view_data_free_all(views, count);
  return n;
}

static void member_expect_hits(const char *slot, int64_t want, const char *when) {
  int64_t got = member_hits(slot);
  if (got != want) {
    char why[200];
    snprintf(why, sizeof why, "%s: carry/hits %s is %lld, recorded %lld", when, slot,
             (long long)got, (long long)want);
    member_fail(why);
  }
}

/* A sidecar's count of carry/hits' row `slot` in the group in `dir`. */
static int64_t sidecar_hits(const char *dir, const char *slot) {
  census_view_data **views;
  size_t count;
  assert_int_equal(census_shm_view_data_get_all(dir, &views, &count), CENSUS_OK);
  int64_t n = count_of(views, count, "carry/hits", slot);
  census_view_data_free_all(views, count);
  return n;
}

#define THREADS 4
#define PER_THREAD 5000

struct hits_arg {
  census_bound_measure *bound;
  _Atomic int *running;
};

/* Records PER_THREAD hits on slot t directly and PER_THREAD through the bound handle. */
static void *hits_thread(void *p) {
  struct hits_arg *a = p;
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, slot_key, "t");
  for (int i = 0; i < PER_THREAD; i++) {
    census_record_int64(hits, 1, tags);
    census_bound_record_int64(a->bound, 1);
  }
  census_tag_map_free(tags);
  atomic_fetch_sub(a->running, 1);
  return NULL;
}

static void records_before_and_after_enable(void **state) {
  (void)state;
  char *dir = make_dir();
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "t");
    census_bound_measure *bound = census_measure_bind(hits, tags, NULL);
    /* Before the mode: 30 hits direct and 20 bound, half of them collected. */
    for (int i = 0; i < 15; i++) {
      census_record_int64(hits, 1, tags);
      census_bound_record_int64(bound, 1);
      if (i == 7) {
        census_view_data **views;
        size_t count;
        if (census_view_data_get_all(&views, &count) == CENSUS_OK) {
          census_view_data_free_all(views, count);
        }
      }
    }
    for (int i = 0; i < 5; i++) {
      census_record_int64(hits, 1, tags);
    }
    record_part("c", 0);
    if (!bound || census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    int64_t want = 35;
    member_expect_hits("t", want, "first collection in the mode");
    record_part("c", 1); /* in the mode: into the shared cells */
    member_check("the parts before and in the mode");
    /* Four threads record while this one collects. */
    pthread_t t[THREADS];
    struct hits_arg arg = {bound, &(_Atomic int){THREADS}};
    for (int i = 0; i < THREADS; i++) {
      if (pthread_create(&t[i], NULL, hits_thread, &arg) != 0) {
        _exit(3);
      }
    }
    while (atomic_load(arg.running) > 0) {
      int64_t n = member_hits("t");
      if (n < want || n > want + 2 * THREADS * PER_THREAD) {
        member_fail("carry/hits t out of range while threads record");
        break;
      }
    }
    for (int i = 0; i < THREADS; i++) {
      pthread_join(t[i], NULL);
    }
    want += 2 * THREADS * PER_THREAD;
    member_expect_hits("t", want, "after the threads");
    member_expect_hits("t", want, "the next collection");
    member_check("the parts, after the threads");
    census_bound_record_int64(bound, 1);
    census_record_int64(hits, 1, tags);
    want += 2;
    member_expect_hits("t", want, "two more");
    member_expect_hits("t", want, "two more, the next collection");
    census_bound_measure_free(bound);
    census_tag_map_free(tags);
    _exit(0);
  }
  assert_member_ok(pid);
  assert_group(dir);
  assert_int_equal(sidecar_hits(dir, "t"), 35 + 2 * THREADS * PER_THREAD + 2);
  temp_dir_remove(dir);
}

static void full_disk_records_in_mode(void **state) {
  (void)state;
  char *dir = make_dir();
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, small;
    getrlimit(RLIMIT_FSIZE, &saved);
    small = saved;
    small.rlim_cur = 4096;
    if (setrlimit(RLIMIT_FSIZE, &small) != 0 || census_shm_enable(dir) != CENSUS_OK) {
      _exit(2);
    }
    /* In the mode, no room for the file: every cell unshared, the records in process. */
    record_part("c", 0);
    record_part("c", 1);
    census_tag_map *tags = census_tag_map_new();
    census_tag_map_put(tags, slot_key, "t");
    for (int i = 0; i < 10; i++) {
      census_record_int64(hits, 1, tags);
    }
    member_expect_hits("t", -1, "no room"); /* no row: the group has no file */
    census_shm_counts c;
    census_shm_stats(&c);
    shared->uncarried[0] = c.unshared_cells;
    shared->uncarried[1] = c.uncarried_series;
    setrlimit(RLIMIT_FSIZE, &saved);
    member_check("room again");
    member_expect_hits("t", 10, "room again");
    for (int i = 0; i < 5; i++) { /* its cell is still unshared: into the totals, carried */
      census_record_int64(hits, 1, tags);
    }
    member_expect_hits("t", 15, "five more");
    member_expect_hits("t", 15, "five more, the next collection");
    member_check("room again, later");
    census_shm_stats(&c);
    shared->uncarried[2] = c.unshared_cells;
    census_tag_map_free(tags);
    _exit(0);
  }
  assert_member_ok(pid);
  /* Each series' cell of the recording thread failed once (7 views), then each series once. */
  assert_int_equal(shared->uncarried[0], VIEW_COUNT + 1);
  assert_int_equal(shared->uncarried[1], VIEW_COUNT + 1);
  assert_int_equal(shared->uncarried[2], VIEW_COUNT + 1);
  assert_group(dir);
  assert_int_equal(sidecar_hits(dir, "t"), 15);
  temp_dir_remove(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(pre_mode_records_carried, before_each),
      cmocka_unit_test_setup(enable_carries_at_once, before_each),
      cmocka_unit_test_setup(fork_child_killed, before_each),
      cmocka_unit_test_setup(full_disk, before_each),
      cmocka_unit_test_setup(records_before_and_after_enable, before_each),
      cmocka_unit_test_setup(full_disk_records_in_mode, before_each),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
