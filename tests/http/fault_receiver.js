// fault_receiver.js - a scriptable HTTP receiver on loopback for testing census's push exporters.
//
// Usage: node fault_receiver.js --log FILE [--script SCRIPT] [--default ANSWER] [--lifeline]
//
// Listens on 127.0.0.1, port chosen by the OS, and prints the port alone on the first line of
// stdout. Every request (except the control endpoint below) is answered with the next answer
// of the script, then with the default answer (200 unless --default is given) once the script
// is spent, and is recorded as one JSON line appended to FILE *before* it is answered, so a
// client that saw the answer finds the record:
//   {"seq":1, "time_ms":<Date.now() with sub-ms part>, "method":"POST", "path":"/v1/x?y",
//    "headers":{<lower-case name>:<value>}, "raw_length":<bytes on the wire>,
//    "body":<utf8 text of the body, gunzipped when Content-Encoding is gzip>,
//    "body_base64":<the same bytes, base64>, "gunzip_error":<message, only when it failed>,
//    "answer":"<the answer used>"}
//
// SCRIPT is a comma-separated list of answers. An answer is one of
//   <status>[:option]...   options: retry-after=<value> (sent as is),
//                          retry-after-date=<seconds> (an HTTP-date that many seconds ahead),
//                          body=<percent-encoded text>, content-type=<type>, delay=<ms>
//   hang                   never answer (the connection stays open until the client gives up)
//   reset                  destroy the connection without answering
// e.g. "503,503,200", "429:retry-after=1,200", "200:body=%7B%7D:content-type=application/json".
// A script may also be given per path, "PATH=SCRIPT", with --script repeated.
//
// Control endpoint (not recorded): POST /__control/script?path=/p with the script as body
// replaces the remaining script of that path ("*", the default, for every path without one);
// GET /__control/requests returns the recorded requests as a JSON array.
//
// --lifeline: exit when stdin closes, so that the receiver never outlives the test that spawned
// it with a pipe on stdin, even if that test crashes. SIGTERM also exits at once.
'use strict';
const http = require('http');
const fs = require('fs');
const zlib = require('zlib');

const args = process.argv.slice(2);
let logFile = null;
let defaultAnswer = '200';
let lifeline = false;
const scripts = new Map(); // path or '*' -> array of answers still to use

function parseScript(text) {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--log') {
    logFile = args[++i];
  } else if (a === '--script') {
    const s = args[++i];
    const eq = s.indexOf('=');
    if (s.startsWith('/') && eq > 0) {
      scripts.set(s.slice(0, eq), parseScript(s.slice(eq + 1)));
    } else {
      scripts.set('*', parseScript(s));
    }
  } else if (a === '--default') {
    defaultAnswer = args[++i];
  } else if (a === '--lifeline') {
    lifeline = true;
  } else {
    process.stderr.write(`fault_receiver: unknown argument ${a}\n`);
    process.exit(2);
  }
}

const recorded = [];
const sockets = new Set();
let seq = 0;

function nextAnswer(path) {
  const bare = path.split('?')[0];
  const list = scripts.has(bare) ? scripts.get(bare) : scripts.get('*');
  if (list && list.length > 0) {
    return list.shift();
  }
  return defaultAnswer;
}

function parseAnswer(text) {
  const parts = text.split(':');
  const answer = { kind: parts[0], status: 200, headers: {}, body: '', delay: 0 };
  if (/^[0-9]{3}$/.test(parts[0])) {
    answer.kind = 'status';
    answer.status = Number(parts[0]);
  }
  for (const opt of parts.slice(1)) {
    const eq = opt.indexOf('=');
    const name = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    if (name === 'retry-after') {
      answer.headers['Retry-After'] = value;
    } else if (name === 'retry-after-date') {
      answer.headers['Retry-After'] = new Date(Date.now() + Number(value) * 1000).toUTCString();
    } else if (name === 'body') {
      answer.body = decodeURIComponent(value);
    } else if (name === 'content-type') {
      answer.headers['Content-Type'] = decodeURIComponent(value);
    } else if (name === 'delay') {
      answer.delay = Number(value);
    }
  }
  return answer;
}

function respond(req, res, answer) {
  if (answer.kind === 'hang') {
    return; // keep the connection open; the client's timeout ends it
  }
  if (answer.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  const send = () => {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };
  if (answer.delay > 0) {
    setTimeout(send, answer.delay);
  } else {
    send();
  }
}

function control(req, res, url, raw) {
  if (req.method === 'POST' && url.pathname === '/__control/script') {
    scripts.set(url.searchParams.get('path') || '*', parseScript(raw.toString('utf8')));
    res.writeHead(204);
    res.end();
  } else if (req.method === 'GET' && url.pathname === '/__control/requests') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(recorded));
  } else {
    res.writeHead(404);
    res.end();
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/__control/')) {
      control(req, res, url, raw);
      return;
    }
    const answerText = nextAnswer(req.url);
    const record = {
      seq: ++seq,
      time_ms: performance.timeOrigin + performance.now(),
      method: req.method,
      path: req.url,
      headers: req.headers,
      raw_length: raw.length,
      answer: answerText,
    };
    let body = raw;
    if ((req.headers['content-encoding'] || '').toLowerCase() === 'gzip') {
      try {
        body = zlib.gunzipSync(raw);
      } catch (e) {
        record.gunzip_error = String(e.message);
      }
    }
    record.body = body.toString('utf8');
    record.body_base64 = body.toString('base64');
    recorded.push(record);
    if (logFile) {
      fs.appendFileSync(logFile, JSON.stringify(record) + '\n');
    }
    respond(req, res, parseAnswer(answerText));
  });
});

server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

function shutdown() {
  for (const s of sockets) {
    s.destroy();
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (lifeline) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
}

server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
