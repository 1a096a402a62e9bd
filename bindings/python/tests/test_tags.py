"""census.tags: TagKey/TagValue/Tag validation, TagMap on census's C map, the current tag map in
contextvars, and the binary format against opencensus-python's own serializer."""

import asyncio
import contextvars
import threading

import pytest

import census
from census.stats import aggregation, measure, view
from census.stats import stats as stats_module
from census.tags import Tag, TagContext, TagKey, TagMap, TagValue
from census.tags.propagation.binary_serializer import BinarySerializer

view_manager = stats_module.stats.view_manager


def counts(view_name):
    """{row key: count} of a Count view, read back from census."""
    data = view_manager.get_view(view_name)
    return {k: d.count_data for k, d in data.tag_value_aggregation_data_map.items()}


def test_keys_and_values_validate_as_opencensus():
    """Keys are 1-255 printable ASCII characters, values 0-255: the boundaries both ways."""
    assert TagKey("k" * 255) == "k" * 255
    for bad in ("", "k" * 256, "caf\u00e9", "tab\there"):
        with pytest.raises(ValueError):
            TagKey(bad)
    assert TagValue("") == "" and TagValue("v" * 255) == "v" * 255
    for bad in ("v" * 256, "\x7f"):
        with pytest.raises(ValueError):
            TagValue(bad)
    tag = Tag("method", "GET")
    assert isinstance(tag.key, TagKey) and isinstance(tag.value, TagValue)


def test_tag_map_operations_and_read_only_view():
    """insert keeps the first value, update replaces (and validates), delete removes; the map
    view is ordered and read-only, so it cannot drift from the C map that records read."""
    tags = TagMap([Tag("a", "1")])
    tags.insert("b", "2")
    tags.insert("a", "changed")
    assert list(tags) == [("a", "1"), ("b", "2")]
    tags.update("a", "3")
    tags.update("absent", "x")
    assert tags.get_value("a") == "3" and not tags.tag_key_exists("absent")
    with pytest.raises(ValueError):
        tags.update("a", "\x01")
    assert tags.get_value("a") == "3"
    tags.delete("b")
    tags.delete("b")
    with pytest.raises(KeyError):
        tags.get_value("b")
    with pytest.raises(TypeError):
        tags.map["c"] = "4"
    with pytest.raises(ValueError):
        tags.insert("", "x")


def test_records_use_the_c_map_the_python_view_shows():
    """What a record sees is what the TagMap holds after insert/update/delete."""
    m = measure.MeasureInt("tags_test/m", "m", "1")
    view_manager.register_view(view.View("tags_test/v", "v", ["a", "b"], m,
                                         aggregation.CountAggregation()))
    tags = TagMap()
    tags.insert("a", "1")
    tags.insert("b", "2")
    m.record(1, tags)
    tags.update("a", "9")
    tags.delete("b")
    m.record(1, tags)
    assert counts("tags_test/v") == {("1", "2"): 1, ("9", ""): 1}


def test_current_tag_map_follows_contexts_tasks_and_threads():
    """record(tags=None) uses TagContext of the running context: each asyncio task, each
    copy_context() run and each new thread (which starts with an empty context) sees its own."""
    m = measure.MeasureInt("tags_test/ctx", "m", "1")
    view_manager.register_view(view.View("tags_test/ctx_v", "v", ["who"], m,
                                         aggregation.CountAggregation()))

    async def task(name, n):
        TagContext.set(TagMap([("who", name)]))
        for _ in range(n):
            await asyncio.sleep(0)
            mm = stats_module.stats.stats_recorder.new_measurement_map()
            mm.measure_int_put(m, 1)
            mm.record()

    async def main():
        await asyncio.gather(*(task("task%d" % i, i + 1) for i in range(5)))
    asyncio.run(main())

    TagContext.set(TagMap([("who", "main")]))
    ctx = contextvars.copy_context()

    def in_copy():
        TagContext.set(TagMap([("who", "copy")]))
        m.record(1)
    ctx.run(in_copy)
    m.record(1)
    thread = threading.Thread(target=lambda: m.record(1))
    thread.start()
    thread.join()
    TagContext.set(None)
    expected = {("task%d" % i,): i + 1 for i in range(5)}
    expected.update({("main",): 1, ("copy",): 1, ("",): 1})
    assert counts("tags_test/ctx_v") == expected


def test_binary_format_matches_the_spec_and_opencensus():
    """The encoding is the OpenCensus binary format byte for byte (built here from the spec),
    opencensus-python's serializer decodes it, and census decodes opencensus-python's bytes."""
    from opencensus.tags import TagMap as OcTagMap
    from opencensus.tags.propagation.binary_serializer import \
        BinarySerializer as OcBinarySerializer
    one = BinarySerializer().to_byte_array(TagMap([("key1", "val1")]))
    assert one == bytes([0, 0, 4]) + b"key1" + bytes([4]) + b"val1"
    assert BinarySerializer().to_byte_array(TagMap()) == bytes([0])
    data = BinarySerializer().to_byte_array(TagMap([("key1", "val1"), ("k2", "")]))
    oc = OcBinarySerializer().from_byte_array(data)
    assert dict(oc.map) == {"key1": "val1", "k2": ""}

    oc_map = OcTagMap()
    oc_map.insert("x", "1")
    oc_map.insert("yy", "22")
    back = BinarySerializer().from_byte_array(OcBinarySerializer().to_byte_array(oc_map))
    assert dict(back.map) == {"x": "1", "yy": "22"}
    assert isinstance(next(iter(back.map)), TagKey)
    with pytest.raises(ValueError):
        BinarySerializer().from_byte_array(b"\x01")
    # The module's constants are opencensus-python's, and the limit is the one census applies.
    from census.tags.propagation import binary_serializer
    from opencensus.tags.propagation import binary_serializer as oc_binary
    for name in ("VERSION_ID", "TAG_FIELD_ID", "TAG_MAP_SERIALIZED_SIZE_LIMIT", "UTF8"):
        assert getattr(binary_serializer, name) == getattr(oc_binary, name), name
    limit = binary_serializer.TAG_MAP_SERIALIZED_SIZE_LIMIT
    at_limit = TagMap([("k%03d" % i, "v" * 250) for i in range(limit // 254)])
    BinarySerializer().to_byte_array(at_limit)
    over = TagMap([("k%03d" % i, "v" * 250) for i in range(limit // 254 + 1)])
    with pytest.raises(census.Error):
        BinarySerializer().to_byte_array(over)
