/**
 * The sensor's run on a long history: `--tags bronze --include-dependents` (bronze, silver, gold and
 * every assertion, as the scheduler runs it after a job ends) with +100 ended jobs, on a 1M-job history
 * against a 10k-job one (target 1M / 10k <= 1.5x: silver and gold re-compute only what the new jobs
 * touch, and the assertions check only that). The run with no new rows is reported beside it.
 * Beside the time, how long the run holds SQLite's write lock at a time (issue 15: the listener writes
 * beside it): the longest single transaction of a run with +100 jobs and the sum of its transactions,
 * at both sizes (transaction-timer.ts). Histories are generated inside SQLite (adapter.bench.ts's
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
import { openDatabase } from '../lib/sqlite.js';
import { BenchSetupError, insertFinishedJobs } from './adapter.bench.js';
import { findProjectDir, median, round, sizeLabel } from './figures.js';
import type { BenchFigure, BenchReport } from './report.js';
import { type TimedTransaction, timeTransactions } from './transaction-timer.js';

/** 10k and 1M; BAMBUZLED_BENCH_SENSOR_SIZES=10000,100000 measures smaller histories on a busy machine. */
const SIZES = (process.env.BAMBUZLED_BENCH_SENSOR_SIZES ?? '10000,1000000').split(',').map(Number);
const BASE = SIZES[0] ?? 10_000;
const TOP = SIZES.at(-1) ?? 1_000_000;
const RUNS = 5;
const NEW_JOBS = 100;
const SENSOR = { tags: ['bronze'], includeDependents: true };

export async function run(): Promise<BenchReport> {
  const projectDir = findProjectDir(import.meta.url);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new BenchSetupError(compiled.message);
  const work = mkdtempSync(join(tmpdir(), 'bambuzled-bench-sensor-'));
  const withJobs = new Map<number, number>();
  const quiet = new Map<number, number>();
  const longest = new Map<number, number>();
  const notes: string[] = [];
  try {
    for (const size of SIZES) {
      const path = join(work, `history-${size}.db`);
      const db = openDatabase(path);
      migrateRawSchema(db);
      insertFinishedJobs(db, 1, size);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const timer = timeTransactions(await openSqliteExecutor(path));
      const { executor } = timer;
      try {
        const started = performance.now();
        expectClean(await sensorRun(compiled.graph, executor), 'the first build');
        const buildMs = performance.now() - started;
        let next = size + 1;
        const added: number[] = [];
        const none: number[] = [];
        const locks: LockFigures[] = [];
        let slowest = '';
        for (let i = 0; i < RUNS; i++) {
          insertFinishedJobs(db, next, next + NEW_JOBS - 1);
          next += NEW_JOBS;
          timer.take();
          const t0 = performance.now();
          const result = await sensorRun(compiled.graph, executor);
          added.push(performance.now() - t0);
          locks.push(lockFigures(result, timer.take()));
          expectClean(result, `run ${i + 1}`);
          const jobs = result.actions.find((a) => a.name === 'main.jobs_slv');
          if (jobs?.rowsAffected !== NEW_JOBS)
            throw new BenchSetupError(`jobs_slv merged ${jobs?.rowsAffected} rows, not ${NEW_JOBS}.`);
          slowest = slowestActions(result);
          const t1 = performance.now();
          expectClean(await sensorRun(compiled.graph, executor), `quiet run ${i + 1}`);
          none.push(performance.now() - t1);
        }
        withJobs.set(size, median(added));
        quiet.set(size, median(none));
        const worst = locks.reduce((a, b) => (b.longestMs > a.longestMs ? b : a));
        longest.set(size, median(locks.map((l) => l.longestMs)));
        notes.push(
          `${sizeLabel(size)}: first build ${Math.round(buildMs)} ms; sensor run +${NEW_JOBS} jobs ${round(median(added), 1)} ms, ` +
            `no new rows ${round(median(none), 1)} ms (medians of ${RUNS}); slowest actions of the last run: ${slowest}`,
          `${sizeLabel(size)}: write lock per sensor run +${NEW_JOBS} jobs: longest transaction ${round(median(locks.map((l) => l.longestMs)), 1)} ms ` +
            `(median of ${RUNS}; the longest of all ${round(worst.longestMs, 1)} ms, ${worst.longestAction}), ` +
            `${round(median(locks.map((l) => l.count)), 0)} transactions holding it ${round(median(locks.map((l) => l.totalMs)), 1)} ms in all`,
        );
      } finally {
        await executor.close();
        db.close();
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
