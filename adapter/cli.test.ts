// Spawns the built CLI (`npm run build` first; `npm test` does it) against a temp project and database.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatActionResult, missingSourceHint } from '../cli/commands/run.js';
import { removeDir, SAMPLE_PROJECT, seedSources, writeProject } from './__fixtures__/sample-project.js';
import { type ActionResult, compileProject, type RunResult } from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bambuzled.js');
const coreVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules', '@dataform', 'core', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
/** What compile and run print on stderr for a project without its own @dataform/core. */
const coreNote = `Compiled with bambuzled's @dataform/core ${coreVersion} (the project has none installed).`;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: workDir, env: { ...process.env, BAMBUZLED_DB: '', NO_COLOR: '1' } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let projectDir: string;
let workDir: string;
let dbPath: string;

beforeAll(async () => {
  projectDir = writeProject(SAMPLE_PROJECT);
  // Fills the compile cache, so that each CLI run below compiles in milliseconds.
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-cli-'));
  dbPath = join(workDir, 'shop.db');
  const db = new Database(dbPath);
  seedSources(db);
  db.close();
});

afterAll(() => {
  removeDir(projectDir);
  removeDir(workDir);
});

describe('bambuzled run', () => {
  it('creates a missing database and its folder, says so, and names each missing source', async () => {
    const created = join(workDir, 'new-folder', 'new.db');
    const result = await cli(['run', projectDir, '--db', created, '--actions', 'orders']);
    expect(existsSync(created)).toBe(true);
    expect(result.stderr).toContain(`Created the database ${created} (it did not exist).`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'The declared source main.src_orders (table "src_orders", declared in definitions/sources.sqlx) does not exist. Create main.src_orders first, or pass --db with the database that has it.',
    );
    expect(result.stderr).not.toContain('bambuzled listen');
  });

  it('refuses a dry run against a missing database, and creates nothing', async () => {
    const missing = join(workDir, 'nowhere', 'print_history.db');
    const result = await cli(['run', projectDir, '--db', missing, '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The database ${missing} does not exist, and a dry run creates nothing.`);
    expect(existsSync(join(workDir, 'nowhere'))).toBe(false);
  });

  it('does not promise a failing dry-run assertion a view that the rollback removed', () => {
    const failed: ActionResult = {
      name: 'checks.no_negative_amounts',
      target: { schema: 'checks', name: 'no_negative_amounts' },
      sqliteName: 'checks__no_negative_amounts',
      kind: 'assertion',
      tags: [],
      status: 'FAILED',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:00.010Z',
      durationMs: 10,
      rowsAffected: 1,
      failingRows: { count: 1, sample: [{ id: 99, amount: -40 }] },
      sql: [],
    };
    const dry = formatActionResult(failed, { dryRun: true });
    expect(dry.stream).toBe('stderr');
    expect(dry.text).toContain('Assertion failed:  checks.no_negative_amounts (dry run) 0.01s, 1 row(s)');
    expect(dry.text).not.toContain('stay queryable');
    expect(formatActionResult(failed).text).toContain(
      'stay queryable in the view "checks__no_negative_amounts"',
    );
  });

  it('points at the listener only for a missing raw-layer table', () => {
    expect(missingSourceHint({ schema: 'main', name: 'jobs_raw' })).toContain('`bambuzled listen`');
    expect(missingSourceHint({ name: 'printers_raw' })).toContain('`bambuzled start`');
    expect(missingSourceHint({ schema: 'main', name: 'src_orders' })).toBe(
      'Create main.src_orders first, or pass --db with the database that has it.',
    );
  });

  it('builds the tagged tables with progress lines, then adds nothing on a second run', async () => {
    const first = await cli(['run', projectDir, '--db', dbPath, '--tags', 'bronze,silver']);
    expect(first.stderr).toBe(`${coreNote}\n`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Table created:  main.orders [table]');
    expect(first.stdout).toMatch(/View created: {2}reporting\.customer_totals \[view\] \d+\.\d\ds\n/);
    expect(first.stdout).toMatch(/Table created: {2}main\.order_log \[incremental\] \d+\.\d\ds, 4 row\(s\)/);
    expect(first.stdout).toContain('Assertion passed:  checks.main_orders_assertions_uniqueKey_0');
    expect(first.stdout).toMatch(/Run SUCCESSFUL in [\d.]+s: 6 succeeded, 0 failed, 0 skipped, 0 disabled/);

    const second = await cli(['run', projectDir, '--db', dbPath, '--actions', 'order_log', '--json']);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout) as RunResult;
    expect(result.actions.map((a) => [a.name, a.status, a.rowsAffected])).toEqual([
      ['main.order_log', 'SUCCESSFUL', 0],
    ]);
    expect(second.stderr).toBe('');

    const third = await cli(['run', projectDir, '--db', dbPath, '--actions', 'order_log']);
    expect(third.stdout).toMatch(
      /Incremental table updated: {2}main\.order_log \[incremental\] \d+\.\d\ds, 0 row\(s\)/,
    );
  });

  it('says what a dry run would do, line by line and in the summary', async () => {
    const result = await cli([
      'run',
      projectDir,
      '--db',
      dbPath,
      '--dry-run',
      '--actions',
      'orders,customer_totals,order_log,touch',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Would create table:  main.orders [table] (dry run) ');
    expect(result.stdout).toContain('Would create view:  reporting.customer_totals [view] (dry run) ');
    expect(result.stdout).toContain(
      'Would update incremental table:  main.order_log [incremental] (dry run) ',
    );
    expect(result.stdout).toContain(
      'Assertion would pass:  checks.main_orders_assertions_uniqueKey_0 (dry run) ',
    );
    expect(result.stdout).toContain('Operation would run:  main.touch (dry run) ');
    expect(result.stdout).not.toMatch(/created:|updated:|passed:|completed/);
    expect(result.stdout).toMatch(
      /Dry run SUCCESSFUL in [\d.]+s: 6 succeeded, 0 failed, 0 skipped, 0 disabled \(rolled back: nothing was changed or recorded\)/,
    );
  });

  it('says so in the summary of a full refresh', async () => {
    const result = await cli([
      'run',
      projectDir,
      '--db',
      dbPath,
      '--full-refresh',
      '--actions',
      'orders_latest',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Table created:  main.orders_latest [incremental]');
    expect(result.stdout).toMatch(/Run SUCCESSFUL \(full refresh\) in [\d.]+s: /);
  });

  it('exits 1 and names the failing assertion and its rows', async () => {
    const db = new Database(dbPath);
    db.exec("INSERT INTO src_orders VALUES (99, 'eve', 'open', -40, NULL)");
    db.close();
    try {
      const result = await cli([
        'run',
        projectDir,
        '--db',
        dbPath,
        '--actions',
        'orders,no_negative_amounts,after_check',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Assertion failed:  checks.no_negative_amounts');
      expect(result.stderr).toMatch(/\| 99 +\| -40 +\|/);
      expect(result.stdout).toContain(
        'Skipping dataset creation:  main.after_check [table]: because checks.no_negative_amounts failed',
      );
      expect(result.stdout).toContain('Run FAILED');
    } finally {
      const cleanup = new Database(dbPath);
      cleanup.exec('DELETE FROM src_orders WHERE id = 99');
      cleanup.close();
    }
  });

  it('exits 1 with a clear message when the selection matches nothing', async () => {
    const result = await cli(['run', projectDir, '--db', dbPath, '--tags', 'nothing']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No action matches the tag(s) nothing');
  });
});

describe('bambuzled compile', () => {
  it('prints with --json the same graph as the stock dataform CLI', async () => {
    const dir = writeProject(SAMPLE_PROJECT);
    try {
      // The stock CLI needs the project's own core; the adapter then compiles in place too.
      const core = join(dir, 'node_modules', '@dataform', 'core');
      mkdirSync(core, { recursive: true });
      cpSync(join(root, 'node_modules', '@dataform', 'core'), core, { recursive: true });
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ dependencies: { '@dataform/core': '3.0.62' } }),
      );
      const stock = await new Promise<string>((done) =>
        execFile(
          process.execPath,
          [join(root, 'node_modules/@dataform/cli/bundle.js'), 'compile', dir, '--json'],
          (_e, out) => done(out),
        ),
      );
      const ours = await cli(['compile', dir, '--json']);
      expect(ours.code).toBe(0);
      expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(stock));
      const text = await cli(['compile', dir]);
      expect(text.stderr).toBe('');
      expect(text.stdout).toMatch(/^Compiled 14 action\(s\) in [\d.]+s \(from cache/);
      expect(text.stdout).toContain('reporting.customer_totals [view]');
      expect(text.stdout).toContain('main.legacy_report [table] [disabled]');
    } finally {
      removeDir(dir);
    }
  });

  it('names the core it lent a project without one, on stderr and only in text mode', async () => {
    const text = await cli(['compile', projectDir]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe(`${coreNote}\n`);
    const json = await cli(['compile', projectDir, '--json']);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toHaveProperty('tables');
  });

  it('prints a missing ref and a cycle with readable names and the files that hold them', async () => {
    const dir = writeProject({
      'workflow_settings.yaml': 'defaultProject: p\ndefaultDataset: main\n',
      'definitions/orphan.sqlx': `config { type: "table" }\nSELECT * FROM \${ref("does_not_exist")}\n`,
      'definitions/a.sqlx': `config { type: "view" }\nSELECT * FROM \${ref("b")}\n`,
      'definitions/b.sqlx': `config { type: "view" }\nSELECT * FROM \${ref("a")}\n`,
    });
    try {
      const result = await cli(['compile', dir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('  definitions/orphan.sqlx: Could not resolve "does_not_exist"\n');
      expect(result.stderr).toContain(
        '  definitions/orphan.sqlx: Missing dependency detected: Action "main.orphan" depends on "does_not_exist" which does not exist',
      );
      expect(result.stderr).toMatch(
        /Circular dependency detected in chain: \[main\.[ab] > main\.[ab] > main\.[ab]\]/,
      );
      expect(result.stderr).not.toMatch(/index\.js|\{"/);

      // A project that does not compile leaves no empty database behind.
      const db = join(workDir, 'broken', 'new.db');
      const run = await cli(['run', dir, '--db', db]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Circular dependency detected');
      expect(existsSync(db)).toBe(false);
    } finally {
      removeDir(dir);
    }
  });
});
