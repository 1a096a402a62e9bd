/* spool.c - the persistent spool of undeliverable request bodies (see spool.h for the model).
 *
 * Layout. <root>/<service>-<h1>/<sender>-<h2>/ where <service> and <sender> are the names with
 * every byte outside [A-Za-z0-9._-] made '_' (at most 48 bytes, no leading '.'), h1 the 64-bit
 * FNV-1a hash of the service name and h2 the identity hash of (service, sender, URL), both in
 * 16 hex digits. The URL itself is never written anywhere: it may carry credentials.
 * In that directory:
 *   <created_ns, 20 digits>-<pid>-<seq>-<random 8 hex>.spool   one complete request body each
 *   .tmp-<same name>                                           a write in progress (or a torn one)
 *   .lock                                                      flock()ed by a writer throughout
 *                                                              its write
 * Any other name is ignored (neither delivered nor deleted nor counted).
 *
 * Atomicity. A writer holds .lock for its whole write: it removes the temp files it finds (with
 * the lock held, a temp file can only be the remains of a writer that died), drops the oldest
 * files to make room, writes the temp file, fsync()s it, renames it to its final name and
 * fsync()s the directory. A reader therefore only ever sees complete files under final names,
 * or nothing; a crash leaves a temp file that the next writer (or open) removes and reports.
 * Holding .lock through eviction is also what keeps the bound exact across processes.
 *
 * Claims. A reader claims a file by flock(LOCK_EX | LOCK_NB) on its own open descriptor; the
 * kernel releases it when the process dies, so a dead claimer's file is simply available again.
 * A file is only ever unlinked by a holder of its claim (delivered, evicted, damaged, expired),
 * and names are never reused, so a claimer that finds its file's link count at 0 after locking
 * knows someone else finished it and passes over it: no file is delivered twice.
 *
 * Damage. Files under final names can only be damaged from outside (disk errors, manual edits,
 * a full filesystem that fsync did not catch, another program): they are deleted, counted and
 * reported, since nothing in them can be trusted. Files of a newer format version, or that
 * belong to another identity, are left in place (a newer census may deliver them) and reported;
 * they still count towards the bound and are evicted like any other when it is reached.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "census/census.h"
#include "env_config.h"
#include "alloc.h"

#define DIAG_MAX 512
#define NAME_MAX_LEN 96
#define COMPONENT_MAX 48
/* Largest file a reader loads; a larger one is left in place and reported. */
#define READ_MAX ((uint64_t)1 << 30)
static const char MAGIC[8] = {'C', 'N', 'S', 'S', 'P', 'O', 'O', 'L'};
static const char TEMP_PREFIX[] = ".tmp-";
static const char SUFFIX[] = ".spool";

struct census_spool {
  char *path; /* the spool's own directory */
  char *service, *sender;
  uint64_t identity;
  uint64_t max_bytes;
  int64_t max_age_ms, lock_timeout_ms;
  int dirfd;
  atomic_uint_fast64_t seq;
};

/* One file met while listing the directory. */
typedef struct entry {
  char name[NAME_MAX_LEN];
  int64_t created_ns;
  uint64_t size;
  uint64_t items;
  bool deliverable; /* valid, ours, not expired */
} entry;

struct census_spool_scan {
  entry *entries;
  size_t count, next;
};

/* ---- Small helpers ---- */

static void diag(census_status status, const char *fmt, ...) {
  char msg[DIAG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  census_diagnostics_report(status, msg);
}

static void set_message(char *message, size_t size, const char *fmt, ...) {
  if (message == NULL || size == 0) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, size, fmt, ap);
  va_end(ap);
}

/* "No such file or directory (ENOENT)" for errno e, into buf. */
static const char *errno_text(int e, char *buf, size_t size) {
  char tmp[128];
  const char *text = strerror_r(e, tmp, sizeof tmp);
  const char *name = strerrorname_np(e);
  snprintf(buf, size, "%s (%s)", text, name ? name : "unknown errno");
  return buf;
}

static int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) {
    p[i] = (unsigned char)(v >> (8 * i));
  }
}

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    p[i] = (unsigned char)(v >> (8 * i));
  }
}

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t get32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) {
    v = (v << 8) | p[i];
  }
  return v;
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) {
    v = (v << 8) | p[i];
  }
  return v;
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

uint64_t census__spool_identity(const char *service, const char *sender, const char *url) {
  uint64_t h = FNV_OFFSET;
  h = fnv1a(h, service, strlen(service) + 1); /* the NULs separate the fields */
  h = fnv1a(h, sender, strlen(sender) + 1);
  return fnv1a(h, url, strlen(url));
}

/* A directory name component: the bytes of `s` with anything outside [A-Za-z0-9._-] made '_',
 * no leading '.', at most COMPONENT_MAX bytes, then '-' and the hash. */
