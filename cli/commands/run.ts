import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type ActionResult,
  compileProject,
  displayNameOf,
  type RunResult,
  runGraph,
  type Target,
} from '../../adapter/index.js';
import { DatabaseOpenError, openDatabase, type SqliteDatabase } from '../../lib/sqlite.js';
import { resolveDbPath } from '../db-path.js';
import { collectList, formatCompileErrors, parseVars } from './compile.js';

interface RunFlags {
  tags?: string[];
  actions?: string[];
  includeDeps?: boolean;
  includeDependents?: boolean;
  fullRefresh?: boolean;
  dryRun?: boolean;
  vars?: string[];
  json?: boolean;
  db?: string;
}

/** How an action's line reads: a dry run says what would have happened, and that it was a dry run. */
export interface FormatOptions {
  dryRun?: boolean;
}

/** One progress line (or block) for an action that ended, and where it goes. */
export function formatActionResult(
  result: ActionResult,
  options: FormatOptions = {},
): { stream: 'stdout' | 'stderr'; text: string } {
  const seconds = `${(result.durationMs / 1000).toFixed(2)}s`;
  const dataset = result.kind !== 'assertion' && result.kind !== 'operations';
  // Every line of a dry run carries the mark right after the name, whatever happened to the action.
  const label = `${dataset ? `${result.name} [${result.kind}]` : result.name}${options.dryRun ? ' (dry run)' : ''}`;
  const noun = dataset ? 'Dataset creation' : result.kind === 'assertion' ? 'Assertion' : 'Operation';
  // Built-in assertions of an incremental merge check only the rows that merge wrote: say so.
  const scope =
    result.scope === 'written-rows' ? ` (checked the ${result.checkedRows ?? 0} row(s) this run wrote)` : '';
  switch (result.status) {
    case 'SUCCESSFUL': {
      const rows = result.rowsAffected === null ? '' : `, ${result.rowsAffected} row(s)`;
      const headline = successHeadline(result, options.dryRun ?? false);
      if (result.kind === 'assertion') return out(`${headline}  ${label} ${seconds}${scope}`);
      if (result.kind === 'view') return out(`${headline}  ${label} ${seconds}`);
      return out(`${headline}  ${label} ${seconds}${rows}`);
    }
    case 'DISABLED':
      return out(`${noun} disabled:  ${label}`);
    case 'SKIPPED': {
      const verb = dataset
        ? 'dataset creation'
        : result.kind === 'assertion'
          ? 'assertion execution'
          : 'operation execution';
      return out(`Skipping ${verb}:  ${label}: ${result.error ?? 'a dependency did not succeed'}`);
    }
    case 'FAILED': {
      if (result.failingRows) {
        return err(
          [
            `Assertion failed:  ${label} ${seconds}, ${result.failingRows.count} row(s)${scope}`,
            indent(rowsTable(result.failingRows.sample), '    '),
            options.dryRun
              ? '    (the dry run rolled back the view that held the failing rows)'
              : `    (the failing rows stay queryable in the view "${result.sqliteName}")`,
          ].join('\n'),
        );
      }
      const sql = result.failedSql ? `\n${numberedSql(result.failedSql)}` : '';
      return err(`${noun} failed:  ${label} ${seconds}${sql}\n    ${result.error ?? 'unknown error'}`);
    }
  }
}

/** What a successful action did (`Table created:`), or for a dry run what it would have done. */
function successHeadline(result: ActionResult, dryRun: boolean): string {
  const merged = result.kind === 'incremental' && result.mode === 'merged';
  if (dryRun) {
    if (result.kind === 'assertion') return 'Assertion would pass:';
    if (result.kind === 'operations') return 'Operation would run:';
    if (result.kind === 'view') return 'Would create view:';
    return merged ? 'Would update incremental table:' : 'Would create table:';
  }
  if (result.kind === 'assertion') return 'Assertion passed:';
  if (result.kind === 'operations') return 'Operation completed successfully:';
  if (result.kind === 'view') return 'View created:';
  return merged ? 'Incremental table updated:' : 'Table created:';
}

/**
 * `Run SUCCESSFUL in 0.4s: 5 succeeded, 0 failed, 0 skipped, 1 disabled`; `Run SUCCESSFUL (full
 * refresh) in ...` for a full refresh; `Dry run SUCCESSFUL in ...: ...; nothing was changed` for a dry run.
 */
export function formatRunSummary(result: RunResult): string {
  const count = (status: ActionResult['status']) => result.actions.filter((a) => a.status === status).length;
  const what = result.dryRun ? 'Dry run' : 'Run';
  const refresh = result.fullRefresh ? ' (full refresh)' : '';
  const tail = result.dryRun ? ' (rolled back: nothing was changed or recorded)' : '';
  return `${what} ${result.status}${refresh} in ${(result.durationMs / 1000).toFixed(1)}s: ${count('SUCCESSFUL')} succeeded, ${count('FAILED')} failed, ${count('SKIPPED')} skipped, ${count('DISABLED')} disabled${tail}`;
}

