/**
 * The compiled graph flattened into the runnable actions the adapter plans and executes. Tables,
 * views and incrementals sit together in `tables[]`; operations and assertions have their own lists.
 */
import { displayNameOf, sqliteNameOf, targetKey } from './names.js';
import type {
  ActionKind,
  CompiledGraph,
  GraphAssertion,
  GraphDeclaration,
  GraphOperation,
  GraphTable,
  Target,
} from './types.js';

interface ActionCommon {
  /** `targetKey(target)`: unique across the graph. */
  key: string;
  /** `schema.name`. */
  name: string;
  target: Target;
  sqliteName: string;
  tags: string[];
  disabled: boolean;
  fileName: string | undefined;
  dependencies: Target[];
}

export type GraphAction =
  | (ActionCommon & { kind: 'table' | 'view' | 'incremental'; table: GraphTable })
  | (ActionCommon & { kind: 'operations'; operation: GraphOperation })
  | (ActionCommon & { kind: 'assertion'; assertion: GraphAssertion });

/** The kind a `tables[]` entry builds, from `enumType` (or the deprecated `type`). */
export function tableKindOf(table: GraphTable): 'table' | 'view' | 'incremental' {
  const kind = (table.enumType ?? table.type ?? 'table').toLowerCase();
  return kind === 'view' || kind === 'incremental' ? kind : 'table';
}

/**
 * Every runnable action of the graph, in the graph's order: tables, operations, assertions; named as
 * the dialect names them (SQLite's names by default).
 */
export function graphActions(
  graph: CompiledGraph,
  dialect: { objectName: typeof sqliteNameOf } = { objectName: sqliteNameOf },
): GraphAction[] {
  const config = graph.projectConfig;
  const common = (a: {
    target: Target;
    tags?: string[];
    disabled?: boolean;
    fileName?: string;
    dependencyTargets?: Target[];
  }): ActionCommon => ({
    key: targetKey(a.target),
    name: displayNameOf(a.target),
    target: a.target,
    sqliteName: dialect.objectName(a.target, config),
    tags: a.tags ?? [],
    disabled: a.disabled ?? false,
    fileName: a.fileName,
    dependencies: a.dependencyTargets ?? [],
  });
  return [
    ...(graph.tables ?? []).map(
      (table): GraphAction => ({ ...common(table), kind: tableKindOf(table), table }),
    ),
    ...(graph.operations ?? []).map(
      (operation): GraphAction => ({ ...common(operation), kind: 'operations', operation }),
    ),
    ...(graph.assertions ?? []).map(
      (assertion): GraphAction => ({ ...common(assertion), kind: 'assertion', assertion }),
    ),
  ];
}

/** Declarations by target key. */
export function declarationsByKey(graph: CompiledGraph): Map<string, GraphDeclaration> {
  return new Map((graph.declarations ?? []).map((d) => [targetKey(d.target), d]));
}

/** The ActionKind shown for any graph entry, declarations included. */
export type { ActionKind };
