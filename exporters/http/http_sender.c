/* http_sender.c - delivery of encoded request bodies over HTTP(S), from one thread per sender.
 *
 * Structure. A sender is a mutex-protected FIFO of requests plus one delivery thread. The thread
 * takes the head of the queue ("in flight"), and keeps it until it is delivered or dropped: its
 * attempts and the waits between them all happen while it is in flight, so at most one request
 * is ever on the wire and requests go out in submission order. Queued requests have therefore
 * never been attempted, which is what makes supersede_key replacement safe: a newer snapshot
 * takes the queued one's place (and its sequence number, so a flush that waited for the old one
 * waits for the new one).
 *
 * Attempts. Each attempt is census__http_attempt() (http_attempt.h, the one HTTP attempt of
 * census) with the sender's own client, whose libcurl easy handle is driven through its multi
 * handle with curl_multi_poll(), so that census__http_sender_free() can abort an attempt at once
 * with census__http_client_wakeup() and an atomic abort flag (an easy-API progress callback would
 * only notice it about once a second on a silent connection). The handles are reused between
 * attempts, which keeps the connection alive. Bodies are gzip-compressed once, on this thread,
 * before the first attempt (never on the submitter's thread).
 *
 * Retries. After a failed attempt that the exporter's classifier calls retryable (or a failed
 * authorize callback), the wait is a full-jitter exponential backoff, uniform in
 * [0, min(max_backoff, initial * 2^(n-1))] for the n-th retry, but never shorter than a
 * Retry-After the server sent. No attempt starts later than max_elapsed_ms after the first
 * one: a backoff is clipped to that budget, a Retry-After beyond it drops the request at once.
 * While a flush waits for the request, a backoff (not a Retry-After) is cut to at most half the
 * time left before the flush's deadline (at least 10 ms), so that another attempt fits in it
 * without turning a dead backend into a busy loop.
 *
 * Counting. Every request ends in exactly one of: delivered (items_delivered += items -
 * rejected), dropped (requests_dropped, items_dropped), superseded, or discarded in a forked
 * child (the parent delivers it; not counted). Counters change only under the mutex, and a
 * request's `ended` flag (set there with its count) keeps a second path from counting it again.
 * Requests are lost for want of room or time in two functions only, drop_oldest_locked() (a
 * full queue) and abandon_at_exit() (the exit flush's deadline).
 * Diagnostics are formatted under the mutex and reported after it is released, once per drop
 * and never per retry; classifier messages are reported for final outcomes only. Each drop and
 * each partial rejection is also recorded, after the release, in census's self-metrics
 * census/exporter_dropped_items (by reason: queue_full, retry_budget, permanent_failure, shutdown,
 * exit_deadline, out_of_memory) and census/exporter_rejected_items, under the sender's name;
 * superseded requests are not drops. The recording is done before the call that caused it
 * returns (submit, close) or, for the request in flight, before it stops being pending, so a
 * flush that returns has seen it.
 *
 * Flush. Requests carry increasing sequence numbers; the queue is ordered by them and the
 * in-flight request precedes it, so "everything up to N is done" is "the smallest pending
 * sequence number exceeds N". Each waiting flush registers itself so that drops can mark it.
 *
 * Exit. The flush census runs at process exit or on a flush signal is the last chance: when it
 * times out, abandon_at_exit() counts what is still pending as dropped (exit_deadline). It cannot
 * stop the thread or free the sender, since other threads may still run (and after a signal the
 * process may go on), so it takes the queued requests out, marks the in-flight one `abandoned`
 * and aborts its attempt through `abort_inflight` (an atomic the attempt polls, like `abort`); the
 * thread then ends that request without counting it again and waits for new work.
 *
 * Spool (spool.h, optional). The places where a request is lost for want of room or time hand it
 * to the spool instead when one is configured: the exit flush (spool_at_exit()), a full queue
 * (take_oldest_locked() then spool_requests()), and shutdown (the aborted request in flight,
 * spool_aborted_locked(), and what is left queued, in close). Disk I/O never happens under the
 * mutex: requests are taken out of the queue (their bodies never change once queued, so the
 * in-flight one is copied under the mutex) and written after it is released; then the counts
 * are taken under it. The thread delivers the spool's files (drain_spool()) when it starts and
 * again after a delivery succeeds if this process spooled meanwhile; a file being delivered is a
 * heap request with seq 0 and `spooled` set, in flight like any other, and `draining` makes
 * pending_min_locked() 0 so that flushes wait for the drain. Its outcome decides the file's
 * fate: delivered or refused for good, removed (counted); otherwise given back to the spool
 * (RESULT_KEPT), never counted as dropped, and the drain stops.
 *
 * Fork. pthread_atfork handlers take every sender's mutex around fork() (prepare/parent); in the
 * child the queue and in-flight request are freed, the counters zeroed (the child's are its own),
 * the curl handles (whose connections belong to the parent: cleaning them up could write a TLS
 * close_notify into the parent's stream) are set aside, never used or freed, and the thread is
 * marked not running; the next submit starts a new one with new handles.
 */
#include "http_sender.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "census/census.h"
#include "census/exporter.h"
#include "buffer.h"
#include "env_config.h"
#include "grpc.h"
#include "http_attempt.h"
#include "resource.h"
#include "spool.h"
#include "alloc.h"

#define AUTH_HEADERS_MAX 8192
/* Longest duration honoured anywhere (30 days), so that nanosecond arithmetic never overflows. */
#define MS_MAX ((int64_t)30 * 24 * 3600 * 1000)
#define DIAG_MAX 512

typedef struct request {
  struct request *next;
  char *body; /* as submitted; never changed once queued (superseding replaces a queued one's) */
  size_t len;
  char *wire; /* the gzip-compressed body sent instead, made by the delivery thread; or NULL */
  size_t wire_len;
  uint64_t items;
  uint64_t supersede_key;
  uint64_t seq;
  bool ended;         /* its outcome (delivered, dropped) is counted; under the mutex */
  bool abandoned;     /* counted as dropped by the exit flush while in flight; under the mutex */
  int64_t created_ns; /* CLOCK_REALTIME at submit: its age in the spool */
  /* A request read back from the spool (an earlier process's): the claimed file, its content
   * type and encoding; NULL for this process's own requests. */
  census_spool_item *spooled;
  int result; /* how deliver() ended it (RESULT_*) */
} request;

enum { RESULT_NONE = 0, RESULT_DELIVERED, RESULT_FAILED, RESULT_KEPT };

/* A flush in progress; lives on the flushing thread's stack while in the list. */
typedef struct flush_waiter {
  struct flush_waiter *next;
  uint64_t upto;       /* waits for every request with seq <= upto */
  int64_t deadline_ns; /* CLOCK_MONOTONIC */
  bool dropped;        /* one of those was dropped */
} flush_waiter;

/* curl handles inherited across fork(): kept reachable, never used. */
typedef struct orphan {
  struct orphan *next;
  census_http_client client;
} orphan;

struct census_http_sender {
  /* Configuration: immutable after _new. */
  char *name, *url, *content_type, *ca_file, *client_cert, *client_key;
  char **headers;
  size_t header_count;
  bool gzip;
  bool grpc; /* each request is a gRPC unary call (grpc.h) */
  int64_t timeout_ms, initial_backoff_ms, max_backoff_ms, max_elapsed_ms;
  size_t max_queued, max_response_bytes;
  census_http_classify_fn classify;
  census_http_authorize_fn authorize;
  void *user;

