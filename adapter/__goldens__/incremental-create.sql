-- [execute]
DROP TABLE IF EXISTS "orders_latest__bambuzled_new"

-- [execute]
CREATE TABLE "orders_latest__bambuzled_new" AS
SELECT id, status, amount FROM "orders"

-- [row-count]
SELECT count(*) AS row_count FROM "orders_latest__bambuzled_new"

-- [setting]
PRAGMA legacy_alter_table = ON

-- [execute]
ALTER TABLE "orders_latest__bambuzled_new" RENAME TO "orders_latest"

-- [setting]
PRAGMA legacy_alter_table = OFF

-- [execute]
CREATE UNIQUE INDEX IF NOT EXISTS "orders_latest__unique_key" ON "orders_latest" ("id")
