"""Status, as opencensus.trace.status: a gRPC status code and a message.

census records a span's status the OpenTelemetry way (unset, OK, or an error with a message), so
when a span ends, code 0 becomes OK and any other code an error carrying the message; the code
number itself is not exported (docs/python.md, differences). Thread-safety: a plain value.
"""

from census.trace import code as code_pb2


class Status(object):
    """A status: `code` (google.rpc.Code value), `message` (str or None), `details` (a list or
    None, kept for opencensus-python's JSON form only)."""

    def __init__(self, code, message=None, details=None):
        self.code = code
        self.message = message
        self.details = details

    @property
    def canonical_code(self):
        """The code."""
        return self.code

    @property
    def description(self):
        """The message."""
        return self.message

    @property
    def is_ok(self):
        """True for code 0 (OK)."""
        return self.canonical_code == code_pb2.OK

    def format_status_json(self):
        """The status as opencensus-python's JSON dict: code, and message/details when set."""
        status_json = {'code': self.canonical_code}
        if self.description is not None:
            status_json['message'] = self.description
        if self.details is not None:
            status_json['details'] = self.details
        return status_json

    @classmethod
    def from_exception(cls, exc):
        """UNKNOWN with str(exc) as the message."""
        return cls(code=code_pb2.UNKNOWN, message=str(exc))

    @classmethod
    def as_ok(cls):
        """Code OK, no message."""
        return cls(code=code_pb2.OK)

    def __repr__(self):
        return 'Status(code={!r}, message={!r})'.format(self.code, self.message)

    def __eq__(self, other):
        return (isinstance(other, Status) and self.code == other.code
                and self.message == other.message and self.details == other.details)

    def __ne__(self, other):
        return not self == other

    __hash__ = None
