// fake_google.js - a loopback stand-in for Google's OAuth2 token endpoint, the GCE metadata
// server and the Cloud Monitoring v3 REST API, which ENFORCES what the real services document,
// so that tests can prove the census exporter obeys them. Usage:
//   node fake_google.js <config.json>     (prints {"port":N}, the port it listens on, then serves)
// Config (all optional): publicKeyFile (PEM; assertions are verified against it), kid,
// tokenTtl (expires_in of issued tokens, s), project, minIntervalMs (per-series write interval
// enforced on point end times), inject ([{path: "timeSeries"|"metricDescriptors", call: n,
// status, body|"partial"}]: answers call number n with that error), log (file: one JSON line per
// request), requireGzip (a violation for every timeSeries.create or traces:batchWrite request
// whose body is not gzip-compressed).
// GET /_state returns counters and every rule violation seen.
//
// Request bodies with Content-Encoding: gzip are decompressed (zlib) before anything else and
// counted in gzipRequests; any other Content-Encoding is a violation.
//
// Cloud Trace: POST /v2/projects/<project>/traces:batchWrite needs a valid bearer token (else
// 401) and a JSON body with 1+ spans whose names are projects/<project>/traces/<32 hex>/spans/
// <16 hex> (else a violation and 400); accepted spans are counted in traceSpans, their names
// kept in spanNames, and the body logged as kind "spans".
//
// Rules enforced on projects.timeSeries.create (each violation recorded and answered with the
// API's error shape, status INVALID_ARGUMENT): bearer token issued by us and not expired (else 401
// UNAUTHENTICATED), at most 200 series, exactly one point per series, no series twice in one
// request, descriptor created before use, metricKind/valueType equal to the descriptor's,
// cumulative start time unchanged per series and strictly before end time, gauge start == end,
// end times increasing and at least minIntervalMs apart per series, bucketCounts summing to count,
// 1..199 strictly increasing bounds or exponential buckets with numFiniteBuckets > 0, growthFactor > 1,
// scale > 0 (Cloud Monitoring: at most 200 buckets per distribution), no range/mean/SSD when count is 0, range min <= max.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const zlib = require('zlib');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ttl = cfg.tokenTtl || 3600;
const minInterval = cfg.minIntervalMs === undefined ? 5000 : cfg.minIntervalMs;
const publicKey = cfg.publicKeyFile ? crypto.createPublicKey(fs.readFileSync(cfg.publicKeyFile)) : null;

const tokens = new Map(); // token -> expiry (ms since epoch)
let tokenSerial = 0;
const state = {
  tokenRequests: 0, metadataTokenRequests: 0, metadataMissingFlavor: 0,
  assertions: [], descriptors: {}, descriptorCalls: 0, timeSeriesCalls: 0,
  acceptedPoints: 0, rejectedPoints: 0, injected: 0, unauthorized: 0,
  maxSeriesPerRequest: 0, violations: [], series: {}, seriesWrites: 0, requestSizes: [],
  lastValues: {}, lastSeries: {},
  gzipRequests: 0, plainRequests: 0, traceCalls: 0, traceSpans: 0, spanNames: [],
};
const callCount = { timeSeries: 0, metricDescriptors: 0 };

function log(obj) { if (cfg.log) fs.appendFileSync(cfg.log, JSON.stringify(obj) + '\n'); }
function b64urlJson(s) { return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')); }
function send(res, status, obj, headers) {
  res.writeHead(status, Object.assign({ 'Content-Type': 'application/json' }, headers || {}));
  res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
}
function apiError(res, code, status, message, details) {
  const e = { error: { code, message, status } };
  if (details) e.error.details = details;
  send(res, code, e);
}
function issue() {
  const t = 'tok-' + (++tokenSerial) + '-' + crypto.randomBytes(6).toString('hex');
  tokens.set(t, Date.now() + ttl * 1000);
  return { access_token: t, expires_in: ttl, token_type: 'Bearer' };
}

function handleToken(req, res, body) {
  state.tokenRequests++;
  const form = new URLSearchParams(body);
  const rec = { grantType: form.get('grant_type'), contentType: req.headers['content-type'] };
  const assertion = form.get('assertion') || '';
  const parts = assertion.split('.');
  rec.assertion = assertion;
  if (parts.length === 3) {
    try { rec.header = b64urlJson(parts[0]); rec.claims = b64urlJson(parts[1]); } catch (e) { rec.decodeError = String(e); }
    if (publicKey) {
      rec.nodeVerified = crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]), publicKey,
        Buffer.from(parts[2], 'base64url'));
    }
  }
  state.assertions.push(rec);
  log({ kind: 'token', rec });
  if (rec.grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || parts.length !== 3) {
    return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
  }
  if (publicKey && !rec.nodeVerified) {
    return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  }
  send(res, 200, issue());
}

