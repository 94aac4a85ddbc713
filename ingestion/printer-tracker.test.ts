import { afterEach, describe, expect, it } from 'vitest';
import { queryRowsOf } from '../test/helpers/sqlite-reader.js';
import { latestChangeSeq } from './raw-changes.js';
import { bambuFixture, type TrackerHarness, trackerHarness } from './tracker-harness.js';

interface Lifecycle {
  messages: Array<{ t: string; msg: { print: Record<string, unknown> } }>;
  cancel_variant: Array<{ t: string; msg: { print: Record<string, unknown> } }>;
}

let h: TrackerHarness;
afterEach(() => h?.close());

function lifecycle(): Lifecycle {
  return bambuFixture<Lifecycle>('constructed_lifecycle_p1s_lan_print.json');
}

function playLifecycle(harness: TrackerHarness, upTo = Number.POSITIVE_INFINITY): void {
  for (const { t, msg } of lifecycle().messages.slice(0, upTo)) harness.send(msg.print, t);
}

describe('PrinterTracker on the P1S LAN lifecycle', () => {
  it('records one finished job with its name, file, times, progress and layers', async () => {
    h = trackerHarness();
    playLifecycle(h);
    const jobs = h.jobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      job_key: '01P00A000000000:local:2025-05-01T10:05:02.000Z:Benchy',
      printer_serial: '01P00A000000000',
      printer_name: 'test-printer',
      subtask_name: 'Benchy',
      gcode_file: 'Benchy.gcode.3mf',
      print_type: 'local',
      status: 'finished',
      gcode_state: 'FINISH',
      started_at: '2025-05-01T10:05:02.000Z',
      ended_at: '2025-05-01T10:49:05.000Z',
      start_approximate: 0,
      progress_percent: 100,
      layer_num: 212,
      total_layers: 212,
      task_id: null,
      subtask_id: null,
      printer_job_id: null,
    });
    expect(h.events().map((e) => [e.event, e.from_status, e.to_status, e.at])).toEqual([
      ['started', null, 'running', '2025-05-01T10:05:02.000Z'],
      ['finished', 'running', 'finished', '2025-05-01T10:49:05.000Z'],
    ]);
    expect(jobs[0]!.change_seq).toBe(h.events()[1]!.seq);
    expect(await latestChangeSeq(queryRowsOf(h.db))).toBe(h.events()[1]!.seq);
  });

  it('emits a transition per state change and job-ended once, with the written seq', () => {
    h = trackerHarness();
    playLifecycle(h);
    expect(h.transitions.map((t) => t.event)).toEqual(['started', 'finished']);
    expect(h.ended).toHaveLength(1);
    expect(h.ended[0]).toMatchObject({
      jobKey: h.jobs()[0]!.job_key,
      printerSerial: '01P00A000000000',
      printerName: 'test-printer',
      event: 'finished',
      fromStatus: 'running',
      toStatus: 'finished',
      seq: h.events()[1]!.seq,
      at: '2025-05-01T10:49:05.000Z',
    });
  });

  it('keeps the FINISH that arrives one second after RUNNING with check_interval 60', () => {
    h = trackerHarness({ checkIntervalS: 60 });
    h.send({ gcode_state: 'IDLE', subtask_name: '', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send(
      { gcode_state: 'RUNNING', subtask_name: 'quick', gcode_file: 'quick.3mf', msg: 1 },
      '2025-05-01T10:00:01Z',
    );
    h.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 1 }, '2025-05-01T10:00:02.000Z');
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.ended_at])).toEqual([
      ['quick', 'finished', '2025-05-01T10:00:02.000Z'],
    ]);
    expect(h.ended.map((e) => e.event)).toEqual(['finished']);
  });

  it('thins progress writes to one per check_interval but keeps the latest values in memory', () => {
    h = trackerHarness({ checkIntervalS: 60 });
    playLifecycle(h, 4); // up to RUNNING at 10:05:06
    h.send({ mc_percent: 10, layer_num: 20, msg: 1 }, '2025-05-01T10:05:30.000Z');
    expect(h.jobs()[0]!.progress_percent).toBeNull(); // last written at the start, 28 s ago
    expect(h.tracker.status().currentJob).toMatchObject({ progressPercent: 10, layer: 20, totalLayers: 212 });
    h.send({ mc_percent: 12, layer_num: 25, msg: 1 }, '2025-05-01T10:06:07.000Z');
    expect(h.jobs()[0]).toMatchObject({ progress_percent: 12, layer_num: 25 });
    expect(h.events()).toHaveLength(1);
  });

  it('records a cancel as cancelled and keeps the last progress and layer the printer zeroed', () => {
    h = trackerHarness();
    const fixture = lifecycle();
    for (const { t, msg } of fixture.messages.slice(0, 7)) h.send(msg.print, t);
    for (const { t, msg } of fixture.cancel_variant) h.send(msg.print, t);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      status: 'cancelled',
      progress_percent: 55,
      layer_num: 120,
      total_layers: 212,
      print_error: 50348044,
      print_error_hex: '0300_400C',
      ended_at: '2025-05-01T10:30:01.000Z',
    });
    expect(h.events().map((e) => e.event)).toEqual(['started', 'cancelled']);
  });
});

