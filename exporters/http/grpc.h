/* grpc.h - the small part of gRPC that a unary call over HTTP/2 needs, without gRPC: the 5-byte
 * message framing, the grpc-status / grpc-message / grpc-status-details-bin trailers, the status
 * codes and which of them OTLP retries (libc only; the HTTP/2 transport is libcurl's, in
 * http_attempt.c, and gzip is the sender's, in http_sender.c).
 *
 * A unary gRPC call is one HTTP/2 POST to /<package>.<Service>/<Method> with
 * `content-type: application/grpc` and `te: trailers`, whose body is one length-prefixed message:
 * a flag byte (1: the message is compressed with the call's grpc-encoding), a 4-byte big-endian
 * length, the message. The answer is HTTP 200 with one such message (on success) and the call's
 * outcome in the trailers: grpc-status (a decimal code, 0 = OK), grpc-message (percent-encoded
 * text) and grpc-status-details-bin (a base64 google.rpc.Status, whose details may carry a
 * google.rpc.RetryInfo). A server that fails at once sends them in the headers instead
 * ("Trailers-Only"); libcurl hands both to the same header callback.
 *
 * Every parser here reads outside input: it bounds-checks each byte and reports malformed input
 * as "absent" rather than failing (tests/fuzz/fuzz_grpc.c). Thread-safety: reentrant.
 */
#ifndef CENSUS_HTTP_GRPC_H
#define CENSUS_HTTP_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The gRPC status codes (grpc/doc/statuscodes.md). */
enum {
  CENSUS_GRPC_OK = 0,
  CENSUS_GRPC_CANCELLED = 1,
  CENSUS_GRPC_UNKNOWN = 2,
  CENSUS_GRPC_INVALID_ARGUMENT = 3,
  CENSUS_GRPC_DEADLINE_EXCEEDED = 4,
  CENSUS_GRPC_NOT_FOUND = 5,
  CENSUS_GRPC_ALREADY_EXISTS = 6,
  CENSUS_GRPC_PERMISSION_DENIED = 7,
  CENSUS_GRPC_RESOURCE_EXHAUSTED = 8,
  CENSUS_GRPC_FAILED_PRECONDITION = 9,
  CENSUS_GRPC_ABORTED = 10,
  CENSUS_GRPC_OUT_OF_RANGE = 11,
  CENSUS_GRPC_UNIMPLEMENTED = 12,
  CENSUS_GRPC_INTERNAL = 13,
  CENSUS_GRPC_UNAVAILABLE = 14,
  CENSUS_GRPC_DATA_LOSS = 15,
  CENSUS_GRPC_UNAUTHENTICATED = 16,
};

/* Bytes of the length prefix of a gRPC message. */
#define CENSUS_GRPC_PREFIX 5

/* Writes the prefix of a message of `len` bytes (compressed: flag 1) into out[0..5). */
void census__grpc_prefix(unsigned char out[CENSUS_GRPC_PREFIX], bool compressed, uint32_t len);

/* The one message of a unary response body: true with *message, *len and *compressed set when
 * `body` is exactly one length-prefixed message (an empty body is true with *len 0: a response
 * without a message); false when the prefix is cut short, the length disagrees with the body, or
 * more than one message follows. */
bool census__grpc_unframe(const char *body, size_t body_len, const char **message, size_t *len,
                          bool *compressed);

/* A grpc-status value: true with *code for a decimal number 0 .. 2^31-1 (surrounding blanks
 * allowed), false otherwise. */
bool census__grpc_parse_status(const char *value, size_t len, int *code);

/* Percent-decodes a grpc-message value into out[0..size) (NUL-terminated, size >= 1; cut to
 * fit). A '%' not followed by two hex digits is kept as is (the gRPC spec asks receivers to
 * accept such values); control characters become spaces, so the text fits a one-line
 * diagnostic. */
void census__grpc_decode_message(const char *value, size_t len, char *out, size_t size);

/* What a grpc-status-details-bin trailer (a base64 google.rpc.Status) says. */
typedef struct census_grpc_details {
  int code;               /* google.rpc.Status.code */
  char message[256];      /* google.rpc.Status.message (cut to fit, control characters spaces) */
  bool retry_info;        /* a google.rpc.RetryInfo detail is present */
  int64_t retry_delay_ms; /* its retry_delay in ms (rounded up; at most 30 days); -1 if none */
} census_grpc_details;

/* Decodes a grpc-status-details-bin value (base64, padded or not) and the google.rpc.Status in
 * it: code (1), message (2), details (3, google.protobuf.Any: type_url 1, value 2), of which a
 * type.googleapis.com/google.rpc.RetryInfo gives its retry_delay (1, google.protobuf.Duration:
 * seconds 1, nanos 2). True with *out filled when the value is base64 and the message protobuf;
 * false (and *out cleared) otherwise. Unknown fields are skipped. */
bool census__grpc_parse_details(const char *value, size_t len, census_grpc_details *out);

/* The name of a status code ("UNAVAILABLE"), or "UNKNOWN_CODE" for one outside 0..16. */
const char *census__grpc_code_name(int code);

/* Whether OTLP retries a call that ended with `code` (OpenTelemetry's OTLP/gRPC table):
 * CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS; and
 * RESOURCE_EXHAUSTED only when the server sent a RetryInfo (it says recovery is possible). */
bool census__grpc_retryable(int code, bool retry_info);

/* The status a gRPC client assumes when an HTTP response is not a gRPC one (status != 200),
 * from gRPC's http-grpc-status-mapping: 400 INTERNAL, 401 UNAUTHENTICATED, 403
 * PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, others UNKNOWN. */
int census__grpc_code_of_http(long status);

#endif
