import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  type RunResult,
  runGraph,
} from './index.js';

/** An incremental table whose query gains column `c` and loses column `b` in its second version. */
function project(second: boolean): Record<string, string> {
  const columns = second ? 'id, a, c' : 'id, a, b';
  return {
    'workflow_settings.yaml': 'defaultProject: p\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
    'definitions/src.sqlx': 'config { type: "declaration", name: "src" }\n',
    'definitions/t.sqlx': `config { type: "incremental", uniqueKey: ["id"], onSchemaChange: "EXTEND" }
SELECT ${columns} FROM \${ref("src")}
\${when(incremental(), \`WHERE id > (SELECT coalesce(max(id), 0) FROM \${self()})\`)}
`,
  };
}

/** The two versions, compiled once; each test sets the mode on a copy (the compiler passes it as is). */
const versions: CompiledGraph[] = [];
const projects: string[] = [];
beforeAll(async () => {
  for (const second of [false, true]) {
    const dir = writeProject(project(second));
    projects.push(dir);
    const compiled = await compileProject({ projectDir: dir });
    if (!compiled.ok) throw new Error(compiled.message);
    expect(compiled.graph.tables?.[0]?.onSchemaChange).toBe('EXTEND');
    versions.push(compiled.graph);
  }
});
afterAll(() => {
  for (const dir of projects) removeDir(dir);
});

function withMode(graph: CompiledGraph, mode: string): CompiledGraph {
  return {
    ...graph,
    tables: (graph.tables ?? []).map((t) =>
      mode ? { ...t, onSchemaChange: mode as 'EXTEND' } : { ...t, onSchemaChange: undefined },
    ),
  };
}

const dirs: string[] = [];
let executor: AsyncExecutor | undefined;
afterEach(async () => {
  await executor?.close();
  executor = undefined;
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Runs the first version, adds a source row, then runs the second; returns it and the table. */
async function change(mode: string): Promise<{ result: RunResult; columns: string[]; rows: unknown[] }> {
  const work = mkdtempSync(join(tmpdir(), 'bambuzled-schema-'));
  dirs.push(work);
  const path = join(work, 'db.sqlite');
  const db = new Database(path);
  db.exec(
    "CREATE TABLE src (id INTEGER, a TEXT, b TEXT, c TEXT); INSERT INTO src VALUES (1, 'a1', 'b1', 'c1')",
  );
  executor = await openSqliteExecutor(path);
  for (const second of [false, true]) {
    if (second) db.exec("INSERT INTO src VALUES (2, 'a2', 'b2', 'c2')");
    const result = await runGraph(withMode(versions[second ? 1 : 0]!, mode), { executor });
    if (second) {
      const columns = (db.prepare('PRAGMA table_info(t)').all() as { name: string }[]).map((c) => c.name);
      const rows = db.prepare('SELECT * FROM t ORDER BY id').all();
      db.close();
      return { result, columns, rows };
    }
  }
  throw new Error('unreachable');
}

const action = (result: RunResult) => result.actions.find((a) => a.name === 'main.t')!;

describe('onSchemaChange', () => {
  it('IGNORE (the default) merges the shared columns and warns about the new one', async () => {
    const { result, columns, rows } = await change('');
    expect(action(result).status).toBe('SUCCESSFUL');
    expect(action(result).warnings?.[0]).toMatch(
      /returns column\(s\) c that t does not have; they are not written/,
    );
    expect(columns).toEqual(['id', 'a', 'b']);
    expect(rows).toEqual([
      { id: 1, a: 'a1', b: 'b1' },
      { id: 2, a: 'a2', b: null },
    ]);
  });

  it('FAIL fails the action naming the new and the missing columns, and changes nothing', async () => {
    const { result, columns, rows } = await change('FAIL');
    expect(action(result).status).toBe('FAILED');
    expect(action(result).error).toContain('returns new column(s) c and no longer returns column(s) b of t');
    expect(action(result).error).toContain('--full-refresh');
    expect(columns).toEqual(['id', 'a', 'b']);
    expect(rows).toHaveLength(1);
  });

  it('EXTEND adds the new column, filled for new rows, and keeps the old one', async () => {
    const { result, columns, rows } = await change('EXTEND');
    expect(action(result).status).toBe('SUCCESSFUL');
    expect(columns).toEqual(['id', 'a', 'b', 'c']);
    expect(rows).toEqual([
      { id: 1, a: 'a1', b: 'b1', c: null },
      { id: 2, a: 'a2', b: null, c: 'c2' },
    ]);
  });

  it('SYNCHRONIZE adds the new column and drops the one the query no longer returns', async () => {
    const { result, columns, rows } = await change('SYNCHRONIZE');
    expect(action(result).status).toBe('SUCCESSFUL');
    expect(columns).toEqual(['id', 'a', 'c']);
    expect(rows).toEqual([
      { id: 1, a: 'a1', c: null },
      { id: 2, a: 'a2', c: 'c2' },
    ]);
  });
});
