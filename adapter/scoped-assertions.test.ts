import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import { SCOPED_PROJECT as PROJECT } from './__fixtures__/scoped-project.js';
import {
  type ActionResult,
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openRunHistory,
  openSqliteExecutor,
  type RunOptions,
  type RunResult,
  readCatalog,
  runGraph,
} from './index.js';

const ROWS_CHECK = 'checks.main_events_assertions_rowConditions';
const KEY_CHECK = 'checks.main_events_assertions_uniqueKey_0';
const LOG_ROWS_CHECK = 'checks.main_event_log_assertions_rowConditions';
const LOG_KEY_CHECK = 'checks.main_event_log_assertions_uniqueKey_0';

let projectDir: string;
let graph: CompiledGraph;
let workDir: string | undefined;
let db: SqliteDatabase;
let executor: AsyncExecutor;
let nextSeq = 1;

beforeAll(async () => {
  projectDir = writeProject(PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(() => removeDir(projectDir));

afterEach(async () => {
  await executor?.close();
  db?.close();
  if (workDir) removeDir(workDir);
  workDir = undefined;
});

/** A database whose source holds `n` valid events (ids 1..n): `db` to seed and look, `executor` to run. */
async function freshDb(n: number): Promise<void> {
  // A test that starts over (its previous database closed) leaves no folder behind.
  if (workDir) removeDir(workDir);
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-scoped-'));
  db = new Database(join(workDir, 'shop.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE src_events (id INTEGER, amount REAL, seq INTEGER)');
  nextSeq = 1;
  addEvents(Array.from({ length: n }, (_, i) => [i + 1, 10]));
  executor = await openSqliteExecutor(join(workDir, 'shop.db'));
}

const run = (options: Partial<RunOptions> = {}) => runGraph(graph, { executor, ...options });

/** Appends events `[id, amount]` to the source, each with the next change sequence. */
function addEvents(events: [number, number][]): void {
  const insert = db.prepare('INSERT INTO src_events VALUES (?, ?, ?)');
  for (const [id, amount] of events) insert.run(id, amount, nextSeq++);
}

function byName(result: RunResult, name: string): ActionResult {
  const found = result.actions.find((a) => a.name === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

const count = (sql: string) => db.prepare(sql).pluck().get() as number;

describe('scoped built-in assertions', () => {
  it('checks the whole table on the first run, then only the rows a later merge wrote', async () => {
    await freshDb(5);
    const first = await run();
    expect(first.status).toBe('SUCCESSFUL');
    expect(byName(first, ROWS_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'table' });
    expect(byName(first, ROWS_CHECK).checkedRows).toBeUndefined();

    addEvents([
      [6, 1],
      [7, 2],
      [2, 30],
    ]);
    const second = await run();
    expect(byName(second, 'main.events').rowsAffected).toBe(3);
    // The append-only log now holds id 2 twice; the upserted table updated it in place.
    expect(byName(second, LOG_KEY_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    for (const name of [ROWS_CHECK, KEY_CHECK]) {
      expect(byName(second, name)).toMatchObject({
        status: 'SUCCESSFUL',
        scope: 'written-rows',
        checkedRows: 3,
      });
    }
    const countSql = byName(second, ROWS_CHECK).sql.find((s) => s.startsWith('SELECT count(*)'));
    expect(countSql).toContain('temp."events__bambuzled_stage"');
    // Staging tables live on the run's own connection: ask that one.
    expect(
      await executor.query(
        "SELECT count(*) AS n FROM sqlite_temp_master WHERE name LIKE '%__bambuzled_stage'",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await (await openRunHistory(executor)).getRun(second.runId)).toEqual(second);
  });

  it('catches a bad value that an upsert wrote into an existing row', async () => {
    await freshDb(5);
    await run({ selection: { actions: ['events'] } });
    addEvents([[2, -30]]);
    const result = await run({ selection: { actions: ['events'] } });
    expect(byName(result, ROWS_CHECK)).toMatchObject({
      status: 'FAILED',
      scope: 'written-rows',
      checkedRows: 1,
    });
    expect(byName(result, ROWS_CHECK).failingRows?.sample).toEqual([
      { failing_row_condition: 'amount >= 0', id: 2, amount: -30, seq: 6 },
    ]);
  });

  it('checks the whole table again when the condition was edited since it last passed', async () => {
    await freshDb(5);
    await run();
    addEvents([[6, 20]]);
    const edited: CompiledGraph = {
      ...graph,
      assertions: (graph.assertions ?? []).map((a) =>
        a.target.name === 'main_events_assertions_rowConditions'
          ? { ...a, query: (a.query ?? '').replaceAll('amount >= 0', 'amount >= 15') }
          : a,
      ),
    };
    const result = await runGraph(edited, { executor, selection: { actions: ['events'] } });
    expect(byName(result, ROWS_CHECK)).toMatchObject({ status: 'FAILED', scope: 'table' });
    expect(byName(result, ROWS_CHECK).failingRows?.count).toBe(5);
    expect(byName(result, KEY_CHECK).scope).toBe('written-rows');
  });

  it('does not see a row changed behind its back, while the assertion view still holds the full query', async () => {
    await freshDb(5);
    await run();
    db.exec('UPDATE events SET amount = -1 WHERE id = 1');
    addEvents([[6, 1]]);
    const second = await run();
    expect(byName(second, ROWS_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows' });
    expect(count('SELECT count(*) FROM checks__main_events_assertions_rowConditions')).toBe(1);
  });

  it('catches a bad row written incrementally, and checks the whole table until it is fixed', async () => {
    await freshDb(5);
    await run();
    addEvents([
      [6, -5],
      [7, 1],
    ]);
    const caught = await run();
    expect(byName(caught, ROWS_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    expect(byName(caught, ROWS_CHECK).failingRows).toEqual({
      count: 1,
      sample: [{ failing_row_condition: 'amount >= 0', id: 6, amount: -5, seq: 6 }],
    });

    const again = await run();
    expect(byName(again, 'main.events').rowsAffected).toBe(0);
    expect(byName(again, ROWS_CHECK)).toMatchObject({ status: 'FAILED', scope: 'table' });
    expect(byName(again, ROWS_CHECK).failingRows?.count).toBe(1);

    db.exec('UPDATE events SET amount = 0 WHERE amount < 0');
    const fixed = await run();
    expect(byName(fixed, ROWS_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'table' });
    addEvents([[8, 1]]);
    const afterFix = await run();
    expect(byName(afterFix, ROWS_CHECK)).toMatchObject({
      status: 'SUCCESSFUL',
      scope: 'written-rows',
      checkedRows: 1,
    });
  });

  it('checks the whole table on a full refresh', async () => {
    await freshDb(5);
    await run();
    addEvents([[6, 1]]);
    expect(byName(await run(), ROWS_CHECK).scope).toBe('written-rows');
    const refreshed = await run({ fullRefresh: true });
    expect(byName(refreshed, ROWS_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'table' });
    expect(byName(refreshed, KEY_CHECK).scope).toBe('table');
  });

  it('scopes an append-only table by rowid and still finds a new duplicate of an old key', async () => {
    await freshDb(5);
    await run();
    addEvents([[6, 1]]);
    const second = await run();
    const rowsCheck = byName(second, LOG_ROWS_CHECK);
    expect(rowsCheck).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows', checkedRows: 1 });
    expect(rowsCheck.sql.find((s) => s.startsWith('SELECT count(*)'))).toMatch(/rowid > 5\)/);

    addEvents([[3, 1]]);
    const third = await run();
    expect(byName(third, LOG_KEY_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    expect(byName(third, LOG_KEY_CHECK).failingRows?.sample).toEqual([{ id: 3, index_row_count: 2 }]);
    // The upserted table merged id 3 in place: no duplicate there.
    expect(byName(third, KEY_CHECK)).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows' });
  });

  it('counts a new NULL key together with the old ones, as the whole-table check would', async () => {
    await freshDb(2);
    db.prepare('INSERT INTO src_events VALUES (NULL, 1, ?)').run(nextSeq++);
    const first = await run({ selection: { actions: ['event_log'] } });
    expect(byName(first, LOG_KEY_CHECK).status).toBe('SUCCESSFUL');
    db.prepare('INSERT INTO src_events VALUES (NULL, 1, ?)').run(nextSeq++);
    const second = await run({ selection: { actions: ['event_log'] } });
    expect(byName(second, LOG_KEY_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    expect(byName(second, LOG_KEY_CHECK).failingRows?.sample).toEqual([{ id: null, index_row_count: 2 }]);
  });

  it('scopes a dry run too, and leaves no staging table behind', async () => {
    await freshDb(5);
    await run();
    addEvents([[6, -1]]);
    const dry = await run({ dryRun: true });
    expect(byName(dry, ROWS_CHECK)).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    expect(byName(dry, ROWS_CHECK).failingRows?.count).toBe(1);
    // Staging tables live on the run's own connection: ask that one.
    expect(
      await executor.query(
        "SELECT count(*) AS n FROM sqlite_temp_master WHERE name LIKE '%__bambuzled_stage'",
      ),
    ).toEqual([{ n: 0 }]);
  });
});

describe('scoped assertions after a run that did not end', () => {
  it('fails the assertion on the next run after a run stopped at any point after the merge', async () => {
    await freshDb(3);
    const names = (await run()).actions.map((a) => a.name);
    await executor.close();
    db.close();
    // Stop the run after each action in turn: a cancel there leaves what a kill leaves (the actions
    // before it committed, each with its record; nothing after it ran; the run's end unrecorded).
    for (const [index, stopAfter] of names.entries()) {
      await freshDb(3);
      await run();
      addEvents([[4, -1]]);
      const controller = new AbortController();
      const stopped = await run({
        signal: controller.signal,
        onActionEnd: (action) => {
          if (action.name === stopAfter) controller.abort('stopped for the test');
        },
      });
      expect(stopped.status, `stopped after action ${index}, ${stopAfter}`).toBe('CANCELLED');
      const next = await run();
      expect(byName(next, ROWS_CHECK).status, `stopped after ${stopAfter}`).toBe('FAILED');
      expect(byName(next, ROWS_CHECK).failingRows?.sample[0]).toMatchObject({ id: 4, amount: -1 });
      await executor.close();
      db.close();
    }
  });

  it('keeps failing the assertion when the run that found the bad row never recorded its end', async () => {
    await freshDb(3);
    await run();
    addEvents([[4, -1]]);
    await expect(
      run({
        recordWith: async () => {
          throw new Error('the process died here');
        },
      }),
    ).rejects.toThrow('the process died here');
    const retry = await run();
    expect(byName(retry, ROWS_CHECK)).toMatchObject({ status: 'FAILED' });
    expect(retry.status).toBe('FAILED');
  });

  it('cancels the statement in flight and rolls its action back, keeping what finished before', async () => {
    await freshDb(3);
    await run();
    addEvents([[4, 1]]);
    const controller = new AbortController();
    const cancelled = await run({
      signal: controller.signal,
      onActionEnd: (action) => {
        if (action.name === 'main.events') controller.abort('Ctrl-C');
      },
    });
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.error).toBe('Run cancelled: Ctrl-C.');
    expect(byName(cancelled, 'main.events').status).toBe('SUCCESSFUL');
    expect(cancelled.actions.filter((a) => a.status === 'SKIPPED').length).toBeGreaterThan(0);
    expect(count('SELECT count(*) FROM events')).toBe(4);
    const history = await openRunHistory(executor);
    expect((await history.getRun(cancelled.runId))?.status).toBe('CANCELLED');
  });
});

describe('run history of scopes', () => {
  it('adds the scope columns to a history written before they existed', async () => {
    await freshDb(2);
    await run();
    db.exec('ALTER TABLE _bambuzled_action_runs DROP COLUMN scope');
    db.exec('ALTER TABLE _bambuzled_action_runs DROP COLUMN checked_rows');
    addEvents([[3, 1]]);
    const second = await run();
    expect(byName(second, ROWS_CHECK).scope).toBe('written-rows');
    const history = await openRunHistory(executor);
    expect(await history.getRun(second.runId)).toEqual(second);
    expect(
      (await history.getRun(second.runId - 1))?.actions.find((a) => a.name === ROWS_CHECK)?.scope,
    ).toBeUndefined();
  });
});

describe('catalog types', () => {
  it('keeps declared types and infers the type of untyped expression columns from their values', async () => {
    await freshDb(2);
    await run();
    const catalog = await readCatalog(executor, graph);
    const entry = (name: string) => catalog.find((e) => e.name === name);
    const columns = (name: string) =>
      Object.fromEntries((entry(name)?.columns ?? []).map((c) => [c.name, c]));
    expect(columns('main.event_log')).toMatchObject({
      id: { type: 'INT' },
      doubled: { type: 'REAL', inferred: true },
    });
    expect(columns('main.event_log').id?.inferred).toBeUndefined();
    expect(columns('main.event_totals')).toEqual({
      n: { name: 'n', type: 'INTEGER', inferred: true },
      total: { name: 'total', type: 'REAL', inferred: true },
      label: { name: 'label', type: 'TEXT', inferred: true },
      always_null: { name: 'always_null', type: '' },
    });
  });
});
