/* census/propagation.h - moving a trace context and a tag map across process boundaries.
 *
 * Text formats travel in headers through a carrier the caller owns (an HTTP request, a gRPC
 * metadata map, anything with string headers): census reads headers through a getter and writes
 * them through a setter, both called synchronously and never retained. Binary formats (the
 * OpenCensus gRPC formats) read and write plain byte buffers.
 *
 * Formats:
 *   W3C Trace Context   traceparent + tracestate       census_traceparent_*, census_tracestate_*
 *   W3C Baggage         baggage <-> census_tag_map     census_baggage_*
 *   Zipkin B3           b3, or x-b3-*                  census_b3_*
 *   Google Cloud Trace  x-cloud-trace-context          census_cloud_trace_*
 *   OpenCensus binary   grpc-trace-bin bytes           census_trace_binary_*
 *   OpenCensus binary   grpc-tags-bin bytes            census_tags_binary_*
 *   several at once     OTEL_PROPAGATORS's list        census_propagator_*
 *
 * Common rules:
 * - Extraction never trusts its input: every length is checked, nothing is read past the end of a
 *   value, and a malformed value is refused with CENSUS_EINVAL. A header that is absent gives
 *   CENSUS_ENOTFOUND. On either error the output context is left invalid (all-zero ids, flags 0,
 *   empty tracestate), so the caller starts a new trace.
 * - Extracted contexts have `remote` set to true. Trace flags: W3C traceparent keeps the sampled
 *   and random bits (CENSUS_TRACE_FLAGS_KNOWN) and writes them as set; B3, X-Cloud-Trace-Context
 *   and the OpenCensus binary format carry the sampled decision only, so a context read from them
 *   never has the random flag and writing one drops it (docs/propagation.md gives the mapping).
 * - Injection of an invalid context (an all-zero id) sets no header and returns CENSUS_EINVAL.
 * - Header names are passed to the getter and the setter in lowercase.
 * - W3C baggage is lossy by design: members that cannot be represented (or, when read, do not
 *   fit census tag rules: printable ASCII, at most 255 bytes) are skipped and counted in an
 *   optional `skipped` out-parameter while the others go through. The OpenCensus binary tag
 *   format is all-or-nothing instead, as its spec requires.
 * - No function here allocates except the tag-map ones (which put into the map, and
 *   census_baggage_inject(), which builds the header in a heap buffer).
 * - Every function is thread-safe in the sense that it keeps no state; the caller must not change
 *   the objects it passes while the call runs.
 */
#ifndef CENSUS_PROPAGATION_H
#define CENSUS_PROPAGATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"
#include "census/tags.h"
#include "census/trace_context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- carriers ------------------------------------------------------------------------------ */

/* Reads a header from `carrier`. `name` is lowercase; the getter matches names without regard to
 * case. Returns the value (NUL-terminated, borrowed: it must stay valid until the census call that
 * invoked the getter returns) or NULL when the header is absent. Called on the thread of the
 * census call, possibly several times per call.
 * - Repeated headers: a header received as several field lines must be returned once, the lines'
 *   values joined in the order received with "," (RFC 9110 section 5.3, Field Order). That is how
 *   a split tracestate or baggage list is read whole; two traceparent lines joined this way are
 *   malformed, so census_traceparent_extract() refuses them (CENSUS_EINVAL) and the caller
 *   starts a new trace, as the W3C test suite requires. A getter that returns only the first line
 *   loses the other lines silently: use census_header_joiner_get() if the server library looks up
 *   only the first value but can list them all.
 * - Whitespace: the getter need not trim. census ignores spaces and tabs around a traceparent
 *   value, around each tracestate and baggage member, and around b3, x-b3-* and
 *   x-cloud-trace-context values (RFC 9110 section 5.5: they are not part of the field value). */
typedef const char *(*census_header_get_fn)(void *carrier, const char *name);

/* Writes (adds or replaces) header `name` (lowercase) with `value` in `carrier`. Both strings are
 * borrowed for the duration of the call only: the setter copies what it keeps. Called on the
 * thread of the census call. */
typedef void (*census_header_set_fn)(void *carrier, const char *name, const char *value);

