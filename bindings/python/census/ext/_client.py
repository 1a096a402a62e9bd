"""What the client integrations (census.ext.requests, census.ext.urllib3) share: a CLIENT span
per outgoing HTTP request, named after the URL's path, with component, host, method, path, url
and status code attributes and a status from the HTTP code (or the exception), and the current
span context injected into the request's headers with the current tracer's propagator, as
opencensus-ext-requests does. Nothing is traced while an exporter runs (its own requests), nor
for hosts in the context's ``excludelist_hostnames`` attr (default: the current exporter's
host_name:port). A request made inside another traced client call (requests over urllib3) is
traced once, by the outer one."""

import contextvars
from urllib.parse import urlparse

from census.trace import attributes_helper, exceptions_status, execution_context, utils
from census.trace import span as span_module

HTTP_HOST = attributes_helper.COMMON_ATTRIBUTES['HTTP_HOST']
HTTP_METHOD = attributes_helper.COMMON_ATTRIBUTES['HTTP_METHOD']
HTTP_PATH = attributes_helper.COMMON_ATTRIBUTES['HTTP_PATH']
HTTP_STATUS_CODE = attributes_helper.COMMON_ATTRIBUTES['HTTP_STATUS_CODE']
HTTP_URL = attributes_helper.COMMON_ATTRIBUTES['HTTP_URL']

_inside = contextvars.ContextVar('census.ext.client_call', default=False)


def start(method, url):
    """Starts the client span of a request; returns (tracer, span, headers to add, token), or
    None when the request is not traced."""
    if execution_context.is_exporter() or _inside.get():
        return None
    parsed = urlparse(url)
    dest = parsed.hostname if parsed.port is None else '{}:{}'.format(parsed.hostname,
                                                                      parsed.port)
    if utils.disable_tracing_hostname(dest, execution_context.get_opencensus_attr(
            'excludelist_hostnames')):
        return None
    path = parsed.path or '/'
    tracer = execution_context.get_opencensus_tracer()
    span = tracer.start_span()
    span.name = path
    span.span_kind = span_module.SpanKind.CLIENT
    try:
        headers = tracer.propagator.to_headers(tracer.span_context)
    except Exception:  # pragma: NO COVER
        headers = {}
    tracer.add_attribute_to_current_span('component', 'HTTP')
    tracer.add_attribute_to_current_span(HTTP_HOST, dest)
    tracer.add_attribute_to_current_span(HTTP_METHOD, method.upper())
    tracer.add_attribute_to_current_span(HTTP_PATH, path)
    tracer.add_attribute_to_current_span(HTTP_URL, url)
    return tracer, span, headers, _inside.set(True)


def finish(started, status_code=None, exception=None, timeout_errors=(), status=None):
    """Ends the client span started by start(); `status` (a Status) wins when given."""
    tracer, span, _headers, token = started
    _inside.reset(token)
    if status is not None:
        span.set_status(status)
    elif exception is not None:
        if timeout_errors and isinstance(exception, timeout_errors):
            span.set_status(exceptions_status.TIMEOUT)
        else:
            span.set_status(exceptions_status.unknown(exception))
    elif status_code is not None:
        tracer.add_attribute_to_current_span(HTTP_STATUS_CODE, status_code)
        span.set_status(utils.status_from_http_code(status_code))
    tracer.end_span()