static void component(char *out, size_t size, const char *s, uint64_t hash) {
  char clean[COMPONENT_MAX + 1];
  size_t n = 0;
  for (; s[n] != '\0' && n < COMPONENT_MAX; n++) {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || (c == '.' && n > 0);
    clean[n] = ok ? c : '_';
  }
  clean[n] = '\0';
  snprintf(out, size, "%s-%016" PRIx64, n ? clean : "_", hash);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* A final file name: 20 digits, '-', then [0-9a-f-], ".spool"; shorter than NAME_MAX_LEN. */
static bool is_spool_name(const char *s) {
  size_t n = strlen(s);
  if (n >= NAME_MAX_LEN || n < 21 + sizeof SUFFIX - 1 || !has_suffix(s, SUFFIX) || s[20] != '-') {
    return false;
  }
  for (size_t i = 0; i < 20; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  for (size_t i = 21; i < n - (sizeof SUFFIX - 1); i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || s[i] == '-')) {
      return false;
    }
  }
  return true;
}

/* The creation time in a final file name (its first 20 digits), for files whose header this
 * census cannot read. */
static int64_t name_time(const char *s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 20; i++) {
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Reads exactly len bytes at offset, retrying short reads; false on error or end of file. */
static bool read_at(int fd, void *buf, size_t len, off_t offset) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = pread(fd, p, len, offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    len -= (size_t)n;
    offset += n;
  }
  return true;
}

static bool write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ---- Format ---- */

