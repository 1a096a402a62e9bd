#!/usr/bin/env node
// A loopback stand-in for cloudtrace.googleapis.com: listens on 127.0.0.1 (port chosen by the
// OS, printed as {"port":N}), answers each request with the next status of --script (default
// 200; the last repeats) and, for errors, a Google-style {"error":{code,message,status}} body,
// and appends one JSON line per request to --out: method, path, Content-Type, whether the
// Authorization header is exactly "Bearer <--token>" (without --token: the token it issued last),
// the status answered and the raw body. It also plays the OAuth2 token endpoint: POST /token
// issues tok-1, tok-2, ... (recorded with path /token).
//   node cloud_trace_receiver.js --out requests.jsonl [--token T] [--script 503,200]
'use strict';
const http = require('http');
const fs = require('fs');
const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const script = (args.script || '200').split(',').map(Number);
const statusName = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };
let n = 0;
let issued = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/token') {
      issued++;
      const body = Buffer.concat(chunks).toString('utf8');
      fs.appendFileSync(args.out, JSON.stringify({ method: req.method, path: req.url,
        jwtGrant: body.includes('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer') }) + '\n');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: `tok-${issued}`, expires_in: 3600, token_type: 'Bearer' }));
      return;
    }
    const status = script[Math.min(n, script.length - 1)];
    n++;
    fs.appendFileSync(args.out, JSON.stringify({
      method: req.method, path: req.url, contentType: req.headers['content-type'] || null,
      bearerOk: req.headers.authorization === `Bearer ${args.token || 'tok-' + issued}`,
      authorization: req.headers.authorization || null,
      status, body: Buffer.concat(chunks).toString('utf8'),
    }) + '\n');
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(status < 300 ? '{}' : JSON.stringify({ error: {
      code: status, message: `test receiver refused with ${status}`, status: statusName[status] || 'UNKNOWN' } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
setTimeout(() => process.exit(0), Number(args.lifetime || 120000)).unref();
process.on('SIGTERM', () => process.exit(0));
