"""census.trace's Tracer and Span on census's C spans: what a program does with them reaches
census's span pipeline, and a span exporter written in Python receives it as SpanData with the
values the program set (ids, parents, names, kinds, attributes, events, links, status, times).

Each test uses the process's collecting exporter (tracing_support) and names its spans uniquely;
tests whose subject is process-wide (default exporter, failing exporters) run their program in a
fresh interpreter."""

import logging
import re

import pytest

from census import _census
from census.trace import execution_context, exporters, samplers
from census.trace import link as link_module
from census.trace import span as span_module
from census.trace import status as status_module
from census.trace import time_event
from census.trace.blank_span import BlankSpan
from census.trace.span_context import SpanContext
from census.trace.trace_options import TraceOptions
from census.trace.tracer import Tracer

from conftest import run_python
from tracing_support import by_name, collector

ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')


def sampled_tracer(**kwargs):
    return Tracer(sampler=samplers.AlwaysOnSampler(), exporter=collector(), **kwargs)


def test_nested_spans_export_parent_ids_trace_id_and_times():
    """A child started inside a span names it as parent, both carry the tracer's trace id, the
    root has no parent; times are ISO 8601 strings with microseconds, child within parent."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('nest/root') as root:
        with tracer.span('nest/child') as child:
            assert execution_context.get_current_span() is child
        assert execution_context.get_current_span() is root
    assert execution_context.get_current_span() is None
    spans = by_name(c.take())
    r, ch = spans['nest/root'], spans['nest/child']
    assert r.parent_span_id is None
    assert ch.parent_span_id == r.span_id == root.span_id
    assert ch.span_id == child.span_id != r.span_id
    assert r.context.trace_id == ch.context.trace_id == tracer.span_context.trace_id
    for s in (r, ch):
        assert ISO.match(s.start_time) and ISO.match(s.end_time)
    assert r.start_time <= ch.start_time <= ch.end_time <= r.end_time
    assert r.span_kind == span_module.SpanKind.UNSPECIFIED
    assert r.status.code == 0 and r.child_span_count == 0


def test_sampler_is_asked_once_when_the_tracer_is_made():
    """opencensus-python's rule: one decision per Tracer, at construction; a sampled tracer
    sets the sampled flag on its span context."""
    calls = []

    class Counting(samplers.Sampler):
        def should_sample(self, span_context):
            calls.append(span_context)
            return True

    tracer = Tracer(sampler=Counting(), exporter=collector())
    for i in range(3):
        with tracer.span('once/%d' % i):
            pass
    assert len(calls) == 1
    assert tracer.span_context.trace_options.enabled


def test_unsampled_tracer_hands_out_blank_spans_and_exports_nothing():
    """An unsampled tracer's spans are BlankSpans (every method a no-op, attributes assignable)
    and nothing reaches the exporter; its span context stays unsampled."""
    c = collector()
    tracer = Tracer(sampler=samplers.AlwaysOffSampler(), exporter=c)
    with tracer.span('blank/one') as s:
        assert isinstance(s, BlankSpan)
        s.add_attribute('k', 'v')
        s.add_annotation('a', x=1)
        s.name = 'renamed'
        s.span_kind = span_module.SpanKind.SERVER
        assert s.name == 'renamed'
        assert execution_context.get_current_span() is None
    assert isinstance(tracer.current_span(), BlankSpan)
    tracer.end_span()
    tracer.finish()
    assert not tracer.span_context.trace_options.enabled
    assert [s for s in c.take() if s.name.startswith('blank/')] == []


def test_incoming_context_is_the_root_spans_parent():
    """A span context with a span id (from headers) is the remote parent of the tracer's root
    spans: they keep its trace id and name its span id as parent."""
    c = collector()
    incoming = SpanContext(trace_id='0af7651916cd43dd8448eb211c80319c',
                           span_id='b7ad6b7169203331', trace_options=TraceOptions('1'),
                           from_header=True)
    tracer = sampled_tracer(span_context=incoming)
    with tracer.span('remote/root'):
        pass
    s = by_name(c.take())['remote/root']
    assert s.context.trace_id == '0af7651916cd43dd8448eb211c80319c'
    assert s.parent_span_id == 'b7ad6b7169203331'


def test_root_spans_of_one_tracer_share_its_trace_id():
    """Sibling root spans of one tracer are one trace, the tracer's (census_span_options.trace_id;
    before it, each root drew its own id), marked random because census generated it."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('share/a'):
        pass
    with tracer.span('share/b'):
        pass
    spans = by_name(c.take())
    assert spans['share/a'].context.trace_id == spans['share/b'].context.trace_id \
        == tracer.span_context.trace_id
    assert spans['share/a'].parent_span_id is None and spans['share/b'].parent_span_id is None
    assert int(spans['share/a'].context.trace_options.trace_options_byte) == 3


