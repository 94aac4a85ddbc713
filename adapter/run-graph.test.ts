import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { removeDir, SAMPLE_PROJECT, seededDatabase, writeProject } from './__fixtures__/sample-project.js';
import {
  type ActionResult,
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openRunHistory,
  openSqliteExecutor,
  type RunHistory,
  readCatalog,
  runGraph,
} from './index.js';

let projectDir: string;
let graph: CompiledGraph;
let workDir: string;
let db: SqliteDatabase;
let executor: AsyncExecutor;

beforeAll(async () => {
  projectDir = writeProject(SAMPLE_PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(() => removeDir(projectDir));

/** A seeded database file: `db` to seed and look with, `executor` for the runner. */
async function freshDb(): Promise<void> {
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-run-'));
  db = seededDatabase(workDir);
  executor = await openSqliteExecutor(join(workDir, 'shop.db'));
}

const history = (): Promise<RunHistory> => openRunHistory(executor);

afterEach(async () => {
  await executor?.close();
  db?.close();
  if (workDir) removeDir(workDir);
});

const statusOf = (actions: ActionResult[], name: string) => actions.find((a) => a.name === name)?.status;
const count = (sql: string) => db.prepare(sql).pluck().get() as number;
const byName = (actions: ActionResult[], name: string) => {
  const found = actions.find((a) => a.name === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
};

describe('runGraph', () => {
  it('builds every action type and records the run', async () => {
    await freshDb();
    const result = await runGraph(graph, { executor, trigger: 'test' });
    expect(result.status).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.orders')).toBe('SUCCESSFUL');
    expect(byName(result.actions, 'main.orders').rowsAffected).toBe(4);
    expect(statusOf(result.actions, 'reporting.customer_totals')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.orders_latest')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.order_counts')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.big_orders')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.touch')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'checks.no_negative_amounts')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'checks.main_orders_assertions_rowConditions')).toBe('SUCCESSFUL');
    expect(statusOf(result.actions, 'main.legacy_report')).toBe('DISABLED');

    expect(count('SELECT count(*) FROM orders')).toBe(4);
    expect(count("SELECT total FROM reporting__customer_totals WHERE customer = 'ada'")).toBe(200);
    expect(count('SELECT n FROM order_counts')).toBe(4);
    expect(count('SELECT count(*) FROM big_orders')).toBe(2);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'legacy_report'")).toBe(0);
    expect(count("SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name LIKE 'checks__%'")).toBe(3);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'orders_latest__unique_key'")).toBe(1);

    const order = result.actions.map((a) => a.name);
    expect(order.indexOf('main.orders')).toBeLessThan(order.indexOf('reporting.customer_totals'));
    expect(order.indexOf('checks.no_negative_amounts')).toBeLessThan(order.indexOf('main.after_check'));

    expect(result.runId).toBeGreaterThan(0);
    expect(
      (await (await history()).listRuns()).map((r) => [r.runId, r.status, r.trigger, r.counts.DISABLED]),
    ).toEqual([[result.runId, 'SUCCESSFUL', 'test', 1]]);
    expect(await (await history()).getRun(result.runId)).toEqual(result);
    expect((await (await history()).latestActionResults()).get('main.orders')?.rowsAffected).toBe(4);
  });

  it('upserts on the unique key and appends only new rows where the query filters them', async () => {
    await freshDb();
    await runGraph(graph, { executor });
    db.exec(
      "UPDATE src_orders SET status = 'shipped' WHERE id = 1; INSERT INTO src_orders VALUES (5, 'bob', 'open', 5, NULL)",
    );
    const second = await runGraph(graph, { executor });
    expect(second.status).toBe('SUCCESSFUL');
    expect(count('SELECT count(*) FROM orders_latest')).toBe(5);
    expect(count("SELECT count(*) FROM orders_latest WHERE id = 1 AND status = 'shipped'")).toBe(1);
    expect(byName(second.actions, 'main.orders_latest').rowsAffected).toBe(5);
    expect(count('SELECT count(*) FROM order_log')).toBe(5);
    expect(byName(second.actions, 'main.order_log').rowsAffected).toBe(1);

    const third = await runGraph(graph, { executor });
    expect(byName(third.actions, 'main.order_log').rowsAffected).toBe(0);
    expect(count('SELECT count(*) FROM order_log')).toBe(5);
  });

  it('tells an incremental table merged into from one built from scratch, and keeps that in the history', async () => {
    await freshDb();
    const modes = (result: { actions: ActionResult[] }) =>
      ['main.orders', 'reporting.customer_totals', 'main.orders_latest', 'main.order_log', 'main.touch'].map(
        (name) => byName(result.actions, name).mode,
      );
    const first = await runGraph(graph, { executor });
    expect(modes(first)).toEqual(['created', 'created', 'created', 'created', undefined]);
    const second = await runGraph(graph, { executor });
    expect(modes(second)).toEqual(['created', 'created', 'merged', 'merged', undefined]);
    expect(await (await history()).getRun(second.runId)).toEqual(second);
    // A full refresh rebuilds orders_latest; order_log is protected, so it is still merged into.
    const refreshed = await runGraph(graph, { executor, fullRefresh: true });
    expect(modes(refreshed)).toEqual(['created', 'created', 'created', 'merged', undefined]);
    expect(byName(refreshed.actions, 'checks.no_negative_amounts').mode).toBeUndefined();
  });

  it('warns, rather than dropping silently, when the incremental query returns a column the table lacks', async () => {
    await freshDb();
    await runGraph(graph, { executor });
    // An older build of the table, from before the model returned `amount`.
    db.exec('ALTER TABLE orders_latest DROP COLUMN amount');
    const second = await runGraph(graph, { executor });
    const merged = byName(second.actions, 'main.orders_latest');
    expect(merged.status).toBe('SUCCESSFUL');
    expect(merged.warnings).toEqual([
      expect.stringMatching(/returns column\(s\) amount that orders_latest does not have.*--full-refresh/),
    ]);
    expect(byName(second.actions, 'main.order_log').warnings).toBeUndefined();
  });

  it('rebuilds an incremental table on a full refresh unless it is protected', async () => {
    await freshDb();
    await runGraph(graph, { executor });
    db.exec('DELETE FROM src_orders WHERE id = 3');
    await runGraph(graph, { executor });
    expect(count('SELECT count(*) FROM orders_latest WHERE id = 3')).toBe(1);

    const refreshed = await runGraph(graph, { executor, fullRefresh: true });
    expect(refreshed.status).toBe('SUCCESSFUL');
    expect(count('SELECT count(*) FROM orders_latest WHERE id = 3')).toBe(0);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'orders_latest__unique_key'")).toBe(1);
    expect(count('SELECT count(*) FROM order_log WHERE id = 3')).toBe(1);
  });

  it('fails an assertion with its failing rows and skips what depends on it', async () => {
    await freshDb();
    db.exec("INSERT INTO src_orders VALUES (9, 'eve', 'open', -40, NULL)");
    const result = await runGraph(graph, { executor });
    expect(result.status).toBe('FAILED');
    const failed = byName(result.actions, 'checks.no_negative_amounts');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('1 row(s)');
    expect(failed.failingRows).toEqual({ count: 1, sample: [{ id: 9, amount: -40 }] });
    expect(byName(result.actions, 'main.after_check')).toMatchObject({
      status: 'SKIPPED',
      error: 'because checks.no_negative_amounts failed',
    });
    expect(statusOf(result.actions, 'main.big_orders')).toBe('SUCCESSFUL');
    expect(count('SELECT count(*) FROM checks__no_negative_amounts')).toBe(1);
  });

  it('runs a rowConditions assertion whose condition contains quotes', async () => {
    await freshDb();
    db.exec("INSERT INTO src_orders VALUES (7, 'bob', 'lost', 10, NULL)");
    const result = await runGraph(graph, { executor, selection: { actions: ['orders'] } });
    const check = byName(result.actions, 'checks.main_orders_assertions_rowConditions');
    expect(check.status).toBe('FAILED');
    expect(check.failingRows?.sample).toEqual([
      {
        failing_row_condition: "status IN ('open', 'shipped')",
        id: 7,
        customer: 'bob',
        status: 'lost',
        amount: 10,
      },
    ]);
  });

  it('keeps the previous version of a table whose rebuild fails', async () => {
    await freshDb();
    await runGraph(graph, { executor, selection: { tags: ['notes'] } });
    db.exec('ALTER TABLE src_orders DROP COLUMN note');
    const result = await runGraph(graph, { executor, selection: { tags: ['notes'] } });
    const failed = byName(result.actions, 'main.order_notes');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/no such column: note/);
    expect(failed.failedSql).toContain('CREATE TABLE "order_notes__bambuzled_new"');
    expect(count("SELECT count(*) FROM order_notes WHERE note = 'first'")).toBe(1);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'order_notes__bambuzled_new'")).toBe(0);
  });

  it('rebuilds a table that a view reads without breaking the view', async () => {
    await freshDb();
    await runGraph(graph, { executor });
    db.exec("INSERT INTO src_orders VALUES (5, 'ada', 'open', 1, NULL)");
    const result = await runGraph(graph, { executor, selection: { actions: ['main.orders'] } });
    expect(result.status).toBe('SUCCESSFUL');
    expect(count("SELECT total FROM reporting__customer_totals WHERE customer = 'ada'")).toBe(201);
  });

  it('fails an action whose declared source is missing, naming the source, its file and the hint', async () => {
    await freshDb();
    db.exec('DROP TABLE src_customers');
    const result = await runGraph(graph, {
      executor,
      selection: { tags: ['customers'] },
      missingSourceHint: () => 'Start the thing that creates it.',
    });
    const failed = byName(result.actions, 'main.customers');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('main.src_customers');
    expect(failed.error).toContain('definitions/customers_source.sqlx');
    expect(failed.error).toContain('Start the thing that creates it.');
    expect(result.status).toBe('FAILED');
  });

  it('changes nothing and records nothing on a dry run, yet reports what each action would do', async () => {
    await freshDb();
    const schemaBefore = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    const result = await runGraph(graph, { executor, dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.runId).toBe(0);
    expect(byName(result.actions, 'main.orders')).toMatchObject({ status: 'SUCCESSFUL', rowsAffected: 4 });
    expect(byName(result.actions, 'main.big_orders').status).toBe('SUCCESSFUL');
    expect(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()).toEqual(schemaBefore);
    expect(await (await history()).listRuns()).toEqual([]);
  });

  it('runs only the selection and treats dependencies outside it as satisfied', async () => {
    await freshDb();
    await runGraph(graph, { executor, selection: { tags: ['bronze'] } });
    const result = await runGraph(graph, { executor, selection: { tags: ['gold'] } });
    expect(result.actions.map((a) => a.name)).toEqual(['main.big_orders']);
    expect(result.status).toBe('SUCCESSFUL');
    const withDeps = await runGraph(graph, {
      executor,
      selection: { actions: ['big_orders'], includeDeps: true },
    });
    expect(withDeps.actions.map((a) => a.name)).toContain('main.orders');
  });

  it('returns a failed run with a clear message when the selection matches nothing', async () => {
    await freshDb();
    const result = await runGraph(graph, { executor, selection: { tags: ['nope'] } });
    expect(result).toMatchObject({ status: 'FAILED', actions: [], runId: 0 });
    expect(result.error).toContain('the tag(s) nope');
    expect(await (await history()).listRuns()).toEqual([]);
  });

  it('calls recordWith inside the transaction that records the end of the run', async () => {
    await freshDb();
    db.exec('CREATE TABLE cursor (run_id INTEGER)');
    const other = await openSqliteExecutor(join(workDir, 'shop.db'));
    const result = await runGraph(graph, {
      executor,
      selection: { tags: ['bronze'] },
      recordWith: async (tx, run) => {
        await tx.execute('INSERT INTO cursor VALUES (?)', [run.runId]);
        // Not committed yet: another connection sees neither the cursor nor the run's end.
        expect(await other.query('SELECT count(*) AS n FROM cursor')).toEqual([{ n: 0 }]);
        expect(await other.query('SELECT status FROM _bambuzled_runs WHERE run_id = ?', [run.runId])).toEqual(
          [{ status: 'RUNNING' }],
        );
      },
    });
    await other.close();
    expect(count('SELECT run_id FROM cursor')).toBe(result.runId);
    await expect(
      runGraph(graph, {
        executor,
        selection: { tags: ['bronze'] },
        recordWith: async () => {
          throw new Error('cursor write failed');
        },
      }),
    ).rejects.toThrow('cursor write failed');
    // The second run's actions are in the log, but its end is not: it is still RUNNING until an open
    // of the history finds its owner gone.
    const runs = await (await history()).listRuns();
    expect(runs.map((r) => r.status)).toEqual(['INTERRUPTED', 'SUCCESSFUL']);
    expect(count('SELECT count(*) FROM cursor')).toBe(1);
  });

  it('times actions with the injected clock', async () => {
    await freshDb();
    let ms = Date.parse('2026-01-01T00:00:00.000Z');
    const result = await runGraph(graph, {
      executor,
      selection: { tags: ['gold'] },
      now: () => {
        ms += 250;
        return new Date(ms);
      },
    });
    expect(result.startedAt).toBe('2026-01-01T00:00:00.250Z');
    expect(result.actions[0]?.durationMs).toBe(250);
  });
});

