"""census.tags: tag keys, values and maps, and the current tag map, as opencensus.tags."""
