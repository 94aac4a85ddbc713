/**
 * The runner: selected actions in dependency order, one at a time (SQLite has one writer), each in
 * its own transaction. Failures are recorded as data; dependants of a failure are skipped.
 */
import type { SqliteDatabase } from '../lib/sqlite.js';
import { type ActionContext, dropStages } from './action-context.js';
import { declarationsByKey, graphActions } from './graph-actions.js';
import { refRewriterFor } from './names.js';
import { formatCompilationErrors, readableCompilationErrors } from './readable-errors.js';
import { runAction } from './run-action.js';
import { lastActionOutcome, recordRun } from './run-history.js';
import { selectActions } from './select-actions.js';
import type { SqlExecutor } from './sql-executor.js';
import { sqliteExecutor } from './sqlite-executor.js';
import type { ActionResult, CompiledGraph, RunResult, Selection, Target } from './types.js';

/**
 * How to run a compiled graph. `runGraph` is synchronous (better-sqlite3): each action runs in its
 * own transaction; the run history and `recordWith` are written in one more at the end.
 */
export interface RunOptions {
  db: SqliteDatabase;
  /** Executes the SQL; defaults to SQLite on `db`. The run history is always written to `db`. */
  executor?: SqlExecutor;
  /** Which actions to run; everything when empty. */
  selection?: Selection;
  /** Rebuild incremental tables from scratch (except protected ones). */
  fullRefresh?: boolean;
  /** Run everything inside one transaction and roll it back: changes nothing, records nothing. */
  dryRun?: boolean;
  /** Who started the run: 'cli', 'sensor', 'manual' (the default), ... (stored in the history). */
  trigger?: string;
  /**
   * Called as each action ends, in order, for progress output. Throwing from it stops the run: the
   * error propagates, actions already finished stay committed, and the run is not recorded (the
   * scheduler uses this when it loses its run lock).
   */
  onActionEnd?: (result: ActionResult) => void;
  /**
   * Called inside the transaction that records the run, so that a caller can commit its own state
   * (the sensor's cursor) atomically with the run's record. Not called for a dry run or a run that
   * could not start. If it throws, nothing is recorded and runGraph rethrows.
   */
  recordWith?: (db: SqliteDatabase, result: RunResult) => void;
  /** What to tell a user whose declared source is missing (which service or command creates it). */
  missingSourceHint?: (target: Target) => string;
  /** The clock for timestamps and durations. */
  now?: () => Date;
}

/**
 * Runs the selected actions of a compiled graph against SQLite, in dependency order. Failures are
 * data: a failed action, and a run that could not start (graph errors, a selection that matches
 * nothing; `error` says why), come back as a FAILED result. Only a throwing `recordWith` throws.
 */
export function runGraph(graph: CompiledGraph, options: RunOptions): RunResult {
  const now = options.now ?? (() => new Date());
  const executor = options.executor ?? sqliteExecutor(options.db);
  const started = now();
  const selection = options.selection ?? {};
  const base = {
    runId: 0,
    trigger: options.trigger ?? 'manual',
    selection,
    fullRefresh: options.fullRefresh ?? false,
    dryRun: options.dryRun ?? false,
    startedAt: started.toISOString(),
  };
  const refuse = (error: string): RunResult => ({
    ...base,
    status: 'FAILED',
    endedAt: now().toISOString(),
    durationMs: now().getTime() - started.getTime(),
    actions: [],
    error,
  });

  const errors = graph.graphErrors?.compilationErrors ?? [];
  if (errors.length > 0) {
    const readable = formatCompilationErrors(readableCompilationErrors(errors, graph));
    return refuse(`The graph has compilation errors: ${readable.join('; ')}`);
  }
  const selected = selectActions(graphActions(graph), selection);
  if (!selected.ok) return refuse(selected.message);

  const context: ActionContext = {
    graph,
    executor,
    fullRefresh: base.fullRefresh,
    declarations: declarationsByKey(graph),
    rewrite: refRewriterFor(graph),
    missingSourceHint: options.missingSourceHint,
    now,
    written: new Map(),
    stages: new Set(),
    lastOutcome: (name) => lastActionOutcome(options.db, name),
  };
  const runAll = () => {
    const results = new Map<string, ActionResult>();
    const ordered: ActionResult[] = [];
    try {
      for (const action of selected.actions) {
        const result = runAction(action, results, context);
        results.set(action.key, result);
        ordered.push(result);
        options.onActionEnd?.(result);
      }
    } finally {
      dropStages(context);
    }
    return ordered;
  };
  const actions = base.dryRun ? executor.rolledBack(runAll) : runAll();

  const ended = now();
  const result: RunResult = {
    ...base,
    status: actions.every((a) => a.status === 'SUCCESSFUL' || a.status === 'DISABLED')
      ? 'SUCCESSFUL'
      : 'FAILED',
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - started.getTime(),
    actions,
  };
  if (base.dryRun) return result;
  return options.db
    .transaction(() => {
      result.runId = recordRun(options.db, result);
      options.recordWith?.(options.db, result);
      return result;
    })
    .immediate();
}
