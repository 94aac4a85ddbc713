// The stock `dataform run` / `dataform test` habits on SQLite, through the built CLI (`npm run build`
// first; `npm test` does it): unit tests, --run-tests, the compile overrides, retries.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, writeProject } from '../adapter/__fixtures__/sample-project.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bambuzled.js');

const PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: p\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
  'definitions/src.sqlx': 'config { type: "declaration", name: "src" }\n',
  'definitions/doubled.sqlx': `config { type: "table", assertions: { rowConditions: ["w >= 0"] } }
SELECT id, v * 2 AS w FROM \${ref("src")}
`,
  'definitions/doubled_test.sqlx': `config { type: "test", dataset: "doubled" }
input "src" { SELECT 1 AS id, 2 AS v UNION ALL SELECT 2, 5 }
SELECT 1 AS id, 4 AS w UNION ALL SELECT 2, 10
`,
};
const FAILING_TEST = `config { type: "test", dataset: "doubled" }
input "src" { SELECT 1 AS id, 2 AS v UNION ALL SELECT 2, 5 }
SELECT 1 AS id, 4 AS w UNION ALL SELECT 2, 11
`;

let work: string;
const projects: string[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bambuzled-parity-'));
});
afterAll(() => {
  removeDir(work);
  for (const dir of projects) removeDir(dir);
});

function projectWith(extra: Record<string, string> = {}): string {
  const dir = writeProject({ ...PROJECT, ...extra });
  projects.push(dir);
  return dir;
}

