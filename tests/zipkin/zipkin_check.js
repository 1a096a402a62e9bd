#!/usr/bin/env node
// Asserts what the Zipkin receiver captured against what the driver says it recorded.
//   node zipkin_check.js export  <driver.jsonl> <requests.jsonl> <schema.json>
//   node zipkin_check.js env     <driver.jsonl> <requests.jsonl> <spans>   (configured by env)
//   node zipkin_check.js retry   <driver.jsonl> <requests.jsonl> <spans>   (503 then 202)
//   node zipkin_check.js refused <driver.jsonl> <requests.jsonl> <spans>   (400)
//   node zipkin_check.js down    <driver.jsonl> <spans>                    (nothing listening)
// Exits 1 with every failed assertion listed; prints "N passed, 0 failed" on success.
'use strict';
const fs = require('fs');
const assert = require('assert');
const Ajv = require('ajv');

const { lines, tally, checkFinalCounters } = require('../support/span_check.js');
const { check, finish } = tally();

const [mode, driverFile, third, fourth] = process.argv.slice(2);
const driver = lines(driverFile);
const stats = driver.find((d) => d.event === 'stats');
const flush = driver.find((d) => d.event === 'flush');

function commonRequestChecks(requests) {
  requests.forEach((r, i) => {
    check(`request ${i} method/path/type`, () => {
      assert.strictEqual(r.method, 'POST');
      assert.strictEqual(r.path, '/api/v2/spans');
      assert.match(r.contentType, /^application\/json/);
    });
    check(`request ${i} valid against the Zipkin v2 schema`, () =>
      assert.ok(r.valid, JSON.stringify(r.errors)));
  });
}

