import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from './helpers/browser.js';

/**
 * The first-run experience, end to end: `bambuzled start` with no printer configured runs the demo
 * (embedded TLS broker + simulated printers), jobs reach jobs_brz, both pages show them, and SIGTERM
 * stops everything cleanly with nothing lost.
 */
describe('bambuzled start in demo mode', () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let browser: Browser;
  let statusUrl: string;
  let docsUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-start-'));
    child = spawn(
      process.execPath,
      [
        'bin/bambuzled.js',
        'start',
        '--config',
        join(dir, 'no-config.json'),
        '--db',
        join(dir, 'history.db'),
        '--port',
        '0',
        '--docs-port',
        '0',
      ],
      { env: { ...process.env, BAMBUZLED_DB: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    statusUrl = await waitFor(
      () => /status page: (http:\/\/\S+)/.exec(output)?.[1],
      30_000,
      () => output,
    );
    docsUrl = await waitFor(
      () => /docs site: +(http:\/\/\S+)/.exec(output)?.[1],
      30_000,
      () => output,
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('says plainly that no printer is configured and runs the demo', () => {
    expect(output).toContain('no printers configured');
    expect(output).toContain('demo');
  });

  it('puts finished demo jobs into jobs_brz within a minute', async () => {
    const rows = await waitFor(
      () => {
        const n = countRows(join(dir, 'history.db'), 'jobs_brz');
        return n > 0 ? n : undefined;
      },
      60_000,
      () => output,
    );
    expect(rows).toBeGreaterThan(0);
  });

  it('shows the run that built jobs_brz on the status page', async () => {
    const page = await browser.newPage();
    await page.goto(statusUrl);
    await page.getByText('SUCCESSFUL').first().waitFor({ timeout: 15_000 });
    expect(await page.content()).toContain('jobs_brz');
    await page.screenshot({ path: screenshotPath('start-status-page'), fullPage: true });
    await page.close();
  });

  it('shows jobs_brz with its row count in the docs catalog', async () => {
    const page = await browser.newPage();
    await page.goto(docsUrl);
    await page.getByText('jobs_brz').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath('start-docs-site'), fullPage: true });
    await page.close();
  });

  it('stops cleanly on SIGTERM with every recorded transition kept', async () => {
    const dbPath = join(dir, 'history.db');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // A shutdown that hangs says where it stopped: the last lines the process printed.
    const deadline = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still running'), 60_000).unref(),
    );
    const outcome = await Promise.race([exited, deadline]);
    expect(outcome, `after SIGTERM:\n${output.split('\n').slice(-30).join('\n')}`).toBe(0);
    expect(output).toContain('stopped cleanly');
    // Nothing was left open for the exit-after-stop guard to cut short.
    expect(output).not.toContain('held open by');
    // Every transition the listener logged is in job_events_raw, and jobs_raw agrees with it.
    const logged =
      output.match(/\[listen\] \[[^\]]+\] job .*?: (started|finished|failed|cancelled|paused|resumed) \(/g) ??
      [];
    const db = new Database(dbPath, { readonly: true });
    const events = (db.prepare('SELECT COUNT(*) AS n FROM job_events_raw').get() as { n: number }).n;
    const orphans = db
      .prepare(
        'SELECT COUNT(*) AS n FROM job_events_raw e WHERE NOT EXISTS (SELECT 1 FROM jobs_raw j WHERE j.job_key = e.job_key)',
      )
      .get() as { n: number };
    db.close();
    expect(logged.length).toBeGreaterThan(0);
    expect(events).toBeGreaterThanOrEqual(logged.length);
    expect(orphans.n).toBe(0);
  });
});

describe('bambuzled start with a file that is not a database', () => {
  it('says which file and what to do, exits 2, and starts nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-start-bad-'));
    try {
      const notes = join(dir, 'notes.db');
      writeFileSync(notes, 'these are my notes, not a database\n'.repeat(200));
      const run = spawnSync(
        process.execPath,
        [
          'bin/bambuzled.js',
          'start',
          '--config',
          join(dir, 'no-config.json'),
          '--db',
          notes,
          '--port',
          '0',
          '--docs-port',
          '0',
        ],
        { env: { ...process.env, BAMBUZLED_DB: '' }, encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(notes);
      expect(run.stderr).toMatch(/not a SQLite database, or it is damaged/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stdout).not.toContain('status page:');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function countRows(dbPath: string, table: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms; output so far:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
