import { afterEach, describe, expect, it } from 'vitest';
import { queryRowsOf } from '../test/helpers/sqlite-reader.js';
import { jobsEndedSince } from './raw-changes.js';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
afterEach(() => h?.close());

const START = '2025-05-01T10:00:00.000Z';

function startLanJob(harness: TrackerHarness, name = 'Benchy'): void {
  harness.send({ gcode_state: 'IDLE', task_id: '0', subtask_id: '0', msg: 0 }, START);
  harness.send({ gcode_state: 'PREPARE', subtask_name: name, gcode_file: `${name}.gcode.3mf`, msg: 1 }, 2000);
  harness.send({ gcode_state: 'RUNNING', mc_percent: 5, layer_num: 3, total_layer_num: 200, msg: 1 }, 5000);
}

describe('PrinterTracker after a restart or a reconnect', () => {
  it('re-attaches to the open LAN job after a restart: no duplicate, start time kept', () => {
    h = trackerHarness();
    startLanJob(h);
    h.restart();
    h.send(
      {
        gcode_state: 'RUNNING',
        subtask_name: 'Benchy',
        gcode_file: 'Benchy.gcode.3mf',
        task_id: '0',
        mc_percent: 40,
        layer_num: 80,
        total_layer_num: 200,
        msg: 0,
      },
      600_000,
    );
    h.send({ gcode_state: 'FINISH', mc_percent: 100, layer_num: 200, msg: 1 }, 600_000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      started_at: '2025-05-01T10:00:02.000Z',
      start_approximate: 0,
      status: 'finished',
      ended_at: '2025-05-01T10:20:07.000Z',
      layer_num: 200,
    });
    expect(h.events().map((e) => e.event)).toEqual(['started', 'reattached', 'finished']);
  });

  it("keeps a job opened on the previous job's ids when a reconnect's full report names it: it takes the ids, no second row", () => {
    h = trackerHarness();
    let wanted = 0;
    h.tracker.on('full-report-wanted', () => wanted++);
    h.send({ gcode_state: 'IDLE', msg: 0 }, START);
    h.send({ gcode_state: 'RUNNING', subtask_name: 'Part', job_id: '77', task_id: '78', msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 1 }, 60_000);
    // The next job's PREPARE (job 91) was lost: its RUNNING names no job, so the merged ids are 77's.
    h.send({ gcode_state: 'RUNNING', mc_percent: 1, layer_num: 1, msg: 1 }, 60_000);
    expect(wanted).toBe(1);
    // A reconnect before the full report was asked for: it is the sync, and names the job.
    h.tracker.connected();
    h.send(
      { gcode_state: 'RUNNING', subtask_name: 'Gear', job_id: '91', task_id: '92', mc_percent: 10, msg: 0 },
      60_000,
    );
    h.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 1 }, 60_000);
    expect(h.jobs().map((j) => [j.subtask_name, j.printer_job_id, j.status])).toEqual([
      ['Part', '77', 'finished'],
      ['Gear', '91', 'finished'],
    ]);
    expect(h.events().map((e) => e.event)).toEqual(['started', 'finished', 'started', 'finished']);
    expect(wanted).toBe(1);
  });

  it('re-attaches to an open cloud job by its ids even when its name changed', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, START);
    h.send({ gcode_state: 'RUNNING', subtask_name: 'Part', job_id: '77', task_id: '78', msg: 1 }, 1000);
    h.restart();
    h.send(
      { gcode_state: 'RUNNING', subtask_name: 'Part (plate 1)', job_id: '77', task_id: '78', msg: 0 },
      60_000,
    );
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      job_key: '01P00A000000000:77',
      subtask_name: 'Part (plate 1)',
      status: 'running',
    });
  });

  it('opens a job flagged start_approximate when the listener first sees a print mid-way', () => {
    h = trackerHarness();
    h.send(
      { gcode_state: 'RUNNING', subtask_name: 'Vase', gcode_file: 'Vase.3mf', mc_percent: 70, msg: 0 },
      START,
    );
    expect(h.jobs()[0]).toMatchObject({
      status: 'running',
      start_approximate: 1,
      started_at: START,
      progress_percent: 70,
    });
    expect(h.events().map((e) => e.event)).toEqual(['started']);
  });

  it('closes the open job as ended_while_disconnected when the printer is idle after a reconnect', async () => {
    h = trackerHarness();
    startLanJob(h);
    h.tracker.connected();
    h.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 0 }, 3_600_000);
    expect(h.jobs()[0]).toMatchObject({
      status: 'ended_while_disconnected',
      ended_at: '2025-05-01T11:00:07.000Z', // when the listener noticed: an upper bound
      progress_percent: 5,
      gcode_state: 'FINISH', // what the printer said when we noticed: the job probably finished
    });
    expect(h.events().at(-1)).toMatchObject({ event: 'ended_while_disconnected', gcode_state: 'FINISH' });
    expect(h.ended.map((e) => [e.event, e.fromStatus])).toEqual([['ended_while_disconnected', 'running']]);
    expect((await jobsEndedSince(queryRowsOf(h.db), 0)).map((e) => e.event)).toEqual([
      'ended_while_disconnected',
    ]);
  });

  it('closes the open job as ended_while_disconnected after a restart that finds the printer idle', () => {
    h = trackerHarness();
    startLanJob(h);
    h.restart();
    h.send({ gcode_state: 'IDLE', msg: 0 }, 3_600_000);
    expect(h.jobs().map((j) => j.status)).toEqual(['ended_while_disconnected']);
  });

  it('takes the first report after a reconnect as a sync, not as a transition', () => {
    h = trackerHarness();
    startLanJob(h);
    h.tracker.connected();
    // A printer that dropped the connection and came back still printing the same job.
    h.send(
      {
        gcode_state: 'RUNNING',
        subtask_name: 'Benchy',
        gcode_file: 'Benchy.gcode.3mf',
        mc_percent: 9,
        msg: 0,
      },
      30_000,
    );
    expect(h.jobs()).toHaveLength(1);
    expect(h.events().map((e) => e.event)).toEqual(['started']);
  });

  it('waits for a report that states gcode_state before syncing after a reconnect', () => {
    h = trackerHarness();
    startLanJob(h);
    h.tracker.connected();
    h.send({ wifi_signal: '-60dBm', msg: 1 }, 30_000); // noise before the pushall reply
    h.send({ gcode_state: 'IDLE', msg: 0 }, 1000);
    expect(h.jobs()[0]!.status).toBe('ended_while_disconnected');
  });

  it('treats the same file printed again while disconnected as a new job (progress went back)', () => {
    h = trackerHarness();
    startLanJob(h);
    h.send({ mc_percent: 90, layer_num: 180, msg: 1 }, 600_000);
    h.tracker.connected();
    h.send(
      {
        gcode_state: 'RUNNING',
        subtask_name: 'Benchy',
        gcode_file: 'Benchy.gcode.3mf',
        mc_percent: 2,
        layer_num: 1,
        msg: 0,
      },
      3_600_000,
    );
    expect(h.jobs().map((j) => [j.status, j.start_approximate])).toEqual([
      ['ended_while_disconnected', 0],
      ['running', 1],
    ]);
  });

  it('records a pause that happened while disconnected as paused', () => {
    h = trackerHarness();
    startLanJob(h);
    h.tracker.connected();
    h.send({ gcode_state: 'PAUSE', subtask_name: 'Benchy', gcode_file: 'Benchy.gcode.3mf', msg: 0 }, 60_000);
    expect(h.jobs()[0]!.status).toBe('paused');
    expect(h.events().map((e) => e.event)).toEqual(['started', 'paused']);
  });
});
