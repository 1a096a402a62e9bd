/* test_http_spool.c - the persistent spool of the push exporters (exporters/http/spool.c), on a
 * real filesystem in a fresh temporary directory per test, with real processes (fork, kill -9).
 *
 * Proves: bodies come back byte for byte with their metadata, oldest first by the creation time
 * in the header (ties by name), whatever order they were written in; a write interrupted by
 * kill -9 leaves only a temp file, which the next open or write removes and reports, and a
 * writer that holds the directory's lock when it dies does not block later writes; the total
 * size never exceeds the bound, the oldest files are dropped first with exact file, item and
 * byte counts, a file being delivered is never dropped, and a body that cannot fit is refused;
 * truncated, bad-CRC, bad-magic, empty and garbage files are deleted and counted, a newer
 * format version and another identity's file are left in place and counted, and every prefix
 * and every single-bit change of a valid file is refused by the parser; two processes draining
 * one spool deliver every file exactly once, a claim dies with its process, a released claim is
 * available again; services and senders never see each other's files; the age bound drops old
 * files; a bad directory gives CENSUS_ECONFIG naming the path and errno; the endpoint URL is
 * never written to disk or to diagnostics (it may carry credentials).
 * All of it is new: on main the spool does not exist (no test here can pass there).
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "census/census.h"
#include "spool.h"
#include "core/alloc.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

#define SECRET_URL                                                                                 \
  "https://user:hunter2-secret@collector.example:4318/v1/metrics?key=hunter2-secret"
#define SENDER "otlp metrics"
#define SERVICE "checkout"
#define CT "application/x-protobuf"

/* ---- Diagnostics capture ---- */

static char diag_log[64 * 1024];
static size_t diag_len;
static int diag_count;

static void capture(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  int n = snprintf(diag_log + diag_len, sizeof diag_log - diag_len, "%s\n", message);
  if (n > 0 && (size_t)n < sizeof diag_log - diag_len) {
    diag_len += (size_t)n;
  }
  diag_count++;
}

static void diag_reset(void) {
  diag_log[0] = '\0';
  diag_len = 0;
  diag_count = 0;
}

/* ---- Fixture: a fresh root per test ---- */

typedef struct fixture {
  char root[64];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->root, sizeof f->root, "/tmp/census-spool-XXXXXX");
  if (mkdtemp(f->root) == NULL) {
    return -1;
  }
  census_diagnostics_set_callback(capture, NULL);
  diag_reset();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
  int rc = system(cmd);
  (void)rc;
  free(f);
  return 0;
}

static census_spool *open_spool(const fixture *f, const char *service, const char *sender,
                                const char *url, uint64_t max_bytes, census_spool_report *r) {
  census_spool_config c = {0};
  c.dir = f->root;
  c.service = service;
  c.sender = sender;
  c.url = url;
  c.max_bytes = max_bytes;
  c.lock_timeout_ms = 300;
  census_status st = 1;
  char msg[256] = "";
  census_spool *sp = census__spool_open(&c, r, &st, msg, sizeof msg);
  if (sp == NULL) {
    print_error("open failed: %s\n", msg);
  }
  assert_non_null(sp);
  assert_int_equal(st, CENSUS_OK);
  return sp;
}

static census_status put(census_spool *sp, int64_t created_ns, uint64_t items, const char *body,
                         census_spool_report *r) {
  census_spool_meta m = {created_ns, items, CT, NULL};
  return census__spool_write(sp, &m, body, strlen(body), r);
}

/* Bytes one file takes for a body of n bytes (header: fixed part and four strings). */
static uint64_t file_size(const char *service, const char *sender, const char *encoding, size_t n) {
  return CENSUS_SPOOL_FIXED_HEADER + strlen(sender) + strlen(service) + strlen(CT) +
         strlen(encoding) + n;
}

/* Names in the spool's directory that end in `suffix` (or all but "." ".." when NULL). */
static int count_names(const char *dir, const char *prefix, const char *suffix) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name), sl = suffix ? strlen(suffix) : 0;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
      continue;
    }
    if (prefix && strncmp(de->d_name, prefix, strlen(prefix)) != 0) {
      continue;
    }
    if (suffix && (len < sl || strcmp(de->d_name + len - sl, suffix) != 0)) {
      continue;
    }
    n++;
  }
  closedir(d);
  return n;
}

/* The full path of the i-th (by name) .spool file of the spool. */
static void nth_file(census_spool *sp, int i, char *out, size_t size) {
  struct dirent **list;
  int n = scandir(census__spool_path(sp), &list, NULL, alphasort);
  assert_true(n >= 0);
  int k = 0;
  out[0] = '\0';
  for (int j = 0; j < n; j++) {
    size_t len = strlen(list[j]->d_name);
    if (len > 6 && strcmp(list[j]->d_name + len - 6, ".spool") == 0 && list[j]->d_name[0] != '.') {
      if (k++ == i) {
        snprintf(out, size, "%s/%s", census__spool_path(sp), list[j]->d_name);
      }
    }
    free(list[j]);
  }
  free(list);
  assert_true(out[0] != '\0');
}