  pthread_mutex_t mu;
  pthread_cond_t work_cv; /* thread: work arrived, stop, a flush began */
  pthread_cond_t done_cv; /* flushers: a request finished */
  request *head, *tail;   /* queued, never attempted */
  size_t queued;
  request *inflight;
  uint64_t next_seq;
  flush_waiter *waiters;
  bool thread_running;
  pthread_t thread;
  bool stopping;              /* free() began: submits are refused */
  atomic_bool abort;          /* stop now: abort the attempt, end waits */
  atomic_bool abort_inflight; /* the in-flight request was abandoned: abort its attempt only */
  census_http_stats stats;
  census_spool *spool;       /* NULL without a spool; immutable after _new */
  bool draining;             /* the thread delivers the spool's files before the queue */
  bool spool_written;        /* this process spooled requests since the thread last drained */
  char last_failure[256];    /* why the in-flight request's last attempt failed; "" if none did */
  char last_error[256];      /* the last failed attempt or drop, kept (the status registry) */
  int64_t last_error_ns;     /* when (Unix ns); 0: none yet */
  census_http_client client; /* libcurl handles: made with the thread, freed by free() */
  orphan *orphans;

  uint64_t rng; /* delivery thread only */

  struct census_http_sender *registry_next;
};

/* ---- process-wide: curl init and the fork registry -------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool curl_ok;
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static census_http_sender *registry;

static void fork_prepare(void) {
  pthread_mutex_lock(&registry_mu);
  for (census_http_sender *s = registry; s != NULL; s = s->registry_next) {
    pthread_mutex_lock(&s->mu);
  }
}

static void fork_parent(void) {
  for (census_http_sender *s = registry; s != NULL; s = s->registry_next) {
    pthread_mutex_unlock(&s->mu);
  }
  pthread_mutex_unlock(&registry_mu);
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t seed_for(const void *p) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
  seed ^= (uint64_t)getpid() << 32;
  seed ^= (uint64_t)(uintptr_t)p;
  return seed;
}

static void request_free(request *r) {
  census__free(r->body);
  census__free(r->wire);
  census__free(r);
}

/* Frees the list of requests starting at `r`; returns how many there were and adds their items
 * to *items (if not NULL). */
static uint64_t free_requests(request *r, uint64_t *items) {
  uint64_t n = 0;
  while (r != NULL) {
    request *next = r->next;
    if (items != NULL) {
      *items += r->items;
    }
    request_free(r);
    r = next;
    n++;
  }
  return n;
}

/* In the child: the parent's thread does not exist here; forget its work and its handles. */
static void fork_child(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  for (census_http_sender *s = registry; s != NULL; s = s->registry_next) {
    /* Waiters of the parent's threads do not exist here. */
    pthread_cond_init(&s->work_cv, &attr);
    pthread_cond_init(&s->done_cv, &attr);
    free_requests(s->head, NULL);
    if (s->inflight != NULL && s->inflight->spooled != NULL) {
      /* The parent's claim on that spool file stays the parent's. */
      census__spool_item_forget(s->inflight->spooled);
      s->inflight->spooled = NULL;
    }
    free_requests(s->inflight, NULL); /* its `next` is NULL */
    s->draining = false;              /* the parent delivers the spool */
    s->spool_written = false;
    s->head = s->tail = s->inflight = NULL;
    s->queued = 0;
    s->waiters = NULL;
    /* The child's counters are its own: the parent's requests are the parent's to count. */
    memset(&s->stats, 0, sizeof s->stats);
    s->last_failure[0] = '\0';
    s->last_error[0] = '\0';
    s->last_error_ns = 0;
    atomic_store(&s->abort_inflight, false);
    if (s->client.multi != NULL || s->client.easy != NULL) {
      orphan *o = census__malloc(sizeof *o);
      if (o != NULL) {
        o->client = s->client;
        o->next = s->orphans;
        s->orphans = o;
      }
    }
    s->client = (census_http_client){0};
    s->thread_running = false;
    s->rng ^= seed_for(s);
    pthread_mutex_unlock(&s->mu);
  }
  pthread_condattr_destroy(&attr);
  pthread_mutex_unlock(&registry_mu);
}

static void global_init(void) {
  curl_ok = census__http_global_init();
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- small helpers ----------------------------------------------------------------------- */

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  return ts;
}

/* `ms` if positive (clamped to MS_MAX), else `default_ms`. */
static int64_t ms_or(int64_t ms, int64_t default_ms) {
  if (ms <= 0) {
    return default_ms;
  }
  return ms < MS_MAX ? ms : MS_MAX;
}

static char *dup_or_null(const char *s, bool *failed) {
  if (s == NULL) {
    return NULL;
  }
  char *d = census__strdup(s);
  if (d == NULL) {
    *failed = true;
  }
  return d;
}

static void report(const char *msg) {
  if (msg[0] != '\0') {
    census_diagnostics_report(CENSUS_EEXPORT, msg);
  }
}

/* What one event (a drop, a delivery) has to tell the world: formatted under the mutex, told
 * by publish() after it is released, so that neither the diagnostics callback nor census's
 * record path ever runs under a sender's mutex (and fork handlers never see the two nested). */
typedef struct notice {
  char diag[DIAG_MAX];     /* "" when there is nothing to report */
  const char *drop_reason; /* CENSUS_EXPORTER_DROP_*, or NULL */
  uint64_t dropped;        /* items behind drop_reason */
  uint64_t rejected;       /* items a server refused in a delivered response */
} notice;

/* Reports the notice's diagnostic and records its items in the self-metrics
 * census/exporter_dropped_items and census/exporter_rejected_items (under the sender's name),
 * then clears it. Called without the mutex. The record calls' errors are not reported: a
 * sender name that is not a valid tag value was already refused (and reported) by them, and
 * after census_shutdown() they are no-ops by contract. */
static void publish(const census_http_sender *s, notice *n) {
  report(n->diag);
  if (n->drop_reason != NULL) {
    census_exporter_record_dropped(s->name, n->drop_reason, n->dropped);
  }
  if (n->rejected > 0) {
    census_exporter_record_rejected(s->name, n->rejected);
  }
  memset(n, 0, sizeof *n);
}

/* The smallest sequence number not yet delivered or dropped; UINT64_MAX when idle. */
static uint64_t pending_min_locked(const census_http_sender *s) {
  if (s->draining) {
    return 0; /* the spool's files come before every request */
  }
  if (s->inflight != NULL) {
    return s->inflight->seq;
  }
  return s->head != NULL ? s->head->seq : UINT64_MAX;
}

/* Marks the flushes waiting for request `seq` as having seen a drop. */
static void mark_waiters_locked(census_http_sender *s, uint64_t seq) {
  for (flush_waiter *w = s->waiters; w != NULL; w = w->next) {
    if (w->upto >= seq) {
      w->dropped = true;
    }
  }
}

/* Counts `r` as dropped for `metric_reason` (a CENSUS_EXPORTER_DROP_* string), marks it ended and
 * the flushes that waited for it, and fills `n` (diagnostic saying `why`, self-metric items) for
 * the caller to publish after unlocking. Does not free `r`. */
/* Keeps `what` as the sender's last error, with the time (census__http_sender_last_error()).
 * Mutex held. */
static void note_error_locked(census_http_sender *s, const char *what) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  s->last_error_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  size_t n = strnlen(what, sizeof s->last_error - 1); /* cut, as diagnostics are */
  memcpy(s->last_error, what, n);
  s->last_error[n] = '\0';
}

static void drop_locked(census_http_sender *s, request *r, notice *n, const char *why,
                        const char *metric_reason) {
  s->stats.requests_dropped++;
  s->stats.items_dropped += r->items;
  r->ended = true;
  mark_waiters_locked(s, r->seq);
  snprintf(n->diag, DIAG_MAX, "%s: dropped a request of %llu items: %s", s->name,
           (unsigned long long)r->items, why);
  note_error_locked(s, n->diag);
  n->drop_reason = metric_reason;
  n->dropped = r->items;
}

/* Unlinks and returns the request at the head of the queue. Mutex held; the queue is not empty. */
static request *pop_head_locked(census_http_sender *s) {
  request *r = s->head;
  s->head = r->next;
  if (s->head == NULL) {
    s->tail = NULL;
  }
  s->queued--;
  r->next = NULL;
  return r;
}

