-- [execute]
DELETE FROM log

-- [execute]
CREATE UNIQUE INDEX IF NOT EXISTS "orders_latest__unique_key" ON "orders_latest" ("id")

-- [execute]
DROP TABLE IF EXISTS temp."orders_latest__bambuzled_stage"

-- [execute]
CREATE TEMP TABLE "orders_latest__bambuzled_stage" AS
SELECT "id", "status", "amount" FROM (
SELECT id, status, amount FROM "orders" WHERE id > (SELECT max(id) FROM "orders_latest")
)

-- [rowid-watermark]
SELECT coalesce(max(rowid), 0) AS watermark FROM "orders_latest"

-- [write]
INSERT INTO "orders_latest" ("id", "status", "amount")
SELECT "id", "status", "amount" FROM temp."orders_latest__bambuzled_stage" WHERE true
ON CONFLICT ("id") DO UPDATE SET "status" = excluded."status", "amount" = excluded."amount"