/* Drains the spool: claims every deliverable file, appends each body to out (separated by
 * ','), removes it. Returns the number delivered. */
static int drain(census_spool *sp, char *out, size_t size, census_spool_report *r) {
  census_status st;
  census_spool_scan *scan = census__spool_scan(sp, r, &st);
  assert_non_null(scan);
  int n = 0;
  census_spool_item *item;
  out[0] = '\0';
  while (census__spool_claim_next(sp, scan, &item, r) == CENSUS_OK) {
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%.*s", n ? "," : "", (int)item->len, item->body);
    n++;
    census__spool_item_done(sp, item);
  }
  census__spool_scan_free(scan);
  return n;
}

/* ---- Tests ---- */

/* Bodies and metadata come back exactly, oldest first by header time (not write order), ties by
 * file name (write order within a process); delivered files are gone. */
static void round_trip_oldest_first(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  char binary[300];
  for (size_t i = 0; i < sizeof binary; i++) {
    binary[i] = (char)(i * 7);
  }
  census_spool_meta gz = {2000, 9, "application/json", "gzip"};
  assert_int_equal(census__spool_write(sp, &gz, binary, sizeof binary, &r), CENSUS_OK);
  assert_int_equal(put(sp, 3000, 3, "third", &r), CENSUS_OK);
  assert_int_equal(put(sp, 1000, 1, "first", &r), CENSUS_OK);
  assert_int_equal(put(sp, 3000, 4, "third-tie", &r), CENSUS_OK);
  assert_int_equal(r.files_written, 4);
  assert_int_equal(r.items_written, 17);
  assert_int_equal(census__spool_bytes(sp), r.bytes_written);
  uint64_t gz_size = CENSUS_SPOOL_FIXED_HEADER + strlen(SENDER) + strlen(SERVICE) +
                     strlen("application/json") + strlen("gzip") + sizeof binary;
  assert_int_equal(r.bytes_written, gz_size + file_size(SERVICE, SENDER, "", 5) +
                                        file_size(SERVICE, SENDER, "", 5) +
                                        file_size(SERVICE, SENDER, "", 9));

  census_status st;
  census_spool_scan *scan = census__spool_scan(sp, &r, &st);
  assert_non_null(scan);
  assert_int_equal(census__spool_scan_remaining(scan), 4);
  census_spool_item *it;
  assert_int_equal(census__spool_claim_next(sp, scan, &it, &r), CENSUS_OK);
  assert_int_equal(it->created_ns, 1000);
  assert_int_equal(it->items, 1);
  assert_string_equal(it->content_type, CT);
  assert_string_equal(it->content_encoding, "");
  assert_int_equal(it->len, 5);
  assert_memory_equal(it->body, "first", 5);
  census__spool_item_done(sp, it);

  assert_int_equal(census__spool_claim_next(sp, scan, &it, &r), CENSUS_OK);
  assert_int_equal(it->created_ns, 2000);
  assert_int_equal(it->items, 9);
  assert_string_equal(it->content_type, "application/json");
  assert_string_equal(it->content_encoding, "gzip");
  assert_int_equal(it->len, sizeof binary);
  assert_memory_equal(it->body, binary, sizeof binary);
  census__spool_item_done(sp, it);

  assert_int_equal(census__spool_claim_next(sp, scan, &it, &r), CENSUS_OK);
  assert_memory_equal(it->body, "third", 5);
  assert_int_equal(it->items, 3);
  census__spool_item_done(sp, it);
  assert_int_equal(census__spool_claim_next(sp, scan, &it, &r), CENSUS_OK);
  assert_int_equal(it->len, 9);
  assert_memory_equal(it->body, "third-tie", 9);
  census__spool_item_done(sp, it);
  assert_int_equal(census__spool_claim_next(sp, scan, &it, &r), CENSUS_ENOTFOUND);
  census__spool_scan_free(scan);

  assert_int_equal(count_names(census__spool_path(sp), NULL, ".spool"), 0);
  assert_int_equal(census__spool_bytes(sp), 0);
  assert_int_equal(r.files_corrupt + r.files_skipped + r.files_evicted + r.temps_removed, 0);
  /* A process that reopens finds nothing left to deliver. */
  census__spool_close(sp);
  sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 0);
  census__spool_close(sp);
}

/* A crash mid-write leaves a temp file (never a half file under a final name): it is not
 * delivered, and the next open removes and reports it. */
