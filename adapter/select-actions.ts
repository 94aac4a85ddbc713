/**
 * Which actions a run covers, mirroring `dataform run`'s flags, and the order they run in.
 */
import type { GraphAction } from './graph-actions.js';
import { targetKey } from './names.js';
import type { Selection } from './types.js';

export type SelectOutcome = { ok: true; actions: GraphAction[] } | { ok: false; message: string };

/**
 * Selects actions and orders them topologically (dependencies first; ties keep the graph's order).
 * No tags and no actions select everything. Tags are OR'ed, as are the tag and name matches; built-in
 * assertions of a selected dataset come with it.
 */
export function selectActions(all: GraphAction[], selection: Selection = {}): SelectOutcome {
  const byKey = new Map(all.map((a) => [a.key, a]));
  const tags = selection.tags ?? [];
  const patterns = (selection.actions ?? []).map(patternFor);
  const everything = tags.length === 0 && patterns.length === 0;

  const selected = new Set<string>();
  const unmatchedTags = new Set(tags);
  const unmatchedActions = new Set(selection.actions ?? []);
  for (const action of all) {
    const tagged = action.tags.filter((t) => tags.includes(t));
    const named = (selection.actions ?? []).filter((_, i) =>
      namesOf(action).some((n) => patterns[i]!.test(n)),
    );
    for (const tag of tagged) unmatchedTags.delete(tag);
    for (const name of named) unmatchedActions.delete(name);
    if (everything || tagged.length > 0 || named.length > 0) selected.add(action.key);
  }
  // A name that matches nothing is a typo until proven otherwise, even beside names that do match.
  if (unmatchedTags.size > 0 || unmatchedActions.size > 0) {
    const asked = [
      ...(unmatchedTags.size > 0 ? [`the tag(s) ${[...unmatchedTags].join(', ')}`] : []),
      ...(unmatchedActions.size > 0 ? [`the action name(s) ${[...unmatchedActions].join(', ')}`] : []),
    ].join(' and ');
    const known = [...new Set(all.flatMap((a) => a.tags))].sort();
    return {
      ok: false,
      message: `No action matches ${asked}. Known tags: ${known.length > 0 ? known.join(', ') : '(none)'}; run \`bambuzled compile\` to list the actions.`,
    };
  }

  const dependents = new Map<string, string[]>();
  for (const action of all) {
    for (const dep of action.dependencies) {
      const key = targetKey(dep);
      dependents.set(key, [...(dependents.get(key) ?? []), action.key]);
    }
  }
  const close = (next: (key: string) => string[]) => {
    const stack = [...selected];
    while (stack.length > 0) {
      for (const key of next(stack.pop()!)) {
        if (byKey.has(key) && !selected.has(key)) {
          selected.add(key);
          stack.push(key);
        }
      }
    }
  };
  if (selection.includeDeps) close((key) => (byKey.get(key)?.dependencies ?? []).map(targetKey));
  if (selection.includeDependents) close((key) => dependents.get(key) ?? []);
  // Built-in assertions belong to their dataset: selecting the dataset selects them.
  for (const action of all) {
    if (action.kind === 'assertion' && action.assertion.parentAction) {
      if (selected.has(targetKey(action.assertion.parentAction))) selected.add(action.key);
    }
  }

  return { ok: true, actions: topologicalOrder(all.filter((a) => selected.has(a.key))) };
}

/** Dependencies first; among actions free to run, the graph's order. Cycles are compile errors. */
function topologicalOrder(actions: GraphAction[]): GraphAction[] {
  const byKey = new Map(actions.map((a) => [a.key, a]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: GraphAction[] = [];
  const visit = (action: GraphAction) => {
    if (done.has(action.key) || visiting.has(action.key)) return;
    visiting.add(action.key);
    for (const dep of action.dependencies) {
      const inner = byKey.get(targetKey(dep));
      if (inner) visit(inner);
    }
    visiting.delete(action.key);
    done.add(action.key);
    order.push(action);
  };
  for (const action of actions) visit(action);
  return order;
}

function namesOf(action: GraphAction): string[] {
  const { database, schema, name } = action.target;
  return [
    name,
    ...(schema ? [`${schema}.${name}`] : []),
    ...(database && schema ? [`${database}.${schema}.${name}`] : []),
  ];
}

/** `*` matches any run of characters; everything else is literal. */
function patternFor(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
