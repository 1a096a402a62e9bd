/* exposition_check.h - a strict checker of Prometheus text 0.0.4 and OpenMetrics 1.0 text,
 * written for census's tests from the formats' grammars and the rules of the strict parsers
 * (exposition_check.c says which rule comes from where). It accepts a subset of each format:
 * everything census writes, nothing a real parser rejects. tests/unit/test_exposition_check.c
 * proves the second half on negative cases against the real parsers (promtool, Debian's
 * python3-prometheus-client strict OpenMetrics parser).
 */
#ifndef CENSUS_TESTS_EXPOSITION_CHECK_H
#define CENSUS_TESTS_EXPOSITION_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum exposition_format { EXPOSITION_TEXT = 0, EXPOSITION_OPENMETRICS = 1 };

/* Checks `length` bytes of `text` in `format`. True if it is valid; false with a reason ("line
 * N: ...") in why[0..why_size) otherwise (also if memory ran out: "out of memory"). Thread-safe
 * (no shared state). */
bool exposition_check(const char *text, size_t length, enum exposition_format format, char *why,
                      size_t why_size);

#endif
