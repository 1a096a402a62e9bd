/* flush.c - waiting for every exporter's flush at once, against one deadline.
 *
 * Why. A flush (census_flush(), census_shutdown(), the flush at exit and on a signal) first hands
 * everything to every exporter: the stats snapshot to each stats exporter, the queued spans to
 * each span exporter. Push exporters (OTLP, Zipkin, Google Cloud) only encode and queue what they
 * are handed, so that part is quick; the time goes into the second part, waiting for each
 * exporter's flush callback to push out what it holds, and that is where a dead or hung backend
 * spends the whole deadline. Waiting for the exporters one after another would give the first
 * one all of the deadline and the next ones nothing, so one dead backend would cost every other
 * backend its data. Here every exporter's flush callback starts at once, each with the time left
 * before the same deadline: each exporter gets all of it, and a healthy backend receives
 * everything whatever another backend does.
 *
 * Threads. Jobs with the same user pointer (an exporter registered both for stats and for spans)
 * form one group and run one after the other on one thread, so calls to one exporter never
 * overlap. The first group runs on the calling thread; each other group runs on a thread started
 * for this flush with every signal blocked (an exporter never runs the application's signal
 * handlers). A group whose thread cannot be started runs on the calling thread afterwards (with
 * what time is left). Every thread is joined before census__flush_run() returns: census relies on
 * flush callbacks returning within their timeout, as it always has, and a callback that overruns
 * delays the flush but never overlaps a later call to its exporter.
 *
 * At exit. When the flush is the one at process exit or on a flush signal, each thread running a
 * group sets a thread-local flag for the duration, which census_exporter_is_flushing_at_exit()
 * reads: an exporter whose flush times out then knows that what it still holds will never be
 * delivered and counts it (reason CENSUS_EXPORTER_DROP_EXIT_DEADLINE). The flag is per thread, so a
 * flush running elsewhere at the same time (census_span_exporter_unregister()) never sees it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "core/clock.h"
#include "export/flush.h"
#include "core/alloc.h"

static _Thread_local bool flushing_at_exit;

CENSUS_EXPORT bool census_exporter_is_flushing_at_exit(void) { return flushing_at_exit; }

/* The ranks of the statuses a flush merges, lowest first; see census__status_merge(). */
static int status_rank(census_status s) {
  switch (s) {
  case CENSUS_OK:
    return 0;
  case CENSUS_ETIMEDOUT:
    return 3;
  case CENSUS_ENOMEM:
    return 2;
  default:
    return 1; /* any other failure of an exporter */
  }
}

census_status census__status_merge(census_status a, census_status b) {
  int ra = status_rank(a), rb = status_rank(b);
  census_status winner = ra >= rb ? a : b;
  return status_rank(winner) == 1 ? CENSUS_EEXPORT : winner;
}

census_status census__flush_jobs_add(census__flush_jobs *list, census__flush_fn flush, void *user) {
  if (list->count == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    census__flush_job *grown = census__realloc(list->jobs, cap * sizeof *grown);
    if (!grown) {
      return CENSUS_ENOMEM;
    }
    list->jobs = grown;
    list->cap = cap;
  }
  list->jobs[list->count++] = (census__flush_job){flush, user, CENSUS_OK, 0};
  return CENSUS_OK;
}

void census__flush_jobs_free(census__flush_jobs *list) {
  census__free(list->jobs);
  list->jobs = NULL;
  list->count = list->cap = 0;
}

/* One group of jobs (those whose `group` is `leader`), run on one thread. */
typedef struct group_run {
  census__flush_jobs *list;
  size_t leader;
  int64_t deadline_ns;
  bool at_exit;
  pthread_t thread;
  bool started;
} group_run;

static void *run_group(void *arg) {
  group_run *g = arg;
  bool saved = flushing_at_exit;
  flushing_at_exit = g->at_exit;
  for (size_t i = g->leader; i < g->list->count; i++) {
    census__flush_job *job = &g->list->jobs[i];
    if (job->group == g->leader) {
      job->result = job->flush(job->user, census__ms_until(g->deadline_ns));
    }
  }
  flushing_at_exit = saved;
  return NULL;
}

census_status census__flush_run(census__flush_jobs *list, int64_t deadline_ns, bool at_exit) {
  size_t count = list->count;
  if (count == 0) {
    return CENSUS_OK;
  }
  /* Group by user pointer: each job's group is the index of the first job with its user. */
  size_t groups = 0;
  for (size_t i = 0; i < count; i++) {
    list->jobs[i].group = i;
    for (size_t j = 0; j < i; j++) {
      if (list->jobs[j].user == list->jobs[i].user) {
        list->jobs[i].group = j;
        break;
      }
    }
    groups += list->jobs[i].group == i;
  }
  group_run *runs = census__calloc(groups, sizeof *runs);
  group_run single;
  if (!runs) {
    /* No memory for the threads' records: one group of everything, on this thread. */
    for (size_t i = 0; i < count; i++) {
      list->jobs[i].group = 0;
    }
    single = (group_run){.list = list, .leader = 0, .deadline_ns = deadline_ns, .at_exit = at_exit};
    run_group(&single);
  } else {
    size_t g = 0;
    for (size_t i = 0; i < count; i++) {
      if (list->jobs[i].group == i) {
        runs[g++] =
            (group_run){.list = list, .leader = i, .deadline_ns = deadline_ns, .at_exit = at_exit};
      }
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (size_t k = 1; k < groups; k++) {
      runs[k].started = pthread_create(&runs[k].thread, NULL, run_group, &runs[k]) == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    run_group(&runs[0]);
    for (size_t k = 1; k < groups; k++) {
      if (runs[k].started) {
        pthread_join(runs[k].thread, NULL);
      } else {
        run_group(&runs[k]); /* no thread: late, but not skipped */
      }
    }
    census__free(runs);
  }
  census_status result = CENSUS_OK;
  for (size_t i = 0; i < count; i++) {
    census_status r = list->jobs[i].result;
    /* A flush callback's own errors all mean that its exporter lost data. */
    result =
        census__status_merge(result, r == CENSUS_OK || r == CENSUS_ETIMEDOUT ? r : CENSUS_EEXPORT);
  }
  return result;
}
