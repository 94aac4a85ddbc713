import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { kitRecord } from '../test/helpers/raw-test-kit.js';
import { migrateRawSchema } from './raw-schema.js';
import type { ReportWrite } from './raw-write-types.js';
import { RawThreadOpenError, ThreadedRawStore } from './threaded-raw-store.js';

const printer = { serial: '01P00A000000001', name: 'p1s' };

/** A report that starts job `n` of the printer: one `started` transition. */
function startOf(n: number): ReportWrite {
  const at = new Date(Date.UTC(2026, 11, 2, 10, 0, n)).toISOString();
  return {
    printer,
    at,
    state: { gcode_state: 'RUNNING' },
    touchPrinter: false,
    writes: [
      {
        job: kitRecord({ jobKey: `job-${n}`, status: 'running', startedAt: at }),
        transition: { event: 'started', fromStatus: null, toStatus: 'running' },
      },
    ],
  };
}

/** Resolves after `ms` of the caller's own event loop: it only fires if nothing blocks that loop. */
const loopTurn = (ms: number) => new Promise((resolve) => setTimeout(() => resolve('timer'), ms));

/** Keeps this thread busy for `ms` without yielding, as a synchronous statement would. */
function holdFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe('the raw writer thread', () => {
  let dir: string;
  let path: string;
  let other: SqliteDatabase;
  const stores: ThreadedRawStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-raw-thread-'));
    path = join(dir, 'raw.db');
    other = openDatabase(path);
    migrateRawSchema(other);
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    for (const store of stores.splice(0)) await store.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(options: { busyTimeoutMs?: number } = {}): Promise<ThreadedRawStore> {
    const store = await ThreadedRawStore.open(path, options);
    stores.push(store);
    return store;
  }

  it('writes the rows a report produces and answers with their change sequence', async () => {
    const store = await open();
    const written = await store.write(startOf(1));
    expect(written).toEqual([
      expect.objectContaining({ jobKey: 'job-1', event: 'started', toStatus: 'running' }),
    ]);
    const row = other.prepare('SELECT status, change_seq FROM jobs_raw WHERE job_key = ?').get('job-1');
    expect(row).toEqual({ status: 'running', change_seq: written[0]!.seq });
    expect(await store.keyTaken('job-1')).toBe(true);
    expect((await store.openJobs(printer.serial)).map((job) => job.jobKey)).toEqual(['job-1']);
  });

  it("waits for another connection's write lock without holding up the caller's event loop", async () => {
    const store = await open();
    other.exec('BEGIN IMMEDIATE');
    const write = store.write(startOf(1));
    // The write cannot finish while the lock is held, yet the caller's timers still run.
    expect(await Promise.race([write, loopTurn(100)])).toBe('timer');
    other.exec('COMMIT');
    expect((await write).map((t) => t.jobKey)).toEqual(['job-1']);
  });

  it('writes the reports that queued up behind a lock in the order they were asked', async () => {
    const store = await open();
    other.exec('BEGIN IMMEDIATE');
    const writes = [1, 2, 3, 4, 5].map((n) => store.write(startOf(n)));
    await loopTurn(50);
    other.exec('COMMIT');
    const seqs = (await Promise.all(writes)).map((written) => written[0]!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(5);
  });

  it("takes the lock in the first gaps between another connection's transactions, after a long one", async () => {
    const store = await open();
    const count = other.prepare('SELECT COUNT(*) FROM job_events_raw').pluck();
    // A run: one model holding the lock 250 ms, then 30 short actions (5 ms each, 4 ms apart: the
    // runner's round trip between two). The write is asked for while the model holds the lock.
    other.exec('BEGIN IMMEDIATE');
    const write = store.write(startOf(1));
    holdFor(250);
    other.exec('COMMIT');
    const seenByAction: number[] = [];
    for (let action = 0; action < 30; action++) {
      holdFor(4);
      other.exec('BEGIN IMMEDIATE');
      seenByAction.push(count.get() as number);
      holdFor(5);
      other.exec('COMMIT');
    }
    await write;
    // Written in one of the first four gaps. SQLite's own busy handler, by then sleeping 100 ms
    // between tries (the next at 328 ms), would find the lock taken for most of the run.
    expect(seenByAction.indexOf(1)).toBeGreaterThanOrEqual(0);
    expect(seenByAction.indexOf(1)).toBeLessThan(4);
  });

  it('refuses a write as busy once the lock is held past its busy timeout, and writes it when asked again', async () => {
    const store = await open({ busyTimeoutMs: 50 });
    other.exec('BEGIN IMMEDIATE');
    const error = await Promise.resolve(store.write(startOf(1))).catch((e: unknown) => e);
    expect(store.refusal(error)).toEqual({ kind: 'busy', message: expect.stringMatching(/locked|busy/i) });
    other.exec('COMMIT');
    expect(await store.write(startOf(1))).toHaveLength(1);
  });

  it('says why when it cannot open the database', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    await expect(ThreadedRawStore.open(folder)).rejects.toBeInstanceOf(RawThreadOpenError);
    await expect(ThreadedRawStore.open(folder)).rejects.toThrow(/a-folder/);
  });

  it('starts a new thread when its thread dies, and refuses only what was asked of the dead one', async () => {
    const store = await open();
    expect(await store.write(startOf(1))).toHaveLength(1);
    // What a crash of the thread (an out-of-memory, a bug) looks like from the listener's side.
    const { worker } = (store as unknown as { thread: { worker: Worker } }).thread;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await worker.terminate();
    await exited;
    expect(await store.write(startOf(2))).toHaveLength(1);
    expect(await store.keyTaken('job-1')).toBe(true);
    expect(other.prepare('SELECT COUNT(*) FROM jobs_raw').pluck().get()).toBe(2);
  });

  it('answers what was asked before close, and refuses what comes after as unavailable', async () => {
    const store = await ThreadedRawStore.open(path);
    const before = store.write(startOf(1));
    const closed = store.close();
    const after = await Promise.resolve(store.write(startOf(2))).catch((e: unknown) => e);
    expect(await before).toHaveLength(1);
    await closed;
    expect(store.refusal(after)?.kind).toBe('unavailable');
    expect(other.prepare('SELECT COUNT(*) FROM jobs_raw').pluck().get()).toBe(1);
  });
});
