/**
 * The adapter on the repository's own project, at the sizes a print farm reaches:
 *  - incremental `--tags bronze` runs (what the scheduler runs after every job end: jobs_brz and
 *    job_outcomes_brz with their built-in assertions) on raw histories of 10k, 100k and 1M finished
 *    jobs, each after 100 more jobs finished: the cost must follow the new jobs, not the history
 *    (target 1M/10k <= 1.2x). The assertions are scoped to the rows each merge wrote (see
 *    adapter/assertion-scope.ts). The jobs_brz model step alone (the graph without its built-in
 *    assertions) is reported beside it;
 *  - a full refresh of jobs_brz at 1M through runGraph (SQLite in its own process, behind the
 *    async executor) against the same SQL run directly through better-sqlite3 in this process, the
 *    floor (target <= 1.1x: the engine boundary must cost next to nothing);
 *  - a cached compileProject against the stock `dataform compile` (target <= 50 ms).
 * Histories are generated inside SQLite (one INSERT ... SELECT over a recursive CTE, in one
 * transaction) into temporary files, which are removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  type RunResult,
  runGraph,
  type Selection,
} from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { findProjectDir, median, round, sizeLabel } from './figures.js';
import type { BenchFigure, BenchReport } from './report.js';

const SIZES = [10_000, 100_000, 1_000_000] as const;
/** Incremental runs per size; the median is reported. */
const INCREMENTAL_RUNS = 9;
const NEW_JOBS_PER_RUN = 100;
/** Full refreshes at 1M, alternating adapter and floor; the median of each is reported. */
const FULL_REFRESH_ROUNDS = 2;
const CACHED_COMPILES = 10;
const STOCK_COMPILES = 2;

const JOBS_BRZ = { actions: ['jobs_brz'] };
const BRONZE = { tags: ['bronze'] };

/** Raised when the benchmark cannot measure what it claims to (a failed run, a wrong row count). */
export class BenchSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchSetupError';
  }
}

