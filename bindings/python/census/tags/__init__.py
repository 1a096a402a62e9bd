"""census.tags: tag keys, values and maps, and the current tag map, as opencensus.tags.

``TagContext`` is the current tag map of the running context (a contextvars slot: asyncio
tasks, ``contextvars.copy_context()`` and threads each see their own). ``record(tags=None)``
records with it: ``TagContext.set(tag_map)`` then ``mmap.record()``.
"""

from census import _census
from census.common.runtime_context import RuntimeContext
from census.tags.tag import Tag
from census.tags.tag_key import TagKey
from census.tags.tag_map import TagMap
from census.tags.tag_value import TagValue

__all__ = ["Tag", "TagContext", "TagKey", "TagValue", "TagMap"]

TagContext = RuntimeContext.register_slot("tag_context", None)
_census._set_tag_context(TagContext.contextvar)
