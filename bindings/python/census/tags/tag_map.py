"""TagMap, as opencensus.tags.tag_map, backed by a census C tag map.

The C map (census._census.TagMapBase) is what record calls read; the ordered view `map` is
opencensus-python's. Every change goes through insert/update/delete, which validate with
census's rules first, so both always hold the same tags. `map` is a read-only view (in
opencensus-python a mutable OrderedDict): a direct write would bypass the C map, so it raises
TypeError instead of recording with stale tags (docs/python.md, differences).

Thread-safety: one writer at a time; any number of threads may record with a map that no thread
is changing.
"""

from collections import OrderedDict
from types import MappingProxyType

from census._census import TagMapBase
from census.tags.tag_key import TagKey
from census.tags.tag_value import TagValue


class TagMap(TagMapBase):
    """A map of tags from key to value.

    :param tags: an iterable of (key, value) pairs, e.g. :class:`census.tags.Tag` objects;
        invalid keys or values raise ValueError.
    """

    def __init__(self, tags=None):
        self._map = OrderedDict()
        for key, value in (tags or []):
            tag_key, tag_value = TagKey(key), TagValue(value)
            self._put(tag_key, tag_value)
            self._map[tag_key] = tag_value

    @property
    def map(self):
        """A read-only ordered view of the tags (key -> value)."""
        return MappingProxyType(self._map)

    def __iter__(self):
        return iter(self._map.items())

    def __len__(self):
        return len(self._map)

    def __repr__(self):
        return "TagMap({!r})".format(list(self._map.items()))

    def insert(self, key, value):
        """Adds key=value unless the key is present; ValueError for an invalid key or value."""
        if key in self._map:
            return
        tag_key, tag_value = TagKey(key), TagValue(value)
        self._put(tag_key, tag_value)
        self._map[tag_key] = tag_value

    def delete(self, key):
        """Removes the key if present."""
        if key in self._map:
            self._remove(key)
            del self._map[key]

    def update(self, key, value):
        """Sets a present key to value (an absent key is ignored). Unlike opencensus-python the
        value is validated: ValueError for one census cannot record."""
        if key in self._map:
            tag_value = TagValue(value)
            self._put(key, tag_value)
            self._map[key] = tag_value

    def tag_key_exists(self, key):
        """True if the key is in the map."""
        return key in self._map

    def get_value(self, key):
        """The value of key; KeyError if absent."""
        try:
            return self._map[key]
        except KeyError:
            raise KeyError("key is not in map")
