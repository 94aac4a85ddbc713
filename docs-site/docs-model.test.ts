import { describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../adapter/index.js';
import { buildDocsModel, labelOf, layerOf } from './docs-model.js';

const target = (schema: string, name: string) => ({ database: 'p', schema, name });
const plainName = (t: { name: string }) => t.name;

describe('layerOf', () => {
  it('colours declarations as sources and assertions as assertions whatever their tags say', () => {
    expect(layerOf('declaration', ['gold'], 'definitions/gold/x.sqlx', 'x_gld')).toBe('source');
    expect(layerOf('assertion', ['bronze'], 'definitions/bronze/x.sqlx', 'x_brz')).toBe('assertion');
  });

  it('takes a layer tag first, then the folder, then the name suffix, else calls it a model', () => {
    expect(layerOf('table', ['daily', 'Silver'], 'definitions/gold/x.sqlx', 'x_brz')).toBe('silver');
    expect(layerOf('table', ['daily'], 'definitions/gold/x.sqlx', 'x_brz')).toBe('gold');
    expect(layerOf('view', [], 'definitions/x.sqlx', 'jobs_brz')).toBe('bronze');
    expect(layerOf('incremental', [], 'definitions/marts/x.sqlx', 'orders')).toBe('model');
  });
});

describe('labelOf', () => {
  it('labels a built-in assertion with its table and rule and leaves hand-written names alone', () => {
    const parent = target('main', 'jobs_brz');
    expect(labelOf(target('assertions', 'main_jobs_brz_assertions_uniqueKey_0'), parent)).toBe(
      'jobs_brz: uniqueKey_0',
    );
    expect(labelOf(target('assertions', 'main_jobs_brz_assertions_rowConditions'), parent)).toBe(
      'jobs_brz: rowConditions',
    );
    expect(labelOf(target('assertions', 'jobs_have_names'), parent)).toBe('jobs_have_names');
    expect(labelOf(target('assertions', 'main_jobs_brz_assertions_'), parent)).toBe(
      'main_jobs_brz_assertions_',
    );
  });
});

describe('buildDocsModel', () => {
  const graph: CompiledGraph = {
    projectConfig: { defaultDatabase: 'p', defaultSchema: 'main' },
    declarations: [{ target: target('main', 'jobs_raw') }],
    tables: [
      {
        target: target('main', 'jobs_brz'),
        enumType: 'TABLE',
        tags: ['bronze'],
        dependencyTargets: [target('main', 'jobs_raw'), target('main', 'jobs_raw')],
        query: 'SELECT * FROM `p.main.jobs_raw`',
        actionDescriptor: { description: 'History', columns: [{ path: ['job', 'id'], description: 'Key' }] },
      },
      {
        target: target('main', 'orphan'),
        enumType: 'VIEW',
        dependencyTargets: [target('elsewhere', 'missing')],
      },
    ],
    assertions: [
      {
        target: target('assertions', 'main_jobs_brz_assertions_uniqueKey_0'),
        parentAction: target('main', 'jobs_brz'),
        dependencyTargets: [target('main', 'jobs_brz')],
      },
    ],
  };
  const model = buildDocsModel(graph, plainName, (sql) => sql.replace('`p.main.jobs_raw`', '"jobs_raw"'));
  const byId = new Map(model.actions.map((a) => [a.id, a]));

  it('keeps one edge per dependency even when a ref appears twice', () => {
    expect(model.edges.filter((e) => e.to === 'main.jobs_brz')).toEqual([
      { from: 'main.jobs_raw', to: 'main.jobs_brz' },
    ]);
  });

  it('files assertions under their table rather than among its downstream models', () => {
    const brz = byId.get('main.jobs_brz')!;
    expect(brz.assertions).toEqual(['assertions.main_jobs_brz_assertions_uniqueKey_0']);
    expect(brz.downstream).toEqual([]);
    expect(byId.get('assertions.main_jobs_brz_assertions_uniqueKey_0')?.parent).toBe('main.jobs_brz');
  });

  it('lists a dependency that names nothing in the graph instead of dropping it', () => {
    expect(byId.get('main.orphan')?.unresolved).toEqual(['elsewhere.missing']);
    expect(byId.get('main.orphan')?.kind).toBe('view');
  });

  it('joins nested column paths and passes the SQL through the ref rewriter', () => {
    const brz = byId.get('main.jobs_brz')!;
    expect(brz.columns).toEqual([{ name: 'job.id', description: 'Key', tags: [] }]);
    expect(brz.sql).toBe('SELECT * FROM "jobs_raw"');
  });
});