function database(name: string): string {
  const path = join(work, name);
  const db = new Database(path);
  db.exec('CREATE TABLE src (id INTEGER, v INTEGER); INSERT INTO src VALUES (1, 1), (2, -3)');
  db.close();
  return path;
}

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
        )
        .all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: work, env: { ...process.env, BAMBUZLED_DB: '' } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('bambuzled init', () => {
  it('creates a project that the stock compiler, bambuzled test and bambuzled run accept at once', async () => {
    const dir = join(work, 'new-project');
    const created = await cli(['init', dir]);
    expect(created.code).toBe(0);
    expect(readFileSync(join(dir, 'workflow_settings.yaml'), 'utf8')).not.toMatch(/^dataformCoreVersion/m);
    const pinned = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pinned.dependencies['@dataform/core']).toMatch(/^\d+\.\d+\.\d+$/);
    // What `npm install` would put there, from this checkout's own copy (no network in tests).
    mkdirSync(join(dir, 'node_modules', '@dataform'), { recursive: true });
    cpSync(join(root, 'node_modules', '@dataform', 'core'), join(dir, 'node_modules', '@dataform', 'core'), {
      recursive: true,
    });
    const stock = await new Promise<number>((done) =>
      execFile(
        process.execPath,
        [join(root, 'node_modules', '@dataform', 'cli', 'bundle.js'), 'compile', dir],
        { cwd: dir },
        (error) => done(error ? Number(error.code ?? 1) : 0),
      ),
    );
    expect(stock).toBe(0);
    expect((await cli(['test', dir])).code).toBe(0);
    const run = await cli(['run', dir, '--db', join(work, 'init.db')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Assertion passed:  assertions.no_negative_totals');
  });

  it('refuses a folder that is not empty', async () => {
    const result = await cli(['init', projectWith()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not empty');
  });
});

describe('operations SQLite refuses inside a transaction', () => {
  it('runs VACUUM outside one and says so', async () => {
    const db = database('vacuum.db');
    const dir = projectWith({ 'definitions/compact.sqlx': 'config { type: "operations" }\nVACUUM\n' });
    const result = await cli(['run', dir, '--db', db, '--actions', 'compact']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Operation completed successfully:  main.compact');
    expect(result.stderr).toContain(
      'warning: ran outside a transaction: SQLite cannot VACUUM inside a transaction',
    );
  });
});

describe('bambuzled test', () => {
  it('passes a unit test whose rows match, without touching any database', async () => {
    const result = await cli(['test', projectWith()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Test passed:  main.doubled_test');
    expect(result.stdout).toContain('Unit tests: 1 passed, 0 failed.');
  });

  it('fails a unit test, naming it and each value that differs, expected against actual', async () => {
    const result = await cli(['test', projectWith({ 'definitions/doubled_test.sqlx': FAILING_TEST })]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Test failed:  main.doubled_test (definitions/doubled_test.sqlx)');
    expect(result.stdout).toContain('row 2, column w: expected 11, got 10');
  });

  it('prints the results as JSON with --json', async () => {
    const result = await cli([
      'test',
      projectWith({ 'definitions/doubled_test.sqlx': FAILING_TEST }),
      '--json',
    ]);
    const [test] = JSON.parse(result.stdout) as { name: string; status: string; differences: unknown[] }[];
    expect(test).toMatchObject({ name: 'main.doubled_test', status: 'FAILED' });
    expect(test?.differences).toEqual([{ row: 2, column: 'w', expected: 11, actual: 10 }]);
  });
});

describe('bambuzled run, with the stock flags', () => {
  it('builds nothing with --run-tests when a unit test fails', async () => {
    const db = database('run-tests.db');
    const result = await cli([
      'run',
      projectWith({ 'definitions/doubled_test.sqlx': FAILING_TEST }),
      '--db',
      db,
      '--run-tests',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'a unit test failed (--run-tests requires them all to pass). Nothing was built.',
    );
    expect(tables(db)).toEqual(['src']);
  });

  it('gives a separate copy of every table with --schema-suffix and --table-prefix, leaving production alone', async () => {
    const db = database('suffix.db');
    const dir = projectWith();
    expect((await cli(['run', dir, '--db', db, '--disable-assertions'])).code).toBe(0);
    const dev = await cli([
      'run',
      dir,
      '--db',
      db,
      '--schema-suffix',
      'dev',
      '--table-prefix',
      'me',
      '--disable-assertions',
    ]);
    expect(dev.code).toBe(0);
    expect(tables(db)).toEqual(['doubled', 'main_dev__me_doubled', 'src']);
  });

  it('runs no assertion with --disable-assertions, and fails on them without it', async () => {
    const db = database('assertions.db');
    const dir = projectWith();
    const without = await cli(['run', dir, '--db', db, '--disable-assertions']);
    expect(without.code).toBe(0);
    expect(without.stdout).toContain('Assertion disabled:  checks.main_doubled_assertions_rowConditions');
    expect(without.stdout + without.stderr).not.toMatch(/Assertion (passed|failed)/);
    const withThem = await cli(['run', dir, '--db', db]);
    expect(withThem.code).toBe(1);
    expect(withThem.stderr).toContain('Assertion failed:');
  });

  it('accepts --default-location and says SQLite has nothing to apply it to', async () => {
    const result = await cli([
      'run',
      projectWith(),
      '--db',
      database('location.db'),
      '--default-location',
      'EU',
      '--disable-assertions',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('--default-location: SQLite has no locations; ignored.');
  });

  it('retries a failed action up to --action-retry-limit and keeps every attempt in the history', async () => {
    const db = database('retry.db');
    const broken = projectWith({
      'definitions/doubled.sqlx': `config { type: "table" }\nSELECT id, no_such_column FROM \${ref("src")}\n`,
    });
    const result = await cli(['run', broken, '--db', db, '--action-retry-limit', '2', '--json']);
    expect(result.code).toBe(1);
    const runs = JSON.parse((await cli(['runs', '--db', db, '--json'])).stdout) as {
      actions: { name: string; status: string }[];
    }[];
    expect(runs[0]?.actions.filter((a) => a.name === 'main.doubled').map((a) => a.status)).toEqual([
      'FAILED',
      'FAILED',
      'FAILED',
    ]);
  });

  it('refuses a --timeout that is not a duration', async () => {
    const result = await cli(['run', projectWith(), '--db', database('timeout.db'), '--timeout', 'later']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout expects a duration such as 30s or 2m; got "later".');
  });
});
