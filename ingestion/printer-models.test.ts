import { afterEach, describe, expect, it } from 'vitest';
import { bambuFixture, type TrackerHarness, trackerHarness } from './tracker-harness.js';

type Print = Record<string, unknown>;

let h: TrackerHarness;
afterEach(() => h?.close());

function fullReport(file: string): Print {
  const fixture = bambuFixture<{ print?: Print; pushall?: { print: Print } }>(file);
  return structuredClone(fixture.print ?? fixture.pushall!.print);
}

describe('a whole job on each printer model', () => {
  it('X1C (full reports every time, cloud ids): starts, progresses and finishes under job_id', () => {
    h = trackerHarness({ serial: '00M00A000000000' });
    const base = fullReport('x1c_pushall_finish_cloud_job.json');
    h.send(base, '2025-05-01T09:00:00.000Z'); // state sync: the last job is over, nothing to record
    expect(h.jobs()).toHaveLength(0);
    const ids = { job_id: '400000001', task_id: '800000001', subtask_id: '800000002' };
    const ams = { ...(base.ams as Print), tray_now: '1' };
    h.send(
      { ...base, ...ids, ams, gcode_state: 'PREPARE', subtask_name: 'Bracket', mc_percent: 0, layer_num: 0 },
      1000,
    );
    h.send(
      {
        ...base,
        ...ids,
        ams,
        gcode_state: 'RUNNING',
        subtask_name: 'Bracket',
        mc_percent: 40,
        layer_num: 90,
        total_layer_num: 300,
      },
      60_000,
    );
    h.send(
      {
        ...base,
        ...ids,
        ams,
        gcode_state: 'RUNNING',
        subtask_name: 'Bracket',
        mc_percent: 99,
        layer_num: 299,
        total_layer_num: 300,
      },
      60_000,
    );
    h.send(
      {
        ...base,
        ...ids,
        gcode_state: 'FINISH',
        subtask_name: 'Bracket',
        mc_percent: 100,
        layer_num: 300,
        total_layer_num: 300,
      },
      10_000,
    );
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      job_key: '00M00A000000000:400000001',
      printer_job_id: '400000001',
      task_id: '800000001',
      subtask_id: '800000002',
      subtask_name: 'Bracket',
      gcode_file: '/data/Metadata/plate_1.gcode',
      status: 'finished',
      started_at: '2025-05-01T09:00:01.000Z',
      ended_at: '2025-05-01T09:02:11.000Z',
      progress_percent: 100,
      layer_num: 300,
      total_layers: 300,
      nozzle_diameter: '0.4',
      nozzle_type: 'hardened_steel',
      filament_type: 'PLA',
      filament_color: '7D6556FF',
    });
    const stored = JSON.parse(h.jobs()[0]!.last_report_json as string);
    expect(stored.gcode_state).toBe('FINISH');
  });

  it('P1P (deltas, LAN ids "0"): a new job after a failed one under the same name is a new row', () => {
    h = trackerHarness({ serial: '01S00A000000000' });
    h.send(fullReport('p1p_pushall_failed_lan.json'), '2025-05-01T09:00:00.000Z');
    h.send(
      { gcode_state: 'PREPARE', gcode_file: 'Fidget Collection.gcode.3mf', print_type: 'local', msg: 1 },
      1000,
    );
    h.send({ gcode_state: 'RUNNING', mc_percent: 0, layer_num: 0, total_layer_num: 70, msg: 1 }, 5000);
    h.send({ mc_percent: 50, layer_num: 35, msg: 1 }, 600_000);
    h.send({ gcode_state: 'FINISH', mc_percent: 100, layer_num: 70, msg: 1 }, 600_000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      subtask_name: 'Fidget Collection',
      gcode_file: 'Fidget Collection.gcode.3mf',
      status: 'finished',
      total_layers: 70,
      filament_type: 'PLA',
      filament_color: 'D357FEFF',
      nozzle_type: 'hardened_steel',
    });
    expect(String(h.jobs()[0]!.job_key)).toMatch(/^01S00A000000000:local:2025-05-01T09:00:01\.000Z:/);
  });

  it('P1S (real pushall and real AMS-only delta): the delta keeps the rest of the state', () => {
    h = trackerHarness();
    const fixture = bambuFixture<{ pushall: { print: Print }; deltas: Array<{ print: Print } | Print> }>(
      'p1s_pushall_idle_plus_delta_from_rdiger36_fixture.json',
    );
    h.send(fixture.pushall.print, '2025-05-01T09:00:00.000Z');
    for (const delta of fixture.deltas) h.send('print' in delta ? delta.print : delta, 1000);
    h.send({ gcode_state: 'PREPARE', subtask_name: 'Lid', gcode_file: 'Lid.gcode.3mf', msg: 1 }, 1000);
    h.send({ gcode_state: 'RUNNING', total_layer_num: 50, msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', layer_num: 50, mc_percent: 100, msg: 1 }, 1000);
    expect(h.jobs()[0]).toMatchObject({ subtask_name: 'Lid', status: 'finished', nozzle_diameter: '0.4' });
    const stored = JSON.parse(h.jobs()[0]!.last_report_json as string);
    expect(stored.nozzle_type).toBe('stainless_steel'); // only in the pushall, kept through the deltas
  });

  it('A1 (idle pushall, deltas): records the job and the loaded tray', () => {
    h = trackerHarness({ serial: '03919A000000000' });
    h.send(fullReport('a1_pushall_idle.json'), '2025-05-01T09:00:00.000Z');
    h.send({ gcode_state: 'PREPARE', subtask_name: 'Hook', gcode_file: 'Hook.gcode.3mf', msg: 1 }, 1000);
    h.send({ gcode_state: 'RUNNING', ams: { tray_now: '2' }, total_layer_num: 10, msg: 1 }, 1000);
    h.send({ gcode_state: 'FINISH', ams: { tray_now: '255' }, layer_num: 10, mc_percent: 100, msg: 1 }, 1000);
    expect(h.jobs()[0]).toMatchObject({
      subtask_name: 'Hook',
      status: 'finished',
      filament_type: 'PLA',
      filament_color: 'FF80FFFF',
    });
  });

  it('P2S (first seen mid-print, LAN task_id): opens an approximate job keyed on task_id, then finishes it', () => {
    h = trackerHarness({ serial: '22E00A000000000' });
    h.send(fullReport('p2s_pushall_running_lan_print.json'), '2025-05-01T09:00:00.000Z');
    expect(h.jobs()[0]).toMatchObject({
      job_key: '22E00A000000000:6456',
      status: 'running',
      start_approximate: 1,
      progress_percent: 64,
      layer_num: 170,
      total_layers: 305,
      filament_type: 'PETG',
      print_type: 'local',
    });
    h.send({ gcode_state: 'FINISH', mc_percent: 100, layer_num: 305, msg: 1 }, 3_600_000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({ status: 'finished', ended_at: '2025-05-01T10:00:00.000Z' });
    expect(h.events().map((e) => e.event)).toEqual(['started', 'finished']);
  });

  it('H2S (first seen mid-print, cloud ids): keyed on job_id, finishes', () => {
    h = trackerHarness({ serial: '09400A000000000' });
    h.send(fullReport('h2s_pushall_running_cloud_print.json'), '2025-05-01T09:00:00.000Z');
    h.send({ gcode_state: 'FINISH', msg: 1 }, 60_000);
    expect(h.jobs()).toHaveLength(1);
    expect(h.jobs()[0]).toMatchObject({
      job_key: '09400A000000000:465293773',
      subtask_name: 'Kabelfuehrung_v3',
      status: 'finished',
      start_approximate: 1,
      progress_percent: 42,
      total_layers: 75,
      filament_type: 'ABS',
    });
  });

  it('P1P without AMS and X1C: a FINISH pushall at start-up records nothing', () => {
    h = trackerHarness();
    h.send(fullReport('p1p_noams_pushall_finish_cloud.json'));
    h.send(fullReport('p1s_pushall_finish_from_rdiger36_readme.json'));
    expect(h.jobs()).toHaveLength(0);
    expect(h.tracker.status()).toMatchObject({ reports: 2, gcodeState: 'FINISH', currentJob: null });
  });
});
