import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  compileVarsFor,
  type Engine,
  openEngine,
  type RunResult,
  runGraph,
} from '../adapter/index.js';
import { migratePostgresRawSchema } from '../ingestion/index.js';
import { type PostgresServer, startPostgres } from '../test/helpers/postgres-server.js';
import { findProjectDir, median, round, sizeLabel } from './figures.js';
import type { BenchFigure, BenchReport } from './report.js';

const SIZES = [10_000, 1_000_000] as const;
const INCREMENTAL_RUNS = 7;
const NEW_JOBS_PER_RUN = 100;
const FULL_REFRESH_ROUNDS = 3;
const BRONZE = { tags: ['bronze'] };
const JOBS_BRZ = { actions: ['jobs_brz'] };

class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

export async function run(): Promise<BenchReport> {
  const given = process.env.BAMBUZLED_BENCH_POSTGRES_URL;
  const server: PostgresServer | undefined = given ? undefined : await startPostgres();
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  try {
    const firstEngine = openEngine(given ?? server!.url);
    const compiled = await compileProject({
      projectDir: findProjectDir(import.meta.url),
      vars: compileVarsFor(firstEngine.dialect),
    });
    if (!compiled.ok) throw new BenchSetupError(`The project does not compile: ${compiled.message}`);
    const graph = compiled.graph;
    const bronze = new Map<number, number>();
    for (const size of SIZES) {
      const url = await databaseFor(server, given, `bench_${size}`);
      const engine = openEngine(url);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const executor = await engine.connect();
      try {
        await client.query('SET search_path TO main');
        await migratePostgresRawSchema(client);
        const generateMs = await timedAsync(() => insertFinishedJobs(client, 1, size));
        await client.query('VACUUM ANALYZE main.jobs_raw');
        await client.query('VACUUM ANALYZE main.job_events_raw');
        const buildStarted = performance.now();
        expectRows(
          await runGraph(graph, { executor, dialect: engine.dialect, selection: BRONZE, trigger: 'bench' }),
          size,
        );
        const buildMs = performance.now() - buildStarted;
        let next = size + 1;
        const times: number[] = [];
        for (let i = 0; i < INCREMENTAL_RUNS; i++) {
          await insertFinishedJobs(client, next, next + NEW_JOBS_PER_RUN - 1);
          next += NEW_JOBS_PER_RUN;
          const started = performance.now();
          const result = await runGraph(graph, {
            executor,
            dialect: engine.dialect,
            selection: BRONZE,
            trigger: 'bench',
          });
          times.push(performance.now() - started);
          expectRows(result, NEW_JOBS_PER_RUN);
        }
        bronze.set(size, median(times));
        notes.push(
          `${sizeLabel(size)}: history generated in ${round(generateMs, 0)} ms, bronze built and checked in ${round(buildMs, 0)} ms; ` +
            `incremental --tags bronze run ${round(median(times), 1)} ms (median of ${INCREMENTAL_RUNS}, +${NEW_JOBS_PER_RUN} jobs each)`,
        );
        if (size === 1_000_000) {
          const refresh = await measureFullRefresh(engine, executor, client, graph);
          const ratio = refresh.adapterMs / refresh.floorMs;
          figures.push({
            name: 'PostgreSQL: full refresh of jobs_brz at 1M, runGraph / same SQL through pg',
            value: round(ratio, 2),
            unit: '×',
            target: '≤ 1.5×',
            pass: ratio <= 1.5,
          });
          notes.push(
            `full refresh at 1M: runGraph ${round(refresh.adapterMs, 0)} ms, direct ${round(refresh.floorMs, 0)} ms (median of ${FULL_REFRESH_ROUNDS} each)`,
          );
        }
      } finally {
        await executor.close();
        await client.end();
      }
    }
    const headline = (bronze.get(1_000_000) ?? Number.NaN) / (bronze.get(10_000) ?? Number.NaN);
    figures.unshift({
      name: 'PostgreSQL: incremental --tags bronze run (models + built-in assertions), 1M / 10k history',
      value: round(headline, 2),
      unit: '×',
      target: '≤ 3×',
      pass: headline <= 3,
    });
    notes.push(
      'On PostgreSQL the built-in assertions check only the rows an upsert staged (and NULL keys) after a merge, as index lookups; a rebuild or a failure checks the whole table again.',
    );
  } finally {
    await server?.stop();
  }
  return { title: 'Adapter on the bambuzled project (PostgreSQL)', figures, notes };
}

