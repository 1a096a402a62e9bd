"""census.stats.measurement_map: opencensus-python's put/record on a census measurement map."""

import pytest

from census.stats import aggregation, measure, view
from census.stats import stats as stats_module
from census.tags import TagContext, TagMap

stats = stats_module.stats
view_manager = stats.view_manager


def rows(name):
    return view_manager.get_view(name).tag_value_aggregation_data_map


def setup_views(prefix):
    a = measure.MeasureInt(prefix + "/a", "a", "1")
    b = measure.MeasureFloat(prefix + "/b", "b", "ms")
    view_manager.register_view(view.View(prefix + "/a_sum", "a", ["k"], a,
                                         aggregation.SumAggregation()))
    view_manager.register_view(view.View(prefix + "/b_last", "b", ["k"], b,
                                         aggregation.LastValueAggregation()))
    return a, b


def test_put_record_and_the_opencensus_view_of_the_map():
    """Both puts are recorded together; a put of the same measure replaces the earlier one;
    measurement_map shows the puts; the map can be recorded again."""
    a, b = setup_views("mm_test1")
    mm = stats.stats_recorder.new_measurement_map()
    mm.measure_int_put(a, 1)
    mm.measure_int_put(a, 4)
    mm.measure_float_put(b, 2.5)
    assert mm.measurement_map == {a: 4, b: 2.5}
    tags = TagMap([("k", "v")])
    assert mm.record(tags) is None
    mm.record(tags)
    assert rows("mm_test1/a_sum")[("v",)].sum_data == 8
    assert rows("mm_test1/b_last")[("v",)].value == 2.5


def test_a_refused_put_refuses_the_whole_map_until_clear():
    """census's rule (docs/python.md): a negative put poisons the map; record() records none
    of it (not even the valid put) and raises nothing; clear() makes it usable again."""
    a, b = setup_views("mm_test2")
    mm = stats.stats_recorder.new_measurement_map()
    mm.measure_int_put(a, 3)
    mm.measure_float_put(b, -1.0)
    mm.record(TagMap([("k", "v")]))
    assert rows("mm_test2/a_sum") == {}
    mm.clear()
    mm.measure_int_put(a, 3)
    mm.record(TagMap([("k", "v")]))
    assert rows("mm_test2/a_sum")[("v",)].sum_data == 3


def test_record_without_tags_uses_the_current_tag_map():
    """record() with tags=None takes TagContext's map; with none set, the tags are empty."""
    a, _ = setup_views("mm_test3")
    mm = stats.stats_recorder.new_measurement_map()
    mm.measure_int_put(a, 1)
    mm.record()
    token_map = TagMap([("k", "current")])
    TagContext.set(token_map)
    try:
        mm.record()
    finally:
        TagContext.set(None)
    assert {k: d.sum_data for k, d in rows("mm_test3/a_sum").items()} == {("",): 1,
                                                                          ("current",): 1}


def test_attachments_checked_as_opencensus():
    """measure_put_attachment takes str keys and values (TypeError otherwise) and keeps them."""
    mm = stats.stats_recorder.new_measurement_map()
    mm.measure_put_attachment("trace", "abc")
    assert mm.attachments == {"trace": "abc"}
    with pytest.raises(TypeError):
        mm.measure_put_attachment(None, "x")
    with pytest.raises(TypeError):
        mm.measure_put_attachment("k", 1)
    with pytest.raises(TypeError):
        mm.measure_int_put("not a measure", 1)
    with pytest.raises(TypeError):
        mm.record(tags={"k": "v"})


def test_put_and_record_allocate_no_python_object_per_record():
    """A reused map's put + record, 10000 times, peaks at exactly the memory of the same loop
    without them, and at the same for 10 records: no Python object is allocated per record, not
    even a temporary one (test_measure.peak_excess sees those), and nothing is kept."""
    from test_measure import peak_excess
    a, _ = setup_views("mm_test4")
    mm = stats.stats_recorder.new_measurement_map()
    tags = TagMap([("k", "v")])

    def loop(n, record=True):
        values = [1000] * n

        def run():
            for v in values:
                if record:
                    mm.measure_int_put(a, v)
                    mm.record(tags)
        return run
    bare = peak_excess(loop(10000, record=False))
    assert peak_excess(loop(10000)) == bare
    assert peak_excess(loop(10)) == bare
    assert rows("mm_test4/a_sum")[("v",)].sum_data == 1000 * 2 * (10000 + 10)  # they recorded


def test_new_maps_start_empty_after_collected_maps_are_reused():
    """new_measurement_map() hands out the C maps of collected MeasurementMaps (a pool: the
    opencensus-python pattern of one new map per record allocates no C map): a map made after
    poisoned and filled maps were collected is empty and not refused, is
    census.stats.measurement_map.MeasurementMap with the recorder's measure_to_view_map, and
    the pattern's memory does not grow with the number of records."""
    from census.stats.measurement_map import MeasurementMap
    from test_measure import peak_excess
    a, b = setup_views("mm_test5")
    tags = TagMap([("k", "v")])
    for _ in range(200):  # more than the pool holds, so some maps are freed, some kept
        poisoned = stats.stats_recorder.new_measurement_map()
        poisoned.measure_int_put(a, 5)
        poisoned.measure_float_put(b, -1.0)
        del poisoned
    mm = stats.stats_recorder.new_measurement_map()
    assert type(mm) is MeasurementMap
    assert mm.measure_to_view_map is stats.stats_recorder.measure_to_view_map
    assert mm.measurement_map == {} and mm.attachments is None
    mm.measure_int_put(a, 2)
    mm.record(tags)
    assert rows("mm_test5/a_sum")[("v",)].sum_data == 2
    assert ("v",) not in rows("mm_test5/b_last")
    del mm
    fresh = stats.stats_recorder.new_measurement_map()
    fresh.measure_float_put(b, 1.5)
    fresh.record(tags)  # the earlier put of a (2) must not come back with the reused C map
    assert rows("mm_test5/a_sum")[("v",)].sum_data == 2
    assert rows("mm_test5/b_last")[("v",)].value == 1.5
    assert MeasurementMap().measurement_map == {}

    def loop(n):
        values = [1] * n

        def run():
            for v in values:
                m = stats.stats_recorder.new_measurement_map()
                m.measure_int_put(a, v)
                m.record(tags)
        return run
    assert peak_excess(loop(10)) == peak_excess(loop(10000)) <= 512
