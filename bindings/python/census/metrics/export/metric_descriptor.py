"""MetricDescriptorType, as opencensus.metrics.export.metric_descriptor: the values that
Aggregation.get_metric_type() returns."""


class MetricDescriptorType(object):
    """The type of a metric's points (opencensus-python's integer constants)."""

    GAUGE_INT64 = 1
    GAUGE_DOUBLE = 2
    GAUGE_DISTRIBUTION = 3
    CUMULATIVE_INT64 = 4
    CUMULATIVE_DOUBLE = 5
    CUMULATIVE_DISTRIBUTION = 6
    SUMMARY = 7

    @classmethod
    def to_type_class(cls, metric_descriptor_type):
        """The Python type of a point's value: int, float, or None for distributions."""
        if metric_descriptor_type in (cls.GAUGE_INT64, cls.CUMULATIVE_INT64):
            return int
        if metric_descriptor_type in (cls.GAUGE_DOUBLE, cls.CUMULATIVE_DOUBLE):
            return float
        return None
