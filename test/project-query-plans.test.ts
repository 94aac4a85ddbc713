/**
 * A sensor run reads what changed through indexes: SQLite's plan for every statement of an
 * incremental sensor run on the real project (models, their merges, every assertion) scans neither
 * a table of the raw layer nor a model table, whatever the history holds. A plan does not depend on
 * the rows here (no table statistics), so a small history shows what a 1M-job one would run; the
 * figures are in bench/sensor-run.bench.ts. A scan of a CTE, a subquery or a staging table is fine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncExecutor, type CompiledGraph, runGraph, sqliteDialect } from '../adapter/index.js';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { closeFixtureProject, openFixtureProject } from './helpers/fixture-project.js';
import { growHistory } from './helpers/print-history.js';

const SENSOR = { tags: ['bronze'], includeDependents: true };
/** One-row tables: a scan of them is a lookup. */
const ONE_ROW = new Set(['raw_snapshot_brz']);

let graph: CompiledGraph;
let dir: string;
let raw: SqliteDatabase;
let executor: AsyncExecutor;

beforeAll(async () => {
  ({ graph, dir, raw, executor } = await openFixtureProject('bambuzled-plans-'));
});

afterAll(() => closeFixtureProject({ executor, raw, dir }));

const run = () => runGraph(graph, { executor, dialect: sqliteDialect, selection: SENSOR, trigger: 'test' });

/** The statements of a run whose plan SQLite can show: reads and writes, not DDL. */
function plannable(sql: string): string | undefined {
  const stage = /^CREATE TEMP TABLE \S+ AS\s+/i.exec(sql);
  if (stage) return sql.slice(stage[0].length);
  return /^\s*(SELECT|INSERT|DELETE|UPDATE|WITH)\b/i.test(sql) ? sql : undefined;
}

describe('the sensor run on the real project', () => {
  it('reads every table it touches by index or rowid, never by a scan', async () => {
    const tables = new Set(
      (await executor.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r) =>
        String(r.name),
      ),
    );
    expect((await run()).status).toBe('SUCCESSFUL');
    growHistory(raw, 1);
    const result = await run();
    expect(result.status).toBe('SUCCESSFUL');
    for (const name of await executor.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)) {
      tables.add(String(name.name));
    }
    // The run has dropped its staging tables; empty ones of the same names let SQLite plan its statements.
    const stages = result.actions
      .filter((a) => a.kind === 'incremental')
      .map((a) => a.sqliteName)
      .filter((name) =>
        result.actions.some((a) => a.sql.some((s) => s.includes(`${name}__bambuzled_stage`))),
      );
    for (const name of stages) {
      await executor.execute(
        `CREATE TEMP TABLE "${name}__bambuzled_stage" AS SELECT * FROM "${name}" WHERE 0`,
      );
    }
    const scans: string[] = [];
    let planned = 0;
    for (const action of result.actions) {
      for (const statement of action.sql) {
        const query = plannable(statement);
        if (!query) continue;
        planned += 1;
        for (const row of await executor.query(`EXPLAIN QUERY PLAN ${query}`)) {
          const step = String(row.detail);
          const scanned = /^SCAN (\S+)/.exec(step)?.[1];
          if (!scanned || scanned.startsWith('temp.') || ONE_ROW.has(scanned)) continue;
          // A full pass over an index is a real table whatever its alias; a bare scan, when it names one.
          if (/ USING (COVERING )?INDEX /.test(step) || tables.has(scanned))
            scans.push(`${action.name}: ${step}`);
        }
      }
    }
    for (const name of stages) await executor.execute(`DROP TABLE temp."${name}__bambuzled_stage"`);
    expect(planned).toBeGreaterThan(50);
    expect(scans).toEqual([]);
  }, 120_000);
});