/* For a server library whose lookup returns only the first value of a header but which can list
 * every field line (libmicrohttpd's MHD_get_connection_values(), an array of parsed headers, ...):
 * calls `visit(state, value)` once for each field line named `name` (compare without regard to
 * case), in the order received. `value` is borrowed for the visit only. */
typedef void (*census_header_visit_fn)(void *state, const char *value);
typedef void (*census_header_each_fn)(void *carrier, const char *name, census_header_visit_fn visit,
                                      void *state);

/* Room a census_header_joiner has for the values it joins, over all the getter calls of one
 * census call (a header of one field line is returned in place and takes none). */
#define CENSUS_HEADER_JOINER_CAPACITY 8192

/* A census_header_get_fn adapter over a census_header_each_fn: set `each` and `carrier`, zero the
 * rest (`census_header_joiner j = {.each = f, .carrier = request};`) and pass
 * census_header_joiner_get with &j as the getter and carrier. One field line is returned as the
 * library gave it; several are joined with "," into `buffer` (RFC 9110 section 5.3). The values
 * stay valid until the joiner is reset or goes out of scope, so one joiner serves one request
 * (all its extract calls); reset it with census_header_joiner_reset() to reuse it.
 * Not thread-safe: one thread at a time per joiner. */
typedef struct census_header_joiner {
  census_header_each_fn each; /* set by the caller */
  void *carrier;              /* set by the caller: passed to `each` */
  /* Out: field lines of a header dropped because the joined values did not fit the capacity
   * (whole lines from the last one received backwards, each also reported to the diagnostics
   * callback with the header name; the lines kept are still joined). */
  size_t lines_dropped;
  /* Private. */
  size_t used;
  char buffer[CENSUS_HEADER_JOINER_CAPACITY];
} census_header_joiner;

/* The census_header_get_fn of a census_header_joiner (`carrier` is the joiner). Returns the
 * value, borrowed from the library's visit (one line) or from the joiner's buffer (several), or
 * NULL when `each` visits no line (or the joiner or `each` is NULL). Lines that do not fit are
 * dropped, counted in lines_dropped and reported to the diagnostics callback. Never allocates.
 * Not thread-safe: one thread at a time per joiner. */
CENSUS_EXPORT const char *census_header_joiner_get(void *joiner, const char *name);

/* Forgets the values joined so far (they become invalid), keeping `each` and `carrier`, and sets
 * lines_dropped to 0. NULL is a no-op. Not thread-safe: one thread at a time per joiner. */
CENSUS_EXPORT void census_header_joiner_reset(census_header_joiner *joiner);

/* ---- W3C Trace Context: traceparent and tracestate ----------------------------------------- */
/* Level 2 (W3C Candidate Recommendation Draft, 28 March 2024); the rules and the sections they
 * come from are listed in docs/propagation.md. */

/* Length of a version-00 traceparent value, "00-<32 hex>-<16 hex>-<2 hex>", without the NUL. */
#define CENSUS_TRACEPARENT_LENGTH 55

/* Writes `context` as a version-00 traceparent value, lowercase, into `out` (55 characters and a
 * NUL). The flags are written as set in the context, except reserved bits, which are written as
 * zero (so 0x03 gives "03", 0xff gives "03"). Errors: CENSUS_EINVAL if an argument is NULL or the
 * context is invalid (`out` is then ""). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_traceparent_format(const census_trace_context *context,
                                                      char out[CENSUS_TRACEPARENT_LENGTH + 1]);

/* Parses a traceparent value of `length` bytes (no NUL needed; an embedded NUL is invalid) into
 * `*context`: ids, the sampled and random flags (reserved bits dropped), remote = true, and an
 * empty tracestate. Spaces and tabs before and after the value are ignored. Version 00 must then
 * be exactly 55 characters; a later version (01..fe) is parsed by its first 55 characters, which
 * must be followed by the end or by '-'; version ff is invalid. Hex must be lowercase; all-zero
 * trace or parent ids are invalid. Errors: CENSUS_EINVAL (NULL argument or malformed value; the
 * context is then invalid). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_traceparent_parse(const char *value, size_t length,
                                                     census_trace_context *context);

/* Why a tracestate value was discarded whole (census_tracestate_report.problem). */
typedef enum census_tracestate_problem {
  CENSUS_TRACESTATE_PROBLEM_NONE = 0,      /* nothing was discarded whole */
  CENSUS_TRACESTATE_PROBLEM_NULL = 1,      /* the value or the output buffer is NULL */
  CENSUS_TRACESTATE_PROBLEM_MEMBERS = 2,   /* more than CENSUS_TRACESTATE_MAX_MEMBERS members */
  CENSUS_TRACESTATE_PROBLEM_NO_EQUALS = 3, /* a member has no '=' */
  CENSUS_TRACESTATE_PROBLEM_KEY = 4,       /* a key is not 1..256 of a-z 0-9 _ - * / @ starting
                                              with a-z or 0-9 */
  CENSUS_TRACESTATE_PROBLEM_VALUE = 5,     /* a value is not 1..256 of 0x20..0x7e except ',' and
                                              '=', ending in a non-space */
} census_tracestate_problem;

