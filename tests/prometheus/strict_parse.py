#!/usr/bin/python3
"""strict_parse.py FILE... - Debian's python3-prometheus-client strict OpenMetrics parser over files.

Reads each FILE as bytes, decodes it as UTF-8 (strictly: invalid bytes are an error, as
OpenMetrics requires UTF-8), and parses it with
prometheus_client.openmetrics.parser.text_string_to_metric_families, consuming every family (the
parser is a generator: its checks run as it goes, the clash and # EOF checks at the end). Prints
one line per file, "ok FILE (N families)" or "error FILE: message", and exits 0 if every file
parsed, 1 otherwise, 2 on bad usage. Run it with /usr/bin/python3 (Debian's module).
"""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError, KeyError, IndexError...
        msg = str(e).replace("\n", "\\n")
        return False, "%s: %s" % (type(e).__name__, msg)
    return True, "%d families" % len(families)


def main(argv):
    if len(argv) < 2:
        print("usage: strict_parse.py FILE...", file=sys.stderr)
        return 2
    failed = 0
    for path in argv[1:]:
        ok, what = check(path)
        if ok:
            print("ok %s (%s)" % (path, what))
        else:
            print("error %s: %s" % (path, what))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
