import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, openEngine, type RunSummary } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { startScheduleService } from '../scheduler/service.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { launchChromium, screenshotPath } from './helpers/browser.js';
import { RawLayerWriter, writeSensorProject, writeSlowAction } from './helpers/sensor-sandbox.js';

const neverCron: Cron = {
  schedule: () => ({ stop: () => undefined, getNextRun: () => new Date('2026-11-27T12:00:30.000Z') }),
  validate: () => true,
};
const screenshots = resolve(import.meta.dirname, '..', 'test-output');

let dir: string;
let db: SqliteDatabase;
let scheduler: Scheduler;
let server: StatusServer;
let browser: Browser | undefined;
// The page's clock: fixed, so that a printer's last report is exactly 42 s old.
const now = new Date();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sched-page-'));
  const projectDir = writeSensorProject(join(dir, 'project'));
  const compiled = await compileProject({ projectDir });
  expect(compiled.ok).toBe(true);
  db = openDatabase(join(dir, 'history.db'));
  migrateRawSchema(db);
  const writer = new RawLayerWriter(db);
  writer.start('P1S-A', 'benchy-1', 'benchy <b>bold</b>');
  writer.end('benchy-1');
  // The listener's record of the printers; the fingerprint is not for the page.
  const seen = db.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, cert_fingerprint, first_seen_at, last_report_at)
     VALUES (?, ?, 'FP:12:34', ?, ?)`,
  );
  seen.run(
    'P1S-A',
    'Workshop P1S',
    '2026-11-01T08:00:00.000Z',
    new Date(now.getTime() - 42_000).toISOString(),
  );
  seen.run('X1C-B', 'Garage <i>X1C</i>', '2026-11-02T08:00:00.000Z', null);
  scheduler = createScheduler({
    engine: openEngine(join(dir, 'history.db')),
    projectDir,
    cron: neverCron,
    pollIntervalMs: 0,
  });
  scheduler.start();
  await scheduler.idle();
  server = await startStatusServer({ scheduler, port: 0, now: () => now });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  // close() also ends the scheduler's connection processes.
  await scheduler?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function launch(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

/** The run history, as the page reads it. */
async function listRuns(limit = 50): Promise<RunSummary[]> {
  return (await scheduler.history()).listRuns({ limit });
}

function post(path: string, headers: Record<string, string>, body = '{}') {
  return fetch(new URL(path, server.url), { method: 'POST', headers, body });
}

/** A request to 127.0.0.1 with any Host header (fetch will not send one of its own). */
function rawRequest(
  port: number | string,
  options: { path: string; headers: Record<string, string>; method?: string; body?: string },
): Promise<{ status: number | undefined; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode, body }));
      },
    );
    req.on('error', fail);
    req.end(options.body);
  });
}

/** An address of this machine other than loopback, else its hostname: a name a LAN browser uses. */
function machineAddress(): string {
  const external = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((entry) => !entry.internal && entry.family === 'IPv4');
  return external?.address ?? hostname();
}

describe('the status API', () => {
  it('reports the sensor, its ticks, the runs and the assertions', async () => {
    const status = (await (await fetch(`${server.url}api/status`)).json()) as {
      sensor: { state: string; cursor: number; nextTickAt: string };
      assertions: { name: string; status: string; failingRows: number }[];
    };
    expect(status.sensor.state).toBe('RUNNING');
    expect(status.sensor.cursor).toBe(2);
    expect(status.sensor.nextTickAt).toBe('2026-11-27T12:00:30.000Z');
    expect(status.assertions).toEqual([
      expect.objectContaining({ name: 'assertions.no_poison_jobs', status: 'SUCCESSFUL', failingRows: 0 }),
    ]);
    const { runs } = (await (await fetch(`${server.url}api/runs`)).json()) as { runs: { runId: number }[] };
    expect(runs).toHaveLength(1);
    const { run } = (await (await fetch(`${server.url}api/runs/${runs[0]?.runId}`)).json()) as {
      run: { actions: { name: string; rowsAffected: number }[] };
    };
    expect(run.actions.map((action) => action.name)).toEqual(['main.jobs_brz', 'assertions.no_poison_jobs']);
    expect((await fetch(`${server.url}api/runs/9999`)).status).toBe(404);
    const { ticks } = (await (await fetch(`${server.url}api/ticks`)).json()) as {
      ticks: { decision: string }[];
    };
    expect(ticks[0]?.decision).toBe('REQUESTED');
  });

  it('draws the print history from jobs_brz with the job names escaped', async () => {
    const history = (await (await fetch(`${server.url}api/history`)).json()) as {
      days: { day: string; jobs: number }[];
      svg: string;
    };
    expect(history.days).toHaveLength(30);
    expect(history.days.reduce((sum, day) => sum + day.jobs, 0)).toBe(1);
    expect(history.svg).toMatch(/^<svg /);
    expect(history.svg).not.toContain('<script');
  });

  it('lists the recent jobs and the printers, without their certificate fingerprints', async () => {
    const jobs = (await (await fetch(`${server.url}api/jobs`)).json()) as {
      source: string;
      jobs: { name: string; printer: string; outcome: string }[];
    };
    expect(jobs.source).toBe('jobs_brz');
    expect(jobs.jobs).toEqual([
      expect.objectContaining({ name: 'benchy <b>bold</b>', printer: 'Workshop P1S', outcome: 'finished' }),
    ]);
    const text = await (await fetch(`${server.url}api/printers`)).text();
    expect(text).not.toContain('FP:12:34');
    const { printers } = JSON.parse(text) as { printers: { name: string; lastReportAgeS: number | null }[] };
    expect(printers.map((p) => [p.name, p.lastReportAgeS])).toEqual([
      ['Garage <i>X1C</i>', null],
      ['Workshop P1S', 42],
    ]);
  });

  it('describes selections as run flags', async () => {
    const status = (await (await fetch(`${server.url}api/status`)).json()) as {
      sensor: { selectionFlags: string };
    };
    expect(status.sensor.selectionFlags).toBe('--tags bronze --include-dependents');
    const { runs } = (await (await fetch(`${server.url}api/runs`)).json()) as { runs: { flags: string }[] };
    expect(runs[0]?.flags).toBe('--tags bronze --include-dependents');
  });

  it('refuses POSTs that a page on another site could send', async () => {
    const origin = new URL(server.url).origin;
    const json = { 'content-type': 'application/json' };
    expect((await post('/api/run', { 'content-type': 'text/plain', origin })).status).toBe(415);
    expect((await post('/api/run', { ...json, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post('/api/run', { ...json, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/api/run', { ...json })).status).toBe(403);
    expect((await listRuns()).filter((run) => run.trigger === 'manual')).toEqual([]);
    const reset = await post('/api/sensor/reset', { ...json, origin }, JSON.stringify({ to: 2 }));
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ before: 2, after: 2 });
  });

  it('guards "cancel run" like the other POSTs, and says when there is nothing to cancel', async () => {
    const origin = new URL(server.url).origin;
    const json = { 'content-type': 'application/json' };
    expect((await post('/api/run/cancel', { ...json, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post('/api/run/cancel', { 'content-type': 'text/plain', origin })).status).toBe(415);
    const idle = await post('/api/run/cancel', { ...json, origin });
    expect(idle.status).toBe(409);
    expect(((await idle.json()) as { error: string }).error).toContain('nothing to cancel');
  });

  it('refuses a host name rebound to the loopback address', async () => {
    const { port } = new URL(server.url);
    const status = await new Promise<number | undefined>((done, fail) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/api/status', headers: { host: `attacker.example:${port}` } },
        (res) => {
          res.resume();
          done(res.statusCode);
        },
      );
      req.on('error', fail);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('refuses a rebound host name on a wildcard bind and says which --allowed-host to pass', async () => {
    const open = await startStatusServer({ scheduler, host: '0.0.0.0', port: 0 });
    try {
      const evil = `evil.example:${open.port}`;
      const page = await rawRequest(open.port, { path: '/', headers: { host: evil } });
      expect(page.status).toBe(403);
      expect(page.body).toContain('--allowed-host evil.example');
      expect(page.body).not.toContain('csrf');
      const run = await rawRequest(open.port, {
        path: '/api/run',
        method: 'POST',
        headers: {
          host: evil,
          origin: `http://${evil}`,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        },
        body: '{"fullRefresh":true}',
      });
      expect(run.status).toBe(403);
      expect((await listRuns(500)).filter((r) => r.trigger === 'manual')).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it("answers on a wildcard bind to the machine's own address and to the allowed names", async () => {
    const open = await startStatusServer({
      scheduler,
      host: '0.0.0.0',
      port: 0,
      allowedHosts: ['prints.lan'],
    });
    try {
      for (const name of [machineAddress(), hostname(), 'localhost', 'prints.lan']) {
        const answer = await rawRequest(open.port, {
          path: '/api/status',
          headers: { host: `${name}:${open.port}` },
        });
        expect(answer.status, name).toBe(200);
      }
      expect((await rawRequest(open.port, { path: '/', headers: { host: 'prints.lan' } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('warns that anyone on the network can start runs when it listens beyond loopback with no token', async () => {
    const projectDir = join(dir, 'project');
    const lines: string[][] = [];
    for (const token of [undefined, 'tok-51d0']) {
      const logger = recordingLogger();
      const service = await startScheduleService({
        engine: openEngine(join(dir, 'service.db')),
        projectDir,
        cron: neverCron,
        pollIntervalMs: 0,
        host: '0.0.0.0',
        port: 0,
        logger,
        ...(token ? { token } : {}),
      });
      await service.stop();
      lines.push(logger.lines.filter((line) => line.includes('with no token')));
    }
    expect(lines[0]).toHaveLength(1);
    expect(lines[0]?.[0]).toMatch(/anyone .* can start runs.*--token/);
    expect(lines[1]).toEqual([]);
  });

  it('asks for the bearer token when one is configured, and never shows it', async () => {
    const secret = 'tok-3f9a1c7e';
    const guarded = await startStatusServer({ scheduler, port: 0, token: secret });
    try {
      expect((await fetch(`${guarded.url}api/status`)).status).toBe(401);
      const wrong = await fetch(`${guarded.url}api/status`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${guarded.url}api/status`, { headers: { authorization: `Bearer ${secret}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).not.toContain(secret);
      expect(await (await fetch(guarded.url)).text()).not.toContain(secret);
    } finally {
      await guarded.close();
    }
  });
});

describe('the status page in a browser', () => {
  it('shows the sensor run, starts a manual run from "Run now" and opens a run under its row', async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    const runRows = page.locator('#runs > tbody > tr[data-run-id]');
    await runRows.first().waitFor();
    expect(await runRows.count()).toBe(1);
    expect(await runRows.first().locator('.chip.sensor').textContent()).toBe('sensor');
    expect(await runRows.first().locator('code').textContent()).toBe('--tags bronze --include-dependents');
    expect(await page.locator('#sensor-badge').textContent()).toContain('RUNNING');
    expect(await page.locator('#sensor-selection').textContent()).toBe('--tags bronze --include-dependents');
    expect(await page.locator('#assertions tbody').textContent()).toContain('assertions.no_poison_jobs');
    await page.screenshot({ path: screenshotPath('scheduler-status-page-top') });

    await page.fill('#run-form input[name="tags"]', 'bronze');
    await page.check('#run-form input[name="fullRefresh"]');
    await page.click('#run-button');
    await runRows.nth(1).waitFor();
    expect(await page.locator('#message').textContent()).toMatch(/Run \d+ SUCCESSFUL/);
    const manual = runRows.first();
    expect(await manual.locator('.chip.manual').textContent()).toBe('manual');
    expect(await manual.locator('.chip.full-refresh').textContent()).toBe('full refresh');
    expect(await manual.locator('code').textContent()).toBe('--tags bronze');
    // The run just started is open right under its row.
    const detailRow = page.locator('#runs > tbody > tr.detail-row');
    await detailRow.locator('#run-actions tbody tr').nth(1).waitFor();
    expect(await manual.evaluate((tr) => tr.nextElementSibling?.className)).toMatch(/^detail-row/);

    // Clicking another run moves the details under it, in view; clicking it again closes them.
    const sensorRun = runRows.nth(1);
    await sensorRun.click();
    await page.locator('#run-title', { hasText: 'sensor' }).waitFor();
    expect(await sensorRun.getAttribute('aria-expanded')).toBe('true');
    expect(await sensorRun.evaluate((tr) => tr.nextElementSibling?.textContent)).toContain('main.jobs_brz');
    const box = await detailRow.boundingBox();
    expect(box && box.y >= 0 && box.y < 900).toBe(true);
    await page.screenshot({ path: screenshotPath('scheduler-status-page-run-open') });
    await sensorRun.press('Enter');
    await detailRow.waitFor({ state: 'detached' });
    expect(await page.locator('#run-detail').isVisible()).toBe(false);

    const runs = (await listRuns()).filter((run) => run.trigger === 'manual');
    expect(runs).toHaveLength(1);
    expect(runs[0]?.selection.tags).toEqual(['bronze']);
    expect(runs[0]?.fullRefresh).toBe(true);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'scheduler-status-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists the recent jobs and the printers, with names as text', async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    const job = page.locator('#jobs tbody tr').first();
    await job.locator('td').nth(4).waitFor();
    expect(await job.locator('td').allTextContents()).toEqual([
      'benchy <b>bold</b>',
      'Workshop P1S P1S-A',
      expect.any(String),
      expect.stringMatching(/^\d+ s$/),
      'finished',
    ]);
    expect(await page.locator('#jobs b').count()).toBe(0);
    expect(await page.locator('#jobs-source').textContent()).toContain('jobs_brz');
    const printers = page.locator('#printers tbody tr');
    expect(await printers.count()).toBe(2);
    expect(await printers.nth(0).locator('td').allTextContents()).toEqual([
      'Garage <i>X1C</i>X1C-B',
      'never',
      'idle',
    ]);
    expect(await printers.nth(1).locator('td').allTextContents()).toEqual([
      'Workshop P1SP1S-A',
      '42 s ago',
      'idle',
    ]);
    expect(await page.locator('#printers i').count()).toBe(0);
    expect(await printers.nth(1).locator('code.serial').textContent()).toBe('P1S-A');
    expect(await page.content()).not.toContain('FP:12:34');
    await page.close();
  });

  it('draws the chart across its card and groups the cursor reset apart from Stop sensor', async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await page.locator('#chart svg rect').first().waitFor({ state: 'attached' });
    const widths = await page.evaluate(() => ({
      chart: document.getElementById('chart')?.clientWidth ?? 0,
      svg: document.querySelector('#chart svg')?.getBoundingClientRect().width ?? 0,
    }));
    expect(widths.chart).toBeGreaterThan(1000);
    expect(Math.abs(widths.svg - widths.chart)).toBeLessThan(2);
    expect(
      await page.locator('#chart svg text', { hasText: /^[A-Z][a-z]{2} \d{1,2}$/ }).count(),
    ).toBeGreaterThan(3);
    const reset = page.locator('#reset-form');
    expect(await reset.locator('label').textContent()).toBe('Reset cursor to');
    expect(await reset.locator('#reset-sensor').textContent()).toBe('Reset cursor');
    expect(await reset.locator('#toggle-sensor').count()).toBe(0);
    expect(await page.locator('#reset-to').getAttribute('aria-describedby')).toBe('reset-note');
    // On a phone the chart is redrawn at the card's width and nothing widens the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => {
      const chart = document.getElementById('chart');
      const drawn = Number(chart?.querySelector('svg')?.getAttribute('width'));
      return chart !== null && drawn === Math.max(320, chart.clientWidth);
    });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('scheduler-status-page-phone'), fullPage: true });
    await page.close();
  });

  it('takes the token from the address fragment and keeps it out of the address bar', async () => {
    const secret = 'tok-8b2d44';
    const guarded = await startStatusServer({ scheduler, port: 0, token: secret });
    try {
      const page = await (await launch()).newPage();
      await page.goto(`${guarded.url}#token=${secret}`);
      await page.locator('#runs tbody tr[data-run-id]').first().waitFor();
      expect(page.url()).not.toContain(secret);
      expect(await page.content()).not.toContain(secret);
      await page.close();
    } finally {
      await guarded.close();
    }
  });

  it('does not start a run when a page on another origin posts to it', async () => {
    const before = (await listRuns(500)).length;
    const target = `${server.url}api/run`;
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="POST" action="${target}" enctype="text/plain">
        <input name='{"tags":["bronze"],"x":"' value='"}'></form>
        <script>
          fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' })
            .finally(() => fetch(${JSON.stringify(target)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => {}))
            .finally(() => { document.title = 'sent'; document.getElementById('f').submit(); });
        </script>`);
    });
    await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
    try {
      const page = await (await launch()).newPage();
      const port = (evil.address() as AddressInfo).port;
      // The form is submitted last, after both fetches have settled: its answer ends the attack.
      const submitted = page.waitForResponse(
        (response) => response.url() === target && response.request().resourceType() === 'document',
        { timeout: 15_000 },
      );
      // Another origin: a different host name for the same loopback address.
      await page.goto(`http://localhost:${port}/`);
      expect((await submitted).status()).toBe(415);
      await page.close();
    } finally {
      await new Promise<void>((done) => evil.close(() => done()));
    }
    expect(await listRuns(500)).toHaveLength(before);
  });

  it('shows a failing assertion with its failing row count', async () => {
    new RawLayerWriter(db).start('X1C-B', 'bad-1', 'poison');
    new RawLayerWriter(db).end('bad-1');
    expect((await scheduler.tick('cron')).decision).toBe('FAILED');
    const page = await (await launch()).newPage();
    await page.goto(server.url);
    const row = page.locator('#assertions tbody tr', { hasText: 'no_poison_jobs' });
    await row.locator('.FAILED').waitFor();
    expect(await row.locator('td').nth(2).textContent()).toBe('1');
    await page.close();
  });

  it('cancels a manual run in flight from its "Cancel run" button, which shows while the run is RUNNING', async () => {
    // Its own scheduler on the same file, over a project with an action that runs until stopped.
    const slowProject = writeSlowAction(writeSensorProject(join(dir, 'slow-project')));
    expect((await compileProject({ projectDir: slowProject })).ok).toBe(true);
    const slowScheduler = createScheduler({
      engine: openEngine(join(dir, 'history.db')),
      projectDir: slowProject,
      cron: neverCron,
      pollIntervalMs: 0,
    });
    const slowServer = await startStatusServer({ scheduler: slowScheduler, port: 0 });
    try {
      const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(slowServer.url);
      await page.locator('#sensor-badge', { hasText: 'STOPPED' }).waitFor();
      expect(await page.locator('#cancel-run').isVisible()).toBe(false);
      await page.fill('#run-form input[name="actions"]', 'slow_brz');
      await page.click('#run-button');
      // The page refreshes every 2 s; the button appears with the refresh that sees the run.
      await page.locator('#cancel-run').waitFor({ state: 'visible', timeout: 10_000 });
      expect(
        await page.locator('#runs > tbody > tr[data-run-id]').first().locator('.RUNNING').textContent(),
      ).toBe('RUNNING');
      await page.screenshot({ path: screenshotPath('scheduler-status-page-cancel') });
      await page.click('#cancel-run');
      await page.locator('#message', { hasText: /Run \d+ CANCELLED/ }).waitFor();
      expect(await page.locator('#message').textContent()).toContain('cancelled from the status page');
      await page.locator('#cancel-run').waitFor({ state: 'hidden' });
      await page.locator('#runs > tbody > tr[data-run-id] .CANCELLED').first().waitFor();
      const [latest] = await (await slowScheduler.history()).listRuns({ limit: 1 });
      expect(latest?.status).toBe('CANCELLED');
      expect(latest?.counts.CANCELLED).toBe(1);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await slowServer.close();
      await slowScheduler.close();
    }
  });
});
