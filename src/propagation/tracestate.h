/* tracestate.h - what tracestate.c offers the other text formats beyond the public parser. */
#ifndef CENSUS_PROPAGATION_TRACESTATE_H
#define CENSUS_PROPAGATION_TRACESTATE_H

#include "census/propagation.h"

/* Reports to the diagnostics callback what a tracestate parse dropped, if anything: a value
 * discarded whole (why, where, and at most 32 bytes of the member at fault, escaped), or members
 * dropped for repeated keys or length. `where` names the call and header; `value` is the parsed
 * value. Nothing is reported when everything was kept. */
void census__tracestate_diag(const char *where, const char *value,
                             const census_tracestate_report *report);

#endif
