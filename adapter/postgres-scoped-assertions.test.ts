/**
 * Scoped built-in assertions on PostgreSQL: no rowid, so after an upsert the checks read the rows
 * whose keys the merge staged; after an append without a key, the whole table. On a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../test/helpers/postgres-server.js';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import { SCOPED_PROJECT } from './__fixtures__/scoped-project.js';
import {
  type ActionResult,
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openPostgresExecutor,
  postgresDialect,
  type RunResult,
  runGraph,
} from './index.js';

const ROWS_CHECK = 'checks.main_events_assertions_rowConditions';
const KEY_CHECK = 'checks.main_events_assertions_uniqueKey_0';
const LOG_ROWS_CHECK = 'checks.main_event_log_assertions_rowConditions';

let server: PostgresServer;
let projectDir: string;
let graph: CompiledGraph;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
  projectDir = writeProject(SCOPED_PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(async () => {
  await server?.stop();
  if (projectDir) removeDir(projectDir);
});

/** A fresh database whose source holds `n` valid events (ids 1..n, change sequence = id). */
async function freshDb(n: number): Promise<AsyncExecutor> {
  const name = `scoped_${++databases}`;
  await server.createDatabase(name);
  const executor = await openPostgresExecutor(server.urlFor(name));
  await executor.execute(
    `CREATE SCHEMA main; CREATE TABLE main.src_events (id INTEGER, amount DOUBLE PRECISION, seq INTEGER);
     INSERT INTO main.src_events SELECT i, 10, i FROM generate_series(1, ${n}) AS i`,
  );
  return executor;
}

async function addEvent(executor: AsyncExecutor, id: number, amount: number): Promise<void> {
  await executor.execute(
    'INSERT INTO main.src_events SELECT ?, ?, coalesce(max(seq), 0) + 1 FROM main.src_events',
    [id, amount],
  );
}

const run = (executor: AsyncExecutor) =>
  runGraph(graph, { executor, dialect: postgresDialect, trigger: 'test' });

function byName(result: RunResult, name: string): ActionResult {
  const found = result.actions.find((a) => a.name === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

describe('scoped built-in assertions on PostgreSQL', () => {
  it('checks the whole table on the first run, then only the keys a later upsert staged', async () => {
    const executor = await freshDb(50);
    try {
      const first = await run(executor);
      expect(first.status).toBe('SUCCESSFUL');
      expect(byName(first, ROWS_CHECK).scope).toBe('table');

      await addEvent(executor, 51, 10);
      await addEvent(executor, 7, 12); // a new version of an old key: an update
      const second = await run(executor);
      expect(byName(second, ROWS_CHECK)).toMatchObject({
        status: 'SUCCESSFUL',
        scope: 'written-rows',
        checkedRows: 2,
      });
      expect(byName(second, KEY_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows' });
    } finally {
      await executor.close();
    }
  });

  it('catches a bad value that an upsert wrote into an existing row', async () => {
    const executor = await freshDb(20);
    try {
      await run(executor);
      await addEvent(executor, 3, -1);
      const result = await run(executor);
      expect(byName(result, ROWS_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
      expect(byName(result, ROWS_CHECK).failingRows?.sample).toEqual([
        { failing_row_condition: 'amount >= 0', id: 3, amount: -1, seq: 21 },
      ]);
    } finally {
      await executor.close();
    }
  });

  it('checks the whole table after an append without a key, where the written rows cannot be found', async () => {
    const executor = await freshDb(20);
    try {
      await run(executor);
      await addEvent(executor, 21, 10);
      const result = await run(executor);
      expect(byName(result, LOG_ROWS_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'table' });
    } finally {
      await executor.close();
    }
  });
});
