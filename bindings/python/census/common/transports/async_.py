"""AsyncTransport, as opencensus.common.transports.async_: accepted for compatibility, and the
same as SyncTransport in census.

opencensus-python's AsyncTransport queues data for a daemon thread that emits a batch every
`wait_period` seconds and drains it at exit within `grace_period`. census already does that for
every exporter: spans and views reach export() in batches on census's export worker, and the
interpreter-exit hook gives every Python exporter its final export (docs/python.md). A second
queue would only add delay and a second place to lose data, so this transport emits at once; its
arguments are kept (and readable) but change nothing.
"""

from census.common.transports import base

_DEFAULT_GRACE_PERIOD = 5.0
_DEFAULT_MAX_BATCH_SIZE = 600
_DEFAULT_WAIT_PERIOD = 60.0


class AsyncTransport(base.Transport):
    """Calls ``exporter.emit(datas)`` in the calling thread (census's export worker)."""

    def __init__(self, exporter, grace_period=_DEFAULT_GRACE_PERIOD,
                 max_batch_size=_DEFAULT_MAX_BATCH_SIZE, wait_period=_DEFAULT_WAIT_PERIOD):
        self.exporter = exporter
        self.grace_period = grace_period
        self.max_batch_size = max_batch_size
        self.wait_period = wait_period

    def export(self, datas):
        """Emits `datas` now (census's worker is the background thread)."""
        self.exporter.emit(datas)
