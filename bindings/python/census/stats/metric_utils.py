"""Stats to metrics, as opencensus.stats.metric_utils: view_data_to_metric(view_data,
timestamp) makes a Metric of a ViewData (None for a view without rows).

A cumulative view's series start at the view's start time (census: when it was registered,
docs/python.md P9); a LastValue view is a gauge (no start time). A row key's None (an
overflow row's values) becomes a LabelValue of None. Thread-safety: pure functions.
"""

from census.metrics import label_value
from census.metrics.export import metric, metric_descriptor, time_series

__all__ = ["is_gauge", "get_label_values", "view_data_to_metric"]

_GAUGES = (metric_descriptor.MetricDescriptorType.GAUGE_INT64,
           metric_descriptor.MetricDescriptorType.GAUGE_DOUBLE,
           metric_descriptor.MetricDescriptorType.GAUGE_DISTRIBUTION)


def is_gauge(md_type):
    """Whether a MetricDescriptorType value is a gauge (ValueError for an unknown type)."""
    if md_type not in metric_descriptor.MetricDescriptorType:
        raise ValueError("Unknown MetricDescriptorType value")
    return md_type in _GAUGES


def get_label_values(tag_values):
    """LabelValues of an iterable of tag values (str or None)."""
    return [label_value.LabelValue(tv) for tv in tag_values]


def view_data_to_metric(view_data, timestamp):
    """A Metric of `view_data` with every point at `timestamp` (a datetime), or None if the
    view has no rows."""
    if not view_data.tag_value_aggregation_data_map:
        return None
    md = view_data.view.get_metric_descriptor()
    start = None if is_gauge(md.type) else view_data.start_time
    series = [time_series.TimeSeries(get_label_values(key), [data.to_point(timestamp)], start)
              for key, data in view_data.tag_value_aggregation_data_map.items()]
    return metric.Metric(md, series)
