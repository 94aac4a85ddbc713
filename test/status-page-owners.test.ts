/**
 * The owners' figures on the status page, in headless Chromium: the charts drawn by the vendored
 * Chart.js from the models of the repository's project, with no request leaving the server, and
 * names of any length kept to one line.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, openEngine, runGraph } from '../adapter/index.js';
import { RawWriter } from '../ingestion/raw-writer.js';
import { type TrackerHarness, trackerHarness } from '../ingestion/tracker-harness.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { launchChromium, screenshotPath } from './helpers/browser.js';

const PROJECT_DIR = new URL('..', import.meta.url).pathname;
const SERIAL = '01P00A000000077';
const LONG_NAME = `Articulated dragon ${'very long name '.repeat(700)}`; // about 10 KB
const LONG_PRINTER = `Garage P1S ${'W'.repeat(3000)}`;
const neverCron: Cron = {
  schedule: () => ({ stop: () => undefined, getNextRun: () => new Date('2026-11-27T12:00:30.000Z') }),
  validate: () => true,
};

let h: TrackerHarness;
let scheduler: Scheduler;
let server: StatusServer;
let browser: Browser;
let page: Page;
const outside: string[] = [];

function playJob(name: string, end: 'FINISH' | 'FAILED', grams: [number, number] | null, pauseMs = 0): void {
  h.send(
    { gcode_state: 'PREPARE', subtask_name: name, gcode_file: 'x.gcode.3mf', print_type: 'local', msg: 1 },
    60_000,
  );
  h.send(
    { gcode_state: 'RUNNING', stg_cur: 0, total_layer_num: 100, layer_num: 1, mc_remaining_time: 50, msg: 1 },
    120_000,
  );
  if (pauseMs > 0) {
    h.send({ gcode_state: 'PAUSE', msg: 1 }, 1_200_000);
    h.send({ gcode_state: 'RUNNING', msg: 1 }, pauseMs);
  }
  h.send({ layer_num: 50, mc_percent: 50, msg: 1 }, 1_500_000);
  h.send({ gcode_state: end, layer_num: end === 'FINISH' ? 100 : 0, msg: 1 }, 1_500_000);
  const jobKey = String(h.jobs().at(-1)?.job_key);
  new RawWriter(h.db).recordFilament({
    jobKey,
    printerSerial: SERIAL,
    status: grams ? 'fetched' : 'not_found',
    reason: grams ? null : 'no file of the job on the printer (tried /cache/x.gcode.3mf)',
    remotePath: null,
    plateIndex: 1,
    predictionS: grams ? 3000 : null,
    plateWeightG: grams ? grams[0] + grams[1] : null,
    attempts: 1,
    filaments: grams
      ? [
          {
            source: '3mf',
            slot: 1,
            amsTray: 0,
            trayMatch: 'ams_mapping',
            filamentType: 'PLA',
            filamentColor: '00AE42FF',
            trayInfoIdx: null,
            usedG: grams[0],
            usedM: grams[0] / 3,
          },
          {
            source: '3mf',
            slot: 2,
            amsTray: 1,
            trayMatch: 'ams_mapping',
            filamentType: 'PETG',
            filamentColor: 'FFFFFFFF',
            trayInfoIdx: null,
            usedG: grams[1],
            usedM: grams[1] / 3,
          },
        ]
      : [],
    at: h.now().toISOString(),
  });
}

beforeAll(async () => {
  h = trackerHarness({ serial: SERIAL, name: LONG_PRINTER, start: '2026-11-02T08:00:00.000Z' });
  h.send({ gcode_state: 'IDLE', msg: 0 });
  playJob('Bracket', 'FINISH', [40, 12]);
  playJob('Hinge', 'FINISH', [25, 0], 7_200_000);
  playJob(LONG_NAME, 'FAILED', [100, 20]);
  h.at('2026-11-10T08:00:00.000Z');
  playJob('Clip', 'FINISH', null);
  const compiled = await compileProject({ projectDir: PROJECT_DIR });
  if (!compiled.ok) throw new Error(compiled.message);
  const engine = openEngine(h.dbPath);
  const executor = await engine.connect();
  const run = await runGraph(compiled.graph, {
    executor,
    selection: { tags: ['bronze'], includeDependents: true },
    fullRefresh: false,
    trigger: 'test',
  });
  await executor.close();
  expect(run.actions.filter((a) => a.status !== 'SUCCESSFUL').map((a) => a.name)).toEqual([]);
  scheduler = createScheduler({ engine, projectDir: PROJECT_DIR, cron: neverCron, pollIntervalMs: 0 });
  await scheduler.open();
  server = await startStatusServer({ scheduler, port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const origin = new URL(server.url).origin;
  // Offline: anything but the status server itself is refused and noted.
  await page.route('**/*', (route) => {
    if (route.request().url().startsWith(origin)) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#job-figures tbody tr').length >= 4);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await scheduler?.stop();
  await scheduler?.close();
  h?.close();
});

