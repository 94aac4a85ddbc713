/**
 * The listener beside a long transformation run: 8 simulated printers, each report stamped when it is
 * sent, reach a real listener through the real TLS broker (printers in a child process) while a full
 * refresh of jobs_brz over a 1M-job history runs
 *  - in the listener's own process (as `bambuzled start` runs it: SQLite behind the async executor, in
 *    a process of its own), and
 *  - in another process (`bambuzled run --full-refresh`, as `schedule` beside `listen` would).
 * Measured: report latency (sent → handled by the listener) p99, against the same stream with no run
 * (the baseline, in the same process); lock errors logged; transitions lost; transitions recorded
 * with a time more than 1 s after the state report that made them arrived ("late"); how long a transition waited for
 * SQLite's write lock before it was committed (the run holds it while it rebuilds the table).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as mqttConnect } from 'mqtt';
import { compileProject, openSqliteExecutor, runGraph } from '../adapter/index.js';
import { LISTENER_BUSY_TIMEOUT_MS } from '../cli/commands/listen.js';
import type { ListenerConfig } from '../ingestion/config.js';
import { startListener } from '../ingestion/listener.js';
import type { MqttConnect } from '../ingestion/printer-connection.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import type { Logger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import type { LoadReady, LoadSpec } from '../simulator/load-generator.js';
import { insertFinishedJobs } from './adapter.bench.js';
import type { BenchFigure, BenchReport } from './report.js';

const HISTORY = 1_000_000;
/** One report per printer every PACE_MS: 8 printers → 160 reports/s, busy printers' rate. */
const SPEC: LoadSpec = { printers: 8, jobsPerPrinter: 3, noisePerStep: 12 };
const PACE_MS = 50;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

interface Phase {
  latencies: number[];
  lockErrors: number;
  /** Transitions the printers' scripts make, and those that reached job_events_raw. */
  expected: number;
  transitions: number;
  late: number;
  commitWaitsMs: number[];
}

export async function run(): Promise<BenchReport> {
  const work = mkdtempSync(join(tmpdir(), 'bambuzled-bench-engine-'));
  const path = join(work, 'history.db');
  const notes: string[] = [];
  try {
    const compiled = await compileProject({ projectDir: root });
    if (!compiled.ok) throw new Error(compiled.message);
    const setup = openDatabase(path);
    migrateRawSchema(setup);
    insertFinishedJobs(setup, 1, HISTORY);
    setup.close();
    const executor = await openSqliteExecutor(path);
    const built = await runGraph(compiled.graph, {
      executor,
      selection: { actions: ['jobs_brz', 'raw_snapshot_brz'] },
    });
    if (built.status !== 'SUCCESSFUL')
      throw new Error(`building bronze failed: ${JSON.stringify(built.actions)}`);

    const refreshInProcess = async () => {
      const started = performance.now();
      const result = await runGraph(compiled.graph, {
        executor,
        selection: { actions: ['jobs_brz'] },
        fullRefresh: true,
        trigger: 'bench',
      });
      if (result.status !== 'SUCCESSFUL') throw new Error(`full refresh failed: ${result.error ?? ''}`);
      return performance.now() - started;
    };
    const refreshElsewhere = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const child = spawn(
          process.execPath,
          [
            join(root, 'bin', 'bambuzled.js'),
            'run',
            root,
            '--actions',
            'jobs_brz',
            '--full-refresh',
            '--db',
            path,
          ],
          { stdio: 'ignore' },
        );
        child.on('exit', (code) =>
          code === 0 ? resolve(performance.now() - started) : reject(new Error(`run exited ${code}`)),
        );
      });

    const baseline = await phase(path, async () => 0);
    const inProcess = await phase(path, refreshInProcess);
    const elsewhere = await phase(path, refreshElsewhere);
    await executor.close();

    const figures: BenchFigure[] = [];
    const p99 = (p: Phase) => percentile(p.latencies, 0.99);
    for (const [label, p] of [
      ['beside a 1M full refresh in the same process', inProcess],
      ['beside a 1M full refresh in another process', elsewhere],
    ] as const) {
      figures.push(
        {
          name: `report latency p99, ${label}`,
          value: round(p99(p), 1),
          unit: 'ms',
          target: '< 50 ms',
          pass: p99(p) < 50,
        },
        {
          name: `lock errors logged, ${label}`,
          value: p.lockErrors,
          unit: '',
          target: '0',
          pass: p.lockErrors === 0,
        },
        {
          name: `transitions lost, ${label}`,
          value: p.expected - p.transitions,
          unit: '',
          target: '0',
          pass: p.transitions >= p.expected,
        },
        {
          name: `transitions recorded > 1 s after their report arrived, ${label}`,
          value: p.late,
          unit: '',
          target: '0',
          pass: p.late === 0,
        },
        {
          name: `longest wait of a transition for the write lock, ${label}`,
          value: round(Math.max(0, ...p.commitWaitsMs), 0),
          unit: 'ms',
        },
      );
    }
    figures.unshift({
      name: 'report latency p99 with no run (baseline)',
      value: round(p99(baseline), 1),
      unit: 'ms',
    });
    notes.push(
      `${SPEC.printers} printers, one report each every ${PACE_MS} ms through the TLS broker (${baseline.latencies.length} reports, ${baseline.expected} transitions per phase, ${baseline.transitions} written with no run); the listener's busy timeout is ${LISTENER_BUSY_TIMEOUT_MS} ms, as in \`listen\` and \`start\`.`,
      `latency p50 / p99 / max: baseline ${summary(baseline)}; run in process ${summary(inProcess)}; run in another process ${summary(elsewhere)}.`,
      'A transition is "late" when the time recorded for it is more than 1 s after the arrival of the state report that made it; how long its write then waited for the lock (a rebuild holds it) is reported beside it, with no target: the recorded time is the arrival time either way.',
    );
    return { title: 'Listener beside a long run (SQLite)', figures, notes };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One stream of reports into a listener on `path`, while `during` runs (started with the stream). */
