/* spool.h - a persistent, bounded, checksummed on-disk store of request bodies that a push
 * exporter could not deliver, so that the next process of the same service delivers them.
 *
 * Model. A spool is one directory per (service.name, sender, endpoint URL) under a root that the
 * user configures: <root>/<service>-<hash>/<sender>-<hash>/. Each request body is one file,
 * written atomically (temp file, fsync, rename, fsync of the directory), with a header that
 * carries the creation time, the sender's identity, content type and encoding, the item count,
 * the body length and a CRC32 of header and body (format: docs/exporters/http-delivery.md,
 * "Spool"). The files' total size never exceeds max_bytes: a write first drops the oldest files
 * (counted in the report) and refuses a body that cannot fit. Readers list the files oldest
 * first, claim one at a time with flock() (several processes may share the directory; a claim
 * dies with its process), and either remove it (delivered, or failed for good) or release it.
 * Damaged files are deleted and reported; files of a newer format version or another identity
 * are left in place and reported. Nothing here crashes on any file content.
 *
 * Errors are returned as census_status and each event (dropped, corrupt, skipped, failed write)
 * is reported once through census_diagnostics_report(), naming paths and errno but never the
 * endpoint URL (it may carry credentials; only its hash is stored) or any header value.
 *
 * Thread-safety: a census_spool may be used from several threads and processes at once (writes
 * are serialised by a lock file, claims by flock()); a census_spool_scan and a census_spool_item
 * belong to one thread at a time. The directory must be on a local filesystem (flock()).
 */
#ifndef CENSUS_HTTP_SPOOL_H
#define CENSUS_HTTP_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#define CENSUS_SPOOL_DEFAULT_MAX_BYTES ((uint64_t)64 << 20)
/* The on-disk format version written; files with a higher one are left for a newer census. */
#define CENSUS_SPOOL_FORMAT_VERSION 1
/* Fixed part of the header; the four strings follow it, then the body. */
#define CENSUS_SPOOL_FIXED_HEADER 64
/* Longest header accepted (fixed part plus strings). */
#define CENSUS_SPOOL_MAX_HEADER 4096
/* Longest sender name, service name, content type or content encoding stored. */
#define CENSUS_SPOOL_MAX_STRING 1024

typedef struct census_spool census_spool;

typedef struct census_spool_config {
  const char *dir;         /* root directory; must exist and be writable (copied) */
  const char *service;     /* service.name; NULL or "": "unknown_service" (copied) */
  const char *sender;      /* sender identity, e.g. "otlp metrics" (copied; required) */
  const char *url;         /* endpoint URL: only its hash is used and stored (required) */
  uint64_t max_bytes;      /* bound on the total size of the spool's files; 0: 64 MiB */
  int64_t max_age_ms;      /* files older than this are dropped; 0: no age limit */
  int64_t lock_timeout_ms; /* how long a write waits for another process's write; 0: 2000 */
} census_spool_config;

/* What a call did besides its result. Every function taking one adds to it (never resets it),
 * so a caller may keep one per sender. Items are the request's item count from the header. */
typedef struct census_spool_report {
  uint64_t files_written, items_written, bytes_written; /* bodies stored */
  uint64_t files_evicted, items_evicted, bytes_evicted; /* oldest dropped to respect max_bytes */
  uint64_t files_expired, items_expired;                /* dropped: older than max_age_ms */
  uint64_t files_corrupt;                               /* damaged (torn, bad CRC...): deleted */
  uint64_t files_skipped; /* newer format or another identity: left in place */
  uint64_t temps_removed; /* temp files of a writer that died mid-write: deleted */
} census_spool_report;

/* The description stored with a body. */
typedef struct census_spool_meta {
  int64_t created_ns;           /* CLOCK_REALTIME, ns since the epoch; 0: now */
  uint64_t items;               /* the request's item count (data points, spans) */
  const char *content_type;     /* required, e.g. "application/x-protobuf" */
  const char *content_encoding; /* NULL or "": identity; "gzip" when the body is compressed */
} census_spool_meta;

/* One claimed file, read and checked. The body (malloc'd) belongs to the item; a caller that
 * keeps it sets `body` to NULL before census__spool_item_done()/_release(). */
typedef struct census_spool_item {
  int64_t created_ns;
  uint64_t items;
  char content_type[CENSUS_SPOOL_MAX_STRING + 1];
  char content_encoding[CENSUS_SPOOL_MAX_STRING + 1];
  char *body;
  size_t len;
  /* Private. */
  int fd; /* open, flock()ed */
  char name[96];
} census_spool_item;

/* Opens (creating the service and sender subdirectories, mode 0700) the spool of one sender.
 * Removes temp files left by writers that died, counting them in `report` (may be NULL).
 * NULL on error with *status (may be NULL) and message[0..message_size) (may be NULL) set:
 * CENSUS_EINVAL (dir, sender or url missing), CENSUS_ECONFIG (dir does not exist, is not a
 * directory, or is not writable: the message names the path, the errno and what to do),
 * CENSUS_ESYSTEM (creating a subdirectory failed), CENSUS_ENOMEM. Does not report the error
 * through diagnostics: the caller does, naming its option. */
census_spool *census__spool_open(const census_spool_config *config, census_spool_report *report,
                                 census_status *status, char *message, size_t message_size);

/* The spool's environment variables (OpenTelemetry has no equivalent). */
#define CENSUS_SPOOL_DIR_ENV "CENSUS_SPOOL_DIR"
#define CENSUS_SPOOL_MAX_BYTES_ENV "CENSUS_SPOOL_MAX_BYTES"

