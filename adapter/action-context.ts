/**
 * The state one run shares across its actions (what merges wrote, the staging tables they made), and
 * the clean-up of that state when the run ends.
 */
import { qualifiedStage, type WrittenRows } from './assertion-scope.js';
import type { SqlExecutor } from './sql-executor.js';
import type { CompiledGraph, GraphDeclaration, Target } from './types.js';

export interface ActionContext {
  graph: CompiledGraph;
  executor: SqlExecutor;
  fullRefresh: boolean;
  declarations: Map<string, GraphDeclaration>;
  rewrite: (sql: string) => string;
  missingSourceHint: ((target: Target) => string) | undefined;
  now: () => Date;
  /** The rows each incremental table merged in this run wrote, by target key. */
  written: Map<string, WrittenRows>;
  /** The TEMP staging tables this run's merges created (some may not be in `written`). */
  stages: Set<string>;
  /** An action's last recorded result (run history), for scoping assertions. */
  lastOutcome: (name: string) => { status: string; sql: string[] } | undefined;
}

/** The staging tables live in the connection's TEMP schema until the run ends; drop them then. */
export function dropStages(context: ActionContext): void {
  for (const stage of context.stages) {
    try {
      context.executor.execute(`DROP TABLE IF EXISTS ${qualifiedStage(stage)}`);
    } catch {
      // A leftover TEMP table vanishes with the connection, and the next merge drops it first.
    }
  }
  context.stages.clear();
  context.written.clear();
}
