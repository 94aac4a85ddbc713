/**
 * The sensor's run on a long history: `--tags bronze --include-dependents` (bronze, silver, gold and
 * every assertion, as the scheduler runs it after a job ends) with +100 ended jobs, on a 1M-job history
 * against a 10k-job one (target 1M / 10k <= 1.5x: silver and gold re-compute only what the new jobs
 * touch, and the assertions check only that). The run with no new rows is reported beside it.
 * Beside the time, how long the run holds SQLite's write lock at a time (issue 15: the listener writes
 * beside it): the longest single transaction of a run with +100 jobs and the sum of its transactions,
 * at both sizes (transaction-timer.ts). The sizes take turns run by run. Histories are generated inside SQLite (adapter.bench.ts's
 * insertFinishedJobs) into temporary files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import { BenchSetupError, insertFinishedJobs } from './adapter.bench.js';
import { findProjectDir, median, round, sizeLabel } from './figures.js';
import type { BenchFigure, BenchReport } from './report.js';
import { type TimedTransaction, type TransactionTimer, timeTransactions } from './transaction-timer.js';

/** 10k and 1M; BAMBUZLED_BENCH_SENSOR_SIZES=10000,100000 measures smaller histories on a busy machine. */
const SIZES = (process.env.BAMBUZLED_BENCH_SENSOR_SIZES ?? '10000,1000000').split(',').map(Number);
const BASE = SIZES[0] ?? 10_000;
const TOP = SIZES.at(-1) ?? 1_000_000;
const RUNS = 7;
const NEW_JOBS = 100;
const SENSOR = { tags: ['bronze'], includeDependents: true };

/** One history under test: its file, the connection that grows it, the runner's executor and the samples. */
interface History {
  size: number;
  db: SqliteDatabase;
  timer: TransactionTimer;
  buildMs: number;
  next: number;
  added: number[];
  none: number[];
  locks: LockFigures[];
  slowest: string;
}

export async function run(): Promise<BenchReport> {
  const projectDir = findProjectDir(import.meta.url);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new BenchSetupError(compiled.message);
  const work = mkdtempSync(join(tmpdir(), 'bambuzled-bench-sensor-'));
  const histories: History[] = [];
  try {
    for (const size of SIZES)
      histories.push(await buildHistory(compiled.graph, join(work, `history-${size}.db`), size));
    // The sizes take turns, run by run, so that a change in the machine's load falls on both alike.
    for (let i = 0; i < RUNS; i++) {
      for (const history of histories) await measureRuns(compiled.graph, history, i);
    }
  } finally {
    for (const history of histories) {
      await history.timer.executor.close();
      history.db.close();
    }
    rmSync(work, { recursive: true, force: true });
  }
  const withJobs = new Map(histories.map((h) => [h.size, median(h.added)]));
  const quiet = new Map(histories.map((h) => [h.size, median(h.none)]));
  const longest = new Map(histories.map((h) => [h.size, median(h.locks.map((l) => l.longestMs))]));
  const notes = histories.flatMap((h) => {
    const worst = h.locks.reduce((x, y) => (y.longestMs > x.longestMs ? y : x));
    return [
      `${sizeLabel(h.size)}: first build ${Math.round(h.buildMs)} ms; sensor run +${NEW_JOBS} jobs ${round(median(h.added), 1)} ms, ` +
        `no new rows ${round(median(h.none), 1)} ms (medians of ${RUNS}); slowest actions of the last run: ${h.slowest}`,
      `${sizeLabel(h.size)}: write lock per sensor run +${NEW_JOBS} jobs: longest transaction ${round(longest.get(h.size) ?? 0, 1)} ms ` +
        `(median of ${RUNS}; the longest of all ${round(worst.longestMs, 1)} ms, ${worst.longestAction}), ` +
        `${round(median(h.locks.map((l) => l.count)), 0)} transactions holding it ${round(median(h.locks.map((l) => l.totalMs)), 1)} ms in all`,
    ];
  });
  const ratio = (m: Map<number, number>) => (m.get(TOP) ?? Number.NaN) / (m.get(BASE) ?? Number.NaN);
  const figures: BenchFigure[] = [
    {
      name: `sensor run (--tags bronze --include-dependents), +${NEW_JOBS} ended jobs, ${sizeLabel(TOP)} / ${sizeLabel(BASE)} history`,
      value: round(ratio(withJobs), 2),
      unit: '×',
      target: '≤ 1.5×',
      pass: ratio(withJobs) <= 1.5,
    },
    {
      name: `sensor run with no new rows, ${sizeLabel(TOP)} / ${sizeLabel(BASE)} history`,
      value: round(ratio(quiet), 2),
      unit: '×',
    },
    ...SIZES.map((size) => ({
      name: `longest write transaction of a sensor run (+${NEW_JOBS} jobs), ${sizeLabel(size)} history (median of ${RUNS})`,
      value: round(longest.get(size) ?? Number.NaN, 1),
      unit: 'ms',
    })),
  ];
  return { title: 'Sensor run on a long history (SQLite)', figures, notes };
}

