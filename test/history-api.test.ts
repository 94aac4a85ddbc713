import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compileProject, openEngine, openSqliteExecutor, runGraph } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase } from '../lib/sqlite.js';
import { type Cron, createScheduler } from '../scheduler/scheduler.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { recordLiveSession } from './helpers/live-session.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field, as a client would.
type Json = Record<string, any>;

const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
const neverCron: Cron = {
  schedule: () => ({ stop: () => undefined, getNextRun: () => new Date('2026-11-27T12:00:30.000Z') }),
  validate: () => true,
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A database file of its own (the scheduler's connections are processes: they cannot share :memory:). */
function tempDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'history-api-'));
  const dbPath = join(dir, 'history.db');
  const db = openDatabase(dbPath);
  cleanup.push(async () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, dbPath };
}

async function serve(dbPath: string, token?: string, now?: () => Date): Promise<StatusServer> {
  const scheduler = createScheduler({
    engine: openEngine(dbPath),
    projectDir: PROJECT_DIR,
    cron: neverCron,
    pollIntervalMs: 0,
  });
  await scheduler.open();
  const server = await startStatusServer({
    scheduler,
    port: 0,
    ...(token ? { token } : {}),
    ...(now ? { now } : {}),
  });
  cleanup.push(async () => {
    await server.close();
    await scheduler.close();
  });
  return server;
}

async function get(server: StatusServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(path, server.url), { headers });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A recorded session with the models built by the real project, as after `bambuzled run`. */
async function historyWithModels() {
  const session = await recordLiveSession(cleanup);
  const compiled = await compileProject({ projectDir: PROJECT_DIR });
  if (!compiled.ok) throw new Error('the project does not compile');
  const executor = await openSqliteExecutor(session.dbPath);
  const run = await runGraph(compiled.graph, { executor, trigger: 'test' });
  await executor.close();
  expect(run.status).toBe('SUCCESSFUL');
  return session;
}

