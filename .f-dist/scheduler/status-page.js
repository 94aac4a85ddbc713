/**
 * The status page: one self-contained HTML document (inline CSS and script, no CDN) that reads the
 * JSON API and renders every value with textContent, so that nothing from the database becomes markup.
 * The chart is the one exception: an SVG the server builds with its text escaped.
 */
export function renderStatusPage(options) {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeAttribute(options.csrfToken)}">
<title>Bambuzled · scheduler</title>
<style nonce="${escapeAttribute(options.nonce)}">${STYLE}</style>
</head>
<body>
<header><h1>Bambuzled scheduler</h1><span id="sensor-badge" class="badge">…</span><span id="updated" class="muted"></span></header>
<p id="message" role="status" class="message" hidden></p>
<main>
<section class="card" id="sensor">
  <h2>Sensor</h2>
  <dl id="sensor-facts"></dl>
  <div class="row">
    <button type="button" id="toggle-sensor">Stop sensor</button>
    <label>Cursor <input id="reset-to" type="number" min="0" value="0" size="6"></label>
    <button type="button" id="reset-sensor">Reset sensor</button>
  </div>
</section>
<section class="card" id="run-now">
  <h2>Run now</h2>
  <form id="run-form">
    <label>Tags <input name="tags" placeholder="bronze, silver"></label>
    <label>Actions <input name="actions" placeholder="jobs_brz"></label>
    <label><input type="checkbox" name="includeDeps"> include dependencies</label>
    <label><input type="checkbox" name="includeDependents"> include dependents</label>
    <label><input type="checkbox" name="fullRefresh"> full refresh</label>
    <button type="submit" id="run-button">Run now</button>
  </form>
  <p class="muted">Nothing selected runs the whole graph.</p>
</section>
<section class="card wide" id="history"><h2>Print history (jobs per day)</h2><div id="chart"></div></section>
<section class="card wide"><h2>Recent runs</h2>
  <table id="runs"><thead><tr><th>Run</th><th>Trigger</th><th>Status</th><th>Started</th><th>Duration</th><th>Actions</th></tr></thead><tbody></tbody></table>
  <div id="run-detail" hidden><h3 id="run-title"></h3>
  <table id="run-actions"><thead><tr><th>Action</th><th>Kind</th><th>Status</th><th>Duration</th><th>Rows</th><th>Error / failing rows</th></tr></thead><tbody></tbody></table></div>
</section>
<section class="card wide"><h2>Assertions</h2>
  <table id="assertions"><thead><tr><th>Assertion</th><th>Status</th><th>Failing rows</th><th>When</th><th>Error</th></tr></thead><tbody></tbody></table>
</section>
<section class="card wide"><h2>Recent ticks</h2>
  <table id="ticks"><thead><tr><th>Tick</th><th>When</th><th>Woken by</th><th>Decision</th><th>Cursor</th><th>Run</th><th>Reason</th></tr></thead><tbody></tbody></table>
