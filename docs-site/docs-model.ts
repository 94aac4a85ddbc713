import type {
  ActionKind,
  CompiledGraph,
  GraphAssertion,
  GraphDeclaration,
  GraphOperation,
  GraphTable,
  ProjectConfig,
  Target,
} from '../adapter/index.js';

import type { DocsLayer } from './layers.js';

export { DOCS_LAYERS, type DocsLayer } from './layers.js';

export interface DocsColumn {
  name: string;
  description: string;
  tags: string[];
}

/** One action (or declaration) as the docs site shows it; `id` is Dataform's `schema.name`. */
export interface DocsAction {
  id: string;
  name: string;
  /** What the graph node shows: the name, or for a built-in assertion its table and rule (`jobs_brz: uniqueKey_0`). */
  label: string;
  schema: string;
  database: string;
  kind: ActionKind;
  layer: DocsLayer;
  tags: string[];
  description: string;
  fileName: string;
  /** The SQLite table or view the action builds (or the declared source it reads). */
  sqliteName: string;
  disabled: boolean;
  columns: DocsColumn[];
  /** The compiled SQL with refs rewritten to SQLite names (the adapter's rewriter). */
  sql: string;
  /** For incremental tables: the query used when the table already exists. */
  incrementalSql?: string;
  uniqueKey?: string[];
  /** Ids of the actions this one reads. */
  upstream: string[];
  /** Ids of the actions that read this one (assertions excluded: see `assertions`). */
  downstream: string[];
  /** Ids of the assertions that check this action. */
  assertions: string[];
  /** For an assertion declared in a table's config: that table's id. */
  parent?: string;
  /** Dependency targets that name nothing in the graph (shown as such, never dropped silently). */
  unresolved: string[];
}

export interface DocsEdge {
  from: string;
  to: string;
}

/** The graph half of the site's data file: everything that comes from compiling the project. */
export interface DocsModel {
  projectName: string;
  defaultSchema: string;
  /** Which copy of the tables the site reads: `schema suffix dev, table prefix me`, or null for the plain one. */
  environment: string | null;
  dataformCoreVersion: string;
  actions: DocsAction[];
  edges: DocsEdge[];
  compilationErrors: { fileName?: string; actionName?: string; message: string }[];
}

/**
 * Built-in assertions are named `${schema}_${table}_assertions_${rule}`; a node labelled with the rule
 * alone (`uniqueKey_0`) says nothing once several tables have one, so the label is `table: rule`
 * (`jobs_brz: uniqueKey_0`), shorter than the generated name and still telling what it checks.
 */
export function labelOf(target: Target, parent: Target | undefined): string {
  if (!parent) return target.name;
  const prefix = `${parent.schema ? `${parent.schema}_` : ''}${parent.name}_assertions_`;
  return target.name.startsWith(prefix) && target.name.length > prefix.length
    ? `${parent.name}: ${target.name.slice(prefix.length)}`
    : target.name;
}

export type SqliteNamer = (target: Target, config: ProjectConfig | undefined) => string;

/** Dataform's display name for a target (`schema.name`), the key used by run history too. */
export function actionId(target: Target): string {
  return target.schema ? `${target.schema}.${target.name}` : target.name;
}

const LAYER_WORDS: Record<string, DocsLayer> = {
  source: 'source',
  sources: 'source',
  raw: 'source',
  bronze: 'bronze',
  brz: 'bronze',
  silver: 'silver',
  slv: 'silver',
  gold: 'gold',
  gld: 'gold',
};

/**
 * Picks the colour group: assertions and declarations by kind, then a layer tag, then the folder
 * (`definitions/bronze/…`), then a name suffix (`jobs_brz`), else the neutral `model`.
 */
export function layerOf(
  kind: ActionKind,
  tags: readonly string[],
  fileName: string,
  name: string,
): DocsLayer {
  if (kind === 'assertion') return 'assertion';
  if (kind === 'declaration') return 'source';
  for (const tag of tags) {
    const layer = LAYER_WORDS[tag.toLowerCase()];
    if (layer) return layer;
  }
  for (const folder of fileName.split('/').slice(0, -1)) {
    const layer = LAYER_WORDS[folder.toLowerCase()];
    if (layer) return layer;
  }
  const suffix = name.toLowerCase().split('_').pop() ?? '';
  return LAYER_WORDS[suffix] ?? 'model';
}

function tableKind(table: GraphTable): ActionKind {
  const kind = (table.enumType ?? table.type ?? 'TABLE').toUpperCase();
  if (kind === 'VIEW') return 'view';
  if (kind === 'INCREMENTAL') return 'incremental';
  return 'table';
}

