import { describe, expect, it } from 'vitest';
import { scopedParentSubquery } from './assertion-scope.js';
import {
  assertionViewSql,
  BuildTaskError,
  buildTasks,
  type ExistingObject,
  type SqlTask,
} from './build-tasks.js';
import { type GraphAction, graphActions } from './graph-actions.js';
import { refRewriterFor, targetKey } from './names.js';
import type { CompiledGraph } from './types.js';

const target = (schema: string, name: string) => ({ database: 'shop', schema, name });

/** A hand-written graph in the shape the stock compiler prints. */
const graph: CompiledGraph = {
  projectConfig: { defaultDatabase: 'shop', defaultSchema: 'main', assertionSchema: 'checks' },
  declarations: [{ target: target('main', 'src_orders'), fileName: 'definitions/sources.sqlx' }],
  tables: [
    {
      target: target('main', 'orders'),
      enumType: 'TABLE',
      query: '\nSELECT id, status FROM `shop.main.src_orders` -- raw\n',
      preOps: [' CREATE TABLE IF NOT EXISTS log (at TEXT) '],
      postOps: ['INSERT INTO log VALUES (1);'],
    },
    {
      target: target('reporting', 'status_counts'),
      enumType: 'VIEW',
      query: 'SELECT status, count(*) AS n FROM `shop.main.orders` GROUP BY status',
    },
    {
      target: target('main', 'orders_latest'),
      enumType: 'INCREMENTAL',
      query: 'SELECT id, status, amount FROM `shop.main.orders`',
      incrementalQuery:
        'SELECT id, status, amount FROM `shop.main.orders` WHERE id > (SELECT max(id) FROM `shop.main.orders_latest`)',
      uniqueKey: ['id'],
      incrementalPreOps: ['DELETE FROM log'],
    },
    {
      target: target('main', 'order_log'),
      enumType: 'INCREMENTAL',
      query: 'SELECT id, status FROM `shop.main.orders`',
      where: "status <> 'open'",
    },
  ],
  operations: [
    {
      target: target('main', 'counts'),
      hasOutput: true,
      queries: [
        '\nCREATE TABLE IF NOT EXISTS `shop.main.counts` (n INTEGER)\n',
        'INSERT INTO `shop.main.counts` SELECT count(*) FROM `shop.main.orders`',
      ],
    },
  ],
  assertions: [
    {
      target: target('checks', 'main_orders_assertions_rowConditions'),
      parentAction: target('main', 'orders'),
      query:
        "\nSELECT\n  'status IN (\\'open\\', \\'shipped\\')' AS failing_row_condition,\n  *\nFROM `shop.main.orders`\nWHERE NOT (status IN ('open', 'shipped'))\n",
    },
  ],
};

const actions = graphActions(graph);
const rewrite = refRewriterFor(graph);
const action = (name: string): GraphAction => {
  const found = actions.find((a) => a.name === name);
  if (!found) throw new Error(`no action ${name}`);
  return found;
};
const table = (...columns: string[]): ExistingObject => ({ type: 'table', columns });
const view: ExistingObject = { type: 'view', columns: ['id'] };

/** The tasks as one file, each statement under a comment naming its role (statements run one by one). */
function render(tasks: SqlTask[]): string {
  return `${tasks.map((t) => `-- [${t.role}]\n${t.sql}`).join('\n\n')}\n`;
}

