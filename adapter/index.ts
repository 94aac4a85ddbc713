/**
 * The adapter's public interface: compile a Dataform project with the stock compiler, run its graph
 * against SQLite, and read back run history and the catalog. Other stages import only from here.
 *
 * PLACEHOLDER SIGNATURES: the adapter's owner replaces these bodies; the signatures are the contract
 * that the scheduler, the docs site and the CLI are written against.
 */
import type { SqliteDatabase } from '../lib/sqlite.js';
import type {
  ActionResult,
  CatalogEntry,
  CompilationError,
  CompiledGraph,
  ProjectConfig,
  RunResult,
  RunSummary,
  Selection,
  Target,
} from './types.js';

export type * from './types.js';

export interface CompileOptions {
  projectDir: string;
  /** `--vars k=v`: merged over workflow_settings.yaml's vars. */
  vars?: Record<string, string>;
  /** Reuse the graph compiled from the same files and vars (default true). */
  cache?: boolean;
}

export type CompileOutcome =
  | { ok: true; graph: CompiledGraph; fromCache: boolean; durationMs: number }
  | { ok: false; errors: CompilationError[]; message: string; durationMs: number };

export interface RunOptions {
  db: SqliteDatabase;
  selection?: Selection;
  fullRefresh?: boolean;
  dryRun?: boolean;
  /** Who started the run: 'cli', 'sensor', 'manual', ... (stored in the history). */
  trigger?: string;
  /** Called as each action ends, in order, for progress output. */
  onActionEnd?: (result: ActionResult) => void;
  /**
   * Called inside the transaction that records the run, so that a caller can commit its own state
   * (the sensor's cursor) atomically with the run's record.
   */
  recordWith?: (db: SqliteDatabase, result: RunResult) => void;
  now?: () => Date;
}

const notYet = (): never => {
  throw new Error('adapter: not implemented yet');
};

/** Compiles a project with the stock @dataform/cli (cached by a content hash). Never throws for graph errors. */
export async function compileProject(_options: CompileOptions): Promise<CompileOutcome> {
  return notYet();
}

/** Runs the selected actions of a compiled graph against SQLite, in dependency order. Failures are data. */
export function runGraph(_graph: CompiledGraph, _options: RunOptions): RunResult {
  return notYet();
}

/** The SQLite table name for a Dataform target: the one place schemas are mapped. */
export function sqliteNameOf(_target: Target, _config: ProjectConfig | undefined): string {
  return notYet();
}

/** Most recent runs first. Returns [] when the database has no run history yet. */
export function listRuns(_db: SqliteDatabase, _options?: { limit?: number }): RunSummary[] {
  return notYet();
}

/** One run with its action results, or undefined. */
export function getRun(_db: SqliteDatabase, _runId: number): RunResult | undefined {
  return notYet();
}

/** The latest recorded result of each action, keyed by `schema.name`. */
export function latestActionResults(_db: SqliteDatabase): Map<string, ActionResult> {
  return notYet();
}

/** Deletes all but the newest `keepRuns` runs (and their action results). Returns how many were deleted. */
export function pruneRunHistory(_db: SqliteDatabase, _options: { keepRuns: number }): number {
  return notYet();
}

/** What the database holds for every dataset and declaration of the graph: types, columns, row counts. */
export function readCatalog(_db: SqliteDatabase, _graph: CompiledGraph): CatalogEntry[] {
  return notYet();
}
