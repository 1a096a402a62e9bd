#!/usr/bin/python3
"""escape_test.py HOSTILE_APP [JQ] - the zPages escape everything that comes from the program.

Runs tests/zpages/hostile_app (hostile span names, attribute keys and values, event names and
attributes, status messages, a view name, description, column and tag values; bytes that are not
UTF-8; a control character) and fetches every page and every detail page over HTTP. Proves:
  - HTML: parsed with Python's html.parser (an independent HTML tokenizer), no page has a
    <script>, <img>, <iframe>, <h1> beyond the page's own title, <svg> with onload, or any
    attribute named on*; every hostile string appears in the page's text exactly as recorded
    (so it was escaped, not dropped); the bytes that are not UTF-8 and the control character
    appear as U+FFFD (in JSON the control character is escaped as \u0001); every page carries a Content-Security-Policy that allows no script;
  - JSON: every .json endpoint parses with Python's json module in strict mode (no NaN or
    Infinity constants, no control characters in strings) and with jq, and holds the hostile
    strings exactly.
Fails on main: the zPages do not exist there.
"""
import html.parser
import json
import subprocess
import sys
import urllib.parse
import urllib.request

HOSTILE = [
    "<script>window.__pwned=1</script>",
    "\"><img src=x onerror=\"window.__pwned=2\">",
    "'><svg onload='window.__pwned=3'>",
    "a&amp;b &lt;i&gt; & <b>bold</b>",
    "</td></tr></table><h1>injected</h1>",
]
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "b", "i", "u"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []
        self.bad = []
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"attribute {name}={value!r} on <{tag}>")
            if name == "href":
                self.hrefs.append(value)
        if tag in FORBIDDEN_TAGS:
            self.bad.append(f"tag <{tag}>")

    def handle_data(self, data):
        self.text.append(data)


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def check_html(url, expect_strings):
    status, headers, body = fetch(url)
    assert status == 200, (url, status)
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "script-src" not in csp, (url, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    text = body.decode("utf-8")  # strict: the page is valid UTF-8
    p = Page()
    p.feed(text)
    p.close()
    assert not p.bad, (url, p.bad)
    assert p.tags.count("h1") == 1, (url, "more than the page's own <h1>")
    joined = "".join(p.text)
    for s in expect_strings:
        assert s in joined, (url, "missing as text", s)
    return p, joined


def check_json(url, jq):
    status, _, body = fetch(url)
    assert status == 200, (url, status)

    def no_constant(name):
        raise ValueError(f"{url}: non-standard JSON constant {name}")

    doc = json.loads(body.decode("utf-8"), parse_constant=no_constant, strict=True)
    subprocess.run([jq, "-e", "."], input=body, check=True, stdout=subprocess.DEVNULL)
    return doc, body.decode("utf-8")


def main():
    app = sys.argv[1]
    jq = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else "jq"
    proc = subprocess.Popen([app], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("port "), line
        base = f"http://127.0.0.1:{int(line.split()[1])}/zpages"

        # tracez: every hostile name in the summary, as text.
        p, text = check_html(base + "/tracez", HOSTILE)
        assert "bad \ufffd\ufffd utf8 \ufffd ctl" in text, "bytes not UTF-8 / control char"
        # Follow every detail link the page offers (names percent-encoded in the query).
        details = [urllib.parse.urljoin(base + "/tracez", h) for h in p.hrefs if "name=" in h]
        assert len(details) >= 2 * len(HOSTILE), details
        seen = ""
        for url in details:
            _, t = check_html(url, [])
            seen += t
        for s in HOSTILE:  # names, attribute keys and values, events, status messages
            assert s in seen, ("detail pages miss", s)
        # statsz: view name, description, column and every tag value; overview.
        check_html(base + "/statsz", HOSTILE + ["hostile/<script>view</script>", "<b>column</b>"])
        check_html(base + "/", [])

        # JSON twins.
        doc, _ = check_json(base + "/tracez.json", jq)
        names = {s["name"] for s in doc["spans"]}
        assert set(HOSTILE) <= names, names
        # JSON escapes the control character (\u0001) and replaces the bytes that are not UTF-8.
        assert "bad \ufffd\ufffd utf8 \x01 ctl" in names, names
        # Error span i (hostile_app.c): attribute HOSTILE[i] = HOSTILE[i+1], status message
        # HOSTILE[i+4] (indexes mod 5), held exactly.
        for i, h in enumerate(HOSTILE[:2]):
            d, _ = check_json(base + "/tracez.json?" + urllib.parse.urlencode(
                {"name": h, "type": "error"}), jq)
            assert d["spans"] and d["spans"][0]["name"] == h, d
            assert d["spans"][0]["status_message"] == HOSTILE[(i + 4) % 5], d
            assert d["spans"][0]["attributes"] == {h: HOSTILE[(i + 1) % 5]}, d
        d, _ = check_json(base + "/tracez.json?" + urllib.parse.urlencode(
            {"name": HOSTILE[0], "type": "running"}), jq)
        assert len(d["spans"]) == 1, d
        doc, _ = check_json(base + "/statsz.json", jq)
        view = [v for v in doc["views"] if v["name"] == "hostile/<script>view</script>"][0]
        assert view["description"] == HOSTILE[1] and view["columns"] == ["<b>column</b>"], view
        assert sorted(r["tags"][0] for r in view["rows"]) == sorted(HOSTILE), view["rows"]
        check_json(base + "/overview.json", jq)
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0, "hostile_app did not stop cleanly"
    print("escape_test: every hostile string shown as text, no markup injected, JSON strict")


if __name__ == "__main__":
    main()
