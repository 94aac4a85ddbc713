// "What the printers used": three Chart.js charts and the recent jobs' figures.
import type { OwnersAnswer } from './api-types.js';
import { byId, cut, el, fill, grams, row, seconds, short } from './dom.js';

interface ChartConfig {
  type: string;
  data: unknown;
  options?: Record<string, unknown>;
}
interface ChartInstance {
  data: unknown;
  update(mode: string): void;
}

declare global {
  interface Window {
    /** Chart.js's UMD build (/assets/chart.umd.min.js), served from node_modules. */
    Chart?: new (
      canvas: HTMLCanvasElement,
      config: ChartConfig,
    ) => ChartInstance;
  }
}

const charts: Record<string, ChartInstance> = {};

// The charting library is served from node_modules; without it the figures still show in the table.
function draw(id: string, config: ChartConfig): void {
  const Chart = window.Chart;
  if (!Chart) return;
  const chart = charts[id];
  if (chart) {
    chart.data = config.data;
    chart.update('none');
    return;
  }
  config.options = { animation: false, maintainAspectRatio: false, responsive: true, ...config.options };
  charts[id] = new Chart(byId<HTMLCanvasElement>(id), config);
}

function swatch(color: string | null | undefined): string {
  return /^[0-9A-Fa-f]{8}$/.test(color ?? '') ? `#${(color ?? '').slice(0, 6)}` : '#9ca3af';
}

const outcomeText = (outcome: string | null) => (outcome ? outcome.replace(/_/g, ' ') : '');

export function renderOwners(d: OwnersAnswer): void {
  const note = byId('owners-note');
  note.hidden = d.missing.length === 0;
  note.textContent = d.missing.length
    ? `Some figures appear after the first run of the models: ${d.missing.map((m) => m.split(':')[0]).join(', ')}.`
    : '';
  const materials = d.filamentByMaterial ?? [];
  draw('chart-filament', {
    type: 'bar',
    data: {
      labels: materials.map(
        (m) =>
          short(m.filamentType, 12) +
          (m.filamentColor === 'unknown' ? '' : ` #${m.filamentColor.slice(0, 6)}`),
      ),
      datasets: [
        {
          label: 'grams',
          data: materials.map((m) => m.grams),
          backgroundColor: materials.map((m) => swatch(m.filamentColor)),
          borderColor: '#57606a',
          borderWidth: 1,
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, title: { display: true, text: 'g' } } },
    },
  });
  const weeks = d.hoursPerWeek ?? [];
  draw('chart-hours', {
    type: 'bar',
    data: {
      labels: weeks.map((w) => w.weekStart),
      datasets: [
        { label: 'printing', data: weeks.map((w) => w.printingHours), backgroundColor: '#3b82f6' },
        { label: 'paused', data: weeks.map((w) => w.pausedHours), backgroundColor: '#f59e0b' },
        { label: 'preparing', data: weeks.map((w) => w.preparingHours), backgroundColor: '#9ca3af' },
      ],
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'hours' } },
      },
    },
  });
  const printers = d.successByPrinter ?? [];
  draw('chart-success', {
    type: 'bar',
    data: {
      labels: printers.map((p) => short(p.printer, 20)),
      datasets: [
        {
          label: '% finished',
          data: printers.map((p) => Math.round(p.rate * 1000) / 10),
          backgroundColor: '#16a34a',
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items: { dataIndex: number }[]) => {
              const p = items[0] ? printers[items[0].dataIndex] : undefined;
              return p ? short(p.printer, 80) : '';
            },
            label: (item: { dataIndex: number }) => {
              const p = printers[item.dataIndex];
              return p ? `${p.finished} of ${p.jobs} jobs finished` : '';
            },
          },
        },
      },
      scales: { x: { min: 0, max: 100, title: { display: true, text: '%' } } },
    },
  });
  const jobs = d.recentJobs;
  if (!jobs || jobs.length === 0) {
    fill('job-figures', [
      row([jobs ? 'No job has ended yet.' : 'No figures yet: jobs_slv appears after the first run.']),
    ]);
    return;
  }
  fill(
    'job-figures',
    jobs.map((j) => {
      const filament =
        j.grams === null
          ? el('span', 'unknown', 'muted')
          : el('span', grams(j.grams) + (j.filamentSource === 'ams_remain' ? ' (AMS)' : ''));
      filament.title =
        j.grams === null
          ? (j.filamentMissing ?? '')
          : `from ${j.filamentSource === '3mf' ? "the job's .3mf" : 'the AMS remaining %'}`;
      return row([
        cut(j.name, '(no name)'),
        cut(j.printer),
        el('span', outcomeText(j.outcome), j.outcome ?? undefined),
        filament,
        seconds(j.printingS),
        seconds(j.pausedS),
        seconds(j.preparingS),
        seconds(j.estimatedS),
      ]);
    }),
  );
}
