// The recent runs: a row per run; clicking one opens its actions in a row beneath it.
import { api } from './api.js';
import type { RunDetail, RunSummary } from './api-types.js';
import { byId, el, fill, flags, ms, row, span, when } from './dom.js';

const RUN_COLUMNS = 7;
let selectedRun: number | null = null;
let lastRuns: RunSummary[] = [];

/** Opens this run's actions (after a manual run: the run just started). */
export function selectRun(runId: number): void {
  selectedRun = runId;
}

function counts(c: Record<string, number>): string {
  return Object.keys(c)
    .filter((k) => (c[k] ?? 0) > 0)
    .map((k) => `${c[k]} ${k.toLowerCase()}`)
    .join(', ');
}

export function renderRuns(runs: RunSummary[]): void {
  const detail = byId('run-detail');
  lastRuns = runs;
  const active = document.activeElement;
  const focused = active instanceof HTMLElement ? active.dataset.runId : undefined;
  const rows: HTMLTableRowElement[] = [];
  let open = false;
  for (const r of runs) {
    const isOpen = r.runId === selectedRun;
    const trigger = el('span', r.trigger, `chip ${r.trigger === 'sensor' ? 'sensor' : 'manual'}`);
    const selection = span([
      flags(r.flags?.replace(/ ?--full-refresh$/, '')),
      r.fullRefresh ? el('span', 'full refresh', 'chip full-refresh') : null,
    ]);
    const tr = row(
      [
        r.runId,
        trigger,
        selection,
        el('span', r.status, r.status),
        when(r.startedAt),
        r.status === 'RUNNING' ? 'running…' : ms(r.durationMs),
        counts(r.counts),
      ],
      `clickable${isOpen ? ' selected' : ''}`,
    );
    tr.dataset.runId = String(r.runId);
    tr.tabIndex = 0;
    tr.title = isOpen ? `Hide the actions of run ${r.runId}` : `Show the actions of run ${r.runId}`;
    tr.setAttribute('aria-expanded', String(isOpen));
    tr.addEventListener('click', () => void toggleRun(r.runId));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        void toggleRun(r.runId);
      }
    });
    rows.push(tr);
    if (isOpen) {
      open = true;
      const td = el('td');
      td.colSpan = RUN_COLUMNS;
      detail.hidden = false;
      td.appendChild(detail);
      const dr = el('tr', null, 'detail-row');
      dr.appendChild(td);
      rows.push(dr);
    }
  }
  if (!open) {
    detail.hidden = true;
    byId('runs-card').appendChild(detail);
  }
  fill('runs', rows);
  // The list is rebuilt on every refresh: keep the keyboard where it was.
  if (focused !== undefined) {
    const again = document.querySelector<HTMLElement>(`#runs > tbody > tr[data-run-id="${Number(focused)}"]`);
    again?.focus();
  }
}

function toggleRun(runId: number): Promise<void> {
  selectedRun = selectedRun === runId ? null : runId;
  if (selectedRun !== null) {
    byId('run-title').textContent = `Run ${runId} · loading…`;
    fill('run-actions', []);
  }
  renderRuns(lastRuns);
  return loadRun(true);
}

/** Reads the open run's actions; `show` flashes and scrolls to them (after a click). */
export async function loadRun(show: boolean): Promise<void> {
  if (selectedRun === null) return;
  const { run } = await api<{ run: RunDetail }>(`/api/runs/${selectedRun}`);
  if (run.runId !== selectedRun) return;
  byId('run-title').textContent =
    `Run ${run.runId} · ${run.status} · ${run.trigger}${run.flags ? ` · ${run.flags}` : ' · whole graph'}` +
    ` · ${when(run.startedAt)}${run.error ? ` · ${run.error}` : ''}`;
  fill(
    'run-actions',
    run.actions.map((a) => {
      let text = a.error ?? '';
      if (a.failingRows)
        text = `${text ? `${text} · ` : ''}${a.failingRows.count} failing row(s) ${JSON.stringify(a.failingRows.sample.slice(0, 3))}`;
      return row([
        a.name,
        a.kind,
        el('span', a.status, a.status),
        ms(a.durationMs),
        a.rowsAffected,
        el('pre', text),
      ]);
    }),
  );
  const dr = byId('run-detail').parentElement?.parentElement;
  if (show && dr) {
    dr.classList.remove('flash');
    void dr.offsetWidth;
    dr.classList.add('flash');
    dr.scrollIntoView({ block: 'nearest' });
  }
}
