import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDocs } from '../cli/commands/docs.js';
import type { DocsSiteData } from '../docs-site/index.js';
import { compileFixture, fillFixtureDatabase, writeFixtureProject } from './docs-fixture.js';
import { launchChromium } from './helpers/browser.js';

let root: string;
let projectDir: string;
let dbPath: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-cli-'));
  projectDir = join(root, 'project');
  dbPath = join(root, 'history.db');
  writeFixtureProject(projectDir);
  await fillFixtureDatabase(dbPath, await compileFixture(projectDir), 2);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function bambuzled(...args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  const program = new Command('bambuzled').exitOverride();
  registerDocs(program);
  await program.parseAsync(args, { from: 'user' });
  const code = typeof process.exitCode === 'number' ? process.exitCode : undefined;
  return { out: out.join('\n'), err: err.join('\n'), code };
}

describe('bambuzled docs generate', () => {
  it('writes the site to --out with the catalog of --db', async () => {
    const outDir = join(root, 'out-with-db');
    const run = await bambuzled('docs', 'generate', projectDir, '--out', outDir, '--db', dbPath);
    expect(run.code).toBe(0);
    expect(run.out).toContain('Catalog read from');
    const data = JSON.parse(readFileSync(join(outDir, 'docs-data.json'), 'utf8')) as DocsSiteData;
    expect(data.catalog.entries['main.jobs_brz']?.rowCount).toBe(2);
  });

  it('documents the environment --schema-suffix builds, says so, and reads that copy of the tables', async () => {
    const outDir = join(root, 'out-dev');
    const run = await bambuzled(
      'docs',
      'generate',
      projectDir,
      '--out',
      outDir,
      '--db',
      dbPath,
      '--schema-suffix',
      'dev',
    );
    expect(run.code).toBe(0);
    const data = JSON.parse(readFileSync(join(outDir, 'docs-data.json'), 'utf8')) as DocsSiteData;
    expect(data.model.environment).toBe('schema suffix dev');
    // The dev copy was never built in this database: its tables are missing, not production's.
    const devEntry = Object.values(data.catalog.entries).find((e) => e.sqliteName === 'main_dev__jobs_brz');
    expect(devEntry?.exists).toBe(false);
    // And the page says so, where a person reads which project and schema this is.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(outDir, 'index.html')}`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.locator('#details p.muted').first().textContent()).toContain(
        'Default schema main · environment: schema suffix dev',
      );
    } finally {
      await browser.close();
    }
  });

  it('refuses a --db that does not exist instead of silently writing an empty catalog', async () => {
    const outDir = join(root, 'out-missing-db');
    const run = await bambuzled(
      'docs',
      'generate',
      projectDir,
      '--out',
      outDir,
      '--db',
      join(root, 'nope.db'),
    );
    expect(run.code).toBe(2);
    expect(run.err).toContain('No database at');
    expect(existsSync(outDir)).toBe(false);
  });

  it('says in one line that a --db is not a database, naming it, and writes nothing', async () => {
    const notes = join(root, 'notes.db');
    writeFileSync(notes, 'these are my notes, not a database\n'.repeat(200));
    const outDir = join(root, 'out-not-a-db');
    const run = await bambuzled('docs', 'generate', projectDir, '--out', outDir, '--db', notes);
    expect(run.code).toBe(2);
    expect(run.err).toContain(notes);
    expect(run.err).toMatch(/not a SQLite database, or it is damaged/);
    expect(run.err).not.toMatch(/^\s+at /m);
    expect(existsSync(outDir)).toBe(false);
  });

  it('reports a project that does not compile and exits non-zero', async () => {
    const run = await bambuzled(
      'docs',
      'generate',
      join(root, 'not-a-project'),
      '--out',
      join(root, 'out-bad'),
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/not a Dataform project/);
  });
});

describe('bambuzled docs serve', () => {
  it('rejects a port that is not a number before binding anything', async () => {
    const run = await bambuzled('docs', 'serve', projectDir, '--port', 'eighty');
    expect(run.code).toBe(2);
    expect(run.err).toContain('--port expects a port number');
  });

  it('says which port is taken and how to pick another, instead of crashing', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const run = await bambuzled('docs', 'serve', projectDir, '--port', port, '--db', dbPath);
      expect(run.code).toBe(1);
      expect(run.err).toContain(`127.0.0.1:${port}`);
      expect(run.err).toContain('Pass --port with a free port');
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});
