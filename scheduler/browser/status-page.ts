// The status page's script, the entry point esbuild bundles into /assets/status-page.js: reads the
// JSON API every 2 s and renders it; the buttons and forms POST to it.
import { api, takeTokenFromHash } from './api.js';
import type {
  JobsAnswer,
  OwnersAnswer,
  PrinterSeen,
  RunDetail,
  RunSummary,
  SensorView,
  StatusAnswer,
  TickView,
} from './api-types.js';
import { ago, byId, type Cell, cut, el, fill, flags, ms, row, say, seconds, span, when } from './dom.js';
import { renderOwners } from './owners-charts.js';
import { loadRun, renderRuns, selectRun } from './runs-table.js';

takeTokenFromHash();
let sensorState = 'STOPPED';
let manualPending = false;

const outcomeText = (outcome: string | null) => (outcome ? outcome.replace(/_/g, ' ') : '');

function renderSensor(s: SensorView): void {
  sensorState = s.state;
  const badge = byId('sensor-badge');
  badge.textContent = s.state + (s.busy ? ` · ${s.busy}` : '');
  badge.className = `badge ${s.state}`;
  // A run in flight in this scheduler (sensor or manual) can be cancelled from here.
  byId('cancel-control').hidden = !s.cancellable;
  const running = s.state === 'RUNNING';
  byId('toggle-sensor').textContent = running ? 'Stop sensor' : 'Start sensor';
  byId('toggle-note').textContent = running
    ? 'Stopping pauses the schedule and the wake-ups; Run now still works.'
    : 'Stopped: ended jobs wait until it is started again.';
  const facts: [string, Cell][] = [
    ['State', s.state],
    ['Cursor', `${s.cursor} (latest change ${s.latestChangeSeq})`],
    ['Ended jobs waiting', s.pendingEndedJobs],
    ['Schedule', s.schedule + (s.pollIntervalMs ? `, poll every ${ms(s.pollIntervalMs)}` : '')],
    ['Selection', flags(s.selectionFlags)],
    [
      'Last tick',
      s.lastTick ? `${when(s.lastTick.at)} · ${s.lastTick.decision} · ${s.lastTick.reason}` : '—',
    ],
    ['Next tick', when(s.nextTickAt)],
    ['Run lock', s.lock ? `${s.lock.purpose} (pid ${s.lock.pid})` : 'free'],
    ['Project', s.projectDir],
  ];
  const dl = byId('sensor-facts');
  dl.replaceChildren();
  for (const [name, value] of facts) {
    dl.appendChild(el('dt', name));
    const dd = el('dd');
    if (name === 'Selection') dd.id = 'sensor-selection';
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value === null || value === undefined ? '' : String(value);
    dl.appendChild(dd);
  }
}

function renderJobs(data: JobsAnswer): void {
  byId('jobs-source').textContent =
    data.source === 'job_outcomes_brz'
      ? 'every ended job, newest first (job_outcomes_brz)'
      : data.source === 'jobs_brz'
        ? 'finished jobs, newest first (jobs_brz)'
        : '';
  if (!data.source || data.jobs.length === 0) {
    fill('jobs', [
      row([
        data.source ? 'No job has ended yet.' : 'No print history yet: jobs_brz appears after the first run.',
      ]),
    ]);
    return;
  }
  fill(
    'jobs',
    data.jobs.map((j) => {
      const printer = span([
        cut(j.printer),
        j.printerSerial && j.printer !== j.printerSerial ? el('span', ` ${j.printerSerial}`, 'muted') : null,
      ]);
      const tr = row([
        cut(j.name, '(no name)'),
        printer,
        when(j.startedAt),
        seconds(j.durationS),
        el('span', outcomeText(j.outcome), j.outcome ?? undefined),
      ]);
      tr.title = `Ended ${when(j.endedAt)}`;
      return tr;
    }),
  );
}

function renderPrinters(list: PrinterSeen[]): void {
  if (list.length === 0) {
    fill('printers', [row(['No printer has reported yet.'])]);
    return;
  }
  fill(
    'printers',
    list.map((p) => {
      const last = el('span', ago(p.lastReportAgeS));
      last.title = when(p.lastReportAt);
      const now = cut(p.activeJob ? `${p.activeJob.status}: ${p.activeJob.name || '(no name)'}` : 'idle');
      const printer = span([cut(p.name), el('br'), el('code', p.serial, 'serial')]);
      return row([printer, last, now]);
    }),
  );
}

