/**
 * The listener against simulated printers that serve FTPS (the simulator's in-process server, with
 * the broker's certificate as on a real printer): each job's .3mf is fetched while reports keep
 * flowing, and a bad file costs the job its grams, never a report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Listener, startListener } from '../ingestion/listener.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { buildJobScript } from '../simulator/job-scripts.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import { jobFilePath } from '../simulator/simulated-ftps.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000 };
const CODES = ['fT9s0001', 'fT9s0002'];

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp() {
  const signalHandlers = process.listenerCount('SIGTERM');
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-filament-'));
  const db = openDatabase(join(dir, 'raw.db'));
  migrateRawSchema(db);
  const farm = await startSimulatedFarm({
    printers: [
      { serial: '00M00A000000031', model: 'X1C', accessCode: CODES[0] as string, name: 'x1c' },
      { serial: '01P00A000000032', model: 'P1S', accessCode: CODES[1] as string, name: 'p1s' },
    ],
    withFtps: true,
  });
  // The FTP server library's own SIGTERM handler (process.exit) must not cut the host's shutdown short.
  expect(process.listenerCount('SIGTERM')).toBe(signalHandlers);
  const logger = recordingLogger();
  const listener: Listener = startListener({
    config: farm.config,
    db,
    logger,
    timing: FAST,
    jobFiles: { timing: { attempts: 2, retryDelayMs: 100, timeoutMs: 3_000 } },
  });
  cleanup.push(async () => {
    await listener.close();
    await farm.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await until(() => listener.status().every((s) => s.connected && s.reports > 0));
  return { db, farm, logger, listener };
}

function q(db: SqliteDatabase, sql: string, ...params: unknown[]): Record<string, unknown>[] {
  return db.prepare(sql).all(...params) as Record<string, unknown>[];
}

describe("the listener and the printer's FTPS server", () => {
  it("records the filament of a job from its .3mf, with the trays of the job's slot mapping", async () => {
    const { db, farm, listener } = await setUp();
    const x1c = farm.printers[0];
    const recorded = new Promise((resolve) => listener.once('filament-recorded', resolve));
    // The farm's second job of a printer uses two filaments (white PLA in tray 0, red PLA in tray 2).
    await x1c?.play(buildJobScript('finish', { model: 'X1C', stepMs: 40, index: 1 }));
    await x1c?.play(buildJobScript('pause', { model: 'X1C', stepMs: 40, index: 2 }));
    await recorded;
    await until(() => q(db, `SELECT 1 FROM job_files_raw`).length === 2);
    await until(() => q(db, 'SELECT 1 FROM jobs_raw WHERE ended_at IS NOT NULL').length === 2);
    const second = q(db, `SELECT job_key FROM jobs_raw WHERE subtask_name = 'Benchy X1C #2'`)[0]?.job_key;
    expect(
      q(db, 'SELECT status, remote_path, attempts FROM job_files_raw WHERE job_key = ?', second),
    ).toEqual([{ status: 'fetched', remote_path: '/cache/Benchy X1C #2.gcode.3mf', attempts: 1 }]);
    expect(
      q(
        db,
        'SELECT slot, ams_tray, tray_match, filament_type, filament_color FROM job_filaments_raw WHERE job_key = ? ORDER BY slot',
        second,
      ),
    ).toEqual([
      { slot: 1, ams_tray: 0, tray_match: 'ams_mapping', filament_type: 'PLA', filament_color: 'FFFFFFFF' },
      { slot: 2, ams_tray: 2, tray_match: 'ams_mapping', filament_type: 'PLA', filament_color: 'F72323FF' },
    ]);
    const [job] = q(db, 'SELECT * FROM jobs_raw WHERE job_key = ?', second);
    expect(job).toMatchObject({ status: 'finished', phase: null, ams_mapping: '{"ams_mapping":[0,2]}' });
    expect(Number(job?.paused_ms)).toBeGreaterThan(0);
    expect(Number(job?.preparing_ms) + Number(job?.printing_ms) + Number(job?.paused_ms)).toBe(
      Date.parse(String(job?.ended_at)) - Date.parse(String(job?.started_at)),
    );
  });

  it('loses no report of either printer while one serves a file that is not a zip', async () => {
    const { db, farm, logger, listener } = await setUp();
    const [x1c, p1s] = farm.printers;
    const heardBefore = listener.status().map((s) => s.reports);
    const sentBefore = farm.printers.map((p) => p.counters.reports);
    const lan = buildJobScript('finish', { model: 'P1S', lan: true, stepMs: 40, index: 1 });
    // The P1S card holds garbage where the job's .3mf should be.
    const ruin = farm.ftps[1];
    const jobs = [
      x1c?.play(buildJobScript('cancel', { model: 'X1C', stepMs: 40, index: 1 })),
      (async () => {
        await p1s?.play(lan);
        writeFileSync(join(ruin?.root ?? '', jobFilePath(lan)), 'not a zip at all');
      })(),
    ];
    await Promise.all(jobs);
    await until(() => q(db, 'SELECT 1 FROM job_files_raw').length === 2, 10_000);
    // Every report either printer sent was handled (pushall replies make the listener hear more), none refused.
    const sent = farm.printers.map((p, i) => p.counters.reports - (sentBefore[i] ?? 0));
    await until(() => listener.status().every((s, i) => s.reports - (heardBefore[i] ?? 0) >= (sent[i] ?? 0)));
    expect(listener.status().map((s) => s.badInput)).toEqual([{}, {}]);
    expect(sent.every((n) => n >= 5)).toBe(true);
    expect(q(db, 'SELECT subtask_name, status FROM jobs_raw ORDER BY subtask_name')).toEqual([
      { subtask_name: 'Benchy P1S #1', status: 'finished' },
      { subtask_name: 'Benchy X1C #1', status: 'cancelled' },
    ]);
    const statuses = q(
      db,
      'SELECT j.subtask_name, f.status FROM job_files_raw f JOIN jobs_raw j USING (job_key) ORDER BY j.subtask_name',
    );
    // The P1S file may have been read before it was ruined; the X1C one always.
    expect(statuses.find((s) => s.subtask_name === 'Benchy X1C #1')?.status).toBe('fetched');
    expect(['fetched', 'unreadable']).toContain(
      statuses.find((s) => s.subtask_name === 'Benchy P1S #1')?.status,
    );
    for (const code of CODES) expect(logger.lines.join('\n')).not.toContain(code);
  });
});
