import { describe, expect, it } from 'vitest';
import { graphActions } from './graph-actions.js';
import { selectActions } from './select-actions.js';
import type { CompiledGraph, Selection } from './types.js';

const t = (schema: string, name: string) => ({ database: 'p', schema, name });

// raw (declared) -> jobs -> jobs_daily -> report ; jobs <- checks.jobs_unique (built-in) ; ops.cleanup
const graph: CompiledGraph = {
  projectConfig: { defaultDatabase: 'p', defaultSchema: 'main', assertionSchema: 'checks' },
  declarations: [{ target: t('main', 'raw') }],
  tables: [
    { target: t('main', 'report'), tags: ['gold'], dependencyTargets: [t('main', 'jobs_daily')] },
    { target: t('main', 'jobs_daily'), tags: ['silver'], dependencyTargets: [t('main', 'jobs')] },
    { target: t('main', 'jobs'), tags: ['bronze'], dependencyTargets: [t('main', 'raw')] },
  ],
  operations: [{ target: t('ops', 'cleanup'), tags: ['maintenance'] }],
  assertions: [
    {
      target: t('checks', 'main_jobs_assertions_uniqueKey_0'),
      parentAction: t('main', 'jobs'),
      dependencyTargets: [t('main', 'jobs')],
    },
  ],
};
const all = graphActions(graph);

function names(selection: Selection): string[] {
  const outcome = selectActions(all, selection);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.actions.map((a) => a.name);
}

describe('selectActions', () => {
  it('selects everything, dependencies first, when nothing is asked', () => {
    expect(names({})).toEqual([
      'main.jobs',
      'main.jobs_daily',
      'main.report',
      'ops.cleanup',
      'checks.main_jobs_assertions_uniqueKey_0',
    ]);
  });

  it('ORs tags, and brings the built-in assertions of a selected dataset along', () => {
    expect(names({ tags: ['bronze', 'maintenance'] })).toEqual([
      'main.jobs',
      'ops.cleanup',
      'checks.main_jobs_assertions_uniqueKey_0',
    ]);
  });

  it('matches actions by name, schema.name, database.schema.name and globs', () => {
    expect(names({ actions: ['report'] })).toEqual(['main.report']);
    expect(names({ actions: ['ops.cleanup'] })).toEqual(['ops.cleanup']);
    expect(names({ actions: ['p.main.jobs_daily'] })).toEqual(['main.jobs_daily']);
    expect(names({ actions: ['main.jobs*'] })).toEqual([
      'main.jobs',
      'main.jobs_daily',
      'checks.main_jobs_assertions_uniqueKey_0',
    ]);
  });

  it('adds dependencies or dependents transitively when asked', () => {
    expect(names({ actions: ['report'], includeDeps: true })).toEqual([
      'main.jobs',
      'main.jobs_daily',
      'main.report',
      'checks.main_jobs_assertions_uniqueKey_0',
    ]);
    expect(names({ actions: ['jobs_daily'], includeDependents: true })).toEqual([
      'main.jobs_daily',
      'main.report',
    ]);
  });

  it('says what it looked for when nothing matches', () => {
    const outcome = selectActions(all, { tags: ['nope'], actions: ['x*'] });
    expect(outcome).toEqual({
      ok: false,
      message: expect.stringContaining('No action matches the tag(s) nope and the action name(s) x*'),
    });
  });

  it('refuses a tag that matches nothing even beside one that matches, naming only the unmatched one', () => {
    const outcome = selectActions(all, { tags: ['bronze', 'nosuchtag'] });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('No action matches the tag(s) nosuchtag.');
    expect(outcome.message).toMatch(/Known tags: .*bronze/);
  });

  it('refuses an action name that matches nothing beside one that matches', () => {
    const outcome = selectActions(all, { actions: ['jobs_daily', 'jobs_dialy'] });
    expect(outcome).toEqual({ ok: false, message: expect.stringContaining('the action name(s) jobs_dialy') });
  });
});
