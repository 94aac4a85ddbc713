import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { removeDir, SAMPLE_PROJECT, seededDatabase, writeProject } from './__fixtures__/sample-project.js';
import {
  type ActionResult,
  type CompiledGraph,
  compileProject,
  getRun,
  latestActionResults,
  listRuns,
  pruneRunHistory,
  readCatalog,
  runGraph,
} from './index.js';

let projectDir: string;
let graph: CompiledGraph;
let workDir: string;
let db: SqliteDatabase;

beforeAll(async () => {
  projectDir = writeProject(SAMPLE_PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(() => removeDir(projectDir));

function freshDb(): SqliteDatabase {
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-run-'));
  db = seededDatabase(workDir);
  return db;
}

afterEach(() => {
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
  it('builds every action type and records the run', () => {
    freshDb();
    const result = runGraph(graph, { db, trigger: 'test' });
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
    expect(listRuns(db).map((r) => [r.runId, r.status, r.trigger, r.counts.DISABLED])).toEqual([
      [result.runId, 'SUCCESSFUL', 'test', 1],
    ]);
    expect(getRun(db, result.runId)).toEqual(result);
    expect(latestActionResults(db).get('main.orders')?.rowsAffected).toBe(4);
  });

  it('upserts on the unique key and appends only new rows where the query filters them', () => {
    freshDb();
    runGraph(graph, { db });
    db.exec(
      "UPDATE src_orders SET status = 'shipped' WHERE id = 1; INSERT INTO src_orders VALUES (5, 'bob', 'open', 5, NULL)",
    );
    const second = runGraph(graph, { db });
    expect(second.status).toBe('SUCCESSFUL');
    expect(count('SELECT count(*) FROM orders_latest')).toBe(5);
    expect(count("SELECT count(*) FROM orders_latest WHERE id = 1 AND status = 'shipped'")).toBe(1);
    expect(byName(second.actions, 'main.orders_latest').rowsAffected).toBe(5);
    expect(count('SELECT count(*) FROM order_log')).toBe(5);
    expect(byName(second.actions, 'main.order_log').rowsAffected).toBe(1);

    const third = runGraph(graph, { db });
    expect(byName(third.actions, 'main.order_log').rowsAffected).toBe(0);
    expect(count('SELECT count(*) FROM order_log')).toBe(5);
  });

  it('tells an incremental table merged into from one built from scratch, and keeps that in the history', () => {
    freshDb();
    const modes = (result: { actions: ActionResult[] }) =>
      ['main.orders', 'reporting.customer_totals', 'main.orders_latest', 'main.order_log', 'main.touch'].map(
        (name) => byName(result.actions, name).mode,
      );
    const first = runGraph(graph, { db });
    expect(modes(first)).toEqual(['created', 'created', 'created', 'created', undefined]);
    const second = runGraph(graph, { db });
    expect(modes(second)).toEqual(['created', 'created', 'merged', 'merged', undefined]);
    expect(getRun(db, second.runId)).toEqual(second);
    // A full refresh rebuilds orders_latest; order_log is protected, so it is still merged into.
    const refreshed = runGraph(graph, { db, fullRefresh: true });
    expect(modes(refreshed)).toEqual(['created', 'created', 'created', 'merged', undefined]);
    expect(byName(refreshed.actions, 'checks.no_negative_amounts').mode).toBeUndefined();
  });

  it('warns, rather than dropping silently, when the incremental query returns a column the table lacks', () => {
    freshDb();
    runGraph(graph, { db });
    // An older build of the table, from before the model returned `amount`.
    db.exec('ALTER TABLE orders_latest DROP COLUMN amount');
    const second = runGraph(graph, { db });
    const merged = byName(second.actions, 'main.orders_latest');
    expect(merged.status).toBe('SUCCESSFUL');
    expect(merged.warnings).toEqual([
      expect.stringMatching(/returns column\(s\) amount that orders_latest does not have.*--full-refresh/),
    ]);
    expect(byName(second.actions, 'main.order_log').warnings).toBeUndefined();
  });

  it('rebuilds an incremental table on a full refresh unless it is protected', () => {
    freshDb();
    runGraph(graph, { db });
    db.exec('DELETE FROM src_orders WHERE id = 3');
    runGraph(graph, { db });
    expect(count('SELECT count(*) FROM orders_latest WHERE id = 3')).toBe(1);

    const refreshed = runGraph(graph, { db, fullRefresh: true });
    expect(refreshed.status).toBe('SUCCESSFUL');
    expect(count('SELECT count(*) FROM orders_latest WHERE id = 3')).toBe(0);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'orders_latest__unique_key'")).toBe(1);
    expect(count('SELECT count(*) FROM order_log WHERE id = 3')).toBe(1);
  });

  it('fails an assertion with its failing rows and skips what depends on it', () => {
    freshDb();
    db.exec("INSERT INTO src_orders VALUES (9, 'eve', 'open', -40, NULL)");
    const result = runGraph(graph, { db });
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

  it('runs a rowConditions assertion whose condition contains quotes', () => {
    freshDb();
    db.exec("INSERT INTO src_orders VALUES (7, 'bob', 'lost', 10, NULL)");
    const result = runGraph(graph, { db, selection: { actions: ['orders'] } });
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

  it('keeps the previous version of a table whose rebuild fails', () => {
    freshDb();
    runGraph(graph, { db, selection: { tags: ['notes'] } });
    db.exec('ALTER TABLE src_orders DROP COLUMN note');
    const result = runGraph(graph, { db, selection: { tags: ['notes'] } });
    const failed = byName(result.actions, 'main.order_notes');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/no such column: note/);
    expect(failed.failedSql).toContain('CREATE TABLE "order_notes__bambuzled_new"');
    expect(count("SELECT count(*) FROM order_notes WHERE note = 'first'")).toBe(1);
    expect(count("SELECT count(*) FROM sqlite_master WHERE name = 'order_notes__bambuzled_new'")).toBe(0);
  });

  it('rebuilds a table that a view reads without breaking the view', () => {
    freshDb();
    runGraph(graph, { db });
    db.exec("INSERT INTO src_orders VALUES (5, 'ada', 'open', 1, NULL)");
    const result = runGraph(graph, { db, selection: { actions: ['main.orders'] } });
    expect(result.status).toBe('SUCCESSFUL');
    expect(count("SELECT total FROM reporting__customer_totals WHERE customer = 'ada'")).toBe(201);
  });

  it('fails an action whose declared source is missing, naming the source, its file and the hint', () => {
    freshDb();
    db.exec('DROP TABLE src_customers');
    const result = runGraph(graph, {
      db,
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

  it('changes nothing and records nothing on a dry run, yet reports what each action would do', () => {
    freshDb();
    const schemaBefore = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    const result = runGraph(graph, { db, dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.runId).toBe(0);
    expect(byName(result.actions, 'main.orders')).toMatchObject({ status: 'SUCCESSFUL', rowsAffected: 4 });
    expect(byName(result.actions, 'main.big_orders').status).toBe('SUCCESSFUL');
    expect(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()).toEqual(schemaBefore);
    expect(listRuns(db)).toEqual([]);
  });

  it('runs only the selection and treats dependencies outside it as satisfied', () => {
    freshDb();
    runGraph(graph, { db, selection: { tags: ['bronze'] } });
    const result = runGraph(graph, { db, selection: { tags: ['gold'] } });
    expect(result.actions.map((a) => a.name)).toEqual(['main.big_orders']);
    expect(result.status).toBe('SUCCESSFUL');
    const withDeps = runGraph(graph, { db, selection: { actions: ['big_orders'], includeDeps: true } });
    expect(withDeps.actions.map((a) => a.name)).toContain('main.orders');
  });

  it('returns a failed run with a clear message when the selection matches nothing', () => {
    freshDb();
    const result = runGraph(graph, { db, selection: { tags: ['nope'] } });
    expect(result).toMatchObject({ status: 'FAILED', actions: [], runId: 0 });
    expect(result.error).toContain('--tags nope');
    expect(listRuns(db)).toEqual([]);
  });

  it('calls recordWith inside the transaction that records the run', () => {
    freshDb();
    db.exec('CREATE TABLE cursor (run_id INTEGER)');
    const result = runGraph(graph, {
      db,
      selection: { tags: ['bronze'] },
      recordWith: (inner, run) => {
        expect(inner.inTransaction).toBe(true);
        inner.prepare('INSERT INTO cursor VALUES (?)').run(run.runId);
      },
    });
    expect(count('SELECT run_id FROM cursor')).toBe(result.runId);
    expect(() =>
      runGraph(graph, {
        db,
        selection: { tags: ['bronze'] },
        recordWith: () => {
          throw new Error('cursor write failed');
        },
      }),
    ).toThrow('cursor write failed');
    expect(listRuns(db)).toHaveLength(1);
  });

  it('times actions with the injected clock', () => {
    freshDb();
    let ms = Date.parse('2026-01-01T00:00:00.000Z');
    const result = runGraph(graph, {
      db,
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
  it('reads an empty history before the first run', () => {
    freshDb();
    expect(listRuns(db)).toEqual([]);
    expect(getRun(db, 1)).toBeUndefined();
    expect(latestActionResults(db).size).toBe(0);
    expect(pruneRunHistory(db, { keepRuns: 1 })).toBe(0);
  });

  it('prunes all but the newest runs', () => {
    freshDb();
    const ids = [1, 2, 3].map(() => runGraph(graph, { db, selection: { tags: ['gold'] } }).runId);
    expect(pruneRunHistory(db, { keepRuns: 2 })).toBe(1);
    expect(listRuns(db).map((r) => r.runId)).toEqual([ids[2], ids[1]]);
    expect(count('SELECT count(*) FROM _bambuzled_action_runs')).toBe(2);
  });

  it('lists every dataset, declaration and operation with output, with columns and row counts', () => {
    freshDb();
    runGraph(graph, { db, selection: { tags: ['bronze', 'silver'] } });
    const catalog = readCatalog(db, graph);
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
