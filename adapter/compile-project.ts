/**
 * Compiles a Dataform project with the stock CLI (`dataform compile --json`) in a child process, and
 * caches the graph by a hash of everything the compile reads.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';
import { formatCompilationErrors, readableCompilationErrors } from './readable-errors.js';
import type { CompilationError, CompiledGraph } from './types.js';

export interface CompileOptions {
  projectDir: string;
  /** `--vars k=v`: merged over workflow_settings.yaml's vars. */
  vars?: Record<string, string>;
  /** Reuse the graph compiled from the same files and vars (default true). */
  cache?: boolean;
  /** How long the stock compiler may take (default 60 s, as the stock CLI). */
  timeoutMs?: number;
  /** The stock CLI's project-config overrides (`--schema-suffix dev`, ...), passed to it as they are. */
  overrides?: CompileOverrides;
}

/** `dataform compile` / `run`'s overrides of workflow_settings.yaml, with the stock names. */
export interface CompileOverrides {
  defaultDatabase?: string;
  defaultSchema?: string;
  defaultLocation?: string;
  assertionSchema?: string;
  databaseSuffix?: string;
  schemaSuffix?: string;
  tablePrefix?: string;
  disableAssertions?: boolean;
}

/** The stock CLI's flag for each override. */
const OVERRIDE_FLAGS: Record<keyof CompileOverrides, string> = {
  defaultDatabase: '--default-database',
  defaultSchema: '--default-schema',
  defaultLocation: '--default-location',
  assertionSchema: '--assertion-schema',
  databaseSuffix: '--database-suffix',
  schemaSuffix: '--schema-suffix',
  tablePrefix: '--table-prefix',
  disableAssertions: '--disable-assertions',
};

/** The overrides as stock CLI arguments, in a fixed order (they are part of the cache key). */
export function overrideArgs(overrides: CompileOverrides = {}): string[] {
  const args: string[] = [];
  for (const [key, flag] of Object.entries(OVERRIDE_FLAGS) as [keyof CompileOverrides, string][]) {
    const value = overrides[key];
    if (value === undefined || value === false || value === '') continue;
    args.push(value === true ? flag : `${flag}=${value}`);
  }
  return args;
}

export type CompileOutcome =
  | {
      ok: true;
      graph: CompiledGraph;
      fromCache: boolean;
      durationMs: number;
      /**
       * Set when the project was compiled as a copy wired to bambuzled's own @dataform/core: one line
       * naming that version and why (for stderr; the graph is the same as the stock CLI's).
       */
      note?: string;
    }
  | { ok: false; errors: CompilationError[]; message: string; durationMs: number };

/** Where a project's cached graphs live. */
export const COMPILE_CACHE_DIR = join('.bambuzled', 'compile-cache');

const SETTINGS_FILES = ['workflow_settings.yaml', 'dataform.json'];
const SOURCE_DIRS = ['definitions', 'includes'];

const require = createRequire(import.meta.url);
const ownCoreDir = dirname(require.resolve('@dataform/core/package.json'));
const cliBin = join(dirname(require.resolve('@dataform/cli/package.json')), 'bundle.js');

/** Compiles a project with the stock @dataform/cli (cached by a content hash). Never throws for graph errors. */
export async function compileProject(options: CompileOptions): Promise<CompileOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const projectDir = resolve(options.projectDir);
  const fail = (message: string, errors: CompilationError[] = [{ message }]): CompileOutcome => ({
    ok: false,
    errors,
    message,
    durationMs: elapsed(),
  });

  const key = await compileCacheKey(projectDir, options.vars, overrideArgs(options.overrides));
  if (!key.ok) return fail(key.message);
  const { files, pinsCore, inPlace, note } = key;
  const cacheFile = join(projectDir, COMPILE_CACHE_DIR, `${key.hash}.json`);
  const vars = key.vars;

  if (options.cache !== false) {
    const cached = await readFile(cacheFile, 'utf8').catch(() => undefined);
    if (cached !== undefined) {
      try {
        return outcomeOf(JSON.parse(cached) as CompiledGraph, true, elapsed(), note);
      } catch {
        // A torn or hand-edited cache file: compile again and overwrite it.
      }
    }
  }

  const shadow = inPlace ? undefined : await shadowProject(files, pinsCore);
  try {
    const args = [cliBin, 'compile', shadow ?? projectDir, '--json', ...overrideArgs(options.overrides)];
    if (Object.keys(vars).length > 0)
      args.push(
        `--vars=${Object.entries(vars)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`,
      );
    const child = await runNode(args, options.timeoutMs ?? 60_000);
    const restore = (text: string) => (shadow ? text.split(shadow).join(projectDir) : text);
    let graph: CompiledGraph;
    try {
      graph = JSON.parse(child.stdout) as CompiledGraph;
    } catch {
      const detail =
        restore(stripVTControlCharacters(child.stderr || child.stdout).trim()) || `exit code ${child.code}`;
      return fail(`The Dataform compiler failed for ${projectDir}: ${detail}`);
    }
    graph = JSON.parse(restore(JSON.stringify(graph))) as CompiledGraph;
    await writeCache(cacheFile, graph);
    return outcomeOf(graph, false, elapsed(), note);
  } finally {
    if (shadow) await rm(shadow, { recursive: true, force: true });
  }
}

type CacheKey =
  | {
      ok: true;
      hash: string;
      files: ProjectFile[];
      vars: Record<string, string>;
      pinsCore: boolean;
      inPlace: boolean;
      /** Why and with which core version a project compiles as a copy; none in place. */
      note?: string;
    }
  | { ok: false; message: string };

/**
 * The sha256 a compile is cached under: the core version, the vars, the overrides, and the relative paths and
 * contents of workflow_settings.yaml, definitions/** and includes/**.
 */