static void torn_temp_file_removed_at_open(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  assert_int_equal(put(sp, 100, 1, "whole", &r), CENSUS_OK);
  char full[512], temp[600];
  nth_file(sp, 0, full, sizeof full);
  /* What a writer killed between write() and rename() leaves: a partial copy under a temp name. */
  snprintf(temp, sizeof temp, "%s/.tmp-00000000000000000200-1-0-deadbeef.spool",
           census__spool_path(sp));
  FILE *t = fopen(temp, "w");
  assert_non_null(t);
  fputs("CNSSPOOL\x01", t);
  fclose(t);
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 1); /* the temp file is not a spool file */
  assert_string_equal(out, "whole");
  assert_int_equal(count_names(census__spool_path(sp), ".tmp-", NULL), 1);
  census__spool_close(sp);

  diag_reset();
  census_spool_report r2 = {0};
  sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r2);
  assert_int_equal(r2.temps_removed, 1);
  assert_int_equal(count_names(census__spool_path(sp), ".tmp-", NULL), 0);
  assert_non_null(strstr(diag_log, "died mid-write"));
  census__spool_close(sp);
}

/* A real writer killed with SIGKILL while it holds the directory lock with a temp file written:
 * a write meanwhile times out (CENSUS_ETIMEDOUT, reported); after the kill the lock is free, the
 * next write succeeds and removes the torn temp file. */
static void writer_killed_mid_write(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  fflush(NULL);
  pid_t child = fork_quiet();
  assert_true(child >= 0);
  if (child == 0) {
    /* The writer's steps up to the crash: take .lock, write part of a temp file. */
    char path[600];
    snprintf(path, sizeof path, "%s/.lock", census__spool_path(sp));
    int lock = open(path, O_RDWR | O_CREAT, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
      _exit(1);
    }
    snprintf(path, sizeof path, "%s/.tmp-00000000000000000500-%ld-0-00000000.spool",
             census__spool_path(sp), (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, "CNSSPOOL", 8) != 8) {
      _exit(2);
    }
    if (write(ready[1], "x", 1) != 1) {
      _exit(3);
    }
    pause();
    _exit(0);
  }
  char c;
  assert_int_equal(read(ready[0], &c, 1), 1);
  diag_reset();
  assert_int_equal(put(sp, 600, 1, "blocked", &r), CENSUS_ETIMEDOUT);
  assert_non_null(strstr(diag_log, "could not take .lock"));
  assert_int_equal(kill(child, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(put(sp, 700, 2, "after", &r), CENSUS_OK);
  assert_int_equal(r.temps_removed, 1);
  assert_int_equal(count_names(census__spool_path(sp), ".tmp-", NULL), 0);
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 1);
  assert_string_equal(out, "after");
  close(ready[0]);
  close(ready[1]);
  census__spool_close(sp);
}

/* The bound: with room for exactly 3 files, 3 fit without eviction (N), the 4th drops exactly
 * the oldest one (N+1), the 6th the next two oldest in total; the spool's size never exceeds the
 * bound after any write; counts of files, items and bytes are exact; the newest survive. */
static void bound_drops_oldest_counted(void **state) {
  fixture *f = *state;
  uint64_t one = file_size(SERVICE, SENDER, "", 4); /* every body is 4 bytes */
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 3 * one, &r);
  char body[8];
  for (int i = 1; i <= 3; i++) {
    snprintf(body, sizeof body, "b%03d", i);
    assert_int_equal(put(sp, i * 10, (uint64_t)i, body, &r), CENSUS_OK);
    assert_true(census__spool_bytes(sp) <= 3 * one);
  }
  assert_int_equal(census__spool_bytes(sp), 3 * one); /* exactly full, nothing dropped */
  assert_int_equal(r.files_evicted, 0);
  for (int i = 4; i <= 6; i++) {
    snprintf(body, sizeof body, "b%03d", i);
    assert_int_equal(put(sp, i * 10, (uint64_t)i, body, &r), CENSUS_OK);
    assert_true(census__spool_bytes(sp) <= 3 * one);
    assert_int_equal(r.files_evicted, (uint64_t)(i - 3));
  }
  assert_int_equal(r.items_evicted, 1 + 2 + 3);
  assert_int_equal(r.bytes_evicted, 3 * one);
  assert_non_null(strstr(diag_log, "dropped the 1 oldest file(s) (1 items"));
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 3);
  assert_string_equal(out, "b004,b005,b006");

  /* A body that can never fit is refused without touching the spool. */
  assert_int_equal(put(sp, 70, 7, "b007", &r), CENSUS_OK);
  char big[400]; /* its file is larger than the bound of three 4-byte files */
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  uint64_t evicted = r.files_evicted;
  diag_reset();
  assert_int_equal(put(sp, 80, 8, big, &r), CENSUS_ELIMIT);
  assert_int_equal(r.files_evicted, evicted);
  assert_int_equal(census__spool_bytes(sp), one);
  assert_non_null(strstr(diag_log, "larger than the spool's bound"));
  census__spool_close(sp);
}

