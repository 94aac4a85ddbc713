import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Listener, startListener } from '../../ingestion/listener.js';
import { migrateRawSchema } from '../../ingestion/raw-schema.js';
import { ReportArchive } from '../../ingestion/report-archive.js';
import { recordingLogger } from '../../lib/logger.js';
import { openDatabase } from '../../lib/sqlite.js';
import { buildJobScript } from '../../simulator/job-scripts.js';
import { startSimulatedFarm } from '../../simulator/simulated-farm.js';
import { until } from './until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000 };
export const LIVE_SESSION_CODES = ['c0de0XyZ', 'c0de1XyZ'];
const CODES = LIVE_SESSION_CODES;

/**
 * Two simulated printers and a real listener with an archive: four jobs played to their end, with a
 * listener restart in the middle of one; then stopped.
 */
export async function recordLiveSession(cleanup: (() => Promise<void>)[]) {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-restate-'));
  const dbPath = join(dir, 'history.db');
  const archiveDir = join(dir, 'history.archive');
  const db = openDatabase(dbPath);
  migrateRawSchema(db);
  const farm = await startSimulatedFarm({
    printers: [
      { serial: '01P00A000000071', model: 'P1S', accessCode: CODES[0]!, name: 'left' },
      { serial: '00M00A000000072', model: 'X1C', accessCode: CODES[1]!, name: 'right' },
    ],
    checkIntervalS: 1,
    // Each job's .3mf over FTPS, so that the jobs have filament figures (recorded beside the replayed rows).
    withFtps: true,
  });
  cleanup.push(async () => {
    await farm.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const archive = new ReportArchive({
    dir: archiveDir,
    secrets: new Map(farm.config.printers.map((p) => [p.serial, p.accessCode])),
  });
  let listener: Listener = startListener({
    config: farm.config,
    db,
    logger: recordingLogger(),
    timing: FAST,
    archive,
  });
  await until(() => listener.status().every((s) => s.connected && s.reports > 0));
  const [left, right] = farm.printers;
  const ended = () =>
    db.prepare('SELECT COUNT(*) FROM jobs_raw WHERE ended_at IS NOT NULL').pluck().get() as number;
  await Promise.all([
    left!.play(buildJobScript('finish', { model: 'P1S', lan: true, stepMs: 30, index: 1 })),
    right!.play(buildJobScript('cancel', { model: 'X1C', stepMs: 25, index: 2 })),
  ]);
  await until(() => ended() === 2);
  const files = () => db.prepare('SELECT COUNT(*) FROM job_files_raw').pluck().get() as number;
  // Their filament is fetched over FTPS once they started; wait for it, as a long print would have.
  await until(() => files() >= 2);
  // The listener restarts in the middle of a job: the archive shows it, and the replay must do the same
  // (a fresh state machine that re-attaches to the open job on its sync).
  const paused = buildJobScript('pause', { model: 'P1S', stepMs: 30, index: 3 });
  const open = () =>
    db.prepare(`SELECT COUNT(*) FROM jobs_raw WHERE status IN ('running', 'paused')`).pluck().get() as number;
  for (const step of paused.steps.slice(0, 4)) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    await left!.report(step.delta);
  }
  await until(() => open() === 1);
  await listener.close();
  const archive2 = new ReportArchive({ dir: archiveDir });
  listener = startListener({
    config: farm.config,
    db,
    logger: recordingLogger(),
    timing: FAST,
    archive: archive2,
  });
  await until(() => listener.status().every((s) => s.connected && s.reports > 0));
  for (const step of paused.steps.slice(4)) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    await left!.report(step.delta);
  }
  await until(() => ended() === 3);
  await right!.play(buildJobScript('fail', { model: 'X1C', stepMs: 25, index: 4 }));
  await until(() => ended() === 4);
  await until(() => files() >= 3);
  await listener.close();
  return { dir, db, dbPath, archiveDir };
}
