#!/usr/bin/env node
// Asserts what cloud_trace_receiver.js captured against what cloud_trace_driver recorded.
//   node cloud_trace_check.js export <driver.jsonl> <requests.jsonl> <checker.py> <descriptor.pb>
//   node cloud_trace_check.js retry|refused|unauthorized|refresh <driver.jsonl> <requests.jsonl> <spans>
// Schema validation runs Google's own proto3-JSON parser (check_proto_json.py, python3-protobuf,
// unknown fields refused) on every body with the BatchWriteSpansRequest definition, and on
// mutated copies that must fail. Prints "N passed, M failed"; exit 1 on any failure.
'use strict';
const fs = require('fs');
const assert = require('assert');
const { spawnSync } = require('child_process');

const TYPE = 'google.devtools.cloudtrace.v2.BatchWriteSpansRequest';
const { lines, tally, checkFinalCounters } = require('../support/span_check.js');
const { check, finish } = tally();
const [mode, driverFile, requestsFile, a4, a5] = process.argv.slice(2);
const driver = lines(driverFile);
const all = lines(requestsFile);
const tokenRequests = all.filter((r) => r.path === '/token');
const requests = all.filter((r) => r.path !== '/token');
const stats = driver.find((d) => d.event === 'stats');
const flush = driver.find((d) => d.event === 'flush');

requests.forEach((r, i) => check(`request ${i}: POST, path, JSON, bearer token`, () => {
  assert.strictEqual(r.method, 'POST');
  assert.strictEqual(r.path, '/v2/projects/my-proj/traces:batchWrite');
  assert.match(r.contentType, /^application\/json/);
  assert.ok(r.bearerOk, `Authorization: ${r.authorization}`);
}));

// Runs the strict checker on one body; returns [ok, message].
function validate(checker, descriptor, body) {
  const p = spawnSync('/usr/bin/python3', [checker, descriptor, TYPE], { input: body, encoding: 'utf8' });
  return [p.status === 0, (p.stderr || '') + (p.stdout || '')];
}

