/**
 * The project's own definitions on both engines: the same raw rows in a SQLite file and on a real
 * PostgreSQL server, the whole project run on each through the real runner (compiled for each engine
 * with the compile var its Dialect sets), and every bronze, silver and gold table compared row by row,
 * after a first run and after incremental runs over a growing history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  compileVarsFor,
  type Dialect,
  openPostgresExecutor,
  openSqliteExecutor,
  postgresDialect,
  type RunResult,
  runGraph,
  sqliteDialect,
} from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { copyRawLayer, createPostgresRawLayer } from './helpers/postgres-raw-layer.js';
import { type PostgresServer, startPostgres } from './helpers/postgres-server.js';
import { growHistory, writeFixtureHistory } from './helpers/print-history.js';
import { allDatasetRows } from './helpers/project-tables.js';

const PROJECT_DIR = new URL('..', import.meta.url).pathname;
const SENSOR = { tags: ['bronze'], includeDependents: true };

interface Side {
  dialect: Dialect;
  graph: CompiledGraph;
  executor: AsyncExecutor;
}

let server: PostgresServer;
let dir: string;
let raw: SqliteDatabase;
let sqlite: Side;
let postgres: Side;

async function compileFor(dialect: Dialect): Promise<CompiledGraph> {
  const outcome = await compileProject({ projectDir: PROJECT_DIR, vars: compileVarsFor(dialect) });
  if (!outcome.ok) throw new Error(`the project does not compile for ${dialect.name}: ${outcome.message}`);
  return outcome.graph;
}

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'bambuzled-both-'));
  const file = join(dir, 'print_history.db');
  raw = openDatabase(file);
  migrateRawSchema(raw);
  writeFixtureHistory(raw);
  const pg = await openPostgresExecutor(server.url);
  await createPostgresRawLayer(server.url);
  sqlite = {
    dialect: sqliteDialect,
    graph: await compileFor(sqliteDialect),
    executor: await openSqliteExecutor(file),
  };
  postgres = { dialect: postgresDialect, graph: await compileFor(postgresDialect), executor: pg };
});

afterAll(async () => {
  await sqlite?.executor.close();
  await postgres?.executor.close();
  raw?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(side: Side, fullRefresh = false): Promise<RunResult> {
  return runGraph(side.graph, {
    executor: side.executor,
    dialect: side.dialect,
    selection: SENSOR,
    fullRefresh,
    trigger: 'test',
    now: () => new Date('2026-03-21T00:00:00Z'),
  });
}

/** The actions that did not succeed, with why, so that a failure names them. */
function problems(result: RunResult): unknown[] {
  return result.actions
    .filter((a) => a.status !== 'SUCCESSFUL')
    .map((a) => ({ name: a.name, status: a.status, error: a.error, failing: a.failingRows?.sample }));
}

async function runBoth(): Promise<void> {
  await copyRawLayer(raw, postgres.executor);
  const [onSqlite, onPostgres] = [await run(sqlite), await run(postgres)];
  expect(problems(onSqlite)).toEqual([]);
  expect(problems(onPostgres)).toEqual([]);
  expect(onPostgres.actions.map((a) => a.name)).toEqual(onSqlite.actions.map((a) => a.name));
}

async function expectSameTables(): Promise<void> {
  const left = await allDatasetRows(sqlite.executor, sqlite.dialect, sqlite.graph);
  const right = await allDatasetRows(postgres.executor, postgres.dialect, postgres.graph);
  expect(Object.keys(right)).toEqual(Object.keys(left));
  for (const name of Object.keys(left)) {
    expect({ name, rows: right[name] }).toEqual({ name, rows: left[name] });
  }
}

describe('the project on SQLite and on PostgreSQL', () => {
  it('compiles each engine its own SQL from the same definitions', () => {
    const query = (graph: CompiledGraph) =>
      graph.tables?.find((t) => t.target.name === 'jobs_brz')?.query ?? '';
    expect(query(sqlite.graph)).toContain('strftime(');
    expect(query(postgres.graph)).toContain('to_char(');
    expect(query(postgres.graph)).not.toMatch(/strftime|julianday|GLOB/);
  });

  it('builds the same rows in every bronze, silver and gold table from the same raw rows', async () => {
    await runBoth();
    const rows = await allDatasetRows(sqlite.executor, sqlite.dialect, sqlite.graph);
    // Not vacuous: the history reaches every layer.
    expect(rows.jobs_brz?.length).toBe(4);
    expect(rows.jobs_slv?.length).toBe(7);
    expect(rows.job_filaments_slv?.length).toBeGreaterThan(0);
    expect(rows.printer_daily_gld?.length).toBeGreaterThan(0);
    await expectSameTables();
  }, 120_000);

  it('stays the same, run after run, as the history grows and changes', async () => {
    for (const step of [1, 2, 3]) {
      growHistory(raw, step);
      await runBoth();
      await expectSameTables();
    }
  }, 240_000);

  it('refuses a graph compiled for the other engine, saying how to compile it', async () => {
    const result = await runGraph(postgres.graph, {
      executor: sqlite.executor,
      dialect: sqlite.dialect,
      selection: SENSOR,
      trigger: 'test',
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toContain('compiled with --vars engine=postgres but runs on sqlite');
    expect(result.actions).toEqual([]);
  });
});