static bool string_ok(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

/* Long: one check per header field, in the order of the format table
 * (docs/exporters/http-delivery.md, "File format"), each refusing the file with its own message.
 * Cut into pieces, the checks would no longer read as that table. spool.h documents the result. */
census_spool_check census__spool_parse_header(const void *data, size_t avail, uint64_t file_size,
                                              census_spool_header *h, char *why, size_t why_size) {
  const unsigned char *p = data;
  memset(h, 0, sizeof *h);
  if (avail > file_size) {
    avail = (size_t)file_size;
  }
  if (avail < 16) {
    set_message(why, why_size, "truncated: %" PRIu64 " bytes, shorter than a header", file_size);
    return CENSUS_SPOOL_CORRUPT;
  }
  if (memcmp(p, MAGIC, sizeof MAGIC) != 0) {
    set_message(why, why_size, "not a spool file (bad magic)");
    return CENSUS_SPOOL_CORRUPT;
  }
  h->version = get16(p + 8);
  h->header_len = get16(p + 10);
  h->crc = get32(p + 12);
  if (h->version == 0) {
    set_message(why, why_size, "format version 0");
    return CENSUS_SPOOL_CORRUPT;
  }
  if (h->version > CENSUS_SPOOL_FORMAT_VERSION) {
    set_message(why, why_size, "format version %u (this census reads up to %u)", h->version,
                CENSUS_SPOOL_FORMAT_VERSION);
    return CENSUS_SPOOL_NEWER;
  }
  if (h->header_len < CENSUS_SPOOL_FIXED_HEADER || h->header_len > CENSUS_SPOOL_MAX_HEADER) {
    set_message(why, why_size, "header length %u out of range", (unsigned)h->header_len);
    return CENSUS_SPOOL_CORRUPT;
  }
  if (avail < h->header_len) {
    set_message(why, why_size, "truncated: %" PRIu64 " bytes, header says %u", file_size,
                (unsigned)h->header_len);
    return CENSUS_SPOOL_CORRUPT;
  }
  h->created_ns = (int64_t)get64(p + 16);
  h->identity = get64(p + 24);
  h->items = get64(p + 32);
  h->body_len = get64(p + 40);
  size_t lens[4];
  size_t sum = 0;
  for (int i = 0; i < 4; i++) {
    lens[i] = get16(p + 48 + 2 * i);
    if (lens[i] > CENSUS_SPOOL_MAX_STRING) {
      set_message(why, why_size, "string %d of the header is %zu bytes long", i, lens[i]);
      return CENSUS_SPOOL_CORRUPT;
    }
    sum += lens[i];
  }
  if (get64(p + 56) != 0) {
    set_message(why, why_size, "reserved header bytes are not zero");
    return CENSUS_SPOOL_CORRUPT;
  }
  if (CENSUS_SPOOL_FIXED_HEADER + sum != h->header_len) {
    set_message(why, why_size, "header length %u does not match its strings (%zu bytes)",
                (unsigned)h->header_len, sum);
    return CENSUS_SPOOL_CORRUPT;
  }
  if (h->created_ns <= 0) {
    set_message(why, why_size, "creation time %" PRId64 " is not positive", h->created_ns);
    return CENSUS_SPOOL_CORRUPT;
  }
  if (lens[0] == 0 || lens[2] == 0) {
    set_message(why, why_size, "empty sender name or content type");
    return CENSUS_SPOOL_CORRUPT;
  }
  const char *s = (const char *)p + CENSUS_SPOOL_FIXED_HEADER;
  const char **dst[4] = {&h->sender, &h->service, &h->content_type, &h->content_encoding};
  size_t *dst_len[4] = {&h->sender_len, &h->service_len, &h->content_type_len,
                        &h->content_encoding_len};
  for (int i = 0; i < 4; i++) {
    if (!string_ok(s, lens[i])) {
      set_message(why, why_size, "string %d of the header has a control character", i);
      return CENSUS_SPOOL_CORRUPT;
    }
    *dst[i] = s;
    *dst_len[i] = lens[i];
    s += lens[i];
  }
  if (file_size - h->header_len != h->body_len) {
    set_message(why, why_size, "%s: body has %" PRIu64 " bytes, header says %" PRIu64,
                file_size - h->header_len < h->body_len ? "truncated" : "trailing bytes",
                file_size - h->header_len, h->body_len);
    return CENSUS_SPOOL_CORRUPT;
  }
  return CENSUS_SPOOL_VALID;
}

/* CRC32 of a whole file with its CRC field (bytes 12..16) taken as zero. */
static uint32_t file_crc(const unsigned char *p, size_t len) {
  static const unsigned char zero[4] = {0, 0, 0, 0};
  uLong c = crc32_z(0L, Z_NULL, 0);
  c = crc32_z(c, p, 12);
  c = crc32_z(c, zero, 4);
  c = crc32_z(c, p + 16, len - 16);
  return (uint32_t)c;
}

census_spool_check census__spool_parse(const void *data, size_t len, census_spool_header *h,
                                       char *why, size_t why_size) {
  census_spool_check check = census__spool_parse_header(data, len, len, h, why, why_size);
  if (check != CENSUS_SPOOL_VALID) {
    return check;
  }
  uint32_t crc = file_crc(data, len);
  if (crc != h->crc) {
    set_message(why, why_size, "CRC mismatch (stored %08" PRIx32 ", computed %08" PRIx32 ")",
                h->crc, crc);
    return CENSUS_SPOOL_CORRUPT;
  }
  return CENSUS_SPOOL_VALID;
}

census_status census__spool_encode(const census_spool_meta *meta, const char *sender,
                                   const char *service, uint64_t identity, const void *body,
                                   size_t len, char **out, size_t *out_len) {
  const char *enc = meta->content_encoding ? meta->content_encoding : "";
  const char *strs[4] = {sender, service, meta->content_type, enc};
  size_t lens[4];
  size_t sum = 0;
  for (int i = 0; i < 4; i++) {
    if (strs[i] == NULL) {
      return CENSUS_EINVAL;
    }
    lens[i] = strlen(strs[i]);
    if (lens[i] > CENSUS_SPOOL_MAX_STRING || !string_ok(strs[i], lens[i])) {
      return CENSUS_EINVAL;
    }
    sum += lens[i];
  }
  if (lens[0] == 0 || lens[2] == 0 || meta->created_ns <= 0 ||
      CENSUS_SPOOL_FIXED_HEADER + sum > CENSUS_SPOOL_MAX_HEADER) {
    return CENSUS_EINVAL;
  }
  size_t header_len = CENSUS_SPOOL_FIXED_HEADER + sum;
  if (len > SIZE_MAX - header_len) {
    return CENSUS_EINVAL;
  }
  unsigned char *p = census__malloc(header_len + len);
  if (p == NULL) {
    return CENSUS_ENOMEM;
  }
  memset(p, 0, CENSUS_SPOOL_FIXED_HEADER);
  memcpy(p, MAGIC, sizeof MAGIC);
  put16(p + 8, CENSUS_SPOOL_FORMAT_VERSION);
  put16(p + 10, (uint16_t)header_len);
  put64(p + 16, (uint64_t)meta->created_ns);
  put64(p + 24, identity);
  put64(p + 32, meta->items);
  put64(p + 40, (uint64_t)len);
  unsigned char *s = p + CENSUS_SPOOL_FIXED_HEADER;
  for (int i = 0; i < 4; i++) {
    put16(p + 48 + 2 * i, (uint16_t)lens[i]);
    memcpy(s, strs[i], lens[i]);
    s += lens[i];
  }
  if (len > 0) {
    memcpy(s, body, len);
  }
  put32(p + 12, file_crc(p, header_len + len));
  *out = (char *)p;
  *out_len = header_len + len;
  return CENSUS_OK;
}

/* ---- Open and close ---- */

/* mkdir -m 0700 that accepts an existing directory. */
static int make_dir(const char *path) {
  if (mkdir(path, 0700) == 0) {
    return 0;
  }
  if (errno != EEXIST) {
    return -1;
  }
  struct stat st;
  if (stat(path, &st) != 0) {
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* Takes .lock, waiting up to timeout_ms; returns its descriptor or -1 (errno ETIMEDOUT or the
 * open's). The caller unlocks explicitly before closing, so that a descriptor a forked child
 * inherited does not keep the lock. */
static int lock_dir(census_spool *sp, int64_t timeout_ms) {
  int fd = openat(sp->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return -1;
  }
  int64_t deadline = monotonic_ns() + timeout_ms * 1000000;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return fd;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (monotonic_ns() >= deadline) {
      close(fd);
      errno = ETIMEDOUT;
      return -1;
    }
    sleep_ms(2);
  }
}

static void unlock_dir(int fd) {
  flock(fd, LOCK_UN);
  close(fd);
}

/* Opens the spool's directory for listing (a new descriptor: fdopendir owns it). */
static DIR *open_listing(census_spool *sp) {
  int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return NULL;
  }
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
  }
  return d;
}

/* With .lock held: removes every temp file (a writer that died mid-write left it). */
static void remove_temps(census_spool *sp, census_spool_report *report) {
  DIR *d = open_listing(sp);
  if (d == NULL) {
    return;
  }
  uint64_t removed = 0;
  char first[256] = "";
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, TEMP_PREFIX, sizeof TEMP_PREFIX - 1) == 0 &&
        unlinkat(sp->dirfd, de->d_name, 0) == 0) {
      if (removed++ == 0) {
        snprintf(first, sizeof first, "%s", de->d_name);
      }
    }
  }
  closedir(d);
  if (removed > 0) {
    fsync(sp->dirfd);
    if (report != NULL) {
      report->temps_removed += removed;
    }
    diag(CENSUS_EEXPORT,
         "spool %s: removed %" PRIu64 " incomplete file(s) left by a writer that died mid-write"
         " (e.g. %s); they were never part of the spool",
         sp->path, removed, first);
  }
}

