import { targetKey } from './names.js';
/**
 * Selects actions and orders them topologically (dependencies first; ties keep the graph's order).
 * No tags and no actions select everything. Tags are OR'ed, as are the tag and name matches; built-in
 * assertions of a selected dataset come with it.
 */
export function selectActions(all, selection = {}) {
    const byKey = new Map(all.map((a) => [a.key, a]));
    const tags = selection.tags ?? [];
    const patterns = (selection.actions ?? []).map(patternFor);
    const everything = tags.length === 0 && patterns.length === 0;
    const selected = new Set();
    for (const action of all) {
        if (everything ||
            action.tags.some((t) => tags.includes(t)) ||
            patterns.some((p) => namesOf(action).some((n) => p.test(n)))) {
            selected.add(action.key);
        }
    }
    if (selected.size === 0) {
        const asked = [
            ...(tags.length > 0 ? [`--tags ${tags.join(',')}`] : []),
            ...(patterns.length > 0 ? [`--actions ${(selection.actions ?? []).join(',')}`] : []),
        ].join(' or ');
        return {
            ok: false,
            message: `No action matches ${asked}. Run \`bambuzled compile\` to list the actions and their tags.`,
        };
    }
    const dependents = new Map();
    for (const action of all) {
        for (const dep of action.dependencies) {
            const key = targetKey(dep);
            dependents.set(key, [...(dependents.get(key) ?? []), action.key]);
        }
    }
    const close = (next) => {
        const stack = [...selected];
        while (stack.length > 0) {
            for (const key of next(stack.pop())) {
                if (byKey.has(key) && !selected.has(key)) {
                    selected.add(key);
                    stack.push(key);
                }
            }
        }
    };
    if (selection.includeDeps)
        close((key) => (byKey.get(key)?.dependencies ?? []).map(targetKey));
    if (selection.includeDependents)
        close((key) => dependents.get(key) ?? []);
    // Built-in assertions belong to their dataset: selecting the dataset selects them.
    for (const action of all) {
        if (action.kind === 'assertion' && action.assertion.parentAction) {
            if (selected.has(targetKey(action.assertion.parentAction)))
                selected.add(action.key);
        }
    }
    return { ok: true, actions: topologicalOrder(all.filter((a) => selected.has(a.key))) };
}
/** Dependencies first; among actions free to run, the graph's order. Cycles are compile errors. */
function topologicalOrder(actions) {
    const byKey = new Map(actions.map((a) => [a.key, a]));
    const done = new Set();
    const visiting = new Set();
    const order = [];
    const visit = (action) => {
        if (done.has(action.key) || visiting.has(action.key))
            return;
        visiting.add(action.key);
        for (const dep of action.dependencies) {
            const inner = byKey.get(targetKey(dep));
            if (inner)
                visit(inner);
        }
        visiting.delete(action.key);
        done.add(action.key);
        order.push(action);
    };
    for (const action of actions)
        visit(action);
    return order;
}
function namesOf(action) {
    const { database, schema, name } = action.target;
    return [
        name,
        ...(schema ? [`${schema}.${name}`] : []),
        ...(database && schema ? [`${database}.${schema}.${name}`] : []),
    ];
}
/** `*` matches any run of characters; everything else is literal. */
function patternFor(glob) {
    const body = glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
    return new RegExp(`^${body}$`);
}
//# sourceMappingURL=select-actions.js.map