-- [rowid-watermark]
SELECT coalesce(max(rowid), 0) AS watermark FROM "order_log"

-- [write]
INSERT INTO "order_log" ("id", "status")
SELECT "id", "status" FROM (
SELECT * FROM (
SELECT id, status FROM "orders"
) AS subquery WHERE status <> 'open'
) WHERE true
