#!/usr/bin/env node
// A loopback stand-in for a Zipkin server (none is packaged for Debian or npm): accepts
// POST /api/v2/spans on 127.0.0.1 (port chosen by the OS, printed as {"port":N} on stdout),
// answers each request with the next status of --script (default 202; the last one repeats;
// "hang" reads the request and never answers, holding the connection open), and appends one JSON
// line per request to --out: method, path, content type, the status answered, the arrival time
// (ms since the epoch, when the body was complete), the body parsed as JSON (or null) and the
// verdict of ajv (strict mode) against the schema file given with --schema. It never judges the
// body itself; the test script does.
//   node zipkin_receiver.js --schema zipkin2-span-schema.json --out requests.jsonl [--script 503,202]
'use strict';
const http = require('http');
const fs = require('fs');
const Ajv = require('ajv');

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const script = (args.script || '202').split(',').map((s) => (s === 'hang' ? s : Number(s)));
const ajv = new Ajv({ strict: true, allErrors: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(args.schema, 'utf8')));
let n = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const status = script[Math.min(n, script.length - 1)];
    n++;
    const raw = Buffer.concat(chunks).toString('utf8');
    let body = null;
    try { body = JSON.parse(raw); } catch (e) { /* recorded as null */ }
    const valid = body !== null && validate(body);
    fs.appendFileSync(args.out, JSON.stringify({
      method: req.method, path: req.url, contentType: req.headers['content-type'] || null,
      status, at: Date.now(), body, valid, errors: valid ? null : (validate.errors || 'not JSON'),
    }) + '\n');
    if (status === 'hang') return; /* the client's timeout must end the attempt */
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(status >= 400 ? `status ${status} from test receiver` : '');
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
// Bounded life: a test receiver never outlives its test.
setTimeout(() => process.exit(0), Number(args.lifetime || 120000)).unref();
process.on('SIGTERM', () => process.exit(0));
