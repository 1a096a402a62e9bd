"""Tracestate, as opencensus.trace.tracestate: the W3C tracestate list as an ordered mapping.

Keys and values are checked against W3C Trace Context Level 2 (section 3.3.2): a key is 1 to 256
characters, a lowercase letter or digit then lowercase letters, digits, ``_ - * / @``; a value is
1 to 256 printable ASCII characters other than ``,`` and ``=``, not ending in a space. (Level 1,
which opencensus-python checks, had a separate tenant@system form; Level 2 folds it into the one
key rule.) Thread-safety: a plain mapping (not locked).
"""

import re
from collections import OrderedDict

_KEY_FORMAT = r'[a-z0-9][_0-9a-z\-\*\/@]{0,255}'
_VALUE_FORMAT = r'[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]'
_KEY_VALIDATION_RE = re.compile('^' + _KEY_FORMAT + '$')
_VALUE_VALIDATION_RE = re.compile('^' + _VALUE_FORMAT + '$')


class Tracestate(OrderedDict):
    """Ordered tracestate members; setting an invalid key or value raises ValueError."""

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise ValueError('key must be an instance of str')
        if not _KEY_VALIDATION_RE.match(key):
            raise ValueError('illegal key provided')
        if not isinstance(value, str):
            raise ValueError('value must be an instance of str')
        if not _VALUE_VALIDATION_RE.match(value):
            raise ValueError('illegal value provided')
        super(Tracestate, self).__setitem__(key, value)

    def append(self, key, value):
        """Puts key=value last (replacing an earlier member with that key)."""
        if self.get(key):
            del self[key]
        self[key] = value

    def is_valid(self):
        """True for 1 to 32 members."""
        return 0 < len(self) <= 32

    def prepend(self, key, value):
        """Puts key=value first (the W3C rule for a member a vendor updates)."""
        self[key] = value
        self.move_to_end(key, last=False)

    @classmethod
    def _trusted(cls, text):
        """A Tracestate from census's canonical form ("k=v,k2=v2", already validated)."""
        state = cls()
        if text:
            for member in text.split(','):
                key, _, value = member.partition('=')
                OrderedDict.__setitem__(state, key, value)
        return state

    def _text(self):
        """The canonical header value."""
        return ','.join(key + '=' + self[key] for key in self)
