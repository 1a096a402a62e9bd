"""Annotation and MessageEvent, as opencensus.trace.time_event.

census records both as span events (OpenTelemetry's name for them): an annotation is an event
named after its description, with its attributes; a message event is an event named "message"
with the attributes ``message.type`` ("SENT", "RECEIVED" or "UNSPECIFIED"), ``message.id``,
``message.uncompressed_size`` and ``message.compressed_size`` (OpenTelemetry's RPC conventions).
Spans read back from census (SpanData) turn them into these classes again.
"""

from census.common import utils
from census.trace import _strings


def _iso(timestamp):
    return timestamp if isinstance(timestamp, str) else utils.to_iso_str(timestamp)


class Type(object):
    """Whether a message was sent or received."""
    TYPE_UNSPECIFIED = 0
    SENT = 1
    RECEIVED = 2


_TYPE_NAMES = {Type.TYPE_UNSPECIFIED: 'UNSPECIFIED', Type.SENT: 'SENT', Type.RECEIVED: 'RECEIVED'}
_TYPE_VALUES = {name: value for value, name in _TYPE_NAMES.items()}


class Annotation(object):
    """A text annotation at `timestamp` (a datetime, or an ISO string) with attributes (an
    Attributes object or None)."""

    def __init__(self, timestamp, description, attributes=None):
        self.timestamp = _iso(timestamp)
        self.description = description
        self.attributes = attributes

    def format_annotation_json(self):
        """opencensus-python's JSON form."""
        annotation_json = {'description': _strings.get_truncatable_str(self.description)}
        if self.attributes is not None:
            annotation_json['attributes'] = self.attributes.format_attributes_json()
        return annotation_json


class MessageEvent(object):
    """A message sent or received at `timestamp`, with an id and sizes (compressed defaults to
    uncompressed)."""

    def __init__(self, timestamp, id, type=None, uncompressed_size_bytes=None,
                 compressed_size_bytes=None):
        self.timestamp = _iso(timestamp)
        if type is None:
            type = Type.TYPE_UNSPECIFIED
        if compressed_size_bytes is None and uncompressed_size_bytes is not None:
            compressed_size_bytes = uncompressed_size_bytes
        self.id = id
        self.type = type
        self.uncompressed_size_bytes = uncompressed_size_bytes
        self.compressed_size_bytes = compressed_size_bytes

    def format_message_event_json(self):
        """opencensus-python's JSON form."""
        message_event_json = {'id': self.id, 'type': self.type}
        if self.uncompressed_size_bytes is not None:
            message_event_json['uncompressed_size_bytes'] = self.uncompressed_size_bytes
        if self.compressed_size_bytes is not None:
            message_event_json['compressed_size_bytes'] = self.compressed_size_bytes
        return message_event_json

    def _census_attributes(self):
        """The attributes of the census event that records it."""
        attributes = {'message.type': _TYPE_NAMES.get(self.type, 'UNSPECIFIED')}
        for key, value in (('message.id', self.id),
                           ('message.uncompressed_size', self.uncompressed_size_bytes),
                           ('message.compressed_size', self.compressed_size_bytes)):
            if value is not None:
                attributes[key] = int(value) if isinstance(value, str) and value.isdigit() \
                    else value
        return attributes

    @classmethod
    def _from_census(cls, timestamp, attributes):
        """A MessageEvent from a census event's time and attributes."""
        return cls(timestamp, attributes.get('message.id'),
                   type=_TYPE_VALUES.get(attributes.get('message.type'), Type.TYPE_UNSPECIFIED),
                   uncompressed_size_bytes=attributes.get('message.uncompressed_size'),
                   compressed_size_bytes=attributes.get('message.compressed_size'))