/* What census_tracestate_parse() or census_traceparent_extract() did with a tracestate. */
typedef struct census_tracestate_report {
  /* CENSUS_OK: kept (canonical form in the output; members may have been dropped, see below).
   * CENSUS_EINVAL: discarded whole; `problem`, `offset` and `length` say why and where.
   * CENSUS_ENOTFOUND: extract only: no tracestate header, or it was not read because the
   * traceparent was absent or malformed (W3C: then tracestate MUST NOT be parsed). */
  census_status status;
  census_tracestate_problem problem;
  size_t offset;     /* byte offset in the value of the member at fault (status CENSUS_EINVAL) */
  size_t length;     /* its length in bytes, without the spaces and tabs around it */
  size_t duplicates; /* members dropped because an earlier member has the same key */
  size_t truncated;  /* members dropped so that the rest fits CENSUS_TRACESTATE_MAX_LENGTH */
} census_tracestate_report;

/* A one-line English description of a problem, e.g. "a member has no '='". Never NULL (unknown
 * values give "unknown tracestate problem"). Returns a static string. Thread-safe. */
CENSUS_EXPORT const char *census_tracestate_problem_str(census_tracestate_problem problem);

/* Validates a tracestate value of `length` bytes and writes its canonical form into `out`
 * (members "key=value" joined by "," without spaces; empty members dropped). Rules (Level 2,
 * section 3.3.2): keys are 1..256 characters, `(lcalpha / DIGIT) 0*255(lcalpha / DIGIT / "_" /
 * "-" / "*" / "/" / "@")` (so `tenant@system` and any other use of '@' after the first character);
 * values are 1..256 characters of 0x20..0x7e except ',' and '=', not ending in a space; spaces and
 * tabs around members are ignored; at most 32 members. A key that appears again is kept once, as
 * its first (left-most, most recent) member; the later ones are dropped and counted (section 3.5
 * allows discarding duplicates). If the canonical form exceeds CENSUS_TRACESTATE_MAX_LENGTH,
 * members longer than 128 characters are dropped first, then members from the right (section
 * 3.3.3.1), and counted. Any other rule broken discards the whole tracestate, as the W3C test
 * suite expects: `out` is "" and CENSUS_EINVAL is returned. `report` (if not NULL) receives what
 * happened and, for a discarded value, why. Errors: CENSUS_EINVAL (NULL value or out, or a rule
 * broken). Never allocates. Keeps no state and reports nothing to diagnostics. Thread-safe. */
CENSUS_EXPORT census_status census_tracestate_parse(const char *value, size_t length,
                                                    char out[CENSUS_TRACESTATE_MAX_LENGTH + 1],
                                                    census_tracestate_report *report);

/* Writes the `traceparent` header, and the `tracestate` header when the context's tracestate is
 * valid and not empty, through `set`. The tracestate is re-validated first: an invalid one is not
 * sent, and members dropped from it (repeated keys, over 512 characters) are not sent; either is
 * reported to the diagnostics callback. Errors: CENSUS_EINVAL (NULL argument or invalid context;
 * nothing is written). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_traceparent_inject(const census_trace_context *context,
                                                      census_header_set_fn set, void *carrier);

/* Reads `traceparent` and `tracestate` through `get` into `*context`. Returns CENSUS_OK with a
 * valid remote context, CENSUS_ENOTFOUND (no traceparent) or CENSUS_EINVAL (NULL argument or
 * malformed traceparent, including two traceparent field lines joined by the getter); on error
 * the context is invalid and tracestate is not read. A tracestate problem never fails the call
 * (W3C: it MUST NOT affect the traceparent): the context keeps its ids, with an empty tracestate
 * if it was discarded. What happened to the tracestate goes to `*report` (if not NULL), and a
 * discarded tracestate or dropped members are also reported to the diagnostics callback, in one
 * line saying why (at most 32 bytes of the member at fault are quoted, escaped). Never allocates.
 * Thread-safe. */
