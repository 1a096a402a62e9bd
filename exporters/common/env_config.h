/* env_config.h - reading OpenTelemetry-style environment variables for the exporters.
 *
 * Every reader takes the variable's name, returns the default when it is unset or empty, and on a
 * malformed value reports one clear diagnostic (CENSUS_ECONFIG naming the variable, the value and
 * what was expected) through census_diagnostics_report() and returns the default: a bad variable
 * never stops an exporter or crashes the process. Thread-safe (getenv is only read).
 */
#ifndef CENSUS_COMMON_ENV_CONFIG_H
#define CENSUS_COMMON_ENV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

/* Longest text census__quote() copies (longer is cut with "..."), and the buffer it needs. */
#define CENSUS_QUOTE_MAX 64
#define CENSUS_QUOTE_SIZE (CENSUS_QUOTE_MAX * 4 + 4) /* every byte as \xNN, then "..." */

/* Copies outside text `s` into out[0..size) for quoting between double quotes in a diagnostic:
 * printable ASCII as is, '"' and '\\' escaped with a backslash, tab, newline and carriage return
 * as \t, \n, \r, every other byte as \xNN (so the text cannot split or garble the diagnostic
 * line); cut after CENSUS_QUOTE_MAX bytes with "...". `size` must be at least CENSUS_QUOTE_SIZE.
 * Thread-safe. */
void census__quote(const char *s, char *out, size_t size);

/* A non-negative integer number of milliseconds. */
int64_t census__env_ms(const char *name, int64_t default_ms);

/* A non-negative number of bytes: digits, optionally followed by KiB, MiB or GiB (powers of
 * 1024, case-insensitive, spaces allowed before the unit). */
uint64_t census__env_bytes(const char *name, uint64_t default_bytes);

/* One of `choices[0..count)`, compared case-insensitively; returns its index or default_index. */
size_t census__env_choice(const char *name, const char *const *choices, size_t count,
                          size_t default_index);

/* A string as-is (borrowed from the environment), or NULL when unset or empty. */
const char *census__env_string(const char *name);

/* Called for each pair of a "k1=v1,k2=v2" list; key and value are percent-decoded, trimmed,
 * NUL-terminated and borrowed for the call. Return false to stop. */
typedef bool (*census_kv_fn)(void *user, const char *key, const char *value);

/* Parses a W3C-baggage-like list (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS): members
 * separated by ',', each `key=value`, optional whitespace around both, values percent-decoded.
 * All-or-nothing, as the OpenTelemetry spec requires for OTEL_RESOURCE_ATTRIBUTES: the whole list
 * is validated first and `fn` is called only if every member is well formed. Returns CENSUS_OK,
 * or CENSUS_ECONFIG with a reason in message[0..message_size) (a member without '=', an empty
 * key, a bad percent escape). */
census_status census__kv_list_parse(const char *list, census_kv_fn fn, void *user, char *message,
                                    size_t message_size);

/* census__kv_list_parse() on the variable `name`; a malformed value is reported once per call
 * (naming the variable) and ignored as a whole. Unset or empty: CENSUS_OK, no calls. */
census_status census__env_kv_list(const char *name, census_kv_fn fn, void *user);

#endif
