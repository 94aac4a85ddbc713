/**
 * The small interface the runner executes SQL through (Dataform's IDbAdapter, cut down). Engine
 * differences live in implementations, never as `if (sqlite)` in the runner.
 */
export {};
//# sourceMappingURL=sql-executor.js.map