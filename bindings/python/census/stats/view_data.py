"""ViewData, as opencensus.stats.view_data: a snapshot of one view's rows.

``tag_value_aggregation_data_map`` maps each row's tuple of column values (in column order) to
its aggregation data, as in opencensus-python. Differences (docs/python.md): a tag that was
absent is the value "" (census records it as the empty value; opencensus-python uses None), and
the overflow row of a view past its series limit has a tuple of None. Times are UTC ISO 8601
strings ending in "Z", as opencensus-python's; ``start_time`` is when the view was registered.

census builds ViewData from its C snapshots (view_manager.get_view(), and the exports to
exporters written in Python); they belong to the caller. Thread-safety: plain objects.
"""

import datetime

from census import _census
from census.common import utils
from census.metrics.export import value as metric_value
from census.stats import aggregation as aggregation_module
from census.stats import aggregation_data
from census.stats import measure as measure_module
from census.stats import view as view_module

__all__ = ["ViewData"]


class ViewData(object):
    """The aggregated data of a view between start_time and end_time."""

    def __init__(self, view, start_time, end_time):
        self._view = view
        self._start_time = start_time
        self._end_time = end_time
        self._tag_value_aggregation_data_map = {}

    @property
    def view(self):
        """The View."""
        return self._view

    @property
    def start_time(self):
        """Start of the data (ISO 8601 UTC string)."""
        return self._start_time

    @property
    def end_time(self):
        """End of the data (ISO 8601 UTC string)."""
        return self._end_time

    @property
    def tag_value_aggregation_data_map(self):
        """dict: tuple of column values -> aggregation data."""
        return self._tag_value_aggregation_data_map

    def start(self):
        """Sets start_time to now."""
        self._start_time = utils.to_iso_str()

    def end(self):
        """Sets end_time to now."""
        self._end_time = utils.to_iso_str()

    def get_tag_values(self, tags, columns):
        """The values of `columns` in `tags` (a dict), None for an absent key."""
        return [tags.get(key) if key in tags else None for key in columns]

    def record(self, context, value, timestamp, attachments=None):
        """Adds a value to this (detached) ViewData in Python, as opencensus-python does; census
        records through measurement maps, not here."""
        tags = dict(context.map) if context is not None else {}
        key = tuple(self.get_tag_values(tags, self.view.columns))
        if key not in self._tag_value_aggregation_data_map:
            self._tag_value_aggregation_data_map[key] = self.view.new_aggregation_data()
        self._tag_value_aggregation_data_map[key].add_sample(value, timestamp, attachments)


def _iso(ns):
    """Unix nanoseconds as opencensus-python's time string."""
    moment = datetime.datetime.fromtimestamp(ns // 1000000000, datetime.timezone.utc)
    moment = moment.replace(microsecond=(ns % 1000000000) // 1000, tzinfo=None)
    return utils.to_iso_str(moment)


def _view_for(snapshot, registered):
    """The registered View of a snapshot, or one made from it (census's self-metrics)."""
    (name, description, measure_name, measure_type, measure_description, unit, kind, columns,
     bounds) = snapshot[:9]
    view = registered.get(name)
    if view is not None:
        return view
    cls = measure_module.MeasureInt if measure_type == 1 else measure_module.MeasureFloat
    measure = cls(measure_name, measure_description, unit)
    aggregation = {
        aggregation_module.COUNT: aggregation_module.CountAggregation,
        aggregation_module.SUM: aggregation_module.SumAggregation,
        aggregation_module.LAST_VALUE: aggregation_module.LastValueAggregation,
    }.get(kind)
    aggregation = (aggregation() if aggregation
                   else aggregation_module.DistributionAggregation(list(bounds)))
    return view_module.View(name, description, list(columns), measure, aggregation)


def _row_data(kind, is_int, bounds, row):
    """The aggregation data of one snapshot row."""
    (_values, _overflow, count, int_value, double_value, _time_ns, mean, ssd, minimum, maximum,
     buckets) = row
    value = int_value if is_int else double_value
    value_type = metric_value.ValueLong if is_int else metric_value.ValueDouble
    if kind == aggregation_module.COUNT:
        return aggregation_data.CountAggregationData(count)
    if kind == aggregation_module.SUM:
        return aggregation_data.SumAggregationData(value_type, value)
    if kind == aggregation_module.LAST_VALUE:
        return aggregation_data.LastValueAggregationData(value_type, value)
    data = aggregation_data.DistributionAggregationData(mean, count, ssd, list(buckets),
                                                        list(bounds))
    data._sum = value
    if count:
        data.min, data.max = minimum, maximum
    return data


def _from_snapshot(snapshot, registered):
    """A ViewData from one census snapshot tuple (census._census.view_data_get)."""
    view = _view_for(snapshot, registered)
    kind, bounds, start_ns, end_ns, rows = (snapshot[6], snapshot[8], snapshot[9], snapshot[10],
                                            snapshot[11])
    is_int = snapshot[3] == 1
    data = ViewData(view, _iso(start_ns), _iso(end_ns))
    table = data._tag_value_aggregation_data_map
    for row in rows:
        key = tuple(None for _ in row[0]) if row[1] else row[0]
        table[key] = _row_data(kind, is_int, bounds, row)
    return data


def _from_snapshots(snapshots):
    """ViewData for every snapshot, for exporters written in Python (called by census)."""
    from census.stats import view_manager
    registered = view_manager._registered_views
    return [_from_snapshot(s, registered) for s in snapshots]


_census._set_view_data_factory(_from_snapshots)
