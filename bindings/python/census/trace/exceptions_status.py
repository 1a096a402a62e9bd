"""Statuses for failed outgoing calls, as opencensus.trace.exceptions_status."""

from census.trace import code as code_pb2
from census.trace.status import Status

CANCELLED = Status(code_pb2.CANCELLED)
INVALID_URL = Status(code_pb2.INVALID_ARGUMENT, message='invalid URL')
TIMEOUT = Status(code_pb2.DEADLINE_EXCEEDED, message='request timed out')


def unknown(exception):
    """UNKNOWN with the exception's text."""
    return Status.from_exception(exception)