if (mode === 'export') {
  const requests = lines(third);
  const schema = JSON.parse(fs.readFileSync(fourth, 'utf8'));
  commonRequestChecks(requests);
  const exported = requests.flatMap((r) => r.body || []);
  const expected = driver.filter((d) => d.event === 'span');
  check('span count', () => assert.strictEqual(exported.length, expected.length));
  // Not vacuous: the driver described the fixture's spans, one of every kind (an empty or
  // partial description would otherwise make the per-span checks below pass on nothing).
  check('the driver recorded a span of every kind', () => assert.deepStrictEqual(
    [...new Set(expected.map((d) => d.kind))].sort(),
    ['CLIENT', 'CONSUMER', 'INTERNAL', 'PRODUCER', 'SERVER']));
  check('stats', () => {
    assert.strictEqual(stats.spans_delivered, expected.length);
    assert.strictEqual(stats.spans_dropped, 0);
    assert.strictEqual(stats.requests_delivered, requests.length);
    assert.strictEqual(flush.status, 'CENSUS_OK');
  });
  checkFinalCounters(check, driver, exported.length, requests.length);
  for (const want of expected) {
    const got = exported.filter((s) => s.id === want.id);
    check(`${want.name}: exported exactly once`, () => assert.strictEqual(got.length, 1));
    if (got.length !== 1) continue;
    const z = got[0];
    check(`${want.name}: ids`, () => {
      assert.strictEqual(z.traceId, want.traceId);
      if (want.parentId) assert.strictEqual(z.parentId, want.parentId);
      else assert.ok(!('parentId' in z), 'root span has parentId');
    });
    check(`${want.name}: name and kind`, () => {
      assert.strictEqual(z.name, want.name);
      if (want.kind === 'INTERNAL') assert.ok(!('kind' in z));
      else assert.strictEqual(z.kind, want.kind);
    });
    check(`${want.name}: timestamp in µs, duration >= 1`, () => {
      assert.strictEqual(BigInt(z.timestamp), BigInt(want.startNs) / 1000n);
      assert.ok(Number.isInteger(z.duration) && z.duration >= 1);
      // ended "now", after a start one second in the past
      assert.ok(z.duration >= 990000 && z.duration < 60000000, `duration ${z.duration}`);
    });
    check(`${want.name}: localEndpoint`, () => assert.deepStrictEqual(z.localEndpoint, {
      serviceName: 'checkout-svc', ipv4: '192.0.2.10', ipv6: '2001:db8::10', port: 8443 }));
    check(`${want.name}: no shared/debug/remoteEndpoint`, () => {
      for (const k of ['shared', 'debug', 'remoteEndpoint']) assert.ok(!(k in z), k);
    });
    const statusTags = {};
    if (want.status === 'OK') statusTags['otel.status_code'] = 'OK';
    if (want.status === 'ERROR') { statusTags['otel.status_code'] = 'ERROR'; statusTags.error = want.message; }
    if (want.name === 'POST /checkout') {
      check('server: tags (every attribute type, arrays included, as a string)', () => {
        const t = { ...z.tags };
        assert.ok(Math.abs(Number(t.third) - 1 / 3) === 0, `third ${t.third}`);
        delete t.third;
        assert.deepStrictEqual(t, {
          'http.method': 'POST', note: 'café "quoted" \\ back', 'http.status_code': '502',
          'big.negative': '-9223372036854775808', ratio: '0.25', 'cache.hit': 'true',
          retry: 'false', 'peer.hosts': '["a","café \\"q\\""]', 'peer.ports': '[443,-1]',
          'otel.scope.name': 'census', ...statusTags });
        // The arrays' strings are JSON arrays (OpenTelemetry's Zipkin mapping) of the elements set.
        assert.deepStrictEqual(JSON.parse(t['peer.hosts']), ['a', 'café "q"']);
        assert.deepStrictEqual(JSON.parse(t['peer.ports']), [443, -1]);
      });
      check('server: annotations', () => {
        assert.strictEqual(z.annotations.length, 2);
        assert.strictEqual(z.annotations[0].value, 'request received');
        assert.deepStrictEqual(JSON.parse('{' + z.annotations[1].value + '}'),
          { 'db query': { 'db.statement': 'SELECT 1' } });
        for (const a of z.annotations)
          assert.ok(a.timestamp >= z.timestamp && a.timestamp <= z.timestamp + z.duration,
            `annotation at ${a.timestamp} outside the span`);
      });
      check('server: remote parent is the parentId', () => assert.strictEqual(z.parentId, '00f067aa0ba902b7'));
    } else {
      check(`${want.name}: tags`, () => assert.deepStrictEqual(z.tags, { 'otel.scope.name': 'census', ...statusTags }));
      check(`${want.name}: no annotations`, () => assert.ok(!('annotations' in z)));
    }
  }
  // The schema is a real check: a valid exported span passes, each single mutation fails.
  const ajv = new Ajv({ strict: true, allErrors: true });
  const validate = ajv.compile(schema);
  const base = exported.find((s) => s.name === 'POST /checkout');
  check('schema accepts the exported server span', () => assert.ok(validate([base])));
  const mutations = {
    'uppercase id': (s) => { s.id = 'ABCDEF' + s.id.slice(6); },
    'short parentId': (s) => { s.parentId = s.parentId.slice(1); },
    'numeric tag value': (s) => { s.tags['http.status_code'] = 502; },
    'kind INTERNAL': (s) => { s.kind = 'INTERNAL'; },
    'unknown field': (s) => { s.links = []; },
    'timestamp as string': (s) => { s.timestamp = String(s.timestamp); },
    'duration 0': (s) => { s.duration = 0; },
    'fractional timestamp': (s) => { s.timestamp += 0.5; },
    'annotation without value': (s) => { delete s.annotations[0].value; },
    'endpoint extra field': (s) => { s.localEndpoint.hostname = 'x'; },
    'missing traceId': (s) => { delete s.traceId; },
  };
  for (const [name, mutate] of Object.entries(mutations)) {
    const bad = JSON.parse(JSON.stringify(base));
    mutate(bad);
    check(`schema rejects: ${name}`, () => assert.ok(!validate([bad]), 'accepted'));
  }
} else if (mode === 'env') {
  const requests = lines(third);
  commonRequestChecks(requests);
  check('delivered to the endpoint of OTEL_EXPORTER_ZIPKIN_ENDPOINT', () => {
    assert.strictEqual(requests.length, 1);
    assert.strictEqual(requests[0].body.length, Number(fourth));
    assert.strictEqual(stats.spans_delivered, Number(fourth));
  });
  check('serviceName from OTEL_SERVICE_NAME, case kept, no address fields', () => {
    for (const s of requests[0].body) assert.deepStrictEqual(s.localEndpoint, { serviceName: 'Env-Service' });
  });
} else if (mode === 'retry' || mode === 'refused') {
  const requests = lines(third);
  const n = Number(fourth);
  commonRequestChecks(requests);
  const names = (r) => (r.body || []).map((s) => s.name).sort();
  const want = [...Array(n).keys()].map((i) => `span-${i}`).sort();
  if (mode === 'retry') {
    check('two attempts: 503 then 202', () => assert.deepStrictEqual(requests.map((r) => r.status), [503, 202]));
    check('the retried body holds every span exactly once', () => assert.deepStrictEqual(names(requests[1]), want));
    check('the retry resends the same body', () => assert.deepStrictEqual(requests[0].body, requests[1].body));
    check('stats', () => {
      assert.strictEqual(stats.spans_delivered, n);
      assert.strictEqual(stats.spans_dropped, 0);
      assert.strictEqual(stats.requests_delivered, 1);
      assert.strictEqual(stats.attempts, 2);
      assert.strictEqual(stats.retries, 1);
      assert.strictEqual(flush.status, 'CENSUS_OK');
    });
  } else {
    check('one attempt, not retried', () => assert.deepStrictEqual(requests.map((r) => r.status), [400]));
    check('stats', () => {
      assert.strictEqual(stats.spans_delivered, 0);
      assert.strictEqual(stats.spans_dropped, n);
      assert.strictEqual(stats.requests_dropped, 1);
      assert.strictEqual(stats.attempts, 1);
      assert.strictEqual(stats.retries, 0);
      assert.strictEqual(flush.status, 'CENSUS_EEXPORT');
    });
    check('the refusal is reported with status and body', () => {
      assert.match(stats.diagnostics, /HTTP 400/);
      assert.match(stats.diagnostics, /status 400 from test receiver/);
    });
  }
} else if (mode === 'down') {
  const n = Number(third);
  check('every span dropped after the retry budget, exactly counted', () => {
    assert.strictEqual(stats.spans_delivered, 0);
    assert.strictEqual(stats.spans_dropped, n);
    assert.strictEqual(stats.requests_dropped, 1);
    assert.strictEqual(stats.requests_delivered, 0);
    assert.ok(stats.attempts >= 2, `attempts ${stats.attempts}`);
    assert.strictEqual(stats.retries, stats.attempts - 1);
    assert.strictEqual(flush.status, 'CENSUS_EEXPORT');
  });
  check('the drop is reported', () => assert.match(stats.diagnostics, /zipkin/));
} else {
  console.error('unknown mode ' + mode);
  process.exit(64);
}
finish();
