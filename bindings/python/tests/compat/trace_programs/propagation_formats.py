"""A typical opencensus-python propagation program: every propagator reads a context from the
carrier a peer sends and writes one back (W3C trace context, B3 single and multi header,
X-Cloud-Trace-Context, grpc-trace-bin, the text format). OUT holds what each read and wrote."""

from opencensus.trace.propagation import (b3_format, binary_format, google_cloud_format,
                                          text_format, trace_context_http_header_format)
from opencensus.trace.span_context import SpanContext
from opencensus.trace.trace_options import TraceOptions

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SPAN_ID = "b7ad6b7169203331"
OUT = {}


def context_fields(sc):
    return {"trace_id": sc.trace_id, "span_id": sc.span_id, "from_header": sc.from_header,
            "enabled": sc.trace_options.get_enabled()}


w3c = trace_context_http_header_format.TraceContextPropagator()
sc = w3c.from_headers({"traceparent": "00-%s-%s-01" % (TRACE_ID, SPAN_ID)})
OUT["w3c_read"] = context_fields(sc)
OUT["w3c_written"] = w3c.to_headers(sc)
OUT["w3c_unsampled"] = w3c.to_headers(
    SpanContext(trace_id=TRACE_ID, span_id=SPAN_ID, trace_options=TraceOptions("0")))

b3 = b3_format.B3FormatPropagator()
OUT["b3_multi_read"] = context_fields(b3.from_headers({
    "x-b3-traceid": TRACE_ID, "x-b3-spanid": SPAN_ID, "x-b3-sampled": "1"}))
OUT["b3_multi_read_canonical_case"] = context_fields(b3.from_headers({
    "X-B3-TraceId": TRACE_ID, "X-B3-SpanId": SPAN_ID, "X-B3-Sampled": "1"}))
OUT["b3_single_read"] = context_fields(b3.from_headers({"b3": "%s-%s-1" % (TRACE_ID, SPAN_ID)}))
OUT["b3_written"] = b3.to_headers(sc)

cloud = google_cloud_format.GoogleCloudFormatPropagator()
OUT["cloud_read"] = context_fields(cloud.from_header("%s/12345;o=1" % TRACE_ID))
OUT["cloud_written"] = cloud.to_header(sc)

binary = binary_format.BinaryFormatPropagator()
written = binary.to_header(sc)
OUT["binary_written"] = written.hex()
OUT["binary_read"] = context_fields(binary.from_header(written))

text = text_format.TextFormatPropagator()
carrier = text.to_carrier(sc, {})
OUT["text_written"] = carrier
OUT["text_read"] = context_fields(text.from_carrier(carrier))
