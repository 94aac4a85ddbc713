/**
 * The repository's Dataform project, compiled by the stock compiler and run by the adapter on a real
 * SQLite file whose raw layer holds jobs built from recorded printer payloads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { fixtureJobs, P1P, P1S, X1C } from './helpers/print-history.js';
import { type RawJobRow, writeRawJob, writeRawPrinter } from './helpers/raw-rows.js';

const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

const BRONZE = { tags: ['bronze'] };

let graph: CompiledGraph;
let dir: string;
let db: SqliteDatabase;
let executor: AsyncExecutor;

beforeAll(async () => {
  const outcome = await compileProject({ projectDir: PROJECT_DIR });
  if (!outcome.ok) throw new Error(`the project does not compile: ${outcome.message}`);
  graph = outcome.graph;
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bambuzled-bronze-'));
  db = openDatabase(join(dir, 'print_history.db'));
  executor = await openSqliteExecutor(join(dir, 'print_history.db'));
  migrateRawSchema(db);
  for (const printer of [X1C, P1S, P1P]) {
    writeRawPrinter(db, { ...printer, firstSeenAt: '2026-03-01T00:00:00.000Z' });
  }
  for (const job of fixtureJobs()) writeRawJob(db, job);
});

afterEach(async () => {
  await executor.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(
  selection: { tags: string[]; includeDependents?: boolean },
  fullRefresh = false,
): Promise<RunResult> {
  return runGraph(graph, {
    executor,
    selection,
    fullRefresh,
    trigger: 'test',
    now: () => new Date('2026-03-06T00:00:00Z'),
  });
}

/** The actions that did not succeed, with their errors and failing rows, so a failure says why. */
function problems(result: RunResult): unknown[] {
  return result.actions
    .filter((a) => a.status !== 'SUCCESSFUL')
    .map((a) => ({ name: a.name, status: a.status, error: a.error, failing: a.failingRows }));
}