/* A file claimed for delivery is never evicted: the next oldest goes instead; when only claimed
 * files are left and there is no room, the new body is refused (the bound holds). A released
 * claim makes the file available again. */
static void bound_spares_claimed_files(void **state) {
  fixture *f = *state;
  uint64_t one = file_size(SERVICE, SENDER, "", 4);
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 2 * one, &r);
  assert_int_equal(put(sp, 10, 1, "b001", &r), CENSUS_OK);
  assert_int_equal(put(sp, 20, 2, "b002", &r), CENSUS_OK);
  census_status st;
  census_spool_scan *scan = census__spool_scan(sp, &r, &st);
  census_spool_item *held;
  assert_int_equal(census__spool_claim_next(sp, scan, &held, &r), CENSUS_OK);
  assert_memory_equal(held->body, "b001", 4);
  assert_int_equal(put(sp, 30, 3, "b003", &r), CENSUS_OK); /* drops b002, not the claimed b001 */
  assert_int_equal(r.files_evicted, 1);
  assert_int_equal(r.items_evicted, 2);
  census_spool_item *held2;
  census_spool_scan *scan2 = census__spool_scan(sp, &r, &st);
  assert_int_equal(census__spool_claim_next(sp, scan2, &held2, &r), CENSUS_OK);
  assert_memory_equal(held2->body, "b003", 4); /* b001 is claimed: passed over */
  census_spool_item *none;
  assert_int_equal(census__spool_claim_next(sp, scan2, &none, &r), CENSUS_ENOTFOUND);
  diag_reset();
  assert_int_equal(put(sp, 40, 4, "b004", &r), CENSUS_ELIMIT);
  assert_non_null(strstr(diag_log, "being delivered"));
  assert_true(census__spool_bytes(sp) <= 2 * one);
  assert_int_equal(r.files_evicted, 1);
  census__spool_item_release(sp, held2); /* delivery failed: b003 stays */
  census__spool_scan_free(scan2);
  census__spool_scan_free(scan);
  census__spool_item_done(sp, held); /* b001 delivered */
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 1);
  assert_string_equal(out, "b003");
  census__spool_close(sp);
}

static void overwrite_at(const char *path, long offset, const void *bytes, size_t n) {
  int fd = open(path, O_WRONLY);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, bytes, n, offset), (ssize_t)n);
  close(fd);
}

/* Damaged files are deleted and counted, never delivered and never a crash; a newer format
 * version is left in place and counted; the good files around them are all delivered. */
static void corrupt_files_skipped_and_reported(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  const char *bodies[] = {"good-1",  "bad-crc",  "truncated", "good-2", "newer",
                          "bad-mag", "trailing", "bad-len",   "good-3"};
  for (int i = 0; i < 9; i++) {
    assert_int_equal(put(sp, (i + 1) * 100, 1, bodies[i], &r), CENSUS_OK);
  }
  char path[600];
  nth_file(sp, 1, path, sizeof path);
  overwrite_at(path, (long)file_size(SERVICE, SENDER, "", 0) + 2, "X", 1); /* body byte */
  nth_file(sp, 2, path, sizeof path);
  assert_int_equal(truncate(path, (off_t)file_size(SERVICE, SENDER, "", 3)), 0);
  nth_file(sp, 4, path, sizeof path);
  overwrite_at(path, 8, "\x02\x00", 2); /* format version 2 */
  nth_file(sp, 5, path, sizeof path);
  overwrite_at(path, 0, "XNSSPOOL", 8);
  nth_file(sp, 6, path, sizeof path);
  FILE *t = fopen(path, "a");
  fputs("!!", t);
  fclose(t);
  nth_file(sp, 7, path, sizeof path);
  overwrite_at(path, 10, "\xff\x7f", 2); /* header length out of range */
  /* An empty file and random garbage under final names. */
  snprintf(path, sizeof path, "%s/00000000000000000050-1-1-00000000.spool", census__spool_path(sp));
  fclose(fopen(path, "w"));
  snprintf(path, sizeof path, "%s/00000000000000000060-1-2-00000000.spool", census__spool_path(sp));
  t = fopen(path, "w");
  for (int i = 0; i < 5000; i++) {
    fputc((i * 131) & 0xff, t);
  }
  fclose(t);
  /* A name that is not a spool name is ignored entirely. */
  snprintf(path, sizeof path, "%s/notes.txt", census__spool_path(sp));
  fclose(fopen(path, "w"));

  diag_reset();
  char out[128];
  assert_int_equal(drain(sp, out, sizeof out, &r), 3);
  assert_string_equal(out, "good-1,good-2,good-3");
  assert_int_equal(r.files_corrupt,
                   7); /* crc, truncated, magic, trailing, length, empty, garbage */
  assert_int_equal(r.files_skipped, 1);
  assert_non_null(strstr(diag_log, "CRC mismatch"));
  assert_non_null(strstr(diag_log, "truncated"));
  assert_non_null(strstr(diag_log, "bad magic"));
  assert_non_null(strstr(diag_log, "trailing bytes"));
  assert_non_null(strstr(diag_log, "format version 2"));
  assert_int_equal(count_names(census__spool_path(sp), NULL, ".spool"), 1); /* the newer one */
  assert_int_equal(count_names(census__spool_path(sp), "notes", NULL), 1);
  census__spool_close(sp);
}

