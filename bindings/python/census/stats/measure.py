"""Measures, as opencensus.stats.measure, each a census C measure.

``MeasureInt(name, description, unit=None)`` and ``MeasureFloat(...)`` create the census
measure at once (or find it: the same definition twice is the same measure). A second,
different definition under a name raises census.InvalidArgumentError naming the field that
differs (opencensus-python only warns when the view is registered; docs/python.md). Equality is
identity, as in opencensus-python.

Pythonic additions: ``measure.bind(tags)`` returns a bound measure whose ``record(value)`` is
census's fastest record path (no Python object allocated per record), and
``measure.record(value, tags=None)`` records one value without a measurement map.

Thread-safety: measures are immutable; recording is thread-safe.
"""

from census import _census

__all__ = ["BaseMeasure", "MeasureInt", "MeasureFloat"]


class BaseMeasure(_census.Measure):
    """A measure: a name, a description and a unit (UCUM: "ms", "By", "1"; None means "1").
    Make a MeasureInt or a MeasureFloat: census needs the value type."""


class MeasureInt(BaseMeasure):
    """A measure of int values (int64). A float recorded into it is refused and counted."""

    _census_kind = 1


class MeasureFloat(BaseMeasure):
    """A measure of float values (double); ints are converted."""

    _census_kind = 2
