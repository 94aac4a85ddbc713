// Spawns the built CLI (`npm run build` first; `npm test` does it) against a temp project and database.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_PROJECT, seedSources, writeProject } from './__fixtures__/sample-project.js';
import { compileProject, type RunResult } from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bambuzled.js');

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
  it('exits 2 and names the missing database and what creates it', async () => {
    const missing = join(workDir, 'nowhere', 'print_history.db');
    const result = await cli(['run', projectDir, '--db', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('bambuzled listen');
  });

  it('builds the tagged tables with progress lines, then adds nothing on a second run', async () => {
    const first = await cli(['run', projectDir, '--db', dbPath, '--tags', 'bronze,silver']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Table created:  main.orders [table]');
    expect(first.stdout).toMatch(/Table created: {2}main\.order_log \[incremental\] \d+\.\d\ds, 4 row\(s\)/);
    expect(first.stdout).toContain('Assertion passed:  checks.main_orders_assertions_uniqueKey_0');
    expect(first.stdout).toMatch(/Run SUCCESSFUL in [\d.]+s: 6 succeeded, 0 failed, 0 skipped, 0 disabled/);

    const second = await cli(['run', projectDir, '--db', dbPath, '--actions', 'order_log', '--json']);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout) as RunResult;
    expect(result.actions.map((a) => [a.name, a.status, a.rowsAffected])).toEqual([
      ['main.order_log', 'SUCCESSFUL', 0],
    ]);
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
    expect(result.stderr).toContain('No action matches --tags nothing');
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
      expect(text.stdout).toMatch(/^Compiled 14 action\(s\) in [\d.]+s \(from cache/);
      expect(text.stdout).toContain('reporting.customer_totals [view]');
      expect(text.stdout).toContain('main.legacy_report [table] [disabled]');
    } finally {
      removeDir(dir);
    }
  });
});
