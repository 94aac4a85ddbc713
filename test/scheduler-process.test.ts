import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileProject, openEngine, type RunSummary } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { type Cron, createScheduler } from '../scheduler/scheduler.js';
import { RawLayerWriter, writeSensorProject } from './helpers/sensor-sandbox.js';

const repo = resolve(import.meta.dirname, '..');
let projectDir: string;
let work: string;
let registerHook: string;
let dir: string;
let dbPath: string;
let db: SqliteDatabase;
const children: ChildProcess[] = [];

// Child processes run the TypeScript sources through a tiny loader built on the installed
// typescript package (Node 20 cannot strip types itself), so no build into dist/ is needed.
const LOADER = `
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(pathToFileURL(join(repo, 'node_modules/typescript/lib/typescript.js')).href)};
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (error) {
    if (/^(\\.|\\/|file:)/.test(specifier) && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(path, 'utf8'), { fileName: path, compilerOptions: {
    module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

const neverCron: Cron = { schedule: () => ({ stop: () => undefined }), validate: () => true };

beforeAll(async () => {
  projectDir = writeSensorProject(mkdtempSync(join(tmpdir(), 'sched-proc-project-')));
  const compiled = await compileProject({ projectDir });
  expect(compiled.ok).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'sched-proc-loader-'));
  writeFileSync(join(work, 'ts-loader.mjs'), LOADER);
  registerHook = join(work, 'register.mjs');
  writeFileSync(
    registerHook,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(work, 'ts-loader.mjs')).href)});\n`,
  );
});

afterAll(() => {
  rmSync(projectDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sched-proc-db-'));
  dbPath = join(dir, 'history.db');
  db = openDatabase(dbPath);
  migrateRawSchema(db);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
    }
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a module in a child Node process with the TypeScript loader; collects its stdout. */
function runChild(file: string, source: string, args: string[] = []) {
  const path = join(dir, file);
  writeFileSync(path, source);
  const child = spawn(process.execPath, ['--import', registerHook, path, ...args], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const waitFor = (pattern: RegExp, timeoutMs = 110_000) =>
    new Promise<RegExpMatchArray>((done, fail) => {
      const started = Date.now();
      const look = () => {
        const match = stdout.match(pattern);
        if (match) return done(match);
        if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          return fail(new Error(`child never printed ${pattern}; stdout: ${stdout}; stderr: ${stderr}`));
        }
        setTimeout(look, 20);
      };
      look();
    });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, waitFor, exited, output: () => ({ stdout, stderr }) };
}

const mod = (path: string) => JSON.stringify(pathToFileURL(join(repo, path)).href);

describe('the run lock across processes', () => {
  it('skips while another process holds the lock and recovers it when that process dies', async () => {
    const writer = new RawLayerWriter(db);
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const holder = runChild(
      'hold-lock.mjs',
      `import { openEngine, RunLock } from ${mod('adapter/index.js')};
       const executor = await openEngine(process.argv[2]).connect();
       const lock = new RunLock({ executor, owner: 'child', ttlMs: 600000 });
       const outcome = await lock.tryAcquire('manual run');
       console.log(outcome.acquired ? 'locked ' + process.pid : 'not locked');
       setInterval(() => {}, 1000);`,
      [dbPath],
    );
    const [, pid] = await holder.waitFor(/locked (\d+)/);
    const scheduler = createScheduler({
      engine: openEngine(dbPath),
      projectDir,
      cron: neverCron,
      pollIntervalMs: 0,
    });
    const blocked = await scheduler.tick('cron');
    expect(blocked.decision).toBe('SKIPPED');
    expect(blocked.reason).toContain(`manual run by scheduler child (pid ${pid} `);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const recovered = await scheduler.tick('cron');
    expect(recovered.decision, recovered.reason).toBe('REQUESTED');
    await scheduler.close();
  });

  it('never overlaps the runs of two schedulers in two processes', async () => {
    const writer = new RawLayerWriter(db);
    // The child ticks until told to stop, printing each run: both sides go on until each has run
    // a few times (or a generous deadline passes), however the machine schedules the two processes.
    const other = runChild(
      'other-scheduler.mjs',
      `import { openEngine } from ${mod('adapter/index.js')};
       import { createScheduler } from ${mod('scheduler/scheduler.js')};
       const cron = { schedule: () => ({ stop() {} }), validate: () => true };
       const scheduler = createScheduler({ engine: openEngine(process.argv[2]), projectDir: process.argv[3], sensor: 'child', cron, pollIntervalMs: 0 });
       await scheduler.open();
       let stopped = false;
       process.stdin.on('data', () => { stopped = true; });
       console.log('ready');
       let runs = 0;
       while (!stopped) {
         if ((await scheduler.tick('cron')).runId !== null) console.log('ran ' + ++runs);
         await new Promise((r) => setImmediate(r));
       }
       console.log('done ' + runs);
       await scheduler.close();`,
      [dbPath, projectDir],
    );
    await other.waitFor(/ready/);
    const scheduler = createScheduler({
      engine: openEngine(dbPath),
      projectDir,
      cron: neverCron,
      pollIntervalMs: 0,
    });
    const theirRuns = () => (other.output().stdout.match(/^ran \d+$/gm) ?? []).length;
    let mine = 0;
    const deadline = Date.now() + 90_000;
    for (let i = 0; (mine < 3 || theirRuns() < 3) && Date.now() < deadline; i++) {
      writer.start(i % 2 ? 'P1S-A' : 'X1C-B', `job-${i}`);
      writer.end(`job-${i}`);
      if ((await scheduler.tick('cron')).runId !== null) mine++;
    }
    other.child.stdin?.end('stop\n');
    const [, theirs] = await other.waitFor(/done (\d+)/, 60_000);
    const recorded: RunSummary[] = await (await scheduler.history()).listRuns({ limit: 1000 });
    await scheduler.close();
    expect(mine).toBeGreaterThanOrEqual(3);
    expect(Number(theirs)).toBeGreaterThanOrEqual(3);
    const runs = recorded.map((run) => [Date.parse(run.startedAt), Date.parse(run.endedAt ?? '')]);
    expect(runs.length).toBe(mine + Number(theirs));
    const sorted = runs.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]?.[0]).toBeGreaterThanOrEqual(sorted[i - 1]?.[1] ?? 0);
    }
  });
});

