"""TraceOptions, as opencensus.trace.trace_options: the trace flags of a span context.

``trace_options_byte`` is the flags as a decimal str (opencensus-python's form, e.g. ``'1'``);
bit 0 is "sampled" (``enabled``). census keeps the other W3C Trace Context Level 2 bit, 0x02
(the trace id is random), when it reads a traceparent, so a byte of ``'3'`` can appear; only bit
0 is what ``enabled`` reports. Thread-safety: a plain value (not locked).
"""

import logging

_ENABLED_BITMASK = 1 << 0

DEFAULT = '1'


class TraceOptions(object):
    """Trace flags; `trace_options_byte` is an int or decimal str in 0..255 (default '1')."""

    def __init__(self, trace_options_byte=None):
        if trace_options_byte is None:
            trace_options_byte = DEFAULT
        self.trace_options_byte = self.check_trace_options(trace_options_byte)
        self.enabled = self.get_enabled()

    def check_trace_options(self, trace_options_byte):
        """The byte if it is 0..255, else the default ('1') with a warning."""
        trace_options_int = int(trace_options_byte)
        if trace_options_int < 0 or trace_options_int > 255:
            logging.warning("Trace options invalid, should be 1 byte.")
            trace_options_byte = DEFAULT
        return trace_options_byte

    def __repr__(self):
        return '{}(enabled={})'.format(type(self).__name__, self.get_enabled())

    def get_enabled(self):
        """True if bit 0 (sampled) is set."""
        return bool(int(self.trace_options_byte) & _ENABLED_BITMASK)

    def set_enabled(self, enabled):
        """Sets or clears bit 0, keeping the other bits."""
        value = int(self.trace_options_byte)
        value = value | _ENABLED_BITMASK if enabled else value & ~_ENABLED_BITMASK
        self.trace_options_byte = str(value)
        self.enabled = self.get_enabled()
