import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ListenerConfig } from '../ingestion/config.js';
import { startListener } from '../ingestion/listener.js';
import { PgRawStore } from '../ingestion/pg-raw-store.js';
import { PrinterTracker } from '../ingestion/printer-tracker.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import {
  buildLoad,
  type LoadReady,
  type LoadSpec,
  publishLoad,
  startLoadFarm,
} from '../simulator/load-generator.js';
import type { BenchReport } from './report.js';

/**
 * How many reports per second one listener process takes from N simulated printers through the
 * real local TLS broker, with every transition written, against a floor measured in the same run:
 * the same kind of payloads parsed, merged and written by the same trackers in a loop, no network.
 * Built (dist-bench/), the broker and the printers run in a child process, so that the rate and the peak
 * RSS are the listener's own; from the TypeScript sources they share the process.
 */
const SPEC: LoadSpec = { printers: 8, jobsPerPrinter: 12, noisePerStep: 60 };
const TARGET_RATE = 5_000;
const TARGET_RSS_MB = 150;
const DEADLINE_MS = 60_000;

/** Where the broker and the printers run: a child process or this one. */
interface LoadSide {
  config: ListenerConfig;
  totalReports: number;
  expectedEvents: number;
  inProcess: boolean;
  go(): Promise<{ peakRssMb: number | null }>;
  close(): Promise<void>;
}

