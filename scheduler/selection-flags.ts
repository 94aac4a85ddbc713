import type { Selection } from '../adapter/index.js';

/**
 * A run's selection as the `bambuzled run` flags that would select the same actions, e.g.
 * `--tags bronze --include-dependents`; '' for the whole graph. Values that a shell would split
 * are single-quoted so that the words can be copied to a terminal.
 */
export function selectionFlags(selection: Selection, fullRefresh = false): string {
  const words: string[] = [];
  if (selection.tags?.length) words.push('--tags', ...selection.tags.map(shellWord));
  if (selection.actions?.length) words.push('--actions', ...selection.actions.map(shellWord));
  if (selection.includeDeps) words.push('--include-deps');
  if (selection.includeDependents) words.push('--include-dependents');
  if (fullRefresh) words.push('--full-refresh');
  return words.join(' ');
}

function shellWord(value: string): string {
  return /^[\w.:/@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
