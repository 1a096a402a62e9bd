"""census.stats.view_manager, view, aggregation, view_data, aggregation_data: views registered
with census, their data read back as opencensus-python's ViewData."""

import re

import pytest

import census
from census.stats import aggregation, aggregation_data, measure, view
from census.metrics.export import value as metric_value
from census.stats import stats as stats_module
from census.tags import TagMap

view_manager = stats_module.stats.view_manager


def test_each_aggregation_reads_back_exactly():
    """Count, Sum (int exact, float), LastValue and Distribution rows equal what was recorded;
    times are opencensus-python's ISO strings; the view is the registered View object."""
    i = measure.MeasureInt("vm_test/i", "ints", "By")
    f = measure.MeasureFloat("vm_test/f", "floats", "ms")
    views = {
        "count": view.View("vm_test/count", "c", ["k"], i, aggregation.CountAggregation()),
        "isum": view.View("vm_test/isum", "s", ["k"], i, aggregation.SumAggregation()),
        "fsum": view.View("vm_test/fsum", "s", ["k"], f, aggregation.SumAggregation()),
        "last": view.View("vm_test/last", "l", ["k"], f, aggregation.LastValueAggregation()),
        "dist": view.View("vm_test/dist", "d", ["k"], f,
                          aggregation.DistributionAggregation([1.0, 2.0, 4.0])),
    }
    for v in views.values():
        view_manager.register_view(v)
        view_manager.register_view(v)
    tags = TagMap([("k", "x")])
    for value in (0, 1, 2, 3, 6028):
        i.record(value, tags)
    for value in (0.5, 1.0, 2.0, 4.5):
        f.record(value, tags)

    def row(name):
        data = view_manager.get_view("vm_test/" + name)
        assert data.view is views[name]
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
        assert re.fullmatch(stamp, data.start_time) and re.fullmatch(stamp, data.end_time)
        assert data.start_time <= data.end_time
        return data.tag_value_aggregation_data_map[("x",)]
    assert row("count").count_data == 5
    isum = row("isum")
    assert isum.sum_data == 6034 and isum.value_type is metric_value.ValueLong
    assert row("fsum").sum_data == 8.0
    assert row("last").value == 4.5
    dist = row("dist")
    # Upper-inclusive buckets: 1.0 and 2.0 count in the bucket below their bound.
    assert dist.counts_per_bucket == [2, 1, 0, 1] and dist.bounds == [1.0, 2.0, 4.0]
    assert dist.count_data == 4 and dist.sum == 8.0 and dist.mean_data == 2.0
    assert dist.sum_of_sqd_deviations == pytest.approx(9.5)
    assert dist.variance == pytest.approx(9.5 / 3)
    assert isinstance(dist, aggregation_data.DistributionAggregationData)


def test_bounds_at_or_below_zero_are_kept_and_bad_bounds_refused():
    """census keeps bounds <= 0 (opencensus-python drops them); unsorted bounds: ValueError."""
    f = measure.MeasureFloat("vm_test/zero", "z", "1")
    view_manager.register_view(view.View("vm_test/zero_dist", "d", [], f,
                                         aggregation.DistributionAggregation([0, 1])))
    f.record(0.0, TagMap())
    data = view_manager.get_view("vm_test/zero_dist").tag_value_aggregation_data_map[()]
    assert data.bounds == [0.0, 1.0] and data.counts_per_bucket == [1, 0, 0]
    with pytest.raises(ValueError):
        aggregation.DistributionAggregation([2, 1])
    with pytest.raises(ValueError):
        aggregation.CountAggregation(count=3)


def test_unknown_view_and_conflicting_registration():
    """get_view of an unknown name is None; a different view under a registered name raises
    census.InvalidArgumentError naming the field; the first view stays."""
    assert view_manager.get_view("vm_test/none") is None
    m = measure.MeasureInt("vm_test/conf", "c", "1")
    first = view.View("vm_test/conf_v", "c", [], m, aggregation.CountAggregation())
    view_manager.register_view(first)
    with pytest.raises(census.InvalidArgumentError) as info:
        view_manager.register_view(view.View("vm_test/conf_v", "c", [], m,
                                             aggregation.SumAggregation()))
    assert "aggregation" in str(info.value)
    assert first in view_manager.get_all_exported_views()
    with pytest.raises(TypeError):
        view_manager.register_view(view.View("vm_test/bad", "b", [], m, object()))


def test_census_self_metrics_are_views_too():
    """census's own views (census/...) read back as ViewData with a synthesised View."""
    data = view_manager.get_view("census/dropped_measurements")
    assert data.view.name == "census/dropped_measurements"
    assert list(data.view.columns) == ["reason"]