/* Every proper prefix of a valid file and every single-bit change in it is refused (CRC32
 * detects all single-bit errors; the version field may instead read as "newer"). */
static void parser_refuses_every_prefix_and_bit_flip(void **state) {
  (void)state;
  census_spool_meta m = {123456789, 42, CT, "gzip"};
  char *file;
  size_t len;
  const char body[] = "a body of some bytes";
  assert_int_equal(census__spool_encode(&m, SENDER, SERVICE, 77, body, sizeof body, &file, &len),
                   CENSUS_OK);
  census_spool_header h;
  char why[160];
  assert_int_equal(census__spool_parse(file, len, &h, why, sizeof why), CENSUS_SPOOL_VALID);
  assert_int_equal(h.created_ns, 123456789);
  assert_int_equal(h.items, 42);
  assert_int_equal(h.identity, 77);
  assert_int_equal(h.body_len, sizeof body);
  assert_int_equal(h.header_len, len - sizeof body);
  assert_int_equal(h.sender_len, strlen(SENDER));
  assert_memory_equal(h.sender, SENDER, h.sender_len);
  assert_memory_equal(h.service, SERVICE, h.service_len);
  assert_memory_equal(h.content_encoding, "gzip", 4);
  for (size_t n = 0; n < len; n++) {
    assert_int_equal(census__spool_parse(file, n, &h, why, sizeof why), CENSUS_SPOOL_CORRUPT);
  }
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      file[i] ^= (char)(1 << bit);
      census_spool_check c = census__spool_parse(file, len, &h, why, sizeof why);
      if (c == CENSUS_SPOOL_VALID) {
        fail_msg("bit %d of byte %zu flipped and still valid", bit, i);
      }
      file[i] ^= (char)(1 << bit);
    }
  }
  census__free(file); /* census__spool_encode() allocated it */
  /* Strings that cannot be stored are refused at encoding. */
  census_spool_meta bad = {1, 1, "text/plain\n", NULL};
  assert_int_equal(census__spool_encode(&bad, SENDER, SERVICE, 1, "x", 1, &file, &len),
                   CENSUS_EINVAL);
  census_spool_meta zero = {0, 1, CT, NULL};
  assert_int_equal(census__spool_encode(&zero, SENDER, SERVICE, 1, "x", 1, &file, &len),
                   CENSUS_EINVAL);
}

/* Files written by an independent writer from the documented format (Python, struct + zlib:
 * tests/fuzz/corpus/spool/, made for the fuzz target's seeds) parse with the fields it wrote. */
static void documented_format_read(void **state) {
  (void)state;
  static const struct {
    const char *file;
    census_spool_check check;
    int64_t created_ns;
    uint64_t items;
    const char *sender, *encoding;
  } cases[] = {
      {"metrics_protobuf", CENSUS_SPOOL_VALID, 1700000000000000000, 12, "otlp metrics", ""},
      {"traces_gzip_json", CENSUS_SPOOL_VALID, 1700000000123456789, 3, "otlp traces", "gzip"},
      {"empty_body", CENSUS_SPOOL_VALID, 1, 0, "zipkin", ""},
      {"newer_version", CENSUS_SPOOL_NEWER, 0, 0, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CENSUS_TEST_SPOOL_CORPUS, cases[i].file);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    census_spool_header h;
    char why[160] = "";
    assert_int_equal(census__spool_parse(buf, n, &h, why, sizeof why), cases[i].check);
    if (cases[i].check == CENSUS_SPOOL_VALID) {
      assert_int_equal(h.created_ns, cases[i].created_ns);
      assert_int_equal(h.items, cases[i].items);
      assert_int_equal(h.sender_len, strlen(cases[i].sender));
      assert_memory_equal(h.sender, cases[i].sender, h.sender_len);
      assert_int_equal(h.content_encoding_len, strlen(cases[i].encoding));
    } else {
      assert_non_null(strstr(why, "format version 2"));
    }
  }
}

/* Two processes drain one spool of 40 files at the same time (plus the parent): every file is
 * delivered exactly once in total. */
