/* composite.h - the composite propagator's parser, for callers that report errors their own way
 * (census_autoconfigure() names OTEL_PROPAGATORS and the default it uses instead). */
#ifndef CENSUS_PROPAGATION_COMPOSITE_H
#define CENSUS_PROPAGATION_COMPOSITE_H

#include <stddef.h>

#include "census/propagation.h"

/* census_propagator_new() without the diagnostic: on CENSUS_EINVAL the reason (an unknown name,
 * "none" with others, a NULL list) is written to why[0..why_size) instead of being reported.
 * *status is always set. */
census_propagator *census__propagator_parse(const char *formats, char *why, size_t why_size,
                                            census_status *status);

#endif
