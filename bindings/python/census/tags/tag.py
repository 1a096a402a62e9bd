"""Tag, as opencensus.tags.tag: a (key, value) namedtuple of TagKey and TagValue."""

from collections import namedtuple

from census.tags.tag_key import TagKey
from census.tags.tag_value import TagValue

Tag_ = namedtuple("Tag", ["key", "value"])


class Tag(Tag_):
    """A tag; the constructor validates and converts key and value (ValueError)."""

    def __new__(cls, key, value):
        return super(Tag, cls).__new__(cls, key=TagKey(key), value=TagValue(value))
