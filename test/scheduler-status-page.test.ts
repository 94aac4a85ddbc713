import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, listRuns } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { RawLayerWriter, writeSensorProject } from '../scheduler/sandbox.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { launchChromium } from './helpers/browser.js';

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
  scheduler = createScheduler({ db, projectDir, cron: neverCron, pollIntervalMs: 0 });
  scheduler.start();
  await scheduler.idle();
  server = await startStatusServer({ scheduler, db, port: 0 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await scheduler?.stop();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function launch(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

function post(path: string, headers: Record<string, string>, body = '{}') {
  return fetch(new URL(path, server.url), { method: 'POST', headers, body });
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

  it('refuses POSTs that a page on another site could send', async () => {
    const origin = new URL(server.url).origin;
    const json = { 'content-type': 'application/json' };
    expect((await post('/api/run', { 'content-type': 'text/plain', origin })).status).toBe(415);
    expect((await post('/api/run', { ...json, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post('/api/run', { ...json, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/api/run', { ...json })).status).toBe(403);
    expect(listRuns(db).filter((run) => run.trigger === 'manual')).toEqual([]);
    const reset = await post('/api/sensor/reset', { ...json, origin }, JSON.stringify({ to: 2 }));
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ before: 2, after: 2 });
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

  it('asks for the bearer token when one is configured, and never shows it', async () => {
    const secret = 'tok-3f9a1c7e';
    const guarded = await startStatusServer({ scheduler, db, port: 0, token: secret });
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
  it('shows the sensor run and starts a manual run from "Run now"', async () => {
    const page = await (await launch()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.locator('#runs tbody tr[data-run-id]').first().waitFor();
    expect(await page.locator('#runs tbody tr').count()).toBe(1);
    expect(await page.locator('#runs tbody tr').first().textContent()).toContain('sensor');
    expect(await page.locator('#sensor-badge').textContent()).toContain('RUNNING');
    expect(await page.locator('#assertions tbody').textContent()).toContain('assertions.no_poison_jobs');
    await page.fill('#run-form input[name="tags"]', 'bronze');
    await page.click('#run-button');
    await page.locator('#runs tbody tr[data-run-id]').nth(1).waitFor();
    expect(await page.locator('#runs tbody tr').first().textContent()).toContain('manual');
    expect(await page.locator('#message').textContent()).toMatch(/Run \d+ SUCCESSFUL/);
    await page.locator('#runs tbody tr').first().click();
    await page.locator('#run-actions tbody tr').nth(1).waitFor();
    expect(await page.locator('#run-actions').textContent()).toContain('main.jobs_brz');
    const manual = listRuns(db).filter((run) => run.trigger === 'manual');
    expect(manual).toHaveLength(1);
    expect(manual[0]?.selection.tags).toEqual(['bronze']);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'scheduler-status-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('takes the token from the address fragment and keeps it out of the address bar', async () => {
    const secret = 'tok-8b2d44';
    const guarded = await startStatusServer({ scheduler, db, port: 0, token: secret });
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
    const before = listRuns(db, { limit: 500 }).length;
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
    expect(listRuns(db, { limit: 500 })).toHaveLength(before);
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
});
