"""The requests integration, as opencensus.ext.requests.trace: ``trace_integration(tracer)``
(or ``config_integration.trace_integrations(['requests'])``) wraps ``requests.Session.request``
so that every request made through requests gets a CLIENT span and carries the current span
context in its headers (census.ext._client). Idempotent; thread-safe."""

import functools
import logging

import requests

from census.ext import _client
from census.trace import execution_context, integrations

log = logging.getLogger(__name__)

MODULE_NAME = 'requests'


def trace_integration(tracer=None):
    """Wraps requests.Session.request (once); makes `tracer` current if given."""
    log.info('Integrated module: {}'.format(MODULE_NAME))
    if tracer is not None:
        execution_context.set_opencensus_tracer(tracer)
    original = requests.Session.request
    if getattr(original, '_census_wrapped', False):
        return
    requests.Session.request = _wrap(original)
    integrations.add_integration(integrations._Integrations.REQUESTS)


def _wrap(wrapped):
    @functools.wraps(wrapped)
    def request(self, *args, **kwargs):
        method = kwargs.get('method') or args[0]
        url = kwargs.get('url') or args[1]
        started = _client.start(method, url)
        if started is None:
            return wrapped(self, *args, **kwargs)
        headers = kwargs.get('headers')
        kwargs['headers'] = dict(headers or {})
        kwargs['headers'].update(started[2])
        try:
            result = wrapped(self, *args, **kwargs)
        except requests.URLRequired as e:
            _client.finish(started, exception=e, status=_client.exceptions_status.INVALID_URL)
            raise
        except Exception as e:
            _client.finish(started, exception=e, timeout_errors=(requests.Timeout,))
            raise
        _client.finish(started, status_code=result.status_code)
        return result
    request._census_wrapped = True
    return request