/** Measures the three figures above; takes about a minute and a few hundred MB of temporary disk. */
export async function run(): Promise<BenchReport> {
  const projectDir = findProjectDir(import.meta.url);
  const notes: string[] = [];
  const figures: BenchFigure[] = [];

  const compile = await measureCompile(projectDir);
  figures.push({
    name: 'cached compileProject (median of 10)',
    value: round(compile.cachedMs, 2),
    unit: 'ms',
    target: '≤ 50 ms',
    pass: compile.cachedMs <= 50,
  });
  figures.push({
    name: 'stock dataform compile / cached compileProject',
    value: round(compile.stockMs / compile.cachedMs, 0),
    unit: '×',
  });
  notes.push(
    `stock \`dataform compile --json\`: ${round(compile.stockMs, 0)} ms (median of ${STOCK_COMPILES})`,
  );

  const work = mkdtempSync(join(tmpdir(), 'bambuzled-bench-adapter-'));
  const incremental = new Map<number, number>();
  const asserted = new Map<number, number>();
  try {
    for (const size of SIZES) {
      const path = join(work, `history-${size}.db`);
      const db = openDatabase(path);
      const executor = await openSqliteExecutor(path);
      try {
        const sized = await measureSize(db, executor, compile.graph, size);
        incremental.set(size, sized.incrementalMs);
        asserted.set(size, sized.assertedMs);
        notes.push(
          `${sizeLabel(size)}: history generated in ${round(sized.generateMs, 0)} ms, bronze built and fully checked in ${round(sized.buildMs, 0)} ms; ` +
            `incremental --tags bronze run ${round(sized.assertedMs, 1)} ms, jobs_brz model step alone ${round(sized.incrementalMs, 1)} ms ` +
            `(medians of ${INCREMENTAL_RUNS}, +${NEW_JOBS_PER_RUN} jobs each)`,
        );
        if (size === 1_000_000) {
          const refresh = await measureFullRefresh(db, executor, compile.graph);
          figures.push({
            name: 'full refresh of jobs_brz at 1M: runGraph / same SQL through better-sqlite3',
            value: round(refresh.adapterMs / refresh.floorMs, 2),
            unit: '×',
            target: '≤ 1.1×',
            pass: refresh.adapterMs / refresh.floorMs <= 1.1,
          });
          notes.push(
            `full refresh at 1M: runGraph ${round(refresh.adapterMs, 0)} ms, direct ${round(refresh.floorMs, 0)} ms (median of ${FULL_REFRESH_ROUNDS} each)`,
          );
        }
      } finally {
        await executor.close();
        db.close();
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const ratio = (figures: Map<number, number>, size: number) =>
    (figures.get(size) ?? Number.NaN) / (figures.get(10_000) ?? Number.NaN);
  const headline = ratio(asserted, 1_000_000);
  figures.unshift(
    {
      name: 'incremental --tags bronze run (models + built-in assertions), 1M / 10k history',
      value: round(headline, 2),
      unit: '×',
      target: '≤ 1.2×',
      pass: headline <= 1.2,
    },
    {
      name: 'incremental --tags bronze run (models + built-in assertions), 100k / 10k history',
      value: round(ratio(asserted, 100_000), 2),
      unit: '×',
    },
    {
      name: 'incremental jobs_brz model step alone (no assertions), 1M / 10k history',
      value: round(ratio(incremental, 1_000_000), 2),
      unit: '×',
      target: '≤ 1.2×',
      pass: ratio(incremental, 1_000_000) <= 1.2,
    },
  );
  notes.push(
    'Built-in assertions check the whole table on the first run, after a full refresh and after a failure; on an incremental merge that follows a pass they check only the rows the merge wrote (the scope of every bronze assertion is verified on each measured run).',
    'Raw rows carry no last_report_json; each job has its finished event in job_events_raw (the run snapshot reads its highest seq); all jobs are finished.',
  );
  return { title: 'Adapter on the bambuzled project (SQLite)', figures, notes };
}

/** Cached compileProject against the stock CLI, both on this repository. */
async function measureCompile(
  projectDir: string,
): Promise<{ graph: CompiledGraph; cachedMs: number; stockMs: number }> {
  const first = await compileProject({ projectDir });
  if (!first.ok) throw new BenchSetupError(`The project does not compile: ${first.message}`);
  const cached: number[] = [];
  for (let i = 0; i < CACHED_COMPILES; i++) {
    const started = performance.now();
    const outcome = await compileProject({ projectDir });
    cached.push(performance.now() - started);
    if (!outcome.ok || !outcome.fromCache)
      throw new BenchSetupError('compileProject did not answer from its cache.');
  }
  const cliBin = join(
    dirname(createRequire(import.meta.url).resolve('@dataform/cli/package.json')),
    'bundle.js',
  );
  const stock: number[] = [];
  for (let i = 0; i < STOCK_COMPILES; i++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [cliBin, 'compile', projectDir, '--json'], {
      cwd: projectDir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    stock.push(performance.now() - started);
    if (child.status !== 0) throw new BenchSetupError(`The stock dataform compile failed: ${child.stderr}`);
  }
  return { graph: first.graph, cachedMs: median(cached), stockMs: median(stock) };
}

interface SizeFigures {
  generateMs: number;
  buildMs: number;
  /** The model step alone: the run of jobs_brz without its built-in assertions. */
  incrementalMs: number;
  /** The whole `--tags bronze` run: both bronze models and their built-in assertions. */
  assertedMs: number;
}

/**
 * Generates a history, builds the bronze layer once (its assertions check the whole table then),
 * then times incremental runs after new jobs finish: the whole `--tags bronze` selection, whose
 * assertions must come out scoped to the written rows, then the jobs_brz model step alone.
 */
async function measureSize(
  db: SqliteDatabase,
  executor: AsyncExecutor,
  graph: CompiledGraph,
  size: number,
): Promise<SizeFigures> {
  migrateRawSchema(db);
  const modelOnly = withoutBuiltInAssertions(graph, 'jobs_brz');
  const generateMs = timed(() => insertFinishedJobs(db, 1, size));
  const buildStarted = performance.now();
  expectRows(await runGraph(graph, { executor, selection: BRONZE, trigger: 'bench' }), size);
  const buildMs = performance.now() - buildStarted;
  // A history written in one go leaves a write-ahead log as large as the history, which a listener
  // writing a report at a time never has (SQLite checkpoints every 1000 pages): fold it in first.
  db.pragma('wal_checkpoint(TRUNCATE)');
  let next = size + 1;
  const incrementalRuns = async (runGraphOf: CompiledGraph, selection: Selection): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < INCREMENTAL_RUNS; i++) {
      insertFinishedJobs(db, next, next + NEW_JOBS_PER_RUN - 1);
      next += NEW_JOBS_PER_RUN;
      const started = performance.now();
      const result = await runGraph(runGraphOf, { executor, selection, trigger: 'bench' });
      times.push(performance.now() - started);
      expectRows(result, NEW_JOBS_PER_RUN);
      expectScoped(result);
    }
    return median(times);
  };
  // The bronze runs first: the model-only runs below write rows that no assertion checks, which a
  // later scoped check would not see (a graph without the built-in assertions exists only here).
  const assertedMs = await incrementalRuns(graph, BRONZE);
  const incrementalMs = await incrementalRuns(modelOnly, { actions: ['jobs_brz', 'raw_snapshot_brz'] });
  return { generateMs, buildMs, incrementalMs, assertedMs };
}

/** Every assertion of an incremental run must have checked only the written rows. */
function expectScoped(result: RunResult): void {
  const whole = result.actions.filter((a) => a.kind === 'assertion' && a.scope !== 'written-rows');
  if (whole.length > 0) {
    throw new BenchSetupError(
      `Assertions checked the whole table on an incremental run: ${whole.map((a) => a.name).join(', ')}.`,
    );
  }
}

/**
 * A full refresh through runGraph, and the very statements it recorded executed directly through
 * better-sqlite3 in one transaction (the floor: the same work without the runner). The order
 * alternates between rounds so that neither side always follows the other's writes.
 */
async function measureFullRefresh(
  db: SqliteDatabase,
  executor: AsyncExecutor,
  graph: CompiledGraph,
): Promise<{ adapterMs: number; floorMs: number }> {
  const modelOnly = withoutBuiltInAssertions(graph, 'jobs_brz');
  const rows = db.prepare(`SELECT count(*) FROM jobs_raw WHERE status = 'finished'`).pluck().get() as number;
  const adapter: number[] = [];
  const floor: number[] = [];
  const viaAdapter = async (): Promise<string[]> => {
    const started = performance.now();
    const result = await runGraph(modelOnly, {
      executor,
      selection: JOBS_BRZ,
      fullRefresh: true,
      trigger: 'bench',
    });
    adapter.push(performance.now() - started);
    return expectRows(result, rows).sql;
  };
  const direct = (statements: string[]) =>
    floor.push(
      timed(() =>
        db.transaction(() => {
          // The adapter renames with legacy_alter_table on (its recorded SQL leaves settings out).
          db.pragma('legacy_alter_table = ON');
          for (const sql of statements) db.exec(sql);
          db.pragma('legacy_alter_table = OFF');
        })(),
      ),
    );
  const statements = await viaAdapter();
  for (let i = 0; i < FULL_REFRESH_ROUNDS; i++) {
    if (i % 2 === 0) {
      direct(statements);
      await viaAdapter();
    } else {
      await viaAdapter();
      direct(statements);
    }
  }
  adapter.shift(); // the first run only captured the statements (and warmed the cache like the others)
  return { adapterMs: median(adapter), floorMs: median(floor) };
}

/** The graph without the built-in assertions of one dataset (selecting it would bring them along). */
function withoutBuiltInAssertions(graph: CompiledGraph, name: string): CompiledGraph {
  return {
    ...graph,
    assertions: (graph.assertions ?? []).filter((a) => a.parentAction?.name !== name),
  };
}

/**
 * Appends finished jobs `from`..`to` to jobs_raw, in one statement and one transaction. Job i has
 * change sequence i, started 10 minutes after job i-1 on one of 200 printers, and ran 30-150 min.
 */
export function insertFinishedJobs(db: SqliteDatabase, from: number, to: number): void {
  db.prepare(
    `INSERT INTO jobs_raw (job_key, printer_serial, printer_name, task_id, subtask_id, subtask_name, gcode_file,
       print_type, status, gcode_state, started_at, ended_at, progress_percent, layer_num, total_layers,
       remaining_min, print_error, nozzle_diameter, nozzle_type, filament_type, filament_color, change_seq, updated_at)
     WITH RECURSIVE n(i, start_s, end_s) AS (
       SELECT @from, 1704067200 + @from * 600, 1704067200 + @from * 600 + 1800 + (@from * 37) % 7200 + 0.123
       UNION ALL
       SELECT i + 1, 1704067200 + (i + 1) * 600, 1704067200 + (i + 1) * 600 + 1800 + ((i + 1) * 37) % 7200 + 0.123
       FROM n WHERE i < @to
     )
     SELECT 'bench-' || i, printf('BENCH%04d', i % 200), printf('Bench printer %d', i % 200), CAST(700000000 + i AS TEXT),
       CAST(800000000 + i AS TEXT), printf('Part %d', i), printf('/data/Metadata/plate_%d.gcode', i % 4 + 1),
       'cloud', 'finished', 'FINISH',
       strftime('%Y-%m-%dT%H:%M:%fZ', start_s, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%fZ', end_s, 'unixepoch'),
       100, 50 + i % 400, 50 + i % 400, 0, 0, '0.4', 'hardened_steel',
       CASE i % 3 WHEN 0 THEN 'PLA' WHEN 1 THEN 'PETG' ELSE 'ABS' END, printf('%06XFF', (i * 2654435761) % 16777216),
       i, strftime('%Y-%m-%dT%H:%M:%fZ', end_s, 'unixepoch')
     FROM n`,
  ).run({ from, to });
  // Each job's FINISH in the change sequence, as the listener writes it (seq i for job i).
  db.prepare(
    `INSERT INTO job_events_raw (seq, job_key, printer_serial, event, from_status, to_status, gcode_state, at)
     WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i < @to)
     SELECT i, 'bench-' || i, printf('BENCH%04d', i % 200), 'finished', 'running', 'finished', 'FINISH',
       strftime('%Y-%m-%dT%H:%M:%fZ', 1704067200 + i * 600 + 1800, 'unixepoch')
     FROM n`,
  ).run({ from, to });
}

function expectRows(result: RunResult, rows: number): RunResult['actions'][number] {
  const action = result.actions.find((a) => a.name === 'main.jobs_brz');
  if (result.status !== 'SUCCESSFUL' || !action) {
    throw new BenchSetupError(`The jobs_brz run failed: ${action?.error ?? JSON.stringify(result.actions)}`);
  }
  if (action.rowsAffected !== rows) {
    throw new BenchSetupError(`jobs_brz wrote ${action.rowsAffected} rows where ${rows} were expected.`);
  }
  return action;
}

function timed(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}
