"""A Flask app under gunicorn whose /metrics shows every worker's counts (docs/python.md,
"Pre-fork servers: shared-memory mode").

    gunicorn -c gunicorn.conf.py app:app      # then: curl http://127.0.0.1:8000/metrics

The app records as any census program does; nothing in it knows about the workers. The
gunicorn configuration puts every worker in one shared-memory group (census.shm), so whichever
worker a Prometheus scrape reaches answers with the group's merged view, and the counts of a
worker that gunicorn recycled (max_requests) or that was killed (SIGKILL, OOM) stay counted.
Each response names the worker's pid (tests/test_shm_gunicorn.py uses it to pick a worker to
kill).
"""

import os

from flask import Flask, Response, jsonify

from census.ext.prometheus.stats_exporter import CONTENT_TYPE_LATEST, render
from census.stats import aggregation, measure, view
from census.stats import stats as stats_module
from census.tags import TagKey, TagMap, TagValue

REQUESTS = measure.MeasureInt("requests_served", "requests the app served", "1")
ROUTE = TagKey("route")
stats = stats_module.stats
stats.view_manager.register_view(view.View(
    "requests_served", "requests the app served, by route", [ROUTE], REQUESTS,
    aggregation.CountAggregation()))

app = Flask(__name__)


def count(route):
    """Records one request served on `route` (before the response leaves, so a response the
    client got is a request counted)."""
    tags = TagMap()
    tags.insert(ROUTE, TagValue(route))
    mm = stats.stats_recorder.new_measurement_map()
    mm.measure_int_put(REQUESTS, 1)
    mm.record(tags)


@app.route('/work/<int:n>')
def work(n):
    count('/work')
    return jsonify(n=n, pid=os.getpid())


@app.route('/metrics')
def metrics():
    # In shared-memory mode, the group's merged view: every worker's counts, live or dead.
    return Response(render(namespace='app'), content_type=CONTENT_TYPE_LATEST)
