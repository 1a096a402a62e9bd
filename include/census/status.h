/* census/status.h - status codes returned by every fallible census call.
 *
 * A census_status is 0 on success and a negative code on failure. Codes come from one table,
 * CENSUS_STATUS_MAP below, which also gives each code its stable symbolic name and its one-line
 * message. New codes may be appended; existing values never change (they are part of the ABI).
 */
#ifndef CENSUS_STATUS_H
#define CENSUS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CENSUS_EXPORT __declspec(dllexport)
#else
#define CENSUS_EXPORT __attribute__((visibility("default")))
#endif

/* An int so that every FFI can carry it; compare against the CENSUS_* constants below. */
typedef int census_status;

/* The status table, the one list every status comes from: X(NAME, value, message) per code. It
 * yields the CENSUS_<NAME> constants below, census_status_name() ("CENSUS_<NAME>") and
 * census_status_str() (the message), and bindings can generate theirs from it. Values are dense,
 * from 0 down, and part of the ABI: never change or reuse one; a new code is appended with the
 * next value. Notes on some codes: ECONFIG covers options and environment variables; after
 * ESYSTEM errno is preserved where possible; EDUPLICATE is e.g. a tag key listed twice in a
 * view's columns. */
#define CENSUS_STATUS_MAP(X)                                                                       \
  X(OK, 0, "success")                                                                              \
  X(EINVAL, -1, "a required argument is NULL or out of range")                                     \
  X(ENOMEM, -2, "out of memory; nothing was changed")                                              \
  X(EBADNAME, -3, "name is empty, longer than 255 bytes, or not printable ASCII")                  \
  X(EBADVALUE, -4, "tag value is longer than 255 bytes or not printable ASCII")                    \
  X(ECONFLICT, -5, "name is already registered with a different definition")                       \
  X(EBADBOUNDS, -6, "bucket bounds must be finite and strictly increasing")                        \
  X(ENEGATIVE, -7, "measurement value is negative")                                                \
  X(ENONFINITE, -8, "measurement value is NaN or infinite")                                        \
  X(ETYPE, -9, "a double value was given for an int64 measure")                                    \
  X(ENOTFOUND, -10, "no such entry")                                                               \
  X(ETIMEDOUT, -11, "the deadline passed before the work finished")                                \
  X(ESHUTDOWN, -12, "census has been shut down")                                                   \
  X(EEXPORT, -13, "an exporter reported a failure")                                                \
  X(ECONFIG, -14, "a configuration value is malformed")                                            \
  X(ESYSTEM, -15, "an operating-system call failed")                                               \
  X(ELIMIT, -16, "a limit was reached; data were aggregated into overflow or dropped")             \
  X(EDUPLICATE, -17, "the same item was given twice where each must appear once")                  \
  X(ETOOLATE, -18, "too late: this must be called at start-up, before census is used")

/* CENSUS_OK = 0, CENSUS_EINVAL = -1, ... CENSUS_ETOOLATE = -18, from the table above. */
enum {
#define CENSUS_STATUS_ENUM_ENTRY_(name, value, message) CENSUS_##name = (value),
  CENSUS_STATUS_MAP(CENSUS_STATUS_ENUM_ENTRY_)
#undef CENSUS_STATUS_ENUM_ENTRY_
};

/* The one-line English message for a status, e.g. "tag value is longer than 255 bytes or not
 * printable ASCII". Never NULL: unknown codes give "unknown census status".
 * Returns a static string. Thread-safe. */
CENSUS_EXPORT const char *census_status_str(census_status status);

/* The symbolic name of a status, e.g. "CENSUS_EBADVALUE"; "CENSUS_UNKNOWN" for unknown codes.
 * Returns a static string. Thread-safe. */
CENSUS_EXPORT const char *census_status_name(census_status status);

#ifdef __cplusplus
}
#endif
#endif