function rows(table: string, orderBy = 'job_id'): Record<string, unknown>[] {
  return db.prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`).all() as Record<string, unknown>[];
}

/** What jobs_brz should hold for a finished raw job, computed here from the raw row itself. */
function expectedBronze(job: RawJobRow): Record<string, unknown> {
  const endedAt = job.ended_at as string;
  return {
    job_id: job.job_key,
    printer_serial: job.printer_serial,
    printer_name: job.printer_name,
    job_name: job.subtask_name || null,
    gcode_file: job.gcode_file || null,
    print_type: job.print_type || null,
    started_at: new Date(job.started_at).toISOString(),
    finished_at: new Date(endedAt).toISOString(),
    duration_s: Math.round((Date.parse(endedAt) - Date.parse(job.started_at)) / 1000),
    start_approximate: 0,
    total_layers: job.total_layers,
    filament_type: job.filament_type,
    filament_color: job.filament_color,
    nozzle_diameter: job.nozzle_diameter,
  };
}

/** Byte order, as SQLite's ORDER BY sorts text. */
function byJobId(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return String(a.job_id) < String(b.job_id) ? -1 : 1;
}

describe('the bronze models', () => {
  it('puts exactly the finished jobs into jobs_brz, with their columns, and passes every assertion', async () => {
    const result = await run(BRONZE);

    expect(problems(result)).toEqual([]);
    const assertions = result.actions.filter((a) => a.kind === 'assertion');
    expect(assertions.map((a) => a.name).sort()).toEqual([
      'assertions.main_job_details_brz_assertions_rowConditions',
      'assertions.main_job_details_brz_assertions_uniqueKey_0',
      'assertions.main_job_filaments_brz_assertions_rowConditions',
      'assertions.main_job_filaments_brz_assertions_uniqueKey_0',
      'assertions.main_job_outcomes_brz_assertions_rowConditions',
      'assertions.main_job_outcomes_brz_assertions_uniqueKey_0',
      'assertions.main_jobs_brz_assertions_rowConditions',
      'assertions.main_jobs_brz_assertions_uniqueKey_0',
    ]);
    const finished = fixtureJobs().filter((job) => job.status === 'finished');
    const expected = finished.map(expectedBronze).sort(byJobId);
    const actual = rows('jobs_brz').map(({ source_change_seq: _seq, ...rest }) => rest);
    expect(actual).toEqual(expected);
  });

  it('takes the job name, file, layers and filament from the printer payloads', async () => {
    await run(BRONZE);
    const byName = new Map(rows('jobs_brz').map((r) => [r.job_name, r]));

    expect(byName.get('Garden Hose Healer: Male fitting')).toMatchObject({
      printer_serial: X1C.serial,
      gcode_file: '/data/Metadata/plate_1.gcode',
      total_layers: 480,
      filament_type: 'ABS',
      filament_color: 'D32941FF',
      duration_s: 2 * 3600 + 31 * 60 + 12,
    });
    expect(byName.get('Benchy')).toMatchObject({ gcode_file: 'Benchy.gcode.3mf', total_layers: 212 });
    expect(byName.get('sensor_altanlås_v2_v3')).toMatchObject({ filament_type: 'PETG', total_layers: 124 });
    expect(byName.get('XXXXXXX')).toMatchObject({
      gcode_file: null,
      duration_s: 13_623,
      filament_type: 'PLA',
    });
  });

  it('records the source change sequence of each FINISH, which later runs start after', async () => {
    await run(BRONZE);
    const raw = db.prepare(`SELECT job_key, change_seq FROM jobs_raw WHERE status = 'finished'`).all() as {
      job_key: string;
      change_seq: number;
    }[];

    const bronze = new Map(rows('jobs_brz').map((r) => [r.job_id, r.source_change_seq]));
    expect(raw.length).toBeGreaterThan(0); // else the loop below checks nothing
    for (const { job_key, change_seq } of raw) expect(bronze.get(job_key)).toBe(change_seq);
  });

  it('adds nothing on a second run', async () => {
    await run(BRONZE);
    const before = rows('jobs_brz');

    const second = await run(BRONZE);

    expect(problems(second)).toEqual([]);
    const merge = second.actions.find((a) => a.name === 'main.jobs_brz');
    expect(merge?.rowsAffected).toBe(0);
    expect(merge?.sql.join('\n')).toContain('change_seq > (SELECT COALESCE(MAX(source_change_seq), 0)');
    expect(rows('jobs_brz')).toEqual(before);
  });

  it('appends a job that finishes after the last run exactly once, also when it started earlier', async () => {
    await run(BRONZE);
    // The running job started before several jobs that are already in jobs_brz.
    const running = fixtureJobs().find((job) => job.job_key === 'still-running') as RawJobRow;
    writeRawJob(db, { ...running, status: 'finished', ended_at: '2026-03-05T10:00:00.000Z' });

    const result = await run(BRONZE);
    await run(BRONZE);

    expect(problems(result)).toEqual([]);
    expect(result.actions.find((a) => a.name === 'main.jobs_brz')?.rowsAffected).toBe(1);
    const added = rows('jobs_brz').filter((r) => r.job_id === 'still-running');
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ duration_s: 3600, finished_at: '2026-03-05T10:00:00.000Z' });
    expect(rows('jobs_brz')).toHaveLength(5);
  });

  it('keeps a job name full of quotes, SQL and emoji verbatim', async () => {
    const name = `Bob's "benchy" 🐢🚢 '); DROP TABLE jobs_raw; -- \\' ${'`'}x${'`'} ''`;
    const job = fixtureJobs()[0] as RawJobRow;
    writeRawJob(db, { ...job, job_key: 'quoted-job', subtask_name: name, gcode_file: `${name}.gcode.3mf` });

    const result = await run(BRONZE);

    expect(problems(result)).toEqual([]);
    expect(rows('jobs_brz').find((r) => r.job_id === 'quoted-job')).toMatchObject({
      job_name: name,
      gcode_file: `${name}.gcode.3mf`,
    });
    expect(db.prepare('SELECT count(*) AS n FROM jobs_raw').get()).toEqual({ n: 9 });
  });

  it('fails the rowConditions assertion, with the condition, for a job that ends before it starts', async () => {
    const job = fixtureJobs()[0] as RawJobRow;
    writeRawJob(db, {
      ...job,
      job_key: 'time-travel',
      started_at: '2026-03-02T10:00:00.000Z',
      ended_at: '2026-03-02T09:00:00.000Z',
    });

    const result = await run(BRONZE);

    const assertion = result.actions.find(
      (a) => a.name === 'assertions.main_jobs_brz_assertions_rowConditions',
    );
    expect(assertion?.status).toBe('FAILED');
    const conditions = assertion?.failingRows?.sample.map((r) => r.failing_row_condition).sort();
    expect(conditions).toEqual(['duration_s >= 0', 'finished_at >= started_at']);
  });

  it('runs the rowConditions whose literals hold quotes, and reports them verbatim when they fail', async () => {
    const job = fixtureJobs()[0] as RawJobRow;
    // An empty name becomes NULL (so `job_name <> ''` holds); an empty serial is a listener bug.
    writeRawJob(db, { ...job, job_key: 'empty-name', subtask_name: '' });
    writeRawJob(db, { ...job, job_key: 'no-serial', printer_serial: '' });

    const result = await run(BRONZE);

    const assertion = result.actions.find(
      (a) => a.name === 'assertions.main_jobs_brz_assertions_rowConditions',
    );
    expect(assertion?.status).toBe('FAILED');
    expect(assertion?.failingRows?.sample).toEqual([
      expect.objectContaining({ failing_row_condition: "printer_serial <> ''", job_id: 'no-serial' }),
    ]);
    expect(rows('jobs_brz').find((r) => r.job_id === 'empty-name')?.job_name).toBeNull();
  });

  it('lists every ended job in job_outcomes_brz with its outcome and error code', async () => {
    await run(BRONZE);

    const outcomes = new Map(rows('job_outcomes_brz').map((r) => [r.job_id, r]));
    const ended = fixtureJobs().filter((job) => job.status !== 'running');
    expect([...outcomes.keys()].sort()).toEqual(ended.map((job) => job.job_key).sort());
    for (const job of ended) expect(outcomes.get(job.job_key)?.outcome).toBe(job.status);
    const cancelled = ended.find((job) => job.status === 'cancelled') as RawJobRow;
    expect(outcomes.get(cancelled.job_key)).toMatchObject({ print_error_hex: '0300_400C', last_layer: 120 });
  });

  it('rebuilds jobs_brz to the same rows on a full refresh', async () => {
    await run(BRONZE);
    const before = rows('jobs_brz');

    const result = await run(BRONZE, true);

    expect(problems(result)).toEqual([]);
    expect(rows('jobs_brz')).toEqual(before);
  });
});

