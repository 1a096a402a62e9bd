"""A typical opencensus-python program tracing to Stackdriver (Cloud Trace): the exporter with a
project id, a request span continued from the caller's traceparent, a child with attributes
(opencensus's HTTP attribute names among them), an annotation, a failing span."""

from opencensus.ext.stackdriver import trace_exporter as stackdriver_exporter
from opencensus.trace import attributes_helper, samplers
from opencensus.trace import tracer as tracer_module
from opencensus.trace.propagation import trace_context_http_header_format
from opencensus.trace.span import SpanKind

HTTP_METHOD = attributes_helper.COMMON_ATTRIBUTES['HTTP_METHOD']
HTTP_STATUS_CODE = attributes_helper.COMMON_ATTRIBUTES['HTTP_STATUS_CODE']

exporter = stackdriver_exporter.StackdriverExporter(project_id="compat-project")
propagator = trace_context_http_header_format.TraceContextPropagator()
tracer = tracer_module.Tracer(
    span_context=propagator.from_headers(
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}),
    sampler=samplers.AlwaysOnSampler(), exporter=exporter)

with tracer.span(name="GET /users") as request:
    request.span_kind = SpanKind.SERVER
    request.add_attribute(HTTP_METHOD, "GET")
    request.add_attribute(HTTP_STATUS_CODE, 200)
    with tracer.span(name="load users") as load:
        load.add_attribute("db.rows", 3)
        load.add_attribute("db.cached", True)
        load.add_annotation("query done", table="users")
    try:
        with tracer.span(name="render"):
            raise ValueError("template missing")
    except ValueError:
        pass