describe("Moonraker's history API on the status server", () => {
  it("lists the jobs of jobs_slv in Moonraker's shape, with figures that agree with jobs_slv", async () => {
    const { db, dbPath } = await historyWithModels();
    const server = await serve(dbPath);
    const { status, body } = await get(server, '/server/history/list?order=asc');
    expect(status).toBe(200);
    const slv = db.prepare('SELECT * FROM jobs_slv ORDER BY started_at').all() as Json[];
    expect(body.result.count).toBe(4);
    // The jobs' .3mf came over FTPS: real grams and metres to agree with, not only NULLs.
    expect(slv.filter((r) => r.filament_g !== null).length).toBeGreaterThanOrEqual(2);
    expect(body.result.jobs).toHaveLength(4);
    body.result.jobs.forEach((job: Json, i: number) => {
      const row = slv[i]!;
      expect(Object.keys(job).sort()).toEqual(
        [
          'auxiliary_data',
          'end_time',
          'exists',
          'filament_used',
          'filename',
          'job_id',
          'metadata',
          'print_duration',
          'start_time',
          'status',
          'total_duration',
          'user',
        ].sort(),
      );
      expect(job.job_id).toBe(row.job_id);
      expect(job.start_time).toBe(Date.parse(row.started_at) / 1000);
      expect(job.end_time).toBe(Date.parse(row.ended_at) / 1000);
      expect(job.total_duration).toBe(row.duration_s);
      expect(job.print_duration).toBe(row.printing_s ?? 0);
      expect(job.filament_used).toBeCloseTo(row.filament_m === null ? 0 : row.filament_m * 1000, 3);
      expect(job.metadata.filament_weight_total).toBe(row.filament_g ?? undefined);
      expect(job.metadata.estimated_time).toBe(row.estimated_s ?? undefined);
      expect(job.status).toBe(
        {
          finished: 'completed',
          cancelled: 'cancelled',
          failed: 'error',
          ended_while_disconnected: 'interrupted',
        }[row.outcome as string],
      );
    });
    expect(body.result.jobs.map((j: { status: string }) => j.status).sort()).toEqual([
      'cancelled',
      'completed',
      'completed',
      'error',
    ]);

    const desc = await get(server, '/server/history/list?limit=2&start=1');
    expect(desc.body.result.jobs.map((j: { job_id: string }) => j.job_id)).toEqual([
      slv[2]!.job_id,
      slv[1]!.job_id,
    ]);
    const since = Date.parse(slv[1]!.started_at) / 1000;
    const after = await get(server, `/server/history/list?since=${since}&order=asc`);
    const startedAfter = slv.filter((r) => Date.parse(r.started_at) / 1000 > since).map((r) => r.job_id);
    expect(startedAfter.length).toBeGreaterThan(0);
    expect(after.body.result.jobs.map((j: { job_id: string }) => j.job_id)).toEqual(startedAfter);
    const before = Date.parse(slv[1]!.ended_at) / 1000 + 0.001;
    const older = await get(server, `/server/history/list?before=${before}&order=asc`);
    const endedBefore = slv.filter((r) => Date.parse(r.ended_at) / 1000 < before).map((r) => r.job_id);
    expect(endedBefore.length).toBeGreaterThan(0);
    expect(endedBefore.length).toBeLessThan(4);
    expect(older.body.result.jobs.map((j: { job_id: string }) => j.job_id)).toEqual(endedBefore);
  });

  it('answers one job by uid, and 404 for a uid it does not know', async () => {
    const { db, dbPath } = await historyWithModels();
    const server = await serve(dbPath);
    const row = db.prepare(`SELECT * FROM jobs_slv WHERE outcome = 'cancelled'`).get() as Json;
    const one = await get(server, `/server/history/job?uid=${encodeURIComponent(row.job_id)}`);
    expect(one.status).toBe(200);
    expect(one.body.result.job).toMatchObject({
      job_id: row.job_id,
      status: 'cancelled',
      total_duration: row.duration_s,
    });
    expect(one.body.result.job.auxiliary_data).toContainEqual(
      expect.objectContaining({ name: 'printer_serial', value: row.printer_serial }),
    );
    const missing = await get(server, '/server/history/job?uid=nope');
    expect(missing).toEqual({
      status: 404,
      body: { error: { code: 404, message: 'Invalid job uid: nope' } },
    });
  });

  it('computes the totals from the models, in agreement with jobs_slv', async () => {
    const { db, dbPath } = await historyWithModels();
    const server = await serve(dbPath);
    const { body } = await get(server, '/server/history/totals');
    const sums = db
      .prepare(
        `SELECT COUNT(*) AS n, SUM(duration_s) AS t, SUM(printing_s) AS p, SUM(filament_m) AS m,
                MAX(duration_s) AS longest, MAX(printing_s) AS longestPrint FROM jobs_slv`,
      )
      .get() as {
      n: number;
      t: number;
      p: number | null;
      m: number | null;
      longest: number;
      longestPrint: number | null;
    };
    expect(body.result).toEqual({
      job_totals: {
        total_jobs: sums.n,
        total_time: sums.t,
        total_print_time: sums.p ?? 0,
        total_filament_used: Math.round((sums.m ?? 0) * 1000 * 1000) / 1000,
        longest_job: sums.longest,
        longest_print: sums.longestPrint ?? 0,
      },
      auxiliary_totals: [],
    });
  });

  it("converts printing seconds, metres and grams from jobs_slv into Moonraker's units", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-api-units-'));
    const dbPath = join(dir, 'history.db');
    const db = openDatabase(dbPath);
    cleanup.push(async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    db.exec(`CREATE TABLE jobs_slv (job_id TEXT, printer_serial TEXT, printer_name TEXT, job_name TEXT, gcode_file TEXT,
      outcome TEXT, started_at TEXT, ended_at TEXT, duration_s INTEGER, printing_s INTEGER, estimated_s INTEGER,
      filament_g REAL, filament_m REAL, filament_type TEXT, filament_color TEXT, total_layers INTEGER, nozzle_diameter TEXT);
      INSERT INTO jobs_slv VALUES ('j1', 'S1', 'left', 'Benchy', 'benchy.gcode.3mf', 'finished',
        '2025-05-01T10:00:00.000Z', '2025-05-01T11:00:00.000Z', 3600, 3000, 3100, 12.5, 4.25, 'PLA', 'FF0000FF', 200, '0.4');
      INSERT INTO jobs_slv VALUES ('j2', 'S1', 'left', 'Cube', NULL, 'ended_while_disconnected',
        '2025-05-02T10:00:00.000Z', '2025-05-02T10:30:00.000Z', 1800, 1700, NULL, NULL, NULL, NULL, NULL, NULL, NULL);`);
    const server = await serve(dbPath);
    const { body } = await get(server, '/server/history/list?order=asc');
    expect(body.result.jobs[0]).toMatchObject({
      filename: 'benchy.gcode.3mf',
      print_duration: 3000,
      total_duration: 3600,
      filament_used: 4250,
      metadata: { filament_weight_total: 12.5, estimated_time: 3100, filament_total: 4250, layer_count: 200 },
    });
    expect(body.result.jobs[1]).toMatchObject({
      filename: 'Cube',
      status: 'interrupted',
      filament_used: 0,
      metadata: {},
    });
    const totals = await get(server, '/server/history/totals');
    expect(totals.body.result.job_totals).toEqual({
      total_jobs: 2,
      total_time: 5400,
      total_print_time: 4700,
      total_filament_used: 4250,
      longest_job: 3600,
      longest_print: 3000,
    });
  });

  it('lists a job still printing as in_progress, from the raw layer, before and after the first run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-api-open-'));
    const dbPath = join(dir, 'history.db');
    const db = openDatabase(dbPath);
    cleanup.push(async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    migrateRawSchema(db);
    db.exec(`INSERT INTO jobs_raw (job_key, printer_serial, printer_name, subtask_name, status, started_at, change_seq, updated_at)
      VALUES ('open-1', 'S1', 'left', 'Vase', 'running', '2026-01-01T10:00:00.000Z', 1, '2026-01-01T10:00:00.000Z')`);
    const now = new Date('2026-01-01T10:10:00.000Z');
    const server = await serve(dbPath, undefined, () => now);
    const { body } = await get(server, '/server/history/list');
    expect(body.result.jobs).toEqual([
      expect.objectContaining({
        job_id: 'open-1',
        status: 'in_progress',
        filename: 'Vase',
        end_time: null,
        total_duration: 600,
      }),
    ]);
    expect((await get(server, '/server/history/job?uid=open-1')).body.result.job.status).toBe('in_progress');
    expect((await get(server, '/server/history/list?before=1893456000')).body.result.jobs).toEqual([]);
    expect((await get(server, '/server/history/totals')).body.result.job_totals.total_jobs).toBe(0);
  });

  it('answers an empty history before the first run', async () => {
    const { dbPath } = tempDatabase();
    const server = await serve(dbPath);
    expect((await get(server, '/server/history/list')).body).toEqual({ result: { count: 0, jobs: [] } });
    expect((await get(server, '/server/history/totals')).body.result.job_totals.total_jobs).toBe(0);
  });

  it('refuses bad query parameters with a 400 that says what to send', async () => {
    const { dbPath } = tempDatabase();
    const server = await serve(dbPath);
    const cases: [string, string][] = [
      ['/server/history/list?limit=ten', 'Invalid `limit` value "ten": use a whole number of 0 or more.'],
      ['/server/history/list?start=-1', 'Invalid `start` value "-1": use a whole number of 0 or more.'],
      [
        '/server/history/list?since=yesterday',
        'Invalid `since` value "yesterday": use a unix time in seconds, e.g. 1714550400.',
      ],
      [
        '/server/history/list?before=1e99',
        'Invalid `before` value "1e99": use a unix time in seconds, e.g. 1714550400.',
      ],
      ['/server/history/list?order=up', 'Invalid `order` value "up": use asc or desc.'],
      [
        '/server/history/job',
        'The `uid` parameter is missing: /server/history/job?uid=<job_id from /server/history/list>.',
      ],
    ];
    for (const [path, message] of cases) {
      expect(await get(server, path)).toEqual({ status: 400, body: { error: { code: 400, message } } });
    }
  });

  it('needs the token when the server has one, like the rest of the API', async () => {
    const { dbPath } = tempDatabase();
    const server = await serve(dbPath, 's3cret-token');
    const refused = await get(server, '/server/history/totals');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe(401);
    expect(JSON.stringify(refused.body)).not.toContain('s3cret-token');
    expect((await get(server, '/server/history/totals', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(
      (await get(server, '/server/history/totals', { authorization: 'Bearer s3cret-token' })).status,
    ).toBe(200);
  });
});
