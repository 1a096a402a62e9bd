/* census/status.h - status codes returned by every fallible census call.
 *
 * A census_status is 0 on success and a negative code on failure. Codes come from one table, which
 * also gives each code a stable symbolic name and a one-line message. New codes may be appended;
 * existing values never change (they are part of the ABI).
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

enum {
  CENSUS_OK = 0,
  CENSUS_EINVAL = -1,     /* a required argument is NULL or out of its range */
  CENSUS_ENOMEM = -2,     /* an allocation failed; nothing was changed */
  CENSUS_EBADNAME = -3,   /* a name is empty, longer than 255 bytes, or not printable ASCII */
  CENSUS_EBADVALUE = -4,  /* a tag value is longer than 255 bytes or not printable ASCII */
  CENSUS_ECONFLICT = -5,  /* the name is taken by a different definition */
  CENSUS_EBADBOUNDS = -6, /* bucket bounds are not finite and strictly increasing */
  CENSUS_ENEGATIVE = -7,  /* a measurement value is negative */
  CENSUS_ENONFINITE = -8, /* a measurement value is NaN or infinite */
  CENSUS_ETYPE = -9,      /* a double value was given for an int64 measure */
  CENSUS_ENOTFOUND = -10, /* no such view, exporter or entry */
  CENSUS_ETIMEDOUT = -11, /* the deadline passed before the work finished */
  CENSUS_ESHUTDOWN = -12, /* census_shutdown() has run; the call did nothing */
  CENSUS_EEXPORT = -13,   /* an exporter reported a failure */
  CENSUS_ECONFIG = -14,   /* a configuration value (option or environment variable) is malformed */
  CENSUS_ESYSTEM = -15,   /* an operating-system call failed (errno is preserved where possible) */
  CENSUS_ELIMIT = -16,    /* a limit was reached: data went to an overflow series or were dropped */
  CENSUS_EDUPLICATE = -17, /* the same item was given twice where each must appear once (e.g. a
                              tag key listed twice in a view's columns) */
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
