/**
 * The status page's script: plain ES2017 in the browser, no template literals so that this file's own
 * template stays simple. Every value from the API is rendered with textContent; the chart's SVG, built
 * and escaped by the server, is the one piece of markup it inserts.
 */
export const STATUS_PAGE_SCRIPT = `
'use strict';
var csrf = document.querySelector('meta[name="csrf-token"]').content;
var hashToken = /token=([^&]+)/.exec(location.hash);
if (hashToken) { sessionStorage.setItem('bambuzled-token', decodeURIComponent(hashToken[1])); history.replaceState(null, '', location.pathname); }
var selectedRun = null;
var lastRuns = [];
var askedForToken = false;
var sensorState = 'STOPPED';
var manualPending = false;
var detail = document.getElementById('run-detail');
var RUN_COLUMNS = 7;

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
function span(children) { var s = el('span'); children.forEach(function (c) { if (c) s.appendChild(c); }); return s; }
function fill(id, rows) { var tb = document.querySelector('#' + id + ' > tbody'); tb.replaceChildren.apply(tb, rows); }
function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }
function ms(n) { return n === null || n === undefined ? '' : (n < 1000 ? n + ' ms' : (n / 1000).toFixed(1) + ' s'); }
function seconds(s) {
  if (s === null || s === undefined) return '';
  if (s < 60) return s + ' s';
  var m = Math.round(s / 60);
  return m < 60 ? m + ' min' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}
function ago(s) {
  if (s === null || s === undefined) return 'never';
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}
// Lines may break between flags, never inside one ("--include-" / "dependents").
function flags(words) {
  if (!words) return el('span', 'whole graph', 'muted');
  var code = el('code', null, 'flags');
  words.split(' ').forEach(function (w, i) { if (i) code.appendChild(document.createTextNode(' ')); code.appendChild(el('span', w)); });
  return code;
}
// A name of any length takes one line: cut with an ellipsis, whole (up to 300 characters) in the tooltip.
function cut(text, fallback) {
  var value = text === null || text === undefined || text === '' ? (fallback || '') : String(text);
  var s = el('span', value, 'cut');
  s.title = value.length > 300 ? value.slice(0, 300) + '…' : value;
  return s;
}
function short(text, n) { text = String(text); return text.length > n ? text.slice(0, n - 1) + '…' : text; }
function say(text, isError) { var m = document.getElementById('message'); m.textContent = text; m.hidden = !text; m.className = isError ? 'message error' : 'message'; }

function renderSensor(s) {
  sensorState = s.state;
  var badge = document.getElementById('sensor-badge');
  badge.textContent = s.state + (s.busy ? ' · ' + s.busy : '');
  badge.className = 'badge ' + s.state;
  // A run in flight in this scheduler (sensor or manual) can be cancelled from here.
  document.getElementById('cancel-control').hidden = !s.cancellable;
  var running = s.state === 'RUNNING';
  document.getElementById('toggle-sensor').textContent = running ? 'Stop sensor' : 'Start sensor';
  document.getElementById('toggle-note').textContent = running
    ? 'Stopping pauses the schedule and the wake-ups; Run now still works.'
    : 'Stopped: ended jobs wait until it is started again.';
  var facts = [
    ['State', s.state], ['Cursor', s.cursor + ' (latest change ' + s.latestChangeSeq + ')'],
    ['Ended jobs waiting', s.pendingEndedJobs], ['Schedule', s.schedule + (s.pollIntervalMs ? ', poll every ' + ms(s.pollIntervalMs) : '')],
    ['Selection', flags(s.selectionFlags)], ['Last tick', s.lastTick ? when(s.lastTick.at) + ' · ' + s.lastTick.decision + ' · ' + s.lastTick.reason : '—'],
    ['Next tick', when(s.nextTickAt)], ['Run lock', s.lock ? s.lock.purpose + ' (pid ' + s.lock.pid + ')' : 'free'], ['Project', s.projectDir]
  ];
  var dl = document.getElementById('sensor-facts');
  dl.replaceChildren();
  facts.forEach(function (f) {
    dl.appendChild(el('dt', f[0]));
    var dd = el('dd');
    if (f[0] === 'Selection') dd.id = 'sensor-selection';
    if (f[1] instanceof Node) dd.appendChild(f[1]); else dd.textContent = f[1] === null || f[1] === undefined ? '' : String(f[1]);
    dl.appendChild(dd);
  });
}
function counts(c) { return Object.keys(c).filter(function (k) { return c[k] > 0; }).map(function (k) { return c[k] + ' ' + k.toLowerCase(); }).join(', '); }
function renderRuns(runs) {
  lastRuns = runs;
  var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.runId : undefined;
  var rows = [];
  var open = false;
  runs.forEach(function (r) {
    var isOpen = r.runId === selectedRun;
    var trigger = el('span', r.trigger, 'chip ' + (r.trigger === 'sensor' ? 'sensor' : 'manual'));
    var selection = span([flags(r.flags && r.flags.replace(/ ?--full-refresh$/, '')), r.fullRefresh ? el('span', 'full refresh', 'chip full-refresh') : null]);
    var tr = row([r.runId, trigger, selection, el('span', r.status, r.status), when(r.startedAt), r.status === 'RUNNING' ? 'running…' : ms(r.durationMs), counts(r.counts)], 'clickable' + (isOpen ? ' selected' : ''));
    tr.dataset.runId = r.runId;
    tr.tabIndex = 0;
    tr.title = isOpen ? 'Hide the actions of run ' + r.runId : 'Show the actions of run ' + r.runId;
    tr.setAttribute('aria-expanded', String(isOpen));
    tr.addEventListener('click', function () { toggleRun(r.runId); });
    tr.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggleRun(r.runId); } });
    rows.push(tr);
    if (isOpen) {
      open = true;
      var td = el('td');
      td.colSpan = RUN_COLUMNS;
      detail.hidden = false;
      td.appendChild(detail);
      var dr = el('tr', null, 'detail-row');
      dr.appendChild(td);
      rows.push(dr);
    }
  });
  if (!open) { detail.hidden = true; document.getElementById('runs-card').appendChild(detail); }
  fill('runs', rows);
  // The list is rebuilt on every refresh: keep the keyboard where it was.
  if (focused !== undefined) { var again = document.querySelector('#runs > tbody > tr[data-run-id="' + Number(focused) + '"]'); if (again) again.focus(); }
}
function toggleRun(runId) {
  selectedRun = selectedRun === runId ? null : runId;
  if (selectedRun !== null) {
    document.getElementById('run-title').textContent = 'Run ' + runId + ' · loading…';
    fill('run-actions', []);
  }
  renderRuns(lastRuns);
  return loadRun(true);
}
function loadRun(show) {
  if (selectedRun === null) return Promise.resolve();
  return api('/api/runs/' + selectedRun).then(function (d) {
    var run = d.run;
    if (run.runId !== selectedRun) return;
    document.getElementById('run-title').textContent = 'Run ' + run.runId + ' · ' + run.status + ' · ' + run.trigger +
      (run.flags ? ' · ' + run.flags : ' · whole graph') + ' · ' + when(run.startedAt) + (run.error ? ' · ' + run.error : '');
    fill('run-actions', run.actions.map(function (a) {
      var text = a.error || '';
      if (a.failingRows) text = (text ? text + ' · ' : '') + a.failingRows.count + ' failing row(s) ' + JSON.stringify(a.failingRows.sample.slice(0, 3));
      return row([a.name, a.kind, el('span', a.status, a.status), ms(a.durationMs), a.rowsAffected, el('pre', text)]);
    }));
    if (show && detail.parentNode && detail.parentNode.parentNode) {
      var dr = detail.parentNode.parentNode;
      dr.classList.remove('flash');
      void dr.offsetWidth;
      dr.classList.add('flash');
      dr.scrollIntoView({ block: 'nearest' });
    }
  });
}
function renderJobs(data) {
  var source = document.getElementById('jobs-source');
  source.textContent = data.source === 'job_outcomes_brz' ? 'every ended job, newest first (job_outcomes_brz)'
    : data.source === 'jobs_brz' ? 'finished jobs, newest first (jobs_brz)' : '';
  if (!data.source || data.jobs.length === 0) {
    fill('jobs', [row([data.source ? 'No job has ended yet.' : 'No print history yet: jobs_brz appears after the first run.'])]);
    return;
  }
  fill('jobs', data.jobs.map(function (j) {
    var printer = span([cut(j.printer), j.printerSerial && j.printer !== j.printerSerial ? el('span', ' ' + j.printerSerial, 'muted') : null]);
    var tr = row([cut(j.name, '(no name)'), printer, when(j.startedAt), seconds(j.durationS), el('span', j.outcome ? j.outcome.replace(/_/g, ' ') : '', j.outcome)]);
    tr.title = 'Ended ' + when(j.endedAt);
    return tr;
  }));
}
function renderPrinters(list) {
  if (list.length === 0) { fill('printers', [row(['No printer has reported yet.'])]); return; }
  fill('printers', list.map(function (p) {
    var last = el('span', ago(p.lastReportAgeS));
    last.title = when(p.lastReportAt);
    var now = cut(p.activeJob ? p.activeJob.status + ': ' + (p.activeJob.name || '(no name)') : 'idle');
    var printer = span([cut(p.name), el('br'), el('code', p.serial, 'serial')]);
    return row([printer, last, now]);
  }));
}
function renderWrites(listener) {
  var warning = document.getElementById('writes-warning');
  var troubled = listener && listener.fresh ? listener.printers.filter(function (p) { return p.writes.failing || p.writes.pending > 0; }) : [];
  warning.hidden = troubled.length === 0;
  warning.textContent = troubled.length === 0 ? '' : 'The listener cannot write the database: ' + troubled.map(function (p) {
    return p.name + ' (' + p.serial + ') ' + p.writes.pending + ' report(s) waiting, ' + p.writes.dropped + ' dropped' +
      (p.writes.lastError ? ' (' + p.writes.lastError + ')' : '') + (p.writes.failingSince ? ' since ' + when(p.writes.failingSince) : '');
  }).join('; ') + '. They are kept in memory and written as soon as the database accepts them.';
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
var charts = {};
// The charting library is served from node_modules; without it the figures still show in the table.
function draw(id, config) {
  if (typeof Chart === 'undefined') return;
  var chart = charts[id];
  if (chart) { chart.data = config.data; chart.update('none'); return; }
  config.options = Object.assign({ animation: false, maintainAspectRatio: false, responsive: true }, config.options || {});
  charts[id] = new Chart(document.getElementById(id), config);
}
function swatch(color) { return /^[0-9A-Fa-f]{8}$/.test(color || '') ? '#' + color.slice(0, 6) : '#9ca3af'; }
function grams(g) { return g === null || g === undefined ? '' : (g >= 1000 ? (g / 1000).toFixed(2) + ' kg' : g.toFixed(g < 10 ? 2 : 1) + ' g'); }
function renderOwners(d) {
  var note = document.getElementById('owners-note');
  note.hidden = d.missing.length === 0;
  note.textContent = d.missing.length ? 'Some figures appear after the first run of the models: ' + d.missing.map(function (m) { return m.split(':')[0]; }).join(', ') + '.' : '';
  var materials = d.filamentByMaterial || [];
  draw('chart-filament', { type: 'bar', data: {
    labels: materials.map(function (m) { return short(m.filamentType, 12) + (m.filamentColor === 'unknown' ? '' : ' #' + m.filamentColor.slice(0, 6)); }),
    datasets: [{ label: 'grams', data: materials.map(function (m) { return m.grams; }),
      backgroundColor: materials.map(function (m) { return swatch(m.filamentColor); }), borderColor: '#57606a', borderWidth: 1 }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'g' } } } } });
  var weeks = d.hoursPerWeek || [];
  draw('chart-hours', { type: 'bar', data: {
    labels: weeks.map(function (w) { return w.weekStart; }),
    datasets: [
      { label: 'printing', data: weeks.map(function (w) { return w.printingHours; }), backgroundColor: '#3b82f6' },
      { label: 'paused', data: weeks.map(function (w) { return w.pausedHours; }), backgroundColor: '#f59e0b' },
      { label: 'preparing', data: weeks.map(function (w) { return w.preparingHours; }), backgroundColor: '#9ca3af' }] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'hours' } } } } });
  var printers = d.successByPrinter || [];
  draw('chart-success', { type: 'bar', data: {
    labels: printers.map(function (p) { return short(p.printer, 20); }),
    datasets: [{ label: '% finished', data: printers.map(function (p) { return Math.round(p.rate * 1000) / 10; }), backgroundColor: '#16a34a' }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false }, tooltip: { callbacks: { title: function (items) { var p = printers[items[0].dataIndex]; return p ? short(p.printer, 80) : ''; },
      label: function (item) { var p = printers[item.dataIndex]; return p ? p.finished + ' of ' + p.jobs + ' jobs finished' : ''; } } } },
      scales: { x: { min: 0, max: 100, title: { display: true, text: '%' } } } } });
  var jobs = d.recentJobs;
  if (!jobs || jobs.length === 0) { fill('job-figures', [row([jobs ? 'No job has ended yet.' : 'No figures yet: jobs_slv appears after the first run.'])]); return; }
  fill('job-figures', jobs.map(function (j) {
    var filament = j.grams === null ? el('span', 'unknown', 'muted') : el('span', grams(j.grams) + (j.filamentSource === 'ams_remain' ? ' (AMS)' : ''));
    filament.title = j.grams === null ? (j.filamentMissing || '') : 'from ' + (j.filamentSource === '3mf' ? "the job's .3mf" : 'the AMS remaining %');
    return row([cut(j.name, '(no name)'), cut(j.printer), el('span', j.outcome ? j.outcome.replace(/_/g, ' ') : '', j.outcome), filament,
      seconds(j.printingS), seconds(j.pausedS), seconds(j.preparingS), seconds(j.estimatedS)]);
  }));
}
function chartWidth() { return Math.max(320, Math.floor(document.getElementById('chart').clientWidth || 640)); }
function refresh() {
  return Promise.all([api('/api/status'), api('/api/runs?limit=20'), api('/api/ticks?limit=30'), api('/api/history?width=' + chartWidth()),
    api('/api/jobs?limit=15'), api('/api/printers')]).then(function (all) {
    renderSensor(all[0].sensor); renderWrites(all[0].listener); renderAssertions(all[0].assertions); renderRuns(all[1].runs); renderTicks(all[2].ticks);
    document.getElementById('chart').innerHTML = all[3].svg;
    renderJobs(all[4]); renderPrinters(all[5].printers);
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    return loadRun(false);
  }).catch(function (e) { say(e.message, true); }).then(function () {
    return api('/api/owners?limit=15').then(renderOwners).catch(function (e) { document.getElementById('owners-note').hidden = false; document.getElementById('owners-note').textContent = e.message; });
  });
}
document.getElementById('run-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
  var f = ev.target;
  var button = document.getElementById('run-button');
  button.disabled = true;
  manualPending = true;
  say('Running…');
  api('/api/run', { tags: f.tags.value, actions: f.actions.value, includeDeps: f.includeDeps.checked, includeDependents: f.includeDependents.checked, fullRefresh: f.fullRefresh.checked })
    .then(function (d) {
      selectedRun = d.run.runId;
      say('Run ' + d.run.runId + ' ' + d.run.status + ' in ' + ms(d.run.durationMs) + (d.run.error ? ': ' + d.run.error : '') + '.', d.run.status !== 'SUCCESSFUL');
      return refresh();
    })
    .catch(function (e) { say(e.message, true); })
    .then(function () { button.disabled = false; manualPending = false; });
});
document.getElementById('cancel-run').addEventListener('click', function () {
  var button = document.getElementById('cancel-run');
  button.disabled = true;
  say('Cancelling the run…');
  // A manual run started from this page reports its own end (CANCELLED) when its request returns.
  api('/api/run/cancel', {}).then(function () { if (!manualPending) say('The run was cancelled; what finished before it stays.'); return refresh(); })
    .catch(function (e) { say(e.message, true); })
    .then(function () { button.disabled = false; });
});
document.getElementById('reset-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
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
