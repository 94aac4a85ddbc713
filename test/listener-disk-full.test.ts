import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runStatus } from '../cli/commands/status.js';
import { type Listener, startListener } from '../ingestion/listener.js';
import { listenerHealthPath, readListenerHealth } from '../ingestion/listener-health.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { ReportArchive } from '../ingestion/report-archive.js';
import { restateRawLayer } from '../ingestion/restate.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { buildJobScript } from '../simulator/job-scripts.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000, healthIntervalMs: 50 };

/** Mounting needs root; elsewhere this test cannot make a real full disk and says so. */
function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A real 2 MB filesystem, unmounted by the test's cleanup. */
function smallFilesystem(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  cleanup.push(() => {
    try {
      execFileSync('umount', [dir]);
    } catch {
      // Something of this process still holds a file there (a failed test): detach it now, freed at exit.
      execFileSync('umount', ['-l', dir]);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the filesystem to the last byte; returns a function that frees the space again. */
function fill(dir: string): () => void {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // The last partial chunk: fill the remaining bytes one small write at a time.
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch {
    // full to the block
  }
  closeSync(fd);
  const free = () => rmSync(path, { force: true });
  // Freed before anything else is closed, should the test fail while the disk is full.
  cleanup.push(free);
  return free;
}

describe.skipIf(!canMount())('the listener on a full disk (a real 2 MB tmpfs)', () => {
  it('keeps every report, says writes are failing, and writes them with their own times when space returns', async () => {
    const dir = smallFilesystem();
    const dbPath = join(dir, 'history.db');
    const db = openDatabase(dbPath);
    migrateRawSchema(db);
    const farm = await startSimulatedFarm({
      printers: [{ serial: '01P00A000000081', model: 'P1S', accessCode: 'c0de8XyZ', name: 'full-disk' }],
      checkIntervalS: 1,
    });
    const logger = recordingLogger();
    const archive = new ReportArchive({ dir: join(dir, 'history.archive'), flushIntervalMs: 50, logger });
    let listener: Listener | undefined;
    cleanup.push(async () => {
      await listener?.close();
      await farm.close();
      db.close();
    });
    listener = startListener({
      config: farm.config,
      db,
      logger,
      timing: FAST,
      archive,
      healthFile: listenerHealthPath(dbPath),
    });
    await until(() => listener!.status().every((s) => s.connected && s.reports > 0));
    const printer = farm.printers[0]!;

    // The WAL is emptied first, so that the very next write needs space the disk does not have.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const free = fill(dir);
    const jobs = 20;
    for (let i = 1; i <= jobs; i++) {
      await printer.play(buildJobScript('finish', { model: 'P1S', stepMs: 20, index: i }));
    }
    // One more report after the jobs: once it has arrived, every report of the jobs has (MQTT keeps order).
    const sentAt = Date.now();
    await printer.report({ wifi_signal: '-41dBm' });
    await until(() => Date.parse(listener!.status()[0]!.lastReportAt ?? '') >= sentAt);
    await until(() => (readListenerHealth(listenerHealthPath(dbPath))?.printers[0]?.writes.pending ?? 0) > 0);
    const during = readListenerHealth(listenerHealthPath(dbPath))!;
    expect(during.printers[0]!.writes).toMatchObject({ failing: true, dropped: 0 });
    expect(during.printers[0]!.writes.pending).toBeGreaterThan(0);
    expect(during.printers[0]!.writes.lastError).toMatch(/full/i);

    // `bambuzled status` says so, from another "process" (the health file), and fails the health check.
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    expect(await runStatus({ db: dbPath, maxSilence: '120' })).toBe(1);
    expect(lines[0]).toMatch(
      /^FAILING full-disk \(01P00A000000081\): last report \d+ s ago; writes failing since .*: \d+ report\(s\) waiting, 0 dropped/,
    );

    const freedAt = new Date().toISOString();
    free();
    await until(() => listener!.status()[0]!.writes.pending === 0, 20_000);

    const rows = db
      .prepare(`SELECT subtask_name, status, started_at, ended_at FROM jobs_raw ORDER BY started_at`)
      .all() as { status: string; ended_at: string }[];
    expect(rows).toHaveLength(jobs);
    expect(rows.every((row) => row.status === 'finished')).toBe(true);
    // Each transition carries the time its report arrived, not the time the disk had room again.
    expect(rows.every((row) => row.ended_at < freedAt)).toBe(true);
    expect(listener.status()[0]!.writes).toMatchObject({ failing: false, pending: 0, dropped: 0 });
    // One line for the outage, not one per refused report.
    expect(logger.lines.filter((line) => line.includes('could not write the raw layer'))).toHaveLength(1);

    // The archive lived on the same disk: its appends failed too, were kept, and are all written now,
    // so that a replay of it gives the rows the listener wrote.
    await archive.flush();
    expect(archive.stats()).toMatchObject({ droppedRecords: 0, waitingRecords: 0 });
    expect(archive.stats().writeErrors).toBeGreaterThan(0);
    // The replay builds a second raw layer beside the first: with no room for it, restate stops with a
    // clear error and the database is untouched; with room, it gives the rows the listener wrote.
    const freeAgain = fill(dir);
    expect(() =>
      restateRawLayer({ db, dbPath, archiveDir: join(dir, 'history.archive'), reason: 'no room' }),
    ).toThrow(/^Could not write the fresh raw layer: database or disk is full\. .* nothing was changed\./);
    expect(
      db.prepare(`SELECT subtask_name, status, started_at, ended_at FROM jobs_raw ORDER BY started_at`).all(),
    ).toEqual(rows);
    freeAgain();
    execFileSync('mount', ['-o', 'remount,size=16m', dir]);
    const restated = restateRawLayer({
      db,
      dbPath,
      archiveDir: join(dir, 'history.archive'),
      reason: 'after the full disk',
    });
    // An append the full disk cut short was cut off again, so no block of the archive is damaged.
    expect(restated.skipped).toBe(0);
    const replayed = db
      .prepare(`SELECT subtask_name, status, started_at, ended_at FROM jobs_raw ORDER BY started_at`)
      .all() as Record<string, unknown>[];
    expect(replayed).toEqual(rows);
  });
});
