"""census.stats: measures, views, aggregations, the view manager and the stats recorder, as
opencensus.stats."""
