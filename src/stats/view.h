/* view.h - the view registry's internal functions: lookups for collection and snapshots, and the
 * hooks the lifecycle calls. */
#ifndef CENSUS_STATS_VIEW_H
#define CENSUS_STATS_VIEW_H

#include <stdbool.h>
#include <stddef.h>

struct census__rview;
struct census__series;

/* The registered view named `name`, or NULL. Takes VIEWS. The view stays valid until
 * census_shutdown(), which needs COLLECT to free it: hold COLLECT to keep using it. */
struct census__rview *census__view_find(const char *name);

/* A copy of the array of registered views (free() it), with *count set; NULL with *count 0 on
 * ENOMEM. Takes VIEWS. Valid as census__view_find()'s result is. */
struct census__rview **census__views_snapshot(size_t *count);

/* Calls fn(view, series, arg) for every series of every registered view, in registration and
 * creation order, each view's under its series table (SERIES held during fn, so fn must take
 * only locks ranked above it, and must not record). Returns false if memory ran out for the
 * list of views (then fn was called for none). Takes VIEWS, then each SERIES in turn. Caller
 * holds COLLECT (series totals are the collector's). */
bool census__views_each_series(void (*fn)(struct census__rview *view, struct census__series *series,
                                          void *arg),
                               void *arg);

/* census_shutdown(), under COLLECT, no recorder running, after census__measures_shutdown():
 * frees every registered view with its series. Takes VIEWS. */
void census__views_shutdown(void);

/* fork(): prepare takes VIEWS and every view's series table (SERIES), in registration order;
 * parent releases them; child starts every view with no series and a start time of now (the
 * parent's data are the parent's to export), and releases them. */
void census__views_fork_prepare(void);
void census__views_fork_parent(void);
void census__views_fork_child(void);

#endif
