"""The transport interface, as opencensus.common.transports.base."""


class Transport(object):
    """Hands an exporter's data to its emit(). Subclasses implement export()."""

    def export(self, datas):
        """Sends `datas` (a list of SpanData or ViewData) to the exporter's emit()."""
        raise NotImplementedError  # pragma: NO COVER

    def flush(self):
        """Sends anything held back; the transports here hold nothing."""
