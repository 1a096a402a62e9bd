/* options.h - reading a public options struct that can grow (the size convention).
 *
 * Every exporter's options struct starts with `size_t size;`, and its header defines
 * CENSUS_<X>_OPTIONS_INIT as {.size = sizeof(census_<x>_options)}, so that `census_otlp_options o =
 * CENSUS_OTLP_OPTIONS_INIT;` records the size of the struct the program was compiled with. The
 * library reads only that many bytes: fields added in a later version (beyond `size`) take their
 * defaults, so a program built against an older header keeps working with a newer library; one
 * built against a newer header is refused by an older library (docs/api-conventions.md).
 *
 * Thread-safety: pure (it only reads `in` and writes `out`), thread-safe.
 */
#ifndef CENSUS_COMMON_OPTIONS_H
#define CENSUS_COMMON_OPTIONS_H

#include <stddef.h>

#include "census/status.h"

/* Copies the options at `in` into `out` (out_size bytes, the library's struct, whose first member
 * is `size_t size`): NULL `in` means every default (all zero); otherwise the first min(in->size,
 * out_size) bytes are copied and the rest zeroed. out->size is set to out_size. A size of 0 (a
 * zeroed struct, or one never initialised with the INIT macro), or one smaller than the size
 * field itself, or larger than out_size (a program built against a newer census: its extra fields
 * cannot be read, so whether they were set is unknown, as the core's census__options_read() rules
 * too), is refused with CENSUS_EINVAL and one diagnostic line, "<who>: <type>.size is <n>:
 * initialise <type> with <init>", e.g. "otlp: census_otlp_options.size is 0: initialise
 * census_otlp_options with CENSUS_OTLP_OPTIONS_INIT"; `out` is then all defaults. */
census_status census__options_copy(void *out, size_t out_size, const void *in, const char *who,
                                   const char *type, const char *init);

/* census__options_copy() for census_<x>_options, e.g.
 * CENSUS_OPTIONS_COPY(&o, options, "otlp", otlp, OTLP). */
#define CENSUS_OPTIONS_COPY(out, in, who, x, X)                                                    \
  census__options_copy((out), sizeof *(out), (in), (who), "census_" #x "_options",                 \
                       "CENSUS_" #X "_OPTIONS_INIT")

#endif