describe('silver and gold, built as dependents of bronze', () => {
  it('builds every silver and gold model with its assertions passing', async () => {
    const result = await run({ tags: ['bronze'], includeDependents: true });

    expect(problems(result)).toEqual([]);
    const built = result.actions.filter((a) => a.kind !== 'assertion').map((a) => a.name);
    expect(built.sort()).toEqual([
      'main.estimate_accuracy_gld',
      'main.filament_daily_gld',
      'main.filament_usage_gld',
      'main.job_details_brz',
      'main.job_filaments_brz',
      'main.job_filaments_slv',
      'main.job_keys_slv',
      'main.job_outcomes_brz',
      'main.jobs_brz',
      'main.jobs_slv',
      'main.print_time_weekly_gld',
      'main.printer_daily_gld',
      'main.printer_summary_gld',
      'main.raw_snapshot_brz',
    ]);
    const names = result.actions.map((a) => a.name);
    expect(names).toContain('assertions.gold_totals_match_silver');
    expect(names).toContain('assertions.finished_history_in_silver');
    expect(names).toContain('assertions.job_filaments_add_up');
    expect(names).toContain('assertions.partial_job_within_plate');
    expect(names).toContain('assertions.no_overlapping_jobs');
  });

  it('reads the raw layer as it was when the run began, while the listener writes during the run', async () => {
    const job = fixtureJobs().find((j) => j.job_key === 'still-running') as RawJobRow;
    let wrote = false;
    const result = await runGraph(graph, {
      executor,
      selection: { tags: ['bronze'], includeDependents: true },
      trigger: 'test',
      // Between the two models that read the raw layer, the listener records a job's end: without
      // one snapshot the second would have it and the first not, and silver would disagree.
      onActionEnd: (action) => {
        if (wrote || (action.name !== 'main.jobs_brz' && action.name !== 'main.job_outcomes_brz')) return;
        writeRawJob(db, { ...job, status: 'finished', ended_at: '2026-03-05T10:00:00.000Z' });
        wrote = true;
      },
    });
    expect(wrote).toBe(true);
    expect(problems(result)).toEqual([]);
    const present = (table: string) =>
      db.prepare(`SELECT count(*) AS n FROM "${table}" WHERE job_id = 'still-running'`).get();
    expect(present('jobs_brz')).toEqual({ n: 0 });
    expect(present('job_outcomes_brz')).toEqual({ n: 0 });

    const next = await run({ tags: ['bronze'], includeDependents: true });
    expect(problems(next)).toEqual([]);
    expect(present('jobs_brz')).toEqual({ n: 1 });
    expect(present('job_outcomes_brz')).toEqual({ n: 1 });
    expect(present('jobs_slv')).toEqual({ n: 1 });
  });

  it('derives outcome, calendar fields and per-printer totals from the jobs', async () => {
    await run({ tags: ['bronze'], includeDependents: true });

    const x1c = rows('jobs_slv').find((r) => r.job_name === 'Garden Hose Healer: Male fitting');
    // 2026-03-02 is a Monday.
    expect(x1c).toMatchObject({
      outcome: 'finished',
      is_finished: 1,
      print_date: '2026-03-02',
      weekday: 1,
      hour: 8,
    });
    expect(x1c?.duration_min).toBeCloseTo(151.2, 5);

    const summary = new Map(rows('printer_summary_gld', 'printer_serial').map((r) => [r.printer_serial, r]));
    expect(summary.get(P1S.serial)).toMatchObject({
      printer_name: P1S.name,
      total_jobs: 3,
      finished_jobs: 2,
      cancelled_jobs: 1,
      last_job_outcome: 'cancelled',
    });
    expect(summary.get(P1S.serial)?.success_rate).toBeCloseTo(0.667, 3);
    expect(summary.get(P1P.serial)).toMatchObject({ total_jobs: 2, finished_jobs: 1, failed_jobs: 1 });

    const daily = rows('printer_daily_gld', 'printer_serial, print_date').filter(
      (r) => r.printer_serial === P1P.serial,
    );
    expect(daily).toEqual([
      expect.objectContaining({
        print_date: '2026-03-02',
        jobs: 2,
        finished: 1,
        failed: 1,
        print_hours: 2.33,
      }),
    ]);

    const filament = rows('filament_usage_gld', 'filament_type, filament_color');
    expect(filament.find((r) => r.filament_type === 'PETG')).toMatchObject({
      jobs: 1,
      finished_jobs: 1,
      printers: 1,
    });
    const totalJobs = filament.reduce((sum, r) => sum + Number(r.jobs), 0);
    expect(totalJobs).toBe(fixtureJobs().filter((job) => job.status !== 'running').length);
  });
});

