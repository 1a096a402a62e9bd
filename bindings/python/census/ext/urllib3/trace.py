"""The urllib3 integration (census's addition, like census.ext.requests):
``trace_integration(tracer)`` (or ``trace_integrations(['urllib3'])``) wraps
``urllib3.connectionpool.HTTPConnectionPool.urlopen``, so every request urllib3 makes (directly,
through a PoolManager, or through a library built on it) gets a CLIENT span and carries the
current span context in its headers (census.ext._client). Requests made through requests are
traced once, by the requests integration, when both are on. Idempotent; thread-safe."""

import functools
import logging

import urllib3
from urllib3 import connectionpool

from census.ext import _client
from census.trace import execution_context, integrations

log = logging.getLogger(__name__)

MODULE_NAME = 'urllib3'


def trace_integration(tracer=None):
    """Wraps HTTPConnectionPool.urlopen (once); makes `tracer` current if given."""
    log.info('Integrated module: {}'.format(MODULE_NAME))
    if tracer is not None:
        execution_context.set_opencensus_tracer(tracer)
    original = connectionpool.HTTPConnectionPool.urlopen
    if getattr(original, '_census_wrapped', False):
        return
    connectionpool.HTTPConnectionPool.urlopen = _wrap(original)
    integrations.add_integration(integrations._Integrations.URLLIB3)


def _wrap(wrapped):
    @functools.wraps(wrapped)
    def urlopen(self, method, url, *args, **kwargs):
        full = url if '://' in url else '{}://{}{}{}'.format(
            self.scheme, self.host, ':{}'.format(self.port) if self.port else '', url)
        started = _client.start(method, full)
        if started is None:
            return wrapped(self, method, url, *args, **kwargs)
        if len(args) >= 2:  # body, headers positionally
            args = list(args)
            args[1] = dict(args[1] or {}, **started[2])
        else:
            kwargs['headers'] = dict(kwargs.get('headers') or {}, **started[2])
        try:
            response = wrapped(self, method, url, *args, **kwargs)
        except Exception as e:
            _client.finish(started, exception=e,
                           timeout_errors=(urllib3.exceptions.TimeoutError,))
            raise
        _client.finish(started, status_code=response.status)
        return response
    urlopen._census_wrapped = True
    return urlopen
