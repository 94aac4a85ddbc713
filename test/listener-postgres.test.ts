/**
 * The listener writing the raw layer into a real PostgreSQL server: several listeners at once, a
 * server that goes away mid-job, the CLI's bad input, and the scheduler's sensor reading the change
 * feed the listener wrote there.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compileProject, openEngine } from '../adapter/index.js';
import { runListen } from '../cli/commands/listen.js';
import { type Listener, startListener } from '../ingestion/listener.js';
import { changeFeed, jobsEndedSince } from '../ingestion/raw-changes.js';
import { recordingLogger } from '../lib/logger.js';
import { type Cron, createScheduler } from '../scheduler/scheduler.js';
import { buildJobScript } from '../simulator/job-scripts.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import type { PostgresServer } from './helpers/postgres-server.js';
import { openRawTarget, type RawTarget, rawPostgres, stopRawEngines } from './helpers/raw-engines.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000 };

let server: PostgresServer;
let cleanup: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  server = await rawPostgres();
}, 60_000);
afterEach(async () => {
  vi.restoreAllMocks();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});
afterAll(stopRawEngines);

async function target(): Promise<RawTarget> {
  const raw = await openRawTarget('postgresql');
  cleanup.push(() => raw.close());
  return raw;
}

async function farmOf(serials: string[], prefix: string) {
  const farm = await startSimulatedFarm({
    printers: serials.map((serial, i) => ({
      serial,
      model: 'P1S',
      accessCode: `c0de${i}XyZ`,
      name: `${prefix}-${i}`,
    })),
    checkIntervalS: 1,
  });
  cleanup.push(() => farm.close());
  return farm;
}

function listenerOn(raw: RawTarget, farm: Awaited<ReturnType<typeof farmOf>>, store = raw.store): Listener {
  const listener = startListener({
    config: farm.config,
    db: raw.db,
    store,
    logger: recordingLogger(),
    timing: FAST,
  });
  cleanup.push(() => listener.close());
  return listener;
}

describe('listeners writing into one PostgreSQL', () => {
  it('lands every job of two listeners once, and a reader following the change feed misses none', async () => {
    const raw = await target();
    const farmA = await farmOf(['01P00A000000101', '01P00A000000102'], 'site-a');
    const farmB = await farmOf(['01P00A000000201', '01P00A000000202'], 'site-b');
    const a = listenerOn(raw, farmA);
    // The second site's listener has a store (a pool) of its own, as another machine would.
    const b = listenerOn(raw, farmB, raw.openStore());
    await until(() => [a, b].every((l) => l.status().every((s) => s.connected && s.reports > 0)));

    // The scheduler's way of reading: everything ended after the cursor, the cursor moved to the last seen.
    const feed = changeFeed((sql, params) => raw.rows(sql, params), '"main"."job_events_raw"');
    const seen: string[] = [];
    let cursor = 0;
    let reading = true;
    const follower = (async () => {
      while (reading) {
        for (const job of await jobsEndedSince(feed, cursor)) {
          seen.push(job.jobKey);
          cursor = job.seq;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const printers = [...farmA.printers, ...farmB.printers];
    const jobsEach = 3;
    await Promise.all(
      printers.map(async (printer, p) => {
        for (let j = 0; j < jobsEach; j++) {
          await printer.play(
            buildJobScript(j % 2 ? 'cancel' : 'finish', { model: 'P1S', stepMs: 5, index: p * 10 + j }),
          );
        }
      }),
    );
    const expected = printers.length * jobsEach;
    await until(
      async () =>
        Number((await raw.rows('SELECT count(*) AS n FROM jobs_raw WHERE ended_at IS NOT NULL'))[0]?.n) ===
        expected,
      20_000,
    );
    await until(() => seen.length === expected, 10_000);
    reading = false;
    await follower;

    const rows = await raw.rows('SELECT job_key, printer_serial, status FROM jobs_raw ORDER BY job_key');
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.job_key)).size).toBe(expected);
    for (const printer of printers) {
      expect(rows.filter((r) => r.printer_serial === printer.serial)).toHaveLength(jobsEach);
    }
    expect(seen.sort()).toEqual(rows.map((r) => String(r.job_key)).sort());
    // One transition per seq, no seq twice: the sequence is shared and assigned in commit order.
    const seqs = (await raw.rows('SELECT seq FROM job_events_raw ORDER BY seq')).map((r) => Number(r.seq));
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 60_000);

  it('keeps the reports while the server refuses connections, and writes them with their own times after', async () => {
    const raw = await target();
    const farm = await farmOf(['01P00A000000301'], 'away');
    const listener = listenerOn(raw, farm);
    await until(() => listener.status().every((s) => s.connected && s.reports > 0));
    const database = new URL(raw.spec).pathname.slice(1);
    const admin = new pg.Client({ connectionString: server.urlFor('postgres') });
    await admin.connect();
    cleanup.push(() => admin.end());

    // The server goes away for this database: no new connections, and the open ones are cut.
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    const printer = farm.printers[0]!;
    const playedAt = new Date().toISOString();
    await printer.play(buildJobScript('finish', { model: 'P1S', stepMs: 10, index: 1 }));
    // Every report of the job has reached the listener once one sent after them has.
    const sentAt = Date.now();
    await printer.report({ wifi_signal: '-42dBm' });
    await until(() => Date.parse(listener.status()[0]!.lastReportAt ?? '') >= sentAt);
    // The first refusal may still be on its way (a connection attempt the server turns down).
    await until(() => listener.status()[0]!.writes.failing && listener.status()[0]!.writes.pending > 0);
    const waiting = listener.status()[0]!.writes;
    expect(waiting.lastError).toContain(`"${database}" on 127.0.0.1:${server.port}`);
    expect(waiting.lastError).not.toContain(server.password);

    const backAt = new Date().toISOString();
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    await until(() => listener.status()[0]!.writes.pending === 0, 15_000);
    const rows = await raw.rows('SELECT status, started_at, ended_at FROM jobs_raw');
    expect(rows.map((r) => r.status)).toEqual(['finished']);
    expect(String(rows[0]!.started_at) >= playedAt).toBe(true);
    expect(String(rows[0]!.ended_at) < backAt).toBe(true);
    expect(listener.status()[0]!.writes).toMatchObject({ failing: false, pending: 0, dropped: 0 });
  }, 60_000);

  it('runs the graph on the raw rows the listener wrote: the sensor sees the job end and builds jobs_brz there', async () => {
    const raw = await target();
    const projectDir = mkdtempSync(join(tmpdir(), 'pgraw-project-'));
    cleanup.push(() => rmSync(projectDir, { recursive: true, force: true }));
    mkdirSync(join(projectDir, 'definitions'));
    writeFileSync(
      join(projectDir, 'workflow_settings.yaml'),
      'defaultProject: bambuzled\ndefaultDataset: main\ndefaultAssertionDataset: assertions\n',
    );
    writeFileSync(
      join(projectDir, 'definitions', 'jobs_raw.sqlx'),
      'config { type: "declaration", name: "jobs_raw" }\n',
    );
    writeFileSync(
      join(projectDir, 'definitions', 'jobs_brz.sqlx'),
      `config { type: "incremental", tags: ["bronze"], uniqueKey: ["job_id"] }
SELECT job_key AS job_id, printer_serial, subtask_name AS job_name, total_layers
  FROM \${ref("jobs_raw")} WHERE status = 'finished'\n`,
    );
    expect((await compileProject({ projectDir })).ok).toBe(true);
    const neverCron: Cron = { schedule: () => ({ stop: () => undefined }), validate: () => true };
    const scheduler = createScheduler({
      engine: openEngine(raw.spec),
      projectDir,
      cron: neverCron,
      pollIntervalMs: 0,
    });
    cleanup.push(() => scheduler.close());
    expect((await scheduler.tick('cron')).decision).toBe('SKIPPED');

    const farm = await farmOf(['01P00A000000401'], 'graph');
    const listener = listenerOn(raw, farm);
    await until(() => listener.status().every((s) => s.connected && s.reports > 0));
    const script = buildJobScript('finish', { model: 'P1S', stepMs: 10, index: 7, layers: 42 });
    await farm.printers[0]!.play(script);
    await until(
      async () => (await raw.rows("SELECT 1 FROM jobs_raw WHERE status = 'finished'")).length === 1,
    );

    const tick = await scheduler.tick('cron');
    expect(tick.decision, tick.reason).toBe('REQUESTED');
    const built = await raw.rows('SELECT job_name, total_layers FROM "main"."jobs_brz"');
    expect(built).toEqual([{ job_name: script.identity.name, total_layers: 42 }]);
  }, 90_000);
});

describe('bambuzled listen --db postgres://…', () => {
  function config(dir: string): string {
    const path = join(dir, 'config.json');
    writeFileSync(
      path,
      JSON.stringify({
        printer_ip: '127.0.0.1',
        port: 1,
        access_code: 'c0de9XyZ',
        serial_number: '01P00A000000501',
      }),
    );
    return path;
  }
  function captureErrors(): string[] {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.join(' '));
    });
    return errors;
  }
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pgraw-cli-'));
    cleanup.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  it('exits 2 for a wrong password, naming the host and database and never the password', async () => {
    const errors = captureErrors();
    const url = `postgres://bambuzled:not-the-${server.password}@127.0.0.1:${server.port}/bambuzled`;
    const code = await runListen({ config: config(dir()), db: url }, Promise.resolve(), {});
    expect(code).toBe(2);
    const text = errors.join('\n');
    expect(text).toContain(`"bambuzled" on 127.0.0.1:${server.port}`);
    expect(text).toMatch(/password/i);
    expect(text).not.toContain(`not-the-${server.password}`);
  });

  it('exits 2 for a database the server does not have, saying how to create it', async () => {
    const errors = captureErrors();
    const code = await runListen(
      { config: config(dir()), db: server.urlFor('no_such_db') },
      Promise.resolve(),
      {},
    );
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('createdb no_such_db');
    expect(errors.join('\n')).not.toContain(server.password);
  });

  it('exits 2 for a user without the right to create the raw schema, naming the user and what to grant', async () => {
    const errors = captureErrors();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    cleanup.push(() => admin.end());
    await admin.query(`DROP ROLE IF EXISTS lowly`);
    await admin.query(`CREATE ROLE lowly LOGIN PASSWORD 'lowly-pw-123'`);
    await server.createDatabase('locked_down');
    const url = `postgres://lowly:lowly-pw-123@127.0.0.1:${server.port}/locked_down`;
    const code = await runListen({ config: config(dir()), db: url }, Promise.resolve(), {});
    expect(code).toBe(2);
    const text = errors.join('\n');
    expect(text).toContain(
      `permission denied on the PostgreSQL database "locked_down" on 127.0.0.1:${server.port} for user lowly`,
    );
    expect(text).toContain('grant');
    expect(text).not.toContain('lowly-pw-123');
  });
});
