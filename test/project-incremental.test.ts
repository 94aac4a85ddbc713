/**
 * Incremental silver and gold give the rows a full build gives: the real project on a SQLite raw
 * layer that grows and changes between runs (new jobs, also on days already aggregated; an open job
 * that ends; a lost job re-attached that finishes on another filament; figures that arrive a run
 * late; a restatement that moves a job to another day and week), run as the sensor runs it after each
 * change, then rebuilt with --full-refresh: not one row of any table changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AsyncExecutor,
  type CompiledGraph,
  type RunResult,
  runGraph,
  sqliteDialect,
} from '../adapter/index.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { closeFixtureProject, openFixtureProject } from './helpers/fixture-project.js';
import { growHistory } from './helpers/print-history.js';
import { allDatasetRows } from './helpers/project-tables.js';

const SENSOR = { tags: ['bronze'], includeDependents: true };
const STEPS = [1, 2, 3, 4, 5, 6];
/** The versions log that the incremental gold models read: a full refresh keeps only current versions. */
const BOOKKEEPING = new Set(['job_keys_slv']);

/** Every table's rows but the bookkeeping's. */
async function tables(): Promise<Record<string, Record<string, unknown>[]>> {
  const all = await allDatasetRows(executor, sqliteDialect, graph);
  return Object.fromEntries(Object.entries(all).filter(([name]) => !BOOKKEEPING.has(name)));
}

let graph: CompiledGraph;
let dir: string;
let raw: SqliteDatabase;
let executor: AsyncExecutor;

beforeAll(async () => {
  ({ graph, dir, raw, executor } = await openFixtureProject('bambuzled-incremental-'));
});

afterAll(() => closeFixtureProject({ executor, raw, dir }));

function run(fullRefresh = false): Promise<RunResult> {
  return runGraph(graph, {
    executor,
    dialect: sqliteDialect,
    selection: SENSOR,
    fullRefresh,
    trigger: 'test',
    now: () => new Date('2026-03-31T00:00:00Z'),
  });
}

function problems(result: RunResult): unknown[] {
  return result.actions
    .filter((a) => a.status !== 'SUCCESSFUL')
    .map((a) => ({ name: a.name, status: a.status, error: a.error, failing: a.failingRows?.sample }));
}

const rowsAffected = (result: RunResult, name: string) =>
  result.actions.find((a) => a.name === `main.${name}`)?.rowsAffected;

describe('incremental silver and gold', () => {
  it('merge only the jobs that changed, and after any sequence of runs a full refresh changes no row', async () => {
    expect(problems(await run())).toEqual([]);
    const schemaVersion = () => raw.pragma('schema_version', { simple: true }) as number;
    for (const step of STEPS) {
      growHistory(raw, step);
      const schemaBefore = schemaVersion();
      const result = await run();
      expect(problems(result), `step ${step}`).toEqual([]);
      // A sensor run writes rows, never the schema: no view re-created, no table rebuilt (raw_snapshot_brz
      // replaces its row), so the listener's connection never has to read the schema again after one.
      expect(schemaVersion(), `schema changed by the run of step ${step}`).toBe(schemaBefore);
      // Each step adds 6 jobs and changes at most one more: jobs_slv merges those, not the history.
      expect(rowsAffected(result, 'jobs_slv'), `step ${step}`).toBeGreaterThanOrEqual(6);
      expect(rowsAffected(result, 'jobs_slv'), `step ${step}`).toBeLessThanOrEqual(8);
    }
    const quiet = await run();
    expect(problems(quiet)).toEqual([]);
    for (const model of ['jobs_slv', 'job_filaments_slv', 'printer_daily_gld', 'print_time_weekly_gld']) {
      expect(rowsAffected(quiet, model), `${model} with nothing new`).toBe(0);
    }

    const incremental = await tables();
    // Not vacuous: every case of the history reached silver and gold.
    const jobs = incremental.jobs_slv ?? [];
    expect(jobs).toHaveLength(8 + 6 * STEPS.length);
    expect(jobs.find((j) => j.job_id === 'still-running')).toMatchObject({ outcome: 'finished' });
    expect(jobs.find((j) => j.job_id === 'lost-job')).toMatchObject({
      outcome: 'finished',
      filament_type: 'PETG-CF',
    });
    expect(jobs.find((j) => j.job_id === 'grown-10')).toMatchObject({ print_date: '2026-02-20' });
    expect(incremental.printer_daily_gld?.some((d) => d.print_date === '2026-02-20')).toBe(true);

    const refreshed = await run(true);
    expect(problems(refreshed)).toEqual([]);
    expect(rowsAffected(refreshed, 'jobs_slv')).toBe(jobs.length);
    const full = await tables();
    for (const name of Object.keys(full)) {
      expect({ name, rows: incremental[name] }).toEqual({ name, rows: full[name] });
    }
  }, 240_000);

  it('would see a stale day: the comparison fails when a gold row is left behind', async () => {
    // The proof above must be able to fail: a row the incremental path forgot to delete is a difference.
    const before = await tables();
    await executor.execute(
      `INSERT INTO printer_daily_gld (printer_serial, printer_name, print_date, jobs, finished, failed, cancelled,
         ended_while_disconnected, print_hours, finished_hours, finished_layers, last_ended_at)
       VALUES ('stale', 'Stale', '2026-01-01', 1, 1, 0, 0, 0, 1.0, 1.0, 1, '2026-01-01T01:00:00.000Z')`,
    );
    const after = await tables();
    expect(after.printer_daily_gld).not.toEqual(before.printer_daily_gld);
    expect(problems(await run(true))).toEqual([]);
    expect(await tables()).toEqual(before);
  }, 60_000);
});
