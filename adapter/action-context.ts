/**
 * The state one run shares across its actions: where statements go, what merges wrote, the staging
 * tables they made, and whether the run has been asked to stop.
 */
import type { Dialect, WrittenRows } from './engine/dialect.js';
import { EngineError, type Statements } from './engine/executor.js';
import type { RunHistory } from './run-history.js';
import type { CompiledGraph, GraphDeclaration, Target } from './types.js';

export interface ActionContext {
  graph: CompiledGraph;
  /** Where the actions' statements go: the executor, or a dry run's rolled-back transaction. */
  db: Statements;
  dialect: Dialect;
  history: RunHistory;
  /** The run's id in the history; 0 for a dry run, whose actions are not recorded. */
  runId: number;
  fullRefresh: boolean;
  declarations: Map<string, GraphDeclaration>;
  /** The names of each dataset's built-in assertions, by the dataset's target key. */
  builtInAssertions: Map<string, string[]>;
  rewrite: (sql: string) => string;
  missingSourceHint: ((target: Target) => string) | undefined;
  now: () => Date;
  signal: AbortSignal | undefined;
  /** The rows each incremental table merged in this run wrote, by target key. */
  written: Map<string, WrittenRows>;
  /** The staging tables this run's merges created (dropped when the run ends). */
  stages: Set<string>;
  /**
   * The declared sources this run has found in place, by name: each is looked up once per run, not
   * by every action that reads it (nothing of a run drops a declared source).
   */
  presentSources: Set<string>;
}

/** Stops between two statements when the run has been cancelled. */
export function throwIfCancelled(context: ActionContext): void {
  if (context.signal?.aborted) throw new EngineError('cancelled', cancelReason(context.signal));
}

/** Why the run was stopped, in words. */
export function cancelReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return typeof reason === 'string' ? reason : 'the run was cancelled';
}

/** The staging tables live on the run's connection until the run ends; drop them then. */
export async function dropStages(context: ActionContext): Promise<void> {
  const drops = [...context.stages].map((stage) => ({ sql: context.dialect.dropStage(stage) }));
  try {
    // One request for all of them.
    if (drops.length > 0) await context.db.batch(drops);
  } catch {
    // A leftover staging table vanishes with the connection, and the next merge drops it first.
  }
  context.stages.clear();
  context.written.clear();
  context.presentSources.clear();
}
