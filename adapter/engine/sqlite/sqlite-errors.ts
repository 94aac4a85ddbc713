/** SQLite's failures as the engine's errors (the words are lib/sqlite-failures.ts's). */
import { describeSqliteFailure } from '../../../lib/index.js';
import { EngineError } from '../executor.js';

/** What the worker sends back for a failed request. */
export interface WorkerFailure {
  code: string;
  message: string;
}

/** The error for a failed statement (or for a database that could not be opened, with `opening`). */
export function sqliteError(
  path: string,
  failure: WorkerFailure,
  sql?: string,
  opening = false,
  batchIndex?: number,
): EngineError {
  const { kind, message } = describeSqliteFailure(path, failure.code, failure.message, opening);
  return new EngineError(kind, message, {
    ...(sql === undefined ? {} : { sql }),
    ...(batchIndex === undefined ? {} : { batchIndex }),
  });
}
