"""The propagators on census's C formats (census/propagation.h): what they read and write, with
W3C Trace Context Level 2 rules, and that opencensus-python 0.11.4's own propagators (an
independent implementation, from PyPI) read what census writes and census reads what they
write."""

import pytest
from werkzeug.datastructures import EnvironHeaders, Headers

from census.trace import samplers
from census.trace.propagation import b3_format, binary_format, google_cloud_format
from census.trace.propagation import text_format, trace_context_http_header_format
from census.trace.propagation import tracestate_string_format
from census.trace.span_context import SpanContext
from census.trace.trace_options import TraceOptions
from census.trace.tracer import Tracer
from census.trace.tracestate import Tracestate

from tracing_support import collector

TID = '0af7651916cd43dd8448eb211c80319c'
SID = 'b7ad6b7169203331'
TRACEPARENT = '00-{}-{}-01'.format(TID, SID)


def w3c():
    return trace_context_http_header_format.TraceContextPropagator()


def test_traceparent_valid_values():
    """A valid traceparent gives its ids and flags (sampled and random bits), from_header True;
    header names match in any case; spaces and tabs around the value are ignored; a later
    version's extra fields are ignored."""
    for headers, flags in (({'traceparent': TRACEPARENT}, '1'),
                           ({'Traceparent': ' \t00-{}-{}-03'.format(TID, SID)}, '3'),
                           ({'TRACEPARENT': '01-{}-{}-02-extra'.format(TID, SID)}, '2')):
        sc = w3c().from_headers(headers)
        assert (sc.trace_id, sc.span_id, sc.trace_options.trace_options_byte, sc.from_header) \
            == (TID, SID, flags, True)
    assert w3c().from_headers({'traceparent': TRACEPARENT}).trace_options.enabled


@pytest.mark.parametrize('value', [
    'ff-{}-{}-01'.format(TID, SID),                  # version ff
    '00-{}-{}-01-extra'.format(TID, SID),            # version 00 with more
    '00-{}-{}-01'.format(TID.upper(), SID),          # uppercase hex
    '00-{}-{}-01'.format('0' * 32, SID),             # zero trace id
    '00-{}-{}-01'.format(TID, '0' * 16),             # zero span id
    '00-{}-{}-1'.format(TID, SID),                   # short flags
    TRACEPARENT + ',' + TRACEPARENT,                 # two lines joined
    '',
])
def test_traceparent_invalid_values_start_a_new_trace(value):
    """Malformed traceparents give a new SpanContext (new trace id, no span id, not from a
    header), as the W3C suite and opencensus-python require."""
    sc = w3c().from_headers({'traceparent': value})
    assert sc.span_id is None and not sc.from_header and sc.trace_id != TID


def test_two_traceparent_lines_of_a_multidict_are_refused():
    """A header received twice (werkzeug keeps both lines) is read whole, joined with ',':
    two traceparents are refused (W3C), two tracestate lines are one list."""
    h = Headers([('traceparent', TRACEPARENT), ('traceparent', TRACEPARENT)])
    assert w3c().from_headers(h).span_id is None
    h = Headers([('traceparent', TRACEPARENT), ('tracestate', 'a=1'), ('tracestate', 'b=2')])
    assert list(w3c().from_headers(h).tracestate.items()) == [('a', '1'), ('b', '2')]
    environ = {'HTTP_TRACEPARENT': TRACEPARENT, 'HTTP_TRACESTATE': 'x=1'}
    assert w3c().from_headers(EnvironHeaders(environ)).tracestate == {'x': '1'}


def test_tracestate_level2_rules():
    """tracestate: Level 2 keys ('@' anywhere after the first character), a repeated key kept
    once (the left-most), a malformed list discarded whole without affecting the traceparent."""
    sc = w3c().from_headers({'traceparent': TRACEPARENT,
                             'tracestate': 'foo@@bar=1,a=2,a=3,t@s=4'})
    assert list(sc.tracestate.items()) == [('foo@@bar', '1'), ('a', '2'), ('t@s', '4')]
    sc = w3c().from_headers({'traceparent': TRACEPARENT, 'tracestate': 'a=1,BAD=2'})
    assert sc.span_id == SID and sc.tracestate is None
    fmt = tracestate_string_format.TracestateStringFormatter()
    assert fmt.to_string(fmt.from_string('a=1, b=2')) == 'a=1,b=2'
    with pytest.raises(ValueError):
        fmt.from_string('a')


def test_traceparent_written():
    """to_headers writes version 00 with the sampled and random flags and the tracestate; a
    context without a span id writes nothing (opencensus-python wrote the text 'None')."""
    sc = SpanContext(trace_id=TID, span_id=SID, trace_options=TraceOptions('3'),
                     tracestate=Tracestate([('a', '1')]))
    assert w3c().to_headers(sc) == {'traceparent': '00-{}-{}-03'.format(TID, SID),
                                    'tracestate': 'a=1'}
    assert w3c().to_headers(SpanContext(trace_id=TID)) == {}


def test_tracer_propagates_its_current_span():
    """propagator.to_headers(tracer.span_context) names the current span, with the random flag
    census set on the trace it started; read back, it parents the next process's spans."""
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=collector())
    with tracer.span('prop/out') as span:
        headers = tracer.propagator.to_headers(tracer.span_context)
    assert headers['traceparent'] == '00-{}-{}-03'.format(span.trace_id, span.span_id)
    downstream = w3c().from_headers(headers)
    assert (downstream.trace_id, downstream.span_id) == (span.trace_id, span.span_id)
    collector().take()


