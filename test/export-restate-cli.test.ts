import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runExport } from '../cli/commands/export.js';
import { runRestate } from '../cli/commands/restate.js';
import { HealthFile, listenerHealthPath } from '../ingestion/listener-health.js';
import { openDatabase } from '../lib/sqlite.js';
import { recordLiveSession } from './helpers/live-session.js';

const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function captureOutput() {
  const errors: string[] = [];
  const logs: string[] = [];
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return { errors, logs, out };
}

const restateFlags = (dbPath: string) => ({ db: dbPath, config: '/nonexistent/config.json', run: true });

describe('bambuzled restate and bambuzled export on a recorded session', () => {
  it('restates the raw layer, re-runs the graph with --full-refresh, and exports jobs_slv as CSV and JSON', async () => {
    const { dir, db, dbPath } = await recordLiveSession(cleanup);
    db.close();
    const output = captureOutput();

    expect(
      await runRestate(PROJECT_DIR, { ...restateFlags(dbPath), reason: 'a fix of the state machine' }),
    ).toBe(0);
    expect(output.logs.join('\n')).toMatch(
      /Restated 2 printer\(s\) from .*: \d+ report\(s\) replayed; 4 job row\(s\) replaced by 4\./,
    );
    expect(output.logs.join('\n')).toMatch(/Run SUCCESSFUL \(full refresh\)/);

    expect(await runExport('jobs', { db: dbPath, format: 'csv' })).toBe(0);
    const rows = parse(output.out.join(''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.outcome).sort()).toEqual(['cancelled', 'failed', 'finished', 'finished']);
    expect(Object.keys(rows[0]!)).toContain('job_id');

    const file = join(dir, 'jobs.json');
    expect(await runExport('jobs', { db: dbPath, format: 'json', out: file, since: '2000-01-01' })).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    expect(json.map((r) => r.job_id).sort()).toEqual(rows.map((r) => r.job_id).sort());
    expect(await runExport('jobs', { db: dbPath, format: 'json', out: file, since: '2999-01-01' })).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('rebuilds a lost database from the archive alone, and creates nothing when there is no archive', async () => {
    const { dir, db, dbPath, archiveDir } = await recordLiveSession(cleanup);
    const live = db
      .prepare('SELECT job_key, status, started_at, ended_at FROM jobs_raw ORDER BY job_key')
      .all();
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
    const output = captureOutput();

    const missing = join(dir, 'never.db');
    expect(
      await runRestate(PROJECT_DIR, { ...restateFlags(missing), archive: join(dir, 'no-archive') }),
    ).toBe(2);
    expect(existsSync(missing)).toBe(false);

    expect(await runRestate(PROJECT_DIR, { ...restateFlags(dbPath), archive: archiveDir })).toBe(0);
    expect(output.errors).toContain(`The database ${dbPath} does not exist: building it from the archive.`);
    const rebuilt = openDatabase(dbPath, { readonly: true });
    expect(
      rebuilt.prepare('SELECT job_key, status, started_at, ended_at FROM jobs_raw ORDER BY job_key').all(),
    ).toEqual(live);
    expect(rebuilt.prepare('SELECT COUNT(*) FROM jobs_slv').pluck().get()).toBe(4);
    rebuilt.close();
  });

  it('quotes fields with commas, quotes and line breaks the RFC 4180 way', async () => {
    const { db, dbPath } = await recordLiveSession(cleanup);
    db.exec(
      `UPDATE jobs_raw SET subtask_name = 'a "quoted", name' || char(10) || 'on two lines' WHERE status = 'finished'`,
    );
    db.close();
    const output = captureOutput();
    expect(await runExport('jobs_raw', { db: dbPath })).toBe(0);
    const text = output.out.join('');
    expect(text).toContain('"a ""quoted"", name\non two lines"');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.filter((r) => r.subtask_name === 'a "quoted", name\non two lines')).toHaveLength(2);
  });

  it('names the tables it can export when asked for one that does not exist', async () => {
    const { db, dbPath } = await recordLiveSession(cleanup);
    db.close();
    const output = captureOutput();
    expect(await runExport('jobz', { db: dbPath })).toBe(2);
    expect(output.errors).toHaveLength(1);
    expect(output.errors[0]).toMatch(
      /^There is no table "jobz" to export\. Export one of: jobs \(= jobs_slv\), job_events_raw, /,
    );
    expect(output.errors[0]).toContain(' jobs_raw, ');
    expect(output.errors[0]).not.toContain('_bambuzled');
    expect(await runExport('jobs', { db: dbPath })).toBe(2);
    expect(output.errors[1]).toMatch(/^jobs_slv does not exist yet: run the models first/);
    expect(await runExport('jobs_raw', { db: dbPath, format: 'xml' })).toBe(2);
    expect(output.errors[2]).toBe('--format must be csv or json, not "xml".');
    expect(await runExport('jobs_raw', { db: dbPath, since: 'yesterday' })).toBe(2);
    expect(output.errors[3]).toMatch(/^--since must be a date as YYYY-MM-DD/);
  });

  it('refuses to restate while the listener writes, and says when the archive is missing', async () => {
    const { db, dbPath, archiveDir } = await recordLiveSession(cleanup);
    db.close();
    const output = captureOutput();
    expect(await runRestate(PROJECT_DIR, { ...restateFlags(dbPath), archive: `${archiveDir}-none` })).toBe(2);
    expect(output.errors[0]).toMatch(/^No archived reports in .*-none\. The listener archives every report/);
    expect(await runRestate(PROJECT_DIR, { ...restateFlags(dbPath), printer: ['NOPE'] })).toBe(2);
    expect(output.errors[1]).toMatch(/^No archived reports for the printer\(s\) NOPE in /);
    expect(await runRestate(PROJECT_DIR, { ...restateFlags(dbPath), since: 'soon' })).toBe(2);
    expect(output.errors[2]).toMatch(/^--since must be a date/);
    const health = new HealthFile(listenerHealthPath(dbPath));
    health.write({
      updatedAt: new Date().toISOString(),
      running: true,
      pid: 4242,
      printers: [],
      archive: null,
    });
    health.close();
    expect(await runRestate(PROJECT_DIR, restateFlags(dbPath))).toBe(2);
    expect(output.errors[3]).toMatch(/^The listener \(pid 4242\) is writing to .*: stop it first/);
  });
});
