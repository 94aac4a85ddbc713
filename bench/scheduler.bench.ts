import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileProject, openEngine } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { createScheduler } from '../scheduler/scheduler.js';
import { RawLayerWriter, writeSensorProject } from '../test/helpers/sensor-sandbox.js';
import type { BenchReport } from './report.js';

const JOBS = 20;
/** Issue 9's targets: the wake in `start`'s single process, and the change feed across processes. */
const IN_PROCESS_TARGET_MS = 20;
const POLL_TARGET_MS = 250;
const POLL_INTERVAL_MS = 100;

/**
 * Job end (a raw transition committed) → its row in jobs_brz, both ways the scheduler learns of it:
 * wake() in the listener's process, and the change feed's poll (every 100 ms) when another process
 * commits. The writer is a synchronous connection of its own, as the listener's is; the scheduler's
 * control and run connections are processes of their own, so the commit is always "foreign" to them.
 */
export async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-scheduler-bench-'));
  try {
    const projectDir = writeSensorProject(join(dir, 'project'));
    const compiled = await compileProject({ projectDir });
    if (!compiled.ok) throw new Error(`the bench project does not compile: ${compiled.message}`);
    const inProcess = await measure(join(dir, 'wake.db'), projectDir, 'wake');
    const polled = await measure(join(dir, 'poll.db'), projectDir, 'poll');
    const figure = (name: string, values: number[], p: number, target?: number) => {
      const value = Math.round(percentile(values, p));
      return {
        name,
        value,
        unit: 'ms',
        ...(target !== undefined ? { target: `< ${target} ms`, pass: value < target } : {}),
      };
    };
    return {
      title: 'Scheduler: job end → row in jobs_brz',
      figures: [
        figure('in-process wake(), p50', inProcess, 50),
        figure('in-process wake(), p95', inProcess, 95, IN_PROCESS_TARGET_MS),
        figure(`change feed poll (${POLL_INTERVAL_MS} ms), p50`, polled, 50),
        figure(`change feed poll (${POLL_INTERVAL_MS} ms), p95`, polled, 95, POLL_TARGET_MS),
      ],
      notes: [
        `${JOBS} jobs each way, one printer after another, on a temp SQLite file (WAL).`,
        `The poll reads MAX(seq) of job_events_raw every ${POLL_INTERVAL_MS} ms, so its latency is the wait for the next look plus the run.`,
        'Each run: take the run lock, read the change feed, compile (cache), runGraph (run recorded RUNNING, jobs_brz, the assertion, the end with the cursor), release, record the tick: all through connection processes.',
        `The graph is compiled once before (compile cache); each run re-reads the cache: ${Math.round(compiled.durationMs)} ms for the first compile.`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(dbPath: string, projectDir: string, way: 'wake' | 'poll'): Promise<number[]> {
  // The listener's connection: synchronous, as in `bambuzled start` or another process.
  const listenerDb = openDatabase(dbPath);
  migrateRawSchema(listenerDb);
  const writer = new RawLayerWriter(listenerDb);
  const scheduler = createScheduler({
    engine: openEngine(dbPath),
    projectDir,
    pollIntervalMs: way === 'poll' ? POLL_INTERVAL_MS : 0,
    // Only the fast path under test may trigger runs here.
    cron: { schedule: () => ({ stop: () => undefined }), validate: () => true },
  });
  scheduler.start();
  await scheduler.idle();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < JOBS; i++) {
      const jobKey = `${way}-${i}`;
      writer.start(i % 2 ? 'P1S-A' : 'X1C-B', jobKey);
      const started = performance.now();
      writer.end(jobKey);
      if (way === 'wake') scheduler.wake('job-ended');
      await untilBronzeHas(listenerDb, jobKey);
      latencies.push(performance.now() - started);
      // Spread the ends over the poll's phase, as real jobs do.
      await sleep(37 + ((i * 211) % 400));
    }
  } finally {
    await scheduler.close();
    listenerDb.close();
  }
  return latencies;
}

async function untilBronzeHas(db: SqliteDatabase, jobKey: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  const exists = () => {
    try {
      return db.prepare('SELECT 1 FROM jobs_brz WHERE job_id = ?').get(jobKey) !== undefined;
    } catch {
      return false; // no jobs_brz before the first run
    }
  };
  while (!exists()) {
    if (performance.now() > deadline) throw new Error(`${jobKey} never reached jobs_brz`);
    // 1 ms: the in-process figure is about 10 ms, so a coarser look would be most of it.
    await sleep(1);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank] ?? Number.NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
