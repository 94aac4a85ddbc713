import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { EngineError, isServerUrl, openRunHistory, type RunResult } from '../../adapter/index.js';
import { connect } from '../connect.js';
import { resolveDbPath } from '../db-path.js';
import { selectionText } from './run.js';

interface RunsFlags {
  json?: boolean;
  limit: string;
  db?: string;
}

/** `bambuzled runs [--json] [--limit N] [--db]`: the run history, newest first. */
export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('Show the run history, newest first: each run with its status and its actions.')
    .option('--json', 'print one JSON document: an array of runs, each with its actions')
    .option('--limit <n>', 'how many runs to show', '20')
    .option('--db <path>', 'the database (default: BAMBUZLED_DB, the config db_file, data/print_history.db)')
    .action(async (flags: RunsFlags) => {
      process.exitCode = await runsCommand(flags);
    });
}

async function runsCommand(flags: RunsFlags): Promise<number> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(`--limit expects a whole number of runs, 1 or more; got "${flags.limit}".`);
    return 2;
  }
  const dbPath = resolveDbPath(flags.db);
  if (!isServerUrl(dbPath) && !existsSync(dbPath)) {
    console.error(
      `There is no database at ${dbPath}, so no runs either. Pass --db with the path of your database.`,
    );
    return 2;
  }
  const opened = await connect(dbPath);
  if (!opened.ok) {
    console.error(opened.message);
    return 2;
  }
  try {
    // Opening the history is also what marks the runs whose process died as INTERRUPTED.
    const runs = await (await openRunHistory(opened.executor, { dialect: opened.engine.dialect })).recentRuns(
      limit,
    );
    console.log(flags.json ? JSON.stringify(runs, null, 2) : formatRuns(runs));
    return 0;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    console.error(error.message);
    return 2;
  } finally {
    await opened.executor.close();
  }
}

/** One block per run: its header line, then one line per action that did not simply succeed. */
export function formatRuns(runs: RunResult[]): string {
  if (runs.length === 0) return 'No runs recorded yet.';
  return runs
    .map((run) => {
      const took = run.durationMs === null ? 'running' : `${(run.durationMs / 1000).toFixed(1)}s`;
      const tally = ['SUCCESSFUL', 'FAILED', 'CANCELLED', 'SKIPPED', 'DISABLED']
        .map((status) => [status, run.actions.filter((a) => a.status === status).length] as const)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status.toLowerCase()}`)
        .join(', ');
      const header = `run ${run.runId}  ${run.status.padEnd(11)} ${run.startedAt}  ${took.padStart(8)}  ${run.trigger}  ${selectionText(run)}${tally ? `  (${tally})` : ''}`;
      const notable = run.actions
        .filter((a) => a.status !== 'SUCCESSFUL' && a.status !== 'DISABLED')
        .map((a) => `    ${a.status.padEnd(10)} ${a.name}: ${(a.error ?? '').split('\n')[0]}`);
      const why = run.error ? [`    ${run.error}`] : [];
      return [header, ...why, ...notable].join('\n');
    })
    .join('\n');
}
