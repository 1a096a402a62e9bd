"""runner.py LIBRARY PROGRAM OUTDIR: runs an opencensus-python-style PROGRAM under LIBRARY
("opencensus", the PyPI release, or "census") and writes what it exported to OUTDIR.

The program's text is used as it is, except for its import prefix: `opencensus` becomes
`census` (or the reverse, for the census examples run under opencensus). Only the transport is
the runner's: under opencensus, Cloud Monitoring's gRPC client is replaced by a recorder of the
requests opencensus-ext-stackdriver builds (its own code makes every request; nothing is sent);
under census, the Cloud Monitoring exporter is pointed at the loopback Google fake
(CENSUS_TEST_GOOGLE_ENDPOINT, a static token). Both are given the same project.

Outputs (JSON): views.json, every View the program defines at module level (and in VIEWS),
read back with view_manager.get_view(): {view: {row key joined by "|": aggregation data}};
oc_google.json (opencensus only) the CreateTimeSeries/CreateMetricDescriptor requests as proto3
JSON; prom.json the status and body of the program's own /metrics (when PORT is set);
exporter_last.json the ViewData rows that an exporter of the program's own last received (its
`last` dict); metrics.json the program's views as Metrics from stats.get_metrics() and from
what a metrics exporter of its own (``export_metrics``, ``last_metrics``) last received.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.request

library, program, outdir = sys.argv[1:4]
os.makedirs(outdir, exist_ok=True)
with open(program) as f:
    source = f.read()
if library == "census":
    source = re.sub(r"(?m)^(\s*(?:from|import)\s+)opencensus\b", r"\1census", source)
else:
    source = re.sub(r"(?m)^(\s*(?:from|import)\s+)census\b", r"\1opencensus", source)

google_requests = []

if library == "opencensus":
    from google.protobuf import json_format
    from opencensus.ext.stackdriver import stats_exporter as oc_stackdriver

    class RecordingMetricServiceClient(object):
        """Stands in for monitoring_v3.MetricServiceClient: records the requests."""

        def __init__(self, *args, **kwargs):
            pass

        @staticmethod
        def common_project_path(project):
            return "projects/" + project

        def create_metric_descriptor(self, name, metric_descriptor):
            google_requests.append({"kind": "metricDescriptor", "name": name,
                                    "body": json_format.MessageToDict(metric_descriptor)})
            return metric_descriptor

        def create_time_series(self, name, time_series):
            series = [type(ts).to_dict(ts, use_integers_for_enums=False,
                                       preserving_proto_field_name=False)
                      for ts in time_series]
            google_requests.append({"kind": "timeSeries", "name": name,
                                    "body": {"name": name, "timeSeries": series}})

    oc_stackdriver.monitoring_v3.MetricServiceClient = RecordingMetricServiceClient
    oc_exporters = []
    oc_new_stats_exporter = oc_stackdriver.new_stats_exporter

    def recording_new_stats_exporter(*args, **kwargs):
        exporter = oc_new_stats_exporter(*args, **kwargs)
        oc_exporters.append(exporter)
        return exporter
    oc_stackdriver.new_stats_exporter = recording_new_stats_exporter
else:
    endpoint = os.environ.get("CENSUS_TEST_GOOGLE_ENDPOINT")
    if endpoint:
        from census.ext.stackdriver import stats_exporter as census_stackdriver
        c_options = census_stackdriver._c_options

        def test_transport(options):
            c = c_options(options)
            c.update(monitoring_endpoint=endpoint, access_token=os.environ["CENSUS_TEST_TOKEN"],
                     min_write_interval=0.01)
            return c
        census_stackdriver._c_options = test_transport

module = {"__name__": "__main__", "__file__": program}
exec(compile(source, program, "exec"), module)

stats_module = sys.modules[library + ".stats.stats"]
view_module = sys.modules[library + ".stats.view"]
stats = stats_module.stats


def data_dict(data):
    """An aggregation data object as plain values (what both libraries have)."""
    out = {"type": type(data).__name__}
    for field in ("count_data", "sum_data", "value", "mean_data", "sum_of_sqd_deviations",
                  "counts_per_bucket", "bounds", "sum"):
        if hasattr(data, field):
            value = getattr(data, field)
            out[field] = list(value) if isinstance(value, (list, tuple)) else value
    return out


def rows(view_data):
    return {"|".join("\0" if v is None else v for v in key): data_dict(data)
            for key, data in view_data.tag_value_aggregation_data_map.items()}


views = [v for v in module.values() if isinstance(v, view_module.View)]
views += [v for v in module.get("VIEWS", []) if v not in views]
result = {}
for v in views:
    data = stats.view_manager.get_view(v.name)
    result[v.name] = rows(data) if data is not None else None
with open(os.path.join(outdir, "views.json"), "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)

if library == "census":
    # census exports to exporters written in Python on its worker (every interval, on flush, at
    # exit); opencensus-python pushed inside every record(). Flush, so that the program's
    # exporter holds the totals now, as opencensus-python's does.
    sys.modules["census"].flush(10)
exporters = [e for e in module.values() if hasattr(e, "last") and isinstance(e.last, dict)]
if exporters:
    with open(os.path.join(outdir, "exporter_last.json"), "w") as f:
        json.dump({name: rows(vd) for name, vd in exporters[0].last.items()}, f, indent=1,
                  sort_keys=True)


def metrics_dict(metrics, names):
    """Metrics of the views `names` as plain values: {name: {"descriptor": ..., "series":
    {label values joined by "|" (None as NUL): point}}}."""
    out = {}
    for metric in metrics:
        d = metric.descriptor
        if d.name not in names:
            continue
        series = {}
        for ts in metric.time_series:
            key = "|".join("\0" if lv.value is None else lv.value for lv in ts.label_values)
            assert len(ts.points) == 1
            value = ts.points[0].value
            point = {"value_class": type(value).__name__,
                     "has_start": ts.start_timestamp is not None,
                     "has_timestamp": ts.points[0].timestamp is not None}
            if hasattr(value, "bucket_options"):
                bounds = value.bucket_options.type_.bounds if value.bucket_options.type_ \
                    else None
                point.update(count=value.count, sum=value.sum,
                             sum_of_squared_deviation=value.sum_of_squared_deviation,
                             bounds=bounds,
                             buckets=[b.count for b in value.buckets or []])
            else:
                point["value"] = value.value
            series[key] = point
        out[d.name] = {"descriptor": {"description": d.description, "unit": d.unit,
                                      "type": d.type,
                                      "label_keys": [[k.key, k.description]
                                                     for k in d.label_keys]},
                       "series": series}
    return out


metrics_exporters = [e for e in module.values() if hasattr(e, "export_metrics")
                     and hasattr(e, "last_metrics")]
if metrics_exporters:
    names = {v.name for v in views}
    if library == "opencensus":
        # get_exporter_thread's daemon thread would call this in 60 s; the runner makes the
        # call it would make (census's worker made it on the flush above).
        metrics_exporters[0].export_metrics(stats.get_metrics())
    with open(os.path.join(outdir, "metrics.json"), "w") as f:
        json.dump({"get_metrics": metrics_dict(stats.get_metrics(), names),
                   "exporter": metrics_dict(metrics_exporters[0].last_metrics,
                                            names),
                   "exporter_names": sorted(m.descriptor.name
                                            for m in metrics_exporters[0].last_metrics)},
                  f, indent=1, sort_keys=True)

if os.environ.get("PORT"):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["PORT"]) as r:
            status, body = r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode("utf-8", "replace")
    with open(os.path.join(outdir, "prom.json"), "w") as f:
        json.dump({"status": status, "body": body}, f)

if library == "opencensus":
    # opencensus-python exports on a daemon thread every 60 s and not at exit; the runner makes
    # the export that thread would have made (its own code, through the recording client).
    for exporter in oc_exporters:
        exporter.export_metrics(stats.get_metrics())
    with open(os.path.join(outdir, "oc_google.json"), "w") as f:
        json.dump(google_requests, f, indent=1)
