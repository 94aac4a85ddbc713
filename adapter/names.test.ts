import { describe, expect, it } from 'vitest';
import { fixRowConditionLiterals, refRewriterFor, sqliteNameOf } from './names.js';
import type { CompiledGraph } from './types.js';

const config = { defaultDatabase: 'p', defaultSchema: 'main', assertionSchema: 'checks' };

describe('sqliteNameOf', () => {
  it('keeps the bare name in the default schema and prefixes any other schema', () => {
    expect(sqliteNameOf({ database: 'p', schema: 'main', name: 'jobs' }, config)).toBe('jobs');
    expect(sqliteNameOf({ database: 'p', schema: 'checks', name: 'jobs_ok' }, config)).toBe(
      'checks__jobs_ok',
    );
    expect(sqliteNameOf({ name: 'loose' }, config)).toBe('loose');
  });
});

describe('refRewriterFor', () => {
  const graph: CompiledGraph = {
    projectConfig: config,
    tables: [{ target: { database: 'p', schema: 'main', name: 'jobs' } }],
    operations: [{ target: { database: 'p', schema: 'ops', name: 'log' } }],
    assertions: [{ target: { database: 'p', schema: 'checks', name: 'a' } }],
    declarations: [{ target: { schema: 'raw', name: 'jobs_raw' } }],
  };
  const rewrite = refRewriterFor(graph);

  it('rewrites the identifiers of known targets, with or without the database', () => {
    expect(rewrite('SELECT * FROM `p.main.jobs` JOIN `main.jobs` USING (id)')).toBe(
      'SELECT * FROM "jobs" JOIN "jobs" USING (id)',
    );
    expect(rewrite('INSERT INTO `p.ops.log` SELECT * FROM `p.checks.a`, `raw.jobs_raw`')).toBe(
      'INSERT INTO "ops__log" SELECT * FROM "checks__a", "raw__jobs_raw"',
    );
  });

  it('leaves unknown backtick identifiers alone', () => {
    expect(rewrite('SELECT `weird col` FROM `p.main.other`')).toBe('SELECT `weird col` FROM `p.main.other`');
  });
});

describe('fixRowConditionLiterals', () => {
  it('turns BigQuery quote escapes in the condition literal into doubled quotes', () => {
    const compiled =
      "SELECT\n  'name <> \\'it\\'\\'s\\'' AS failing_row_condition,\n  *\nFROM t\nWHERE NOT (name <> 'it''s')";
    expect(fixRowConditionLiterals(compiled)).toBe(
      "SELECT\n  'name <> ''it''''s''' AS failing_row_condition,\n  *\nFROM t\nWHERE NOT (name <> 'it''s')",
    );
  });

  it('leaves a condition without quotes as it is', () => {
    const compiled = "SELECT 'id IS NOT NULL' AS failing_row_condition, * FROM t WHERE NOT (id IS NOT NULL)";
    expect(fixRowConditionLiterals(compiled)).toBe(compiled);
  });
});
