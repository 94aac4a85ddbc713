/**
 * A scoped built-in assertion costs what the run wrote, not what the table holds: SQLite's plan for
 * its check of an upserted table with a two-column key reads the table only by rowid and through the
 * key's index, and the check still finds a new duplicate and a new NULL-key duplicate.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../lib/sqlite.js';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  runGraph,
} from './index.js';

const KEY_CHECK = 'checks.main_daily_assertions_uniqueKey_0';

/** `daily` upserts on (region, day), as the gold tables do on (printer_serial, print_date). */
const PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: shop\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
  'definitions/src_daily.sqlx': 'config { type: "declaration", name: "src_daily" }\n',
  'definitions/daily.sqlx': `config {
  type: "incremental",
  uniqueKey: ["region", "day"],
  assertions: { uniqueKey: ["region", "day"] }
}
SELECT region, day, total, seq FROM \${ref("src_daily")}
\${when(incremental(), \`WHERE seq > (SELECT coalesce(max(seq), 0) FROM \${self()})\`)}
`,
};

let projectDir: string;
let workDir: string;
let graph: CompiledGraph;
let db: SqliteDatabase;
let executor: AsyncExecutor;
let seq = 0;

beforeAll(async () => {
  projectDir = writeProject(PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-scoped-plans-'));
  db = new Database(join(workDir, 'shop.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE src_daily (region TEXT, day TEXT, total INTEGER, seq INTEGER)');
  for (let i = 0; i < 200; i++)
    add(`r${i % 10}`, `2026-01-${String(Math.floor(i / 10) + 1).padStart(2, '0')}`);
  executor = await openSqliteExecutor(join(workDir, 'shop.db'));
});

afterAll(async () => {
  await executor?.close();
  db?.close();
  if (workDir) removeDir(workDir);
  removeDir(projectDir);
});

function add(region: string | null, day: string): void {
  seq += 1;
  db.prepare('INSERT INTO src_daily VALUES (?, ?, ?, ?)').run(region, day, seq, seq);
}

const checkOf = async () => {
  const result = await runGraph(graph, { executor });
  const check = result.actions.find((a) => a.name === KEY_CHECK);
  if (!check) throw new Error(`no result for ${KEY_CHECK}`);
  return check;
};

describe('a scoped uniqueKey check of a two-column key', () => {
  it('reads the table by rowid and through the key index, never by a scan', async () => {
    await checkOf();
    add('r1', '2026-01-02'); // an update of an existing key
    add('r99', '2026-02-01'); // a new key
    const check = await checkOf();
    expect(check).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows', checkedRows: 2 });
    const countSql = check.sql.find((s) => s.startsWith('SELECT count(*)')) ?? '';
    // The run dropped its staging table; an empty one of the same name lets SQLite plan the query.
    await executor.execute(
      'CREATE TEMP TABLE daily__bambuzled_stage AS SELECT region, day FROM daily WHERE 0',
    );
    const plan = (await executor.query(`EXPLAIN QUERY PLAN ${countSql}`)).map((r) => String(r.detail));
    await executor.execute('DROP TABLE temp.daily__bambuzled_stage');
    expect(plan.some((step) => step.includes('daily__unique_key (region=? AND day=?)'))).toBe(true);
    expect(plan.filter((step) => /^SCAN (daily|scoped_rows)\b/.test(step))).toEqual([]);
  });

  it('still finds a duplicate key whose columns are NULL, as the whole-table check groups them', async () => {
    add(null, '2026-03-01');
    expect(await checkOf()).toMatchObject({ status: 'SUCCESSFUL', scope: 'written-rows' });
    // The UNIQUE index lets two NULL keys in; GROUP BY counts them as one key.
    add(null, '2026-03-01');
    const check = await checkOf();
    expect(check).toMatchObject({ status: 'FAILED', scope: 'written-rows' });
    expect(check.failingRows?.sample).toEqual([{ region: null, day: '2026-03-01', index_row_count: 2 }]);
  });
});

describe('a run over definitions that did not change', () => {
  it('leaves the assertion views as they are, so the schema does not change under the write lock', async () => {
    const version = () => db.pragma('schema_version', { simple: true }) as number;
    await checkOf();
    const before = version();
    add('r2', '2026-01-03');
    const check = await checkOf();
    expect(check.sql.some((s) => /^(CREATE|DROP) VIEW/.test(s))).toBe(false);
    expect(version()).toBe(before);
  });
});
