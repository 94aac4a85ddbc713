import { afterEach, describe, expect, it } from 'vitest';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
afterEach(() => h?.close());

const START = '2025-05-01T10:00:00.000Z';
const delta = (print: Record<string, unknown>) => ({ command: 'push_status', msg: 1, ...print });
const cloudIds = (id: string) => ({ job_id: id, subtask_id: id, task_id: id });

describe('PrinterTracker when another job starts unseen while gcode_state stays RUNNING', () => {
  it('closes the cloud job and opens the new one when the ids change mid-RUNNING (quick reconnect, no pushall)', () => {
    h = trackerHarness();
    h.send(
      {
        command: 'push_status',
        msg: 0,
        gcode_state: 'RUNNING',
        subtask_name: 'A',
        gcode_file: 'a.gcode',
        ...cloudIds('111'),
        mc_percent: 50,
        layer_num: 50,
        total_layer_num: 100,
      },
      START,
    );
    h.send(delta({ mc_percent: 99 }), 60_000);
    // The connection drops; A finishes and B starts; the reconnect asks for no pushall (5-min spacing).
    h.send(
      delta({
        subtask_name: 'B',
        gcode_file: 'b.gcode',
        ...cloudIds('222'),
        mc_percent: 3,
        layer_num: 2,
        total_layer_num: 40,
      }),
      120_000,
    );
    h.send(delta({ mc_percent: 10 }), 60_000);
    // The deferred pushall arrives, then B finishes live.
    h.tracker.connected();
    h.send(
      {
        command: 'push_status',
        msg: 0,
        gcode_state: 'RUNNING',
        subtask_name: 'B',
        gcode_file: 'b.gcode',
        ...cloudIds('222'),
        mc_percent: 12,
        layer_num: 5,
        total_layer_num: 40,
      },
      60_000,
    );
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 60_000);

    expect(
      h.jobs().map((j) => [j.job_key, j.subtask_name, j.printer_job_id, j.status, j.start_approximate]),
    ).toEqual([
      ['01P00A000000000:111', 'A', '111', 'ended_while_disconnected', 1],
      ['01P00A000000000:222', 'B', '222', 'finished', 1],
    ]);
    expect(h.jobs()[0]).toMatchObject({
      ended_at: '2025-05-01T10:03:00.000Z', // when the new ids were noticed: an upper bound
      progress_percent: 99,
      total_layers: 100,
    });
    expect(h.jobs()[1]).toMatchObject({
      started_at: '2025-05-01T10:03:00.000Z',
      ended_at: '2025-05-01T10:06:00.000Z',
      total_layers: 40,
    });
    expect(h.events().map((e) => [e.job_key, e.event])).toEqual([
      ['01P00A000000000:111', 'started'],
      ['01P00A000000000:111', 'ended_while_disconnected'],
      ['01P00A000000000:222', 'started'],
      ['01P00A000000000:222', 'finished'],
    ]);
    // Both transitions of the switch come from one report: they carry the same time.
    expect(h.events()[1]!.at).toBe(h.events()[2]!.at);
    expect(h.ended.map((e) => e.event)).toEqual(['ended_while_disconnected', 'finished']);
  });

  it('does the same when a lost FINISH is followed by PREPARE of another cloud job', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A', ...cloudIds('111'), mc_percent: 50 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'B', ...cloudIds('222'), mc_percent: 0 }), 60_000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 5 }), 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.printer_job_id, j.status])).toEqual([
      ['A', '111', 'ended_while_disconnected'],
      ['B', '222', 'running'],
    ]);
  });

  it('closes a LAN job when the name and file change and progress drops back near zero', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', task_id: '0', subtask_id: '0', job_id: '', msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'Benchy', gcode_file: 'Benchy.3mf' }), 2000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 5, layer_num: 3, total_layer_num: 200 }), 5000);
    h.send(delta({ mc_percent: 96, layer_num: 190 }), 3_000_000);
    h.send(
      delta({
        subtask_name: 'Clip',
        gcode_file: 'Clip.3mf',
        mc_percent: 1,
        layer_num: 1,
        total_layer_num: 30,
      }),
      600_000,
    );
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100, layer_num: 30 }), 600_000);
    expect(
      h
        .jobs()
        .map((j) => [j.subtask_name, j.status, j.start_approximate, j.progress_percent, j.total_layers]),
    ).toEqual([
      ['Benchy', 'ended_while_disconnected', 0, 96, 200],
      ['Clip', 'finished', 1, 100, 30],
    ]);
  });

  it('also notices the LAN switch when the lower progress arrives before the new name', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, START);
    h.send(delta({ gcode_state: 'RUNNING', subtask_name: 'Benchy', gcode_file: 'Benchy.3mf' }), 2000);
    h.send(delta({ mc_percent: 80, layer_num: 160 }), 3_000_000);
    h.send(delta({ mc_percent: 2, layer_num: 1 }), 600_000);
    h.send(delta({ subtask_name: 'Clip', gcode_file: 'Clip.3mf' }), 1000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.progress_percent, j.layer_num])).toEqual([
      ['Benchy', 'ended_while_disconnected', 80, 160],
      ['Clip', 'running', null, null],
    ]);
  });

  it('does not split a job whose ids arrive late (task_id "" then "6456")', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', task_id: '', subtask_id: '', job_id: '', msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'Part', gcode_file: 'Part.3mf' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 40, layer_num: 40 }), 600_000);
    h.send(delta({ task_id: '6456', subtask_id: '6457', mc_percent: 41 }), 60_000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.task_id, j.status])).toEqual([
      ['Part', '6456', 'finished'],
    ]);
    expect(h.events().map((e) => e.event)).toEqual(['started', 'finished']);
  });

  it("does not split a new job whose first reports still show the previous job's ids", () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', subtask_name: 'Old', ...cloudIds('111'), msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'New' }), 1000);
    h.send(delta({ ...cloudIds('222'), mc_percent: 1 }), 2000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 30 }), 60_000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.printer_job_id, j.status])).toEqual([
      ['New', '222', 'finished'],
    ]);
  });

  it('splits a job whose own ids arrived before its name, when other ids follow', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', subtask_name: '', ...cloudIds('111'), msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', ...cloudIds('222') }), 1000);
    h.send(delta({ subtask_name: 'New' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 60 }), 600_000);
    h.send(delta({ subtask_name: 'Other', ...cloudIds('333'), mc_percent: 2 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.printer_job_id, j.status])).toEqual([
      ['New', '222', 'ended_while_disconnected'],
      ['Other', '333', 'running'],
    ]);
  });

  it('keeps one LAN job when the name changes but progress goes on', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, START);
    h.send(delta({ gcode_state: 'RUNNING', subtask_name: 'Benchy', gcode_file: 'Benchy.3mf' }), 2000);
    h.send(delta({ mc_percent: 50, layer_num: 100 }), 600_000);
    h.send(delta({ subtask_name: 'Benchy (plate 1)', mc_percent: 51, layer_num: 102 }), 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status])).toEqual([['Benchy (plate 1)', 'running']]);
  });
});