function handleMetadata(req, res, path) {
  if (req.headers['metadata-flavor'] !== 'Google') {
    state.metadataMissingFlavor++;
    return send(res, 403, 'Missing Metadata-Flavor:Google header.', { 'Content-Type': 'text/html' });
  }
  const h = { 'Metadata-Flavor': 'Google', 'Content-Type': 'application/text' };
  const v1 = '/computeMetadata/v1/';
  const p = path.slice(v1.length);
  if (p === 'instance/service-accounts/default/token') {
    state.metadataTokenRequests++;
    return send(res, 200, issue(), { 'Metadata-Flavor': 'Google' });
  }
  const md = cfg.metadata || {};
  if (p in md) return send(res, 200, String(md[p]), h);
  /* Answers that lack the response's Metadata-Flavor header (not a metadata server's). */
  const bare = cfg.metadataWithoutFlavor || {};
  if (p in bare) return send(res, 200, String(bare[p]), { 'Content-Type': 'application/text' });
  send(res, 404, 'not found', h);
}

function checkAuth(req) {
  const m = /^Bearer (\S+)$/.exec(req.headers['authorization'] || '');
  if (!m) return false;
  if ((cfg.staticTokens || []).includes(m[1])) return true;
  const exp = tokens.get(m[1]);
  return exp !== undefined && exp > Date.now();
}

function violation(v) { state.violations.push(v); log({ kind: 'violation', v }); }

function seriesKey(ts) {
  const l = (ts.metric && ts.metric.labels) || {};
  const r = (ts.resource && ts.resource.labels) || {};
  const sort = (o) => Object.keys(o).sort().map((k) => k + '=' + o[k]).join(',');
  return (ts.metric && ts.metric.type) + '{' + sort(l) + '}' + (ts.resource && ts.resource.type) + '{' + sort(r) + '}';
}
const ns = (t) => { // RFC 3339 -> BigInt ns
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(t || '');
  if (!m) return null;
  const base = Date.parse(m[1] + 'Z');
  if (isNaN(base)) return null;
  return BigInt(base) * 1000000n + BigInt((m[2] || '').padEnd(9, '0') || '0');
};

// Checks one series against the rules; returns an error string or null (and records it).
function checkSeries(ts, seenInRequest) {
  const key = seriesKey(ts);
  if (seenInRequest.has(key)) return 'series appears twice in one request: ' + key;
  seenInRequest.add(key);
  const type = ts.metric && ts.metric.type;
  const d = state.descriptors[type];
  if (!d) return 'metric descriptor not created before use: ' + type;
  if (ts.metricKind && ts.metricKind !== d.metricKind) return 'metricKind ' + ts.metricKind + ' != descriptor ' + d.metricKind;
  if (ts.valueType && ts.valueType !== d.valueType) return 'valueType ' + ts.valueType + ' != descriptor ' + d.valueType;
  const labelKeys = new Set((d.labels || []).map((l) => l.key));
  for (const k of Object.keys((ts.metric && ts.metric.labels) || {})) {
    if (!labelKeys.has(k)) return 'label ' + k + ' not in descriptor of ' + type;
  }
  if (!Array.isArray(ts.points) || ts.points.length !== 1) return 'expected exactly one point, got ' + (ts.points || []).length;
  const p = ts.points[0];
  const start = ns(p.interval && p.interval.startTime);
  const end = ns(p.interval && p.interval.endTime);
  if (end === null) return 'bad endTime';
  if (d.metricKind === 'CUMULATIVE') {
    if (start === null || !(start < end)) return 'cumulative interval must have startTime < endTime';
  } else if (d.metricKind === 'GAUGE' && start !== null && start !== end) {
    return 'gauge startTime must equal endTime';
  }
  const v = p.value || {};
  const want = { INT64: 'int64Value', DOUBLE: 'doubleValue', DISTRIBUTION: 'distributionValue', BOOL: 'boolValue' }[d.valueType];
  if (!(want in v)) return 'value is not ' + want;
  if (want === 'distributionValue') {
    const dv = v.distributionValue;
    const sum = (dv.bucketCounts || []).reduce((a, c) => a + BigInt(c), 0n);
    if (dv.bucketCounts && sum !== BigInt(dv.count || 0)) return 'bucketCounts sum ' + sum + ' != count ' + dv.count;
    const ex = dv.bucketOptions && dv.bucketOptions.exponentialBuckets;
    if (ex) {
      // Exponential: numFiniteBuckets > 0, growthFactor > 1, scale > 0; N + 2 buckets, <= 200.
      const n = ex.numFiniteBuckets || 0;
      if (!(n > 0) || !(ex.growthFactor > 1) || !(ex.scale > 0)) return 'exponential buckets need numFiniteBuckets > 0, growthFactor > 1, scale > 0';
      if (n + 2 > 200) return 'exponential buckets: more than 200 buckets';
      if (dv.bucketCounts && dv.bucketCounts.length > n + 2) return 'more bucketCounts than buckets';
    } else {
      const b = (dv.bucketOptions && dv.bucketOptions.explicitBuckets && dv.bucketOptions.explicitBuckets.bounds) || [];
      if (dv.bucketCounts && dv.bucketCounts.length > b.length + 1) return 'more bucketCounts than buckets';
      if (b.length === 0 || b.length + 1 > 200) return 'explicit buckets need 1..199 bounds';
      for (let i = 1; i < b.length; i++) if (!(b[i] > b[i - 1])) return 'bounds not strictly increasing';
    }
    if (BigInt(dv.count || 0) === 0n && (dv.range || dv.mean || dv.sumOfSquaredDeviation)) return 'count 0 with range, mean or sumOfSquaredDeviation';
    if (dv.range && !(dv.range.min <= dv.range.max)) return 'range min > max';
  }
  const prev = state.series[key];
  if (prev) {
    if (d.metricKind === 'CUMULATIVE' && prev.start !== start) return 'cumulative start time changed for ' + key;
    if (end <= prev.end) return 'points must be written in order (end time not after previous) for ' + key;
    if (end - prev.end < BigInt(minInterval) * 1000000n) {
      return 'one or more points were written more frequently than the maximum sampling period (' +
        ((end - prev.end) / 1000000n) + ' ms < ' + minInterval + ' ms) for ' + key;
    }
  }
  return null;
}

