"""Samplers, as opencensus.trace.samplers: a Tracer asks its sampler once, when it is made,
whether to record its spans.

``ProbabilitySampler`` decides from the trace id with census's rule (the one OpenTelemetry SDKs
share, ``census_sampler_trace_id_ratio``: the lower 8 bytes of the trace id as a big-endian
integer, shifted right by one, below ``rate * 2**63``), so a trace gets the same decision in
every census process, C or Python; opencensus-python's rule (lower 8 bytes ``<= rate *
(2**64 - 1)``) decides alike except within one part in 2**63 of the bound. As in
opencensus-python it also samples whenever the incoming context is sampled.
``ParentBasedSampler`` (census's addition) follows the incoming context's sampled flag when
there is an incoming parent, else asks its root sampler. Thread-safety: samplers are immutable.
"""

DEFAULT_SAMPLING_RATE = 1e-4


class Sampler(object):
    """Base class: subclasses implement should_sample(span_context) -> bool."""

    def should_sample(self, span_context):
        """Whether to record the trace of `span_context` (a SpanContext)."""
        raise NotImplementedError


class AlwaysOnSampler(Sampler):
    """Samples every trace, whatever the incoming flags say."""

    def should_sample(self, span_context):
        return True


class AlwaysOffSampler(Sampler):
    """Samples no trace, whatever the incoming flags say."""

    def should_sample(self, span_context):
        return False


class ProbabilitySampler(Sampler):
    """Samples a fraction `rate` (0..1, default 1e-4) of traces by trace id, and every trace
    whose incoming context is sampled. ValueError for a rate outside [0, 1]."""

    def __init__(self, rate=None):
        if rate is None:
            rate = DEFAULT_SAMPLING_RATE
        if not 0 <= rate <= 1:
            raise ValueError('Rate must between 0 and 1.')
        self.rate = rate
        # census_sampler_trace_id_ratio's bound: a rate of 1 samples every id.
        self._bound = 1 << 63 if rate >= 1 else int(rate * float(1 << 63))

    def should_sample(self, span_context):
        if span_context.trace_options.get_enabled():
            return True
        return (get_lower_long_from_trace_id(span_context.trace_id) >> 1) < self._bound


class ParentBasedSampler(Sampler):
    """Follows the incoming parent's sampled flag when the span context names a parent span;
    otherwise asks `root` (default AlwaysOnSampler). census's default sampler in C."""

    def __init__(self, root=None):
        self.root = root if root is not None else AlwaysOnSampler()

    def should_sample(self, span_context):
        if span_context.span_id is not None:
            return span_context.trace_options.get_enabled()
        return self.root.should_sample(span_context)


def get_lower_long_from_trace_id(trace_id):
    """The lower 8 bytes of a hex trace id as an int (big-endian)."""
    return int(trace_id[16:], 16)