/* Opens the spool a sender is configured with, the API winning over the environment: the
 * directory is `dir` (the exporter's option, named `option` in messages, e.g. "spool_dir") or
 * else CENSUS_SPOOL_DIR; the bound is `max_bytes` or else CENSUS_SPOOL_MAX_BYTES or else 64 MiB.
 * Returns NULL with *status CENSUS_OK when neither names a directory: no spool. A directory
 * given by the option that cannot be used: NULL, *status CENSUS_ECONFIG (or the open's error)
 * and one diagnostic "<option>: <why, what to do>". One given by the variable: the same
 * diagnostic naming the variable, NULL and *status CENSUS_OK: a bad variable never stops an
 * exporter. `status` may not be NULL. */
census_spool *census__spool_open_configured(const char *option, const char *dir, uint64_t max_bytes,
                                            const char *service, const char *sender,
                                            const char *url, census_spool_report *report,
                                            census_status *status);

/* Frees the handle (files stay). NULL is a no-op. */
void census__spool_close(census_spool *spool);

/* The spool's own directory (borrowed, valid until close). */
const char *census__spool_path(const census_spool *spool);

/* Stores one body (copied; the caller keeps it). Blocks for disk I/O and for up to
 * lock_timeout_ms while another process writes. To stay within max_bytes it first drops the
 * oldest unclaimed files (report->files_evicted/items_evicted). Returns CENSUS_OK; CENSUS_ELIMIT
 * when the body cannot fit even then (larger than max_bytes, or claimed files fill the spool:
 * nothing written); CENSUS_ETIMEDOUT (lock); CENSUS_ESYSTEM (I/O error, e.g. ENOSPC, reported
 * with the path and errno; no partial file is left); CENSUS_EINVAL (bad meta). */
census_status census__spool_write(census_spool *spool, const census_spool_meta *meta,
                                  const void *body, size_t len, census_spool_report *report);

/* Total size in bytes of the spool's files (complete ones only), or 0 on error. */
uint64_t census__spool_bytes(census_spool *spool);

typedef struct census_spool_scan census_spool_scan;

/* Lists the spool's deliverable files, oldest first (creation time in the header, ties by file
 * name). Deletes (and counts) damaged and expired files it meets, skips others. NULL on
 * CENSUS_ENOMEM or CENSUS_ESYSTEM (*status, may be NULL). The list is a snapshot: files
 * written later are seen by the next scan. */
census_spool_scan *census__spool_scan(census_spool *spool, census_spool_report *report,
                                      census_status *status);

/* Files left in the scan (not yet returned by claim_next). */
size_t census__spool_scan_remaining(const census_spool_scan *scan);

void census__spool_scan_free(census_spool_scan *scan);

/* Claims the next file of the scan that no other process holds, reads it whole and checks it
 * (magic, version, lengths, CRC, identity, age). Damaged files are deleted and counted, files
 * claimed elsewhere or already gone are passed over. CENSUS_OK with *item set; CENSUS_ENOTFOUND
 * when the scan is exhausted; CENSUS_ENOMEM. */
census_status census__spool_claim_next(census_spool *spool, census_spool_scan *scan,
                                       census_spool_item **item, census_spool_report *report);

/* Removes a claimed file (delivered, or failed for good) and frees the item. */
void census__spool_item_done(census_spool *spool, census_spool_item *item);

/* Gives a claimed file back (delivery failed for now; the next process or scan retries it)
 * and frees the item. */
void census__spool_item_release(census_spool *spool, census_spool_item *item);

/* In a forked child: frees an item inherited from the parent without touching its claim (the
 * parent's flock stays the parent's). */
void census__spool_item_forget(census_spool_item *item);

/* ---- The file format, exposed for the fuzz target and tests. ---- */

typedef enum census_spool_check {
  CENSUS_SPOOL_VALID = 0,   /* well formed */
  CENSUS_SPOOL_CORRUPT = 1, /* damaged: bad magic, lengths, strings or CRC; truncated */
  CENSUS_SPOOL_NEWER = 2,   /* a format version this census does not know */
} census_spool_check;

/* A parsed header; the strings point into the parsed buffer and are not NUL-terminated. */
typedef struct census_spool_header {
  uint16_t version;
  uint32_t header_len;
  uint32_t crc;
  int64_t created_ns;
  uint64_t identity;
  uint64_t items;
  uint64_t body_len;
  const char *sender, *service, *content_type, *content_encoding;
  size_t sender_len, service_len, content_type_len, content_encoding_len;
} census_spool_header;

/* Parses the header at data[0..avail) of a file of file_size bytes (avail may be less than
 * file_size: only the header need be there). Checks magic, version, lengths against file_size and
 * the strings, not the CRC. On CENSUS_SPOOL_CORRUPT/NEWER writes why into why[0..why_size). */
census_spool_check census__spool_parse_header(const void *data, size_t avail, uint64_t file_size,
                                              census_spool_header *header, char *why,
                                              size_t why_size);

/* Parses a whole file (data[0..len)): the header as above with file_size = len, and the CRC. */
census_spool_check census__spool_parse(const void *data, size_t len, census_spool_header *header,
                                       char *why, size_t why_size);

/* Encodes a whole file into a malloc'd buffer (*out, *out_len). CENSUS_EINVAL when a string is
 * longer than CENSUS_SPOOL_MAX_STRING or has control characters; CENSUS_ENOMEM. */
census_status census__spool_encode(const census_spool_meta *meta, const char *sender,
                                   const char *service, uint64_t identity, const void *body,
                                   size_t len, char **out, size_t *out_len);

/* The identity hash of (service, sender, url) stored in headers and directory names. */
uint64_t census__spool_identity(const char *service, const char *sender, const char *url);

#endif