/* The queue is full: takes the oldest queued request out of it and counts it as dropped
 * (queue_full), filling `n`; returns it for the caller to free after unlocking. One of the two
 * places where a request is lost for want of room or time (the other is abandon_at_exit()): a
 * persistent spool would take the body here instead. Mutex held; the queue is not empty. */
static request *drop_oldest_locked(census_http_sender *s, notice *n) {
  request *victim = pop_head_locked(s);
  char reason[128];
  snprintf(reason, sizeof reason, "the queue is full (%zu requests waiting)", s->max_queued);
  drop_locked(s, victim, n, reason, CENSUS_EXPORTER_DROP_QUEUE_FULL);
  pthread_cond_broadcast(&s->done_cv);
  return victim;
}

/* ---- the spool ----------------------------------------------------------------------------- */

/* The queue is full and a spool is configured: takes the oldest queued request out of the queue
 * for the caller to spool (spool_requests()) after unlocking. It ends here as far as this
 * process is concerned; the flushes that waited for it see it as not delivered. Mutex held; the
 * queue is not empty. */
static request *take_oldest_locked(census_http_sender *s) {
  request *victim = pop_head_locked(s);
  victim->ended = true;
  mark_waiters_locked(s, victim->seq);
  pthread_cond_broadcast(&s->done_cv);
  return victim;
}

/* What spool_requests() did. */
typedef struct spool_tally {
  uint64_t requests, items;               /* written */
  uint64_t failed_requests, failed_items; /* refused by the spool: dropped */
} spool_tally;

/* Writes the bodies of the list `list` (this process's requests, ended, out of every queue) to
 * the spool, oldest first; called without the mutex (disk I/O). Then counts, under the mutex:
 * written requests as spooled; those the spool refused (full of files being delivered, larger
 * than its bound, an I/O error: the spool reported why) as dropped for `reason`; files the spool
 * dropped to make room as dropped for spool_full. Records the self-metrics and reports one
 * diagnostic for the refused ones. Does not free the list. */
static void spool_requests(census_http_sender *s, request *list, const char *reason,
                           spool_tally *t) {
  memset(t, 0, sizeof *t);
  census_spool_report rep = {0};
  for (request *r = list; r != NULL; r = r->next) {
    census_spool_meta meta = {
        r->created_ns, r->items,
        s->content_type != NULL ? s->content_type : "application/octet-stream", NULL};
    if (census__spool_write(s->spool, &meta, r->body, r->len, &rep) == CENSUS_OK) {
      t->requests++;
      t->items += r->items;
    } else {
      t->failed_requests++;
      t->failed_items += r->items;
    }
  }
  pthread_mutex_lock(&s->mu);
  if (t->requests > 0) {
    s->spool_written = true;
  }
  s->stats.requests_spooled += t->requests;
  s->stats.items_spooled += t->items;
  s->stats.requests_dropped += t->failed_requests + rep.files_evicted;
  s->stats.items_dropped += t->failed_items + rep.items_evicted;
  pthread_mutex_unlock(&s->mu);
  if (t->failed_requests > 0) {
    char diag[DIAG_MAX];
    snprintf(diag, sizeof diag,
             "%s: dropped %llu requests (%llu items): the spool could not take them (%s)", s->name,
             (unsigned long long)t->failed_requests, (unsigned long long)t->failed_items, reason);
    report(diag);
    census_exporter_record_dropped(s->name, reason, t->failed_items);
  }
  if (rep.files_evicted > 0) {
    /* The spool reported the files, items and bytes itself. */
    census_exporter_record_dropped(s->name, CENSUS_EXPORTER_DROP_SPOOL_FULL, rep.items_evicted);
  }
}

/* ---- one attempt ------------------------------------------------------------------------- */

typedef struct outcome {
  census_http_verdict verdict;
  uint64_t rejected;
  int64_t retry_after_ms;
  bool aborted;
  char message[256]; /* the classifier's message (reported on final outcomes) */
  char failure[256]; /* what went wrong, for a later drop diagnostic */
  char cause[256];   /* `failure` without the classifier's message: "HTTP 503", curl's error */
} outcome;

/* Appends header line `line` ("Name: value") with its name in lower case, as HTTP/2 (and so
 * gRPC metadata) wants it. */
static void append_lowercase_name(census_buf *b, const char *line) {
  const char *colon = strchr(line, ':');
  size_t name = colon != NULL ? (size_t)(colon - line) : 0;
  for (size_t i = 0; i < name; i++) {
    char c = line[i];
    census__buf_append_byte(b, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
  }
  census__buf_append_str(b, line + name);
  census__buf_append_byte(b, '\n');
}

/* Builds the header lines of an attempt at `r` into a '\n'-separated text (NULL on ENOMEM):
 * Content-Type, Content-Encoding when the body is compressed (or was stored so), then the
 * configured headers. */
static char *request_headers(const census_http_sender *s, const request *r, bool gzipped) {
  census_buf b = CENSUS_BUF_INIT;
  if (s->grpc) {
    /* HTTP/2 header names are lower case; the message, not the body, carries the encoding. */
    census__buf_printf(&b, "content-type: %s\nte: trailers\ngrpc-timeout: %lldm\n",
                       s->content_type != NULL ? s->content_type : "application/grpc",
                       (long long)s->timeout_ms);
    if (gzipped) {
      census__buf_append_str(&b, "grpc-encoding: gzip\n");
    }
    for (size_t i = 0; i < s->header_count; i++) {
      append_lowercase_name(&b, s->headers[i]);
    }
    return census__buf_take(&b, NULL);
  }
  /* A body from the spool goes out as the earlier process would have sent it. */
  const char *ctype = r->spooled != NULL ? r->spooled->content_type : s->content_type;
  census__buf_printf(&b, "Content-Type: %s\n", ctype != NULL ? ctype : "application/octet-stream");
  if (gzipped) {
    census__buf_append_str(&b, "Content-Encoding: gzip\n");
  } else if (r->spooled != NULL && r->spooled->content_encoding[0] != '\0') {
    census__buf_printf(&b, "Content-Encoding: %s\n", r->spooled->content_encoding);
  }
  for (size_t i = 0; i < s->header_count; i++) {
    census__buf_append_str(&b, s->headers[i]);
    census__buf_append_byte(&b, '\n');
  }
  return census__buf_take(&b, NULL);
}

/* Runs the exporter's classifier on a finished attempt's result and fills `out`. */
static void classify_result(census_http_sender *s, const request *r, const census_http_result *res,
                            outcome *out) {
  census_http_response resp = {0};
  resp.status = res->status;
  resp.curl_error = res->status == 0 ? res->error : NULL;
  if (res->status != 0) {
    snprintf(out->failure, sizeof out->failure, "HTTP %ld", res->status);
  } else {
    snprintf(out->failure, sizeof out->failure, "%s", res->error);
  }
  resp.body = res->body;
  resp.body_len = res->body_len;
  resp.content_type = res->content_type[0] ? res->content_type : NULL;
  resp.items = r->items;
  resp.grpc_status = res->grpc_status;
  resp.grpc_message = res->grpc_message;
  resp.grpc_details = res->grpc_details;
  int64_t retry_after_ms = res->retry_after_ms;
  resp.retry_after_ms = &retry_after_ms;
  uint64_t rejected = 0;
  out->verdict = s->classify(s->user, &resp, &rejected, out->message, sizeof out->message);
  out->message[sizeof out->message - 1] = '\0';
  if (out->verdict != CENSUS_HTTP_DELIVERED && out->verdict != CENSUS_HTTP_RETRY &&
      out->verdict != CENSUS_HTTP_FAILED) {
    out->verdict = CENSUS_HTTP_FAILED;
  }
  out->rejected = rejected > r->items ? r->items : rejected;
  out->retry_after_ms = retry_after_ms >= 0 && retry_after_ms < MS_MAX ? retry_after_ms
                        : retry_after_ms >= MS_MAX                     ? MS_MAX
                                                                       : -1;
  if (s->grpc && res->status == 200 && res->grpc_status > 0) {
    snprintf(out->failure, sizeof out->failure, "grpc-status %d (%s)", res->grpc_status,
             census__grpc_code_name(res->grpc_status));
  }
  snprintf(out->cause, sizeof out->cause, "%s", out->failure);
  if (out->message[0] != '\0') {
    size_t used = strlen(out->failure);
    snprintf(out->failure + used, sizeof out->failure - used, ": %s", out->message);
  }
}

/* Makes one attempt at delivering `r` (census__http_attempt(), with the sender's client, so the
 * connection stays alive between attempts) and classifies it. Runs on the delivery thread without
 * the mutex. An authorize callback that fails makes a retryable failed attempt without sending. */
static void attempt_once(census_http_sender *s, const request *r, bool gzipped, outcome *out) {
  memset(out, 0, sizeof *out);
  out->retry_after_ms = -1;
  out->verdict = CENSUS_HTTP_RETRY;
  char *headers = request_headers(s, r, gzipped);
  char *auth = NULL;
  if (headers != NULL && s->authorize != NULL &&
      (auth = census__calloc(1, AUTH_HEADERS_MAX)) != NULL) {
    census_status st = s->authorize(s->user, auth, AUTH_HEADERS_MAX);
    if (st != CENSUS_OK) {
      snprintf(out->failure, sizeof out->failure, "authorization failed: %s",
               census_status_name(st));
      census__free(auth);
      census__free(headers);
      return; /* a retryable failed attempt */
    }
    auth[AUTH_HEADERS_MAX - 1] = '\0';
  }
  if (headers == NULL || (s->authorize != NULL && auth == NULL)) {
    snprintf(out->failure, sizeof out->failure, "out of memory building the request");
    census__free(headers);
    return;
  }
  if (s->grpc && r->wire == NULL) {
    snprintf(out->failure, sizeof out->failure, "out of memory framing the gRPC message");
    census__free(headers);
    census__free(auth);
    return; /* a retryable failed attempt */
  }
  const char *lines[] = {headers, auth};
  /* Never a NULL body: that would make the attempt a GET. */
  const char *body = r->wire != NULL ? r->wire : r->body != NULL ? r->body : "";
  census_http_request q = {.url = s->url,
                           .body = body,
                           .body_len = r->wire != NULL ? r->wire_len : r->len,
                           .headers = lines,
                           .header_count = auth != NULL ? 2 : 1,
                           .timeout_ms = s->timeout_ms,
                           .ca_file = s->ca_file,
                           .client_cert = s->client_cert,
                           .client_key = s->client_key,
                           .max_response_bytes = s->max_response_bytes,
                           .abort = &s->abort,
                           .abort_too = &s->abort_inflight,
                           .grpc = s->grpc};
  census_http_result res;
  census__http_attempt(&s->client, &q, &res);
  census__free(headers);
  census__free(auth);
  if (res.aborted) {
    out->aborted = true;
    snprintf(out->failure, sizeof out->failure, "attempt aborted");
  } else {
    classify_result(s, r, &res, out);
  }
  census__http_result_free(&res);
}

/* ---- the delivery thread ----------------------------------------------------------------- */

/* Compresses r's body with gzip into r->wire (the body itself stays as submitted, so that other
 * threads may read it). False (no wire body) on failure. */
static bool gzip_body(request *r) {
  if (r->len > UINT_MAX / 2 || r->body == NULL) {
    return false; /* beyond zlib's one-shot sizes; such a body goes out as is */
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  uLong bound = deflateBound(&z, (uLong)r->len) + 32;
  char *out = census__malloc(bound);
  if (out == NULL) {
    deflateEnd(&z);
    return false;
  }
  z.next_in = (Bytef *)r->body;
  z.avail_in = (uInt)r->len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)bound;
  int rc = deflate(&z, Z_FINISH);
  size_t len = (size_t)z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    census__free(out);
    return false;
  }
  r->wire = out;
  r->wire_len = len;
  return true;
}

