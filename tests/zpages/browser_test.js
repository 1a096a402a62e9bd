// browser_test.js DEMO HOSTILE_APP SCREENSHOT_DIR - the zPages in a real browser.
//
// Runs the demo (a fixed workload: --requests per worker, then idle, with --summary writing what
// it recorded) serving /metrics and /zpages/ on a free loopback port, and drives Debian's
// chromium, headless, with playwright-core (executablePath /usr/bin/chromium). Proves, from what
// the pages show (the DOM a person sees), against the demo's own summary:
//   - tracez: "user request" ended spans (latency buckets + errors) = requests recorded, errors =
//     requests answered 500, every stage name counted once per request, "demo run" running 1;
//     clicking the errors count lists error sample spans with their status message and
//     attributes; clicking a latency count lists sample spans; the running link lists the
//     running span; the page's numbers equal its JSON twin's;
//   - statsz: demo/request_count's rows equal the recorded (method, status) counts,
//     demo/bytes_sent's rows the recorded bytes, demo/latency's counts the requests per method
//     and stage; demo/latency draws a bar chart of 12 bars, demo/request_count a sparkline;
//   - overview: census version, the export interval the demo set, the exporters stdout,
//     prometheus (its delivered count at least the scrapes this test made), zpages and OTLP
//     (sent to a port where nothing listens: nothing delivered, its last error shown), every
//     self-metric (also those with nothing counted yet), the configuration with secret
//     environment values masked and a URL's credentials removed;
//   - hostile strings (tests/zpages/hostile_app.c) render as text: no script runs
//     (window.__pwned stays undefined), no injected element exists;
//   - no page asks for anything but itself (every request chromium makes is to the page's URL).
// Screenshots of each page go to SCREENSHOT_DIR (a test artifact under the build directory).
// Exit 77 (skipped) only when no chromium is installed (neither $CHROMIUM, /usr/bin/chromium nor
// a chromium on the PATH): scripts/install-deps.sh's test profile installs it, so under
// `make test` the test runs. A missing playwright-core is a failure (the same profile installs
// it with npm ci in tests/zpages), as is a chromium that is there but does not start.
// Bounded: every browser action times out after 15 s, the launch after 30 s, and the whole test
// fails after 90 s naming the step it was in (CTest's own timeout is 120 s).
'use strict';
const fs = require('fs');
const path = require('path');
const net = require('net');
const os = require('os');
const { spawn } = require('child_process');

const [demo, hostileApp, shots] = process.argv.slice(2);
const children = [];
let step = 'starting';
function fail(message) {
  console.error('FAIL (' + step + '): ' + message);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
}
const DEADLINE_MS = 90000;
setTimeout(() => fail('the test did not finish within ' + DEADLINE_MS / 1000 + ' s'), DEADLINE_MS).unref();

// Debian's chromium: $CHROMIUM if set, else /usr/bin/chromium, else the first on the PATH.
function findChromium() {
  const candidates = [];
  if (process.env.CHROMIUM) candidates.push(process.env.CHROMIUM);
  candidates.push('/usr/bin/chromium');
  for (const dir of (process.env.PATH || '').split(':')) if (dir) candidates.push(path.join(dir, 'chromium'));
  return candidates.find((c) => {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return true;
    } catch (e) {
      return false;
    }
  });
}
const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.log('SKIP: chromium is not installed (no $CHROMIUM, /usr/bin/chromium or chromium on the PATH): ' +
    'install it with scripts/install-deps.sh test (apt-get install chromium)');
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  fail('playwright-core is not installed in tests/zpages/node_modules: run scripts/install-deps.sh test ' +
    '(or npm ci in tests/zpages): ' + e.message);
}

const REQUESTS = 25; // per worker; two workers
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(predicate, what, ms = 20000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await predicate()) return;
    await sleep(50);
  }
  fail('timed out waiting for ' + what);
}

