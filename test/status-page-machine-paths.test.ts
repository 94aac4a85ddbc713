import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/index.js';
import { openDatabase, type SqliteDatabase } from '../lib/index.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { RawLayerWriter, writeSensorProject } from './helpers/sensor-sandbox.js';

/**
 * The status page may be opened from the LAN: like the docs site, it names the project and the
 * database, never a folder of the machine, in any answer a user can reach (the page, its script, the
 * JSON API, Moonraker's history API, the POST answers and the errors).
 */
const neverCron: Cron = { schedule: () => ({ stop: () => undefined }), validate: () => true };

let root: string;
let db: SqliteDatabase;
let scheduler: Scheduler;
let server: StatusServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'status-paths-'));
  const projectDir = writeSensorProject(join(root, 'farm-project'));
  mkdirSync(join(root, 'data'));
  const dbPath = join(root, 'data', 'history.db');
  db = openDatabase(dbPath);
  migrateRawSchema(db);
  const writer = new RawLayerWriter(db);
  writer.start('P1S-A', 'benchy-1', 'benchy');
  writer.end('benchy-1');
  writer.start('P1S-A', 'poison-1', 'poison');
  writer.end('poison-1', 'failed');
  scheduler = createScheduler({ engine: openEngine(dbPath), projectDir, cron: neverCron, pollIntervalMs: 0 });
  // A good run first (its runs, its failing assertion's sample), then a project that no longer
  // compiles: the failed tick and the refused manual run quote the project's folder.
  expect((await scheduler.tick('test')).decision).toBe('REQUESTED');
  writeFileSync(join(projectDir, 'definitions', 'broken.js'), 'this is not javascript (\n');
  writer.start('P1S-A', 'benchy-2', 'benchy 2');
  writer.end('benchy-2');
  expect((await scheduler.tick('test')).decision).toBe('FAILED');
  server = await startStatusServer({ scheduler, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await scheduler?.close();
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(new URL(path, server.url));
  return { status: response.status, text: await response.text() };
}

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const origin = new URL(server.url).origin;
  const response = await fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('the status page names the project and the database, never a folder of the machine', () => {
  it('has the folder in what the scheduler records, so that hiding it is not vacuous', async () => {
    await expect(scheduler.runNow({ tags: ['bronze'] })).rejects.toThrow(root);
    expect((await scheduler.status()).projectDir).toContain(root);
  });

  it('shows the project by its folder name in /api/status', async () => {
    const status = JSON.parse((await get('/api/status')).text) as { sensor: { projectDir: string } };
    expect(status.sensor.projectDir).toBe('farm-project');
  });

  it('answers every GET a user can reach without the absolute path', async () => {
    const runs = JSON.parse((await get('/api/runs')).text) as { runs: { id: number }[] };
    expect(runs.runs.length).toBeGreaterThan(0);
    // The sandbox project has no silver models: Moonraker's list answers with its error, no jobs.
    const list = JSON.parse((await get('/server/history/list')).text) as {
      result?: { jobs: { job_id: string }[] };
    };
    const paths = [
      '/',
      '/assets/status-page.js',
      '/assets/chart.umd.min.js',
      '/api/status',
      '/api/runs',
      ...runs.runs.map((run) => `/api/runs/${run.id}`),
      '/api/runs/999999',
      '/api/ticks',
      '/api/history',
      '/api/jobs',
      '/api/owners',
      '/api/printers',
      '/api/nothing-here',
      '/nothing-here',
      '/server/history/list',
      ...(list.result?.jobs ?? []).map((job) => `/server/history/job?uid=${encodeURIComponent(job.job_id)}`),
      '/server/history/job',
      '/server/history/job?uid=benchy-1',
      '/server/history/totals',
    ];
    for (const path of paths) {
      const answer = await get(path);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.text.includes(root), `GET ${path}: ${answer.text.slice(0, 300)}`).toBe(false);
    }
  });

  it('answers every POST without the absolute path, a refused run included', async () => {
    const run = await post('/api/run', { tags: ['bronze'] });
    expect(run.status).toBe(422);
    expect(run.text).toContain('farm-project');
    const answers = [
      run,
      await post('/api/run/cancel', {}),
      await post('/api/sensor/reset', { to: 0 }),
      await post('/api/sensor/stop', {}),
      await post('/api/sensor/start', {}),
      await post('/api/sensor/stop', {}),
    ];
    for (const answer of answers) expect(answer.text.includes(root), answer.text).toBe(false);
  });
});