def test_span_context_names_the_current_span():
    """tracer.span_context.span_id is the current span's id while one of the tracer's spans is
    current, and the incoming parent's (None here) otherwise, as opencensus-python keeps it."""
    tracer = sampled_tracer()
    with tracer.span('ctx/a') as a:
        assert tracer.span_context.span_id == a.span_id
        with tracer.span('ctx/b') as b:
            assert tracer.span_context.span_id == b.span_id
        assert tracer.span_context.span_id == a.span_id
    assert tracer.span_context.span_id is None
    collector().take()


def test_start_span_end_span_and_finish(caplog):
    """start_span() makes the span current, end_span() ends the current one and makes its
    parent current, with no span it logs a warning; finish() ends every open span."""
    c = collector()
    tracer = sampled_tracer()
    outer = tracer.start_span('se/outer')
    inner = tracer.start_span('se/inner')
    assert tracer.current_span() is inner
    assert tracer.end_span() is inner
    assert tracer.current_span() is outer
    tracer.start_span('se/left-open')
    tracer.finish()
    assert tracer.current_span() is None
    with caplog.at_level(logging.WARNING):
        tracer.end_span()
    assert 'No active span' in caplog.text
    names = sorted(s.name for s in c.take())
    assert names == ['se/inner', 'se/left-open', 'se/outer']


def test_attributes_keep_their_types():
    """add_attribute and add_attribute_to_current_span keep bool, int, float and str; other
    values are recorded as str(); a key set again keeps the last value."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('attr/s') as s:
        s.add_attribute('s', 'text')
        s.add_attribute('i', -7)
        s.add_attribute('f', 2.5)
        s.add_attribute('b', True)
        s.add_attribute('o', [1, 2])
        s.add_attribute('big', 1 << 70)
        tracer.add_attribute_to_current_span('s', 'again')
        assert s.attributes['i'] == -7
    a = by_name(c.take())['attr/s'].attributes
    assert a == {'s': 'again', 'i': -7, 'f': 2.5, 'b': True, 'o': '[1, 2]',
                 'big': str(1 << 70)}
    assert type(a['b']) is bool and type(a['i']) is int


def test_status_last_one_wins_and_exceptions_become_status():
    """A status set later replaces an earlier one (code 0 exports as OK, code 0); an error code
    exports as UNKNOWN (2) with its message; an exception leaving a with block becomes the
    status and still propagates."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('status/ok') as s:
        s.set_status(status_module.Status(5, 'not found'))
        s.status = status_module.Status.as_ok()
    with tracer.span('status/err') as s:
        s.set_status(status_module.Status(14, 'unavailable'))
    with pytest.raises(KeyError):
        with tracer.span('status/raised'):
            raise KeyError('missing')
    with pytest.raises(TypeError):
        s.set_status('not a status')
    spans = by_name(c.take())
    assert spans['status/ok'].status.code == 0
    assert (spans['status/err'].status.code, spans['status/err'].status.message) == \
        (2, 'unavailable')
    assert spans['status/raised'].status.code == 2
    assert spans['status/raised'].status.message == "'missing'"


def test_name_and_kind_set_after_start_are_exported():
    """opencensus-python code names a span and sets its kind after start_span()
    (census_span_set_name, census_span_set_kind)."""
    c = collector()
    tracer = sampled_tracer()
    span = tracer.start_span()
    span.name = 'late/name'
    span.span_kind = span_module.SpanKind.SERVER
    tracer.end_span()
    with pytest.raises(ValueError):
        span.span_kind = 9
    s = by_name(c.take())['late/name']
    assert s.span_kind == span_module.SpanKind.SERVER


