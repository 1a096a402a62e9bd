/* url.h - checking the endpoint URLs the push exporters are given, and printing them without
 * their secrets.
 *
 * An endpoint comes from an option or an environment variable and is written by a person, so a
 * refusal must say what is wrong and what to write instead ("localhost:4318" has no scheme: write
 * "http://localhost:4318"). libcurl parses (curl_url()), as it is the library that will send to
 * the URL. A URL may carry credentials (user:password@, ?api_key=...), which must never reach a
 * diagnostic: every URL census prints goes through census__url_redact() first.
 */
#ifndef CENSUS_HTTP_URL_H
#define CENSUS_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "census/status.h"

/* Returns true when `url` is an absolute http:// or https:// URL with a host that libcurl
 * parses. Otherwise returns false and writes to why[0..size) one phrase saying what is wrong and
 * what to do, quoting the URL redacted, e.g.
 *   "localhost:4318" is not a URL (no scheme): write "http://localhost:4318" or "https://..."
 * `url` may be NULL (then "is not set"). Thread-safe. */
bool census__url_ok(const char *url, char *why, size_t size);

/* Copies `url` into out[0..size) for printing: userinfo ("user:password@") becomes "***@", a
 * query or fragment becomes "?***" / "#***", non-printable bytes become '?', and a URL longer
 * than the buffer is cut with "...". Works on strings that do not parse too. Thread-safe. */
void census__url_redact(const char *url, char *out, size_t size);

/* census__url_ok() for the option or variable `option` (e.g. "options.endpoint",
 * "OTEL_EXPORTER_ZIPKIN_ENDPOINT") of exporter `who` (e.g. "zipkin"): when the URL is refused,
 * reports one diagnostic "<who>: <option> <why>; <consequence>" with `status` and returns false.
 * `consequence` says what census does about it ("the exporter is not started", "ignored, using
 * http://localhost:9411/api/v2/spans"). Thread-safe. */
bool census__url_check(census_status status, const char *who, const char *option, const char *url,
                       const char *consequence);

#endif
