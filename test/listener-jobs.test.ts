import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Listener, startListener } from '../ingestion/listener.js';
import { recordingLogger } from '../lib/logger.js';
import { buildJobScript, type JobScript } from '../simulator/job-scripts.js';
import type { ModelFlavour } from '../simulator/model-flavours.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import type { SimulatedPrinter } from '../simulator/simulated-printer.js';
import {
  openRawTarget,
  RAW_ENGINES,
  type RawEngineName,
  type RawTarget,
  stopRawEngines,
} from './helpers/raw-engines.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400, statusIntervalMs: 60_000 };

interface JobRow {
  job_key: string;
  printer_serial: string;
  subtask_name: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  total_layers: number | null;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});
afterAll(stopRawEngines);

async function setUp(
  engine: RawEngineName,
  specs: { serial: string; model?: ModelFlavour }[],
  checkIntervalS = 60,
) {
  const db = await openRawTarget(engine);
  const farm = await startSimulatedFarm({
    printers: specs.map((spec, i) => ({ ...spec, accessCode: `c0de${i}XyZ`, name: `printer-${i + 1}` })),
    checkIntervalS,
  });
  const logger = recordingLogger();
  const listeners: Listener[] = [];
  const listen = async (): Promise<Listener> => {
    const listener = startListener({
      config: farm.config,
      db: db.db,
      ...(db.store ? { store: db.store } : {}),
      logger,
      timing: FAST,
    });
    listeners.push(listener);
    await until(() => listener.status().every((s) => s.connected && s.reports > 0));
    return listener;
  };
  cleanup.push(async () => {
    for (const listener of listeners) await listener.close();
    await farm.close();
    await db.close();
  });
  return { db, farm, logger, listen };
}

async function jobs(db: RawTarget, serial?: string): Promise<JobRow[]> {
  const sql = `SELECT * FROM jobs_raw ${serial ? 'WHERE printer_serial = ?' : ''} ORDER BY id`;
  return (await db.rows(sql, serial ? [serial] : [])) as unknown as JobRow[];
}

async function events(db: RawTarget, jobKey: string): Promise<string[]> {
  const rows = await db.rows('SELECT event FROM job_events_raw WHERE job_key = ? ORDER BY seq', [jobKey]);
  return rows.map((r) => String(r.event));
}

/**
 * Sends the steps of `script` from `from` (inclusive) to `to` (exclusive), without the script's pauses:
 * MQTT keeps one client's messages in order, and a test waits on the rows, not on time.
 */
async function sendSteps(
  printer: SimulatedPrinter,
  script: JobScript,
  from: number,
  to = script.steps.length,
) {
  for (const step of script.steps.slice(from, to)) await printer.report(step.delta);
}

/** Plays a job and waits until the listener has written its end. */
async function playAndWait(db: RawTarget, printer: SimulatedPrinter, script: JobScript): Promise<JobRow> {
  await printer.play(script);
  await until(async () =>
    (await jobs(db, printer.serial)).some((j) => j.subtask_name === script.identity.name && j.ended_at),
  );
  return (await jobs(db, printer.serial)).find((j) => j.subtask_name === script.identity.name)!;
}

