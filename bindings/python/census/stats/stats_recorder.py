"""StatsRecorder, as opencensus.stats.stats_recorder. Thread-safe."""

from census.stats import view_manager
from census.stats.measurement_map import MeasurementMap

__all__ = ["StatsRecorder"]


class StatsRecorder(object):
    """Makes measurement maps."""

    def __init__(self):
        self.measure_to_view_map = view_manager._map

    def new_measurement_map(self):
        """A new, empty MeasurementMap."""
        return MeasurementMap(self.measure_to_view_map)
