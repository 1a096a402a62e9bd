/* otlp_delta.h - delta temporality for the OTLP metrics exporter: which views go as deltas, and
 * what each export's delta points are, from census's cumulative snapshots.
 *
 * census views are cumulative (docs/stats.md); a delta point is the difference between the
 * series' cumulative values now and at a *baseline*. Which baseline decides whether a failed
 * export, a retry, the sender's replacement of a queued request, or the spool can count anything
 * twice or lose it, so there are two per series:
 *   - `submitted`: the values in the last request handed to the sender;
 *   - `committed`: the values in the last request that left the sender's queue for good (its
 *     first attempt started, or it was dropped or spooled): from then on it is the sender's to
 *     deliver, and nothing later may count its interval again.
 * Each export asks the sender to withdraw this exporter's queued, never attempted request
 * (census__push_withdraw(), under the sender's lock): when it could, that request's interval is
 * not on its way, so the new delta runs from `committed` and covers it (the new request replaces
 * it: one queued request at most, whatever the outage); when it could not, the previous request
 * is in flight or done, so `submitted` becomes `committed` first. Either way every interval is in
 * exactly one request, retries resend the same request (the same interval), and spooled requests
 * are delivered by a later process with their own intervals: a receiver that sums the deltas
 * ends with the recorded totals. What a request that is dropped (retry budget, permanent error)
 * held is lost and counted, as for any push exporter; an encoding or submit failure keeps the
 * baselines, so the next delta covers that interval too.
 *
 * Start times (OpenTelemetry's data model): a delta point runs from the end of the committed
 * request (contiguous, non-overlapping intervals), or from the view's start for its first point;
 * a series first seen after the committed request starts at that request's end. Series without
 * new measurements in an interval get no point. Histogram min/max are the interval's only when
 * the interval holds every measurement of the series (its first point); otherwise they are left
 * out (optional fields), since cumulative snapshots do not give an interval's min/max.
 *
 * Memory: one entry per series of a delta view (three copies of its values). A view's entries are
 * dropped when the view leaves the snapshots or its start time changes (a fork child), and a
 * series whose values equal its committed baseline costs no point. census's views keep every
 * series for their life (cells of recording threads point at them), so entries of series that
 * stop reporting stay as long as their series do.
 *
 * Thread-safety: one exporter's state, used on census's export worker only.
 */
#ifndef CENSUS_OTLP_DELTA_H
#define CENSUS_OTLP_DELTA_H

#include <stdbool.h>
#include <stddef.h>

#include "census/exporters/otlp.h"
#include "census/stats.h"
#include "census/status.h"
#include "otlp_encode.h"

/* Resolves the temporality preference: the option if set, else
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (cumulative, delta, lowmemory;
 * case-insensitive; anything else reported once with CENSUS_ECONFIG and cumulative used), else
 * cumulative. CENSUS_EINVAL (and *out untouched) for an option value outside the enum. */
census_status census__otlp_temporality_resolve(census_otlp_temporality option,
                                               census_otlp_temporality *out);

/* Whether a view of aggregation `kind` goes as deltas under `preference`, as OpenTelemetry's
 * OTLP exporter specification defines it per instrument kind: census's Count and Sum views
 * aggregate synchronous, monotonic measurements (a Counter) and its Distribution and Exponential
 * views a Histogram, which are DELTA under both `delta` and `lowmemory`; LastValue views are
 * Gauges, which have no temporality. (An asynchronous counter would be DELTA under `delta` only,
 * and up-down counters are CUMULATIVE under both; census views have neither.) */
bool census__otlp_view_is_delta(census_otlp_temporality preference, census_aggregation_type kind);

typedef struct census_otlp_delta census_otlp_delta;

census_otlp_delta *census__otlp_delta_new(census_otlp_temporality preference);
void census__otlp_delta_free(census_otlp_delta *d);

/* Prepares the points of one export of `views` (count snapshots): sets *out to an array of
 * `count` pointers, NULL for a view that goes cumulative (its rows as they are), else its delta
 * points; valid until the next call. `previous_withdrawn`: the sender withdrew this exporter's
 * queued request (see the file comment). The values prepared become `submitted` only with
 * census__otlp_delta_submitted(). CENSUS_OK or CENSUS_ENOMEM (the state is unchanged then). */
census_status census__otlp_delta_prepare(census_otlp_delta *d, const census_view_data *const *views,
                                         size_t count, bool previous_withdrawn,
                                         const census_otlp_view_points *const **out);

/* The request of the last prepare went to the sender: its values become `submitted`. Not called
 * when it could not be submitted: the next export's deltas then cover its interval. */
void census__otlp_delta_submitted(census_otlp_delta *d);

/* Entries held (series of delta views), for tests. */
size_t census__otlp_delta_entries(const census_otlp_delta *d);

#endif