def test_annotations_message_events_and_links():
    """Annotations come back with their description and typed attributes, message events as
    MessageEvents (type, id, sizes), links with the linked ids; add_link refuses non-Links."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('events/s') as s:
        s.add_annotation('cache miss', key='k1', size=3, hit=False)
        s.add_message_event(time_event.MessageEvent(None, 7, type=time_event.Type.SENT,
                                                    uncompressed_size_bytes=120))
        s.add_link(link_module.Link('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'))
        with pytest.raises(TypeError):
            s.add_link('nope')
        with pytest.raises(ValueError):
            s.add_link(link_module.Link('xyz', '1'))
    d = by_name(c.take())['events/s']
    assert len(d.annotations) == 1
    assert d.annotations[0].description == 'cache miss'
    assert d.annotations[0].attributes.attributes == {'key': 'k1', 'size': 3, 'hit': False}
    assert ISO.match(d.annotations[0].timestamp)
    (m,) = d.message_events
    assert (m.type, m.id, m.uncompressed_size_bytes, m.compressed_size_bytes) == \
        (time_event.Type.SENT, 7, 120, 120)
    (link,) = d.links
    assert (link.trace_id, link.span_id) == ('0af7651916cd43dd8448eb211c80319c',
                                             'b7ad6b7169203331')


def test_child_spans_made_from_a_span():
    """span.span(name) gives a child that starts with its with block (not current, as in
    opencensus-python), and annotations added before it started are recorded at start."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('tree/parent') as parent:
        child = parent.span('tree/child')
        child.add_annotation('before start')
        assert child.span_id is None
        with child:
            assert execution_context.get_current_span() is parent
        assert parent.children == [child]
        assert list(parent) == [child, parent]
    spans = by_name(c.take())
    assert spans['tree/child'].parent_span_id == spans['tree/parent'].span_id
    assert [a.description for a in spans['tree/child'].annotations] == ['before start']


def test_trace_decorator_ends_its_span_even_on_error():
    """trace_decorator() runs the function in a span named after it; an exception ends the
    span with an error status and propagates."""
    c = collector()
    tracer = sampled_tracer()

    @tracer.trace_decorator()
    def decorated_work(x):
        if x < 0:
            raise ValueError('negative')
        return x * 2

    assert decorated_work(4) == 8
    with pytest.raises(ValueError):
        decorated_work(-1)
    assert tracer.current_span() is None
    spans = [s for s in c.take() if s.name == 'decorated_work']
    assert len(spans) == 2
    assert sorted(s.status.code for s in spans) == [0, 2]


def test_execution_context_slots():
    """The tracer, attrs and is_exporter slots: a Tracer makes itself current; attrs are
    copied on write; is_exporter is True inside an exporter's export()."""
    seen = []
    tracer = sampled_tracer()
    assert execution_context.get_opencensus_tracer() is tracer
    before = execution_context.get_opencensus_attrs()
    execution_context.set_opencensus_attr('k', 'v')
    assert execution_context.get_opencensus_attr('k') == 'v'
    assert 'k' not in before

    class Watching(collector().__class__):
        def export(self, span_datas):
            seen.append(execution_context.is_exporter())

    watcher = Watching()
    exporters.register(watcher)
    with tracer.span('ctx/exporter-flag'):
        pass
    collector().take()
    exporters.unregister(watcher)
    assert seen and all(seen)
    assert execution_context.is_exporter() is False


