"""A typical opencensus-python tracing program: a server request continued from the caller's
traceparent, nested spans with attributes, an annotation, a span kind, a span that fails with an
exception, an explicit status, start_span/end_span, and the traceparent sent downstream. Its
exporter keeps what it receives in `spans`; OUT holds the headers it would send."""

from opencensus.trace import base_exporter, execution_context, samplers
from opencensus.trace import status as status_module
from opencensus.trace import tracer as tracer_module
from opencensus.trace.propagation import trace_context_http_header_format
from opencensus.trace.span import SpanKind


class CollectingExporter(base_exporter.Exporter):
    def __init__(self):
        self.spans = []

    def emit(self, span_datas):
        self.spans.extend(span_datas)

    def export(self, span_datas):
        self.emit(span_datas)


exporter = CollectingExporter()
propagator = trace_context_http_header_format.TraceContextPropagator()
incoming = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
tracer = tracer_module.Tracer(span_context=propagator.from_headers(incoming),
                              sampler=samplers.AlwaysOnSampler(), exporter=exporter,
                              propagator=propagator)
OUT = {}

with tracer.span(name="GET /users") as request:
    request.span_kind = SpanKind.SERVER
    request.add_attribute("http.method", "GET")
    request.add_attribute("http.status_code", 200)
    request.add_attribute("cache.hit", False)
    request.add_attribute("load", 0.25)
    with tracer.span(name="load users") as load:
        load.add_annotation("query", rows=3, table="users")
        OUT["downstream"] = propagator.to_headers(tracer.span_context)
        OUT["downstream_span_is_current"] = (
            OUT["downstream"]["traceparent"].split("-")[2] == load.span_id)
    try:
        with tracer.span(name="render"):
            raise ValueError("template missing")
    except ValueError:
        pass
    tracer.start_span(name="audit")
    tracer.add_attribute_to_current_span("audit.user", "alice")
    execution_context.get_current_span().set_status(
        status_module.Status(5, "no audit log"))
    tracer.end_span()

OUT["current_after"] = execution_context.get_current_span() is None
