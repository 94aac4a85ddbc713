-- [execute]
CREATE VIEW "reporting__status_counts" AS
SELECT status, count(*) AS n FROM "orders" GROUP BY status