CENSUS_EXPORT census_status census_traceparent_extract(census_header_get_fn get, void *carrier,
                                                       census_trace_context *context,
                                                       census_tracestate_report *report);

/* ---- W3C Baggage <-> tag map --------------------------------------------------------------- */

/* Limits census applies to a baggage header, both ways: the W3C minimums every platform must
 * propagate (64 list members, 8192 bytes for the whole header). */
#define CENSUS_BAGGAGE_MAX_MEMBERS 64
#define CENSUS_BAGGAGE_MAX_LENGTH 8192

/* Writes `map` as a baggage value into `out` (capacity `capacity` bytes including the NUL):
 * members "key=value" joined by ",", values percent-encoded (every byte outside the W3C
 * baggage-octet set, and '%', as %XX). A tag whose key is not an RFC 7230 token is skipped, and so
 * are members past CENSUS_BAGGAGE_MAX_MEMBERS or that would not fit in min(capacity - 1,
 * CENSUS_BAGGAGE_MAX_LENGTH) bytes; `*skipped` (if not NULL) receives their number. `*length` (if
 * not NULL) receives the length written. An empty map gives "". Errors: CENSUS_EINVAL (NULL map
 * or out, capacity 0). Never allocates. Thread-safety: as census_tag_map_get(). */
CENSUS_EXPORT census_status census_baggage_format(const census_tag_map *map, char *out,
                                                  size_t capacity, size_t *length, size_t *skipped);

/* Parses a baggage value of `length` bytes and puts each member into `map` (existing tags are
 * kept unless the header names the same key; a later member wins over an earlier one). Members
 * are "key=value" with optional spaces/tabs around them and around '='; properties after ';' are
 * dropped because census tags carry no metadata; values are percent-decoded. A member is skipped
 * (and counted in `*skipped` if not NULL) when it is malformed (no '=', key not a token, bad
 * percent escape, a byte outside baggage-octet), when its decoded key or value breaks census tag
 * rules (printable ASCII, at most 255 bytes), when it starts past byte CENSUS_BAGGAGE_MAX_LENGTH,
 * or when CENSUS_BAGGAGE_MAX_MEMBERS members were already taken (also, after census_shutdown(),
 * every member, since no key can be made). Empty members are ignored.
 * Errors: CENSUS_EINVAL (NULL value or map), CENSUS_ENOMEM (the map then holds the members put
 * so far). Allocates (tag keys and map entries). Thread-safety: one writer of `map` at a time. */
CENSUS_EXPORT census_status census_baggage_parse(const char *value, size_t length,
                                                 census_tag_map *map, size_t *skipped);

/* Writes `map` as the `baggage` header through `set` (nothing for an empty map, or when every
 * tag was skipped). Skipping as in census_baggage_format(). Errors: CENSUS_EINVAL (NULL
 * argument), CENSUS_ENOMEM (the header buffer could not be allocated; nothing written). Allocates
 * one temporary buffer. Thread-safety: as census_tag_map_get() for `map`. */
CENSUS_EXPORT census_status census_baggage_inject(const census_tag_map *map,
                                                  census_header_set_fn set, void *carrier,
                                                  size_t *skipped);

/* Reads the `baggage` header through `get` into `map` as census_baggage_parse() does (keys are
 * interned, values copied into the map; the header value is borrowed from the getter for the
 * call). CENSUS_ENOTFOUND when the header is absent (map unchanged); otherwise the errors of
 * census_baggage_parse(). Thread-safety: one writer of `map` at a time. */
CENSUS_EXPORT census_status census_baggage_extract(census_header_get_fn get, void *carrier,
                                                   census_tag_map *map, size_t *skipped);