describe('PrinterTracker when reports of the next job arrive before the sync', () => {
  const lastReportName = (row: Record<string, unknown>) =>
    (JSON.parse(row.last_report_json as string) as { subtask_name?: string }).subtask_name;

  it("splits a LAN job that never made progress when another job's name arrives", () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', task_id: '0', subtask_id: '0', msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'A', gcode_file: 'A.3mf' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 0, layer_num: 0 }), 2000);
    h.send(delta({ subtask_name: 'B', gcode_file: 'B.3mf', mc_percent: 0 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, lastReportName(j)])).toEqual([
      ['A', 'ended_while_disconnected', 'A'],
      ['B', 'running', 'B'],
    ]);
  });

  it("splits a LAN job that got far when the next job's PREPARE arrives as a delta", () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', task_id: '0', subtask_id: '0', msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'A', gcode_file: 'A.3mf' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 60, layer_num: 60 }), 2000);
    // A's FINISH and IDLE were lost; B's PREPARE shows progress still at A's value.
    h.send(delta({ gcode_state: 'PREPARE', subtask_name: 'B', gcode_file: 'B.3mf' }), 600_000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 1, layer_num: 1 }), 5000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.progress_percent, lastReportName(j)])).toEqual([
      ['A', 'ended_while_disconnected', 60, 'A'],
      ['B', 'finished', 100, 'B'],
    ]);
  });

  it("does not split a LAN job opened under the previous job's name when its own name follows", () => {
    h = trackerHarness();
    h.send({ gcode_state: 'FINISH', subtask_name: 'Old', task_id: '0', subtask_id: '0', msg: 0 }, START);
    h.send(delta({ gcode_state: 'PREPARE' }), 1000);
    h.send(delta({ subtask_name: 'New', gcode_file: 'New.3mf' }), 1000);
    h.send(delta({ gcode_state: 'RUNNING', mc_percent: 30 }), 60_000);
    h.send(delta({ gcode_state: 'FINISH', mc_percent: 100 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status])).toEqual([['New', 'finished']]);
  });

  it("does not end a cloud job with the outcome of another job's FINISH", () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A', ...cloudIds('111'), mc_percent: 40 }, START);
    h.send(delta({ gcode_state: 'FINISH', subtask_name: 'B', ...cloudIds('222'), mc_percent: 100 }), 600_000);
    const [row, other] = h.jobs();
    expect(h.jobs()).toHaveLength(2);
    expect(row).toMatchObject({
      subtask_name: 'A',
      printer_job_id: '111',
      status: 'ended_while_disconnected',
      gcode_state: 'RUNNING',
      progress_percent: 40,
    });
    expect(lastReportName(row!)).toBe('A');
    // The other job was seen, if only at its end: a row of its own, with no real duration.
    expect(other).toMatchObject({
      subtask_name: 'B',
      printer_job_id: '222',
      status: 'ended_while_disconnected',
      gcode_state: 'FINISH',
      start_approximate: 1,
      started_at: '2025-05-01T10:10:00.000Z',
      ended_at: '2025-05-01T10:10:00.000Z',
    });
    expect(lastReportName(other!)).toBe('B');
    expect(h.events().map((e) => [e.job_key, e.event])).toEqual([
      ['01P00A000000000:111', 'started'],
      ['01P00A000000000:111', 'ended_while_disconnected'],
      ['01P00A000000000:222', 'started'],
      ['01P00A000000000:222', 'ended_while_disconnected'],
    ]);
  });

  it("does not end a LAN job with the outcome of another job's FAILED", () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A', task_id: '0', mc_percent: 40 }, START);
    h.send(delta({ gcode_state: 'FAILED', subtask_name: 'B', print_error: 50348044 }), 600_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.gcode_state, lastReportName(j)])).toEqual([
      ['A', 'ended_while_disconnected', 'RUNNING', 'A'],
      ['B', 'ended_while_disconnected', 'FAILED', 'B'],
    ]);
  });

  it('keeps the row of a job closed at the sync on its own last report when the printer shows another job', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A', ...cloudIds('111'), mc_percent: 40 }, START);
    h.tracker.connected();
    h.send({ msg: 0, gcode_state: 'FINISH', subtask_name: 'B', ...cloudIds('222'), mc_percent: 100 }, 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.gcode_state, lastReportName(j)])).toEqual([
      ['A', 'ended_while_disconnected', 'RUNNING', 'A'],
      ['B', 'ended_while_disconnected', 'FINISH', 'B'],
    ]);
    // Later syncs and a restarted listener showing the same FINISH add nothing.
    h.tracker.connected();
    h.send({ msg: 0, gcode_state: 'FINISH', subtask_name: 'B', ...cloudIds('222'), mc_percent: 100 }, 60_000);
    h.restart();
    h.send({ msg: 0, gcode_state: 'FINISH', subtask_name: 'B', ...cloudIds('222'), mc_percent: 100 }, 60_000);
    expect(h.jobs()).toHaveLength(2);
  });

  it('records nothing for a stale FINISH of the job that was open (same LAN name)', () => {
    h = trackerHarness();
    h.send({ msg: 0, gcode_state: 'RUNNING', subtask_name: 'A', task_id: '0', mc_percent: 40 }, START);
    h.tracker.connected();
    h.send({ msg: 0, gcode_state: 'FINISH', subtask_name: 'A', task_id: '0', mc_percent: 100 }, 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.gcode_state])).toEqual([
      ['A', 'ended_while_disconnected', 'FINISH'],
    ]);
  });
});
