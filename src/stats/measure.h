/* measure.h - the measure registry's internal functions: the view lists recorders read, and the
 * hooks the lifecycle calls. */
#ifndef CENSUS_STATS_MEASURE_H
#define CENSUS_STATS_MEASURE_H

#include "census/stats.h"

struct census__rview;

/* The empty view list every measure starts with (and returns to at shutdown). */
extern struct census__view_list census__no_views;

/* Publishes a new view list for `measure` with `view` appended (copy on write; the old list stays
 * readable until shutdown). The caller (view.c) holds the VIEWS lock, which serialises changes.
 * CENSUS_OK or CENSUS_ENOMEM (nothing changed). */
census_status census__measure_add_view(const census_measure *measure, struct census__rview *view);

/* census_shutdown(), no recorder running: empties every measure's view list (recording then
 * finds nothing to do) and frees every list a registration replaced. Takes MEASURES. */
void census__measures_shutdown(void);

/* fork(): prepare takes the registry's lock; parent (and child: nothing to reset) release it. */
void census__measures_fork_prepare(void);
void census__measures_fork_parent(void);

#endif
