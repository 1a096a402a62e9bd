/* shm_format.h - the shared-memory stats file, version 2 (readers also read version 1): its layout,
 * written by shm.c (one file per process) and by the compactor (the archive), read by shm_read.c.
 * docs/shared-memory.md describes it for readers in other languages.
 *
 * All integers are in the writing host's byte order (the magic tells a reader on another order
 * that the file is not for it); every structure is 8-byte aligned.
 *
 *   file    = header (256 bytes) chunk*
 *   header  = magic "CENSUSHM" | u32 version (2; 1 is read too) | u32 header size (256) | u32 kind
 * (1 process, 2 archive) | u32 reserved | u64 pid | i64 start (Unix ns) | u64 nonce | u32 checksum
 * of bytes 0..48 | u32 reserved | u64 end (atomic: bytes of the file holding chunks; grows,
 * release-published after a chunk's header is written) chunk   = at a 64-aligned offset below
 * `end`: u32 magic "CHNK" | u32 reserved | u64 size (bytes, header included, a multiple of 64) |
 * u64 used (atomic: bytes of records after the 64-byte chunk header, release-published after a
 * record is complete) | 40 bytes reserved | records record  = u32 magic "CELL" | u32 size (bytes, a
 * multiple of 8) | u32 description size | u32 checksum (of the 16 bytes before it with it zero, and
 * the description) | u32 words | u32 slots (2: a live cell, 1: an archived total) | description
 * (padded to 8) | u64 gen (atomic) | u64 writer's word (readers skip it) | slot 0 [words] | slot 1
 * [words] description = u8 aggregation (census_aggregation_type: COUNT, SUM, LAST_VALUE,
 *             DISTRIBUTION or, from version 2, EXPONENTIAL) | u8 measure type | u8 flags (bit 0:
 *             a signed measure, whose int sums are two's-complement; other bits 0) | u8 max
 *             scale (EXPONENTIAL: the view's max_scale as an int8; else 0) | u32 column count |
 *             u32 bound count (EXPONENTIAL: 0) | u32 max size (EXPONENTIAL: the view's max_size,
 *             its slot count; else 0, and ignored in version 1) | strings: view name, view
 * description, measure name, measure description, unit, each column name (each a u32 length and the
 *             bytes) | padding to 8 | bounds (f64 each) || each column value (a u32 length and
 *             the bytes) | u8 overflow row
 *             The part before "||" names the view (every row of a view shares it); the rest, the
 *             row. The merge groups by both.
 *
 * A chunk is written by one thread only (its records and `used`), so threads share no written
 * cache line. A live cell's words follow stats_internal.h's layout for its aggregation (COUNT:
 * count; SUM: count, sum; LAST_VALUE: time, value; DISTRIBUTION: count, sum, shift, s1, s2, min,
 * max, then bound count + 1 buckets, where s1 and s2 are the sums of (x - shift) and
 * (x - shift)^2 and shift is the cell's first value: the shifted sums; EXPONENTIAL: the same
 * seven, zero count, scale, base, two words of the writer's memo (readers ignore them), then
 * max size slots, slot k counting bucket base + k at the scale); the
 * recording thread writes the slot `gen` does not name, then stores gen + 1 (release): slot
 * (gen & 1) is always complete, so a reader never sees half a record, even when the writer was
 * killed in the middle of one. The writer's word is the writer's own: for a SUM, the committed
 * sum (the writer computes the next one from it, not from the slot); for a DISTRIBUTION, the
 * bucket word the last update changed, so that the next update copies only the head words and
 * that bucket into the other slot (the slots differ in nothing else). A live COUNT, SUM or
 * DISTRIBUTION cell's count equals gen. An archived LAST_VALUE total
 * has 5 words: time, most recent value, min, max, sum (the measure's representation: int64 or
 * double bits).
 */
#ifndef CENSUS_STATS_SHM_FORMAT_H
#define CENSUS_STATS_SHM_FORMAT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CENSUS__SHM_MAGIC "CENSUSHM"
#define CENSUS__SHM_VERSION 2u     /* what this census writes */
#define CENSUS__SHM_VERSION_MIN 1u /* the oldest it reads: version 1 has no EXPONENTIAL */
#define CENSUS__SHM_HEADER_SIZE 256u
#define CENSUS__SHM_KIND_PROCESS 1u
#define CENSUS__SHM_KIND_ARCHIVE 2u
#define CENSUS__SHM_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define CENSUS__SHM_CELL_MAGIC 0x4c4c4543u  /* "CELL" */
#define CENSUS__SHM_CHUNK_HEADER 64u
#define CENSUS__SHM_RECORD_HEAD 24u
#define CENSUS__SHM_ARCHIVE_LV_WORDS 5u
/* The archive also lists the file names it holds the totals of: a record whose words are 0 and
 * whose description is the names, each a u32 length and bytes (aggregation byte 0xff). */
#define CENSUS__SHM_NAMES_AGGREGATION 0xffu

struct census__shm_header {
  char magic[8];
  uint32_t version, header_size, kind, reserved0;
  uint64_t pid;
  int64_t start_ns;
  uint64_t nonce;
  uint32_t checksum, reserved1;
  _Atomic uint64_t end;
};

struct census__shm_chunk {
  uint32_t magic, reserved;
  uint64_t size;
  _Atomic uint64_t used;
  uint64_t reserved2[5];
};

struct census__shm_record {
  uint32_t magic, size, desc_size, checksum, words, slots;
};

/* FNV-1a, 32 bits: catches torn or damaged descriptions and headers (not an adversary). */
static inline uint32_t census__shm_fnv(uint32_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ p[i]) * 16777619u;
  }
  return h;
}

static inline uint32_t census__shm_header_checksum(const struct census__shm_header *h) {
  return census__shm_fnv(2166136261u, h, offsetof(struct census__shm_header, checksum));
}

static inline uint32_t census__shm_record_checksum(const struct census__shm_record *r,
                                                   const void *desc) {
  struct census__shm_record head = *r;
  head.checksum = 0;
  return census__shm_fnv(census__shm_fnv(2166136261u, &head, sizeof head), desc, r->desc_size);
}

static inline size_t census__shm_pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Bytes of a record with a `desc_size`-byte description and `slots` slots of `words` words. */
static inline size_t census__shm_record_size(size_t desc_size, size_t words, size_t slots) {
  return CENSUS__SHM_RECORD_HEAD + census__shm_pad8(desc_size) + 16 + slots * words * 8;
}

_Static_assert(sizeof(struct census__shm_header) == 64, "header fields");
_Static_assert(sizeof(struct census__shm_chunk) == CENSUS__SHM_CHUNK_HEADER, "chunk header");
_Static_assert(sizeof(struct census__shm_record) == CENSUS__SHM_RECORD_HEAD, "record head");

#endif
