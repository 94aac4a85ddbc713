/**
 * The filament and duration models on a raw layer the listener wrote: jobs played through the real
 * tracker (phases, estimates, slot mappings) and filament recorded through the raw writer, then the
 * Dataform project compiled by the stock compiler and run by the adapter.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledGraph, compileProject, type RunResult, runGraph } from '../adapter/index.js';
import { type FilamentRecord, RawWriter } from '../ingestion/raw-writer.js';
import { type TrackerHarness, trackerHarness } from '../ingestion/tracker-harness.js';

const PROJECT_DIR = new URL('..', import.meta.url).pathname;
const SERIAL = '00M09A350100123';

let graph: CompiledGraph;
let h: TrackerHarness;

beforeAll(async () => {
  const outcome = await compileProject({ projectDir: PROJECT_DIR });
  if (!outcome.ok) throw new Error(`the project does not compile: ${outcome.message}`);
  graph = outcome.graph;
});
afterEach(() => h?.close());

const PLATE = {
  predictionS: 4521,
  plateWeightG: 31.25,
  filaments: [
    { slot: 1, amsTray: 2, type: 'PLA', color: '00AE42FF', usedG: 21.83, usedM: 7.32 },
    { slot: 3, amsTray: 0, type: 'PETG', color: '1A1A1AFF', usedG: 9.42, usedM: 3.11 },
  ],
};

function record(jobKey: string, file: Partial<FilamentRecord> & Pick<FilamentRecord, 'status'>): void {
  new RawWriter(h.db).recordFilament({
    jobKey,
    printerSerial: SERIAL,
    reason: null,
    remotePath: null,
    plateIndex: null,
    predictionS: null,
    plateWeightG: null,
    attempts: 1,
    filaments: [],
    at: h.now().toISOString(),
    ...file,
  });
}

function recordPlate(jobKey: string): void {
  record(jobKey, {
    status: 'fetched',
    remotePath: '/cache/x.gcode.3mf',
    plateIndex: 1,
    predictionS: PLATE.predictionS,
    plateWeightG: PLATE.plateWeightG,
    filaments: PLATE.filaments.map((f) => ({
      source: '3mf',
      slot: f.slot,
      amsTray: f.amsTray,
      trayMatch: 'ams_mapping',
      filamentType: f.type,
      filamentColor: f.color,
      trayInfoIdx: 'GFA00',
      usedG: f.usedG,
      usedM: f.usedM,
    })),
  });
}

const named = (name: string) => ({
  subtask_name: name,
  gcode_file: `${name}.gcode.3mf`,
  print_type: 'local',
  task_id: '0',
});

/** Four jobs on one printer: finished with a 2 h pause, cancelled at layer 30 of 120, AMS-only, no file. */
function playFarmDay(): Record<string, string> {
  h = trackerHarness({ serial: SERIAL, name: 'Workshop X1C' });
  const keys: Record<string, string> = {};
  const latest = () => String(h.jobs().at(-1)?.job_key);
  h.send({ gcode_state: 'IDLE', stg_cur: 255, msg: 0 }, '2026-03-02T08:00:00.000Z');

  h.send({ gcode_state: 'PREPARE', ...named('Bracket'), msg: 1 }, 1_000);
  h.send({ gcode_state: 'RUNNING', stg_cur: 2, msg: 1 }, 60_000);
  h.send({ stg_cur: 0, mc_remaining_time: 75, total_layer_num: 120, layer_num: 1, msg: 1 }, 30_000);
  h.send({ gcode_state: 'PAUSE', msg: 1 }, 600_000);
  h.send({ gcode_state: 'RUNNING', msg: 1 }, 7_200_000);
  h.send({ gcode_state: 'FINISH', layer_num: 120, mc_percent: 100, msg: 1 }, 4_000_000);
  keys.bracket = latest();
  recordPlate(keys.bracket);

  h.send({ gcode_state: 'PREPARE', ...named('Clip'), mc_percent: 0, layer_num: 0, msg: 1 }, 60_000);
  h.send(
    { gcode_state: 'RUNNING', stg_cur: 0, total_layer_num: 120, layer_num: 1, mc_remaining_time: 70, msg: 1 },
    30_000,
  );
  h.send({ layer_num: 30, mc_percent: 22, msg: 1 }, 900_000);
  h.send({ gcode_state: 'FAILED', print_error: 50348044, layer_num: 0, mc_percent: 0, msg: 1 }, 10_000);
  keys.clip = latest();
  recordPlate(keys.clip);

  h.send({ gcode_state: 'PREPARE', ...named('Spool test'), print_error: 0, msg: 1 }, 60_000);
  h.send({ gcode_state: 'RUNNING', stg_cur: 0, msg: 1 }, 30_000);
  h.send({ gcode_state: 'FINISH', msg: 1 }, 1_200_000);
  keys.spool = latest();
  record(keys.spool, {
    status: null,
    attempts: 0,
    filaments: [
      {
        source: 'ams_remain',
        slot: 2,
        amsTray: 2,
        trayMatch: null,
        filamentType: 'PLA',
        filamentColor: '00AE42FF',
        trayInfoIdx: null,
        usedG: 20,
        usedM: 6.7,
      },
    ],
  });

  h.send({ gcode_state: 'PREPARE', ...named('Lost'), msg: 1 }, 60_000);
  h.send({ gcode_state: 'RUNNING', stg_cur: 0, msg: 1 }, 30_000);
  h.send({ gcode_state: 'FINISH', msg: 1 }, 600_000);
  keys.lost = latest();
  record(keys.lost, {
    status: 'not_found',
    reason: 'no file of the job on the printer (tried /cache/Lost.gcode.3mf)',
    attempts: 12,
  });
  return keys;
}

