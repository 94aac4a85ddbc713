import { describe, expect, it } from 'vitest';
import { selectionFlags } from './selection-flags.js';

describe('a run selection in words', () => {
  it('reads as the bambuzled run flags that select the same actions', () => {
    expect(selectionFlags({ tags: ['bronze'], includeDependents: true })).toBe(
      '--tags bronze --include-dependents',
    );
    expect(selectionFlags({ actions: ['jobs_brz', 'main.jobs_slv'], includeDeps: true }, true)).toBe(
      '--actions jobs_brz main.jobs_slv --include-deps --full-refresh',
    );
  });

  it('is empty for the whole graph and quotes what a shell would split', () => {
    expect(selectionFlags({})).toBe('');
    expect(selectionFlags({ tags: [], includeDeps: false })).toBe('');
    expect(selectionFlags({ actions: ['main.*', "it's"] })).toBe(`--actions 'main.*' 'it'\\''s'`);
  });
});