/* ---- Zipkin B3 ----------------------------------------------------------------------------- */

/* Which B3 encoding census_b3_inject() writes. */
typedef enum census_b3_form {
  CENSUS_B3_SINGLE = 0, /* one header, b3: {traceid}-{spanid}-{1|0} */
  CENSUS_B3_MULTI = 1,  /* x-b3-traceid, x-b3-spanid, x-b3-sampled */
} census_b3_form;

/* The sampling decision carried by B3, which can say more than the sampled flag. */
typedef enum census_b3_sampling {
  CENSUS_B3_SAMPLING_UNSET = 0,  /* no decision: the receiver decides (trace flags 0) */
  CENSUS_B3_SAMPLING_DENY = 1,   /* "0" / "false" */
  CENSUS_B3_SAMPLING_ACCEPT = 2, /* "1" / "true" */
  CENSUS_B3_SAMPLING_DEBUG = 3,  /* "d" / x-b3-flags: 1; census records it as sampled */
} census_b3_sampling;

/* Longest single b3 value census reads or writes: 32 + 1 + 16 + 1 + 1 + 1 + 16. */
#define CENSUS_B3_MAX_LENGTH 68

/* Writes `context` as a single-header b3 value "{32 hex trace id}-{16 hex span id}-{1|0}" into
 * `out`. Errors: CENSUS_EINVAL (NULL argument, invalid context; `out` is then ""). Never
 * allocates. Thread-safe. */
CENSUS_EXPORT census_status census_b3_format(const census_trace_context *context,
                                             char out[CENSUS_B3_MAX_LENGTH + 1]);

/* Parses a single-header b3 value of `length` bytes (spaces and tabs around it are ignored):
 * `{traceid}-{spanid}[-{sampling}[-{parentspanid}]]` with a 16- or 32-character lowercase hex
 * trace id (16 is left-padded with zeros), 16-hex span and parent ids, sampling "0", "1" or "d";
 * or a sampling state alone ("0", "1", "d"). Sets `*sampling` (if not NULL). The parent id is
 * checked but not kept (a census context has no parent). Returns CENSUS_OK with a valid context;
 * CENSUS_ENOTFOUND for a sampling state alone (no context, but `*sampling` says what to do);
 * CENSUS_EINVAL for anything malformed or all-zero ids. Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_b3_parse(const char *value, size_t length,
                                            census_trace_context *context,
                                            census_b3_sampling *sampling);

/* Writes `context` in the chosen B3 form through `set`: the `b3` header, or `x-b3-traceid`
 * (32 hex), `x-b3-spanid` and `x-b3-sampled` ("1" or "0"). Errors: CENSUS_EINVAL (NULL argument,
 * unknown form, invalid context; nothing written). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_b3_inject(const census_trace_context *context,
                                             census_b3_form form, census_header_set_fn set,
                                             void *carrier);

/* Reads B3 through `get`: the `b3` header if it is present and valid, else the multi headers
 * (`x-b3-traceid`, `x-b3-spanid`, optional `x-b3-parentspanid`, `x-b3-sampled` "1"/"0"/"true"/
 * "false", `x-b3-flags` "1" = debug). Returns as census_b3_parse(): CENSUS_OK, CENSUS_ENOTFOUND
 * (no B3 context; `*sampling` may still carry a decision) or CENSUS_EINVAL (malformed). Never
 * allocates. Thread-safe. */
CENSUS_EXPORT census_status census_b3_extract(census_header_get_fn get, void *carrier,
                                              census_trace_context *context,
                                              census_b3_sampling *sampling);

/* ---- Google Cloud Trace: X-Cloud-Trace-Context --------------------------------------------- */

/* Longest X-Cloud-Trace-Context value census writes: 32 + 1 + 20 + 4. */
#define CENSUS_CLOUD_TRACE_MAX_LENGTH 57

