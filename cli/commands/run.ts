import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type ActionResult,
  displayNameOf,
  EngineError,
  isServerUrl,
  type LockHolder,
  RunHistory,
  RunLock,
  type RunResult,
  runGraph,
  type Target,
} from '../../adapter/index.js';
import { connect } from '../connect.js';
import { resolveDbPath } from '../db-path.js';
import { parseDuration } from '../duration.js';
import { engineCompileVars } from '../engine-vars.js';
import { collectList, formatCompileErrors, parseVars } from './compile.js';
import { type CompileFlags, compileWithFlags, sqliteNotes, withOverrideFlags } from './compile-flags.js';
import { formatTestResults, unitTestsOf } from './test.js';

interface RunFlags extends CompileFlags {
  tags?: string[];
  actions?: string[];
  includeDeps?: boolean;
  includeDependents?: boolean;
  fullRefresh?: boolean;
  dryRun?: boolean;
  vars?: string[];
  json?: boolean;
  db?: string;
  wait?: boolean;
  executionTimeout?: string;
  runTests?: boolean;
  actionRetryLimit?: string;
}

/** The run lock's lease (what counts on another host): renewed every third of it while the run goes on. */
const LOCK_TTL_MS = 10 * 60_000;
/** How often a run that waits for the lock looks again. */
const LOCK_POLL_MS = 250;

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
    case 'CANCELLED':
      return err(`${noun} cancelled:  ${label} ${seconds}: ${result.error ?? 'the run was cancelled'}`);
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
  const cancelled = count('CANCELLED') > 0 ? `, ${count('CANCELLED')} cancelled` : '';
  const id = result.runId > 0 ? ` (run ${result.runId} in \`bambuzled runs\`)` : '';
  return `${what} ${result.status}${refresh} in ${((result.durationMs ?? 0) / 1000).toFixed(1)}s: ${count('SUCCESSFUL')} succeeded, ${count('FAILED')} failed${cancelled}, ${count('SKIPPED')} skipped, ${count('DISABLED')} disabled${tail}${id}`;
}

/** The selection as the run flags that make it (`--tags bronze --include-dependents`), or `(everything)`. */
export function selectionText(run: Pick<RunResult, 'selection' | 'fullRefresh'>): string {
  const { selection } = run;
  const flags = [
    ...(selection.tags?.length ? [`--tags ${selection.tags.join(',')}`] : []),
    ...(selection.actions?.length ? [`--actions ${selection.actions.join(',')}`] : []),
    ...(selection.includeDeps ? ['--include-deps'] : []),
    ...(selection.includeDependents ? ['--include-dependents'] : []),
    ...(run.fullRefresh ? ['--full-refresh'] : []),
  ];
  return flags.length > 0 ? flags.join(' ') : '(everything)';
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
  const command = program
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
      '--execution-timeout <duration>',
      'cancel the run when it has taken this long (e.g. 90s, 10m, 1h30m), like dataform run',
    )
    .option('--no-wait', 'refuse to run, naming the run in progress, instead of waiting for it to finish')
    .option('--run-tests', "require the project's unit tests to pass before any action runs")
    .option(
      '--action-retry-limit <n>',
      'retry a failed action (not operations) up to n times, like dataform run',
      '0',
    )
    .option(
      '--db <path>',
      'the SQLite database (default: BAMBUZLED_DB, the config db_file, data/print_history.db)',
    );
  withOverrideFlags(command).action(async (projectDir: string, flags: RunFlags) => {
    process.exitCode = await runCommand(projectDir, flags);
  });
}

