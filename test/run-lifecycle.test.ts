// `bambuzled run` as a user meets it when runs are long, stopped, killed or concurrent, or the
// database is bad: the built CLI (`npm run build` first; `npm test` does it) in child processes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, writeProject } from '../adapter/__fixtures__/sample-project.js';
import { compileProject, type RunResult } from '../adapter/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bambuzled.js');

/**
 * An incremental table with a row condition, and after it an operation whose cost a knob sets: a
 * count over a recursive CTE of `knob.n` rows (1 is instant, 1e12 runs until stopped).
 */
const PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: p\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
  'definitions/src.sqlx': 'config { type: "declaration", name: "src" }\n',
  'definitions/knob.sqlx': 'config { type: "declaration", name: "knob" }\n',
  'definitions/t.sqlx': `config { type: "incremental", uniqueKey: ["id"], assertions: { rowConditions: ["v >= 0"] } }
SELECT id, v, seq FROM \${ref("src")}
\${when(incremental(), \`WHERE seq > (SELECT coalesce(max(seq), 0) FROM \${self()})\`)}
`,
  'definitions/slow.sqlx': `config { type: "operations", dependencies: ["t"] }
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM \${ref("knob")}))
SELECT count(*) FROM c
`,
};

let projectDir: string;
let workDir: string;
/** Every CLI started in the background, stopped by PID when its test ends, however it ended. */
const started: ChildProcess[] = [];

beforeAll(async () => {
  projectDir = writeProject(PROJECT);
  chmodSync(projectDir, 0o777);
  const compiled = await compileProject({ projectDir });
  if (!compiled.ok) throw new Error(compiled.message);
  workDir = mkdtempSync(join(tmpdir(), 'bambuzled-lifecycle-'));
});

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  removeDir(projectDir);
  removeDir(workDir);
});

