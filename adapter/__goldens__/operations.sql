-- [write]
CREATE TABLE IF NOT EXISTS "counts" (n INTEGER)

-- [write]
INSERT INTO "counts" SELECT count(*) FROM "orders"
