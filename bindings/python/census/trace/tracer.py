"""Tracer, as opencensus.trace.tracer: traces a request (or any unit of work).

``Tracer(span_context=None, sampler=None, exporter=None, propagator=None)`` takes
opencensus-python's defaults: a new SpanContext, ``ProbabilitySampler()`` (rate 1e-4), a
PrintExporter (see census.trace.exporters for census's rule), ``TraceContextPropagator()``. It
asks its sampler once, when it is made: a sampled tracer records every span it starts (census's
always-on sampler, so the decision is the tracer's), and sets the sampled flag on its span
context; an unsampled one hands out BlankSpans and calls into census for nothing. It then
becomes the current tracer of the calling context (execution_context).

Spans (span(), start_span(), end_span(), current_span(), add_attribute_to_current_span(),
finish()) are in C (census._census.Tracer): a new span is the child of the current span of the
calling context, else of the tracer's incoming context (the span context's span id, from
headers), else a root of the tracer's trace id. ``tracer.span_context`` is the tracer's
SpanContext with ``span_id`` refreshed to the current span's, as opencensus-python keeps it, so
``propagator.to_headers(tracer.span_context)`` names the current span.

Thread-safety: a tracer may be shared by threads and asyncio tasks; each context has its own
current span, so concurrent tasks' spans never parent each other.
"""

import functools

from census import _census
from census.trace import execution_context, samplers
from census.trace import exporters as exporters_module
from census.trace import span as _span  # noqa: F401  (hands the span classes to C)
from census.trace.propagation import trace_context_http_header_format
from census.trace.span_context import SpanContext
from census.trace.tracers import base


class Tracer(_census.Tracer, base.Tracer):
    """See the module. `exporter` joins census's span pipeline (census.trace.exporters)."""

    def __init__(self, span_context=None, sampler=None, exporter=None, propagator=None):
        if span_context is None:
            span_context = SpanContext()
        if sampler is None:
            sampler = samplers.ProbabilitySampler()
        if propagator is None:
            propagator = trace_context_http_header_format.TraceContextPropagator()
        self.span_context = span_context
        self.sampler = sampler
        self.exporter = exporters_module.use(exporter)
        self.propagator = propagator
        self._sampled = bool(self.should_sample())
        if self._sampled:
            span_context.trace_options.set_enabled(True)
        self.store_tracer()

    @property
    def tracer(self):
        """The tracer that records (opencensus-python's ContextTracer or NoopTracer): the tracer
        itself in census."""
        return self

    def should_sample(self):
        """The sampler's decision for the tracer's span context."""
        return self.sampler.should_sample(self.span_context)

    def get_tracer(self):
        """The tracer itself (see the tracer property)."""
        return self

    def store_tracer(self):
        """Makes this tracer the current tracer of the calling context."""
        execution_context.set_opencensus_tracer(self)

    def list_collected_spans(self):
        """The spans this tracer started that have not ended."""
        return self._open_spans

    def trace_decorator(self):
        """A decorator that runs the function in a span named after it (ended, with the
        exception as status, also when the function raises)."""

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with self.span(name=func.__name__):
                    return func(*args, **kwargs)
            return wrapper

        return decorator

    def __repr__(self):
        return '{}(sampled={}, span_context={!r})'.format(
            type(self).__name__, self._sampled, self.span_context)