describe("the owners' figures on the status page", () => {
  it('draws filament by material, hours per week and success per printer with the vendored Chart.js', async () => {
    const charts = await page.evaluate(() => {
      const lib = (
        window as unknown as {
          Chart: {
            getChart(
              id: string,
            ): { data: { labels: string[]; datasets: { label: string; data: number[] }[] } } | undefined;
          };
        }
      ).Chart;
      return ['chart-filament', 'chart-hours', 'chart-success'].map((id) => {
        const chart = lib.getChart(id);
        return chart
          ? { labels: chart.data.labels, data: chart.data.datasets.map((d) => [d.label, d.data]) }
          : null;
      });
    });
    expect(charts[0]).toEqual({ labels: ['PLA #00AE42', 'PETG #FFFFFF'], data: [['grams', [115, 22]]] });
    expect(charts[1]?.labels).toEqual(['2026-11-02', '2026-11-09']);
    expect(charts[1]?.data.find((d) => d[0] === 'paused')?.[1]).toEqual([2, 0]);
    expect(charts[2]).toEqual({ labels: ['Garage P1S WWWWWWWW…'], data: [['% finished', [75]]] });
    expect(outside).toEqual([]);
    await page.screenshot({ path: screenshotPath('status-page-owners'), fullPage: true });
  });

  it("lists each recent job's grams and printing, paused and preparing time, and why grams are missing", async () => {
    const rows = await page.$$eval('#job-figures tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
    );
    expect(rows[0]).toEqual([
      'Clip',
      expect.stringMatching(/^Garage P1S W+$/),
      'finished',
      'unknown',
      '50 min',
      '0 s',
      '2 min',
      '50 min',
    ]);
    expect(rows.find((r) => r[0] === 'Hinge')).toEqual([
      'Hinge',
      expect.any(String),
      'finished',
      '25.0 g',
      '1 h 10 min',
      '2 h 0 min',
      '2 min',
      '50 min',
    ]);
    // The failed job reached layer 50 of 100: half of its 120 g plate.
    expect(rows.find((r) => r[0]?.startsWith('Articulated dragon'))?.slice(2, 4)).toEqual([
      'failed',
      '60.0 g',
    ]);
    const missing = await page.$eval(
      '#job-figures tbody tr:first-child td:nth-child(4) span',
      (s) => (s as HTMLElement).title,
    );
    expect(missing).toBe('not_found: no file of the job on the printer (tried /cache/x.gcode.3mf)');
  });

  it('cuts a 10 KB job name and a long printer name with an ellipsis, whole in the tooltip', async () => {
    const widths = await page.evaluate(() =>
      ['#job-figures', '#jobs', '#printers'].map(
        (id) => (document.querySelector(id) as HTMLElement).scrollWidth,
      ),
    );
    for (const width of widths) expect(width).toBeLessThan(1280);
    const selector = '#job-figures tbody tr:nth-child(2) td:first-child span.cut';
    // The page rebuilds its tables every 2 s: wait (with a deadline) for the laid-out, cut cell rather
    // than read one sample of it, which failed once in a loaded run.
    await page.waitForFunction((css) => {
      const s = document.querySelector(css);
      return s instanceof HTMLElement && s.clientWidth > 0 && s.scrollWidth > s.clientWidth;
    }, selector);
    const cell = await page.$eval(selector, (e) => {
      const s = e as HTMLElement;
      return { title: s.title, cut: s.scrollWidth > s.clientWidth, height: s.getBoundingClientRect().height };
    });
    expect(cell.cut).toBe(true);
    expect(cell.height).toBeLessThan(30);
    expect(cell.title.startsWith('Articulated dragon very long name')).toBe(true);
    expect(cell.title.length).toBe(301);
  });
});