/* Makes r->wire the one length-prefixed gRPC message of the call: r->wire (compressed) or
 * r->body behind a 5-byte prefix (grpc.h). False on ENOMEM (r->wire then NULL: attempt_once()
 * sends nothing and the attempt fails, retryably). */
static bool grpc_frame(request *r, bool compressed) {
  const char *msg = compressed ? r->wire : r->body;
  size_t len = compressed ? r->wire_len : r->len;
  char *framed =
      len <= UINT32_MAX - CENSUS_GRPC_PREFIX ? census__malloc(len + CENSUS_GRPC_PREFIX) : NULL;
  if (framed != NULL) {
    census__grpc_prefix((unsigned char *)framed, compressed, (uint32_t)len);
    if (len > 0) {
      memcpy(framed + CENSUS_GRPC_PREFIX, msg, len);
    }
  }
  census__free(r->wire);
  r->wire = framed;
  r->wire_len = framed != NULL ? len + CENSUS_GRPC_PREFIX : 0;
  return framed != NULL;
}

/* The wait before retry `n` (1-based): uniform in [0, min(max, initial * 2^(n-1))]. */
static int64_t backoff_ms(census_http_sender *s, int n) {
  int64_t cap = s->initial_backoff_ms;
  for (int i = 1; i < n && cap < s->max_backoff_ms; i++) {
    cap = cap > INT64_MAX / 2 ? INT64_MAX : cap * 2;
  }
  if (cap > s->max_backoff_ms) {
    cap = s->max_backoff_ms;
  }
  return (int64_t)(splitmix64(&s->rng) % ((uint64_t)cap + 1));
}

/* The earliest deadline of the flushes waiting for `seq`; INT64_MAX when none waits. */
static int64_t flush_deadline_locked(const census_http_sender *s, uint64_t seq) {
  int64_t deadline = INT64_MAX;
  for (const flush_waiter *w = s->waiters; w != NULL; w = w->next) {
    if (w->upto >= seq && w->deadline_ns < deadline) {
      deadline = w->deadline_ns;
    }
  }
  return deadline;
}

/* Shutdown aborted this process's in-flight request `r` and a spool is configured: ends it and
 * writes it to the spool instead of dropping it. Mutex held on entry and on return (released
 * around the disk I/O). */
static void spool_aborted_locked(census_http_sender *s, request *r) {
  r->ended = true;
  mark_waiters_locked(s, r->seq);
  pthread_mutex_unlock(&s->mu);
  spool_tally t;
  spool_requests(s, r, CENSUS_EXPORTER_DROP_SHUTDOWN, &t);
  if (t.requests > 0) {
    char diag[DIAG_MAX];
    snprintf(diag, sizeof diag,
             "%s: shutdown deadline reached, 1 request (%llu items) spooled for the next start",
             s->name, (unsigned long long)t.items);
    report(diag);
  }
  pthread_mutex_lock(&s->mu);
}

/* Counts a DELIVERED answer to `r` (its rejected items too) and notes the classifier's message
 * for the report. Mutex held. */
static void count_delivered_locked(census_http_sender *s, request *r, const outcome *o,
                                   notice *note) {
  r->ended = true;
  r->result = RESULT_DELIVERED;
  s->stats.requests_delivered++;
  s->stats.items_delivered += r->items - o->rejected;
  s->stats.items_rejected += o->rejected;
  if (r->spooled != NULL) {
    s->stats.requests_from_spool++;
    s->stats.items_from_spool += r->items - o->rejected;
  }
  note->rejected = o->rejected;
  if (o->message[0] != '\0') {
    snprintf(note->diag, sizeof note->diag, "%s: %s", s->name, o->message);
  }
}

/* After a retryable failure of attempt `n` (the first at first_ns): when the next attempt may
 * start (*backoff_until, *min_until for a Retry-After), or true when it may not, because the
 * retry budget is spent or a Retry-After points beyond it: the request is then dropped (or, read
 * from the spool, kept there for a later start). Mutex held. */