describe('bambuzled schedule', () => {
  it('creates a missing database, runs the graph when another process ends a job, and exits 0 on SIGTERM', async () => {
    const freshDb = join(dir, 'new', 'fresh.db');
    // cli/main.ts reads its version from the built layout, so the command is mounted here on its own.
    const cli = runChild(
      'cli.mjs',
      `import { Command } from ${mod('node_modules/commander/esm.mjs')};
       import { registerSchedule } from ${mod('cli/commands/schedule.js')};
       const program = new Command('bambuzled');
       registerSchedule(program);
       await program.parseAsync(process.argv);`,
      ['schedule', projectDir, '--db', freshDb, '--port', '0', '--poll', '100'],
    );
    const [, url] = await cli.waitFor(/status page at (http:\/\/\S+)/);
    const status = (await (await fetch(`${url}api/status`)).json()) as { sensor: { state: string } };
    expect(status.sensor.state).toBe('RUNNING');
    const listener = openDatabase(freshDb);
    try {
      const writer = new RawLayerWriter(listener);
      writer.start('P1S-A', 'cli-1');
      writer.end('cli-1');
      const deadline = Date.now() + 20_000;
      let rows = 0;
      while (rows === 0 && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 50));
        const exists = listener.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'jobs_brz'`).get();
        rows = exists ? (listener.prepare('SELECT COUNT(*) AS n FROM jobs_brz').get() as { n: number }).n : 0;
      }
      expect(rows).toBe(1);
    } finally {
      listener.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});

describe('bambuzled schedule and status with a database they cannot use', () => {
  /**
   * Runs one command of the built CLI (`npm test` builds first, as start-e2e relies on too), which
   * starts in a fraction of the time the TypeScript loader needs; resolves with its exit code and output.
   */
  function command(name: 'schedule' | 'status', args: string[]) {
    const child = spawn(process.execPath, ['bin/bambuzled.js', name, ...args], {
      cwd: repo,
      env: { ...process.env, BAMBUZLED_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
      child.once('exit', (code) => done({ code, stdout, stderr })),
    );
  }

  /** A file that is not a database, and a database cut in half (as a failed copy leaves it). */
  function badFiles(): { label: string; path: string }[] {
    const notADatabase = join(dir, 'notes.db');
    writeFileSync(notADatabase, 'these are my notes, not a database\n'.repeat(200));
    const truncated = join(dir, 'truncated.db');
    const full = openDatabase(truncated);
    full.exec('PRAGMA journal_mode = DELETE');
    full.exec('CREATE TABLE t (x TEXT)');
    const insert = full.prepare('INSERT INTO t VALUES (?)');
    full.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} `.repeat(10));
    })();
    full.close();
    const bytes = readFileSync(truncated);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return [
      { label: 'not a database', path: notADatabase },
      { label: 'truncated', path: truncated },
    ];
  }

  it('schedule says which file is wrong and what to do, exits non-zero, and prints no stack trace', async () => {
    const bads = badFiles();
    // Side by side: each child transpiles the sources it imports, which is most of its time.
    const runs = await Promise.all(
      bads.map((bad) => command('schedule', [projectDir, '--db', bad.path, '--port', '0'])),
    );
    for (const [i, bad] of bads.entries()) {
      const run = runs[i]!;
      expect(run.code, bad.label).not.toBe(0);
      expect(run.stderr, bad.label).toContain(bad.path);
      expect(run.stderr, bad.label).toMatch(
        /not a SQLite database, or it is damaged.*restore it from a backup/,
      );
      expect(run.stderr, bad.label).not.toMatch(/^\s+at /m);
      expect(run.stdout, bad.label).not.toContain('status page at');
    }
  }, 90_000);

  it('status says which file is wrong, exits non-zero, and prints no stack trace', async () => {
    const bads = [...badFiles(), { label: 'missing', path: join(dir, 'nowhere', 'none.db') }];
    const runs = await Promise.all(bads.map((bad) => command('status', ['--db', bad.path])));
    for (const [i, bad] of bads.entries()) {
      const run = runs[i]!;
      expect(run.code, bad.label).toBe(1);
      expect(run.stderr, bad.label).toContain(bad.path);
      expect(run.stderr, bad.label).not.toMatch(/^\s+at /m);
    }
  }, 90_000);

  // root writes into a read-only folder anyway, so this can only be checked as another user.
  it.skipIf(process.getuid?.() === 0)(
    'schedule refuses a read-only folder in one line naming the database',
    async () => {
      const folder = join(dir, 'read-only');
      mkdirSync(folder);
      chmodSync(folder, 0o555);
      try {
        const path = join(folder, 'history.db');
        const run = await command('schedule', [projectDir, '--db', path, '--port', '0']);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toContain(path);
        expect(run.stderr).not.toMatch(/^\s+at /m);
      } finally {
        chmodSync(folder, 0o755);
      }
    },
  );
});
