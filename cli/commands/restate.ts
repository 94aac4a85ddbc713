import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compileProject, EngineError, openEngine, runGraph } from '../../adapter/index.js';
import {
  archiveDirFor,
  archiveFiles,
  isFresh,
  listenerHealthPath,
  RestateError,
  readListenerHealth,
  restateRawLayer,
} from '../../ingestion/index.js';
import { DatabaseOpenError, openDatabase, type SqliteDatabase } from '../../lib/index.js';
import { configDbFileAt, DEFAULT_CONFIG_PATH, resolveDbPath } from '../db-path.js';
import { engineCompileVars } from '../engine-vars.js';
import { DATE_HINT, parseUserDate } from '../parse-date.js';
import { collectList, formatCompileErrors } from './compile.js';
import { formatRunSummary, missingSourceHint } from './run.js';

export interface RestateFlags {
  db?: string;
  printer?: string[];
  since?: string;
  reason?: string;
  archive?: string;
  config: string;
  force?: boolean;
  run: boolean;
}

/**
 * `bambuzled restate [project-dir]`: rebuilds the raw layer from the report archive (ingestion's
 * restateRawLayer), then re-runs the graph with --full-refresh, as `bambuzled run --full-refresh`
 * would. Returns the exit code: 0 done, 1 the run failed, 2 nothing could be restated.
 */
export async function runRestate(projectDir: string, flags: RestateFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseUserDate(flags.since);
  if (flags.since !== undefined && since === undefined) {
    console.error(`--since must be ${DATE_HINT}, not "${flags.since}".`);
    return 2;
  }
  const dbPath = resolveDbPath(flags.db, process.env, configDbFileAt(flags.config));
  const archiveDir =
    flags.archive ??
    process.env.BAMBUZLED_ARCHIVE_DIR ??
    configArchiveDir(flags.config) ??
    archiveDirFor(dbPath);
  const health = readListenerHealth(listenerHealthPath(dbPath));
  if (health && isFresh(health, new Date()) && !flags.force) {
    console.error(
      `The listener (pid ${health.pid}) is writing to ${dbPath}: stop it first, so that no report arrives ` +
        'between the replay and the swap, or pass --force to restate anyway.',
    );
    return 2;
  }
  // Checked before the database is opened, so that nothing is created when there is nothing to replay.
  const archived = archiveFiles(archiveDir, flags.printer);
  if (archived.length === 0) {
    console.error(
      `No archived reports${flags.printer?.length ? ` for the printer(s) ${flags.printer.join(', ')}` : ''} in ${archiveDir}. ` +
        'The listener archives every report it receives; restate needs that archive (pass --archive if it lives elsewhere).',
    );
    return 2;
  }
  // A lost database is rebuilt from the archive alone (its printers' certificates are trusted anew).
  if (!existsSync(dbPath))
    console.error(`The database ${dbPath} does not exist: building it from the archive.`);
  let db: SqliteDatabase;
  try {
    db = openDatabase(dbPath);
  } catch (error) {
    if (!(error instanceof DatabaseOpenError)) throw error;
    console.error(error.message);
    return 2;
  }
  try {
    let skipped = 0;
    const result = restateRawLayer({
      db,
      dbPath,
      archiveDir,
      ...(flags.printer && flags.printer.length > 0 ? { printers: flags.printer } : {}),
      ...(since ? { since } : {}),
      reason: flags.reason ?? 'bambuzled restate',
      onDamage: (message) => {
        skipped += 1;
        console.error(message);
      },
    });
    console.log(
      `Restated ${result.printers.length} printer(s) from ${archiveDir}: ${result.reports} report(s) replayed` +
        `${skipped > 0 ? `, ${skipped} damaged block(s) or line(s) skipped` : ''}; ` +
        `${result.jobsReplaced} job row(s) replaced by ${result.jobsWritten}.`,
    );
    if (!flags.run) return 0;
    const compiled = await compileProject({ projectDir, vars: engineCompileVars(dbPath) });
    if (!compiled.ok) {
      console.error(formatCompileErrors(compiled));
      console.error(
        'The raw layer is restated; run `bambuzled run --full-refresh` once the project compiles.',
      );
      return 1;
    }
    // The graph runs through the engine, as `bambuzled run --full-refresh` does (and under its lock).
    const engine = openEngine(dbPath);
    const executor = await engine.connect();
    let run: Awaited<ReturnType<typeof runGraph>>;
    try {
      run = await runGraph(compiled.graph, {
        executor,
        dialect: engine.dialect,
        selection: { includeDeps: false, includeDependents: false },
        fullRefresh: true,
        dryRun: false,
        trigger: 'restate',
        missingSourceHint,
      });
    } finally {
      await executor.close();
    }
    if (run.error) console.error(run.error);
    console.log(formatRunSummary(run));
    return run.status === 'SUCCESSFUL' ? 0 : 1;
  } catch (error) {
    if (error instanceof RestateError || error instanceof EngineError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    db.close();
  }
}

/** The config's archive_dir, read the way db-path.ts reads db_file: a broken config means "no answer". */
function configArchiveDir(path: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as { archive_dir?: unknown };
    return typeof config.archive_dir === 'string' && config.archive_dir !== ''
      ? config.archive_dir
      : undefined;
  } catch {
    return undefined;
  }
}

export function registerRestate(program: Command): void {
  program
    .command('restate')
    .description(
      'Rebuild the raw layer from the report archive with the current state machine, then re-run the graph with --full-refresh.',
    )
    .argument('[project-dir]', 'the Dataform project to re-run', '.')
    .option('--db <path>', "the SQLite file (else BAMBUZLED_DB, the config's db_file, data/print_history.db)")
    .option('--printer <serial...>', 'only these printers (repeat or comma-separate)', collectList)
    .option('--since <date>', 'replace only the jobs started from then on (YYYY-MM-DD or ISO-8601)')
    .option('--reason <text>', 'why, recorded with the restatement and shown on the docs site')
    .option('--archive <dir>', 'the report archive (default: archive_dir, else beside the database)')
    .option('--config <path>', 'the listener config, for db_file and archive_dir', DEFAULT_CONFIG_PATH)
    .option('--force', 'restate even while a listener writes to the database')
    .option('--no-run', 'restate the raw layer only; do not re-run the graph')
    .action(async (projectDir: string, flags: RestateFlags) => {
      process.exitCode = await runRestate(resolve(projectDir), flags);
    });
}