/* True when the spool's root `dir` exists, is a directory and is writable; otherwise false, with
 * the message saying which and what to do. */
static bool root_usable(const char *dir, char *message, size_t message_size) {
  char errbuf[192];
  struct stat root;
  if (stat(dir, &root) != 0) {
    set_message(message, message_size,
                "spool directory \"%s\": %s; create it (mkdir -p) or point the spool option at "
                "an existing writable directory",
                dir, errno_text(errno, errbuf, sizeof errbuf));
    return false;
  }
  if (!S_ISDIR(root.st_mode)) {
    set_message(message, message_size,
                "spool directory \"%s\": %s; point the spool option at a directory", dir,
                errno_text(ENOTDIR, errbuf, sizeof errbuf));
    return false;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    set_message(message, message_size,
                "spool directory \"%s\" is not writable by this process (uid %ld): %s; fix its "
                "permissions or choose another directory",
                dir, (long)geteuid(), errno_text(errno, errbuf, sizeof errbuf));
    return false;
  }
  return true;
}

/* Makes the spool's two directory levels under `root` (mode 0700, <service>-<hash> then
 * <sender>-<hash>), sets sp->path and opens sp->dirfd. CENSUS_OK; CENSUS_ECONFIG for a
 * permission problem, CENSUS_ESYSTEM for another I/O error (both with the message), or
 * CENSUS_ENOMEM. */