async function phase(path: string, during: () => Promise<number>): Promise<Phase> {
  const printers = await startPrinters();
  const db = openDatabase(path, { busyTimeoutMs: LISTENER_BUSY_TIMEOUT_MS });
  migrateRawSchema(db);
  // Each phase's simulated printers have new certificates: forget the last phase's pins.
  db.exec('DELETE FROM printers_raw');
  const eventsBefore = (db.prepare('SELECT count(*) AS n FROM job_events_raw').get() as { n: number }).n;
  const result: Phase = {
    latencies: [],
    lockErrors: 0,
    expected: printers.expectedEvents,
    transitions: 0,
    late: 0,
    commitWaitsMs: [],
  };
  // When each printer's state reports (those that carry gcode_state: the ones that make transitions)
  // arrived, on the listener's clock: a transition's recorded time must be its report's arrival.
  const stateArrivals = new Map<string, number[]>();
  const connect: MqttConnect = (url, options) => {
    const client = mqttConnect(url, options);
    client.on('message', (topic, payload) => {
      const print = (
        JSON.parse(payload.toString()) as { print?: { bench_sent_ms?: number; gcode_state?: string } }
      ).print;
      const sent = print?.bench_sent_ms;
      if (sent === undefined) return;
      if (print?.gcode_state !== undefined) {
        const serial = topic.split('/')[1] ?? '';
        stateArrivals.set(serial, [...(stateArrivals.get(serial) ?? []), Date.now()]);
      }
      // A microtask runs once the emit is over: after the listener's own handler has handled the report.
      queueMicrotask(() => result.latencies.push(Date.now() - sent));
    });
    return client;
  };
  const logger: Logger = {
    info: () => {},
    warn: () => {},
    error: (message) => {
      if (/could not write the raw layer|database is locked/i.test(message)) result.lockErrors++;
    },
  };
  const listener = startListener({ config: printers.config, db, logger, connect });
  listener.on('transition', (event) => {
    const recorded = Date.parse(event.at);
    result.commitWaitsMs.push(Date.now() - recorded);
    // The newest state report of this printer that had arrived by the recorded time (2 ms of slack
    // between the two clock readings of one arrival): the recorded time may not trail it by 1 s.
    const before = (stateArrivals.get(event.printerSerial) ?? []).filter((ms) => ms <= recorded + 2);
    const cause = before[before.length - 1];
    if (cause === undefined || recorded - cause > 1_000) result.late++;
  });
  await waitUntil(
    () => listener.status().every((s) => s.connected),
    15_000,
    () =>
      JSON.stringify(
        listener.status().map((s) => ({ name: s.name, connected: s.connected, error: s.lastError })),
      ),
  );
  const streamed = printers.stream(PACE_MS);
  const ran = during();
  await Promise.all([streamed, ran]);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // let retried writes land
  await listener.close();
  result.transitions =
    (db.prepare('SELECT count(*) AS n FROM job_events_raw').get() as { n: number }).n - eventsBefore;
  db.close();
  await printers.close();
  return result;
}

async function startPrinters(): Promise<{
  config: ListenerConfig;
  expectedEvents: number;
  stream(paceMs: number): Promise<void>;
  close(): Promise<void>;
}> {
  const generator = join(root, 'dist', 'simulator', 'load-generator.js');
  const child: ChildProcess = spawn(process.execPath, [generator, JSON.stringify(SPEC)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  const { ready } = (await next()) as unknown as LoadReady;
  return {
    config: ready.config,
    expectedEvents: ready.expectedEvents,
    stream: async (paceMs) => {
      child.stdin!.write(`paced ${paceMs}\n`);
      await next();
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.write('stop\n');
      await exited;
    },
  };
}

async function waitUntil(check: () => boolean, ms: number, state: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`the printers did not connect: ${state()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function summary(p: Phase): string {
  return `${round(percentile(p.latencies, 0.5), 1)} / ${round(percentile(p.latencies, 0.99), 1)} / ${round(Math.max(...p.latencies), 0)} ms`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
