// span_check.js - what the span exporters' checkers (tests/zipkin/zipkin_check.js,
// tests/google_cloud/cloud_trace_check.js) share: reading JSON-lines files, a tally of named
// checks, and the checks of the driver's final counters (span_fixture's "stats"/"stop" events).
'use strict';
const fs = require('fs');
const assert = require('assert');

// The JSON values of a JSON-lines file, blank lines skipped.
const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

// A tally: check(what, fn) runs fn and records a failure (with what) if it throws; finish()
// lists the failures on stderr, prints "N passed, M failed" and exits 1 on any failure.
function tally() {
  let passed = 0;
  const failures = [];
  return {
    check(what, fn) {
      try { fn(); passed++; } catch (e) { failures.push(`${what}: ${e.message}`); }
    },
    finish() {
      for (const f of failures) console.error('FAIL ' + f);
      console.log(`${passed} passed, ${failures.length} failed`);
      process.exit(failures.length ? 1 : 0);
    },
  };
}

// The handle contract, from the driver's events: the stats call after census_shutdown() answers
// CENSUS_OK, stop then answers CENSUS_OK, there are exactly two "stats" events and the second
// (the final counters) equals what the receiver got: `spans` spans in `requests` requests, one
// attempt each, nothing dropped.
function checkFinalCounters(check, driver, spans, requests) {
  check('after census_shutdown() the handle gives the final counters; stop then frees it', () => {
    const stop = driver.find((d) => d.event === 'stop');
    assert.strictEqual(stop.stats_after, 'CENSUS_OK');
    assert.strictEqual(stop.status, 'CENSUS_OK');
    const all = driver.filter((d) => d.event === 'stats');
    assert.strictEqual(all.length, 2);
    const final = all[1];
    assert.strictEqual(final.spans_delivered, spans);
    assert.strictEqual(final.spans_dropped, 0);
    assert.strictEqual(final.requests_delivered, requests);
    assert.strictEqual(final.requests_dropped, 0);
    assert.strictEqual(final.attempts, requests);
  });
}

module.exports = { lines, tally, checkFinalCounters };
