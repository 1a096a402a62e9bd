"""census.stats: measures, views, aggregations, the view manager and the stats recorder, as
opencensus.stats (``from census.stats import stats as stats_module`` then
``stats_module.stats.view_manager``)."""