static void two_processes_claim_each_file_once(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  enum { FILES = 40 };
  for (int i = 0; i < FILES; i++) {
    char body[16];
    snprintf(body, sizeof body, "%d", i);
    assert_int_equal(put(sp, 1000 + i, 1, body, &r), CENSUS_OK);
  }
  int results[2], go[2];
  assert_int_equal(pipe(results), 0);
  assert_int_equal(pipe(go), 0);
  fflush(NULL);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork_quiet();
    assert_true(kids[k] >= 0);
    if (kids[k] == 0) {
      census_spool_report cr = {0};
      census_spool *csp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &cr);
      char c;
      if (read(go[0], &c, 1) != 1) {
        _exit(1);
      }
      census_status st;
      census_spool_scan *scan = census__spool_scan(csp, &cr, &st);
      census_spool_item *it;
      while (scan && census__spool_claim_next(csp, scan, &it, &cr) == CENSUS_OK) {
        char line[32];
        int n = snprintf(line, sizeof line, "%.*s\n", (int)it->len, it->body);
        usleep(1000); /* "delivering" */
        census__spool_item_done(csp, it);
        if (write(results[1], line, (size_t)n) != n) {
          _exit(2);
        }
      }
      census__spool_scan_free(scan);
      census__spool_close(csp);
      _exit(0);
    }
  }
  close(results[1]);
  assert_int_equal(write(go[1], "xx", 2), 2);
  for (int k = 0; k < 2; k++) {
    int status;
    assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int seen[FILES] = {0};
  FILE *in = fdopen(results[0], "r");
  int v, total = 0;
  while (fscanf(in, "%d", &v) == 1) {
    assert_true(v >= 0 && v < FILES);
    seen[v]++;
    total++;
  }
  fclose(in);
  assert_int_equal(total, FILES);
  for (int i = 0; i < FILES; i++) {
    assert_int_equal(seen[i], 1);
  }
  assert_int_equal(count_names(census__spool_path(sp), NULL, ".spool"), 0);
  close(go[0]);
  close(go[1]);
  census__spool_close(sp);
}

/* A claim held by a live process keeps the file from others; after that process is killed with
 * SIGKILL the file is claimable again (nothing is lost with the claimer). */
static void dead_claimer_file_recovered(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  assert_int_equal(put(sp, 10, 5, "orphan", &r), CENSUS_OK);
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  fflush(NULL);
  pid_t child = fork_quiet();
  assert_true(child >= 0);
  if (child == 0) {
    census_status st;
    census_spool_scan *scan = census__spool_scan(sp, NULL, &st);
    census_spool_item *it;
    if (scan == NULL || census__spool_claim_next(sp, scan, &it, NULL) != CENSUS_OK ||
        write(ready[1], "x", 1) != 1) {
      _exit(1);
    }
    pause();
    _exit(0);
  }
  char c;
  assert_int_equal(read(ready[0], &c, 1), 1);
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 0); /* claimed by the child */
  assert_int_equal(count_names(census__spool_path(sp), NULL, ".spool"), 1);
  assert_int_equal(kill(child, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_int_equal(drain(sp, out, sizeof out, &r), 1);
  assert_string_equal(out, "orphan");
  close(ready[0]);
  close(ready[1]);
  census__spool_close(sp);
}

/* Services, senders and endpoints each get their own directory: none delivers another's files;
 * a file moved into another identity's directory is skipped and left in place. */
static void identities_are_separate(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *a = open_spool(f, "svc-a", "otlp metrics", "http://h:4318/v1/metrics", 0, &r);
  census_spool *b = open_spool(f, "svc-b", "otlp metrics", "http://h:4318/v1/metrics", 0, &r);
  census_spool *t = open_spool(f, "svc-a", "otlp traces", "http://h:4318/v1/traces", 0, &r);
  census_spool *u = open_spool(f, "svc-a", "otlp metrics", "http://other:4318/v1/metrics", 0, &r);
  assert_int_equal(put(a, 1, 1, "a-metrics", &r), CENSUS_OK);
  assert_int_equal(put(b, 1, 1, "b-metrics", &r), CENSUS_OK);
  assert_int_equal(put(t, 1, 1, "a-traces", &r), CENSUS_OK);
  assert_int_equal(put(u, 1, 1, "a-other-url", &r), CENSUS_OK);
  assert_string_not_equal(census__spool_path(a), census__spool_path(u));
  char from[600], to[700], out[64];
  nth_file(a, 0, from, sizeof from);
  snprintf(to, sizeof to, "%s/%s", census__spool_path(t), strrchr(from, '/') + 1);
  assert_int_equal(rename(from, to), 0);
  census_spool_report rt = {0};
  assert_int_equal(drain(t, out, sizeof out, &rt), 1);
  assert_string_equal(out, "a-traces");
  assert_int_equal(rt.files_skipped, 1);
  assert_int_equal(count_names(census__spool_path(t), NULL, ".spool"), 1);
  assert_int_equal(drain(a, out, sizeof out, &r), 0);
  assert_int_equal(drain(b, out, sizeof out, &r), 1);
  assert_string_equal(out, "b-metrics");
  assert_int_equal(drain(u, out, sizeof out, &r), 1);
  assert_string_equal(out, "a-other-url");
  census__spool_close(a);
  census__spool_close(b);
  census__spool_close(t);
  census__spool_close(u);
}

/* With an age bound, files older than it are dropped (counted with their items), younger ones
 * delivered. */
static void age_bound_drops_old_files(void **state) {
  fixture *f = *state;
  census_spool_config c = {0};
  c.dir = f->root;
  c.service = SERVICE;
  c.sender = SENDER;
  c.url = SECRET_URL;
  c.max_age_ms = 3600 * 1000;
  census_spool_report r = {0};
  census_spool *sp = census__spool_open(&c, &r, NULL, NULL, 0);
  assert_non_null(sp);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  assert_int_equal(put(sp, now_ns - (int64_t)7200 * 1000000000, 11, "old", &r), CENSUS_OK);
  assert_int_equal(put(sp, now_ns - (int64_t)60 * 1000000000, 2, "recent", &r), CENSUS_OK);
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 1);
  assert_string_equal(out, "recent");
  assert_int_equal(r.files_expired, 1);
  assert_int_equal(r.items_expired, 11);
  census__spool_close(sp);
}