</section>
</main>
<script nonce="${escapeAttribute(options.nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}
function escapeAttribute(text) {
    return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
header{display:flex;gap:12px;align-items:center;padding:12px 20px;background:#1f2937;color:#fff}
header h1{font-size:18px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px;padding:14px 20px}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:10px 14px;overflow:auto}
.wide{grid-column:1/-1}
h2{font-size:15px;margin:4px 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}
dt{color:#57606a}dd{margin:0;word-break:break-word}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
tbody tr.clickable{cursor:pointer}tbody tr.clickable:hover{background:#f0f6ff}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;background:#6b7280}
.SUCCESSFUL,.REQUESTED,.RUNNING{color:#116329;font-weight:600}
.FAILED{color:#b42318;font-weight:600}.SKIPPED,.DISABLED,.STOPPED{color:#6b7280}
.badge.RUNNING{background:#116329;color:#fff}.badge.STOPPED{background:#6b7280;color:#fff}
.muted{color:#8b949e;font-size:12px}
.row,form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.message{margin:10px 20px;padding:8px 12px;border-radius:6px;background:#fff8c5;border:1px solid #d4a72c}
.message.error{background:#ffebe9;border-color:#ff8182}
pre{margin:0;white-space:pre-wrap;font-size:12px}
`;
// Plain ES2017 in the browser; no template literals so that this file's own template stays simple.
const SCRIPT = `
'use strict';
var csrf = document.querySelector('meta[name="csrf-token"]').content;
var hashToken = /token=([^&]+)/.exec(location.hash);
if (hashToken) { sessionStorage.setItem('bambuzled-token', decodeURIComponent(hashToken[1])); history.replaceState(null, '', location.pathname); }
var selectedRun = null;
var askedForToken = false;
var sensorState = 'STOPPED';

function headers(json) {
  var h = { 'accept': 'application/json' };
  var token = sessionStorage.getItem('bambuzled-token');
  if (token) h['authorization'] = 'Bearer ' + token;
  if (json) { h['content-type'] = 'application/json'; h['x-csrf-token'] = csrf; }
  return h;
}
function api(path, body) {
  var init = body === undefined ? { headers: headers(false) } : { method: 'POST', headers: headers(true), body: JSON.stringify(body) };
  return fetch(path, init).then(function (r) {
    return r.json().then(function (data) {
      if (r.status === 401 && !askedForToken) {
        askedForToken = true;
        var token = prompt('This scheduler needs its token:');
        if (token) sessionStorage.setItem('bambuzled-token', token);
      }
      if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
      return data;
    });
  });
}
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function row(cells, cls) {
  var tr = el('tr', null, cls);
  cells.forEach(function (c) { var td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '' : String(c); tr.appendChild(td); });
  return tr;
}
function fill(id, rows) { var tb = document.querySelector('#' + id + ' tbody'); tb.replaceChildren.apply(tb, rows); }
function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }
function ms(n) { return n === null || n === undefined ? '' : (n < 1000 ? n + ' ms' : (n / 1000).toFixed(1) + ' s'); }
function say(text, isError) { var m = document.getElementById('message'); m.textContent = text; m.hidden = !text; m.className = isError ? 'message error' : 'message'; }

function renderSensor(s) {
  sensorState = s.state;
  var badge = document.getElementById('sensor-badge');
  badge.textContent = s.state + (s.busy ? ' · ' + s.busy : '');
  badge.className = 'badge ' + s.state;
  document.getElementById('toggle-sensor').textContent = s.state === 'RUNNING' ? 'Stop sensor' : 'Start sensor';
  var facts = [
    ['State', s.state], ['Cursor', s.cursor + ' (latest change ' + s.latestChangeSeq + ')'],
    ['Ended jobs waiting', s.pendingEndedJobs], ['Schedule', s.schedule + (s.pollIntervalMs ? ', poll every ' + ms(s.pollIntervalMs) : '')],
    ['Selection', JSON.stringify(s.selection)], ['Last tick', s.lastTick ? when(s.lastTick.at) + ' · ' + s.lastTick.decision + ' · ' + s.lastTick.reason : '—'],
    ['Next tick', when(s.nextTickAt)], ['Run lock', s.lock ? s.lock.purpose + ' (pid ' + s.lock.pid + ')' : 'free'], ['Project', s.projectDir]
  ];
  var dl = document.getElementById('sensor-facts');
  dl.replaceChildren();
  facts.forEach(function (f) { dl.appendChild(el('dt', f[0])); dl.appendChild(el('dd', f[1])); });
}
function counts(c) { return Object.keys(c).filter(function (k) { return c[k] > 0; }).map(function (k) { return c[k] + ' ' + k.toLowerCase(); }).join(', '); }
function renderRuns(runs) {
  fill('runs', runs.map(function (r) {
    var tr = row([r.runId, r.trigger, el('span', r.status, r.status), when(r.startedAt), ms(r.durationMs), counts(r.counts)], 'clickable');
    tr.dataset.runId = r.runId;
    tr.addEventListener('click', function () { selectedRun = r.runId; loadRun(); });
    return tr;
  }));
}
function loadRun() {
  if (selectedRun === null) return Promise.resolve();
  return api('/api/runs/' + selectedRun).then(function (d) {
    var run = d.run;
    document.getElementById('run-detail').hidden = false;
    document.getElementById('run-title').textContent = 'Run ' + run.runId + ' · ' + run.status + ' · ' + run.trigger + ' · ' + when(run.startedAt) + (run.error ? ' · ' + run.error : '');
    fill('run-actions', run.actions.map(function (a) {
      var detail = a.error || '';
      if (a.failingRows) detail = (detail ? detail + ' · ' : '') + a.failingRows.count + ' failing row(s) ' + JSON.stringify(a.failingRows.sample.slice(0, 3));
      return row([a.name, a.kind, el('span', a.status, a.status), ms(a.durationMs), a.rowsAffected, el('pre', detail)]);
    }));
  });
}
function renderAssertions(list) {
  fill('assertions', list.length ? list.map(function (a) {
    return row([a.name, el('span', a.status, a.status), a.failingRows, when(a.endedAt), a.error]);
  }) : [row(['No assertion has run yet.'])]);
}
function renderTicks(ticks) {
  fill('ticks', ticks.map(function (t) {
    return row([t.tickId, when(t.at), t.wokenBy, el('span', t.decision, t.decision), t.cursorBefore + ' → ' + t.cursorAfter, t.runId, t.reason]);
  }));
}
function refresh() {
  return Promise.all([api('/api/status'), api('/api/runs?limit=20'), api('/api/ticks?limit=30'), api('/api/history')]).then(function (all) {
    renderSensor(all[0].sensor); renderAssertions(all[0].assertions); renderRuns(all[1].runs); renderTicks(all[2].ticks);
    document.getElementById('chart').innerHTML = all[3].svg;
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    return loadRun();
  }).catch(function (e) { say(e.message, true); });
}
document.getElementById('run-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
  var f = ev.target;
  var button = document.getElementById('run-button');
  button.disabled = true;
  say('Running…');
  api('/api/run', { tags: f.tags.value, actions: f.actions.value, includeDeps: f.includeDeps.checked, includeDependents: f.includeDependents.checked, fullRefresh: f.fullRefresh.checked })
    .then(function (d) { selectedRun = d.run.runId; say('Run ' + d.run.runId + ' ' + d.run.status + ' in ' + ms(d.run.durationMs) + (d.run.error ? ': ' + d.run.error : '') + '.', d.run.status !== 'SUCCESSFUL'); return refresh(); })
    .catch(function (e) { say(e.message, true); })
    .then(function () { button.disabled = false; });
});
document.getElementById('reset-sensor').addEventListener('click', function () {
  var to = Number(document.getElementById('reset-to').value || 0);
  if (!confirm('Reset the sensor cursor to ' + to + '? Every job that ended after it is handled again.')) return;
  api('/api/sensor/reset', { to: to }).then(function (d) { say('Cursor reset from ' + d.before + ' to ' + d.after + '.'); return refresh(); }).catch(function (e) { say(e.message, true); });
});
document.getElementById('toggle-sensor').addEventListener('click', function () {
  api(sensorState === 'RUNNING' ? '/api/sensor/stop' : '/api/sensor/start', {}).then(refresh).catch(function (e) { say(e.message, true); });
});
refresh();
setInterval(function () { if (!document.hidden) refresh(); }, 2000);
`;
//# sourceMappingURL=status-page.js.map