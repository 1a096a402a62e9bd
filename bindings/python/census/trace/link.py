"""Link, as opencensus.trace.link: a pointer from a span to another span's context.

census records a link's trace id and span id (and, for links it reads back, the linked
context's flags and tracestate); a link's ``type`` and ``attributes`` are kept on the Python
object only and are not exported (docs/python.md, differences).
"""


class Type(object):
    """The relationship of the linked span: unspecified, child or parent."""
    TYPE_UNSPECIFIED = 0
    CHILD_LINKED_SPAN = 1
    PARENT_LINKED_SPAN = 2


class Link(object):
    """A link to span `span_id` (16 hex digits) of trace `trace_id` (32 hex digits)."""

    def __init__(self, trace_id, span_id, type=None, attributes=None):
        self.trace_id = trace_id
        self.span_id = span_id
        self.type = Type.TYPE_UNSPECIFIED if type is None else type
        self.attributes = attributes

    def format_link_json(self):
        """opencensus-python's JSON form: trace_id, span_id, type, and attributes when set."""
        link_json = {'trace_id': self.trace_id, 'span_id': self.span_id, 'type': self.type}
        if self.attributes is not None:
            link_json['attributes'] = self.attributes
        return link_json