/* Bad directories: CENSUS_ECONFIG with a message naming the path, the errno name and what to
 * do; a missing sender or URL is CENSUS_EINVAL. */
static void bad_directory_clear_errors(void **state) {
  fixture *f = *state;
  char missing[128], file[128], msg[512];
  snprintf(missing, sizeof missing, "%s/does-not-exist", f->root);
  census_spool_config c = {0};
  c.dir = missing;
  c.sender = SENDER;
  c.url = SECRET_URL;
  census_status st = 0;
  assert_null(census__spool_open(&c, NULL, &st, msg, sizeof msg));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(msg, missing));
  assert_non_null(strstr(msg, "ENOENT"));
  assert_non_null(strstr(msg, "create it"));

  snprintf(file, sizeof file, "%s/plain-file", f->root);
  fclose(fopen(file, "w"));
  c.dir = file;
  assert_null(census__spool_open(&c, NULL, &st, msg, sizeof msg));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(msg, file));
  assert_non_null(strstr(msg, "ENOTDIR"));

  if (geteuid() != 0) { /* root may write anywhere */
    char ro[128];
    snprintf(ro, sizeof ro, "%s/read-only", f->root);
    assert_int_equal(mkdir(ro, 0500), 0);
    c.dir = ro;
    assert_null(census__spool_open(&c, NULL, &st, msg, sizeof msg));
    assert_int_equal(st, CENSUS_ECONFIG);
    assert_non_null(strstr(msg, "not writable"));
    assert_non_null(strstr(msg, "EACCES"));
  }
  /* A service directory that is a file: named with ENOTDIR. */
  c.dir = f->root;
  c.service = "svc";
  census_spool *sp = census__spool_open(&c, NULL, &st, msg, sizeof msg);
  assert_non_null(sp);
  char svc_dir[600];
  snprintf(svc_dir, sizeof svc_dir, "%s", census__spool_path(sp));
  *strrchr(svc_dir, '/') = '\0';
  census__spool_close(sp);
  char cmd[1300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && touch '%s'", svc_dir, svc_dir);
  assert_int_equal(system(cmd), 0);
  assert_null(census__spool_open(&c, NULL, &st, msg, sizeof msg));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_non_null(strstr(msg, svc_dir));
  assert_non_null(strstr(msg, "ENOTDIR"));

  c.sender = NULL;
  assert_null(census__spool_open(&c, NULL, &st, msg, sizeof msg));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_null(census__spool_open(NULL, NULL, &st, NULL, 0));
  assert_int_equal(st, CENSUS_EINVAL);
}

/* The API option wins over CENSUS_SPOOL_DIR and CENSUS_SPOOL_MAX_BYTES; without either there is
 * no spool; a bad option is CENSUS_ECONFIG reported under the option's name; a bad variable is
 * reported under its name and leaves the exporter without a spool (CENSUS_OK). */
