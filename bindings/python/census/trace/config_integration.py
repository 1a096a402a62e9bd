"""trace_integrations, as opencensus.trace.config_integration: turns on integrations by name
(census.ext.<name>.trace's trace_integration(tracer=...)): 'requests', 'urllib3'."""

import importlib
import logging

log = logging.getLogger(__name__)


def trace_integrations(integrations, tracer=None):
    """Enables each named integration; returns the names that succeeded (failures are logged
    as warnings, as in opencensus-python)."""
    integrated = []
    for item in integrations:
        module_name = 'census.ext.{}.trace'.format(item)
        try:
            module = importlib.import_module(module_name)
            module.trace_integration(tracer=tracer)
            integrated.append(item)
        except Exception as e:
            log.warning('Failed to integrate module: {}'.format(module_name))
            log.warning('{}'.format(e))
    return integrated
