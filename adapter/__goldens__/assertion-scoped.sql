-- [execute]
DROP VIEW "checks__main_orders_assertions_rowConditions"

-- [execute]
CREATE VIEW "checks__main_orders_assertions_rowConditions" AS
SELECT
  'status IN (''open'', ''shipped'')' AS failing_row_condition,
  *
FROM "orders"
WHERE NOT (status IN ('open', 'shipped'))

-- [assertion-count]
SELECT count(*) AS row_count FROM (
SELECT
  'status IN (''open'', ''shipped'')' AS failing_row_condition,
  *
FROM (SELECT * FROM "orders" WHERE rowid > 4 OR ("id") IN (SELECT "id" FROM temp."orders__bambuzled_stage"))
WHERE NOT (status IN ('open', 'shipped'))
)

-- [assertion-sample]
SELECT * FROM (
SELECT
  'status IN (''open'', ''shipped'')' AS failing_row_condition,
  *
FROM (SELECT * FROM "orders" WHERE rowid > 4 OR ("id") IN (SELECT "id" FROM temp."orders__bambuzled_stage"))
WHERE NOT (status IN ('open', 'shipped'))
) LIMIT 5