function handleTimeSeries(req, res, body) {
  state.timeSeriesCalls++;
  const n = ++callCount.timeSeries;
  if (!checkAuth(req)) { state.unauthorized++; return apiError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'); }
  let msg;
  try { msg = JSON.parse(body); } catch (e) { violation('unparsable body'); return apiError(res, 400, 'INVALID_ARGUMENT', 'bad json'); }
  const list = msg.timeSeries || [];
  state.maxSeriesPerRequest = Math.max(state.maxSeriesPerRequest, list.length);
  state.requestSizes.push(list.length);
  log({ kind: 'timeSeries', call: n, count: list.length, gzip: req.gzipped, body: msg });
  if (list.length > 200 || list.length === 0) {
    violation('request with ' + list.length + ' series');
    return apiError(res, 400, 'INVALID_ARGUMENT', 'Request must have between 1 and 200 time series, has ' + list.length);
  }
  const inj = (cfg.inject || []).find((i) => i.path === 'timeSeries' && i.call === n);
  if (inj && inj.body !== 'partial') {
    state.injected++;
    return apiError(res, inj.status, inj.statusName || 'UNAVAILABLE', inj.message || 'injected failure');
  }
  const seen = new Set();
  const errors = [];
  let ok = 0;
  list.forEach((ts, i) => {
    let err = checkSeries(ts, seen);
    // A partial injection refuses the first series of the request as the real API refuses one.
    if (!err && inj && i === 0) { err = 'injected: Field timeSeries[0] is invalid'; state.injected++; }
    else if (err) violation(err);
    if (err) { errors.push({ index: i, err }); return; }
    const p = ts.points[0];
    state.series[seriesKey(ts)] = { start: ns(p.interval.startTime), end: ns(p.interval.endTime) };
    state.seriesWrites++;
    state.lastValues[seriesKey(ts)] = p.value;
    state.lastSeries[ts.metric.type] = { metric: ts.metric, resource: ts.resource, interval: p.interval };
    ok++;
  });
  state.acceptedPoints += ok;
  state.rejectedPoints += errors.length;
  if (errors.length === 0) return send(res, 200, {});
  const details = [{
    '@type': 'type.googleapis.com/google.monitoring.v3.CreateTimeSeriesSummary',
    totalPointCount: list.length, successPointCount: ok,
    errors: [{ status: { code: 3, message: errors[0].err }, pointCount: errors.length }],
  }];
  apiError(res, 400, 'INVALID_ARGUMENT', 'One or more TimeSeries could not be written: ' +
    errors.map((e) => 'timeSeries[' + e.index + ']: ' + e.err).join('; '), details);
}

function handleBatchWrite(req, res, body, project) {
  state.traceCalls++;
  if (!checkAuth(req)) { state.unauthorized++; return apiError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'); }
  let msg;
  try { msg = JSON.parse(body); } catch (e) { violation('unparsable batchWrite body'); return apiError(res, 400, 'INVALID_ARGUMENT', 'bad json'); }
  log({ kind: 'spans', gzip: req.gzipped, body: msg });
  const spans = msg.spans || [];
  const nameRe = new RegExp('^projects/' + project + '/traces/[0-9a-f]{32}/spans/[0-9a-f]{16}$');
  const bad = spans.find((sp) => !nameRe.test(sp.name || ''));
  if (spans.length === 0 || bad) {
    const v = spans.length === 0 ? 'batchWrite with no spans' : 'bad span name ' + bad.name;
    violation(v);
    return apiError(res, 400, 'INVALID_ARGUMENT', v);
  }
  state.traceSpans += spans.length;
  for (const sp of spans) state.spanNames.push(sp.name);
  send(res, 200, {});
}

function handleDescriptor(req, res, body) {
  state.descriptorCalls++;
  const n = ++callCount.metricDescriptors;
  if (!checkAuth(req)) { state.unauthorized++; return apiError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'); }
  let d;
  try { d = JSON.parse(body); } catch (e) { return apiError(res, 400, 'INVALID_ARGUMENT', 'bad json'); }
  log({ kind: 'metricDescriptor', call: n, body: d });
  const inj = (cfg.inject || []).find((i) => i.path === 'metricDescriptors' && i.call === n);
  if (inj) { state.injected++; return apiError(res, inj.status, inj.statusName || 'UNAVAILABLE', inj.message || 'injected failure'); }
  if (!d.type || !d.metricKind || !d.valueType) return apiError(res, 400, 'INVALID_ARGUMENT', 'type, metricKind and valueType are required');
  if (state.descriptors[d.type]) return apiError(res, 409, 'ALREADY_EXISTS', 'Metric descriptor ' + d.type + ' already exists');
  state.descriptors[d.type] = d;
  send(res, 200, Object.assign({ name: 'projects/' + (cfg.project || 'p') + '/metricDescriptors/' + d.type }, d));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let raw = Buffer.concat(chunks);
    const path = req.url.split('?')[0];
    const encoding = req.headers['content-encoding'];
    if (encoding === 'gzip') {
      state.gzipRequests++;
      try { raw = zlib.gunzipSync(raw); } catch (e) { violation('gzip body does not decompress: ' + e.message); }
    } else if (encoding) {
      violation('unsupported content-encoding ' + encoding);
    } else if (req.method === 'POST' && path.startsWith('/v')) {
      state.plainRequests++;
      if (cfg.requireGzip && /(timeSeries|traces:batchWrite)$/.test(path)) violation('uncompressed request body to ' + path);
    }
    req.gzipped = encoding === 'gzip';
    const body = raw.toString('utf8');
    if (req.method === 'GET' && path === '/_state') return send(res, 200, Object.assign({}, state, { series: Object.keys(state.series).length }));
    if (req.method === 'POST' && path === '/token') return handleToken(req, res, body);
    if (req.method === 'GET' && path.startsWith('/computeMetadata/v1/')) return handleMetadata(req, res, path);
    const t = /^\/v2\/projects\/([^/]+)\/traces:batchWrite$/.exec(path);
    if (req.method === 'POST' && t) {
      if (cfg.project && t[1] !== cfg.project) return apiError(res, 403, 'PERMISSION_DENIED', 'wrong project ' + t[1]);
      if (!/^application\/json/.test(req.headers['content-type'] || '')) violation('content-type ' + req.headers['content-type']);
      return handleBatchWrite(req, res, body, t[1]);
    }
    let m = /^\/v3\/projects\/([^/]+)\/(timeSeries|metricDescriptors)$/.exec(path);
    if (req.method === 'POST' && m) {
      if (cfg.project && m[1] !== cfg.project) return apiError(res, 403, 'PERMISSION_DENIED', 'wrong project ' + m[1]);
      if (!/^application\/json/.test(req.headers['content-type'] || '')) violation('content-type ' + req.headers['content-type']);
      return m[2] === 'timeSeries' ? handleTimeSeries(req, res, body) : handleDescriptor(req, res, body);
    }
    send(res, 404, { error: { code: 404, message: 'no route ' + req.method + ' ' + path, status: 'NOT_FOUND' } });
  });
});
server.listen(0, '127.0.0.1', () => { process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'); });
process.on('SIGTERM', () => process.exit(0));