static census_status make_dirs(census_spool *sp, const char *root, char *message,
                               size_t message_size) {
  char errbuf[192];
  const char *service = sp->service;
  census_status st = CENSUS_OK;
  char svc[COMPONENT_MAX + 20], snd[COMPONENT_MAX + 20];
  component(svc, sizeof svc, service, fnv1a(FNV_OFFSET, service, strlen(service)));
  component(snd, sizeof snd, sp->sender, sp->identity);
  size_t root_len = strlen(root);
  while (root_len > 1 && root[root_len - 1] == '/') {
    root_len--;
  }
  size_t n = root_len + strlen(svc) + strlen(snd) + 3;
  char *service_dir = census__malloc(n);
  sp->path = census__malloc(n);
  if (service_dir == NULL || sp->path == NULL) {
    census__free(service_dir);
    return CENSUS_ENOMEM;
  }
  snprintf(service_dir, n, "%.*s/%s", (int)root_len, root, svc);
  snprintf(sp->path, n, "%s/%s", service_dir, snd);
  const char *failed = service_dir;
  if (make_dir(service_dir) != 0 || (failed = sp->path, make_dir(sp->path)) != 0 ||
      (sp->dirfd = open(sp->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
    int e = errno;
    bool config = e == EACCES || e == EPERM || e == EROFS || e == ENOTDIR;
    st = config ? CENSUS_ECONFIG : CENSUS_ESYSTEM;
    set_message(message, message_size, "spool directory \"%s\": %s%s", failed,
                errno_text(e, errbuf, sizeof errbuf),
                config ? "; fix its permissions or choose another spool directory" : "");
  }
  census__free(service_dir);
  return st;
}

census_spool *census__spool_open(const census_spool_config *c, census_spool_report *report,
                                 census_status *status, char *message, size_t message_size) {
  census_status st = CENSUS_OK;
  census_spool *sp = NULL;
  if (c == NULL || c->dir == NULL || c->dir[0] == '\0' || c->sender == NULL ||
      c->sender[0] == '\0' || c->url == NULL) {
    st = CENSUS_EINVAL;
    set_message(message, message_size, "spool: the directory, sender name and URL are required");
    goto fail;
  }
  if (!root_usable(c->dir, message, message_size)) {
    st = CENSUS_ECONFIG;
    goto fail;
  }
  sp = census__calloc(1, sizeof *sp);
  if (sp == NULL) {
    st = CENSUS_ENOMEM;
    goto fail;
  }
  sp->dirfd = -1;
  const char *service = c->service && c->service[0] ? c->service : "unknown_service";
  sp->service = census__strdup(service);
  sp->sender = census__strdup(c->sender);
  if (sp->service == NULL || sp->sender == NULL) {
    st = CENSUS_ENOMEM;
    goto fail;
  }
  if (strlen(service) > CENSUS_SPOOL_MAX_STRING || strlen(c->sender) > CENSUS_SPOOL_MAX_STRING ||
      !string_ok(service, strlen(service)) || !string_ok(c->sender, strlen(c->sender))) {
    st = CENSUS_EINVAL;
    set_message(message, message_size,
                "spool: the service or sender name is longer than %d bytes or has control "
                "characters",
                CENSUS_SPOOL_MAX_STRING);
    goto fail;
  }
  sp->identity = census__spool_identity(service, c->sender, c->url);
  sp->max_bytes = c->max_bytes ? c->max_bytes : CENSUS_SPOOL_DEFAULT_MAX_BYTES;
  sp->max_age_ms = c->max_age_ms > 0 ? c->max_age_ms : 0;
  sp->lock_timeout_ms = c->lock_timeout_ms > 0 ? c->lock_timeout_ms : 2000;
  st = make_dirs(sp, c->dir, message, message_size);
  if (st != CENSUS_OK) {
    goto fail;
  }
  int lock = lock_dir(sp, sp->lock_timeout_ms);
  if (lock >= 0) {
    remove_temps(sp, report);
    unlock_dir(lock);
  }
  if (status != NULL) {
    *status = CENSUS_OK;
  }
  return sp;

fail:
  census__spool_close(sp);
  if (status != NULL) {
    *status = st;
  }
  if (st == CENSUS_ENOMEM) {
    set_message(message, message_size, "spool: out of memory");
  }
  return NULL;
}

census_spool *census__spool_open_configured(const char *option, const char *dir, uint64_t max_bytes,
                                            const char *service, const char *sender,
                                            const char *url, census_spool_report *report,
                                            census_status *status) {
  bool from_api = dir != NULL && dir[0] != '\0';
  if (!from_api) {
    dir = census__env_string(CENSUS_SPOOL_DIR_ENV);
  }
  *status = CENSUS_OK;
  if (dir == NULL) {
    return NULL;
  }
  census_spool_config c = {0};
  c.dir = dir;
  c.service = service;
  c.sender = sender;
  c.url = url;
  c.max_bytes = max_bytes
                    ? max_bytes
                    : census__env_bytes(CENSUS_SPOOL_MAX_BYTES_ENV, CENSUS_SPOOL_DEFAULT_MAX_BYTES);
  char message[400];
  census_status st = CENSUS_OK;
  census_spool *sp = census__spool_open(&c, report, &st, message, sizeof message);
  if (sp == NULL) {
    const char *what = from_api ? option : CENSUS_SPOOL_DIR_ENV;
    diag(st, "%s %s: %s; %s", sender, what, message,
         from_api ? "the exporter is not started"
                  : "the exporter runs without a spool (undeliverable requests are dropped)");
    *status = from_api ? st : CENSUS_OK;
  }
  return sp;
}

void census__spool_close(census_spool *sp) {
  if (sp == NULL) {
    return;
  }
  if (sp->dirfd >= 0) {
    close(sp->dirfd);
  }
  census__free(sp->path);
  census__free(sp->service);
  census__free(sp->sender);
  census__free(sp);
}

const char *census__spool_path(const census_spool *sp) { return sp->path; }

/* ---- Listing ---- */

/* Unlinks `name` (open as fd) unless another process holds its claim. True when it was ours
 * to remove and is gone. */
static bool remove_unclaimed(census_spool *sp, int fd, const char *name) {
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return false;
  }
  struct stat st;
  bool removed = fstat(fd, &st) == 0 && st.st_nlink > 0 && unlinkat(sp->dirfd, name, 0) == 0;
  flock(fd, LOCK_UN);
  return removed;
}

static bool expired(const census_spool *sp, int64_t created_ns, int64_t now_ns) {
  return sp->max_age_ms > 0 && created_ns < now_ns - sp->max_age_ms * 1000000;
}

static bool header_is_ours(const census_spool *sp, const census_spool_header *h) {
  return h->identity == sp->identity && h->sender_len == strlen(sp->sender) &&
         memcmp(h->sender, sp->sender, h->sender_len) == 0 &&
         h->service_len == strlen(sp->service) &&
         memcmp(h->service, sp->service, h->service_len) == 0;
}

static void report_corrupt(census_spool *sp, const char *name, const char *why,
                           census_spool_report *report) {
  if (report != NULL) {
    report->files_corrupt++;
  }
  diag(CENSUS_EEXPORT, "spool %s: deleted damaged file %s: %s", sp->path, name, why);
}

/* Looks at one final file: deletes it when damaged or expired (counted), otherwise fills *e.
 * Returns false when the file is gone (deleted here or elsewhere). */
static bool look_at(census_spool *sp, const char *name, int64_t now_ns, bool quiet, entry *e,
                    census_spool_report *report) {
  int fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink == 0) {
    close(fd);
    return false;
  }
  unsigned char buf[CENSUS_SPOOL_MAX_HEADER];
  size_t want = (uint64_t)st.st_size < sizeof buf ? (size_t)st.st_size : sizeof buf;
  char why[160];
  census_spool_header h;
  census_spool_check check;
  if (!read_at(fd, buf, want, 0)) {
    snprintf(why, sizeof why, "unreadable header");
    check = CENSUS_SPOOL_CORRUPT;
  } else {
    check = census__spool_parse_header(buf, want, (uint64_t)st.st_size, &h, why, sizeof why);
  }
  snprintf(e->name, sizeof e->name, "%s", name);
  e->size = (uint64_t)st.st_size;
  e->deliverable = false;
  e->items = 0;
  e->created_ns = name_time(name);
  bool present = true;
  if (check == CENSUS_SPOOL_CORRUPT) {
    if (remove_unclaimed(sp, fd, name)) {
      report_corrupt(sp, name, why, report);
      present = false;
    }
  } else if (check == CENSUS_SPOOL_VALID) {
    e->created_ns = h.created_ns;
    e->items = h.items;
    if (expired(sp, h.created_ns, now_ns) && remove_unclaimed(sp, fd, name)) {
      if (report != NULL) {
        report->files_expired++;
        report->items_expired += h.items;
      }
      diag(CENSUS_ELIMIT,
           "spool %s: dropped file %s (%" PRIu64 " items): older than the spool's maximum age of "
           "%" PRId64 " ms",
           sp->path, name, h.items, sp->max_age_ms);
      present = false;
    } else {
      e->deliverable = header_is_ours(sp, &h) && e->size <= READ_MAX;
      if (!e->deliverable) {
        snprintf(why, sizeof why, "%s",
                 e->size > READ_MAX ? "larger than 1 GiB" : "written for another sender identity");
      }
    }
  }
  if (present && !e->deliverable && !quiet) {
    /* Left in place: a newer format version, another identity, or damaged but claimed. */
    diag(CENSUS_EEXPORT, "spool %s: skipped file %s: %s; left in place", sp->path, name, why);
    if (report != NULL) {
      report->files_skipped++;
    }
  }
  close(fd);
  return present;
}