static void configuration_api_wins_over_env(void **state) {
  fixture *f = *state;
  char env_root[128], msg_dir[128];
  snprintf(env_root, sizeof env_root, "%s/from-env", f->root);
  assert_int_equal(mkdir(env_root, 0700), 0);
  census_status st = 1;
  unsetenv(CENSUS_SPOOL_DIR_ENV);
  unsetenv(CENSUS_SPOOL_MAX_BYTES_ENV);
  assert_null(
      census__spool_open_configured("spool_dir", NULL, 0, SERVICE, SENDER, SECRET_URL, NULL, &st));
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(diag_count, 0);

  setenv(CENSUS_SPOOL_DIR_ENV, env_root, 1);
  setenv(CENSUS_SPOOL_MAX_BYTES_ENV, "1KiB", 1);
  census_spool *sp =
      census__spool_open_configured("spool_dir", "", 0, SERVICE, SENDER, SECRET_URL, NULL, &st);
  assert_non_null(sp);
  assert_int_equal(strncmp(census__spool_path(sp), env_root, strlen(env_root)), 0);
  char body[1100];
  memset(body, 'x', sizeof body - 1);
  body[sizeof body - 1] = '\0';
  assert_int_equal(put(sp, 1, 1, body, NULL), CENSUS_ELIMIT); /* the 1 KiB bound applies */
  census__spool_close(sp);

  sp = census__spool_open_configured("spool_dir", f->root, 4096, SERVICE, SENDER, SECRET_URL, NULL,
                                     &st);
  assert_non_null(sp);
  assert_int_equal(strncmp(census__spool_path(sp), env_root, strlen(env_root)) == 0, 0);
  assert_int_equal(put(sp, 1, 1, body, NULL), CENSUS_OK); /* 4096 from the API wins */
  census__spool_close(sp);

  snprintf(msg_dir, sizeof msg_dir, "%s/missing", f->root);
  diag_reset();
  assert_null(census__spool_open_configured("spool_dir", msg_dir, 0, SERVICE, SENDER, SECRET_URL,
                                            NULL, &st));
  assert_int_equal(st, CENSUS_ECONFIG);
  assert_int_equal(diag_count, 1);
  assert_non_null(strstr(diag_log, "spool_dir"));
  assert_non_null(strstr(diag_log, msg_dir));
  assert_non_null(strstr(diag_log, "ENOENT"));

  setenv(CENSUS_SPOOL_DIR_ENV, msg_dir, 1);
  diag_reset();
  assert_null(
      census__spool_open_configured("spool_dir", NULL, 0, SERVICE, SENDER, SECRET_URL, NULL, &st));
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(diag_count, 1);
  assert_non_null(strstr(diag_log, CENSUS_SPOOL_DIR_ENV));
  assert_non_null(strstr(diag_log, "without a spool"));
  assert_null(strstr(diag_log, "hunter2"));
  unsetenv(CENSUS_SPOOL_DIR_ENV);
  unsetenv(CENSUS_SPOOL_MAX_BYTES_ENV);
}

/* The URL (with its credentials) appears in no file, no directory name and no diagnostic. */
static void url_never_written(void **state) {
  fixture *f = *state;
  census_spool_report r = {0};
  census_spool *sp = open_spool(f, SERVICE, SENDER, SECRET_URL, 0, &r);
  assert_int_equal(put(sp, 1, 1, "body", &r), CENSUS_OK);
  char path[600];
  nth_file(sp, 0, path, sizeof path);
  overwrite_at(path, 20, "\x01", 1); /* damage it, so that it is reported */
  char out[64];
  assert_int_equal(drain(sp, out, sizeof out, &r), 0);
  assert_int_equal(r.files_corrupt, 1);
  assert_int_equal(put(sp, 2, 1, "body", &r), CENSUS_OK);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "grep -r hunter2 '%s' >/dev/null; echo $?", f->root);
  FILE *p = popen(cmd, "r");
  int rc = -1;
  assert_int_equal(fscanf(p, "%d", &rc), 1);
  pclose(p);
  assert_int_equal(rc, 1); /* grep found nothing */
  assert_null(strstr(census__spool_path(sp), "hunter2"));
  assert_true(diag_count > 0);
  assert_null(strstr(diag_log, "hunter2"));
  census__spool_close(sp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(round_trip_oldest_first, setup, teardown),
      cmocka_unit_test_setup_teardown(torn_temp_file_removed_at_open, setup, teardown),
      cmocka_unit_test_setup_teardown(writer_killed_mid_write, setup, teardown),
      cmocka_unit_test_setup_teardown(bound_drops_oldest_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(bound_spares_claimed_files, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupt_files_skipped_and_reported, setup, teardown),
      cmocka_unit_test(parser_refuses_every_prefix_and_bit_flip),
      cmocka_unit_test(documented_format_read),
      cmocka_unit_test_setup_teardown(two_processes_claim_each_file_once, setup, teardown),
      cmocka_unit_test_setup_teardown(dead_claimer_file_recovered, setup, teardown),
      cmocka_unit_test_setup_teardown(identities_are_separate, setup, teardown),
      cmocka_unit_test_setup_teardown(age_bound_drops_old_files, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_directory_clear_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(configuration_api_wins_over_env, setup, teardown),
      cmocka_unit_test_setup_teardown(url_never_written, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