function renderWrites(listener: StatusAnswer['listener']): void {
  const warning = byId('writes-warning');
  const troubled = listener?.fresh
    ? listener.printers.filter((p) => p.writes.failing || p.writes.pending > 0)
    : [];
  warning.hidden = troubled.length === 0;
  warning.textContent =
    troubled.length === 0
      ? ''
      : `The listener cannot write the database: ${troubled
          .map(
            (p) =>
              `${p.name} (${p.serial}) ${p.writes.pending} report(s) waiting, ${p.writes.dropped} dropped` +
              (p.writes.lastError ? ` (${p.writes.lastError})` : '') +
              (p.writes.failingSince ? ` since ${when(p.writes.failingSince)}` : ''),
          )
          .join('; ')}. They are kept in memory and written as soon as the database accepts them.`;
}

function renderAssertions(list: StatusAnswer['assertions']): void {
  fill(
    'assertions',
    list.length
      ? list.map((a) =>
          row([a.name, el('span', a.status, a.status), a.failingRows, when(a.endedAt), a.error]),
        )
      : [row(['No assertion has run yet.'])],
  );
}

function renderTicks(ticks: TickView[]): void {
  fill(
    'ticks',
    ticks.map((t) =>
      row([
        t.tickId,
        when(t.at),
        t.wokenBy,
        el('span', t.decision, t.decision),
        `${t.cursorBefore} → ${t.cursorAfter}`,
        t.runId,
        t.reason,
      ]),
    ),
  );
}

function chartWidth(): number {
  return Math.max(320, Math.floor(byId('chart').clientWidth || 640));
}

async function refresh(): Promise<void> {
  try {
    const [status, runs, ticks, history, jobs, printers] = await Promise.all([
      api<StatusAnswer>('/api/status'),
      api<{ runs: RunSummary[] }>('/api/runs?limit=20'),
      api<{ ticks: TickView[] }>('/api/ticks?limit=30'),
      api<{ svg: string }>(`/api/history?width=${chartWidth()}`),
      api<JobsAnswer>('/api/jobs?limit=15'),
      api<{ printers: PrinterSeen[] }>('/api/printers'),
    ]);
    renderSensor(status.sensor);
    renderWrites(status.listener);
    renderAssertions(status.assertions);
    renderRuns(runs.runs);
    renderTicks(ticks.ticks);
    // The one piece of markup the page inserts: an SVG the server built with its text escaped.
    byId('chart').innerHTML = history.svg;
    renderJobs(jobs);
    renderPrinters(printers.printers);
    byId('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    await loadRun(false);
  } catch (e) {
    say(messageOf(e), true);
  }
  try {
    renderOwners(await api<OwnersAnswer>('/api/owners?limit=15'));
  } catch (e) {
    const note = byId('owners-note');
    note.hidden = false;
    note.textContent = messageOf(e);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

byId<HTMLFormElement>('run-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = ev.target as HTMLFormElement;
  const field = (name: string) => f.elements.namedItem(name) as HTMLInputElement;
  const button = byId<HTMLButtonElement>('run-button');
  button.disabled = true;
  manualPending = true;
  say('Running…');
  api<{ run: RunDetail }>('/api/run', {
    tags: field('tags').value,
    actions: field('actions').value,
    includeDeps: field('includeDeps').checked,
    includeDependents: field('includeDependents').checked,
    fullRefresh: field('fullRefresh').checked,
  })
    .then((d) => {
      selectRun(d.run.runId);
      say(
        `Run ${d.run.runId} ${d.run.status} in ${ms(d.run.durationMs)}${d.run.error ? `: ${d.run.error}` : ''}.`,
        d.run.status !== 'SUCCESSFUL',
      );
      return refresh();
    })
    .catch((e: unknown) => say(messageOf(e), true))
    .then(() => {
      button.disabled = false;
      manualPending = false;
    });
});

byId('cancel-run').addEventListener('click', () => {
  const button = byId<HTMLButtonElement>('cancel-run');
  button.disabled = true;
  say('Cancelling the run…');
  // A manual run started from this page reports its own end (CANCELLED) when its request returns.
  api('/api/run/cancel', {})
    .then(() => {
      if (!manualPending) say('The run was cancelled; what finished before it stays.');
      return refresh();
    })
    .catch((e: unknown) => say(messageOf(e), true))
    .then(() => {
      button.disabled = false;
    });
});

byId<HTMLFormElement>('reset-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const to = Number(byId<HTMLInputElement>('reset-to').value || 0);
  if (!confirm(`Reset the sensor cursor to ${to}? Every job that ended after it is handled again.`)) return;
  api<{ before: number; after: number }>('/api/sensor/reset', { to })
    .then((d) => {
      say(`Cursor reset from ${d.before} to ${d.after}.`);
      return refresh();
    })
    .catch((e: unknown) => say(messageOf(e), true));
});

byId('toggle-sensor').addEventListener('click', () => {
  api(sensorState === 'RUNNING' ? '/api/sensor/stop' : '/api/sensor/start', {})
    .then(refresh)
    .catch((e: unknown) => say(messageOf(e), true));
});

void refresh();
setInterval(() => {
  if (!document.hidden) void refresh();
}, 2000);
