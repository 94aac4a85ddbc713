import { afterEach, describe, expect, it } from 'vitest';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
afterEach(() => h?.close());

const idle = { gcode_state: 'IDLE', stg_cur: 255, msg: 0, subtask_name: '', gcode_file: '' };
const named = { subtask_name: 'Bracket', gcode_file: 'Bracket.gcode.3mf', print_type: 'local', task_id: '0' };

/** One job: 60 s PREPARE, 30 s heating in RUNNING, 600 s printing, a 2 h runout pause, 300 s more. */
function playJobWithRunoutPause(harness: TrackerHarness): void {
  harness.send(idle, '2026-03-01T08:00:00.000Z');
  harness.send({ gcode_state: 'PREPARE', ...named, msg: 1 }, 1_000);
  harness.send({ gcode_state: 'RUNNING', stg_cur: 2, mc_remaining_time: 0, msg: 1 }, 60_000);
  harness.send({ stg_cur: 0, mc_remaining_time: 17, mc_percent: 1, layer_num: 1, msg: 1 }, 30_000);
  harness.send({ mc_remaining_time: 9, mc_percent: 50, layer_num: 60, msg: 1 }, 600_000);
  harness.send({ gcode_state: 'PAUSE', print_error: 50364437, msg: 1 }, 0);
  harness.send({ gcode_state: 'RUNNING', print_error: 0, msg: 1 }, 7_200_000);
  harness.send({ gcode_state: 'FINISH', mc_percent: 100, layer_num: 120, msg: 1 }, 300_000);
}

describe('honest durations', () => {
  it('splits a job into preparing, printing and paused time that add up to its duration', () => {
    h = trackerHarness();
    playJobWithRunoutPause(h);
    const [job] = h.jobs();
    expect(job).toMatchObject({
      status: 'finished',
      preparing_ms: 90_000,
      printing_ms: 900_000,
      paused_ms: 7_200_000,
      phase: null,
      phase_since: null,
    });
    const duration = Date.parse(String(job?.ended_at)) - Date.parse(String(job?.started_at));
    expect(duration).toBe(90_000 + 900_000 + 7_200_000);
  });

  it("keeps the printer's first remaining time while printing as its estimate, not a 0 from heating", () => {
    h = trackerHarness();
    playJobWithRunoutPause(h);
    expect(h.jobs()[0]?.estimated_s).toBe(17 * 60);
  });

  it('writes a phase change at once, without a transition event, so a restart loses no time', () => {
    h = trackerHarness({ checkIntervalS: 3600 });
    h.send(idle, '2026-03-01T08:00:00.000Z');
    h.send({ gcode_state: 'PREPARE', ...named, msg: 1 }, 1_000);
    h.send({ gcode_state: 'RUNNING', stg_cur: 0, msg: 1 }, 120_000);
    expect(h.jobs()[0]).toMatchObject({ phase: 'printing', phase_since: '2026-03-01T08:02:01.000Z' });
    expect(h.events().map((e) => e.event)).toEqual(['started']);

    h.restart();
    h.send({ ...idle, gcode_state: 'RUNNING', stg_cur: 0, ...named }, 600_000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 60_000);
    const [job] = h.jobs();
    expect(job).toMatchObject({
      status: 'finished',
      preparing_ms: 120_000,
      printing_ms: 660_000,
      paused_ms: 0,
    });
  });

  it('keeps the slot mapping of the project_file command for the job it started', () => {
    h = trackerHarness();
    h.send(idle, '2026-03-01T08:00:00.000Z');
    h.sendRaw(JSON.stringify({ print: { command: 'project_file', ams_mapping: [2, 1, 3, 0] } }));
    h.send({ gcode_state: 'PREPARE', ...named, msg: 1 }, 1_000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 60_000);
    expect(h.jobs()[0]?.ams_mapping).toBe('{"ams_mapping":[2,1,3,0]}');
  });
});
