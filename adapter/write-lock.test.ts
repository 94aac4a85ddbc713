/**
 * How long a run holds SQLite's write lock, seen from another writer (the listener's place): a real
 * file, the runner's connection in its own process, and a second connection in this one that tries
 * to write with no busy timeout at the moment the runner sends a statement. It fails at once while
 * the runner holds the lock, and succeeds when it does not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import {
  type AsyncExecutor,
  type BatchStatement,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
  runGraph,
  type Statements,
} from './index.js';

const PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: test\ndefaultDataset: main\ndefaultLocation: US\n',
  'definitions/events_raw.sqlx': 'config { type: "declaration", name: "events_raw" }\n',
  'definitions/events.sqlx': `config {
  type: "incremental",
  uniqueKey: ["id"],
  assertions: { rowConditions: ["amount >= 0"] }
}
SELECT id, amount FROM \${ref("events_raw")}
\${when(incremental(), \`WHERE id > (SELECT COALESCE(MAX(id), 0) FROM \${self()})\`)}
`,
  'definitions/no_big_events.sqlx': `config { type: "assertion" }
SELECT * FROM \${ref("events")} WHERE amount > 1000
`,
};

/** What the other connection's write met when the runner sent a statement: the lock, or none. */
type Probe = 'written' | 'busy';

let projectDir: string;
let graph: CompiledGraph;

beforeAll(async () => {
  projectDir = writeProject(PROJECT);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  graph = compiled.graph;
});

afterAll(() => removeDir(projectDir));

/**
 * The runner's executor, with a hook: before a batch that `matches` goes to the connection, the other
 * connection tries its write, and the outcome is kept (in a transaction too: its statements pass here).
 */
function probing(
  inner: AsyncExecutor,
  other: Database.Database,
  matches: (statements: readonly BatchStatement[]) => string | undefined,
): { executor: AsyncExecutor; probes: Map<string, Probe> } {
  const probes = new Map<string, Probe>();
  const probe = (statements: readonly BatchStatement[]) => {
    const what = matches(statements);
    if (what === undefined) return;
    try {
      other.prepare('INSERT INTO listener_rows DEFAULT VALUES').run();
      probes.set(what, 'written');
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      probes.set(what, 'busy');
    }
  };
  const wrap = (s: Statements): Statements => ({
    execute: (sql, params) => s.execute(sql, params),
    query: (sql, params) => s.query(sql, params),
    queryColumns: (sql) => s.queryColumns(sql),
    describe: (name) => s.describe(name),
    batch: (statements, options) => {
      probe(statements);
      return s.batch(statements, options);
    },
    transaction: (work) => s.transaction((tx) => work(wrap(tx))),
  });
  const executor: AsyncExecutor = {
    ...wrap(inner),
    engine: inner.engine,
    location: inner.location,
    rolledBack: (work) => inner.rolledBack((tx) => work(wrap(tx))),
    cancel: () => inner.cancel(),
    close: () => inner.close(),
  };
  return { executor, probes };
}

describe('the write lock during a run', () => {
  it('is held while an incremental merges its rows, and not while an assertion counts failing rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-write-lock-'));
    const path = join(dir, 'lock.db');
    const other = new Database(path, { timeout: 0 });
    let inner: AsyncExecutor | undefined;
    try {
      other.pragma('journal_mode = WAL');
      other.exec(`
        CREATE TABLE events_raw (id INTEGER PRIMARY KEY, amount REAL);
        CREATE TABLE listener_rows (id INTEGER PRIMARY KEY);
        INSERT INTO events_raw (amount) VALUES (1), (2), (3);`);
      inner = await openSqliteExecutor(path);
      const first = await runGraph(graph, { executor: inner });
      expect(first.status).toBe('SUCCESSFUL');
      other.exec('INSERT INTO events_raw (amount) VALUES (4), (5)');

      const { executor, probes } = probing(inner, other, (statements) => {
        const sql = statements.map((s) => s.sql).join('\n');
        if (sql.includes('INSERT INTO "events"')) return 'merge';
        if (sql.startsWith('SELECT count(*) AS row_count FROM "no_big_events"')) return 'check';
        if (sql.startsWith('SELECT count(*)') && sql.includes("'amount >= 0' AS failing_row_condition"))
          return 'built-in check';
        return undefined;
      });
      const second = await runGraph(graph, { executor });

      expect(second.status).toBe('SUCCESSFUL');
      expect(second.actions.find((a) => a.name === 'main.events')).toMatchObject({ mode: 'merged' });
      expect(Object.fromEntries(probes)).toEqual({
        merge: 'busy',
        check: 'written',
        'built-in check': 'written',
      });
      // The other connection's rows are there: it wrote beside the run, not into its transaction.
      expect(other.prepare('SELECT count(*) AS n FROM listener_rows').get()).toEqual({ n: 2 });
    } finally {
      await inner?.close();
      other.close();
      removeDir(dir);
    }
  });
});
