/**
 * The scheduler on PostgreSQL: the same sensor state, ticks, run lock, run history and cancel, through
 * the engine a postgres:// URL opens, on a real server. (The listener writes only SQLite so far, so
 * here the raw layer is written with plain SQL.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as adapterFunctions from '../adapter/index.js';
import { compileProject, openEngine } from '../adapter/index.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { type PostgresServer, startPostgres } from './helpers/postgres-server.js';

const neverCron: Cron = { schedule: () => ({ stop: () => undefined }), validate: () => true };

let server: PostgresServer;
let projectDir: string;
let databases = 0;
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  server = await startPostgres();
  projectDir = mkdtempSync(join(tmpdir(), 'sched-pg-project-'));
  mkdirSync(join(projectDir, 'definitions'), { recursive: true });
  writeFileSync(
    join(projectDir, 'workflow_settings.yaml'),
    'defaultProject: bambuzled\ndefaultDataset: main\ndefaultAssertionDataset: assertions\n',
  );
  writeFileSync(
    join(projectDir, 'definitions', 'counts_brz.sqlx'),
    'config { type: "table", tags: ["bronze"] }\nSELECT 1 AS one\n',
  );
  // Runs until it is cancelled (the executor's cancel request stops it).
  writeFileSync(
    join(projectDir, 'definitions', 'slow_brz.sqlx'),
    'config { type: "table", tags: ["slow"] }\nSELECT pg_sleep(600) IS NULL AS slept\n',
  );
  const compiled = await compileProject({ projectDir });
  expect(compiled.ok, compiled.ok ? '' : compiled.message).toBe(true);
}, 120_000);

afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.close();
});

afterAll(async () => {
  await server?.stop();
  if (projectDir) rmSync(projectDir, { recursive: true, force: true });
});

async function freshScheduler(): Promise<Scheduler> {
  const name = `sched_${++databases}`;
  await server.createDatabase(name);
  const scheduler = createScheduler({
    engine: openEngine(server.urlFor(name)),
    projectDir,
    cron: neverCron,
    pollIntervalMs: 0,
  });
  schedulers.push(scheduler);
  return scheduler;
}

describe('the scheduler on PostgreSQL', () => {
  it('records a skipped tick before the listener has written anything, and runs a manual selection', async () => {
    const scheduler = await freshScheduler();
    const tick = await scheduler.tick('cron');
    expect(tick.decision).toBe('SKIPPED');
    expect(tick.reason).toContain('no job ended since change 0');
    expect((await scheduler.ticks(5)).map((t) => t.tickId)).toEqual([tick.tickId]);
    const run = await scheduler.runNow({ tags: ['bronze'] });
    expect(run.status, run.error).toBe('SUCCESSFUL');
    const status = await scheduler.status();
    expect(status.lock).toBeNull();
    expect((await (await scheduler.history()).listRuns()).map((r) => [r.trigger, r.status])).toEqual([
      ['manual', 'SUCCESSFUL'],
    ]);
    expect(await scheduler.resetCursor(0)).toEqual({ before: 0, after: 0 });
  });

  it('cancels a run in flight mid-statement', async () => {
    const scheduler = await freshScheduler();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slowScheduler = createScheduler({
      engine: openEngine(server.urlFor(`sched_${databases}`)),
      projectDir,
      cron: neverCron,
      pollIntervalMs: 0,
      adapter: {
        ...adapterFunctions,
        runGraph: (graph, options) => {
          started();
          return adapterFunctions.runGraph(graph, options);
        },
      },
    });
    schedulers.push(slowScheduler);
    await scheduler.open();
    const run = slowScheduler.runNow({ tags: ['slow'] });
    await running;
    // The statement is in flight once the run is recorded RUNNING and its action has begun.
    for (;;) {
      const [latest] = await (await scheduler.history()).listRuns({ limit: 1 });
      if (latest?.status === 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const began = Date.now();
    expect(await slowScheduler.cancel('cancelled by the test')).toBe(true);
    const result = await run;
    // Far below the statement's 600 s: it was cancelled, not waited for (a deadline, not a speed figure).
    expect(Date.now() - began).toBeLessThan(60_000);
    expect(result.status).toBe('CANCELLED');
    expect(result.actions.map((a) => [a.name, a.status])).toEqual([['main.slow_brz', 'CANCELLED']]);
  });
});