export async function compileCacheKey(
  projectDir: string,
  vars: Record<string, string> = {},
  overrides: string[] = [],
): Promise<CacheKey> {
  const files = await projectFiles(projectDir);
  if (!files.some((f) => SETTINGS_FILES.includes(f.path))) {
    return {
      ok: false,
      message: `${projectDir} is not a Dataform project: it has no workflow_settings.yaml. Pass the project folder, e.g. \`bambuzled compile path/to/project\`.`,
    };
  }
  const projectCore = join(projectDir, 'node_modules', '@dataform', 'core');
  const settings = files.find((f) => f.path === 'workflow_settings.yaml')?.content.toString('utf8') ?? '';
  const pinsCore = /^dataformCoreVersion\s*:/m.test(settings);
  // With its own package.json and core (and no pinned version, which makes the stock CLI install
  // from the registry) the project compiles in place; any other compiles as a copy wired to our core.
  const inPlace =
    !pinsCore && existsSync(join(projectDir, 'package.json')) && existsSync(join(projectCore, 'bundle.js'));
  const coreVersion = await readVersion(inPlace ? projectCore : ownCoreDir);
  const pinned = /^dataformCoreVersion\s*:\s*["']?([^\s"'#]*)/m.exec(settings)?.[1];
  const why = pinsCore
    ? `workflow_settings.yaml pins dataformCoreVersion ${pinned ?? ''}, which the stock CLI would install from the registry`
    : existsSync(join(projectCore, 'bundle.js'))
      ? 'the project has no package.json'
      : 'the project has none installed';
  const note = inPlace ? undefined : `Compiled with bambuzled's @dataform/core ${coreVersion} (${why}).`;
  const sortedVars = Object.fromEntries(
    Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      coreVersion,
      vars: sortedVars,
      inPlace,
      ...(overrides.length > 0 ? { overrides } : {}),
    }),
  );
  for (const file of files) hash.update(`\0${file.path}\0${file.content.length}\0`).update(file.content);
  return {
    ok: true,
    hash: hash.digest('hex'),
    files,
    vars: sortedVars,
    pinsCore,
    inPlace,
    ...(note ? { note } : {}),
  };
}

function outcomeOf(
  graph: CompiledGraph,
  fromCache: boolean,
  durationMs: number,
  note: string | undefined,
): CompileOutcome {
  const errors = readableCompilationErrors(graph.graphErrors?.compilationErrors ?? [], graph);
  if (errors.length === 0) return { ok: true, graph, fromCache, durationMs, ...(note ? { note } : {}) };
  const message = `Compilation failed with ${errors.length} error(s): ${formatCompilationErrors(errors).join('; ')}`;
  return { ok: false, errors, message, durationMs };
}

interface ProjectFile {
  /** Relative, with forward slashes. */
  path: string;
  content: Buffer;
}

/** The files a compile reads: settings, definitions/** and includes/**, sorted by path. */
async function projectFiles(projectDir: string): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  for (const name of SETTINGS_FILES) {
    const content = await readFile(join(projectDir, name)).catch(() => undefined);
    if (content) files.push({ path: name, content });
  }
  for (const dir of SOURCE_DIRS) {
    const entries = await readdir(join(projectDir, dir), { recursive: true, withFileTypes: true }).catch(
      () => [],
    );
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      files.push({ path: relative(projectDir, full).split(sep).join('/'), content: await readFile(full) });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A temp copy of the project with our @dataform/core inside it. Copies, not symlinks: the stock
 * compiler's sandbox (vm2) refuses to load any file whose real path is outside the project folder.
 * A pinned dataformCoreVersion is dropped from the copy, since honouring it means an npm install.
 */
async function shadowProject(files: ProjectFile[], pinsCore: boolean): Promise<string> {
  const shadow = await mkdtemp(join(tmpdir(), 'bambuzled-compile-'));
  for (const file of files) {
    const target = join(shadow, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const content =
      file.path === 'workflow_settings.yaml' && pinsCore
        ? Buffer.from(file.content.toString('utf8').replace(/^dataformCoreVersion\s*:.*$/m, ''))
        : file.content;
    await writeFile(target, content);
  }
  const core = join(shadow, 'node_modules', '@dataform', 'core');
  await mkdir(core, { recursive: true });
  await copyFile(join(ownCoreDir, 'package.json'), join(core, 'package.json'));
  await cp(join(ownCoreDir, 'bundle.js'), join(core, 'bundle.js'));
  await writeFile(
    join(shadow, 'package.json'),
    JSON.stringify({ private: true, dependencies: { '@dataform/core': await readVersion(ownCoreDir) } }),
  );
  return shadow;
}

async function writeCache(cacheFile: string, graph: CompiledGraph): Promise<void> {
  try {
    await mkdir(dirname(cacheFile), { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(graph));
    await rename(temp, cacheFile);
    await pruneCache(dirname(cacheFile), KEEP_CACHED_GRAPHS);
  } catch {
    // A read-only project still compiles; it just does not get faster the second time.
  }
}

/** How many compiled graphs a project keeps: enough to flip between branches or vars without recompiling. */
const KEEP_CACHED_GRAPHS = 20;

async function pruneCache(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= keep) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, at: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => b.at - a.at);
  await Promise.all(dated.slice(keep).map(({ n }) => rm(join(dir, n), { force: true })));
}

async function readVersion(packageDir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: string };
  return json.version ?? '0.0.0';
}

function runNode(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => done({ code: null, stdout: '', stderr: error.message }));
    child.on('close', (code, signal) =>
      done({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: signal
          ? `the compiler was stopped (${signal}) after ${timeoutMs} ms`
          : Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
