"""A Flask app traced with census under gunicorn (docs/python.md, "Web frameworks and outgoing
requests").

    CENSUS_OTLP_ENDPOINT=http://localhost:4318 DOWNSTREAM_URL=http://localhost:9000/ \
        gunicorn -c gunicorn.conf.py app:app

It is an opencensus-python program with the import prefix changed: FlaskMiddleware configured
through app.config['OPENCENSUS'] (a sampler, an exporter and a propagator as strings), the
requests integration, a child span around the work. census adds the HTTP server views
(request count and latency by method, route and status), exported with the spans over OTLP.
Each gunicorn worker imports this module after the fork, so each starts its own exporters;
a worker that exits (gunicorn stops it with SIGTERM and it returns through sys.exit) delivers
everything it recorded at interpreter exit.
"""

import os

import requests
from flask import Flask, jsonify

from census.ext.flask.flask_middleware import FlaskMiddleware
from census.ext.otlp import stats_exporter
from census.trace import config_integration, execution_context

OTLP = os.environ.get('CENSUS_OTLP_ENDPOINT', 'http://localhost:4318')
DOWNSTREAM = os.environ.get('DOWNSTREAM_URL', 'http://localhost:9000/')

app = Flask(__name__)
app.config['OPENCENSUS'] = {
    'TRACE': {
        'SAMPLER': 'opencensus.trace.samplers.AlwaysOnSampler()',
        'EXPORTER': 'opencensus.ext.otlp.trace_exporter.TraceExporter('
                    'service_name="flask-example", endpoint="{}")'.format(OTLP),
        'PROPAGATOR': 'opencensus.trace.propagation.trace_context_http_header_format.'
                      'TraceContextPropagator()',
    }
}
FlaskMiddleware(app)
config_integration.trace_integrations(['requests'])
metrics = stats_exporter.new_stats_exporter(service_name='flask-example', endpoint=OTLP)


@app.route('/users/<int:user_id>')
def user(user_id):
    tracer = execution_context.get_opencensus_tracer()
    with tracer.span('load user') as span:
        span.add_attribute('user.id', user_id)
        downstream = requests.get(DOWNSTREAM, params={'user': user_id}, timeout=5)
    return jsonify(user=user_id, downstream=downstream.status_code)


@app.route('/fail')
def fail():
    raise RuntimeError('this handler fails')
