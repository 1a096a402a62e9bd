/* env.h - reading census's numeric environment variables, with one rule for bad values. */
#ifndef CENSUS_CORE_ENV_H
#define CENSUS_CORE_ENV_H

#include <stdbool.h>
#include <stdint.h>

/* Reads the environment variable `name` as an integer in 1 .. max (blanks after the digits are
 * allowed). Unset or empty: false, *value untouched. Malformed or out of range: reported through
 * diagnostics, naming the variable, its value, what it should be (`unit`: "milliseconds" or
 * NULL) and the value kept (*value, untouched); false. Valid: *value set, true. */
bool census__env_positive(const char *name, int64_t max, const char *unit, int64_t *value);

#endif
