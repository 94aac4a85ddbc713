import { describe, expect, it } from 'vitest';
import { builtInAssertionShape, opsMayRewriteRows, scopedParentSubquery } from './assertion-scope.js';

/** The query the stock compiler generates for `assertions: { uniqueKey: [...] }`. */
const uniqueKeyQuery = (columns: string) => `
SELECT
  *
FROM (
  SELECT
    ${columns},
    COUNT(1) AS index_row_count
  FROM \`shop.main.orders\`
  GROUP BY ${columns}
  ) AS data
WHERE index_row_count > 1
`;

const rowConditionsQuery = `
SELECT
  'amount >= 0' AS failing_row_condition,
  *
FROM \`shop.main.orders\`
WHERE NOT (amount >= 0)
`;

const appended = { table: 'orders', rowidAbove: 7, count: 3 };
const upserted = { ...appended, stage: { name: 'orders__bambuzled_stage', keys: ['region', 'id'] } };

describe('builtInAssertionShape', () => {
  it('reads the key columns of a uniqueKey assertion, one or several', () => {
    expect(builtInAssertionShape(uniqueKeyQuery('id'))).toEqual({ kind: 'unique-key', columns: ['id'] });
    expect(builtInAssertionShape(uniqueKeyQuery('region, id'))).toEqual({
      kind: 'unique-key',
      columns: ['region', 'id'],
    });
  });

  it('recognizes rowConditions and leaves any other query unknown', () => {
    expect(builtInAssertionShape(rowConditionsQuery)).toEqual({ kind: 'row-conditions' });
    expect(builtInAssertionShape('SELECT * FROM `shop.main.orders` WHERE amount < 0')).toEqual({
      kind: 'unknown',
    });
  });
});

describe('scopedParentSubquery', () => {
  it('keeps the rows above the rowid watermark, and the staged keys for an upsert', () => {
    expect(scopedParentSubquery(rowConditionsQuery, appended)).toBe(
      '(SELECT * FROM "orders" WHERE rowid > 7)',
    );
    expect(scopedParentSubquery(rowConditionsQuery, upserted)).toBe(
      '(SELECT * FROM "orders" WHERE rowid > 7 OR ("region", "id") IN (SELECT "region", "id" FROM temp."orders__bambuzled_stage"))',
    );
  });

  it('checks every row sharing a key with a written row, NULL keys matching as GROUP BY groups them', () => {
    expect(scopedParentSubquery(uniqueKeyQuery('customer'), appended)).toBe(
      '(SELECT * FROM "orders" WHERE rowid IN (SELECT scoped_rows.rowid FROM (SELECT "customer" FROM "orders" WHERE rowid > 7) AS written_rows CROSS JOIN "orders" AS scoped_rows WHERE scoped_rows."customer" IS written_rows."customer"))',
    );
  });

  it('does not scope a query it does not recognize', () => {
    expect(scopedParentSubquery('SELECT 1 FROM `shop.main.orders`', appended)).toBeUndefined();
  });
});

describe('opsMayRewriteRows', () => {
  it('flags operations that update or replace rows of the table, not those that add an index', () => {
    expect(opsMayRewriteRows(['CREATE INDEX IF NOT EXISTS i ON t (a)'], 't')).toBe(false);
    expect(opsMayRewriteRows(['update t set a = 1'], 't')).toBe(true);
    expect(opsMayRewriteRows(['REPLACE INTO "main"."t" VALUES (1)'], 't')).toBe(true);
    expect(opsMayRewriteRows(undefined, 't')).toBe(false);
  });

  it('flags a pre-operation that inserts rows, which would land below the rowid watermark', () => {
    expect(opsMayRewriteRows(["INSERT INTO `shop.main.t` (a) VALUES ('late')"], 't')).toBe(true);
  });

  it('lets an upsert into another table (a watermark) keep the checks scoped', () => {
    const watermark = `INSERT INTO \`shop.main.model_watermarks\` (model, seq) VALUES ('t', 3)
      ON CONFLICT (model) DO UPDATE SET seq = excluded.seq`;
    expect(opsMayRewriteRows([watermark], 't')).toBe(false);
    expect(opsMayRewriteRows([watermark], 'model_watermarks')).toBe(true);
  });

  it('counts a write whose table it cannot read as a write of this table', () => {
    expect(opsMayRewriteRows(['WITH x AS (SELECT 1) INSERT INTO (SELECT 1)'], 't')).toBe(true);
  });
});