def test_probability_sampler_follows_census_c_rule():
    """ProbabilitySampler decides as census_sampler_trace_id_ratio does for the same trace id
    (checked against the C sampler for 2000 ids at several rates, and at the bound itself);
    a sampled incoming context is always sampled; rates outside [0, 1] are refused."""
    import random
    rng = random.Random(7)
    for rate in (0.0, 1e-4, 0.25, 0.5, 0.999, 1.0):
        sampler = samplers.ProbabilitySampler(rate)
        for _ in range(2000 if rate in (0.25, 0.5) else 200):
            tid = '{:032x}'.format(rng.getrandbits(128))
            ctx = SpanContext(trace_id=tid)
            assert sampler.should_sample(ctx) == _census._ratio_decision(rate, tid), (rate, tid)
    half = samplers.ProbabilitySampler(0.5)
    # At rate 0.5 the bound is 2**62: low 8 bytes 2**63 give (low >> 1) == 2**62, not below it;
    # 2**63 - 2 gives 2**62 - 1, below it.
    at_bound = '0' * 16 + '{:016x}'.format(1 << 63)
    below = '0' * 16 + '{:016x}'.format((1 << 63) - 2)
    for tid, expected in ((at_bound, False), (below, True)):
        assert half.should_sample(SpanContext(trace_id=tid)) is expected
        assert _census._ratio_decision(0.5, tid) is expected
    assert samplers.ProbabilitySampler(0.0).should_sample(
        SpanContext(trace_options=TraceOptions('1')))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            samplers.ProbabilitySampler(bad)
    collector().take()


def test_parent_based_sampler():
    """ParentBasedSampler follows an incoming parent's sampled flag and asks its root sampler
    for a new trace."""
    on = samplers.ParentBasedSampler(samplers.AlwaysOnSampler())
    off = samplers.ParentBasedSampler(samplers.AlwaysOffSampler())
    remote_sampled = SpanContext(span_id='b7ad6b7169203331', trace_options=TraceOptions('1'))
    remote_unsampled = SpanContext(span_id='b7ad6b7169203331', trace_options=TraceOptions('0'))
    assert off.should_sample(remote_sampled) and not on.should_sample(remote_unsampled)
    assert on.should_sample(SpanContext()) and not off.should_sample(SpanContext())


def test_census_limits_apply():
    """census's span limits (128 attributes by default) replace opencensus-python's 32 with the
    oldest evicted: the first 128 keys are kept (docs/python.md, differences)."""
    c = collector()
    tracer = sampled_tracer()
    with tracer.span('limits/s') as s:
        for i in range(200):
            s.add_attribute('k%03d' % i, i)
    a = by_name(c.take())['limits/s'].attributes
    assert len(a) == 128 and 'k000' in a and 'k127' in a and 'k128' not in a


def test_failing_exporter_is_reported_counted_and_does_not_stop_others():
    """An exception in a Python exporter's export() is reported on census's diagnostics
    channel (stderr here), counted (exporters.stats: failures, spans_failed), and the other
    exporters and later exports go on."""
    proc = run_python('''
        import census
        from census.trace import base_exporter, exporters, samplers, tracer as t
        class Bad(base_exporter.Exporter):
            def export(self, span_datas):
                raise RuntimeError('backend down')
        class Good(base_exporter.Exporter):
            def __init__(self): self.n = 0
            def export(self, span_datas): self.n += len(span_datas)
        bad, good = Bad(), Good()
        tr = t.Tracer(sampler=samplers.AlwaysOnSampler(), exporter=bad)
        exporters.register(good)
        for i in range(5):
            with tr.span('s%d' % i):
                pass
        try:
            census.flush(5.0)
        except census.ExportError:
            print('flush reported the failure')
        with tr.span('after'):
            pass
        try:
            census.flush(5.0)
        except census.ExportError:
            pass
        st = exporters.stats(bad)
        print('bad', st['failures'] >= 2, st['spans_failed'], 'good', good.n)
    ''')
    assert 'flush reported the failure' in proc.stdout
    assert 'bad True 6 good 6' in proc.stdout
    assert "raised RuntimeError('backend down')" in proc.stderr


def test_default_print_exporter_until_an_exporter_is_given():
    """Without an exporter a Tracer prints its spans (opencensus-python's default); once a
    program gives an exporter, the default print exporter leaves census's pipeline."""
    proc = run_python('''
        import census
        from census.trace import base_exporter, samplers, tracer as t
        tr = t.Tracer(sampler=samplers.AlwaysOnSampler())
        with tr.span('printed-span'):
            pass
        census.flush(5.0)
        class Quiet(base_exporter.Exporter):
            def export(self, span_datas): pass
        tr2 = t.Tracer(sampler=samplers.AlwaysOnSampler(), exporter=Quiet())
        with tr2.span('quiet-span'):
            pass
        census.flush(5.0)
    ''')
    assert "name='printed-span'" in proc.stdout
    assert 'quiet-span' not in proc.stdout