/** A history of `size` finished jobs in a new file, built once by the sensor's run. */
async function buildHistory(graph: CompiledGraph, path: string, size: number): Promise<History> {
  const db = openDatabase(path);
  migrateRawSchema(db);
  insertFinishedJobs(db, 1, size);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const timer = timeTransactions(await openSqliteExecutor(path));
  const started = performance.now();
  expectClean(await sensorRun(graph, timer.executor), `the first build of ${sizeLabel(size)}`);
  const buildMs = performance.now() - started;
  return { size, db, timer, buildMs, next: size + 1, added: [], none: [], locks: [], slowest: '' };
}

/** One sensor run after +NEW_JOBS ended jobs, then one with no new rows. */
async function measureRuns(graph: CompiledGraph, h: History, i: number): Promise<void> {
  const { timer } = h;
  insertFinishedJobs(h.db, h.next, h.next + NEW_JOBS - 1);
  h.next += NEW_JOBS;
  timer.take();
  const t0 = performance.now();
  const result = await sensorRun(graph, timer.executor);
  h.added.push(performance.now() - t0);
  h.locks.push(lockFigures(result, timer.take()));
  expectClean(result, `run ${i + 1} on ${sizeLabel(h.size)}`);
  const jobs = result.actions.find((a) => a.name === 'main.jobs_slv');
  if (jobs?.rowsAffected !== NEW_JOBS)
    throw new BenchSetupError(`jobs_slv merged ${jobs?.rowsAffected} rows, not ${NEW_JOBS}.`);
  h.slowest = slowestActions(result);
  const t1 = performance.now();
  expectClean(await sensorRun(graph, timer.executor), `quiet run ${i + 1} on ${sizeLabel(h.size)}`);
  h.none.push(performance.now() - t1);
}

function sensorRun(graph: CompiledGraph, executor: AsyncExecutor): Promise<RunResult> {
  return runGraph(graph, { executor, selection: SENSOR, trigger: 'bench' });
}

function expectClean(result: RunResult, what: string): void {
  const bad = result.actions.filter((a) => a.status !== 'SUCCESSFUL');
  if (result.status !== 'SUCCESSFUL' || bad.length > 0)
    throw new BenchSetupError(`${what} failed: ${JSON.stringify(bad.map((a) => [a.name, a.error]))}`);
}

interface LockFigures {
  longestMs: number;
  /** The action whose transaction it was, or what else the run did then (its record, its lock). */
  longestAction: string;
  totalMs: number;
  count: number;
}

/** The run's transactions summed up, the longest named by the action running when it began. */
function lockFigures(result: RunResult, transactions: TimedTransaction[]): LockFigures {
  const top = transactions.reduce<TimedTransaction | undefined>(
    (a, b) => (a && a.ms >= b.ms ? a : b),
    undefined,
  );
  const during = top
    ? result.actions.find(
        (a) => Date.parse(a.startedAt) <= top.startedAt && top.startedAt <= Date.parse(a.endedAt),
      )
    : undefined;
  return {
    longestMs: top?.ms ?? 0,
    longestAction: during?.name ?? 'the run record or lock',
    totalMs: transactions.reduce((sum, t) => sum + t.ms, 0),
    count: transactions.length,
  };
}

function slowestActions(result: RunResult): string {
  return [...result.actions]
    .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
    .slice(0, 3)
    .map((a) => `${a.name} ${Math.round(a.durationMs ?? 0)} ms`)
    .join(', ');
}