describe('run history and catalog', () => {
  it('reads an empty history before the first run', async () => {
    await freshDb();
    expect(await (await history()).listRuns()).toEqual([]);
    expect(await (await history()).getRun(1)).toBeUndefined();
    expect((await (await history()).latestActionResults()).size).toBe(0);
    expect(await (await history()).prune({ keepRuns: 1 })).toBe(0);
  });

  it('prunes all but the newest runs', async () => {
    await freshDb();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await runGraph(graph, { executor, selection: { tags: ['gold'] } })).runId);
    expect(await (await history()).prune({ keepRuns: 2 })).toBe(1);
    expect((await (await history()).listRuns()).map((r) => r.runId)).toEqual([ids[2], ids[1]]);
    expect(count('SELECT count(*) FROM _bambuzled_action_runs')).toBe(2);
  });

  it('lists every dataset, declaration and operation with output, with columns and row counts', async () => {
    await freshDb();
    await runGraph(graph, { executor, selection: { tags: ['bronze', 'silver'] } });
    const catalog = await readCatalog(executor, graph);
    const entry = (name: string) => catalog.find((e) => e.name === name);
    expect(entry('main.orders')).toMatchObject({ exists: true, objectType: 'table', rowCount: 4 });
    expect(entry('main.orders')?.columns.map((c) => c.name)).toEqual(['id', 'customer', 'status', 'amount']);
    expect(entry('main.src_orders')?.columns.find((c) => c.name === 'id')?.type).toBe('INTEGER');
    expect(entry('reporting.customer_totals')).toMatchObject({
      objectType: 'view',
      sqliteName: 'reporting__customer_totals',
    });
    expect(entry('main.big_orders')).toMatchObject({ exists: false, objectType: null, rowCount: null });
    expect(entry('main.order_counts')).toBeDefined();
    expect(entry('main.touch')).toBeUndefined();
    expect(catalog.some((e) => e.name.startsWith('checks.'))).toBe(false);
  });
});
