/**
 * The project's invariants can fail: for each, raw rows (or a gold row) that break it, the project run
 * through the runner on a real SQLite file, and the assertion FAILED with the offending rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  type RunResult,
  runGraph,
} from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { fixtureJobs, P1P, writeFixtureHistory } from './helpers/print-history.js';
import { type RawJobRow, writeRawJob } from './helpers/raw-rows.js';

const PROJECT_DIR = new URL('..', import.meta.url).pathname;
const SENSOR = { tags: ['bronze'], includeDependents: true };

let graph: CompiledGraph;
let dir: string;
let raw: SqliteDatabase;
let executor: AsyncExecutor;

beforeAll(async () => {
  const outcome = await compileProject({ projectDir: PROJECT_DIR });
  if (!outcome.ok) throw new Error(`the project does not compile: ${outcome.message}`);
  graph = outcome.graph;
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bambuzled-invariants-'));
  raw = openDatabase(join(dir, 'print_history.db'));
  migrateRawSchema(raw);
  writeFixtureHistory(raw);
  executor = await openSqliteExecutor(join(dir, 'print_history.db'));
});

afterEach(async () => {
  await executor.close();
  raw.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(selection: object = SENSOR, fullRefresh = false): Promise<RunResult> {
  return runGraph(graph, {
    executor,
    selection,
    fullRefresh,
    trigger: 'test',
    now: () => new Date('2026-03-06T00:00:00Z'),
  });
}

const failed = (result: RunResult) => result.actions.filter((a) => a.status === 'FAILED').map((a) => a.name);
const sample = (result: RunResult, name: string) =>
  result.actions.find((a) => a.name === name)?.failingRows?.sample ?? [];

/** A finished job of P1P at a time the fixture leaves free, unless told otherwise. */
function p1pJob(
  key: string,
  startedAt: string,
  endedAt: string,
  status: RawJobRow['status'] = 'finished',
): RawJobRow {
  const template = fixtureJobs()[3] as RawJobRow;
  return { ...template, job_key: key, status, started_at: startedAt, ended_at: endedAt, updated_at: endedAt };
}

describe('the invariants of the project', () => {
  it('pass on the recorded history', async () => {
    expect(failed(await run())).toEqual([]);
  });

  it('every raw status is mapped to an outcome: a status constants.js does not know fails, not vanishes', async () => {
    const job = p1pJob('melted', '2026-03-05T12:00:00.000Z', '2026-03-05T12:30:00.000Z');
    writeRawJob(raw, { ...job, status: 'exploded' as RawJobRow['status'] });

    const result = await run();

    expect(failed(result)).toContain('assertions.main_job_outcomes_brz_assertions_rowConditions');
    expect(sample(result, 'assertions.main_job_outcomes_brz_assertions_rowConditions')).toEqual([
      expect.objectContaining({ job_id: 'melted', outcome: 'exploded' }),
    ]);
  });

  it('one terminal state per job: a job that ends twice without being re-attached fails', async () => {
    writeRawJob(raw, p1pJob('twice', '2026-03-05T12:00:00.000Z', '2026-03-05T12:30:00.000Z'));
    writeRawJob(raw, p1pJob('twice', '2026-03-05T12:00:00.000Z', '2026-03-05T12:40:00.000Z', 'failed'));
    // Re-attached in between, a second end is what the listener writes for a job it lost and found.
    writeRawJob(
      raw,
      p1pJob('found', '2026-03-05T13:00:00.000Z', '2026-03-05T13:10:00.000Z', 'ended_while_disconnected'),
    );
    writeRawJob(raw, {
      ...p1pJob('found', '2026-03-05T13:00:00.000Z', '2026-03-05T13:10:00.000Z'),
      status: 'running',
    });
    writeRawJob(raw, p1pJob('found', '2026-03-05T13:00:00.000Z', '2026-03-05T13:50:00.000Z'));

    const result = await run();

    expect(failed(result)).toEqual(['assertions.one_terminal_state_per_job']);
    expect(sample(result, 'assertions.one_terminal_state_per_job')).toEqual([
      { job_id: 'twice', endings: 2, reattachments: 0 },
    ]);
  });

  it('no two jobs overlap on one printer: a job that starts before the last one ended fails', async () => {
    // The fixture's P1P job runs 12:00-14:00 on 2 March; this one starts at 13:30.
    writeRawJob(raw, p1pJob('overlap', '2026-03-02T13:30:00.000Z', '2026-03-02T14:30:00.000Z'));

    const result = await run();

    expect(failed(result)).toEqual(['assertions.no_overlapping_jobs']);
    const [pair] = sample(result, 'assertions.no_overlapping_jobs');
    expect(pair).toMatchObject({ printer_serial: P1P.serial, second_job: 'overlap' });
  });

  it('gold totals equal silver totals: a daily row that does not add up fails', async () => {
    expect(failed(await run(SENSOR, true))).toEqual([]);
    await executor.execute(
      `UPDATE printer_daily_gld SET jobs = jobs + 1, finished = finished + 1 WHERE print_date = '2026-03-02'`,
    );

    const result = await run({ actions: ['assertions.gold_totals_match_silver'] });

    expect(failed(result)).toEqual(['assertions.gold_totals_match_silver']);
    expect(sample(result, 'assertions.gold_totals_match_silver').length).toBeGreaterThan(0);
  });
});
