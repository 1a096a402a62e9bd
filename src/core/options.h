/* options.h - reading a caller's options struct under census's growth convention.
 *
 * Every public struct the caller fills and passes in that may gain fields (census_span_options,
 * census_span_export_options, census_span_limits, the exporter ops tables) starts with
 * `size_t size`, set by its CENSUS_<TYPE>_INIT macro to the sizeof the caller was compiled with
 * (docs/api-conventions.md). census reads only the first `size` bytes: a program built against an
 * older header passes a smaller size, and the fields it does not know take their defaults, which
 * are 0 (zero means "default" in every such struct). Fields are only ever appended, and a field
 * added later must start at or after the sizeof of the struct before it, so an old caller's tail
 * padding never overlaps it.
 */
#ifndef CENSUS_CORE_OPTIONS_H
#define CENSUS_CORE_OPTIONS_H

#include <stddef.h>

#include "census/status.h"

/* The offset just past `field` of `type`: the smallest size a caller of the struct's first
 * version can pass when `field` was that version's last member. */
#define CENSUS__END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* Copies the caller's struct `options` into `out`, a struct of the library's layout of `known`
 * bytes whose first member is `size_t size`: `out` is zeroed, then the first min(size, known)
 * bytes are copied, and out->size is set to `known`. Accepted sizes are `min_size` (the end of
 * the struct's first version, CENSUS__END_OF) to `known`. Any other size is refused with
 * CENSUS_EINVAL and `out` is left zeroed, after one diagnostic line naming `function`, `type`,
 * the size given and the fix: 0 means the struct was zero-initialised or built positionally
 * rather than with `init_macro`; a larger size means a program built against a newer census than
 * the library it runs with (census never reads past what it knows, so it cannot tell whether the
 * unknown fields were set). `options` must not be NULL. Thread-safe; cold (not for hot paths'
 * common case: check `size == known` inline first). */
census_status census__options_read(const void *options, size_t min_size, size_t known, void *out,
                                   const char *function, const char *type, const char *init_macro);

#endif
