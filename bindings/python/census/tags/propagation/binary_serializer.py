"""BinarySerializer, as opencensus.tags.propagation.binary_serializer: the OpenCensus binary
tag format (grpc-tags-bin), encoded and decoded by census's C core."""

from census.tags.tag_key import TagKey
from census.tags.tag_map import TagMap
from census.tags.tag_value import TagValue

# The format's constants, as opencensus-python names them.
VERSION_ID = 0
TAG_FIELD_ID = 0
TAG_MAP_SERIALIZED_SIZE_LIMIT = 8192
UTF8 = "utf-8"


class BinarySerializer(object):
    """Encodes a TagMap to bytes and back. Thread-safe."""

    def to_byte_array(self, tag_context):
        """The encoding of `tag_context` (a TagMap): version 0, then per tag 0, varint length
        and key, varint length and value. census.Error if keys and values exceed 8192 bytes."""
        return bytes(tag_context._to_binary())

    def from_byte_array(self, binary):
        """A TagMap decoded from `binary`; census.InvalidArgumentError for malformed input
        (nothing is decoded partially)."""
        tag_map = TagMap()
        for key, value in tag_map._from_binary(binary):
            tag_map._map[TagKey(key)] = TagValue(value)
        return tag_map