function run(): RunResult {
  return runGraph(graph, {
    db: h.db,
    selection: { tags: ['bronze'], includeDependents: true },
    fullRefresh: false,
    trigger: 'test',
    now: () => new Date('2026-03-06T00:00:00Z'),
  });
}

function failed(result: RunResult): string[] {
  return result.actions.filter((a) => a.status !== 'SUCCESSFUL').map((a) => a.name);
}

function rows(sql: string): Record<string, unknown>[] {
  return h.db.prepare(sql).all() as Record<string, unknown>[];
}

describe('filament and duration models', () => {
  it('splits each job into preparing, printing and paused seconds that add up to its duration', () => {
    const keys = playFarmDay();
    expect(failed(run())).toEqual([]);
    const [bracket] = rows(`SELECT * FROM jobs_slv WHERE job_id = '${keys.bracket}'`);
    expect(bracket).toMatchObject({
      outcome: 'finished',
      preparing_s: 90,
      printing_s: 4_600,
      paused_s: 7_200,
      duration_s: 90 + 4_600 + 7_200,
      estimated_s: 4521,
    });
  });

  it('charges a finished job the whole plate and a cancelled one the layers it reached', () => {
    const keys = playFarmDay();
    expect(failed(run())).toEqual([]);
    const jobs = Object.fromEntries(
      rows(
        'SELECT job_id, outcome, filament_g, filament_m, filament_source, filament_missing_reason FROM jobs_slv',
      ).map((r) => [r.job_id, r]),
    );
    expect(jobs[keys.bracket as string]).toMatchObject({
      filament_g: 31.25,
      filament_m: 10.43,
      filament_source: '3mf',
      filament_missing_reason: null,
    });
    expect(jobs[keys.clip as string]).toMatchObject({ outcome: 'cancelled', filament_source: '3mf' });
    expect(jobs[keys.clip as string]?.filament_g).toBeCloseTo(31.25 * (30 / 120), 1);
    expect(jobs[keys.spool as string]).toMatchObject({ filament_g: 20, filament_source: 'ams_remain' });
    expect(jobs[keys.lost as string]).toMatchObject({
      filament_g: null,
      filament_m: null,
      filament_source: null,
      filament_missing_reason: 'not_found: no file of the job on the printer (tried /cache/Lost.gcode.3mf)',
    });
    expect(
      rows(
        `SELECT slot, ams_tray, filament_type, grams, meters, source, charged_fraction FROM job_filaments_slv WHERE job_id = '${keys.clip}' ORDER BY slot`,
      ),
    ).toEqual([
      {
        slot: 1,
        ams_tray: 2,
        filament_type: 'PLA',
        grams: 5.46,
        meters: 1.83,
        source: '3mf',
        charged_fraction: 0.25,
      },
      {
        slot: 3,
        ams_tray: 0,
        filament_type: 'PETG',
        grams: 2.35, // 9.42 x 0.25 = 2.35499... in binary floating point
        meters: 0.78,
        source: '3mf',
        charged_fraction: 0.25,
      },
    ]);
  });

  it('sums grams by material and colour per printer and day, and compares estimates with printing time', () => {
    playFarmDay();
    expect(failed(run())).toEqual([]);
    expect(
      rows(
        'SELECT filament_type, filament_color, jobs, grams FROM filament_daily_gld ORDER BY filament_type',
      ),
    ).toEqual([
      { filament_type: 'PETG', filament_color: '1A1A1AFF', jobs: 2, grams: 11.77 },
      { filament_type: 'PLA', filament_color: '00AE42FF', jobs: 3, grams: 47.29 },
    ]);
    expect(rows('SELECT week_start, jobs, paused_hours FROM print_time_weekly_gld')).toEqual([
      { week_start: '2026-03-02', jobs: 4, paused_hours: 2 },
    ]);
    const [accuracy] = rows('SELECT * FROM estimate_accuracy_gld');
    expect(accuracy).toMatchObject({
      printer_serial: SERIAL,
      jobs_compared: 1,
      actual_over_estimate: Number((4600 / 4521).toFixed(3)),
    });
  });

  it('fails an assertion when a partial job is charged more than its plate', () => {
    const keys = playFarmDay();
    h.db.prepare(`UPDATE job_filaments_raw SET used_g = used_g * 10 WHERE job_key = ?`).run(keys.clip);
    expect(failed(run())).toEqual(['assertions.partial_job_within_plate']);
  });

  it('fails an assertion when the phases of a job do not add up to its duration', () => {
    const keys = playFarmDay();
    h.db.prepare('UPDATE jobs_raw SET paused_ms = paused_ms + 5000 WHERE job_key = ?').run(keys.bracket);
    expect(failed(run())).toEqual(['assertions.main_jobs_slv_assertions_rowConditions']);
  });

  it('fails an assertion when two jobs of one printer overlap', () => {
    const keys = playFarmDay();
    h.db
      .prepare(`UPDATE jobs_raw SET ended_at = '2026-03-02T23:00:00.000Z' WHERE job_key = ?`)
      .run(keys.bracket);
    expect(failed(run())).toContain('assertions.no_overlapping_jobs');
  });
});