async function runCommand(projectDir: string, flags: RunFlags): Promise<number> {
  const dbPath = resolveDbPath(flags.db);
  const created = !isServerUrl(dbPath) && !existsSync(dbPath);
  if (created && flags.dryRun) {
    console.error(
      `The database ${dbPath} does not exist, and a dry run creates nothing. Run without --dry-run to create it, or pass --db with the path of an existing database.`,
    );
    return 2;
  }
  const timeoutMs = flags.executionTimeout === undefined ? undefined : parseDuration(flags.executionTimeout);
  if (flags.executionTimeout !== undefined && timeoutMs === undefined) {
    console.error(
      `--execution-timeout expects a duration such as 90s, 10m or 1h30m; got "${flags.executionTimeout}".`,
    );
    return 2;
  }
  const retryLimit = Number(flags.actionRetryLimit ?? '0');
  if (!Number.isInteger(retryLimit) || retryLimit < 0) {
    console.error(`--action-retry-limit expects a whole number, 0 or more; got "${flags.actionRetryLimit}".`);
    return 2;
  }
  const parsed = parseVars(flags.vars);
  if (!parsed.ok) {
    console.error(parsed.message);
    return 1;
  }
  const flagged = await compileWithFlags(projectDir, {
    ...flags,
    vars: engineCompileVars(dbPath, parsed.vars),
  });
  if (!flagged.ok) {
    console.error('message' in flagged ? flagged.message : formatCompileErrors(flagged.outcome));
    return flagged.exitCode;
  }
  const compiled = flagged.outcome;
  const say = (text: string) => {
    if (!flags.json) console.log(text);
  };
  if (compiled.note && !flags.json) console.error(compiled.note);
  for (const note of sqliteNotes(flags)) if (!flags.json) console.error(note);
  say(`Compiled in ${(compiled.durationMs / 1000).toFixed(2)}s${compiled.fromCache ? ' (from cache)' : ''}.`);
  if (flags.runTests) {
    const tests = await unitTestsOf(compiled.graph);
    if (!flags.json) for (const line of formatTestResults(tests)) console.log(line);
    if (tests.some((t) => t.status === 'FAILED')) {
      console.error(
        'Not running: a unit test failed (--run-tests requires them all to pass). Nothing was built.',
      );
      return 1;
    }
  }

  // Opened after a clean compile, so that a broken project leaves no empty database behind.
  const opened = await connect(dbPath);
  if (!opened.ok) {
    console.error(opened.message);
    return 2;
  }
  const { engine, executor } = opened;
  if (created) console.error(`Created the database ${dbPath} (it did not exist).`);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: the user really means it
    console.error(`\n${signal}: cancelling the run (the action in flight is rolled back)...`);
    stop.abort(`interrupted by ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => stop.abort(`the run took longer than --execution-timeout ${flags.executionTimeout}`),
          timeoutMs,
        );
  let control: Awaited<ReturnType<typeof engine.connect>> | undefined;
  let lock: RunLock | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    // A dry run rolls everything back in one transaction and takes no lock (that would be a write).
    if (!flags.dryRun) {
      // The lease is kept on a connection of its own, so that it is renewed during a long statement.
      control = await engine.connect();
      lock = new RunLock({ executor: control, ttlMs: LOCK_TTL_MS });
      const waited = await acquireLock(lock, new RunHistory(control), flags, stop.signal);
      if (waited !== undefined) return waited;
      heartbeat = setInterval(() => {
        lock?.heartbeat().then(
          (ours) => ours || stop.abort('another process took over the run lock'),
          () => undefined, // a busy moment; the lease outlasts a missed beat
        );
      }, LOCK_TTL_MS / 3);
    }
    say(
      flags.dryRun
        ? 'Dry run (everything is rolled back at the end)...'
        : `Running against ${engine.location}...`,
    );
    const result = await runGraph(compiled.graph, {
      executor,
      dialect: engine.dialect,
      ...(lock ? { lock } : {}),
      selection: {
        ...(flags.tags ? { tags: flags.tags } : {}),
        ...(flags.actions ? { actions: flags.actions } : {}),
        includeDeps: flags.includeDeps ?? false,
        includeDependents: flags.includeDependents ?? false,
      },
      fullRefresh: flags.fullRefresh ?? false,
      dryRun: flags.dryRun ?? false,
      trigger: 'cli',
      signal: stop.signal,
      actionRetryLimit: retryLimit,
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
    } else {
      if (result.error) console.error(result.error);
      if (result.actions.length > 0 || !result.error) say(formatRunSummary(result));
    }
    if (result.status === 'SUCCESSFUL') return 0;
    return result.status === 'CANCELLED' && /interrupted by/.test(result.error ?? '') ? 130 : 1;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    console.error(error.message);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (timer) clearTimeout(timer);
    if (heartbeat) clearInterval(heartbeat);
    await lock?.release().catch(() => undefined);
    await control?.close();
    await executor.close();
  }
}

/**
 * Takes the run lock, waiting for a run in progress unless --no-wait; returns an exit code when the
 * run must not go ahead, undefined once the lock is ours.
 */
async function acquireLock(
  lock: RunLock,
  history: RunHistory,
  flags: RunFlags,
  signal: AbortSignal,
): Promise<number | undefined> {
  let said = false;
  for (;;) {
    const outcome = await lock.tryAcquire(`bambuzled run (pid ${process.pid})`);
    if (outcome.acquired) return undefined;
    const which = await describeHolder(history, outcome.holder);
    if (flags.wait === false) {
      console.error(
        `Not running: ${which} is in progress (--no-wait). Run again when it has finished, or without --no-wait to wait for it.`,
      );
      return 1;
    }
    if (!said && !flags.json) console.error(`Waiting for ${which} to finish...`);
    said = true;
    if (signal.aborted) return 130;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    if (signal.aborted) return 130;
  }
}

/** "run 12 (bambuzled run, pid 4711 on host, since ...)" for messages. */
async function describeHolder(history: RunHistory, holder: LockHolder): Promise<string> {
  const runId = await history.runningRunOf(holder.owner).catch(() => undefined);
  const what = runId === undefined ? 'another run' : `run ${runId}`;
  return `${what} (${holder.purpose}, pid ${holder.pid} on ${holder.hostname}, since ${holder.acquiredAt})`;
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