/** A database with three valid source rows and the knob at `n`. */
function seeded(name: string, n = 1): string {
  const path = join(workDir, name);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE src (id INTEGER, v INTEGER, seq INTEGER);
    INSERT INTO src VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);
    CREATE TABLE knob (n INTEGER); INSERT INTO knob VALUES (${n});`);
  db.close();
  return path;
}

function sql(path: string, statement: string): unknown[] {
  const db = new Database(path);
  try {
    const prepared = db.prepare(statement);
    return prepared.reader ? prepared.all() : [prepared.run()];
  } finally {
    db.close();
  }
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { uid?: number } = {}): Promise<Outcome> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: workDir,
        env: { ...process.env, BAMBUZLED_DB: '', NO_COLOR: '1' },
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, signal: error?.signal ?? null, stdout, stderr }),
    );
  });
}

/** A CLI process in the background, with its output so far and its end. */
function background(args: string[]): { child: ChildProcess; output: () => string; ended: Promise<Outcome> } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: workDir,
    env: { ...process.env, BAMBUZLED_DB: '', NO_COLOR: '1' },
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ended = new Promise<Outcome>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, output: () => stdout + stderr, ended };
}

/** Waits until `check` holds, looking every 50 ms, for at most `ms`. */
async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runsOf = async (db: string): Promise<RunResult[]> =>
  JSON.parse((await cli(['runs', '--json', '--db', db])).stdout) as RunResult[];

describe('stopping a run', () => {
  it('cancels the statement in flight on Ctrl-C, keeps what finished, and exits non-zero at once', async () => {
    const db = seeded('sigint.db', 1e12);
    const run = background(['run', projectDir, '--db', db]);
    await until(() => run.output().includes('main.t [incremental]'));
    const sent = Date.now();
    run.child.kill('SIGINT');
    const ended = await run.ended;
    // The statement would run for hours: ending within a loaded minute means it was cancelled.
    expect(Date.now() - sent).toBeLessThan(60_000);
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain('SIGINT: cancelling the run');
    expect(ended.stderr).toMatch(/Operation cancelled: {2}main\.slow/);
    expect(ended.stderr).toContain('Run cancelled: interrupted by SIGINT.');
    const [last] = await runsOf(db);
    expect(last?.status).toBe('CANCELLED');
    expect(last?.actions.find((a) => a.name === 'main.slow')?.status).toBe('CANCELLED');
    expect(sql(db, 'SELECT count(*) AS n FROM t')).toEqual([{ n: 3 }]);
  });

  it('cancels the run at --execution-timeout', async () => {
    const db = seeded('timeout.db', 1e12);
    // The statement never ends by itself; 10 s (not 2 s) so that, on a loaded machine, the deadline
    // falls in that statement and not in the start-up before it (which failed once under load).
    const result = await cli(['run', projectDir, '--db', db, '--execution-timeout', '10s']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('Run cancelled: the run took longer than --execution-timeout 10s.');
    expect((await runsOf(db))[0]?.status).toBe('CANCELLED');
  });

  it('refuses an --execution-timeout that is not a duration', async () => {
    const result = await cli([
      'run',
      projectDir,
      '--db',
      seeded('bad-timeout.db'),
      '--execution-timeout',
      'soon',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--execution-timeout expects a duration such as 90s, 10m or 1h30m; got "soon".',
    );
  });
});

describe('a run killed with SIGKILL', () => {
  it('shows as INTERRUPTED, and the bad row its merge wrote fails the assertion on the next run', async () => {
    const db = seeded('killed.db');
    expect((await cli(['run', projectDir, '--db', db])).code).toBe(0);
    sql(db, 'UPDATE knob SET n = 1e12');
    sql(db, 'INSERT INTO src VALUES (4, -1, 4)');
    const run = background(['run', projectDir, '--db', db]);
    // Killed once t has merged the bad row (the line comes after its commit), during the slow operation.
    await until(() => run.output().includes('Incremental table updated'));
    run.child.kill('SIGKILL');
    await run.ended;
    expect(sql(db, 'SELECT count(*) AS n FROM t WHERE v < 0')).toEqual([{ n: 1 }]);
    const killed = (await runsOf(db))[0];
    expect(killed?.status).toBe('INTERRUPTED');

    sql(db, 'UPDATE knob SET n = 1');
    const next = await cli(['run', projectDir, '--db', db]);
    expect(next.code).toBe(1);
    expect(next.stderr).toMatch(/Assertion failed: {2}checks\.main_t_assertions_rowConditions/);
  });
});

describe('two runs at once', () => {
  it('makes the second wait for the first and say so, or refuse with --no-wait naming the run', async () => {
    const db = seeded('two.db', 1e12);
    const first = background(['run', projectDir, '--db', db]);
    await until(() => first.output().includes('main.t [incremental]'));
    const refused = await cli(['run', projectDir, '--db', db, '--no-wait']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /Not running: run \d+ \(bambuzled run \(pid \d+\).*\) is in progress \(--no-wait\)/,
    );

    const second = background(['run', projectDir, '--db', db, '--actions', 't']);
    await until(() => second.output().includes('Waiting for run'));
    first.child.kill('SIGINT');
    await first.ended;
    const waited = await second.ended;
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('Run SUCCESSFUL');
  });
});

describe('bad input', () => {
  it('names a tag that matches nothing beside one that matches', async () => {
    const result = await cli([
      'run',
      projectDir,
      '--db',
      seeded('tags.db'),
      '--tags',
      'nosuchtag',
      '--actions',
      't',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No action matches the tag(s) nosuchtag');
  });

  it('says a file that is not a database is not one, with no stack trace, for run and runs', async () => {
    const path = join(workDir, 'notes.db');
    writeFileSync(path, 'not a database at all\n'.repeat(100));
    for (const args of [
      ['run', projectDir, '--db', path],
      ['runs', '--db', path],
    ]) {
      const result = await cli(args);
      expect(result.code, args[0]).toBe(2);
      expect(result.stderr).toContain(`The file ${path} is not a SQLite database, or it is damaged`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('says that a database cannot be created in a read-only folder', async () => {
    const folder = join(workDir, 'read-only');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
    chmodSync(workDir, 0o755);
    // As another user than root, for whom permission bits do not count.
    const result = await cli(['run', projectDir, '--db', join(folder, 'x.db')], { uid: 65534 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Cannot open or create the database ${join(folder, 'x.db')}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('takes a PostgreSQL URL as PostgreSQL, not as a file name, and names an unreachable server without the password', async () => {
    const result = await cli(['run', projectDir, '--db', 'postgres://me:s3cret@127.0.0.1:1/prints']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot reach the PostgreSQL database "prints" on 127.0.0.1:1 (user me)');
    expect(result.stderr).not.toContain('s3cret');
    expect(existsSync(join(workDir, 'postgres:'))).toBe(false);
  });
});