static int entry_order(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->created_ns != y->created_ns) {
    return x->created_ns < y->created_ns ? -1 : 1;
  }
  return strcmp(x->name, y->name);
}

/* Lists every final file still present, oldest first. Files left in place are reported unless
 * `quiet` (a write lists the directory each time: it would repeat the same report).
 * CENSUS_OK, CENSUS_ENOMEM or CENSUS_ESYSTEM (the directory cannot be read). */
static census_status list_files(census_spool *sp, bool quiet, entry **out, size_t *count,
                                census_spool_report *report) {
  *out = NULL;
  *count = 0;
  DIR *d = open_listing(sp);
  if (d == NULL) {
    return errno == ENOMEM ? CENSUS_ENOMEM : CENSUS_ESYSTEM;
  }
  entry *v = NULL;
  size_t n = 0, cap = 0;
  int64_t now = realtime_ns();
  struct dirent *de;
  census_status st = CENSUS_OK;
  while ((de = readdir(d)) != NULL) {
    if (!is_spool_name(de->d_name)) {
      continue;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      entry *nv = census__realloc(v, ncap * sizeof *nv);
      if (nv == NULL) {
        st = CENSUS_ENOMEM;
        break;
      }
      v = nv;
      cap = ncap;
    }
    if (look_at(sp, de->d_name, now, quiet, &v[n], report)) {
      n++;
    }
  }
  closedir(d);
  if (st != CENSUS_OK) {
    census__free(v);
    return st;
  }
  if (n > 1) {
    qsort(v, n, sizeof *v, entry_order);
  }
  *out = v;
  *count = n;
  return CENSUS_OK;
}

uint64_t census__spool_bytes(census_spool *sp) {
  DIR *d = open_listing(sp);
  if (d == NULL) {
    return 0;
  }
  uint64_t total = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    if (is_spool_name(de->d_name) &&
        fstatat(sp->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      total += (uint64_t)st.st_size;
    }
  }
  closedir(d);
  return total;
}

/* ---- Writing ---- */

/* With .lock held: drops the oldest unclaimed files until `need` more bytes fit within the
 * bound. True when they fit. */
static bool make_room(census_spool *sp, uint64_t need, census_spool_report *report,
                      census_status *status) {
  entry *v;
  size_t n;
  *status = list_files(sp, true, &v, &n, report);
  if (*status != CENSUS_OK) {
    return false;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    total += v[i].size;
  }
  uint64_t files = 0, items = 0, bytes = 0;
  for (size_t i = 0; i < n && total + need > sp->max_bytes; i++) {
    int fd = openat(sp->dirfd, v[i].name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      total -= v[i].size; /* delivered meanwhile */
      continue;
    }
    if (remove_unclaimed(sp, fd, v[i].name)) {
      total -= v[i].size;
      files++;
      items += v[i].items;
      bytes += v[i].size;
    }
    close(fd);
  }
  census__free(v);
  if (files > 0) {
    fsync(sp->dirfd);
    if (report != NULL) {
      report->files_evicted += files;
      report->items_evicted += items;
      report->bytes_evicted += bytes;
    }
    diag(CENSUS_ELIMIT,
         "spool %s: dropped the %" PRIu64 " oldest file(s) (%" PRIu64 " items, %" PRIu64
         " bytes) to stay within its bound of %" PRIu64 " bytes",
         sp->path, files, items, bytes, sp->max_bytes);
  }
  return total + need <= sp->max_bytes;
}

