/**
 * The cases that were Dataform unit tests of jobs_slv and printer_daily_gld (Dataform cannot unit-test
 * incremental datasets): their inputs seeded as tables of a real SQLite file, the one model run through
 * the runner (`--actions`), its rows compared with the expected ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  type RunResult,
  runGraph,
} from '../adapter/index.js';

const PROJECT_DIR = new URL('..', import.meta.url).pathname;

let graph: CompiledGraph;
let dir: string;
let executor: AsyncExecutor;

beforeAll(async () => {
  const outcome = await compileProject({ projectDir: PROJECT_DIR });
  if (!outcome.ok) throw new Error(`the project does not compile: ${outcome.message}`);
  graph = outcome.graph;
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bambuzled-cases-'));
  executor = await openSqliteExecutor(join(dir, 'cases.db'));
});

afterEach(async () => {
  await executor.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runOnly(model: string): Promise<RunResult> {
  const result = await runGraph(graph, {
    executor,
    selection: { actions: [`main.${model}`] },
    trigger: 'test',
    now: () => new Date('2026-03-06T00:00:00Z'),
  });
  const failed = result.actions.filter((a) => a.status !== 'SUCCESSFUL');
  expect(failed.map((a) => [a.name, a.error])).toEqual([]);
  return result;
}

const rows = (sql: string) => executor.query(sql);

describe('jobs_slv', () => {
  beforeEach(async () => {
    // A finished job, whose values recorded in jobs_brz win over job_outcomes_brz's, with phase seconds
    // that would not add up if each were rounded alone; and a cancelled job on a Sunday night, charged
    // the fraction of its filament that it printed (50 of 200 layers).
    await executor.execute(`
      CREATE TABLE job_outcomes_brz AS
      SELECT 'A' AS job_id, 'S1' AS printer_serial, 'old name' AS printer_name, 'raw name' AS job_name,
        'a.3mf' AS gcode_file, 'finished' AS outcome, '2026-03-02T08:00:00.000Z' AS started_at,
        '2026-03-02T10:00:00.000Z' AS ended_at, 7200 AS duration_s, 0 AS start_approximate, 100 AS total_layers,
        100 AS last_layer, 100 AS progress_percent, NULL AS print_error_hex, 'PLA' AS filament_type,
        'FFFFFFFF' AS filament_color, '0.4' AS nozzle_diameter, 3 AS source_change_seq
      UNION ALL SELECT 'B', 'S1', 'Garage', 'Vase', NULL, 'cancelled', '2026-03-01T23:30:00.000Z',
        '2026-03-02T00:10:00.000Z', 2400, 0, 200, 50, 30, '0300_400C', 'PLA', 'FF0000FF', '0.4', 5;
      CREATE TABLE jobs_brz AS
      SELECT 'A' AS job_id, 'Garage' AS printer_name, 'Benchy' AS job_name, 'benchy.3mf' AS gcode_file,
        '2026-03-02T08:00:00.000Z' AS started_at, '2026-03-02T10:00:00.000Z' AS finished_at, 7200 AS duration_s,
        120 AS total_layers, 'PETG' AS filament_type, '000000FF' AS filament_color, '0.6' AS nozzle_diameter,
        3 AS source_change_seq;
      CREATE TABLE job_details_brz AS
      SELECT 'A' AS job_id, 300400 AS preparing_ms, 6599200 AS printing_ms, 300400 AS paused_ms,
        7000 AS prediction_s, 7100 AS first_remaining_s, 'ok' AS file_status, NULL AS file_reason, 4 AS source_change_seq
      UNION ALL SELECT 'B', 600000, 1800000, 0, NULL, 3600, 'ok', NULL, 6;
      CREATE TABLE job_filaments_brz AS
      SELECT 'A' AS job_id, '3mf' AS source, 1 AS slot, 10.25 AS used_g, 3.3 AS used_m, 4 AS source_change_seq
      UNION ALL SELECT 'A', '3mf', 2, 2.5, 0.8, 4
      UNION ALL SELECT 'B', '3mf', 1, 40, 13, 7;`);
  });

  it('takes finished values from jobs_brz, adds up phase seconds, and charges a cancel its fraction', async () => {
    await runOnly('jobs_slv');
    const jobs = await rows('SELECT * FROM jobs_slv ORDER BY job_id');
    expect(jobs).toEqual([
      expect.objectContaining({
        job_id: 'A',
        printer_name: 'Garage',
        job_name: 'Benchy',
        gcode_file: 'benchy.3mf',
        outcome: 'finished',
        outcome_label: 'Finished',
        is_finished: 1,
        duration_min: 120,
        print_date: '2026-03-02',
        weekday: 1,
        hour: 8,
        total_layers: 120,
        filament_type: 'PETG',
        nozzle_diameter: '0.6',
        preparing_s: 300,
        printing_s: 6600,
        paused_s: 300,
        estimated_s: 7000,
        filament_g: 12.75,
        filament_m: 4.1,
        filament_source: '3mf',
        filament_missing_reason: null,
        source_change_seq: 4,
      }),
      expect.objectContaining({
        job_id: 'B',
        outcome: 'cancelled',
        outcome_label: 'Cancelled',
        is_finished: 0,
        duration_min: 40,
        print_date: '2026-03-01',
        weekday: 7,
        hour: 23,
        preparing_s: 600,
        printing_s: 1800,
        paused_s: 0,
        estimated_s: 3600,
        filament_g: 10,
        filament_m: 3.25,
        source_change_seq: 7,
      }),
    ]);
  });

  it('re-computes only the jobs whose bronze rows changed since its last run', async () => {
    await runOnly('jobs_slv');
    // B's cancel is restated as a failure (a new change); A's outcome row is edited without one.
    await executor.execute(
      `UPDATE job_outcomes_brz SET outcome = 'failed', source_change_seq = 9 WHERE job_id = 'B'`,
    );
    await executor.execute(`UPDATE job_outcomes_brz SET job_name = 'unseen' WHERE job_id = 'A'`);

    const second = await runOnly('jobs_slv');

    expect(second.actions.find((a) => a.name === 'main.jobs_slv')?.rowsAffected).toBe(1);
    const jobs = await rows('SELECT job_id, outcome, source_change_seq FROM jobs_slv ORDER BY job_id');
    expect(jobs).toEqual([
      { job_id: 'A', outcome: 'finished', source_change_seq: 4 },
      { job_id: 'B', outcome: 'failed', source_change_seq: 9 },
    ]);
  });
});

describe('printer_daily_gld', () => {
  it("counts a day's jobs by outcome, names the day after its latest job, and sums hours", async () => {
    // Two printers; one prints three jobs on one day (finished, failed, cancelled) and was renamed
    // between them. Hours count every job, finished hours only the finished ones.
    await executor.execute(`
      CREATE TABLE jobs_slv AS
      SELECT 'j1' AS job_id, 'S1' AS printer_serial, 'Attic' AS printer_name, '2026-03-02' AS print_date,
        'finished' AS outcome, 5400 AS duration_s, 1 AS is_finished, 300 AS total_layers,
        '2026-03-02T10:30:00.000Z' AS ended_at, 1 AS source_change_seq
      UNION ALL SELECT 'j2', 'S1', 'Attic', '2026-03-02', 'failed', 1800, 0, 500, '2026-03-02T12:00:00.000Z', 2
      UNION ALL SELECT 'j3', 'S1', 'Garage', '2026-03-02', 'cancelled', 900, 0, 80, '2026-03-02T18:15:00.000Z', 3
      UNION ALL SELECT 'j4', 'S2', 'Lab', '2026-03-02', 'ended_while_disconnected', 3600, 0, 40, '2026-03-02T09:00:00.000Z', 4;
      CREATE TABLE job_keys_slv AS
      SELECT job_id, source_change_seq, printer_serial, print_date, '2026-03-02' AS week_start FROM jobs_slv;`);

    await runOnly('printer_daily_gld');

    expect(await rows('SELECT * FROM printer_daily_gld ORDER BY printer_serial')).toEqual([
      {
        printer_serial: 'S1',
        printer_name: 'Garage',
        print_date: '2026-03-02',
        jobs: 3,
        finished: 1,
        failed: 1,
        cancelled: 1,
        ended_while_disconnected: 0,
        print_hours: 2.25,
        finished_hours: 1.5,
        finished_layers: 300,
        last_ended_at: '2026-03-02T18:15:00.000Z',
      },
      {
        printer_serial: 'S2',
        printer_name: 'Lab',
        print_date: '2026-03-02',
        jobs: 1,
        finished: 0,
        failed: 0,
        cancelled: 0,
        ended_while_disconnected: 1,
        print_hours: 1,
        finished_hours: 0,
        finished_layers: 0,
        last_ended_at: '2026-03-02T09:00:00.000Z',
      },
    ]);
  });
});
