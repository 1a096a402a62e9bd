"""The Cloud Monitoring stats exporter, as opencensus.ext.stackdriver.stats_exporter, on census's
C exporter (docs/exporters/google-cloud-monitoring.md).

``new_stats_exporter(options=None, interval=None)`` starts it with opencensus-ext-stackdriver's
option names and metric naming: metric type ``<metric_prefix or
custom.googleapis.com/opencensus>/<view name>``, display name ``<metric_prefix or
OpenCensus>/<view name>``, view columns as labels plus ``opencensus_task``. Differences
(docs/python.md): the task label's value is ``c-<pid>@<host>`` computed per process (so every
forked worker writes its own series; opencensus-python's ``py-<pid>@<host>`` is fixed when
Options is made), ``default_monitoring_labels`` can only be ``{}`` (no task label) or the
``opencensus_task`` label with a value of your own, and the process-wide export interval is what
``interval`` sets. Credentials: census's (access_token, a service-account key file from
credentials_file or GOOGLE_APPLICATION_CREDENTIALS, or the metadata server), not google.auth.

Thread-safety: start and stop may be called from any thread; they release the GIL (starting may
ask the metadata server; stopping delivers what is queued).
"""

import census
from census import _census
from census.ext._native import NativeStatsExporter
from census.metrics import label_key, label_value

__all__ = ["Options", "StackdriverStatsExporter", "new_stats_exporter"]

MAX_TIME_SERIES_PER_UPLOAD = 200
OPENCENSUS_TASK = "opencensus_task"
OPENCENSUS_TASK_DESCRIPTION = "Opencensus task identifier"
DEFAULT_DISPLAY_NAME_PREFIX = "OpenCensus"
DEFAULT_METRIC_PREFIX = "custom.googleapis.com/opencensus"
ERROR_BLANK_PROJECT_ID = "expecting a non-blank ProjectID"


class Options(object):
    """Options of the Cloud Monitoring exporter.

    :param project_id: the project to write to ("" with new_stats_exporter raises ValueError)
    :param resource: the monitored resource type ("": detected; census adds its labels)
    :param metric_prefix: prefix of metric types and display names ("": the defaults above)
    :param default_monitoring_labels: None (the opencensus_task label), {} (none), or
        {LabelKey("opencensus_task", ...): LabelValue(value)}
    :param census_options: census's own options, passed to its C exporter: access_token,
        credentials_file, monitoring_endpoint, token_endpoint, metadata_host, resource_labels,
        timeout, max_elapsed, min_write_interval (seconds), ca_file, gzip, spool_dir
    """

    def __init__(self, project_id="", resource="", metric_prefix="",
                 default_monitoring_labels=None, **census_options):
        self.project_id = project_id
        self.resource = resource
        self.metric_prefix = metric_prefix
        if default_monitoring_labels is not None:
            for key, val in default_monitoring_labels.items():
                if not isinstance(key, label_key.LabelKey):
                    raise TypeError
                if not isinstance(val, label_value.LabelValue):
                    raise TypeError
        self.default_monitoring_labels = default_monitoring_labels
        self.census_options = census_options


def _c_options(options):
    """The keyword options of census's C exporter for `options`."""
    prefix = options.metric_prefix or DEFAULT_METRIC_PREFIX
    display = options.metric_prefix or DEFAULT_DISPLAY_NAME_PREFIX
    c = dict(options.census_options)
    c["metric_prefix"] = prefix if prefix.endswith("/") else prefix + "/"
    c["display_name_prefix"] = display if display.endswith("/") else display + "/"
    if options.project_id:
        c["project_id"] = str(options.project_id)
    if options.resource:
        c["resource_type"] = options.resource
    labels = options.default_monitoring_labels
    if labels is not None:
        if not labels:
            c["no_task_label"] = True
        elif len(labels) == 1 and next(iter(labels)).key == OPENCENSUS_TASK:
            c["task_label_value"] = next(iter(labels.values())).value
        else:
            raise ValueError("census's Cloud Monitoring exporter supports default_monitoring_labels"
                             " of {} or the opencensus_task label only, not %r" % (
                                 [k.key for k in labels],))
    return c


class StackdriverStatsExporter(NativeStatsExporter):
    """A running Cloud Monitoring exporter (stats(): its delivery counters)."""


def new_stats_exporter(options=None, interval=None):
    """Starts census's Cloud Monitoring exporter and returns it.

    :param options: an Options (None: census finds the project in the credentials' key file,
        GOOGLE_CLOUD_PROJECT or the metadata server)
    :param interval: seconds between exports (process-wide; None: keep census's, default 60)
    :raises ValueError: a blank project_id in options
    :raises census.InvalidArgumentError: census refused the configuration (the message says
        what)
    """
    if options is None:
        options = Options()
    elif str(options.project_id).strip() == "":
        raise ValueError(ERROR_BLANK_PROJECT_ID)
    if interval is not None:
        census.set_export_interval(interval)
    handle = _census.google_monitoring_start(**_c_options(options))
    return StackdriverStatsExporter(handle, options)