/* Writes one encoded file atomically, with .lock held: under a temporary name, fsync'ed, renamed
 * to its final name (creation time, pid, sequence and a random part, so names never collide),
 * then the directory fsync'ed. False (reported, nothing left behind) on an I/O error. */
static bool write_file(census_spool *sp, const census_spool_meta *m, const char *file,
                       size_t file_len) {
  uint32_t rnd = 0;
  if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
    rnd = (uint32_t)(monotonic_ns() ^ (uint64_t)(uintptr_t)&rnd);
  }
  char name[NAME_MAX_LEN], temp[NAME_MAX_LEN + sizeof TEMP_PREFIX];
  snprintf(name, sizeof name, "%020" PRId64 "-%ld-%" PRIuFAST64 "-%08" PRIx32 "%s", m->created_ns,
           (long)getpid(), atomic_fetch_add(&sp->seq, 1), rnd, SUFFIX);
  snprintf(temp, sizeof temp, "%s%s", TEMP_PREFIX, name);
  const char *step = "create";
  int fd = openat(sp->dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0;
  if (ok) {
    ok = (step = "write", write_all(fd, file, file_len)) && (step = "fsync", fsync(fd) == 0);
    int e = errno;
    if (close(fd) != 0 && ok) {
      ok = false;
      step = "close";
    } else {
      errno = e;
    }
    ok = ok && (step = "rename", renameat(sp->dirfd, temp, sp->dirfd, name) == 0) &&
         (step = "fsync the directory", fsync(sp->dirfd) == 0);
  }
  if (!ok) {
    int e = errno;
    char errbuf[192];
    unlinkat(sp->dirfd, temp, 0);
    unlinkat(sp->dirfd, name, 0); /* a rename done before a failed directory fsync */
    diag(CENSUS_ESYSTEM, "spool %s: %s of %s failed: %s; %" PRIu64 " items not stored", sp->path,
         step, temp, errno_text(e, errbuf, sizeof errbuf), m->items);
  }
  return ok;
}

census_status census__spool_write(census_spool *sp, const census_spool_meta *meta, const void *body,
                                  size_t len, census_spool_report *report) {
  if (sp == NULL || meta == NULL || meta->content_type == NULL || (body == NULL && len > 0)) {
    return CENSUS_EINVAL;
  }
  census_spool_meta m = *meta;
  if (m.created_ns == 0) {
    m.created_ns = realtime_ns();
  }
  char *file;
  size_t file_len;
  census_status st =
      census__spool_encode(&m, sp->sender, sp->service, sp->identity, body, len, &file, &file_len);
  if (st != CENSUS_OK) {
    return st;
  }
  if (file_len > sp->max_bytes) {
    census__free(file);
    diag(CENSUS_ELIMIT,
         "spool %s: a request of %zu bytes (%" PRIu64 " items) is larger than the spool's bound "
         "of %" PRIu64 " bytes; not stored",
         sp->path, file_len, m.items, sp->max_bytes);
    return CENSUS_ELIMIT;
  }
  char errbuf[192];
  int lock = lock_dir(sp, sp->lock_timeout_ms);
  if (lock < 0) {
    int e = errno;
    census__free(file);
    diag(e == ETIMEDOUT ? CENSUS_ETIMEDOUT : CENSUS_ESYSTEM,
         "spool %s: could not take .lock within %" PRId64 " ms: %s; %" PRIu64 " items not stored",
         sp->path, sp->lock_timeout_ms, errno_text(e, errbuf, sizeof errbuf), m.items);
    return e == ETIMEDOUT ? CENSUS_ETIMEDOUT : CENSUS_ESYSTEM;
  }
  remove_temps(sp, report);
  if (!make_room(sp, file_len, report, &st)) {
    unlock_dir(lock);
    census__free(file);
    if (st == CENSUS_OK) {
      st = CENSUS_ELIMIT;
      diag(CENSUS_ELIMIT,
           "spool %s: no room for a request of %zu bytes (%" PRIu64 " items) within %" PRIu64
           " bytes: the other files are being delivered; not stored",
           sp->path, file_len, m.items, sp->max_bytes);
    } else {
      diag(st, "spool %s: cannot list the directory: %s; %" PRIu64 " items not stored", sp->path,
           errno_text(errno, errbuf, sizeof errbuf), m.items);
    }
    return st;
  }
  if (!write_file(sp, &m, file, file_len)) {
    unlock_dir(lock);
    census__free(file);
    return CENSUS_ESYSTEM;
  }
  unlock_dir(lock);
  census__free(file);
  if (report != NULL) {
    report->files_written++;
    report->items_written += m.items;
    report->bytes_written += file_len;
  }
  return CENSUS_OK;
}

