"""Helpers of the integrations, as opencensus.trace.utils."""

import re

from census.trace import code as code_pb2
from census.trace import execution_context
from census.trace.status import Status

DEFAULT_EXCLUDELIST_PATHS = ['_ah/health']

URL_PATTERN = '^(https?|ftp):\\/\\/'


def get_func_name(func):
    """module.function of a callable."""
    func_name = getattr(func, '__name__', func.__class__.__name__)
    module_name = func.__module__
    if module_name is not None:
        return '{}.{}'.format(module_name, func_name)
    return func_name


def disable_tracing_url(url, excludelist_paths=None):
    """True if the URL's path starts with an excluded path (default: the health check)."""
    if excludelist_paths is None:
        excludelist_paths = DEFAULT_EXCLUDELIST_PATHS
    url = re.sub(URL_PATTERN, '', url)
    url_path = url.split('/', 1)[1] if '/' in url else ''
    for path in excludelist_paths:
        if url_path.startswith(path):
            return True
    return False


def disable_tracing_hostname(url, excludelist_hostnames=None):
    """True if host[:port] is excluded (default: the current tracer's exporter's
    host_name:port, so an exporter's own requests are not traced)."""
    if excludelist_hostnames is None:
        tracer = execution_context.get_opencensus_tracer()
        try:
            excludelist_hostnames = ['{}:{}'.format(tracer.exporter.host_name,
                                                    tracer.exporter.port)]
        except AttributeError:
            excludelist_hostnames = []
    return url in excludelist_hostnames


def status_from_http_code(http_code):
    """The Status of an HTTP status code (OpenCensus's mapping): below 200 UNKNOWN, below 400
    OK, and 400/401/403/404/429/501/503/504 to their gRPC codes, others UNKNOWN."""
    if http_code <= 199:
        return Status(code_pb2.UNKNOWN)
    if http_code <= 399:
        return Status(code_pb2.OK)
    grpc_code = {
        400: code_pb2.INVALID_ARGUMENT,
        401: code_pb2.UNAUTHENTICATED,
        403: code_pb2.PERMISSION_DENIED,
        404: code_pb2.NOT_FOUND,
        429: code_pb2.RESOURCE_EXHAUSTED,
        501: code_pb2.UNIMPLEMENTED,
        503: code_pb2.UNAVAILABLE,
        504: code_pb2.DEADLINE_EXCEEDED,
    }.get(http_code, code_pb2.UNKNOWN)
    return Status(grpc_code)
