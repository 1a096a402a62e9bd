"""MeasurementMap, as opencensus.stats.measurement_map, on a census C measurement map.

``measure_int_put(measure, value)``, ``measure_float_put(measure, value)``,
``measure_put_attachment(key, value)`` and ``record(tags=None)`` keep opencensus-python's names
and semantics, with census's (docs/python.md): a value census refuses (negative, NaN, infinite,
a float for a MeasureInt) makes the whole map refused at record(), counted in
census/dropped_measurements and reported; no exception is raised for it, as in
opencensus-python (a value that is not a number raises TypeError). ``clear()`` (a census
addition) makes a map usable again. Attachments are checked and kept but not exported (census
keeps no exemplars). record() with tags=None uses the current tag map of the running context
(census.tags.TagContext).

Thread-safety: one thread at a time per map; record() never blocks.
"""

from census import _census

__all__ = ["MeasurementMap"]


class MeasurementMap(_census.MeasurementMap):
    """Values of several measures recorded together against one tag map.

    :param measure_to_view_map: accepted for opencensus-python compatibility (census's view
        manager is process-wide)
    :param attachments: a dict of str -> str, or None
    """

    __slots__ = ()  # no per-map __dict__: StatsRecorder makes one map per record in ported code


_census._set_measurement_map_class(MeasurementMap)
