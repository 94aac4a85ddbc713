/**
 * The adapter's public types: the slice of Dataform's compiled graph that the adapter reads, and the
 * results of a run. Other stages (scheduler, docs, CLI) depend on these names; change them with care.
 */
export {};
//# sourceMappingURL=types.js.map