"""BucketBoundaries, as opencensus.stats.bucket_boundaries."""


class BucketBoundaries(object):
    """The bucket bounds of a distribution: a list of increasing numbers."""

    def __init__(self, boundaries=None):
        self.boundaries = boundaries

    def is_valid_boundaries(self, boundaries):
        """True if the bounds are strictly increasing."""
        if boundaries is not None:
            return all(a < b for a, b in zip(boundaries, boundaries[1:]))
        return False