/** The raw layer's tables, which the listener creates (ingestion/raw-schema.ts). */
const RAW_TABLES = new Set(['jobs_raw', 'job_events_raw', 'printers_raw']);

/** What the CLI tells a user whose declared source is missing from the database. */
export function missingSourceHint(target: Target): string {
  if (RAW_TABLES.has(target.name)) {
    return `Create ${displayNameOf(target)} first: it is one of the raw tables, which the listener creates (\`bambuzled listen\` or \`bambuzled start\`); or pass --db with the database that has it.`;
  }
  return `Create ${displayNameOf(target)} first, or pass --db with the database that has it.`;
}

/** `bambuzled run [project-dir] [--tags T...] [--actions A...] ...`, mirroring `dataform run`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Compile a Dataform project and run its actions against the SQLite database.')
    .argument('[project-dir]', 'the Dataform project folder', '.')
    .option(
      '--tags <tag...>',
      'run the actions with any of these tags (repeat or comma-separate)',
      collectList,
    )
    .option('--actions <name...>', 'run these actions: name or schema.name, * wildcards allowed', collectList)
    .option('--include-deps', 'also run the dependencies of the selected actions, transitively')
    .option('--include-dependents', 'also run the actions that depend on the selected ones, transitively')
    .option('--full-refresh', 'rebuild incremental tables from scratch (except protected ones)')
    .option(
      '--dry-run',
      'run everything inside a transaction that is rolled back: changes and records nothing',
    )
    .option(
      '--vars <k=v...>',
      'project variables, overriding workflow_settings.yaml (k=v,k2=v2)',
      collectList,
    )
    .option('--json', 'print only the run result, as one JSON document')
    .option(
      '--db <path>',
      'the SQLite database (default: BAMBUZLED_DB, the config db_file, data/print_history.db)',
    )
    .action(async (projectDir: string, flags: RunFlags) => {
      process.exitCode = await runCommand(projectDir, flags);
    });
}

async function runCommand(projectDir: string, flags: RunFlags): Promise<number> {
  const dbPath = resolveDbPath(flags.db);
  const created = !existsSync(dbPath);
  if (created && flags.dryRun) {
    console.error(
      `The database ${dbPath} does not exist, and a dry run creates nothing. Run without --dry-run to create it, or pass --db with the path of an existing database.`,
    );
    return 2;
  }
  const parsed = parseVars(flags.vars);
  if (!parsed.ok) {
    console.error(parsed.message);
    return 1;
  }
  const compiled = await compileProject({ projectDir, vars: parsed.vars });
  if (!compiled.ok) {
    console.error(formatCompileErrors(compiled));
    return 1;
  }
  const say = (text: string) => {
    if (!flags.json) console.log(text);
  };
  if (compiled.note && !flags.json) console.error(compiled.note);
  say(`Compiled in ${(compiled.durationMs / 1000).toFixed(2)}s${compiled.fromCache ? ' (from cache)' : ''}.`);

  let db: SqliteDatabase;
  try {
    db = openDatabase(dbPath);
  } catch (error) {
    if (!(error instanceof DatabaseOpenError)) throw error;
    console.error(error.message);
    return 2;
  }
  // Created after a clean compile, so that a broken project leaves no empty database behind.
  if (created) console.error(`Created the database ${dbPath} (it did not exist).`);
  say(flags.dryRun ? 'Dry run (everything is rolled back at the end)...' : `Running against ${dbPath}...`);
  try {
    const result = runGraph(compiled.graph, {
      db,
      selection: {
        ...(flags.tags ? { tags: flags.tags } : {}),
        ...(flags.actions ? { actions: flags.actions } : {}),
        includeDeps: flags.includeDeps ?? false,
        includeDependents: flags.includeDependents ?? false,
      },
      fullRefresh: flags.fullRefresh ?? false,
      dryRun: flags.dryRun ?? false,
      trigger: 'cli',
      missingSourceHint,
      onActionEnd: (action) => {
        if (flags.json) return;
        const line = formatActionResult(action, { dryRun: flags.dryRun ?? false });
        (line.stream === 'stdout' ? console.log : console.error)(line.text);
        for (const warning of action.warnings ?? []) console.error(`    warning: ${warning}`);
      },
    });
    if (flags.json) {
      console.log(JSON.stringify(result, null, 2));
    } else if (result.error) {
      console.error(result.error);
    } else {
      say(formatRunSummary(result));
    }
    return result.status === 'SUCCESSFUL' ? 0 : 1;
  } finally {
    db.close();
  }
}

function out(text: string) {
  return { stream: 'stdout' as const, text };
}

function err(text: string) {
  return { stream: 'stderr' as const, text };
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

function numberedSql(sql: string): string {
  const lines = sql.split('\n');
  const width = String(lines.length).length;
  return lines.map((line, i) => `    ${String(i + 1).padStart(width)}: ${line}`).join('\n');
}

/** A small text table of failing rows, each cell cut to 40 characters. */
function rowsTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown) => {
    const text =
      value === null || value === undefined
        ? 'NULL'
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    return text.length > 40 ? `${text.slice(0, 39)}…` : text;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join(
    '\n',
  );
}
