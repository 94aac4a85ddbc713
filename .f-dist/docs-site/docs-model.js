/** Layers in the order the legend lists them (and data flows through them). */
export const DOCS_LAYERS = ['source', 'bronze', 'silver', 'gold', 'model', 'assertion'];
/**
 * Built-in assertions are named `${schema}_${table}_assertions_${rule}`; on a node next to their table
 * the rule alone says it all, and keeps the graph narrow.
 */
export function labelOf(target, parent) {
    if (!parent)
        return target.name;
    const prefix = `${parent.schema ? `${parent.schema}_` : ''}${parent.name}_assertions_`;
    return target.name.startsWith(prefix) && target.name.length > prefix.length
        ? target.name.slice(prefix.length)
        : target.name;
}
/** Dataform's display name for a target (`schema.name`), the key used by run history too. */
export function actionId(target) {
    return target.schema ? `${target.schema}.${target.name}` : target.name;
}
const LAYER_WORDS = {
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
export function layerOf(kind, tags, fileName, name) {
    if (kind === 'assertion')
        return 'assertion';
    if (kind === 'declaration')
        return 'source';
    for (const tag of tags) {
        const layer = LAYER_WORDS[tag.toLowerCase()];
        if (layer)
            return layer;
    }
    for (const folder of fileName.split('/').slice(0, -1)) {
        const layer = LAYER_WORDS[folder.toLowerCase()];
        if (layer)
            return layer;
    }
    const suffix = name.toLowerCase().split('_').pop() ?? '';
    return LAYER_WORDS[suffix] ?? 'model';
}
function tableKind(table) {
    const kind = (table.enumType ?? table.type ?? 'TABLE').toUpperCase();
    if (kind === 'VIEW')
        return 'view';
    if (kind === 'INCREMENTAL')
        return 'incremental';
    return 'table';
}
function sqlOf(entry) {
    if (entry.kind === 'declaration')
        return '';
    if (entry.kind === 'operations') {
        const queries = entry.action.queries ?? [];
        return queries.map((query) => query.trim()).join(';\n\n');
    }
    return (entry.action.query ?? '').trim();
}
/**
 * Turns a compiled graph into the docs' action list with lineage in both directions. Pure: the
 * SQLite naming comes in as a function (the adapter's `sqliteNameOf`).
 */
export function buildDocsModel(graph, sqliteNameOf, rewriteRefs = (sql) => sql) {
    const entries = [
        ...(graph.declarations ?? []).map((action) => ({ kind: 'declaration', action })),
        ...(graph.tables ?? []).map((action) => ({ kind: tableKind(action), action })),
        ...(graph.operations ?? []).map((action) => ({ kind: 'operations', action })),
        ...(graph.assertions ?? []).map((action) => ({ kind: 'assertion', action })),
    ];
    const config = graph.projectConfig;
    const actions = entries.map((entry) => {
        const { action } = entry;
        const target = action.target;
        const tags = [...(action.tags ?? [])];
        const fileName = action.fileName ?? '';
        const table = entry.kind === 'declaration' ? undefined : action;
        const parent = entry.kind === 'assertion' ? action.parentAction : undefined;
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
    const edges = [];
    entries.forEach((entry, index) => {
        const action = actions[index];
        const deps = entry.kind === 'declaration' ? [] : (entry.action.dependencyTargets ?? []);
        for (const dep of deps) {
            const from = byId.get(actionId(dep));
            if (!from) {
                action.unresolved.push(actionId(dep));
                continue;
            }
            if (action.upstream.includes(from.id))
                continue;
            action.upstream.push(from.id);
            edges.push({ from: from.id, to: action.id });
            if (action.kind === 'assertion')
                from.assertions.push(action.id);
            else
                from.downstream.push(action.id);
        }
    });
    return {
        projectName: config?.defaultDatabase ?? '',
        defaultSchema: config?.defaultSchema ?? '',
        dataformCoreVersion: graph.dataformCoreVersion ?? '',
        actions,
        edges,
        compilationErrors: [...(graph.graphErrors?.compilationErrors ?? [])],
    };
}
//# sourceMappingURL=docs-model.js.map