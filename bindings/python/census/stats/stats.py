"""The stats singleton, as opencensus.stats.stats: ``stats.stats.view_manager`` and
``stats.stats.stats_recorder``."""

from census.stats.stats_recorder import StatsRecorder
from census.stats.view_manager import ViewManager

__all__ = ["stats"]


class _Stats(object):
    """A view manager and a stats recorder (both process-wide)."""

    def __init__(self):
        self.stats_recorder = StatsRecorder()
        self.view_manager = ViewManager()


stats = _Stats()
