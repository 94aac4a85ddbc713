/**
 * The runner: selected actions in dependency order, one at a time, each in its own transaction with
 * its record in the run history. It talks to the engine only through the dialect, the executor and
 * the run-history store. Failures are recorded as data; dependants of a failure are skipped.
 */
import { type ActionContext, cancelReason, dropStages } from './action-context.js';
import { DEFAULT_ENGINE_VAR, type Dialect, ENGINE_VAR } from './engine/dialect.js';
import type { AsyncExecutor, Statements } from './engine/executor.js';
import { sqliteDialect } from './engine/sqlite/sqlite-dialect.js';
import { declarationsByKey, type GraphAction, graphActions } from './graph-actions.js';
import { targetKey } from './names.js';
import { formatCompilationErrors, readableCompilationErrors } from './readable-errors.js';
import { runAction } from './run-action.js';
import { openRunHistory, RunHistory } from './run-history.js';
import { RunLock } from './run-lock.js';
import { selectActions } from './select-actions.js';
import type { ActionResult, CompiledGraph, RunResult, RunStatus, Selection, Target } from './types.js';

/** How long a run lock that runGraph takes itself lasts without a heartbeat. */
const OWN_LOCK_TTL_MS = 10 * 60_000;

export interface RunOptions {
  /** Where the actions run. */
  executor: AsyncExecutor;
  /** The engine's SQL; SQLite's by default. */
  dialect?: Dialect;
  /** The run history of the same database; opened on `executor` when not given. */
  history?: RunHistory;
  /**
   * The run lock, already held by the caller (who may have waited for it). Without one, runGraph
   * takes the lock itself and refuses to run when another run holds it.
   */
  lock?: RunLock;
  /** Which actions to run; everything when empty. */
  selection?: Selection;
  /** Rebuild incremental tables from scratch (except protected ones). */
  fullRefresh?: boolean;
  /** Run everything inside one transaction and roll it back: changes nothing, records nothing. */
  dryRun?: boolean;
  /** Who started the run: 'cli', 'sensor', 'manual' (the default), ... (stored in the history). */
  trigger?: string;
  /**
   * Stops the run: the statement in flight is cancelled and its action rolled back (CANCELLED), the
   * rest are skipped, and the run ends CANCELLED with the signal's reason as its error.
   */
  signal?: AbortSignal;
  /**
   * Retries an action (not an operation, which may not be idempotent) that failed with an error of the
   * engine, up to this many times, as `dataform run --action-retry-limit` does. Every attempt is kept in
   * the history; the result of the last counts.
   */
  actionRetryLimit?: number;
  /** Called as each action ends, in order, for progress output. */
  onActionEnd?: (result: ActionResult) => void | Promise<void>;
  /**
   * Called inside the transaction that records the run's end, so that a caller can commit its own
   * state (the sensor's cursor) atomically with it. Not called for a dry run or a run that could not
   * start. If it rejects, the run's end is not recorded and runGraph rejects.
   */
  recordWith?: (tx: Statements, result: RunResult) => Promise<void>;
  /** What to tell a user whose declared source is missing (which service or command creates it). */
  missingSourceHint?: (target: Target) => string;
  /** The clock for timestamps and durations. */
  now?: () => Date;
}

/**
 * Runs the selected actions of a compiled graph, in dependency order. Failures are data: a failed
 * action, and a run that could not start (graph errors, a selection that matches nothing, another
 * run holding the lock; `error` says why), come back as a FAILED result.
 */
export async function runGraph(graph: CompiledGraph, options: RunOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const { executor } = options;
  const dialect = options.dialect ?? sqliteDialect;
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
  const mismatch = compiledForAnotherEngine(graph, dialect);
  if (mismatch) return refuse(mismatch);
  const selected = selectActions(graphActions(graph, dialect), selection);
  if (!selected.ok) return refuse(selected.message);

  if (base.dryRun) {
    // Everything in one transaction that is rolled back, the history's tables included: a dry run
    // changes nothing, not even on a database that has never been run. It takes no run lock (that
    // would be a write); it holds the database's write lock from start to end instead.
    return executor.rolledBack(async (tx) => {
      const history = new RunHistory(executor, { now, dialect });
      await history.migrate(tx);
      const actions = await runActions(graph, selected.actions, {
        ...options,
        db: tx,
        dialect,
        history,
        runId: 0,
        now,
      });
      return finished(base, 0, actions, options.signal, now);
    });
  }

  const history = options.history ?? (await openRunHistory(executor, { now, dialect }));
  let lock = options.lock;
  let ownLock: RunLock | undefined;
  if (!lock) {
    ownLock = new RunLock({ executor, ttlMs: OWN_LOCK_TTL_MS, now });
    const outcome = await ownLock.tryAcquire(`${base.trigger} run`);
    if (!outcome.acquired) {
      const h = outcome.holder;
      return refuse(
        `Another run holds the run lock (${h.purpose}, pid ${h.pid} on ${h.hostname}, since ${h.acquiredAt}); try again when it has finished.`,
      );
    }
    lock = ownLock;
  }

  try {
    const runId = await history.startRun({ ...base, owner: lock.owner });
    const actions = await runActions(graph, selected.actions, {
      ...options,
      db: executor,
      dialect,
      history,
      runId,
      now,
    });
    const result = finished(base, runId, actions, options.signal, now);
    await executor.transaction(async (tx) => {
      await history.finishRun(tx, result);
      await options.recordWith?.(tx, result);
    });
    return result;
  } finally {
    await ownLock?.release().catch(() => undefined);
  }
}