if (mode === 'export') {
  const [checker, descriptor] = [a4, a5];
  for (const [i, r] of requests.entries()) {
    check(`request ${i}: valid ${TYPE} (strict proto3 JSON)`, () => {
      const [ok, msg] = validate(checker, descriptor, r.body);
      assert.ok(ok, msg);
    });
  }
  const spans = requests.flatMap((r) => JSON.parse(r.body).spans);
  const expected = driver.filter((d) => d.event === 'span');
  check('every span exported once, stats exact', () => {
    assert.strictEqual(spans.length, expected.length);
    assert.strictEqual(stats.spans_delivered, expected.length);
    assert.strictEqual(stats.spans_dropped, 0);
    assert.strictEqual(flush.status, 'CENSUS_OK');
  });
  checkFinalCounters(check, driver, spans.length, requests.length);
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
  const nsOf = (t) => BigInt(Date.parse(t.slice(0, 19) + 'Z')) * 1000000n + BigInt(t.slice(20, 29));
  for (const want of expected) {
    const got = spans.filter((s) => s.spanId === want.id);
    check(`${want.name.slice(0, 20)}: exported once`, () => assert.strictEqual(got.length, 1));
    if (got.length !== 1) continue;
    const s = got[0];
    const tag = want.name.slice(0, 20);
    check(`${tag}: resource name and ids`, () => {
      assert.strictEqual(s.name, `projects/my-proj/traces/${want.traceId}/spans/${want.id}`);
      if (want.parentId) assert.strictEqual(s.parentSpanId, want.parentId);
      else assert.ok(!('parentSpanId' in s));
    });
    check(`${tag}: sameProcessAsParentSpan`, () => {
      if (!want.parentId) assert.ok(!('sameProcessAsParentSpan' in s));
      else assert.strictEqual(s.sameProcessAsParentSpan, !want.parentRemote);
    });
    check(`${tag}: displayName (truncated to 128 bytes)`, () => {
      if (Buffer.byteLength(want.name) <= 128) assert.deepStrictEqual(s.displayName, { value: want.name });
      else assert.deepStrictEqual(s.displayName, { value: want.name.slice(0, 128),
        truncatedByteCount: Buffer.byteLength(want.name) - 128 });
    });
    check(`${tag}: times RFC 3339, start exact`, () => {
      assert.match(s.startTime, rfc3339);
      assert.match(s.endTime, rfc3339);
      assert.strictEqual(nsOf(s.startTime), BigInt(want.startNs));
      const d = nsOf(s.endTime) - nsOf(s.startTime);
      assert.ok(d >= 990000000n && d < 60000000000n, `duration ${d}`);
    });
    check(`${tag}: kind`, () => assert.strictEqual(s.spanKind, want.kind));
    check(`${tag}: status`, () => {
      if (want.status === 'UNSET') assert.ok(!('status' in s));
      if (want.status === 'OK') assert.deepStrictEqual(s.status, { code: 0 });
      if (want.status === 'ERROR') assert.deepStrictEqual(s.status, { code: 2, message: want.message });
    });
    const agent = s.attributes.attributeMap['g.co/agent'];
    check(`${tag}: agent attribute`, () => assert.match(agent.stringValue.value, /^census-c \d+\.\d+\.\d+/));
    if (want.name === 'POST /checkout') {
      check('server: attributes of every type', () => {
        const m = { ...s.attributes.attributeMap };
        const third = m.third.stringValue.value;
        assert.strictEqual(Number(third), 1 / 3);
        delete m.third;
        delete m['g.co/agent'];
        assert.deepStrictEqual(m, {
          'http.method': { stringValue: { value: 'POST' } },
          note: { stringValue: { value: 'café "quoted" \\ back' } },
          'http.status_code': { intValue: '502' },
          'big.negative': { intValue: '-9223372036854775808' },
          ratio: { stringValue: { value: '0.25' } },
          'cache.hit': { boolValue: true },
          retry: { boolValue: false },
          // No arrays in Cloud Trace's AttributeValue: the array's JSON text as a string.
          'peer.hosts': { stringValue: { value: '["a","café \\"q\\""]' } },
          'peer.ports': { stringValue: { value: '[443,-1]' } },
        });
        assert.deepStrictEqual(JSON.parse(s.attributes.attributeMap['peer.hosts'].stringValue.value),
          ['a', 'café "q"']);
        assert.ok(!('droppedAttributesCount' in s.attributes));
      });
      check('server: annotations', () => {
        const ev = s.timeEvents.timeEvent;
        assert.strictEqual(ev.length, 2);
        assert.deepStrictEqual(ev[0].annotation, { description: { value: 'request received' } });
        assert.deepStrictEqual(ev[1].annotation, { description: { value: 'db query' },
          attributes: { attributeMap: { 'db.statement': { stringValue: { value: 'SELECT 1' } } } } });
        for (const e of ev) {
          assert.match(e.time, rfc3339);
          assert.ok(nsOf(e.time) >= nsOf(s.startTime) && nsOf(e.time) <= nsOf(s.endTime));
        }
      });
      check('server: link', () => assert.deepStrictEqual(s.links, { link: [{
        traceId: '4bf92f3577b34da6a3ce929d0e0e4799', spanId: '00f067aa0ba90242' }] }));
      check('server: remote parent', () => {
        assert.strictEqual(s.parentSpanId, '00f067aa0ba902b7');
        assert.strictEqual(want.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      });
    } else {
      check(`${tag}: only the agent attribute, no events or links`, () => {
        assert.deepStrictEqual(Object.keys(s.attributes.attributeMap), ['g.co/agent']);
        assert.ok(!('timeEvents' in s) && !('links' in s));
      });
    }
  }
  // The validator is a real check: each single mutation of a valid body must be refused.
  const base = JSON.parse(requests[0].body);
  const server = base.spans.findIndex((s) => s.displayName.value === 'POST /checkout');
  const mutations = {
    'unknown span field': (b) => { b.spans[0].kind = 'SERVER'; },
    'misspelled field': (b) => { b.spans[0].spanid = b.spans[0].spanId; delete b.spans[0].spanId; },
    'timestamp without zone': (b) => { b.spans[0].startTime = b.spans[0].startTime.replace('Z', ''); },
    'bad span kind': (b) => { b.spans[0].spanKind = 'SPAN_KIND_SERVER'; },
    'string for bool': (b) => { b.spans[0].sameProcessAsParentSpan = 'false'; },
    'bare string attribute value': (b) => { b.spans[0].attributes.attributeMap.x = { stringValue: 'plain' }; },
    'two values in the oneof': (b) => { b.spans[0].attributes.attributeMap.x = { intValue: '1', boolValue: true }; },
    'int64 not a number': (b) => { b.spans[0].attributes.attributeMap.x = { intValue: '12ab' }; },
    'annotation field on timeEvent': (b) => {
      b.spans[server].timeEvents.timeEvent[0].description = { value: 'x' }; },
    'displayName as string': (b) => { b.spans[0].displayName = 'x'; },
  };
  check('the unmodified body is valid', () => assert.ok(validate(a4, a5, JSON.stringify(base))[0]));
  for (const [name, mutate] of Object.entries(mutations)) {
    const bad = JSON.parse(JSON.stringify(base));
    mutate(bad);
    check(`validator refuses: ${name}`, () => assert.ok(!validate(a4, a5, JSON.stringify(bad))[0], 'accepted'));
  }
} else {
  const n = Number(a4);
  const names = (r) => JSON.parse(r.body).spans.map((s) => s.displayName.value).sort();
  const want = [...Array(n).keys()].map((i) => `span-${i}`).sort();
  // All n spans delivered on the second attempt (one retry), none dropped, the flush succeeded.
  const checkDeliveredAfterOneRetry = () => check('stats', () => {
    assert.strictEqual(stats.spans_delivered, n);
    assert.strictEqual(stats.spans_dropped, 0);
    assert.strictEqual(stats.attempts, 2);
    assert.strictEqual(stats.retries, 1);
    assert.strictEqual(flush.status, 'CENSUS_OK');
  });
  if (mode === 'refresh') {
    check('401 with the first token, then 200 with a new one', () => {
      assert.deepStrictEqual(requests.map((r) => r.status), [401, 200]);
      assert.deepStrictEqual(requests.map((r) => r.authorization), ['Bearer tok-1', 'Bearer tok-2']);
    });
    check('two JWT-bearer token requests', () => {
      assert.strictEqual(tokenRequests.length, 2);
      assert.ok(tokenRequests.every((t) => t.jwtGrant));
    });
    checkDeliveredAfterOneRetry();
  } else if (mode === 'retry') {
    check('503 then 200', () => assert.deepStrictEqual(requests.map((r) => r.status), [503, 200]));
    check('the retry carries every span once, same body', () => {
      assert.deepStrictEqual(names(requests[1]), want);
      assert.strictEqual(requests[0].body, requests[1].body);
    });
    checkDeliveredAfterOneRetry();
  } else {
    const code = mode === 'refused' ? 400 : 401;
    const status = mode === 'refused' ? 'INVALID_ARGUMENT' : 'UNAUTHENTICATED';
    check(`one ${code}, not retried`, () => assert.deepStrictEqual(requests.map((r) => r.status), [code]));
    check('stats', () => {
      assert.strictEqual(stats.spans_delivered, 0);
      assert.strictEqual(stats.spans_dropped, n);
      assert.strictEqual(stats.requests_dropped, 1);
      assert.strictEqual(stats.attempts, 1);
      assert.strictEqual(flush.status, 'CENSUS_EEXPORT');
    });
    check('Google error status and message reported', () => {
      assert.match(stats.diagnostics, new RegExp(`HTTP ${code} ${status}: test receiver refused with ${code}`));
    });
  }
}
finish();
