import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatStatusLine } from '../ingestion/farm-status.js';
import { type Listener, startListener } from '../ingestion/listener.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { buildJobScript } from '../simulator/job-scripts.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000 };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('the listener while a long transformation holds the write lock (SQLITE_BUSY)', () => {
  it('never waits for the lock, keeps the reports, and writes them with their own times once it is free', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-busy-'));
    const dbPath = join(dir, 'history.db');
    // The short busy timeout the listener's connection gets, so that the event loop never blocks for long.
    const db = openDatabase(dbPath, { busyTimeoutMs: 0 });
    migrateRawSchema(db);
    const farm = await startSimulatedFarm({
      printers: [{ serial: '01P00A000000095', model: 'P1S', accessCode: 'c0de9XyZ', name: 'busy' }],
      checkIntervalS: 1,
    });
    let blocker: SqliteDatabase | undefined;
    let listener: Listener | undefined;
    cleanup.push(async () => {
      blocker?.close();
      await listener?.close();
      await farm.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    listener = startListener({ config: farm.config, db, logger: recordingLogger(), timing: FAST });
    await until(() => listener!.status().every((s) => s.connected && s.reports > 0));

    // A run in another process would hold this for as long as it transforms.
    blocker = openDatabase(dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    const printer = farm.printers[0]!;
    await printer.play(buildJobScript('cancel', { model: 'P1S', stepMs: 20, index: 1 }));
    const sentAt = Date.now();
    await printer.report({ wifi_signal: '-42dBm' });
    await until(() => Date.parse(listener!.status()[0]!.lastReportAt ?? '') >= sentAt);
    const waiting = listener.status()[0]!;
    expect(waiting.writes).toMatchObject({ failing: true, dropped: 0 });
    expect(waiting.writes.pending).toBeGreaterThan(0);
    expect(waiting.writes.lastError).toMatch(/locked|busy/i);
    expect(formatStatusLine(waiting)).toMatch(/writes failing since .*: \d+ report\(s\) waiting, 0 dropped$/);

    const releasedAt = new Date().toISOString();
    blocker.exec('ROLLBACK');
    await until(() => listener!.status()[0]!.writes.pending === 0);
    const rows = db.prepare('SELECT status, started_at, ended_at FROM jobs_raw').all() as {
      status: string;
      started_at: string;
      ended_at: string;
    }[];
    expect(rows.map((r) => r.status)).toEqual(['cancelled']);
    expect(rows[0]!.ended_at < releasedAt).toBe(true);
    expect(listener.status()[0]!.writes).toMatchObject({ failing: false, pending: 0, dropped: 0 });
  });
});
