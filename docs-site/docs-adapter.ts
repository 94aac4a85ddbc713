import {
  type ActionResult,
  type AsyncExecutor,
  compileProject,
  RunHistory,
  readCatalog,
  refRewriterFor,
  sqliteNameOf,
} from '../adapter/index.js';
import { isMissingTable } from '../lib/index.js';

/** The slice of the adapter's public interface the docs use; tests and other engines may pass their own. */
export interface DocsAdapter {
  compileProject: typeof compileProject;
  readCatalog: typeof readCatalog;
  /** The latest recorded result of each action; empty before the first run. */
  latestActionResults(executor: AsyncExecutor): Promise<Map<string, ActionResult>>;
  sqliteNameOf: typeof sqliteNameOf;
  /** Shows the SQL with refs as SQLite runs it, instead of the compiler's BigQuery identifiers. */
  refRewriterFor: typeof refRewriterFor;
}

/**
 * Reads the run history without opening it as a store (which would create its tables): the docs
 * read through a read-only connection, and a database no run has touched yet simply has no results.
 */
async function latestActionResults(executor: AsyncExecutor): Promise<Map<string, ActionResult>> {
  try {
    return await new RunHistory(executor).latestActionResults();
  } catch (error) {
    if (isMissingTable(error)) return new Map();
    throw error;
  }
}

export const defaultDocsAdapter: DocsAdapter = {
  compileProject,
  readCatalog,
  latestActionResults,
  sqliteNameOf,
  refRewriterFor,
};
