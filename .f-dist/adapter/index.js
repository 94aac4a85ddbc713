/**
 * The adapter's public interface: compile a Dataform project with the stock compiler, run its graph
 * against SQLite, and read back run history and the catalog. Other stages import only from here.
 */
export { buildTasks } from './build-tasks.js';
export { COMPILE_CACHE_DIR, compileProject, } from './compile-project.js';
export { graphActions } from './graph-actions.js';
export { displayNameOf, quoteIdentifier, refRewriterFor, sqliteNameOf } from './names.js';
export { readCatalog } from './read-catalog.js';
export { runGraph } from './run-graph.js';
export { ACTION_RUNS_TABLE, getRun, lastActionOutcome, latestActionResults, listRuns, pruneRunHistory, RUNS_TABLE, } from './run-history.js';
export { selectActions } from './select-actions.js';
export { sqliteExecutor } from './sqlite-executor.js';
//# sourceMappingURL=index.js.map