"""census.stats.measure: measures as census C measures; bind() and record() fast paths."""

import pytest

import census
from census.stats import aggregation, measure, view
from census.stats import stats as stats_module
from census.tags import TagMap

view_manager = stats_module.stats.view_manager


def rows(view_name):
    data = view_manager.get_view(view_name)
    return data.tag_value_aggregation_data_map


def test_properties_and_identity():
    """name, description and unit as given (unit None stays None); equality is identity."""
    m = measure.MeasureInt("measure_test/a", "an int", None)
    assert (m.name, m.description, m.unit) == ("measure_test/a", "an int", None)
    again = measure.MeasureInt("measure_test/a", "an int", None)
    assert m != again and m == m
    with pytest.raises(TypeError):
        measure.BaseMeasure("measure_test/base", "no type")


def test_conflicting_definition_raises_naming_the_field():
    """A second definition under a name is refused with census's line naming what differs."""
    measure.MeasureFloat("measure_test/c", "latency", "ms")
    with pytest.raises(census.InvalidArgumentError) as info:
        measure.MeasureFloat("measure_test/c", "latency", "s")
    assert info.value.status_name == "CENSUS_ECONFLICT"
    assert "unit" in str(info.value) and '"ms"' in str(info.value)
    with pytest.raises(ValueError):
        measure.MeasureInt("", "empty name")


def test_bound_record_counts_and_distributions():
    """bind(tags).record(v) records into every view of the measure with the bound tags, and a
    later change of the TagMap does not move the handle (it holds a copy)."""
    m = measure.MeasureInt("measure_test/bytes", "bytes", "By")
    view_manager.register_view(view.View("measure_test/bytes_sum", "s", ["route"], m,
                                         aggregation.SumAggregation()))
    view_manager.register_view(view.View("measure_test/bytes_dist", "d", ["route"], m,
                                         aggregation.DistributionAggregation([10, 100])))
    tags = TagMap([("route", "/a")])
    bound = m.bind(tags)
    tags.update("route", "/b")
    for v in (5, 10, 11, 100, 1000):
        bound.record(v)
    assert rows("measure_test/bytes_sum")[("/a",)].sum_data == 1126
    dist = rows("measure_test/bytes_dist")[("/a",)]
    assert dist.count_data == 5 and dist.sum == 1126 and isinstance(dist.sum, int)
    assert dist.counts_per_bucket == [2, 2, 1]
    assert (dist.min, dist.max) == (5, 1000)
    bound.close()
    with pytest.raises(ValueError):
        bound.record(1)


def test_refused_values_are_counted_not_raised():
    """Negative, NaN, infinite and float-into-int values are refused by census and counted in
    census/dropped_measurements; the call returns None. A non-number raises TypeError."""
    def dropped():
        data = rows("census/dropped_measurements").get(("invalid_value",))
        return data.sum_data if data else 0
    m = measure.MeasureInt("measure_test/refused", "r", "1")
    f = measure.MeasureFloat("measure_test/refused_f", "r", "1")
    view_manager.register_view(view.View("measure_test/refused_v", "v", [], m,
                                         aggregation.CountAggregation()))
    before = dropped()
    bound = m.bind(TagMap())
    assert bound.record(-1) is None
    bound.record(2.5)
    m.record(-(2 ** 70))
    f.record(float("nan"))
    f.record(float("inf"))
    assert dropped() - before == 5
    assert rows("measure_test/refused_v") == {}
    with pytest.raises(TypeError):
        bound.record("1")
    with pytest.raises(OverflowError):
        bound.record(2 ** 64)
    bound.record(True)
    assert rows("measure_test/refused_v")[()].count_data == 1


def peak_excess(fn):
    """Bytes fn() allocated at its peak beyond what it kept (tracemalloc)."""
    import tracemalloc
    tracemalloc.start()
    try:
        fn()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def test_bound_record_allocates_no_python_object_per_record():
    """Recording N values through bound measures peaks at the same memory for N = 10 and
    N = 10000 (the loop's own iterator only): no Python object is allocated per record."""
    f = measure.MeasureFloat("measure_test/alloc_f", "f", "ms")
    i = measure.MeasureInt("measure_test/alloc_i", "i", "1")
    view_manager.register_view(view.View("measure_test/alloc_fd", "d", [], f,
                                         aggregation.DistributionAggregation([1, 2])))
    view_manager.register_view(view.View("measure_test/alloc_ic", "c", [], i,
                                         aggregation.CountAggregation()))
    bf, bi = f.bind(TagMap()), i.bind(TagMap())

    def loop(n):
        floats, ints = [1.5] * n, [1000] * n

        def run():
            for v in floats:
                bf.record(v)
            for v in ints:
                bi.record(v)
        return run
    assert peak_excess(loop(10)) == peak_excess(loop(10000)) <= 128