/* Writes `context` as "TRACE_ID/SPAN_ID;o=N": 32 lowercase hex, the span id as a decimal
 * unsigned 64-bit number (big-endian bytes), N 1 if sampled else 0. Errors: CENSUS_EINVAL (NULL
 * argument, invalid context; `out` is then ""). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_cloud_trace_format(const census_trace_context *context,
                                                      char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1]);

/* Parses "TRACE_ID/SPAN_ID[;o=OPTIONS]" of `length` bytes (spaces and tabs around it are
 * ignored): 32 hex (either case: Google does not
 * restrict it), a decimal span id of 1..20 digits that fits 64 bits and is not 0, and optional
 * decimal options whose bit 0 means sampled. Nothing may follow. Errors: CENSUS_EINVAL. Never
 * allocates. Thread-safe. */
CENSUS_EXPORT census_status census_cloud_trace_parse(const char *value, size_t length,
                                                     census_trace_context *context);

/* Writes the `x-cloud-trace-context` header through `set`. Errors: CENSUS_EINVAL (NULL argument
 * or invalid context). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_cloud_trace_inject(const census_trace_context *context,
                                                      census_header_set_fn set, void *carrier);

/* Reads the `x-cloud-trace-context` header through `get`: CENSUS_OK, CENSUS_ENOTFOUND or
 * CENSUS_EINVAL as census_cloud_trace_parse(). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_cloud_trace_extract(census_header_get_fn get, void *carrier,
                                                       census_trace_context *context);

/* ---- OpenCensus binary trace context (grpc-trace-bin) -------------------------------------- */

/* Size of a complete encoding: version, 3 field ids, 16 + 8 + 1 bytes of fields. */
#define CENSUS_TRACE_BINARY_SIZE 29

/* Writes `context` into `out`: 0x00, 0x00 + trace id, 0x01 + span id, 0x02 + options (the
 * sampled bit). Errors: CENSUS_EINVAL (NULL argument, invalid context). Never allocates.
 * Thread-safe. */
CENSUS_EXPORT census_status census_trace_binary_encode(const census_trace_context *context,
                                                       uint8_t out[CENSUS_TRACE_BINARY_SIZE]);

/* Decodes `length` bytes: version 0 (any other is refused), then field 0 (trace id, required),
 * field 1 (span id, required), field 2 (options, optional, default 0), in that order; parsing stops
 * at the first unknown field id, and anything after it is ignored (forward compatibility, as the
 * OpenCensus spec requires). Errors: CENSUS_EINVAL (NULL argument, wrong version, truncated
 * field, missing or all-zero id). Never allocates. Thread-safe. */
CENSUS_EXPORT census_status census_trace_binary_decode(const uint8_t *buffer, size_t length,
                                                       census_trace_context *context);

/* ---- OpenCensus binary tag context (grpc-tags-bin) ----------------------------------------- */

/* OpenCensus limit on a tag map (tags/TagMap.md "Limits"): the combined size of all keys and
 * values, counted before encoding, duplicates included. */
#define CENSUS_TAGS_BINARY_MAX_SIZE 8192

/* Encodes `map` into `out` (`capacity` bytes): 0x00 (version), then per tag 0x00 (field id),
 * varint key length, key, varint value length, value. As the OpenCensus spec requires, there is
 * no partial result: a map whose keys and values total more than CENSUS_TAGS_BINARY_MAX_SIZE is
 * refused with CENSUS_ELIMIT and *length = 0; a buffer too small gives CENSUS_ELIMIT with
 * *length set to the size needed. Otherwise CENSUS_OK and *length = bytes written (an empty map is
 * the single version byte). Errors also: CENSUS_EINVAL (NULL map, out or length). Never
 * allocates. Thread-safety: as census_tag_map_get(). */
CENSUS_EXPORT census_status census_tags_binary_encode(const census_tag_map *map, uint8_t *out,
                                                      size_t capacity, size_t *length);

/* Decodes `length` bytes into `map` (a later tag with the same key wins, and wins over a tag
 * already in the map). The whole buffer is checked before anything is put, and any fault refuses
 * it all with CENSUS_EINVAL and leaves the map unchanged (OpenCensus: "no partial failures"): a
 * version other than 0, a truncated tag, a varint longer than 5 bytes or over 2^32 - 1, keys and
 * values totalling more than CENSUS_TAGS_BINARY_MAX_SIZE, or a key or value census cannot hold
 * (key empty, either over 255 bytes or not printable ASCII). Parsing stops at the first unknown
 * field id, which is not an error (the spec's forward-compatibility rule). Errors also:
 * CENSUS_ENOMEM, CENSUS_ELIMIT (CENSUS_TAG_MAX_KEYS distinct tag keys exist and a new one
 * arrived), CENSUS_ESHUTDOWN (after census_shutdown() no key can be made); the map may then
 * hold some of the tags. Allocates (keys are interned, map
 * entries). Thread-safety: one writer of `map` at a time. */