describe.each(RAW_ENGINES)('on %s', (engine) => {
  describe('the listener, through a real TLS broker into the raw layer', () => {
    const models: { model: ModelFlavour; lan: boolean }[] = [
      { model: 'X1C', lan: false },
      { model: 'P1S', lan: true },
      { model: 'A1', lan: true },
      { model: 'P2S', lan: true },
      { model: 'H2S', lan: false },
    ];
    it.each(models)(
      'records a whole $model job (LAN: $lan) with its states and times',
      async ({ model, lan }) => {
        const serial = `SIM${model}000000001`;
        const { db, farm, listen } = await setUp(engine, [{ serial, model }]);
        await listen();
        const printer = farm.printers[0]!;
        const before = new Date().toISOString();
        const script = buildJobScript('finish', { model, lan, stepMs: 60, layers: 212 });
        const row = await playAndWait(db, printer, script);

        expect(row.status).toBe('finished');
        expect(row.total_layers).toBe(212);
        expect(row.started_at >= before).toBe(true);
        expect(row.ended_at! > row.started_at).toBe(true);
        expect(await events(db, row.job_key)).toEqual(script.expectedEvents);
        expect(await jobs(db)).toHaveLength(1);
      },
    );

    it('keeps two printers apart when their jobs interleave', async () => {
      const { db, farm, listen } = await setUp(engine, [
        { serial: '01P00A000000011', model: 'P1S' },
        { serial: '00M00A000000022', model: 'X1C' },
      ]);
      await listen();
      const [a, b] = farm.printers as [SimulatedPrinter, SimulatedPrinter];
      const long = buildJobScript('finish', { model: 'P1S', lan: true, stepMs: 150, index: 1 });
      const short = buildJobScript('cancel', { model: 'X1C', stepMs: 40, index: 2 });
      // A starts first and ends last; B starts later and ends first: interleaved by hand, each step
      // waiting for the listener's row, so that the order does not depend on how fast the machine is.
      const finishAt = long.steps.findIndex((step) => step.delta.gcode_state === 'FINISH');
      await sendSteps(a, long, 0, finishAt);
      await until(async () => (await jobs(db, a.serial)).length === 1);
      await b.play(short);
      await until(async () => (await jobs(db, b.serial)).some((j) => j.ended_at));
      await sendSteps(a, long, finishAt);
      await until(async () => (await jobs(db)).filter((j) => j.ended_at).length === 2);

      const rowA = await jobs(db, a.serial);
      const rowB = await jobs(db, b.serial);
      expect(rowA.map((j) => [j.subtask_name, j.status])).toEqual([[long.identity.name, 'finished']]);
      expect(rowB.map((j) => [j.subtask_name, j.status])).toEqual([[short.identity.name, 'cancelled']]);
      expect(rowA[0]!.started_at < rowB[0]!.started_at).toBe(true);
      expect(rowA[0]!.ended_at! > rowB[0]!.ended_at!).toBe(true);
    });

    it('tells a cancel (FAILED with a transient 0300_400C) from a failure', async () => {
      const { db, farm, listen } = await setUp(engine, [
        { serial: '01P00A000000033', model: 'P1S' },
        { serial: '01P00A000000034', model: 'P1S' },
      ]);
      await listen();
      const printer = farm.printers[0]!;
      const other = farm.printers[1]!;
      const cancel = await playAndWait(
        db,
        printer,
        buildJobScript('cancel', { model: 'P1S', stepMs: 50, index: 1 }),
      );
      const oldCancel = await playAndWait(
        db,
        printer,
        buildJobScript('old-cancel', { model: 'P1S', stepMs: 50, index: 2, lan: true }),
      );
      // On another printer: a failure seconds after a cancel on the same printer is a separate case.
      const fail = await playAndWait(
        db,
        other,
        buildJobScript('fail', { model: 'P1S', stepMs: 50, index: 3 }),
      );

      expect(cancel.status).toBe('cancelled');
      expect(fail.status).toBe('failed');
      expect(oldCancel.status).toBe('cancelled');
      expect(await events(db, fail.job_key)).toEqual(['started', 'failed']);
    });

    it('keeps the FINISH that arrives one second after RUNNING with check_interval 60', async () => {
      const { db, farm, listen } = await setUp(engine, [{ serial: '01P00A000000044', model: 'P1S' }], 60);
      await listen();
      const script = buildJobScript('quick-finish', { model: 'P1S', stepMs: 20, quickFinishMs: 1000 });
      const row = await playAndWait(db, farm.printers[0]!, script);

      expect(row.status).toBe('finished');
      const seconds = (Date.parse(row.ended_at!) - Date.parse(row.started_at)) / 1000;
      expect(seconds).toBeGreaterThanOrEqual(0.9);
      expect(await events(db, row.job_key)).toEqual(['started', 'finished']);
    });

    it('pauses and resumes inside one job', async () => {
      const { db, farm, listen } = await setUp(engine, [{ serial: '03900A000000055', model: 'A1' }]);
      await listen();
      const row = await playAndWait(
        db,
        farm.printers[0]!,
        buildJobScript('pause', { model: 'A1', stepMs: 50 }),
      );

      expect(row.status).toBe('finished');
      expect(await events(db, row.job_key)).toEqual(['started', 'paused', 'resumed', 'finished']);
      expect(await jobs(db)).toHaveLength(1);
    });
  });

  describe('the listener across restarts', () => {
    it('neither doubles nor restarts a job when the listener restarts mid-job', async () => {
      const { db, farm, listen } = await setUp(engine, [{ serial: '01P00A000000066', model: 'P1S' }]);
      const printer = farm.printers[0]!;
      const script = buildJobScript('finish', { model: 'P1S', lan: true });
      const first = await listen();
      await sendSteps(printer, script, 0, 5);
      await until(async () => (await jobs(db)).length === 1);
      const startedAt = (await jobs(db))[0]!.started_at;
      await first.close();

      await sendSteps(printer, script, 5, 6); // progress while no listener runs: lost, as on a real printer
      const second = await listen();
      await sendSteps(printer, script, 6);
      await until(async () => (await jobs(db))[0]?.ended_at !== null);

      const rows = await jobs(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'finished', started_at: startedAt });
      expect((await events(db, rows[0]!.job_key)).filter((e) => e === 'started')).toHaveLength(1);
      expect(second.status()[0]!.connects).toBe(1);
    });

    it('reconnects after the broker restarts mid-job and still records the FINISH', async () => {
      const { db, farm, listen, logger } = await setUp(engine, [{ serial: '01P00A000000077', model: 'P1S' }]);
      const printer = farm.printers[0]!;
      const script = buildJobScript('finish', { model: 'P1S', lan: true });
      const listener = await listen();
      await sendSteps(printer, script, 0, 5);
      await until(async () => (await jobs(db)).length === 1);
      const startedAt = (await jobs(db))[0]!.started_at;

      const reportsBefore = listener.status()[0]!.reports;
      await farm.restartBroker({ printersFirst: true });
      await until(async () => listener.status()[0]!.connects === 2 && listener.status()[0]!.connected);
      // The reconnect follows a lost connection: the pushall goes out at once, spacing or not.
      await until(async () => printer.counters.pushalls === 2);
      await until(async () => listener.status()[0]!.reports > reportsBefore + 1);
      await sendSteps(printer, script, 5);
      await until(async () => (await jobs(db))[0]?.ended_at !== null);

      const rows = await jobs(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'finished', started_at: startedAt });
      expect(await events(db, rows[0]!.job_key)).toEqual(script.expectedEvents);
      expect(logger.lines.some((line) => line.includes('connection lost'))).toBe(true);
      expect(logger.lines.filter((line) => line.includes('pushall after reconnect'))).toHaveLength(1);
    });

    it.each([
      { model: 'P1S' as const, lan: true },
      { model: 'P1S' as const, lan: false },
    ])(
      'records a job whose start was lost under its own name and ids, asking the $model printer for its full state (LAN: $lan)',
      async ({ model, lan }) => {
        const serial = `LS${model}${lan ? 'L' : 'C'}0000000099`.slice(0, 15);
        const { db, farm, listen, logger } = await setUp(engine, [{ serial, model }]);
        const printer = farm.printers[0]!;
        const first = buildJobScript('finish', { model, lan, index: 1, layers: 50 });
        const second = buildJobScript('finish', { model, lan, index: 2, layers: 30 });
        const listener = await listen();
        await sendSteps(printer, first, 0);
        await until(async () => (await jobs(db))[0]?.ended_at != null);
        const pushallsBefore = printer.counters.pushalls;

        // The second job's PREPARE, which names it, is lost; its RUNNING delta names no job.
        for (const step of second.steps.slice(0, 2)) printer.changeUnseen(step.delta);
        await sendSteps(printer, second, 2, 3);
        await until(() => printer.counters.pushalls === pushallsBefore + 1);
        await until(() => listener.status()[0]!.currentJob?.name === second.identity.name);
        await sendSteps(printer, second, 3);
        await until(async () => (await jobs(db)).length === 2 && (await jobs(db))[1]!.ended_at !== null);

        const rows = (await db.rows(
          'SELECT job_key, subtask_name, subtask_id, task_id, status, total_layers FROM jobs_raw ORDER BY id',
        )) as unknown as Record<string, unknown>[];
        expect(rows.map((r) => [r.subtask_name, r.status])).toEqual([
          [first.identity.name, 'finished'],
          [second.identity.name, 'finished'],
        ]);
        expect(rows[1]).toMatchObject({ total_layers: 30 });
        if (!lan) {
          expect(rows[1]).toMatchObject({
            subtask_id: second.identity.subtaskId,
            task_id: second.identity.taskId,
          });
        }
        expect(printer.counters.pushalls).toBe(pushallsBefore + 1);
        expect(
          logger.lines.filter((line) => line.includes('a job started on a report that did not name it')),
        ).toHaveLength(1);
      },
    );

    it.each([
      { model: 'P1S' as const, lan: true },
      { model: 'X1C' as const, lan: false },
    ])(
      'keeps two jobs apart when the $model printer finishes one and starts another while the broker is down (LAN: $lan)',
      async ({ model, lan }) => {
        const serial = `RC${model}00000000088`.slice(0, 15);
        const { db, farm, listen } = await setUp(engine, [{ serial, model }]);
        const printer = farm.printers[0]!;
        const first = buildJobScript('finish', { model, lan, index: 1, layers: 50 });
        const second = buildJobScript('finish', { model, lan, index: 2, layers: 30 });
        const listener = await listen();
        await sendSteps(printer, first, 0, 5);
        await until(async () => (await jobs(db)).length === 1);

        await farm.restartBroker({
          printersFirst: true,
          whileDown: async () => {
            await until(async () => !printer.connected);
            // Lost with the broker: the first job's end and the second job's start.
            await sendSteps(printer, first, 5);
            await sendSteps(printer, second, 0, 4);
          },
        });
        await until(async () => listener.status()[0]!.connects === 2 && printer.counters.pushalls === 2);
        await until(async () => (await jobs(db)).length === 2);
        await sendSteps(printer, second, 4);
        await until(async () => (await jobs(db)).every((j) => j.ended_at !== null));

        const rows = await jobs(db);
        expect(rows.map((j) => [j.subtask_name, j.status])).toEqual([
          [first.identity.name, 'ended_while_disconnected'],
          [second.identity.name, 'finished'],
        ]);
        expect(rows[1]).toMatchObject({ total_layers: 30 });
        // No row holds two jobs: each row's last report names its own job.
        for (const row of (await db.rows(
          'SELECT subtask_name, last_report_json FROM jobs_raw',
        )) as unknown as {
          subtask_name: string;
          last_report_json: string;
        }[]) {
          expect(JSON.parse(row.last_report_json).subtask_name).toBe(row.subtask_name);
        }
        expect(listener.status()[0]!.connected).toBe(true);
      },
    );
  });
});
