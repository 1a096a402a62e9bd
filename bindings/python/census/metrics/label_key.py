"""LabelKey, as opencensus.metrics.label_key."""


class LabelKey(object):
    """A metric label's key and description. Immutable."""

    def __init__(self, key, description):
        self._key = key
        self._description = description

    @property
    def key(self):
        """The label's name."""
        return self._key

    @property
    def description(self):
        """What the label means."""
        return self._description

    def __repr__(self):
        return "LabelKey({!r}, {!r})".format(self._key, self._description)