CENSUS_EXPORT census_status census_tags_binary_decode(const uint8_t *buffer, size_t length,
                                                      census_tag_map *map);

/* ---- Composite propagator: several formats, one call ---------------------------------------- */

/* An ordered list of formats, made from a comma-separated list of names, OpenTelemetry's
 * OTEL_PROPAGATORS syntax: "tracecontext" (traceparent + tracestate), "baggage" (the tag map as
 * W3C baggage), "b3" (the single b3 header), "b3multi" (x-b3-*), "gcp_trace"
 * (x-cloud-trace-context, the name Google's OpenTelemetry propagator registers),
 * "grpc_trace_bin" (the OpenCensus binary trace context as the grpc-trace-bin header, base64 as
 * gRPC sends "-bin" metadata), or "none" alone (no propagation). Immutable; thread-safe: any
 * number of threads may use one. docs/propagation.md ("Several formats at once"). */
typedef struct census_propagator census_propagator;

/* Makes a propagator from `formats` (read during the call): spaces and tabs around names and
 * empty items are ignored, a name given twice is kept once, in its first place. Returns it, owned
 * by the caller (free with census_propagator_free()), with *status (if not NULL) = CENSUS_OK; or
 * NULL with *status = CENSUS_EINVAL (NULL, an unknown name, or "none" with other names: reported
 * to the diagnostics callback with the names census knows) or CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_propagator *census_propagator_new(const char *formats, census_status *status);

/* Frees a propagator; NULL is a no-op. No other thread may use it during or after the call. */
CENSUS_EXPORT void census_propagator_free(census_propagator *propagator);

/* Its number of formats (0 for "none" and for NULL), and the name of format i in order (NULL
 * out of range); names are static strings. Only reads the propagator. Thread-safe. */
CENSUS_EXPORT size_t census_propagator_format_count(const census_propagator *propagator);
CENSUS_EXPORT const char *census_propagator_format(const census_propagator *propagator, size_t i);

/* Writes every format's headers through `set`, in order: `context` (may be NULL: the trace
 * formats are skipped) by each trace format, `baggage` (may be NULL: skipped) by "baggage"; both
 * borrowed for the call. Every format runs; returns CENSUS_OK, or the first error one returned
 * (CENSUS_EINVAL for an invalid context, which sets no trace header; CENSUS_ENOMEM from baggage).
 * CENSUS_EINVAL for a NULL propagator or setter. Allocates only for baggage. Thread-safe. */
CENSUS_EXPORT census_status census_propagator_inject(const census_propagator *propagator,
                                                     const census_trace_context *context,
                                                     const census_tag_map *baggage,
                                                     census_header_set_fn set, void *carrier);

/* Reads every format through `get`, in order, as OpenTelemetry's composite propagator does: each
 * trace format that finds a valid context replaces what an earlier one found (so the last
 * listed wins), and "baggage" puts its members into `baggage` (may be NULL: not read; existing
 * tags are kept unless the header names them). `*context` (may be NULL: trace formats are not
 * read) is the context found, or invalid (all zero). Returns CENSUS_OK when a trace format found
 * a context, else CENSUS_EINVAL when one was malformed, else CENSUS_ENOTFOUND (also when only
 * baggage was read); but CENSUS_ENOMEM when baggage members could not be copied into `baggage`
 * (the context found is still set; the map may hold some members). Header values are borrowed from
 * the getter for the call; baggage values are copied into the map. CENSUS_EINVAL for a NULL
 * propagator or getter. Thread-safety: as the formats' extract calls (one writer of `baggage` at a
 * time). */
CENSUS_EXPORT census_status census_propagator_extract(const census_propagator *propagator,
                                                      census_header_get_fn get, void *carrier,
                                                      census_trace_context *context,
                                                      census_tag_map *baggage);

#ifdef __cplusplus
}
#endif
#endif