type AnyAction =
  | { kind: ActionKind; action: GraphTable }
  | { kind: 'operations'; action: GraphOperation }
  | { kind: 'assertion'; action: GraphAssertion }
  | { kind: 'declaration'; action: GraphDeclaration };

function sqlOf(entry: AnyAction): string {
  if (entry.kind === 'declaration') return '';
  if (entry.kind === 'operations') {
    const queries: string[] = (entry.action as GraphOperation).queries ?? [];
    return queries.map((query) => query.trim()).join(';\n\n');
  }
  return ((entry.action as GraphTable | GraphAssertion).query ?? '').trim();
}

/**
 * Turns a compiled graph into the docs' action list with lineage in both directions. Pure: the
 * SQLite naming comes in as a function (the adapter's `sqliteNameOf`).
 */
export function buildDocsModel(
  graph: CompiledGraph,
  sqliteNameOf: SqliteNamer,
  rewriteRefs: (sql: string) => string = (sql) => sql,
): DocsModel {
  const entries: AnyAction[] = [
    ...(graph.declarations ?? []).map((action) => ({ kind: 'declaration' as const, action })),
    ...(graph.tables ?? []).map((action) => ({ kind: tableKind(action), action })),
    ...(graph.operations ?? []).map((action) => ({ kind: 'operations' as const, action })),
    ...(graph.assertions ?? []).map((action) => ({ kind: 'assertion' as const, action })),
  ];
  const config = graph.projectConfig;
  const actions: DocsAction[] = entries.map((entry) => {
    const { action } = entry;
    const target = action.target;
    const tags = [...(action.tags ?? [])];
    const fileName = action.fileName ?? '';
    const table = entry.kind === 'declaration' ? undefined : (action as GraphTable);
    const parent = entry.kind === 'assertion' ? (action as GraphAssertion).parentAction : undefined;
    return {
      id: actionId(target),
      name: target.name,
      label: labelOf(target, parent),
      schema: target.schema ?? '',
      database: target.database ?? '',
      kind: entry.kind,
      layer: layerOf(entry.kind, tags, fileName, target.name),
      tags,
      description: action.actionDescriptor?.description ?? '',
      fileName,
      sqliteName: sqliteNameOf(target, config),
      disabled: Boolean(table?.disabled),
      columns: (action.actionDescriptor?.columns ?? []).map((column) => ({
        name: column.path.join('.'),
        description: column.description ?? '',
        tags: [...(column.tags ?? [])],
      })),
      sql: rewriteRefs(sqlOf(entry)),
      ...(table?.incrementalQuery ? { incrementalSql: rewriteRefs(table.incrementalQuery.trim()) } : {}),
      ...(table?.uniqueKey?.length ? { uniqueKey: [...table.uniqueKey] } : {}),
      upstream: [],
      downstream: [],
      assertions: [],
      ...(parent ? { parent: actionId(parent) } : {}),
      unresolved: [],
    };
  });

  const byId = new Map(actions.map((action) => [action.id, action]));
  const edges: DocsEdge[] = [];
  entries.forEach((entry, index) => {
    const action = actions[index]!;
    const deps = entry.kind === 'declaration' ? [] : ((entry.action as GraphTable).dependencyTargets ?? []);
    for (const dep of deps) {
      const from = byId.get(actionId(dep));
      if (!from) {
        action.unresolved.push(actionId(dep));
        continue;
      }
      if (action.upstream.includes(from.id)) continue;
      action.upstream.push(from.id);
      edges.push({ from: from.id, to: action.id });
      if (action.kind === 'assertion') from.assertions.push(action.id);
      else from.downstream.push(action.id);
    }
  });

  return {
    projectName: config?.defaultDatabase ?? '',
    defaultSchema: config?.defaultSchema ?? '',
    environment: environmentOf(config),
    dataformCoreVersion: graph.dataformCoreVersion ?? '',
    actions,
    edges,
    compilationErrors: [...(graph.graphErrors?.compilationErrors ?? [])],
  };
}

/** The environment a compile with --schema-suffix / --table-prefix builds, in words; null for none. */
export function environmentOf(config: CompiledGraph['projectConfig']): string | null {
  const parts = [
    ...(config?.schemaSuffix ? [`schema suffix ${config.schemaSuffix}`] : []),
    ...(config?.tablePrefix ? [`table prefix ${config.tablePrefix}`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : null;
}
