-- [execute]
DELETE FROM log

-- [execute]
CREATE UNIQUE INDEX IF NOT EXISTS "orders_latest__unique_key" ON "orders_latest" ("id")

-- [write]
INSERT INTO "orders_latest" ("id", "status", "amount")
SELECT "id", "status", "amount" FROM (
SELECT id, status, amount FROM "orders" WHERE id > (SELECT max(id) FROM "orders_latest")
) WHERE true
ON CONFLICT ("id") DO UPDATE SET "status" = excluded."status", "amount" = excluded."amount"
