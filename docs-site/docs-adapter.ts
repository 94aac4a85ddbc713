import {
  compileProject,
  latestActionResults,
  readCatalog,
  refRewriterFor,
  sqliteNameOf,
} from '../adapter/index.js';

/** The slice of the adapter's public interface the docs use; tests and other engines may pass their own. */
export interface DocsAdapter {
  compileProject: typeof compileProject;
  readCatalog: typeof readCatalog;
  latestActionResults: typeof latestActionResults;
  sqliteNameOf: typeof sqliteNameOf;
  /** Shows the SQL with refs as SQLite runs it, instead of the compiler's BigQuery identifiers. */
  refRewriterFor: typeof refRewriterFor;
}

export const defaultDocsAdapter: DocsAdapter = {
  compileProject,
  readCatalog,
  latestActionResults,
  sqliteNameOf,
  refRewriterFor,
};
