"""StackdriverExporter, as opencensus.ext.stackdriver.trace_exporter, on census's C Google
Cloud Trace exporter (batchWrite of v2 spans; docs/exporters/google-cloud.md).

``StackdriverExporter(client=None, project_id=None, transport=AsyncTransport)``: the project
comes from `project_id`, else the credentials' project, GOOGLE_CLOUD_PROJECT or the metadata
server; credentials from GOOGLE_APPLICATION_CREDENTIALS or the metadata server (census's own
OAuth2, no google-cloud-trace client: `client` must be None; `transport` is accepted and
unused). census's other options (credentials_file, access_token, trace_endpoint,
token_endpoint, metadata_host, timeout, max_elapsed, max_queued, max_spans_per_request, gzip,
spool_dir, spool_max_bytes) are keyword arguments. Attributes keep the names and types they
were recorded with (``http.status_code`` stays an int under that name; opencensus-ext-stackdriver
renamed it ``/http/status_code``, a string: docs/python.md, differences). See
census.ext._native_trace for how it joins census's span pipeline.
"""

from census import _census
from census.common.transports.async_ import AsyncTransport
from census.ext._native_trace import NativeTraceExporter

__all__ = ['StackdriverExporter']


class StackdriverExporter(NativeTraceExporter):
    """See the module."""

    def __init__(self, client=None, project_id=None, transport=AsyncTransport,
                 **census_options):
        if client is not None:
            raise ValueError('census sends spans with its own client: pass project_id and '
                             'credentials (credentials_file=, or the environment) instead of a '
                             'google-cloud-trace client')
        NativeTraceExporter.__init__(self)
        self.client = None
        self.project_id = project_id
        self.transport = transport(self)
        self.census_options = census_options

    def _start(self):
        return _census.google_trace_start(project_id=self.project_id, **self.census_options)
