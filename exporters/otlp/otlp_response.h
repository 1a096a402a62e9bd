/* otlp_response.h - reading OTLP/HTTP responses: the verdict for the HTTP sender, partial
 * success (ExportMetricsServiceResponse / ExportTraceServiceResponse) and the google.rpc.Status
 * of an error, in protobuf or JSON.
 *
 * Outside input: every parser here bounds-checks each byte it reads and treats anything
 * malformed as "no details" rather than failing the delivery (tests/fuzz/fuzz_otlp_response.c
 * exercises them). Thread-safety: reentrant.
 */
#ifndef CENSUS_OTLP_RESPONSE_H
#define CENSUS_OTLP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_sender.h"

/* Partial success of a 200 response. Returns true if the body parsed (an empty protobuf body or
 * a JSON body without partialSuccess parses as "nothing rejected"); *rejected is clamped to
 * >= 0 and message[0..size) receives error_message ("" if none). `json` selects the encoding. */
bool census__otlp_parse_partial_success(const char *body, size_t len, bool json, int64_t *rejected,
                                        char *message, size_t message_size);

/* The `message` of a google.rpc.Status body into message[0..size). False if there is none. */
bool census__otlp_parse_status_message(const char *body, size_t len, bool json, char *message,
                                       size_t message_size);

/* The sender's classifier for OTLP: 200 -> DELIVERED (with partial success read); 429, 502, 503,
 * 504 and transport failures (status 0) -> RETRY; anything else -> FAILED with the Status
 * message. `request_json` says how the request was encoded; the response's Content-Type, when
 * present, decides how its body is read. `signal` ("metrics" or "traces") names the counted
 * items in messages. */
census_http_verdict census__otlp_classify(const census_http_response *response, bool request_json,
                                          const char *signal, uint64_t *rejected, char *message,
                                          size_t message_size);

/* The sender's classifier for OTLP/gRPC (grpc.h): a transport failure -> RETRY; an HTTP status
 * other than 200 -> the gRPC code it maps to (UNAVAILABLE for 429/502/503/504: RETRY); 200
 * without a valid grpc-status -> FAILED; grpc-status OK -> DELIVERED, with the partial success
 * of the framed Export*ServiceResponse read; another code -> RETRY for OTLP's retryable codes
 * (RESOURCE_EXHAUSTED only with a google.rpc.RetryInfo in grpc-status-details-bin, whose
 * retry_delay raises *response->retry_after_ms), else FAILED; the message names the code and the
 * grpc-message (percent-decoded; else the details' message). */
census_http_verdict census__otlp_classify_grpc(const census_http_response *response,
                                               const char *signal, uint64_t *rejected,
                                               char *message, size_t message_size);

#endif