/* ---- Reading ---- */

census_spool_scan *census__spool_scan(census_spool *sp, census_spool_report *report,
                                      census_status *status) {
  census_spool_scan *scan = census__calloc(1, sizeof *scan);
  census_status st = scan ? CENSUS_OK : CENSUS_ENOMEM;
  entry *v = NULL;
  size_t n = 0;
  if (st == CENSUS_OK) {
    st = list_files(sp, false, &v, &n, report);
  }
  if (st != CENSUS_OK) {
    census__free(scan);
    if (status != NULL) {
      *status = st;
    }
    return NULL;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i].deliverable) {
      v[k++] = v[i];
    }
  }
  scan->entries = v;
  scan->count = k;
  if (status != NULL) {
    *status = CENSUS_OK;
  }
  return scan;
}

size_t census__spool_scan_remaining(const census_spool_scan *scan) {
  return scan ? scan->count - scan->next : 0;
}

void census__spool_scan_free(census_spool_scan *scan) {
  if (scan != NULL) {
    census__free(scan->entries);
    census__free(scan);
  }
}

/* With the claim held on fd: removes the file. */
static void remove_claimed(census_spool *sp, int fd, const char *name) {
  unlinkat(sp->dirfd, name, 0);
  fsync(sp->dirfd);
  flock(fd, LOCK_UN);
  close(fd);
}

static void release_claim(int fd) {
  flock(fd, LOCK_UN);
  close(fd);
}

census_status census__spool_claim_next(census_spool *sp, census_spool_scan *scan,
                                       census_spool_item **out, census_spool_report *report) {
  *out = NULL;
  while (scan->next < scan->count) {
    const entry *e = &scan->entries[scan->next++];
    int fd = openat(sp->dirfd, e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      continue; /* delivered or dropped meanwhile */
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd); /* another process is delivering it */
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_nlink == 0 || (uint64_t)st.st_size > READ_MAX) {
      release_claim(fd); /* finished by someone else between our open and our lock */
      continue;
    }
    size_t size = (size_t)st.st_size;
    char *buf = census__malloc(size ? size : 1);
    census_spool_item *item = census__calloc(1, sizeof *item);
    if (buf == NULL || item == NULL) {
      census__free(buf);
      census__free(item);
      release_claim(fd);
      scan->next--; /* try it again later */
      return CENSUS_ENOMEM;
    }
    char why[160];
    census_spool_header h;
    census_spool_check check;
    if (!read_at(fd, buf, size, 0)) {
      snprintf(why, sizeof why, "unreadable");
      check = CENSUS_SPOOL_CORRUPT;
    } else {
      check = census__spool_parse(buf, size, &h, why, sizeof why);
    }
    if (check == CENSUS_SPOOL_CORRUPT) {
      remove_claimed(sp, fd, e->name);
      report_corrupt(sp, e->name, why, report);
    } else if (check == CENSUS_SPOOL_NEWER || !header_is_ours(sp, &h)) {
      release_claim(fd);
      if (report != NULL) {
        report->files_skipped++;
      }
      diag(CENSUS_EEXPORT, "spool %s: skipped file %s: %s; left in place", sp->path, e->name,
           check == CENSUS_SPOOL_NEWER ? why : "written for another sender identity");
    } else if (expired(sp, h.created_ns, realtime_ns())) {
      remove_claimed(sp, fd, e->name);
      if (report != NULL) {
        report->files_expired++;
        report->items_expired += h.items;
      }
      diag(CENSUS_ELIMIT,
           "spool %s: dropped file %s (%" PRIu64 " items): older than the spool's maximum age "
           "of %" PRId64 " ms",
           sp->path, e->name, h.items, sp->max_age_ms);
    } else {
      item->created_ns = h.created_ns;
      item->items = h.items;
      memcpy(item->content_type, h.content_type, h.content_type_len);
      memcpy(item->content_encoding, h.content_encoding, h.content_encoding_len);
      /* Both arrays were zeroed by calloc, so the strings are terminated. */
      memmove(buf, buf + h.header_len, (size_t)h.body_len);
      item->body = buf;
      item->len = (size_t)h.body_len;
      item->fd = fd;
      snprintf(item->name, sizeof item->name, "%s", e->name);
      *out = item;
      return CENSUS_OK;
    }
    census__free(buf);
    census__free(item);
  }
  return CENSUS_ENOTFOUND;
}

void census__spool_item_done(census_spool *sp, census_spool_item *item) {
  if (item == NULL) {
    return;
  }
  remove_claimed(sp, item->fd, item->name);
  census__free(item->body);
  census__free(item);
}

void census__spool_item_release(census_spool *sp, census_spool_item *item) {
  (void)sp;
  if (item == NULL) {
    return;
  }
  release_claim(item->fd);
  census__free(item->body);
  census__free(item);
}

void census__spool_item_forget(census_spool_item *item) {
  if (item == NULL) {
    return;
  }
  close(item->fd);
  census__free(item->body);
  census__free(item);
}
