import { afterEach, describe, expect, it } from 'vitest';
import { mintJobKey, primaryId } from './job-key.js';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

let h: TrackerHarness;
afterEach(() => h?.close());

function printOnce(harness: TrackerHarness, print: Record<string, unknown>, advanceMs = 60_000): void {
  harness.send({ gcode_state: 'PREPARE', ...print, msg: 1 }, advanceMs);
  harness.send({ gcode_state: 'RUNNING', mc_percent: 50, msg: 1 }, advanceMs);
  harness.send({ gcode_state: 'FINISH', mc_percent: 100, msg: 1 }, advanceMs);
}

describe('job keys', () => {
  it('takes the first real id in the order job_id, subtask_id, task_id', () => {
    expect(primaryId({ jobId: null, subtaskId: null, taskId: '6456' })).toBe('6456');
    expect(primaryId({ jobId: '1', subtaskId: '2', taskId: '3' })).toBe('1');
    expect(primaryId({ jobId: null, subtaskId: null, taskId: null })).toBeNull();
  });

  it('never hands out a key that is already taken', () => {
    const taken = new Set(['S:42', 'S:42#2']);
    const ids = { jobId: '42', subtaskId: null, taskId: null };
    expect(mintJobKey('S', ids, 't', 'n', (key) => taken.has(key))).toBe('S:42#3');
  });

  it('ignores the LAN placeholder ids "0" and "" and keys the job on its start', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    printOnce(h, { subtask_name: 'Clip', task_id: '0', subtask_id: '', job_id: '0', project_id: '0' });
    expect(h.jobs()[0]).toMatchObject({
      job_key: '01P00A000000000:local:2025-05-01T10:01:00.000Z:Clip',
      task_id: null,
      subtask_id: null,
      printer_job_id: null,
    });
  });

  it('records the same file printed twice as two jobs', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    printOnce(h, { subtask_name: 'Clip', gcode_file: 'Clip.gcode.3mf', task_id: '0' });
    printOnce(h, {}); // PREPARE again: name and file unchanged, so the delta does not repeat them
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.started_at])).toEqual([
      ['Clip', 'finished', '2025-05-01T10:01:00.000Z'],
      ['Clip', 'finished', '2025-05-01T10:04:00.000Z'],
    ]);
    expect(new Set(h.jobs().map((j) => j.job_key)).size).toBe(2);
  });

  it('gives a reused printer id a distinct key instead of overwriting the old job', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    printOnce(h, { subtask_name: 'A', task_id: '9012' });
    printOnce(h, { subtask_name: 'B', task_id: '9012' });
    expect(h.jobs().map((j) => [j.job_key, j.subtask_name])).toEqual([
      ['01P00A000000000:9012', 'A'],
      ['01P00A000000000:9012#2', 'B'],
    ]);
  });

  it('stores a job name full of quotes, SQL and emoji verbatim', () => {
    const name = `Robert'); DROP TABLE jobs_raw;-- "quoted" \\ 🐢🚀 ünïcødé\n\ttab`;
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    printOnce(h, { subtask_name: name, gcode_file: `${name}.gcode.3mf` });
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]!.subtask_name).toBe(name);
    expect(h.jobs()[0]!.gcode_file).toBe(`${name}.gcode.3mf`);
    expect(String(h.jobs()[0]!.job_key).endsWith(name)).toBe(true);
  });

  it('ignores calibration and system jobs', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', msg: 0 }, '2025-05-01T10:00:00.000Z');
    printOnce(h, { subtask_name: 'auto_cali', gcode_file: '/usr/etc/print/auto_cali_for_user.gcode' });
    printOnce(h, { subtask_name: 'flow', gcode_file: 'flow.gcode', print_type: 'system' });
    expect(h.jobs()).toHaveLength(0);
    printOnce(h, { subtask_name: 'Real', gcode_file: 'Real.gcode.3mf', print_type: 'local' });
    expect(h.jobs().map((j) => j.subtask_name)).toEqual(['Real']);
  });

  it('waits for a name before opening a job, and opens it when the name arrives', () => {
    h = trackerHarness();
    h.send({ gcode_state: 'IDLE', subtask_name: '', gcode_file: '', msg: 0 }, '2025-05-01T10:00:00.000Z');
    h.send({ gcode_state: 'PREPARE', msg: 1 }, 1000);
    expect(h.jobs()).toHaveLength(0);
    h.send({ subtask_name: 'Late name', msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', msg: 1 }, 1000);
    expect(h.jobs().map((j) => [j.subtask_name, j.status, j.started_at])).toEqual([
      ['Late name', 'finished', '2025-05-01T10:00:02.000Z'],
    ]);
  });
});