describe('buildTasks', () => {
  it('builds a new table beside the old one and swaps it in, between the pre and post operations', async () => {
    const sql = render(
      buildTasks(action('main.orders'), table('id', 'status'), { fullRefresh: false, rewrite }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/table-replace.sql');
  });

  it('drops a view that stands where a table is wanted', async () => {
    const sql = render(buildTasks(action('main.orders'), view, { fullRefresh: false, rewrite }));
    await expect(sql).toMatchFileSnapshot('./__goldens__/table-over-view.sql');
  });

  it('creates a view in a non-default schema under a prefixed name', async () => {
    const sql = render(
      buildTasks(action('reporting.status_counts'), undefined, { fullRefresh: false, rewrite }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/view-create.sql');
  });

  it('creates a missing incremental table with a unique index on its key', async () => {
    const sql = render(buildTasks(action('main.orders_latest'), undefined, { fullRefresh: false, rewrite }));
    await expect(sql).toMatchFileSnapshot('./__goldens__/incremental-create.sql');
  });

  it('upserts the incremental query into the existing columns it returns', async () => {
    const sql = render(
      buildTasks(action('main.orders_latest'), table('id', 'status', 'amount', 'old_column'), {
        fullRefresh: false,
        rewrite,
        queryColumns: ['id', 'status', 'amount'],
      }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/incremental-upsert.sql');
  });

  it('keeps a unique index that already covers the key, and replaces its own index when the key changed', () => {
    const options = { fullRefresh: false, rewrite, queryColumns: ['id', 'status'] };
    const covered = buildTasks(
      action('main.orders_latest'),
      { ...table('id', 'status'), uniqueIndexes: [{ name: 'pk', columns: ['id'] }] },
      options,
    );
    expect(covered.map((t) => t.sql.split(' ')[0])).toEqual(['DELETE', 'DROP', 'CREATE', 'SELECT', 'INSERT']);
    const stale = buildTasks(
      action('main.orders_latest'),
      {
        ...table('id', 'status'),
        uniqueIndexes: [{ name: 'orders_latest__unique_key', columns: ['status'] }],
      },
      options,
    );
    expect(stale.map((t) => t.sql.split(' (')[0])).toEqual([
      'DELETE FROM log',
      'DROP INDEX "orders_latest__unique_key"',
      'CREATE UNIQUE INDEX IF NOT EXISTS "orders_latest__unique_key" ON "orders_latest"',
      'DROP TABLE IF EXISTS temp."orders_latest__bambuzled_stage"',
      'CREATE TEMP TABLE "orders_latest__bambuzled_stage" AS\nSELECT "id", "status" FROM',
      'SELECT coalesce(max(rowid), 0) AS watermark FROM "orders_latest"',
      'INSERT INTO "orders_latest"',
    ]);
  });

  it('appends through the where filter when the incremental table has no unique key', async () => {
    const sql = render(
      buildTasks(action('main.order_log'), table('id', 'status'), {
        fullRefresh: false,
        rewrite,
        queryColumns: ['id', 'status'],
      }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/incremental-append.sql');
  });

  it('rebuilds an unprotected incremental table on a full refresh', () => {
    const tasks = buildTasks(action('main.orders_latest'), table('id'), {
      fullRefresh: true,
      rewrite,
      queryColumns: ['id'],
    });
    expect(tasks.some((t) => t.sql.startsWith('CREATE TABLE "orders_latest__bambuzled_new"'))).toBe(true);
    expect(tasks.some((t) => t.sql.startsWith('INSERT'))).toBe(false);
  });

  it('keeps merging into a protected incremental table on a full refresh', () => {
    const protectedAction = { ...action('main.order_log') } as GraphAction & { kind: 'incremental' };
    protectedAction.table = { ...protectedAction.table, protected: true };
    const tasks = buildTasks(protectedAction, table('id', 'status'), {
      fullRefresh: true,
      rewrite,
      queryColumns: ['id'],
    });
    expect(tasks.map((t) => t.role)).toEqual(['rowid-watermark', 'write']);
  });

  it('refuses to merge when the query returns none of the table columns', () => {
    expect(() =>
      buildTasks(action('main.order_log'), table('a', 'b'), {
        fullRefresh: false,
        rewrite,
        queryColumns: ['id'],
      }),
    ).toThrow(BuildTaskError);
  });

  it('runs each operation statement in order with refs rewritten', async () => {
    const sql = render(buildTasks(action('main.counts'), undefined, { fullRefresh: false, rewrite }));
    await expect(sql).toMatchFileSnapshot('./__goldens__/operations.sql');
  });

  it('creates an assertion view with the rowConditions literal escaped for SQLite, then counts and samples it', async () => {
    const sql = render(
      buildTasks(action('checks.main_orders_assertions_rowConditions'), view, {
        fullRefresh: false,
        rewrite,
      }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/assertion-row-conditions.sql');
  });

  it('counts and samples a scoped assertion through a subquery in place of its parent, keeping the full view', async () => {
    const written = {
      table: 'orders',
      rowidAbove: 4,
      stage: { name: 'orders__bambuzled_stage', keys: ['id'] },
      count: 2,
    };
    const subquery = scopedParentSubquery(graph.assertions?.[0]?.query ?? '', written);
    expect(subquery).toBeDefined();
    const scopedRewrite = refRewriterFor(
      graph,
      new Map([[targetKey(target('main', 'orders')), subquery ?? '']]),
    );
    const sql = render(
      buildTasks(action('checks.main_orders_assertions_rowConditions'), view, {
        fullRefresh: false,
        rewrite,
        scopedRewrite,
      }),
    );
    await expect(sql).toMatchFileSnapshot('./__goldens__/assertion-scoped.sql');
  });

  it('leaves a view or an assertion view in place when it holds the very statement, and replaces it otherwise', () => {
    const roles = (tasks: SqlTask[]) =>
      tasks.map((t) => `${t.role} ${t.sql.split(' ').slice(0, 2).join(' ')}`);
    const statusCounts = action('reporting.status_counts');
    const [create] = buildTasks(statusCounts, undefined, { fullRefresh: false, rewrite });
    const same = { ...view, definition: create?.sql ?? '' };
    expect(buildTasks(statusCounts, same, { fullRefresh: false, rewrite })).toEqual([]);
    const edited = { ...view, definition: `${create?.sql} WHERE 1` };
    expect(roles(buildTasks(statusCounts, edited, { fullRefresh: false, rewrite }))).toEqual([
      'execute DROP VIEW',
      'execute CREATE VIEW',
    ]);

    const check = action('checks.main_orders_assertions_rowConditions');
    const checkView = { ...view, definition: assertionViewSql(check, rewrite) };
    expect(roles(buildTasks(check, checkView, { fullRefresh: false, rewrite }))).toEqual([
      'assertion-count SELECT count(*)',
      'assertion-sample SELECT *',
    ]);
  });

  it('builds nothing for a disabled action', () => {
    const disabled = { ...action('main.orders'), disabled: true };
    expect(buildTasks(disabled, undefined, { fullRefresh: false, rewrite })).toEqual([]);
  });
});

describe('buildTasks for a hand-written assertion', () => {
  it('leaves its SQL as written, backslashes included', () => {
    const manual: CompiledGraph = {
      projectConfig: graph.projectConfig,
      tables: graph.tables,
      assertions: [
        {
          target: target('checks', 'no_backslash_names'),
          query: "SELECT 'x\\' AS failing_row_condition, * FROM `shop.main.orders` WHERE status LIKE '%\\'",
        },
      ],
    };
    const [assertion] = graphActions(manual).filter((a) => a.kind === 'assertion');
    const tasks = buildTasks(assertion!, undefined, { fullRefresh: false, rewrite: refRewriterFor(manual) });
    expect(tasks[0]?.sql).toBe(
      'CREATE VIEW "checks__no_backslash_names" AS\n' +
        "SELECT 'x\\' AS failing_row_condition, * FROM \"orders\" WHERE status LIKE '%\\'",
    );
  });
});
