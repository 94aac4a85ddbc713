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
SELECT count(*) AS row_count FROM "checks__main_orders_assertions_rowConditions"

-- [assertion-sample]
SELECT * FROM "checks__main_orders_assertions_rowConditions" LIMIT 5
