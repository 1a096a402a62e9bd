"""MetricDescriptorType and MetricDescriptor, as opencensus.metrics.export.metric_descriptor:
a metric's name, description, unit, type and label keys. Immutable."""

from census.metrics.export import value

__all__ = ["MetricDescriptorType", "MetricDescriptor"]


class _MetricDescriptorTypeMeta(type):
    """Makes ``t in MetricDescriptorType`` true for the seven type values."""

    def __contains__(cls, item):
        return item in cls._type_map


class MetricDescriptorType(object, metaclass=_MetricDescriptorTypeMeta):
    """The type of a metric's points (opencensus-python's integer constants)."""

    GAUGE_INT64 = 1
    GAUGE_DOUBLE = 2
    GAUGE_DISTRIBUTION = 3
    CUMULATIVE_INT64 = 4
    CUMULATIVE_DOUBLE = 5
    CUMULATIVE_DISTRIBUTION = 6
    SUMMARY = 7

    _type_map = {
        GAUGE_INT64: value.ValueLong,
        GAUGE_DOUBLE: value.ValueDouble,
        GAUGE_DISTRIBUTION: value.ValueDistribution,
        CUMULATIVE_INT64: value.ValueLong,
        CUMULATIVE_DOUBLE: value.ValueDouble,
        CUMULATIVE_DISTRIBUTION: value.ValueDistribution,
        SUMMARY: value.ValueSummary,
    }

    @classmethod
    def to_type_class(cls, metric_descriptor_type):
        """The value class of a type's points (ValueLong, ValueDouble, ValueDistribution or
        ValueSummary); ValueError for an unknown type."""
        try:
            return cls._type_map[metric_descriptor_type]
        except KeyError:
            raise ValueError("Unknown MetricDescriptorType value")


_CUMULATIVE = (MetricDescriptorType.CUMULATIVE_INT64, MetricDescriptorType.CUMULATIVE_DOUBLE,
               MetricDescriptorType.CUMULATIVE_DISTRIBUTION)


class MetricDescriptor(object):
    """A metric's name, description, unit, type (a MetricDescriptorType value) and label keys
    (a list of LabelKey). ValueError for an unknown type or a None label key list or key."""

    def __init__(self, name, description, unit, type_, label_keys):
        if type_ not in MetricDescriptorType:
            raise ValueError("Invalid type")
        if label_keys is None:
            raise ValueError("label_keys must not be None")
        if any(key is None for key in label_keys):
            raise ValueError("label_keys must not contain null keys")
        self._name = name
        self._description = description
        self._unit = unit
        self._type = type_
        self._label_keys = label_keys

    def __repr__(self):
        return '{}(name="{}", description="{}", unit={}, type={})'.format(
            type(self).__name__, self._name, self._description, self._unit,
            MetricDescriptorType.to_type_class(self._type).__name__)

    @property
    def name(self):
        """The metric's name (the view's)."""
        return self._name

    @property
    def description(self):
        """What it measures."""
        return self._description

    @property
    def unit(self):
        """The measure's unit."""
        return self._unit

    @property
    def type(self):
        """A MetricDescriptorType value."""
        return self._type

    @property
    def label_keys(self):
        """The LabelKeys (the view's columns)."""
        return self._label_keys
