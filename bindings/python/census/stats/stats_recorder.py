"""StatsRecorder, as opencensus.stats.stats_recorder. Thread-safe."""

from census import _census
from census.stats import measurement_map, view_manager  # noqa: F401 (registers the class)

__all__ = ["StatsRecorder"]


class StatsRecorder(object):
    """Makes measurement maps."""

    def __init__(self):
        self.measure_to_view_map = view_manager._map

    def new_measurement_map(self):
        """A new, empty MeasurementMap."""
        return _census._new_measurement_map(self.measure_to_view_map)
