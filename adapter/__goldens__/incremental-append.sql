-- [write]
INSERT INTO "order_log" ("id", "status")
SELECT "id", "status" FROM (
SELECT * FROM (
SELECT id, status FROM "orders"
) AS subquery WHERE status <> 'open'
) WHERE true