// Numbers in a table cell, as shown.
const num = (s) => Number(String(s).trim());

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zpages-browser-'));
  const summaryPath = path.join(work, 'summary.json');
  const port = await freePort();
  const closedPort = await freePort(); // nothing listens there: the OTLP exporter's attempts fail
  const env = Object.assign({}, process.env, {
    CENSUS_TEST_API_KEY: 's3cr3t-key',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://alice:pa55word@127.0.0.1:9/api/v2/spans?token=t0k3n',
  });
  const d = spawn(demo, ['--duration-s', '60', '--interval-ms', '500', '--requests', String(REQUESTS),
    '--summary', summaryPath, '--prometheus', '127.0.0.1:' + port,
    '--otlp-endpoint', 'http://127.0.0.1:' + closedPort], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(d);
  let demoErr = '';
  d.stderr.on('data', (b) => { demoErr += b; });
  d.on('error', (e) => fail('cannot run the demo ' + demo + ': ' + e.message));
  d.on('exit', (code, signal) => {
    if (step !== 'done') fail(`the demo exited (${signal || code}) while the test ran: ${demoErr}`);
  });
  step = 'waiting for the demo';
  await waitFor(() => fs.existsSync(summaryPath) && fs.statSync(summaryPath).size > 0, 'the demo summary');
  const summary = JSON.parse(fs.readFileSync(summaryPath, 'utf8'));
  check(demoErr.includes('zPages at http://127.0.0.1:' + port + '/zpages/'), 'demo did not announce the zPages: ' + demoErr);
  const base = 'http://127.0.0.1:' + port;
  // Scrape /metrics a known number of times: the overview must count at least these.
  for (let i = 0; i < 3; i++) {
    const r = await fetch(base + '/metrics');
    check(r.status === 200, '/metrics status ' + r.status);
    await r.text();
  }

  step = 'launching ' + CHROMIUM;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(15000);
  page.setDefaultNavigationTimeout(15000);
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base + '/zpages')) foreign.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // ---- tracez ------------------------------------------------------------------------------
  step = 'tracez';
  await page.goto(base + '/zpages/tracez');
  const rows = await page.$$eval('table.tracez tr', (trs) => trs.slice(1).map((tr) =>
    Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  const byName = {};
  for (const r of rows) byName[r[0]] = { running: num(r[1]), latency: r.slice(2, 11).map(num), errors: num(r[11]) };
  const ended = (n) => byName[n].latency.reduce((a, b) => a + b, 0) + byName[n].errors;
  check(byName['user request'], 'tracez has no "user request" row: ' + JSON.stringify(rows));
  check(ended('user request') === summary.requests,
    `user request ended ${ended('user request')} != recorded ${summary.requests}`);
  check(byName['user request'].errors === summary.errors,
    `user request errors ${byName['user request'].errors} != recorded ${summary.errors}`);
  for (const stage of ['Read Data', 'Convert Data', 'Merge Data', 'Send JSON Response']) {
    check(byName[stage] && ended(stage) === summary.requests, `stage ${stage}: ${JSON.stringify(byName[stage])}`);
    check(byName[stage].running === 0, `stage ${stage} still running`);
  }
  check(byName['demo run'] && byName['demo run'].running === 1, '"demo run" is not shown running');
  const json = await (await fetch(base + '/zpages/tracez.json')).json();
  for (const s of json.spans) {
    check(byName[s.name] && byName[s.name].errors === s.errors && byName[s.name].running === s.running &&
      JSON.stringify(byName[s.name].latency) === JSON.stringify(s.latency), 'page and JSON differ for ' + s.name);
  }
  await page.screenshot({ path: path.join(shots, 'tracez.png'), fullPage: true });

  // Click through: errors of "user request".
  step = 'tracez click-through';
  if (summary.errors > 0) {
    const row = page.locator('table.tracez tr', { hasText: 'user request' });
    await row.locator('td.errors a').click();
    await page.waitForSelector('table.samples');
    const samples = await page.$$eval('table.samples tr.span', (trs) => trs.map((tr) => tr.textContent));
    check(samples.length === Math.min(summary.errors, 4), `error samples ${samples.length}`);
    for (const s of samples) {
      check(s.includes('ERROR: internal error') && s.includes('http.method') && s.includes('http.status_code = 500'),
        'error sample lacks status or attributes: ' + s);
    }
    await page.screenshot({ path: path.join(shots, 'tracez-errors.png'), fullPage: true });
    await page.goBack();
  }
  // A latency bucket of "Read Data".
  const readRow = page.locator('table.tracez tr', { hasText: 'Read Data' });
  await readRow.locator('td.latency a').first().click();
  await page.waitForSelector('table.samples');
  const latencySamples = await page.$$eval('table.samples tr.span', (trs) => trs.length);
  check(latencySamples >= 1, 'no latency sample for Read Data');
  await page.goBack();
  // The running span.
  await page.locator('table.tracez tr', { hasText: 'demo run' }).locator('td.running a').click();
  await page.waitForSelector('table.running');
  check((await page.$$eval('table.running tr.span', (t) => t.length)) === 1, 'running span not listed');
  await page.screenshot({ path: path.join(shots, 'tracez-running.png'), fullPage: true });

  // ---- statsz ------------------------------------------------------------------------------
  step = 'statsz';
  await sleep(1200); // at least two history points (every 500 ms)
  await page.goto(base + '/zpages/statsz');
  const views = await page.$$eval('section.view', (sections) => sections.map((s) => ({
    name: s.querySelector('h2').textContent,
    bars: s.querySelectorAll('svg.bars rect').length,
    sparkline: s.querySelectorAll('svg.sparkline polyline').length,
    rows: Array.from(s.querySelectorAll('tr.row')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
  })));
  const view = (n) => views.find((v) => v.name === n) || fail('statsz lacks ' + n);
  for (const r of view('demo/request_count').rows) {
    const key = r[0] + ' ' + r[1];
    check(num(r[2]) === summary.by_method_status[key], `request_count ${key} shows ${r[2]}, recorded ${summary.by_method_status[key]}`);
  }
  check(view('demo/request_count').rows.length === Object.values(summary.by_method_status).filter((v) => v > 0).length,
    'request_count rows');
  for (const r of view('demo/bytes_sent').rows) {
    check(num(r[1]) === summary.bytes_by_method[r[0]], `bytes_sent ${r[0]} shows ${r[1]}`);
  }
  const perMethod = { GET: 0, POST: 0 };
  for (const [k, v] of Object.entries(summary.by_method_status)) perMethod[k.split(' ')[0]] += v;
  for (const r of view('demo/latency').rows) {
    check(num(r[2]) === perMethod[r[1]], `latency ${r[0]}/${r[1]} count ${r[2]} != ${perMethod[r[1]]}`);
  }
  check(view('demo/latency').rows.length === 4 * Object.values(perMethod).filter((v) => v > 0).length, 'latency rows');
  check(view('demo/latency').bars === 12, 'latency bar chart has ' + view('demo/latency').bars + ' bars');
  check(view('demo/request_count').sparkline === 1, 'request_count has no sparkline');
  const statsJson = await (await fetch(base + '/zpages/statsz.json')).json();
  const countJson = statsJson.views.find((v) => v.name === 'demo/request_count');
  check(countJson.history.length >= 2, 'request_count history has ' + countJson.history.length + ' points');
  await page.screenshot({ path: path.join(shots, 'statsz.png'), fullPage: true });

  // ---- overview ----------------------------------------------------------------------------
  step = 'overview';
  // The OTLP metrics exporter's first failed attempt (every 500 ms) reports its error.
  await waitFor(async () => (await (await fetch(base + '/zpages/overview.json')).json()).exporters
    .some((e) => e.name === 'otlp metrics' && e.last_error !== ''), 'the OTLP exporter\'s last error');
  await page.goto(base + '/zpages/');
  const facts = await page.$$eval('table.facts tr', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.querySelector('th').textContent, tr.querySelector('td').textContent])));
  check(/^\d+\.\d+\.\d+/.test(facts['census version']), 'version: ' + facts['census version']);
  check(facts['export interval'] === '500 ms', 'export interval: ' + facts['export interval']);
  const exporters = await page.$$eval('table.exporters > tbody > tr', (trs) => trs.slice(1).map((tr) => {
    const td = tr.querySelectorAll(':scope > td');
    return { name: td[0].textContent, delivered: Number(td[3].textContent), dropped: Number(td[5].textContent),
      lastError: td[6].textContent };
  }));
  const exporter = (n) => exporters.find((e) => e.name === n) || fail('overview lacks exporter ' + n + ': ' + JSON.stringify(exporters));
  check(exporter('prometheus').delivered >= 3, 'prometheus delivered ' + exporter('prometheus').delivered);
  check(exporter('stdout').delivered > 0, 'stdout delivered nothing');
  check(exporter('zpages').delivered >= 4, 'zpages pages served ' + exporter('zpages').delivered);
  check(exporter('otlp metrics').lastError.includes('127.0.0.1') && exporter('otlp metrics').delivered === 0,
    'otlp metrics (nothing listens on its port) shows last error ' + JSON.stringify(exporter('otlp metrics')));
  const text = await page.textContent('body');
  const selfMetrics = await page.$$eval('table.self-metrics tr', (trs) => trs.slice(1).map((tr) =>
    tr.querySelector('td').textContent));
  for (const m of ['census/dropped_measurements', 'census/dropped_spans', 'census/exporter_dropped_items',
    'census_trace_dropped_spans()']) {
    check(selfMetrics.includes(m), 'self-metrics lack ' + m + ': ' + JSON.stringify(selfMetrics));
  }
  check(!text.includes('s3cr3t') && !text.includes('pa55word') && !text.includes('t0k3n'), 'a secret is shown');
  const config = await page.$$eval('table.config tr', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.querySelector('th').textContent, tr.querySelector('td').textContent])));
  check(config.CENSUS_TEST_API_KEY === '****', 'CENSUS_TEST_API_KEY shows ' + config.CENSUS_TEST_API_KEY);
  check(config.OTEL_EXPORTER_ZIPKIN_ENDPOINT === 'http://***@127.0.0.1:9/api/v2/spans?***',
    'endpoint shows ' + config.OTEL_EXPORTER_ZIPKIN_ENDPOINT);
  check(config['census.export_interval_ms'] === '500', 'config export interval');
  await page.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });

  // ---- hostile strings ---------------------------------------------------------------------
  step = 'hostile strings';
  const h = spawn(hostileApp, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(h);
  const hostilePort = await new Promise((resolve, reject) => {
    let out = '';
    h.stdout.on('data', (b) => { out += b; const m = /port (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    h.on('exit', (code, signal) => reject(new Error(`${hostileApp} exited (${signal || code}) before serving`)));
  });
  const hbase = 'http://127.0.0.1:' + hostilePort + '/zpages';
  for (const p of ['/tracez', '/tracez?name=' + encodeURIComponent('<script>window.__pwned=1</script>') + '&type=error',
    '/tracez?name=' + encodeURIComponent('"><img src=x onerror="window.__pwned=2">') + '&type=error', '/statsz', '/']) {
    await page.goto(hbase + p);
    const pwned = await page.evaluate(() => window.__pwned);
    check(pwned === undefined, 'script ran on ' + p + ': ' + pwned);
    const injected = await page.$$eval('script, img, iframe, b, svg[onload], [onerror], [onload]', (e) => e.length);
    check(injected === 0, injected + ' injected elements on ' + p);
    const shown = await page.textContent('body');
    check(shown.includes('<script>window.__pwned=1</script>') || p === '/', 'hostile text not shown on ' + p);
  }
  await page.goto(hbase + '/tracez');
  await page.screenshot({ path: path.join(shots, 'hostile-tracez.png'), fullPage: true });
  h.stdin.end();

  check(errors.length === 0, 'page errors: ' + errors.join('; '));
  check(foreign.filter((u) => !u.startsWith(hbase)).length === 0, 'pages loaded other resources: ' + foreign.join(' '));
  await browser.close();
  step = 'done';
  d.kill('SIGTERM');
  console.log(`zpages_browser: ${summary.requests} requests recorded by the demo match tracez, statsz ` +
    `and overview; hostile strings inert; screenshots in ${shots}`);
}

main().catch((e) => fail(e.stack || String(e)));
