"""SpanData, as opencensus.trace.span_data: the immutable record of an ended span that span
exporters receive, and opencensus-python's legacy JSON form of a list of them.

census builds SpanData from its own ended spans (_from_census, called on census's export worker
with the GIL held): `context` is a SpanContext of the span's own trace id, span id, trace flags
and tracestate (opencensus-python passes its tracer's shared SpanContext, whose span_id is by
then the parent's); times are ISO 8601 UTC strings with microseconds; `attributes` a dict;
`annotations` and `message_events` come back from census's events (time_event); `links` are
Links with the linked ids; `status` a Status with code 0 for unset or OK and 2 (UNKNOWN) with the
message for an error; `child_span_count` is 0, `stack_trace` and `same_process_as_parent_span`
None (census records none of them); `span_kind` the SpanKind value. Thread-safety: immutable.
"""

import collections

from census.trace import attributes as attributes_module
from census.trace import code as code_pb2
from census.trace import link as link_module
from census.trace import time_event
from census.trace import _strings
from census.trace.span_context import SpanContext
from census.trace.status import Status

_SpanData = collections.namedtuple(
    '_SpanData',
    ('name', 'context', 'span_id', 'parent_span_id', 'attributes', 'start_time', 'end_time',
     'child_span_count', 'stack_trace', 'annotations', 'message_events', 'links', 'status',
     'same_process_as_parent_span', 'span_kind'))


class SpanData(_SpanData):
    """Immutable representation of all data collected by a span (see the module)."""
    __slots__ = ()


_STATUS_ERROR = 2


def _from_census(raws):
    """SpanData for each of census's ended spans (the tuples trace.c's span_raw() makes)."""
    datas = []
    for (name, context, parent_span_id, _parent_remote, kind, start_time, end_time, attributes,
         events, links, status_code, status_message, _dropped_attributes, _dropped_events,
         _dropped_links) in raws:
        trace_id, span_id, flags, tracestate = context
        annotations, message_events = [], []
        for event_name, event_time, event_attributes in events:
            if event_name == 'message' and 'message.type' in event_attributes:
                message_events.append(
                    time_event.MessageEvent._from_census(event_time, event_attributes))
            else:
                annotations.append(time_event.Annotation(
                    event_time, event_name, attributes_module.Attributes(event_attributes)))
        if status_code == _STATUS_ERROR:
            status = Status(code_pb2.UNKNOWN, status_message)
        else:
            status = Status(code_pb2.OK)
        datas.append(SpanData(
            name=name,
            context=SpanContext._trusted(trace_id, span_id, flags, tracestate),
            span_id=span_id,
            parent_span_id=parent_span_id,
            attributes=attributes,
            start_time=start_time,
            end_time=end_time,
            child_span_count=0,
            stack_trace=None,
            annotations=annotations,
            message_events=message_events,
            links=[link_module.Link(t, s) for t, s, _f, _ts in links],
            status=status,
            same_process_as_parent_span=None,
            span_kind=kind))
    return datas


def _span_data_of(span):
    """A SpanData of a live census.trace.span.Span, from what the Python object holds."""
    return SpanData(
        name=span.name, context=SpanContext._trusted(span.trace_id, span.span_id,
                                                     span.trace_options, None)
        if span.trace_id else None,
        span_id=span.span_id,
        parent_span_id=getattr(span.parent_span, 'span_id', None),
        attributes=dict(span.attributes), start_time=span.start_time, end_time=span.end_time,
        child_span_count=len(span.children), stack_trace=span.stack_trace,
        annotations=list(span.annotations), message_events=list(span.message_events),
        links=list(span.links), status=span.status,
        same_process_as_parent_span=span.same_process_as_parent_span, span_kind=span.span_kind)


def _format_legacy_span_json(span_data):
    """One SpanData as opencensus-python's legacy JSON dict."""
    span_json = {
        'displayName': _strings.get_truncatable_str(span_data.name),
        'spanId': span_data.span_id,
        'startTime': span_data.start_time,
        'endTime': span_data.end_time,
        'childSpanCount': span_data.child_span_count,
        'kind': span_data.span_kind,
    }
    if span_data.parent_span_id is not None:
        span_json['parentSpanId'] = span_data.parent_span_id
    if span_data.attributes:
        span_json['attributes'] = attributes_module.Attributes(
            span_data.attributes).format_attributes_json()
    if span_data.stack_trace is not None:
        span_json['stackTrace'] = span_data.stack_trace.format_stack_trace_json()
    formatted_time_events = []
    if span_data.annotations:
        formatted_time_events.extend(
            {'time': aa.timestamp, 'annotation': aa.format_annotation_json()}
            for aa in span_data.annotations)
    if span_data.message_events:
        formatted_time_events.extend(
            {'time': aa.timestamp, 'message_event': aa.format_message_event_json()}
            for aa in span_data.message_events)
    if formatted_time_events:
        span_json['timeEvents'] = {'timeEvent': formatted_time_events}
    if span_data.links:
        span_json['links'] = {'link': [link.format_link_json() for link in span_data.links]}
    if span_data.status is not None:
        span_json['status'] = span_data.status.format_status_json()
    if span_data.same_process_as_parent_span is not None:
        span_json['sameProcessAsParentSpan'] = span_data.same_process_as_parent_span
    return span_json


def format_legacy_trace_json(span_datas):
    """A list of SpanData (of one trace) as {'traceId': ..., 'spans': [...]}; {} if empty."""
    if not span_datas:
        return {}
    top_span = span_datas[0]
    trace_id = top_span.context.trace_id if top_span.context is not None else None
    return {'traceId': trace_id,
            'spans': [_format_legacy_span_json(sd) for sd in span_datas]}
