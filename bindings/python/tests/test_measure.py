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
    """Bytes the second call of fn() had allocated at its peak beyond what was live before it
    (tracemalloc, which sees every PyMem/PyObject allocation, freed or kept).

    A block allocated and freed inside fn() still raises the peak, so comparing with a loop that
    does nothing catches per-call temporaries, not only leaks. Floats come from CPython's free
    list without an allocation, so the list is emptied first (floats made directly into a kept
    list leave it empty): a float made in fn() then shows as an allocation too.
    """
    import tracemalloc
    tracemalloc.start()
    try:
        fn()  # the interpreter's one-time costs (specialisation, caches) out of the way
        float_free_list_emptied = [k + 0.5 for k in range(1000)]
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        del float_free_list_emptied
    finally:
        tracemalloc.stop()
    return peak - before


def test_peak_excess_sees_a_temporary_per_call():
    """The measurement above can fail: a loop that makes and drops one float, or one int beyond
    the small-int cache, per iteration peaks above the same loop doing nothing."""
    values = [1000] * 1000

    def bare():
        for v in values:
            pass

    def float_per_call():
        for v in values:
            v * 0.5

    def int_per_call():
        for v in values:
            v + 1
    assert peak_excess(float_per_call) > peak_excess(bare)
    assert peak_excess(int_per_call) > peak_excess(bare)


def test_bound_record_allocates_no_python_object_per_record():
    """Recording 10000 values through bound measures peaks at exactly the memory of the same
    loop without the record calls (the loop's own iterators), and at the same for 10 values:
    record() allocates no Python object, not even a temporary one, and keeps nothing. Fails if
    the record path converts the value through a new object (e.g. PyNumber_Float, or an int
    built from the C value) or keeps one."""
    f = measure.MeasureFloat("measure_test/alloc_f", "f", "ms")
    i = measure.MeasureInt("measure_test/alloc_i", "i", "1")
    view_manager.register_view(view.View("measure_test/alloc_fd", "d", [], f,
                                         aggregation.DistributionAggregation([1, 2])))
    view_manager.register_view(view.View("measure_test/alloc_ic", "c", [], i,
                                         aggregation.CountAggregation()))
    bf, bi = f.bind(TagMap()), i.bind(TagMap())

    def loop(n, record=True):
        floats, ints = [1.5] * n, [1000] * n

        def run():
            for v in floats:
                if record:
                    bf.record(v)
            for v in ints:
                if record:
                    bi.record(v)
        return run
    bare = peak_excess(loop(10000, record=False))
    assert peak_excess(loop(10000)) == bare
    assert peak_excess(loop(10)) == bare
    # They did record: peak_excess runs each loop twice.
    assert rows("measure_test/alloc_ic")[()].count_data == 2 * (10000 + 10)