static bool budget_spent_locked(census_http_sender *s, request *r, const outcome *o, int n,
                                int64_t first_ns, int64_t *backoff_until, int64_t *min_until,
                                notice *note) {
  int64_t now = mono_ns();
  int64_t budget_end = first_ns + s->max_elapsed_ms * 1000000;
  *min_until = o->retry_after_ms >= 0 ? now + o->retry_after_ms * 1000000 : now;
  *backoff_until = now + backoff_ms(s, n) * 1000000;
  if (*backoff_until > budget_end) {
    *backoff_until = budget_end;
  }
  if (now < budget_end && *min_until <= budget_end) {
    return false;
  }
  if (r->spooled != NULL) {
    /* Not lost: its file stays in the spool, for a later start. */
    r->result = RESULT_KEPT;
    snprintf(note->diag, sizeof note->diag,
             "%s: a spooled request of %llu items stays in the spool: retry budget spent after "
             "%d attempts; last: %s",
             s->name, (unsigned long long)r->items, n, o->failure);
    return true;
  }
  char reason[400];
  snprintf(reason, sizeof reason, "%s after %d attempts (retry budget %lld ms); last: %s",
           *min_until > budget_end && now < budget_end ? "Retry-After exceeds the budget"
                                                       : "retry budget spent",
           n, (long long)s->max_elapsed_ms, o->failure);
  drop_locked(s, r, note, reason, CENSUS_EXPORTER_DROP_RETRY_BUDGET);
  return true;
}

/* Waits before retrying `r`: until backoff_until, cut to half the time left before the earliest
 * flush waiting for it (at least 10 ms; fixed when first computed: see the file comment), but
 * never before min_until (Retry-After). True when shutdown or the exit flush ended the wait.
 * Mutex held (released while waiting). */
static bool wait_before_retry_locked(census_http_sender *s, request *r, int64_t backoff_until,
                                     int64_t min_until) {
  int64_t flush_until = INT64_MAX;
  for (;;) {
    if (atomic_load(&s->abort) || r->abandoned) {
      return true;
    }
    int64_t t = mono_ns();
    int64_t deadline = flush_deadline_locked(s, r->seq);
    if (deadline != INT64_MAX) {
      int64_t half = (deadline - t) / 2;
      int64_t candidate = t + (half > 10000000 ? half : 10000000);
      if (candidate < flush_until) {
        flush_until = candidate;
      }
    }
    int64_t until = backoff_until < flush_until ? backoff_until : flush_until;
    if (until < min_until) {
      until = min_until;
    }
    if (t >= until) {
      return false;
    }
    struct timespec ts = to_timespec(until);
    pthread_cond_timedwait(&s->work_cv, &s->mu, &ts);
  }
}

/* Ends `r` when shutdown (or the exit flush) interrupted it: kept when the exit flush already
 * counted it or its file stays in the spool, spooled when a spool is configured, else dropped
 * with reason shutdown (`why`). Mutex held. */
static void end_interrupted_locked(census_http_sender *s, request *r, notice *note,
                                   const char *why) {
  if (r->abandoned || r->spooled != NULL) {
    r->result = RESULT_KEPT; /* counted (or spooled) by abandon_at_exit(), or left in the spool */
  } else if (s->spool != NULL) {
    spool_aborted_locked(s, r);
  } else {
    drop_locked(s, r, note, why, CENSUS_EXPORTER_DROP_SHUTDOWN);
  }
}

/* Delivers or drops the in-flight request `r`, with its retries: attempt, classify, then
 * delivered, dropped for good, or retried after a backoff within the budget. Called without the
 * mutex; returns with it held. */
static void deliver(census_http_sender *s, request *r) {
  notice note = {0};
  bool gzipped = false;
  /* A spooled body with a content encoding of its own goes out as it is. */
  if (s->gzip && (r->spooled == NULL || r->spooled->content_encoding[0] == '\0')) {
    gzipped = gzip_body(r);
    if (!gzipped) {
      char diag[DIAG_MAX];
      snprintf(diag, sizeof diag, "%s: gzip failed; sending the request uncompressed", s->name);
      report(diag);
    }
  }
  if (s->grpc && !grpc_frame(r, gzipped)) {
    char diag[DIAG_MAX];
    snprintf(diag, sizeof diag, "%s: out of memory framing the gRPC message", s->name);
    report(diag);
  }
  int64_t first_ns = mono_ns();
  outcome o;
  for (int n = 1;; n++) {
    attempt_once(s, r, gzipped, &o);
    pthread_mutex_lock(&s->mu);
    s->stats.attempts++;
    s->stats.retries += n > 1;
    if (r->abandoned || o.aborted) {
      end_interrupted_locked(s, r, &note, "shutdown aborted its attempt");
      break;
    }
    if (o.verdict == CENSUS_HTTP_DELIVERED) {
      count_delivered_locked(s, r, &o, &note);
      break;
    }
    if (o.verdict == CENSUS_HTTP_FAILED) {
      char reason[320];
      snprintf(reason, sizeof reason, "%spermanent failure (%s)",
               r->spooled != NULL ? "spooled by an earlier process; " : "", o.failure);
      drop_locked(s, r, &note, reason, CENSUS_EXPORTER_DROP_PERMANENT_FAILURE);
      r->result = RESULT_FAILED;
      break;
    }
    snprintf(s->last_failure, sizeof s->last_failure, "%s",
             o.cause[0] != '\0' ? o.cause : o.failure);
    note_error_locked(s, s->last_failure);
    int64_t backoff_until, min_until;
    if (budget_spent_locked(s, r, &o, n, first_ns, &backoff_until, &min_until, &note)) {
      break;
    }
    if (wait_before_retry_locked(s, r, backoff_until, min_until)) {
      end_interrupted_locked(s, r, &note, "shutdown during a retry wait");
      break;
    }
    pthread_mutex_unlock(&s->mu);
  }
  /* Mutex held. Publish without it (before the request stops being in flight, so that a flush
   * that waited for it finds its self-metrics recorded), then retake it. */
  if (note.diag[0] != '\0' || note.drop_reason != NULL || note.rejected > 0) {
    pthread_mutex_unlock(&s->mu);
    publish(s, &note);
    pthread_mutex_lock(&s->mu);
  }
}

/* Delivers the spool's files for this sender, oldest first, before any request of this process:
 * one at a time, in flight like a request (deliver()), with the retry budget of one. A delivered
 * file, or one the backend refused for good (counted as dropped), is removed; at the first file
 * that cannot be delivered now (budget spent, shutdown, exit deadline) the rest stay in the spool
 * for a later start and the thread goes on with the queue. Mutex held on entry and on return;
 * `draining` is cleared at the end (flushes wait for it: pending_min_locked()). */
static void drain_spool(census_http_sender *s) {
  pthread_mutex_unlock(&s->mu);
  census_spool_report rep = {0};
  census_spool_scan *scan = census__spool_scan(s->spool, &rep, NULL);
  census_spool_item *item = NULL;
  while (scan != NULL && !atomic_load(&s->abort) &&
         census__spool_claim_next(s->spool, scan, &item, &rep) == CENSUS_OK) {
    request *r = census__calloc(1, sizeof *r);
    if (r == NULL) {
      census__spool_item_release(s->spool, item);
      break;
    }
    r->body = item->body; /* the request owns the body from now on */
    item->body = NULL;
    r->len = item->len;
    r->items = item->items;
    r->created_ns = item->created_ns;
    r->spooled = item;
    r->seq = 0; /* before every request of this process */
    pthread_mutex_lock(&s->mu);
    bool go = !s->stopping && !atomic_load(&s->abort);
    if (go) {
      s->inflight = r;
      atomic_store(&s->abort_inflight, false);
    }
    pthread_mutex_unlock(&s->mu);
    if (go) {
      deliver(s, r); /* returns with the mutex held */
      s->inflight = NULL;
      pthread_cond_broadcast(&s->done_cv);
      pthread_mutex_unlock(&s->mu);
    }
    if (go && (r->result == RESULT_DELIVERED || r->result == RESULT_FAILED)) {
      census__spool_item_done(s->spool, item);
    } else {
      census__spool_item_release(s->spool, item);
      go = false;
    }
    r->spooled = NULL;
    request_free(r);
    if (!go) {
      break;
    }
  }
  census__spool_scan_free(scan);
  pthread_mutex_lock(&s->mu);
  s->draining = false;
  pthread_cond_broadcast(&s->done_cv);
}

