"""ZipkinExporter, as opencensus.ext.zipkin.trace_exporter, on census's C Zipkin exporter (v2
JSON spans POSTed with retries and drop counting; docs/exporters/zipkin.md).

``ZipkinExporter(service_name='my_service', host_name='localhost', port=9411,
endpoint='/api/v2/spans', protocol='http', transport=SyncTransport, ipv4=None, ipv6=None)``
sends to ``protocol://host_name:port/endpoint``, with ``localEndpoint`` serviceName, ipv4 and
ipv6 from the arguments; opencensus-python also put the collector's `port` into
localEndpoint.port, which census leaves out (it is not the service's port). `transport` is
accepted and unused (census batches and sends on its own threads). census's other options
(timeout, max_elapsed, max_queued, max_spans_per_request, spool_dir, spool_max_bytes,
local_port) are keyword arguments. See census.ext._native_trace for how it joins census's span
pipeline. Tags are written as Zipkin strings.
"""

from census import _census
from census.common.transports.sync import SyncTransport
from census.ext._native_trace import NativeTraceExporter

DEFAULT_ENDPOINT = '/api/v2/spans'
ZIPKIN_HEADERS = {'Content-Type': 'application/json'}

__all__ = ['ZipkinExporter']


class ZipkinExporter(NativeTraceExporter):
    """See the module."""

    def __init__(self, service_name='my_service', host_name='localhost', port=9411,
                 endpoint=DEFAULT_ENDPOINT, protocol='http', transport=SyncTransport, ipv4=None,
                 ipv6=None, **census_options):
        NativeTraceExporter.__init__(self)
        self.service_name = service_name
        self.host_name = host_name
        self.port = port
        self.endpoint = endpoint
        self.protocol = protocol
        self.url = self.get_url
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.transport = transport(self)
        self.census_options = census_options

    @property
    def get_url(self):
        """The collector URL, as opencensus-python builds it."""
        return '{}://{}:{}{}'.format(self.protocol, self.host_name, self.port, self.endpoint)

    def _start(self):
        return _census.zipkin_start(endpoint=self.url, service_name=self.service_name,
                                    local_ipv4=self.ipv4, local_ipv6=self.ipv6,
                                    **self.census_options)
