/**
 * The same runner on PostgreSQL: the sample project (every action type) on a real server, through
 * the PostgreSQL dialect and executor, with the run history in the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../test/helpers/postgres-server.js';
import { removeDir, SAMPLE_PROJECT, writeProject } from './__fixtures__/sample-project.js';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openPostgresExecutor,
  openRunHistory,
  postgresDialect,
  type RunResult,
  runGraph,
  runUnitTests,
} from './index.js';

let server: PostgresServer;
let graph: CompiledGraph;
let projectDir: string;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
  projectDir = writeProject(SAMPLE_PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(async () => {
  await server?.stop();
  if (projectDir) removeDir(projectDir);
});

/** A fresh database with the sample sources in schema main. */
async function seeded(): Promise<AsyncExecutor> {
  const name = `runner_${++databases}`;
  await server.createDatabase(name);
  const executor = await openPostgresExecutor(server.urlFor(name));
  await executor.execute(`
    CREATE SCHEMA main;
    CREATE TABLE main.src_orders (id INTEGER PRIMARY KEY, customer TEXT, status TEXT, amount REAL, note TEXT);
    INSERT INTO main.src_orders VALUES (1, 'ada', 'open', 50, 'first'), (2, 'ada', 'shipped', 150, 'second'),
      (3, 'bob', 'open', 20, NULL), (4, 'cy', 'shipped', 300, 'fourth');
    CREATE TABLE main.src_customers (name TEXT);
    INSERT INTO main.src_customers VALUES ('ada'), ('bob'), ('cy');`);
  return executor;
}

const run = (executor: AsyncExecutor, options: Partial<Parameters<typeof runGraph>[1]> = {}) =>
  runGraph(graph, { executor, dialect: postgresDialect, trigger: 'test', ...options });
const status = (result: RunResult, name: string) => result.actions.find((a) => a.name === name)?.status;
const one = async (executor: AsyncExecutor, sql: string) =>
  Object.values((await executor.query(sql))[0] ?? {})[0];

describe('the runner on PostgreSQL', () => {
  it('builds every action type into schemas of the same names and records the run', async () => {
    const executor = await seeded();
    try {
      const result = await run(executor);
      expect(result.actions.filter((a) => a.status === 'FAILED').map((a) => [a.name, a.error])).toEqual([]);
      expect(result.status).toBe('SUCCESSFUL');
      expect(await one(executor, 'SELECT count(*) FROM main.orders')).toBe(4);
      expect(await one(executor, "SELECT total FROM reporting.customer_totals WHERE customer = 'ada'")).toBe(
        200,
      );
      expect(await one(executor, 'SELECT n FROM main.order_counts')).toBe(4);
      expect(status(result, 'main.legacy_report')).toBe('DISABLED');
      const history = await openRunHistory(executor, { dialect: postgresDialect });
      expect((await history.listRuns()).map((r) => [r.runId, r.status])).toEqual([
        [result.runId, 'SUCCESSFUL'],
      ]);
      expect(await history.getRun(result.runId)).toEqual(result);
    } finally {
      await executor.close();
    }
  });

  it('upserts on the unique key, de-duplicating new rows, and matches NULL keys', async () => {
    const executor = await seeded();
    try {
      await run(executor);
      await executor.execute(
        "UPDATE main.src_orders SET status = 'shipped' WHERE id = 1; INSERT INTO main.src_orders VALUES (5, 'bob', 'open', 5, NULL)",
      );
      const second = await run(executor);
      expect(second.status).toBe('SUCCESSFUL');
      expect(await one(executor, 'SELECT count(*) FROM main.orders_latest')).toBe(5);
      expect(await one(executor, 'SELECT status FROM main.orders_latest WHERE id = 1')).toBe('shipped');
      expect(second.actions.find((a) => a.name === 'main.orders_latest')?.mode).toBe('merged');
      const nulls = await executor.query(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'main' AND indexname = 'orders_latest__unique_key'",
      );
      expect(String(nulls[0]?.indexdef)).toContain('NULLS NOT DISTINCT');
    } finally {
      await executor.close();
    }
  });

  it('rebuilds a table that a view reads, and the view reads the new table', async () => {
    const executor = await seeded();
    try {
      await run(executor);
      await executor.execute("INSERT INTO main.src_orders VALUES (6, 'ada', 'open', 1, NULL)");
      const result = await run(executor, { selection: { actions: ['main.orders'] } });
      expect(result.status).toBe('SUCCESSFUL');
      expect(await one(executor, "SELECT total FROM reporting.customer_totals WHERE customer = 'ada'")).toBe(
        201,
      );
    } finally {
      await executor.close();
    }
  });

  it('fails an assertion with its rows, and changes nothing on a dry run', async () => {
    const executor = await seeded();
    try {
      await executor.execute("INSERT INTO main.src_orders VALUES (9, 'eve', 'open', -40, NULL)");
      const dry = await run(executor, { dryRun: true });
      expect(status(dry, 'checks.no_negative_amounts')).toBe('FAILED');
      expect(await executor.describe('main.orders')).toBeUndefined();
      const result = await run(executor);
      const failed = result.actions.find((a) => a.name === 'checks.no_negative_amounts');
      expect(failed?.failingRows).toEqual({ count: 1, sample: [{ id: 9, amount: -40 }] });
      expect(status(result, 'main.after_check')).toBe('SKIPPED');
    } finally {
      await executor.close();
    }
  });

  it("runs unit tests in the server's own SQL, inside a transaction that leaves nothing behind", async () => {
    const executor = await seeded();
    try {
      const tests: CompiledGraph = {
        tests: [
          {
            name: 'casts',
            testQuery: "SELECT 2::int8 AS n, 'a' || 'b' AS s",
            expectedOutputQuery: "SELECT 2 AS n, 'ab'::text AS s",
          },
          { name: 'differs', testQuery: 'SELECT 1 AS n', expectedOutputQuery: 'SELECT 2 AS n' },
        ],
      } as CompiledGraph;
      const results = await executor.rolledBack((tx) => runUnitTests(tests, tx));
      expect(results.map((r) => [r.name, r.status])).toEqual([
        ['casts', 'SUCCESSFUL'],
        ['differs', 'FAILED'],
      ]);
      expect(results[1]?.differences).toEqual([{ row: 1, column: 'n', expected: 2, actual: 1 }]);
    } finally {
      await executor.close();
    }
  });

  it('cancels a statement in flight and records the run CANCELLED', async () => {
    const executor = await seeded();
    try {
      const slow: CompiledGraph = {
        ...graph,
        operations: [
          { target: { database: 'shop', schema: 'main', name: 'sleepy' }, queries: ['SELECT pg_sleep(60)'] },
        ],
        tables: [],
        assertions: [],
      };
      const controller = new AbortController();
      setTimeout(() => controller.abort('the test stops it'), 500);
      const started = Date.now();
      const result = await runGraph(slow, { executor, dialect: postgresDialect, signal: controller.signal });
      // Half the statement's 60 s: it was cancelled, not waited for (a deadline, not a speed figure).
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(result.status).toBe('CANCELLED');
      expect(status(result, 'main.sleepy')).toBe('CANCELLED');
    } finally {
      await executor.close();
    }
  });
});