describe('PrinterTracker pause, failure and cancel', () => {
  function startJob(harness: TrackerHarness): void {
    harness.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    harness.send(
      { gcode_state: 'RUNNING', subtask_name: 'Widget', gcode_file: 'Widget.gcode.3mf', msg: 1 },
      1000,
    );
    harness.send({ mc_percent: 30, layer_num: 40, total_layer_num: 100, msg: 1 }, 60_000);
  }

  it('keeps PAUSE and RUNNING again as one job, with paused and resumed events', () => {
    h = trackerHarness();
    startJob(h);
    const runout = bambuFixture<{ messages: Array<{ message: { print: object } }> }>(
      'deltas_real_examples.json',
    ).messages[3]!.message.print;
    h.send(runout, 5_000);
    expect(h.jobs()[0]).toMatchObject({
      status: 'paused',
      print_error: 50364437,
      print_error_hex: '0300_8015',
    });
    h.send({ gcode_state: 'RUNNING', print_error: 0, msg: 1 }, 120_000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 600_000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]!.status).toBe('finished');
    expect(h.events().map((e) => `${e.event}:${e.from_status}->${e.to_status}`)).toEqual([
      'started:null->running',
      'paused:running->paused',
      'resumed:paused->running',
      'finished:running->finished',
    ]);
  });

  it('records FAILED without a cancel code as failed', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ gcode_state: 'FAILED', print_error: 117473286, msg: 1 }, 1000);
    expect(h.jobs()[0]).toMatchObject({ status: 'failed', print_error_hex: '0700_8006' });
  });

  it('records FAILED with the cancel code in the same report as cancelled (X1C style)', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ gcode_state: 'FAILED', print_error: 83902478, msg: 1 }, 1000);
    expect(h.jobs()[0]!.status).toBe('cancelled');
  });

  it('turns a failure into a cancel when the cancel code follows FAILED within seconds', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ gcode_state: 'FAILED', msg: 1 }, 1000);
    h.send({ print_error: 50348044, msg: 1 }, 2000);
    expect(h.jobs()[0]!.status).toBe('cancelled');
    expect(h.events().map((e) => `${e.event}:${e.from_status}->${e.to_status}`)).toEqual([
      'started:null->running',
      'failed:running->failed',
      'cancelled:failed->cancelled',
    ]);
  });

  it("does not carry the last job's cancel over to a new job that fails seconds later", () => {
    h = trackerHarness();
    startJob(h);
    h.send({ gcode_state: 'FAILED', print_error: 50348044, msg: 1 }, 61_000);
    h.send({ print_error: 0, msg: 1 }, 62_000);
    h.send(
      { gcode_state: 'RUNNING', subtask_name: 'Second', gcode_file: 'Second.gcode.3mf', msg: 1 },
      63_000,
    );
    h.send({ gcode_state: 'FAILED', print_error: 117473286, msg: 1 }, 66_000);
    expect(h.jobs().map((job) => [job.subtask_name, job.status])).toEqual([
      ['Widget', 'cancelled'],
      ['Second', 'failed'],
    ]);
  });

  it('does not take a cancel code a minute before FAILED as a cancel', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ print_error: 50348044, msg: 1 }, 1000);
    h.send({ print_error: 0, msg: 1 }, 2000);
    h.send({ gcode_state: 'FAILED', msg: 1 }, 60_000);
    expect(h.jobs()[0]!.status).toBe('failed');
  });

  it('records a P2S stop reported through fail_reason as cancelled', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ fail_reason: '50348044', print_error: 50348044, msg: 1 }, 1000);
    h.send({ gcode_state: 'FAILED', msg: 1 }, 1000);
    expect(h.jobs()[0]!.status).toBe('cancelled');
  });

  it('does not count a cancel code latched in every full report as a new cancel', () => {
    h = trackerHarness({ serial: '00M00A000000000' });
    const full = (extra: object) => ({
      gcode_state: 'RUNNING',
      subtask_name: 'X1',
      job_id: '5',
      fail_reason: '50348044',
      msg: 0,
      ...extra,
    });
    h.send({ gcode_state: 'IDLE', fail_reason: '50348044', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send(full({}), 1000);
    for (let i = 0; i < 5; i++) h.send(full({ mc_percent: 10 + i }), 60_000);
    h.send(full({ gcode_state: 'FAILED' }), 1000);
    expect(h.jobs()[0]!.status).toBe('failed');
  });

  it('records RUNNING then IDLE (older P1 firmware) as cancelled', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ gcode_state: 'IDLE', msg: 1 }, 1000);
    expect(h.jobs()[0]!.status).toBe('cancelled');
  });

  it('does not fail a job for a latched print_error alone', () => {
    h = trackerHarness();
    startJob(h);
    h.send({ print_error: 83935249, msg: 1 }, 1000); // 0500_C011 SD card advisory
    h.send({ mc_percent: 100, msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 1000);
    expect(h.jobs()[0]).toMatchObject({ status: 'finished', print_error_hex: '0500_C011' });
    expect(h.events().map((e) => e.event)).toEqual(['started', 'finished']);
  });

  it('never ends a job before it started when the clock is set back', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ gcode_state: 'RUNNING', subtask_name: 'NTP', msg: 1 }, '2025-05-01T10:00:10.000Z');
    h.send({ gcode_state: 'FINISH', msg: 1 }, '2025-05-01T09:59:00.000Z');
    expect(h.jobs()[0]).toMatchObject({
      started_at: '2025-05-01T10:00:10.000Z',
      ended_at: '2025-05-01T10:00:10.000Z',
    });
  });
});