static void *run(void *arg) {
  census_http_sender *s = arg;
  pthread_mutex_lock(&s->mu);
  if (s->draining) {
    drain_spool(s);
  }
  for (;;) {
    while (s->head == NULL && !s->stopping) {
      pthread_cond_wait(&s->work_cv, &s->mu);
    }
    if (s->head == NULL || atomic_load(&s->abort)) {
      break;
    }
    request *r = pop_head_locked(s);
    s->inflight = r;
    atomic_store(&s->abort_inflight, false); /* it was about the previous request */
    s->last_failure[0] = '\0';
    pthread_mutex_unlock(&s->mu);
    deliver(s, r); /* returns with the mutex held */
    s->inflight = NULL;
    bool redrain = r->result == RESULT_DELIVERED && s->spool_written && !s->stopping;
    request_free(r);
    pthread_cond_broadcast(&s->done_cv);
    if (redrain) {
      /* The backend is back after this process spooled (a full queue): the spooled requests
       * are older than the queued ones, so they go first, now rather than at the next start. */
      s->spool_written = false;
      s->draining = true;
      drain_spool(s);
    }
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* Starts the delivery thread (and its curl handles) unless it runs. Called with the mutex. */
static census_status ensure_thread_locked(census_http_sender *s) {
  if (s->thread_running) {
    return CENSUS_OK;
  }
  /* The handles are made now, so that a wake-up from free() always finds them. */
  if (!census__http_client_prepare(&s->client)) {
    return CENSUS_ESYSTEM;
  }
  /* The thread takes no signals: they belong to the application's threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&s->thread, NULL, run, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    return CENSUS_ESYSTEM;
  }
  s->thread_running = true;
  return CENSUS_OK;
}

/* ---- public ------------------------------------------------------------------------------ */

static void unregister(census_http_sender *s) {
  pthread_mutex_lock(&registry_mu);
  for (census_http_sender **p = &registry; *p != NULL; p = &(*p)->registry_next) {
    if (*p == s) {
      *p = s->registry_next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_mu);
}

static void free_config(census_http_sender *s) {
  census__free(s->name);
  census__free(s->url);
  census__free(s->content_type);
  census__free(s->ca_file);
  census__free(s->client_cert);
  census__free(s->client_key);
  for (size_t i = 0; i < s->header_count; i++) {
    census__free(s->headers[i]);
  }
  census__free(s->headers);
}

/* Frees a sender whose thread is not running: curl handles, sync objects, configuration. */
static void sender_destroy(census_http_sender *s) {
  census__http_client_cleanup(&s->client);
  for (orphan *o = s->orphans; o != NULL;) {
    orphan *next = o->next;
    census__free(o); /* the handles themselves belong to an ancestor process's connections */
    o = next;
  }
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->work_cv);
  pthread_cond_destroy(&s->done_cv);
  census__spool_close(s->spool);
  free_config(s);
  census__free(s);
}

/* Copies the configuration into `s` (strings copied, defaults applied). False on ENOMEM (what
 * was copied is freed by free_config()). */
static bool copy_config(census_http_sender *s, const census_http_sender_config *config) {
  bool failed = false;
  s->name = dup_or_null(config->name != NULL ? config->name : "http sender", &failed);
  s->url = dup_or_null(config->url, &failed);
  s->content_type = dup_or_null(config->content_type, &failed);
  s->ca_file = dup_or_null(config->ca_file, &failed);
  s->client_cert = dup_or_null(config->client_cert, &failed);
  s->client_key = dup_or_null(config->client_key, &failed);
  if (config->header_count > 0) {
    s->headers = census__calloc(config->header_count, sizeof *s->headers);
    if (s->headers == NULL) {
      failed = true;
    } else {
      s->header_count = config->header_count;
      for (size_t i = 0; i < config->header_count; i++) {
        s->headers[i] = dup_or_null(config->headers[i] != NULL ? config->headers[i] : "", &failed);
      }
    }
  }
  s->gzip = config->gzip;
  s->grpc = config->grpc;
  s->timeout_ms = ms_or(config->timeout_ms, 10000);
  s->initial_backoff_ms = ms_or(config->initial_backoff_ms, 1000);
  s->max_backoff_ms = ms_or(config->max_backoff_ms, 30000);
  if (s->max_backoff_ms < s->initial_backoff_ms) {
    s->max_backoff_ms = s->initial_backoff_ms;
  }
  s->max_elapsed_ms = ms_or(config->max_elapsed_ms, 60000);
  s->max_queued = config->max_queued > 0 ? config->max_queued : 64;
  s->max_response_bytes =
      config->max_response_bytes > 0 ? config->max_response_bytes : (size_t)4 << 20;
  s->classify = config->classify;
  s->authorize = config->authorize;
  s->user = config->user;
  return !failed;
}

/* Opens the spool the configuration asks for (none: s->spool stays NULL). It is scoped by
 * service.name: the exporter's, else the resource default's (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, unknown_service:<executable>). CENSUS_OK, or the error of an unusable
 * spool_dir option (reported, naming the option). */
static census_status open_spool(census_http_sender *s, const census_http_sender_config *config) {
  const char *service = config->service_name;
  census_resource *resource = NULL;
  if (service == NULL && ((config->spool_dir != NULL && config->spool_dir[0] != '\0') ||
                          census__env_string(CENSUS_SPOOL_DIR_ENV) != NULL)) {
    census_status rst;
    resource = census__resource_build(NULL, NULL, 0, &rst);
    service = resource != NULL ? census__resource_get(resource, "service.name") : NULL;
  }
  census_status st = CENSUS_OK;
  s->spool = census__spool_open_configured("spool_dir", config->spool_dir, config->spool_max_bytes,
                                           service, s->name, s->url, NULL, &st);
  census__resource_free(resource);
  return st;
}

/* The synchronisation objects (condition variables on CLOCK_MONOTONIC) and the random state. */
static void init_sync(census_http_sender *s) {
  s->draining = s->spool != NULL;
  s->next_seq = 1;
  s->rng = seed_for(s);
  atomic_init(&s->abort, false);
  atomic_init(&s->abort_inflight, false);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->work_cv, &attr);
  pthread_cond_init(&s->done_cv, &attr);
  pthread_condattr_destroy(&attr);
}

census_http_sender *census__http_sender_new(const census_http_sender_config *config,
                                            census_status *status) {
  census_status unused;
  status = status != NULL ? status : &unused;
  if (config == NULL || config->url == NULL || config->url[0] == '\0' || config->classify == NULL ||
      (config->header_count > 0 && config->headers == NULL)) {
    *status = CENSUS_EINVAL;
    return NULL;
  }
  pthread_once(&global_once, global_init);
  census_http_sender *s = curl_ok ? census__calloc(1, sizeof *s) : NULL;
  if (s == NULL) {
    *status = curl_ok ? CENSUS_ENOMEM : CENSUS_ESYSTEM;
    return NULL;
  }
  *status = copy_config(s, config) ? open_spool(s, config) : CENSUS_ENOMEM;
  if (*status != CENSUS_OK) {
    free_config(s);
    census__free(s);
    return NULL;
  }
  init_sync(s);
  /* Registered before the thread starts, so that a fork() from now on sees the sender. */
  pthread_mutex_lock(&registry_mu);
  s->registry_next = registry;
  registry = s;
  pthread_mutex_unlock(&registry_mu);
  pthread_mutex_lock(&s->mu);
  *status = ensure_thread_locked(s);
  pthread_mutex_unlock(&s->mu);
  if (*status != CENSUS_OK) {
    unregister(s);
    sender_destroy(s);
    return NULL;
  }
  return s;
}

/* A submit the sender cannot take (shutting down, or no memory for the request `r`, NULL):
 * counts it as dropped, frees what it owns, and returns CENSUS_ESHUTDOWN or CENSUS_ENOMEM. Called
 * with the mutex; returns without it. */
static census_status refuse_locked(census_http_sender *s, request *r, char *body, uint64_t items) {
  notice note = {0};
  request tmp = {.items = items, .seq = UINT64_MAX};
  if (s->stopping) {
    drop_locked(s, &tmp, &note, "submitted after the sender began shutting down",
                CENSUS_EXPORTER_DROP_SHUTDOWN);
  } else {
    drop_locked(s, &tmp, &note, "out of memory", CENSUS_EXPORTER_DROP_OUT_OF_MEMORY);
  }
  census_status st = s->stopping ? CENSUS_ESHUTDOWN : CENSUS_ENOMEM;
  pthread_mutex_unlock(&s->mu);
  census__free(body);
  census__free(r);
  publish(s, &note);
  return st;
}

/* A queued request with r's (non-zero) supersede key was never attempted: r's body takes its
 * place (and its sequence number, so a flush that waited for the old one waits for the new),
 * counted as superseded. True when done (r itself is then unused); called with the mutex. */
static bool supersede_locked(census_http_sender *s, request *r) {
  if (r->supersede_key == 0) {
    return false;
  }
  for (request *q = s->head; q != NULL; q = q->next) {
    if (q->supersede_key == r->supersede_key) {
      census__free(q->body);
      q->body = r->body;
      q->len = r->len;
      q->items = r->items;
      q->created_ns = r->created_ns;
      s->stats.requests_superseded++;
      return true;
    }
  }
  return false;
}

bool census__http_sender_withdraw(census_http_sender *sender, uint64_t supersede_key) {
  if (sender == NULL || supersede_key == 0) {
    return false;
  }
  census_http_sender *s = sender;
  pthread_mutex_lock(&s->mu);
  request *prev = NULL, *q = s->head;
  while (q != NULL && q->supersede_key != supersede_key) {
    prev = q;
    q = q->next;
  }
  if (q != NULL) {
    if (prev != NULL) {
      prev->next = q->next;
    } else {
      s->head = q->next;
    }
    if (s->tail == q) {
      s->tail = prev;
    }
    s->queued--;
    s->stats.requests_superseded++;
  }
  pthread_mutex_unlock(&s->mu);
  if (q != NULL) {
    request_free(q);
  }
  return q != NULL;
}

census_status census__http_sender_submit(census_http_sender *sender, char *body, size_t len,
                                         uint64_t items, uint64_t supersede_key) {
  if (sender == NULL || (body == NULL && len > 0)) {
    census__free(body);
    return CENSUS_EINVAL;
  }
  census_http_sender *s = sender;
  notice note = {0};
  census_status st = CENSUS_OK;
  request *r = census__calloc(1, sizeof *r);
  pthread_mutex_lock(&s->mu);
  if (s->stopping || r == NULL) {
    return refuse_locked(s, r, body, items); /* unlocks */
  }
  r->body = body;
  r->len = len;
  r->items = items;
  r->supersede_key = supersede_key;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  r->created_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  if (supersede_locked(s, r)) {
    pthread_mutex_unlock(&s->mu);
    census__free(r);
    return CENSUS_OK;
  }
  request *victim = NULL;
  bool spool_victim = false;
  if (s->queued >= s->max_queued && s->head != NULL) {
    if (s->spool != NULL) {
      victim = take_oldest_locked(s);
      spool_victim = true;
    } else {
      victim = drop_oldest_locked(s, &note);
      st = CENSUS_ELIMIT;
    }
  }
  r->seq = s->next_seq++;
  if (s->tail != NULL) {
    s->tail->next = r;
  } else {
    s->head = r;
  }
  s->tail = r;
  s->queued++;
  if (ensure_thread_locked(s) != CENSUS_OK && st == CENSUS_OK) {
    st = CENSUS_ESYSTEM; /* stays queued; the next submit tries again to start the thread */
  }
  pthread_cond_signal(&s->work_cv);
  pthread_mutex_unlock(&s->mu);
  if (spool_victim) {
    /* On the submitting thread (census's export worker), not a recording thread. */
    spool_tally t;
    spool_requests(s, victim, CENSUS_EXPORTER_DROP_QUEUE_FULL, &t);
    if (t.failed_requests > 0 && st == CENSUS_OK) {
      st = CENSUS_ELIMIT;
    }
  }
  if (victim != NULL) {
    request_free(victim);
  }
  publish(s, &note);
  return st;
}

/* The flush at exit (or on a flush signal) ran out of time: nothing still pending will ever be
 * delivered. Counts every request still queued or in flight as dropped (exit_deadline), each once:
 * a request whose outcome is already counted is skipped, and the delivery thread counts nothing
 * more for the in-flight one (`abandoned`). Takes the queued ones out of the queue and frees them,
 * and aborts the attempt in flight, but leaves the sender working (no thread is stopped, nothing
 * else is freed): other threads may still run at exit, and after a signal the process may go on
 * (an earlier handler that does not end it). Records the self-metric and reports one diagnostic
 * line for all of it. The other place, with drop_oldest_locked(), where a request is lost for
 * want of room or time: a persistent spool would take the bodies here instead. */
static void spool_at_exit(census_http_sender *s);

static void abandon_at_exit(census_http_sender *s) {
  if (s->spool != NULL) {
    spool_at_exit(s);
    return;
  }
  pthread_mutex_lock(&s->mu);
  uint64_t requests = 0, items = 0;
  request *queued = s->head;
  s->head = s->tail = NULL;
  s->queued = 0;
  for (request *r = queued; r != NULL; r = r->next) {
    requests++;
    items += r->items;
    r->ended = true;
    mark_waiters_locked(s, r->seq);
  }
  request *r = s->inflight;
  bool abort_attempt = r != NULL && !r->ended && !r->abandoned;
  if (abort_attempt) {
    r->abandoned = true;
    requests++;
    items += r->items;
    mark_waiters_locked(s, r->seq);
    atomic_store(&s->abort_inflight, true);
    pthread_cond_broadcast(&s->work_cv); /* ends a retry wait */
  }
  s->stats.requests_dropped += requests;
  s->stats.items_dropped += items;
  notice note = {0};
  if (requests > 0) {
    int len = snprintf(note.diag, sizeof note.diag,
                       "%s: exit deadline reached, %llu requests (%llu items) not delivered",
                       s->name, (unsigned long long)requests, (unsigned long long)items);
    if (s->last_failure[0] != '\0' && len > 0 && (size_t)len < sizeof note.diag) {
      snprintf(note.diag + len, sizeof note.diag - (size_t)len, "; last failure: %s",
               s->last_failure);
    }
    note.drop_reason = CENSUS_EXPORTER_DROP_EXIT_DEADLINE;
    note.dropped = items;
  }
  pthread_cond_broadcast(&s->done_cv);
  bool running = s->thread_running;
  pthread_mutex_unlock(&s->mu);
  if (abort_attempt && running) {
    census__http_client_wakeup(&s->client); /* thread-safe; it lives as long as the thread */
  }
  free_requests(queued, NULL);
  publish(s, &note);
}

/* abandon_at_exit() with a spool: what is still queued or in flight goes to the spool instead of
 * being dropped. The queued requests are taken out of the queue; the in-flight one (its body is
 * never changed once queued, so a copy made under the mutex is safe while the thread still
 * attempts it) is marked abandoned and its attempt aborted, as without a spool. A request in
 * flight that the thread is delivering from the spool (an earlier process's) is only abandoned:
 * the thread gives its file back. Counted as spooled (or, what the spool refuses, dropped for
 * exit_deadline), with one diagnostic line. A request in flight may reach the backend after all
 * (its answer came too late): the next start then delivers it a second time. */
static void spool_at_exit(census_http_sender *s) {
  pthread_mutex_lock(&s->mu);
  request *list = s->head;
  s->head = s->tail = NULL;
  s->queued = 0;
  for (request *q = list; q != NULL; q = q->next) {
    q->ended = true;
    mark_waiters_locked(s, q->seq);
  }
  request *r = s->inflight;
  bool abort_attempt = r != NULL && !r->ended && !r->abandoned;
  if (abort_attempt) {
    r->abandoned = true;
    mark_waiters_locked(s, r->seq);
    if (r->spooled == NULL) {
      /* A copy, placed first: it is older than everything queued. */
      request *copy = census__calloc(1, sizeof *copy);
      char *body = copy != NULL ? census__malloc(r->len ? r->len : 1) : NULL;
      if (body != NULL) {
        memcpy(body, r->body, r->len);
        copy->body = body;
        copy->len = r->len;
        copy->items = r->items;
        copy->created_ns = r->created_ns;
        copy->next = list;
        list = copy;
      } else {
        census__free(copy);
        s->stats.requests_dropped++;
        s->stats.items_dropped += r->items;
        census_exporter_record_dropped(s->name, CENSUS_EXPORTER_DROP_EXIT_DEADLINE, r->items);
      }
    }
    atomic_store(&s->abort_inflight, true);
    pthread_cond_broadcast(&s->work_cv); /* ends a retry wait */
  }
  char last_failure[sizeof s->last_failure];
  snprintf(last_failure, sizeof last_failure, "%s", s->last_failure);
  pthread_cond_broadcast(&s->done_cv);
  bool running = s->thread_running;
  pthread_mutex_unlock(&s->mu);
  if (abort_attempt && running) {
    census__http_client_wakeup(&s->client); /* thread-safe; it lives as long as the thread */
  }
  if (list != NULL) {
    spool_tally t;
    spool_requests(s, list, CENSUS_EXPORTER_DROP_EXIT_DEADLINE, &t);
    char diag[DIAG_MAX];
    int len = snprintf(diag, sizeof diag,
                       "%s: exit deadline reached, %llu requests (%llu items) spooled for the "
                       "next start in %s",
                       s->name, (unsigned long long)t.requests, (unsigned long long)t.items,
                       census__spool_path(s->spool));
    if (t.failed_requests > 0 && len > 0 && (size_t)len < sizeof diag) {
      len += snprintf(diag + len, sizeof diag - (size_t)len,
                      ", %llu requests (%llu items) not delivered",
                      (unsigned long long)t.failed_requests, (unsigned long long)t.failed_items);
    }
    if (last_failure[0] != '\0' && len > 0 && (size_t)len < sizeof diag) {
      snprintf(diag + len, sizeof diag - (size_t)len, "; last failure: %s", last_failure);
    }
    report(diag);
    free_requests(list, NULL);
  }
}

/* Waits until every request submitted before the call has ended or the deadline passed; see
 * census__http_sender_flush(). */
static census_status flush_wait(census_http_sender *s, int64_t timeout_ms) {
  if (timeout_ms < 0) {
    timeout_ms = 0;
  } else if (timeout_ms > MS_MAX) {
    timeout_ms = MS_MAX;
  }
  pthread_mutex_lock(&s->mu);
  flush_waiter w = {s->waiters, s->next_seq - 1, mono_ns() + timeout_ms * 1000000, false};
  s->waiters = &w;
  pthread_cond_broadcast(&s->work_cv); /* a retry wait may now end earlier */
  census_status st = CENSUS_OK;
  while (pending_min_locked(s) <= w.upto) {
    if (!s->thread_running || mono_ns() >= w.deadline_ns) {
      st = CENSUS_ETIMEDOUT;
      break;
    }
    struct timespec ts = to_timespec(w.deadline_ns);
    pthread_cond_timedwait(&s->done_cv, &s->mu, &ts);
  }
  for (flush_waiter **p = &s->waiters; *p != NULL; p = &(*p)->next) {
    if (*p == &w) {
      *p = w.next;
      break;
    }
  }
  if (st == CENSUS_OK && w.dropped) {
    st = CENSUS_EEXPORT;
  }
  pthread_mutex_unlock(&s->mu);
  return st;
}

census_status census__http_sender_flush(census_http_sender *sender, int64_t timeout_ms) {
  if (sender == NULL) {
    return CENSUS_EINVAL;
  }
  census_status st = flush_wait(sender, timeout_ms);
  if (st == CENSUS_ETIMEDOUT && census_exporter_is_flushing_at_exit()) {
    abandon_at_exit(sender);
  }
  return st;
}

void census__http_sender_drop_unsent(census_http_sender *sender, uint64_t items, const char *reason,
                                     const char *diag) {
  if (sender == NULL) {
    return;
  }
  notice note = {0};
  pthread_mutex_lock(&sender->mu);
  sender->stats.requests_dropped++;
  sender->stats.items_dropped += items;
  pthread_mutex_unlock(&sender->mu);
  if (diag != NULL) {
    snprintf(note.diag, sizeof note.diag, "%s", diag);
  }
  note.drop_reason = reason;
  note.dropped = items;
  publish(sender, &note);
}

int64_t census__http_sender_last_error(census_http_sender *sender, char *out, size_t size) {
  if (size > 0) {
    out[0] = '\0';
  }
  if (sender == NULL || size == 0) {
    return 0;
  }
  pthread_mutex_lock(&sender->mu);
  snprintf(out, size, "%s", sender->last_error);
  int64_t when = sender->last_error_ns;
  pthread_mutex_unlock(&sender->mu);
  return when;
}

void census__http_sender_stats(census_http_sender *sender, census_http_stats *stats) {
  if (stats == NULL) {
    return;
  }
  if (sender == NULL) {
    memset(stats, 0, sizeof *stats);
    return;
  }
  pthread_mutex_lock(&sender->mu);
  *stats = sender->stats;
  pthread_mutex_unlock(&sender->mu);
}

void census__http_sender_free(census_http_sender *sender, int64_t timeout_ms) {
  census__http_sender_close(sender, timeout_ms, NULL);
}

census_status census__http_sender_close(census_http_sender *sender, int64_t timeout_ms,
                                        census_http_stats *final) {
  if (sender == NULL) {
    return CENSUS_OK;
  }
  census_http_sender *s = sender;
  census_status flushed = flush_wait(s, timeout_ms);

  unregister(s);

  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  atomic_store(&s->abort, true);
  bool running = s->thread_running;
  pthread_cond_broadcast(&s->work_cv);
  pthread_mutex_unlock(&s->mu);
  if (running) {
    census__http_client_wakeup(&s->client);
    pthread_join(s->thread, NULL);
  }

  /* The thread is gone: what is still queued will never be sent by this process. With a spool,
   * a later start sends it. */
  if (s->spool != NULL && s->head != NULL) {
    spool_tally t;
    spool_requests(s, s->head, CENSUS_EXPORTER_DROP_SHUTDOWN, &t);
    char diag[DIAG_MAX];
    snprintf(diag, sizeof diag,
             "%s: shutdown deadline reached, %llu queued requests (%llu items) spooled for the "
             "next start in %s",
             s->name, (unsigned long long)t.requests, (unsigned long long)t.items,
             census__spool_path(s->spool));
    if (t.requests > 0) {
      report(diag);
    }
    free_requests(s->head, NULL);
    s->head = s->tail = NULL;
  }
  uint64_t items = 0;
  uint64_t requests = free_requests(s->head, &items);
  if (requests > 0) {
    s->stats.requests_dropped += requests;
    s->stats.items_dropped += items;
    notice note = {0};
    snprintf(note.diag, sizeof note.diag,
             "%s: dropped %llu queued requests (%llu items) at shutdown", s->name,
             (unsigned long long)requests, (unsigned long long)items);
    note.drop_reason = CENSUS_EXPORTER_DROP_SHUTDOWN;
    note.dropped = items;
    publish(s, &note);
  }
  if (final != NULL) {
    *final = s->stats; /* the thread is gone: nothing changes them any more */
  }
  sender_destroy(s);
  return flushed;
}