def test_b3():
    """B3: single header (with 64-bit ids padded, sampling 1/0/d), multi headers, a sampling
    decision alone, malformed values; written as the three x-b3-* headers."""
    p = b3_format.B3FormatPropagator()
    sc = p.from_headers({'b3': '{}-{}-1'.format(TID, SID)})
    assert (sc.trace_id, sc.span_id, sc.trace_options.enabled) == (TID, SID, True)
    sc = p.from_headers({'b3': '{}-{}-d'.format(TID[16:], SID)})
    assert sc.trace_id == '0' * 16 + TID[16:] and sc.trace_options.enabled
    sc = p.from_headers({'X-B3-TraceId': TID, 'X-B3-SpanId': SID, 'X-B3-Sampled': '0'})
    assert (sc.trace_id, sc.span_id, sc.trace_options.enabled) == (TID, SID, False)
    sc = p.from_headers({'b3': '1'})
    assert sc.span_id is None and sc.trace_options.enabled
    assert p.from_headers({'b3': 'nonsense'}).span_id is None
    out = p.to_headers(SpanContext(trace_id=TID, span_id=SID, trace_options=TraceOptions('3')))
    assert out == {'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': '1'}


def test_google_cloud_format():
    """X-Cloud-Trace-Context: decimal span id, ;o= bit 0 is sampled, absent ;o= is not
    sampled in census, trailing text and zero span ids refused; written as TRACE/DEC;o=N."""
    p = google_cloud_format.GoogleCloudFormatPropagator()
    sc = p.from_header('{}/{};o=1'.format(TID, int(SID, 16)))
    assert (sc.trace_id, sc.span_id, sc.trace_options.enabled) == (TID, SID, True)
    assert not p.from_header('{}/12345'.format(TID)).trace_options.enabled
    assert p.from_header('{}/0;o=1'.format(TID)).span_id is None
    assert p.from_header('{}/1;o=1 trailing'.format(TID)).span_id is None
    assert p.from_headers({'x-cloud-trace-context': '{}/255;o=0'.format(TID)}).span_id == \
        '00000000000000ff'
    sc = SpanContext(trace_id=TID, span_id=SID, trace_options=TraceOptions('1'))
    assert p.to_headers(sc) == {'X-Cloud-Trace-Context': '{}/{};o=1'.format(TID, int(SID, 16))}
    with pytest.raises(TypeError):
        p.from_header(b'bytes')


def test_binary_format():
    """grpc-trace-bin: the 29 bytes of the OpenCensus spec, decoded back; a wrong version or a
    truncated buffer gives a new context; fields after the known ones are ignored."""
    p = binary_format.BinaryFormatPropagator()
    sc = SpanContext(trace_id=TID, span_id=SID, trace_options=TraceOptions('1'))
    data = p.to_header(sc)
    assert data == b'\x00\x00' + bytes.fromhex(TID) + b'\x01' + bytes.fromhex(SID) + b'\x02\x01'
    back = p.from_header(data)
    assert (back.trace_id, back.span_id, back.trace_options.enabled) == (TID, SID, True)
    assert p.from_header(data + b'\x07\x01').span_id == SID
    assert p.from_header(b'\x01' + data[1:]).span_id is None
    assert p.from_header(data[:20]).span_id is None


def test_text_format():
    """The opencensus-trace-* carrier keys both ways; '0' options are not sampled (fixed)."""
    p = text_format.TextFormatPropagator()
    carrier = p.to_carrier(SpanContext(trace_id=TID, span_id=SID,
                                       trace_options=TraceOptions('1')), {})
    assert carrier == {'opencensus-trace-traceid': TID, 'opencensus-trace-spanid': SID,
                       'opencensus-trace-traceoptions': '1'}
    sc = p.from_carrier(dict(carrier, **{'opencensus-trace-traceoptions': '0'}))
    assert (sc.trace_id, sc.span_id, sc.trace_options.enabled) == (TID, SID, False)


def test_interop_with_opencensus_python_propagators():
    """opencensus 0.11.4's propagators read what census's write and census's read what theirs
    write, for W3C, B3, Google Cloud and binary formats (sampled contexts)."""
    from opencensus.trace.propagation import b3_format as oc_b3
    from opencensus.trace.propagation import binary_format as oc_bin
    from opencensus.trace.propagation import google_cloud_format as oc_google
    from opencensus.trace.propagation import trace_context_http_header_format as oc_w3c
    from opencensus.trace.span_context import SpanContext as OcSpanContext
    from opencensus.trace.trace_options import TraceOptions as OcTraceOptions

    ours = SpanContext(trace_id=TID, span_id=SID, trace_options=TraceOptions('1'))
    theirs = OcSpanContext(trace_id=TID, span_id=SID, trace_options=OcTraceOptions('1'))
    pairs = [(w3c(), oc_w3c.TraceContextPropagator()),
             (b3_format.B3FormatPropagator(), oc_b3.B3FormatPropagator()),
             (google_cloud_format.GoogleCloudFormatPropagator(),
              oc_google.GoogleCloudFormatPropagator())]
    for census_p, oc_p in pairs:
        read_by_oc = oc_p.from_headers(census_p.to_headers(ours))
        read_by_census = census_p.from_headers(oc_p.to_headers(theirs))
        for sc in (read_by_oc, read_by_census):
            assert (sc.trace_id, sc.span_id, sc.trace_options.get_enabled()) == (TID, SID, True)
    data = binary_format.BinaryFormatPropagator().to_header(ours)
    assert data == oc_bin.BinaryFormatPropagator().to_header(theirs)
    sc = oc_bin.BinaryFormatPropagator().from_header(data)
    assert (sc.trace_id, sc.span_id, sc.trace_options.get_enabled()) == (TID, SID, True)
