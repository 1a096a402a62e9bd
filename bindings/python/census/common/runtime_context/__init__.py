"""Context slots that follow Python code, not OS threads: opencensus-context's RuntimeContext
on :mod:`contextvars`.

``RuntimeContext.register_slot(name, default)`` returns a slot with ``get()``, ``set(value)``
and ``clear()``; each slot is one :class:`contextvars.ContextVar`, so asyncio tasks (which copy
the context when created), ``contextvars.copy_context().run(...)`` and threads (which start
with an empty context) each see their own value. ``census.tags.TagContext`` (the current tag
map) is such a slot, and so are the tracing slots.

Thread-safety: every operation affects only the calling context.
"""

import contextvars
import functools

__all__ = ["RuntimeContext"]


class _Slot(object):
    """One named context slot (a ContextVar with a default)."""

    def __init__(self, name, default):
        self.name = name
        self.default = default
        self.contextvar = contextvars.ContextVar(name, default=default)

    def clear(self):
        """Sets the slot back to its default in the current context."""
        self.contextvar.set(self.default)

    def get(self):
        """The slot's value in the current context."""
        return self.contextvar.get()

    def set(self, value):
        """Sets the slot's value in the current context."""
        self.contextvar.set(value)


class _RuntimeContext(object):
    """The registry of slots; attribute access reads and writes a slot by name."""

    _slots = {}

    @classmethod
    def register_slot(cls, name, default=None):
        """Registers a slot `name` with `default`; ValueError if the name is taken."""
        if name in cls._slots:
            raise ValueError("slot {} already registered".format(name))
        slot = _Slot(name, default)
        cls._slots[name] = slot
        return slot

    @classmethod
    def clear(cls):
        """Sets every slot back to its default in the current context."""
        for slot in cls._slots.values():
            slot.clear()

    def snapshot(self):
        """A dict of every slot's current value."""
        return {name: slot.get() for name, slot in self._slots.items()}

    def apply(self, snapshot):
        """Sets the slots from a snapshot() (in the current context)."""
        self.clear()
        for name, value in snapshot.items():
            self._slots[name].set(value)

    def __getattr__(self, name):
        if name not in self._slots:
            raise AttributeError(name)
        return self._slots[name].get()

    def __setattr__(self, name, value):
        if name not in self._slots:
            raise AttributeError(name)
        self._slots[name].set(value)

    def with_current_context(self, func):
        """Wraps `func` so that it runs with the caller's current context (e.g. in a thread)."""
        context = contextvars.copy_context()

        @functools.wraps(func)
        def call_with_current_context(*args, **kwargs):
            return context.copy().run(func, *args, **kwargs)
        return call_with_current_context

    def __repr__(self):
        return "RuntimeContext({})".format(self.snapshot())


RuntimeContext = _RuntimeContext()