async function databaseFor(
  server: PostgresServer | undefined,
  given: string | undefined,
  name: string,
): Promise<string> {
  if (server) {
    await server.createDatabase(name);
    return server.urlFor(name);
  }
  // A given server: a database of that name must not exist yet; the bench never drops what it did not make.
  const url = new URL(given!);
  const admin = new pg.Client({ connectionString: given });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A full refresh through runGraph, and the statements it recorded sent directly through node-postgres
 * in one transaction (the floor). The order alternates so that neither side always follows the other.
 */
async function measureFullRefresh(
  engine: Engine,
  executor: AsyncExecutor,
  client: pg.Client,
  graph: CompiledGraph,
): Promise<{ adapterMs: number; floorMs: number }> {
  const modelOnly: CompiledGraph = {
    ...graph,
    assertions: (graph.assertions ?? []).filter((a) => a.parentAction?.name !== 'jobs_brz'),
  };
  const rows = Number(
    (await client.query(`SELECT count(*) AS n FROM main.jobs_raw WHERE status = 'finished'`)).rows[0]?.n,
  );
  const adapter: number[] = [];
  const floor: number[] = [];
  const viaAdapter = async (): Promise<string[]> => {
    const started = performance.now();
    const result = await runGraph(modelOnly, {
      executor,
      dialect: engine.dialect,
      selection: JOBS_BRZ,
      fullRefresh: true,
      trigger: 'bench',
    });
    adapter.push(performance.now() - started);
    return expectRows(result, rows).sql;
  };
  const direct = async (statements: string[]) => {
    const started = performance.now();
    await client.query('BEGIN');
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
    floor.push(performance.now() - started);
  };
  const statements = await viaAdapter();
  for (let i = 0; i < FULL_REFRESH_ROUNDS; i++) {
    if (i % 2 === 0) {
      await direct(statements);
      await viaAdapter();
    } else {
      await viaAdapter();
      await direct(statements);
    }
  }
  adapter.shift(); // the first run only captured the statements
  return { adapterMs: median(adapter), floorMs: median(floor) };
}

/** Finished jobs `from`..`to`, as the SQLite benchmark writes them (job i has change sequence i). */
async function insertFinishedJobs(client: pg.Client, from: number, to: number): Promise<void> {
  await client.query(
    `INSERT INTO main.jobs_raw (job_key, printer_serial, printer_name, task_id, subtask_id, subtask_name, gcode_file,
       print_type, status, gcode_state, started_at, ended_at, progress_percent, layer_num, total_layers,
       remaining_min, print_error, nozzle_diameter, nozzle_type, filament_type, filament_color, change_seq, updated_at)
     SELECT 'bench-' || i, 'BENCH' || lpad((i % 200)::text, 4, '0'), 'Bench printer ' || (i % 200), (700000000 + i)::text,
       (800000000 + i)::text, 'Part ' || i, '/data/Metadata/plate_' || (i % 4 + 1) || '.gcode',
       'cloud', 'finished', 'FINISH',
       to_char(to_timestamp(1704067200 + i * 600) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       to_char(to_timestamp(1704067200 + i * 600 + 1800 + (i * 37) % 7200 + 0.123) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       100, 50 + i % 400, 50 + i % 400, 0, 0, '0.4', 'hardened_steel',
       CASE i % 3 WHEN 0 THEN 'PLA' WHEN 1 THEN 'PETG' ELSE 'ABS' END,
       upper(lpad(to_hex(((i::bigint * 2654435761) % 16777216)::int), 6, '0')) || 'FF',
       i, to_char(to_timestamp(1704067200 + i * 600 + 1800) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
     FROM generate_series($1::bigint, $2::bigint) AS i`,
    [from, to],
  );
  await client.query(
    `INSERT INTO main.job_events_raw (seq, job_key, printer_serial, event, from_status, to_status, gcode_state, at)
     SELECT i, 'bench-' || i, 'BENCH' || lpad((i % 200)::text, 4, '0'), 'finished', 'running', 'finished', 'FINISH',
       to_char(to_timestamp(1704067200 + i * 600 + 1800) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
     FROM generate_series($1::bigint, $2::bigint) AS i`,
    [from, to],
  );
  // The rows above set seq by hand; the listener's sequence must not hand out a taken number later.
  await client.query(`SELECT setval(pg_get_serial_sequence('main.job_events_raw', 'seq'), $1)`, [to]);
}

function expectRows(result: RunResult, rows: number): RunResult['actions'][number] {
  const action = result.actions.find((a) => a.name === 'main.jobs_brz');
  if (result.status !== 'SUCCESSFUL' || !action) {
    const failed = result.actions
      .filter((a) => a.status !== 'SUCCESSFUL' && a.error)
      .map((a) => `${a.name}: ${a.error}`);
    throw new BenchSetupError(`The bronze run failed: ${failed.join('; ') || result.error || result.status}`);
  }
  if (action.rowsAffected !== rows) {
    throw new BenchSetupError(`jobs_brz wrote ${action.rowsAffected} rows where ${rows} were expected.`);
  }
  return action;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}