describe('the documentation of the project', () => {
  /** Documented column names of a dataset or declaration. */
  function documented(entry: { actionDescriptor?: { columns?: { path: string[] }[] } }): string[] {
    return (entry.actionDescriptor?.columns ?? []).map((c) => c.path.join('.')).sort();
  }

  function columnsOf(table: string): string[] {
    return (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[])
      .map((c) => c.name)
      .sort();
  }

  it('documents every column of every source, exactly as the raw schema has them', async () => {
    const declarations = graph.declarations ?? [];
    expect(declarations.map((d) => d.target.name).sort()).toEqual([
      'job_events_raw',
      'job_filaments_raw',
      'job_files_raw',
      'jobs_raw',
      'model_watermarks',
      'printers_raw',
    ]);
    // The models' own bookkeeping exists once they have run; the raw tables exist from the start.
    expect(problems(await run({ tags: ['bronze'], includeDependents: true }))).toEqual([]);
    for (const declaration of declarations) {
      expect(documented(declaration), declaration.target.name).toEqual(columnsOf(declaration.target.name));
      expect(declaration.actionDescriptor?.description, declaration.target.name).toBeTruthy();
    }
  });

  it('documents every column of every model it builds, and no column it does not build', async () => {
    const result = await run({ tags: ['bronze'], includeDependents: true });
    expect(problems(result)).toEqual([]);

    for (const table of graph.tables ?? []) {
      expect(documented(table), table.target.name).toEqual(columnsOf(table.target.name));
      expect(table.actionDescriptor?.description, table.target.name).toBeTruthy();
    }
  });
});
