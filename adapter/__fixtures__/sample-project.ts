/**
 * A small Dataform project written into a temp dir for tests: every action type, SQLX and JS
 * definitions, tags, built-in and manual assertions, a disabled table, and the source tables it reads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../../lib/sqlite.js';

/** Writes `files` (relative path -> content) under a new temp dir and returns it. */
export function writeProject(files: Record<string, string>, prefix = 'bambuzled-project-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const SAMPLE_PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: shop\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
  'definitions/sources.sqlx': 'config { type: "declaration", name: "src_orders" }\n',
  'definitions/customers_source.sqlx': 'config { type: "declaration", name: "src_customers" }\n',
  'definitions/orders.sqlx': `config {
  type: "table",
  tags: ["bronze"],
  description: "One row per order.",
  assertions: { uniqueKey: ["id"], nonNull: ["id", "status"], rowConditions: ["status IN ('open', 'shipped')"] }
}
pre_operations { CREATE TABLE IF NOT EXISTS pre_op_log (at TEXT) }
SELECT id, customer, status, amount FROM \${ref("src_orders")}
`,
  'definitions/order_notes.sqlx': `config { type: "table", tags: ["notes"] }
SELECT id, note FROM \${ref("src_orders")}
`,
  'definitions/customer_totals.sqlx': `config { type: "view", schema: "reporting", tags: ["silver"] }
SELECT customer, sum(amount) AS total FROM \${ref("orders")} GROUP BY customer -- a trailing comment
`,
  'definitions/orders_latest.sqlx': `config { type: "incremental", uniqueKey: ["id"], tags: ["silver"] }
SELECT id, status, amount FROM \${ref("orders")}
`,
  'definitions/order_log.sqlx': `config { type: "incremental", protected: true, tags: ["silver"] }
SELECT id, status FROM \${ref("orders")}
\${when(incremental(), \`WHERE id > (SELECT coalesce(max(id), 0) FROM \${self()})\`)}
`,
  'definitions/legacy_report.sqlx': `config { type: "table", disabled: true }
SELECT * FROM \${ref("orders")}
`,
  'definitions/order_counts.sqlx': `config { type: "operations", hasOutput: true, tags: ["ops"] }
CREATE TABLE IF NOT EXISTS \${self()} (n INTEGER)
---
INSERT INTO \${self()} SELECT count(*) FROM \${ref("orders")}
`,
  'definitions/customers.sqlx': `config { type: "table", tags: ["customers"] }
SELECT c.name, count(o.id) AS orders FROM \${ref("src_customers")} c LEFT JOIN \${ref("orders")} o ON o.customer = c.name GROUP BY c.name
`,
  'definitions/js_actions.js': `
publish("big_orders", { type: "table", tags: ["gold"] }).query((ctx) => \`SELECT * FROM \${ctx.ref("orders")} WHERE amount > 100\`);
assert("no_negative_amounts").query((ctx) => \`SELECT id, amount FROM \${ctx.ref("orders")} WHERE amount < 0\`);
publish("after_check", { type: "table", dependencies: ["no_negative_amounts"] }).query((ctx) => \`SELECT count(*) AS n FROM \${ctx.ref("orders")}\`);
operate("touch", (ctx) => [\`CREATE TABLE IF NOT EXISTS touch_log (n INTEGER)\`, \`INSERT INTO touch_log VALUES (1)\`]);
`,
};

/** Creates the sample project's source tables with four valid orders. */
export function seedSources(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE src_orders (id INTEGER PRIMARY KEY, customer TEXT, status TEXT, amount REAL, note TEXT);
    INSERT INTO src_orders VALUES
      (1, 'ada', 'open', 50, 'first'),
      (2, 'ada', 'shipped', 150, 'second'),
      (3, 'bob', 'open', 20, NULL),
      (4, 'cy', 'shipped', 300, 'fourth');
    CREATE TABLE src_customers (name TEXT);
    INSERT INTO src_customers VALUES ('ada'), ('bob'), ('cy');
  `);
}

/** A seeded database file in `dir`. */
export function seededDatabase(dir: string, name = 'shop.db'): SqliteDatabase {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  seedSources(db);
  return db;
}