type ActionOptions = RunOptions & {
  db: Statements;
  dialect: Dialect;
  history: RunHistory;
  runId: number;
  now: () => Date;
};

/** Runs the actions in order; a cancel stops the statement in flight, and the rest are skipped. */
async function runActions(
  graph: CompiledGraph,
  actions: GraphAction[],
  options: ActionOptions,
): Promise<ActionResult[]> {
  const cancel = () => void options.executor.cancel().catch(() => undefined);
  options.signal?.addEventListener('abort', cancel, { once: true });
  const context = contextFor(graph, options);
  const results = new Map<string, ActionResult>();
  const ordered: ActionResult[] = [];
  let seq = 0;
  try {
    for (const action of actions) {
      let result = await runAction(action, seq++, results, context);
      for (let retry = 1; retry <= (options.actionRetryLimit ?? 0) && retryable(action, result); retry++) {
        await options.onActionEnd?.(result);
        result = await runAction(action, seq++, results, context);
      }
      results.set(action.key, result);
      ordered.push(result);
      await options.onActionEnd?.(result);
    }
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    await dropStages(context);
  }
  return ordered;
}

/** A failed attempt worth another: the engine failed (not an assertion), and not an operation. */
function retryable(action: GraphAction, result: ActionResult): boolean {
  return (
    result.status === 'FAILED' &&
    action.kind !== 'operations' &&
    result.failingRows === undefined &&
    result.errorKind !== undefined &&
    result.errorKind !== 'cancelled'
  );
}

/** The run's result once its actions have run. */
function finished(
  base: Pick<RunResult, 'trigger' | 'selection' | 'fullRefresh' | 'dryRun' | 'startedAt'>,
  runId: number,
  actions: ActionResult[],
  signal: AbortSignal | undefined,
  now: () => Date,
): RunResult {
  const ended = now();
  const cancelled = signal?.aborted === true;
  const status: RunStatus = cancelled
    ? 'CANCELLED'
    : actions.every((a) => a.status === 'SUCCESSFUL' || a.status === 'DISABLED')
      ? 'SUCCESSFUL'
      : 'FAILED';
  return {
    ...base,
    runId,
    status,
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - Date.parse(base.startedAt),
    actions,
    ...(cancelled && signal ? { error: `Run cancelled: ${cancelReason(signal)}.` } : {}),
  };
}
function contextFor(graph: CompiledGraph, options: ActionOptions): ActionContext {
  const builtInAssertions = new Map<string, string[]>();
  for (const action of graphActions(graph, options.dialect)) {
    if (action.kind !== 'assertion' || !action.assertion.parentAction) continue;
    const key = targetKey(action.assertion.parentAction);
    builtInAssertions.set(key, [...(builtInAssertions.get(key) ?? []), action.name]);
  }
  return {
    graph,
    db: options.db,
    dialect: options.dialect,
    history: options.history,
    runId: options.runId,
    fullRefresh: options.fullRefresh ?? false,
    declarations: declarationsByKey(graph),
    builtInAssertions,
    rewrite: options.dialect.refRewriter(graph),
    missingSourceHint: options.missingSourceHint,
    now: options.now,
    signal: options.signal,
    written: new Map(),
    stages: new Set(),
    presentSources: new Set(),
  };
}

/**
 * Why a graph cannot run on this engine: it was compiled with another engine's ENGINE_VAR (its SQL is
 * that engine's). A graph compiled without the var is the project's default and runs where it can.
 */
function compiledForAnotherEngine(graph: CompiledGraph, dialect: Dialect): string | undefined {
  const given = graph.projectConfig?.vars?.[ENGINE_VAR];
  if (given === undefined || given === dialect.engineVar) return undefined;
  return `The graph was compiled with --vars ${ENGINE_VAR}=${given} but runs on ${dialect.name}: compile it with --vars ${ENGINE_VAR}=${dialect.engineVar} (bambuzled run does so by itself).`;
}

/**
 * The vars to compile a graph with for this engine: the user's, with ENGINE_VAR over them unless the
 * engine is the default one (whose graph is the stock CLI's, compiled without it).
 */
export function compileVarsFor(
  dialect: Dialect,
  vars: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return dialect.engineVar === DEFAULT_ENGINE_VAR
    ? { ...vars }
    : { ...vars, [ENGINE_VAR]: dialect.engineVar };
}
