"""TracestateStringFormatter, as opencensus.trace.propagation.tracestate_string_format: a
tracestate header value <-> Tracestate, with census's W3C Level 2 parser."""

from census import _census
from census.trace.tracestate import Tracestate


class TracestateStringFormatter(object):
    """Parses and writes tracestate values."""

    def from_string(self, string):
        """A Tracestate (ValueError naming the rule broken, for an invalid value)."""
        canonical = _census.tracestate_parse(string)
        if canonical[0] is None:
            raise ValueError('invalid tracestate {!r}: {}'.format(string, canonical[1]))
        return Tracestate._trusted(canonical[0])

    def to_string(self, tracestate):
        """The header value."""
        return ','.join(key + '=' + tracestate[key] for key in tracestate)
