import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, openDatabase, recordingLogger, type SqliteDatabase } from '../lib/index.js';
import { type BadInputEvent, PrinterTracker, type TransitionEvent } from './printer-tracker.js';

/**
 * A PrinterTracker on a real SQLite file in a temp folder, with a hand-driven clock: the test kit of
 * the ingestion tests (and of anyone testing on top of the tracker). Not used by the listener itself.
 */
export interface TrackerHarness {
  tracker: PrinterTracker;
  db: SqliteDatabase;
  dbPath: string;
  serial: string;
  topic: string;
  logger: Logger & { lines: string[] };
  transitions: TransitionEvent[];
  ended: TransitionEvent[];
  bad: BadInputEvent[];
  /** Sets the clock (ISO text) or moves it on (milliseconds). */
  at(time: string | number): void;
  now(): Date;
  /** Publishes `{"print": print}` on the report topic, optionally at a given time. */
  send(print: unknown, time?: string | number): void;
  /** Publishes raw bytes or text on the report topic. */
  sendRaw(payload: Buffer | string, topic?: string): void;
  /** Fires the retry timers the tracker has set (they never fire by themselves in the harness). */
  fireTimers(): void;
  /** Retry timers set and not yet fired or cleared. */
  pendingTimers(): number;
  /** A fresh tracker on a fresh connection to the same file: the listener restarted. */
  restart(): void;
  jobs(): Array<Record<string, unknown>>;
  events(): Array<Record<string, unknown>>;
  close(): void;
}

export interface HarnessOptions {
  serial?: string;
  name?: string;
  checkIntervalS?: number;
  start?: string;
  maxPendingReports?: number;
}

export function trackerHarness(options: HarnessOptions = {}): TrackerHarness {
  const serial = options.serial ?? '01P00A000000000';
  const name = options.name ?? 'test-printer';
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-tracker-'));
  const dbPath = join(dir, 'raw.db');
  let clock = new Date(options.start ?? '2025-05-01T10:00:00.000Z').getTime();
  const logger = recordingLogger();
  const transitions: TransitionEvent[] = [];
  const ended: TransitionEvent[] = [];
  const bad: BadInputEvent[] = [];
  const timers = new Map<number, () => void>();
  let nextTimer = 0;

  const make = (db: SqliteDatabase) => {
    // Tests need the file, not its crash-safety: skip the fsync on every commit.
    db.pragma('synchronous = OFF');
    const tracker = new PrinterTracker({
      printer: { name, serial },
      db,
      now: () => new Date(clock),
      checkIntervalS: options.checkIntervalS ?? 60,
      logger,
      timers: {
        setTimeout: (callback) => {
          nextTimer += 1;
          timers.set(nextTimer, callback);
          return nextTimer;
        },
        clearTimeout: (handle) => timers.delete(handle as number),
      },
      ...(options.maxPendingReports ? { maxPendingReports: options.maxPendingReports } : {}),
    });
    tracker.on('transition', (event) => transitions.push(event));
    tracker.on('job-ended', (event) => ended.push(event));
    tracker.on('bad-input', (event) => bad.push(event));
    tracker.connected();
    return tracker;
  };

  const harness: TrackerHarness = {
    db: openDatabase(dbPath),
    dbPath,
    serial,
    topic: `device/${serial}/report`,
    logger,
    transitions,
    ended,
    bad,
    tracker: undefined as unknown as PrinterTracker,
    at(time) {
      clock = typeof time === 'number' ? clock + time : new Date(time).getTime();
    },
    now: () => new Date(clock),
    send(print, time) {
      if (time !== undefined) harness.at(time);
      harness.tracker.handleMessage(harness.topic, JSON.stringify({ print }));
    },
    sendRaw(payload, topic = harness.topic) {
      harness.tracker.handleMessage(topic, payload);
    },
    fireTimers() {
      const due = [...timers.entries()];
      timers.clear();
      for (const [, callback] of due) callback();
    },
    pendingTimers: () => timers.size,
    restart() {
      harness.tracker.close();
      harness.db.close();
      harness.db = openDatabase(dbPath);
      harness.tracker = make(harness.db);
    },
    jobs: () =>
      harness.db.prepare('SELECT * FROM jobs_raw ORDER BY id').all() as Array<Record<string, unknown>>,
    events: () =>
      harness.db.prepare('SELECT * FROM job_events_raw ORDER BY seq').all() as Array<Record<string, unknown>>,
    close() {
      harness.tracker.close();
      harness.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  harness.tracker = make(harness.db);
  return harness;
}

/** Reads a printer payload fixture from test/fixtures/bambu/. */
export function bambuFixture<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../test/fixtures/bambu/${file}`, import.meta.url), 'utf8')) as T;
}
