/**
 * The compiled graph flattened into the runnable actions the adapter plans and executes. Tables,
 * views and incrementals sit together in `tables[]`; operations and assertions have their own lists.
 */
import { displayNameOf, sqliteNameOf, targetKey } from './names.js';
/** The kind a `tables[]` entry builds, from `enumType` (or the deprecated `type`). */
export function tableKindOf(table) {
    const kind = (table.enumType ?? table.type ?? 'table').toLowerCase();
    return kind === 'view' || kind === 'incremental' ? kind : 'table';
}
/** Every runnable action of the graph, in the graph's order: tables, operations, assertions. */
export function graphActions(graph) {
    const config = graph.projectConfig;
    const common = (a) => ({
        key: targetKey(a.target),
        name: displayNameOf(a.target),
        target: a.target,
        sqliteName: sqliteNameOf(a.target, config),
        tags: a.tags ?? [],
        disabled: a.disabled ?? false,
        fileName: a.fileName,
        dependencies: a.dependencyTargets ?? [],
    });
    return [
        ...(graph.tables ?? []).map((table) => ({ ...common(table), kind: tableKindOf(table), table })),
        ...(graph.operations ?? []).map((operation) => ({ ...common(operation), kind: 'operations', operation })),
        ...(graph.assertions ?? []).map((assertion) => ({ ...common(assertion), kind: 'assertion', assertion })),
    ];
}
/** Declarations by target key. */
export function declarationsByKey(graph) {
    return new Map((graph.declarations ?? []).map((d) => [targetKey(d.target), d]));
}
//# sourceMappingURL=graph-actions.js.map