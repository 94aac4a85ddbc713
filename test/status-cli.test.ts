import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runStatus } from '../cli/commands/status.js';
import { HealthFile, type ListenerHealth, listenerHealthPath } from '../ingestion/listener-health.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase } from '../lib/sqlite.js';

let dir: string;
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-05-01T10:00:00.000Z');

function database(): string {
  dir = mkdtempSync(join(tmpdir(), 'bambuzled-status-'));
  const dbPath = join(dir, 'history.db');
  const db = openDatabase(dbPath);
  migrateRawSchema(db);
  db.prepare(
    `INSERT INTO printers_raw (printer_serial, printer_name, first_seen_at, last_report_at) VALUES ('S1', 'garage', ?, ?)`,
  ).run('2026-05-01T09:00:00.000Z', '2026-05-01T09:59:50.000Z');
  db.close();
  return dbPath;
}

function health(dbPath: string, over: Partial<ListenerHealth>, pending: number): void {
  const file = new HealthFile(listenerHealthPath(dbPath));
  file.write({
    updatedAt: '2026-05-01T09:59:58.000Z',
    running: true,
    pid: 1,
    printers: [
      {
        name: 'garage',
        serial: 'S1',
        // While writes fail the database's time goes stale; the listener's own is the newer one.
        lastReportAt: '2026-05-01T09:59:59.000Z',
        writeFailures: pending > 0 ? 4 : 0,
        writes: {
          failing: pending > 0,
          failingSince: pending > 0 ? '2026-05-01T09:58:00.000Z' : null,
          lastError: pending > 0 ? 'database or disk is full' : null,
          pending,
          dropped: 0,
        },
      },
    ],
    archive: null,
    ...over,
  });
  file.close();
}

function lines() {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
  return out;
}

describe('bambuzled status with the listener health file', () => {
  it('says ok when the listener writes', async () => {
    const dbPath = database();
    health(dbPath, {}, 0);
    const out = lines();
    expect(await runStatus({ db: dbPath, maxSilence: '120' }, NOW)).toBe(0);
    expect(out).toEqual(['ok      garage (S1): last report 1 s ago']);
  });

  it('fails with what waits while writes fail', async () => {
    const dbPath = database();
    health(dbPath, {}, 12);
    const out = lines();
    expect(await runStatus({ db: dbPath, maxSilence: '120' }, NOW)).toBe(1);
    expect(out).toEqual([
      'FAILING garage (S1): last report 1 s ago; writes failing since 2026-05-01T09:58:00.000Z (database or disk is full): 12 report(s) waiting, 0 dropped',
    ]);
  });

  it('ignores the health of a listener that has stopped', async () => {
    const dbPath = database();
    health(dbPath, { running: false }, 12);
    const out = lines();
    expect(await runStatus({ db: dbPath, maxSilence: '120' }, NOW)).toBe(0);
    expect(out).toEqual(['ok      garage (S1): last report 10 s ago']);
  });
});
