-- [execute]
CREATE TABLE IF NOT EXISTS log (at TEXT)

-- [execute]
DROP TABLE IF EXISTS "orders__bambuzled_new"

-- [execute]
CREATE TABLE "orders__bambuzled_new" AS
SELECT id, status FROM "src_orders" -- raw

-- [row-count]
SELECT count(*) AS row_count FROM "orders__bambuzled_new"

-- [execute]
DROP TABLE "orders"

-- [setting]
PRAGMA legacy_alter_table = ON

-- [execute]
ALTER TABLE "orders__bambuzled_new" RENAME TO "orders"

-- [setting]
PRAGMA legacy_alter_table = OFF

-- [execute]
INSERT INTO log VALUES (1)