async function childLoad(script: string): Promise<LoadSide> {
  const child: ChildProcess = spawn(process.execPath, [script, JSON.stringify(SPEC)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  const { ready } = (await next()) as unknown as LoadReady;
  return {
    ...ready,
    inProcess: false,
    go: async () => {
      child.stdin!.write('go\n');
      const done = await next();
      return { peakRssMb: Number(done.peakRssMb) };
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.write('stop\n');
      await exited;
    },
  };
}

async function inProcessLoad(): Promise<LoadSide> {
  const loads = buildLoad(SPEC);
  const farm = await startLoadFarm(loads);
  return {
    config: farm.config,
    totalReports: loads.reduce((sum, load) => sum + load.payloads.length, 0),
    expectedEvents: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
    inProcess: true,
    go: async () => {
      await publishLoad(farm, loads);
      return { peakRssMb: null };
    },
    close: () => farm.close(),
  };
}

function eventCount(db: SqliteDatabase): number {
  return db.prepare('SELECT COUNT(*) FROM job_events_raw').pluck().get() as number;
}

/** A fresh database on the server BAMBUZLED_BENCH_POSTGRES names, and how to count its transitions. */
async function freshPostgres(
  base: string,
  name: string,
): Promise<{ url: string; events(): Promise<number> }> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    events: async () => {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT COUNT(*) AS n FROM main.job_events_raw');
        return Number(rows[0]?.n ?? 0);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * The floor into PostgreSQL: the same payloads and trackers, writing through a PgRawStore. The
 * printers go in step, one report each at a time, each waiting for its write (a real printer's
 * reports come one after another, and the tracker writes them in order).
 */
async function measurePostgresFloor(
  base: string,
): Promise<{ rate: number; events: number; expected: number }> {
  const loads = buildLoad(SPEC);
  const target = await freshPostgres(base, 'bambuzled_bench_floor');
  const store = new PgRawStore({ url: target.url, maxConnections: loads.length });
  await store.migrate();
  const trackers = loads.map(
    (load, i) =>
      new PrinterTracker({
        printer: { name: `floor-${i}`, serial: load.serial },
        db: store,
        checkIntervalS: 60,
      }),
  );
  const total = loads.reduce((sum, load) => sum + load.payloads.length, 0);
  const longest = Math.max(...loads.map((load) => load.payloads.length));
  const started = performance.now();
  for (let i = 0; i < longest; i++) {
    for (let p = 0; p < loads.length; p++) {
      const payload = loads[p]!.payloads[i];
      if (payload !== undefined) trackers[p]!.handleMessage(`device/${loads[p]!.serial}/report`, payload);
    }
    await Promise.all(trackers.map((tracker) => tracker.flush()));
  }
  const seconds = (performance.now() - started) / 1000;
  for (const tracker of trackers) tracker.close();
  await store.close();
  return {
    rate: total / seconds,
    events: await target.events(),
    expected: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
  };
}

/** The floor: the same kind of payloads through the same trackers and writes, in a loop. */
function measureFloor(dir: string): { rate: number; events: number; expected: number } {
  const loads = buildLoad(SPEC);
  const db = openDatabase(join(dir, 'floor.db'));
  migrateRawSchema(db);
  const trackers = loads.map(
    (load, i) =>
      new PrinterTracker({ printer: { name: `floor-${i}`, serial: load.serial }, db, checkIntervalS: 60 }),
  );
  const total = loads.reduce((sum, load) => sum + load.payloads.length, 0);
  const longest = Math.max(...loads.map((load) => load.payloads.length));
  const started = performance.now();
  // Interleaved by printer, as the broker delivers them.
  for (let i = 0; i < longest; i++) {
    for (let p = 0; p < loads.length; p++) {
      const payload = loads[p]!.payloads[i];
      if (payload !== undefined) trackers[p]!.handleMessage(`device/${loads[p]!.serial}/report`, payload);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const events = eventCount(db);
  db.close();
  return {
    rate: total / seconds,
    events,
    expected: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
  };
}

async function waitFor(condition: () => boolean, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

export async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-bench-listener-'));
  const generator = fileURLToPath(new URL('../simulator/load-generator.js', import.meta.url));
  const load = import.meta.url.endsWith('.js') ? await childLoad(generator) : await inProcessLoad();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const db = openDatabase(join(dir, 'listener.db'));
  migrateRawSchema(db);
  const listener = startListener({ config: load.config, db });
  const received = () => listener.status().reduce((sum, s) => sum + s.reports, 0);
  // Each printer first answers pushall and get_version: two reports before the load starts.
  await waitFor(() => listener.status().every((s) => s.connected && s.reports >= 2), 10_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const baseline = received();

  const started = performance.now();
  const sender = await load.go();
  const complete = await waitFor(() => received() - baseline >= load.totalReports, DEADLINE_MS);
  const seconds = (performance.now() - started) / 1000;
  const delivered = received() - baseline;
  await waitFor(() => eventCount(db) >= load.expectedEvents, 2_000);
  const events = eventCount(db);
  clearInterval(sampler);

  await listener.close();
  await load.close();
  db.close();
  const floor = measureFloor(dir);
  const pgBase = process.env.BAMBUZLED_BENCH_POSTGRES;
  const pgFloor = pgBase ? await measurePostgresFloor(pgBase) : null;
  rmSync(dir, { recursive: true, force: true });

  const rate = delivered / seconds;
  const lost = load.expectedEvents - events;
  const rssMb = peakRss / (1024 * 1024);
  const where = load.inProcess ? 'listener + broker + simulators' : 'listener process';
  return {
    title: `Listener: ${SPEC.printers} simulated printers through the local TLS broker`,
    figures: [
      {
        name: 'reports/s through the broker',
        value: Math.round(rate),
        unit: 'reports/s',
        target: `≥ ${TARGET_RATE}`,
        pass: rate >= TARGET_RATE,
      },
      {
        name: 'floor: same payloads, trackers and writes, no network',
        value: Math.round(floor.rate),
        unit: 'reports/s',
      },
      { name: 'share of the floor', value: Math.round((rate / floor.rate) * 1000) / 10, unit: '%' },
      {
        name: 'reports delivered',
        value: delivered,
        unit: `of ${load.totalReports}`,
        target: 'all',
        pass: complete && delivered === load.totalReports,
      },
      {
        name: 'transitions lost',
        value: lost,
        unit: `of ${load.expectedEvents}`,
        target: '0',
        pass: lost === 0 && floor.events === floor.expected,
      },
      ...(pgFloor
        ? [
            {
              name: 'floor into PostgreSQL: same payloads and trackers, PgRawStore',
              value: Math.round(pgFloor.rate),
              unit: 'reports/s',
            },
            {
              name: 'PostgreSQL floor / SQLite floor',
              value: Math.round((pgFloor.rate / floor.rate) * 1000) / 10,
              unit: '%',
            },
            {
              name: 'transitions lost into PostgreSQL',
              value: pgFloor.expected - pgFloor.events,
              unit: `of ${pgFloor.expected}`,
              target: '0',
              pass: pgFloor.events === pgFloor.expected,
            },
          ]
        : []),
      {
        name: `peak RSS (${where})`,
        value: Math.round(rssMb),
        unit: 'MB',
        target: `< ${TARGET_RSS_MB}`,
        pass: rssMb < TARGET_RSS_MB,
      },
    ],
    notes: [
      `${SPEC.printers} printers × ${SPEC.jobsPerPrinter} jobs (finish, cancel, pause, fail), ${SPEC.noisePerStep} noise deltas between scripted steps; check_interval 60.`,
      load.inProcess
        ? 'The broker and the simulated printers ran in this process (TypeScript sources): rate and RSS include them.'
        : `The broker and the simulated printers ran in a child process (its peak RSS: ${sender.peakRssMb} MB).`,
      `The floor wrote ${floor.events} of ${floor.expected} transitions from the same kind of payloads.`,
      pgFloor
        ? 'PostgreSQL: a local server (BAMBUZLED_BENCH_POSTGRES), its database recreated; 8 printers in step, each report written before its next.'
        : 'PostgreSQL not measured: set BAMBUZLED_BENCH_POSTGRES=postgres://user:password@host:port/postgres (a server the bench may create a database on).',
    ],
  };
}
